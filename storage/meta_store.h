#pragma once

// Small key/value facts about this Berth installation (e.g. the secret that
// signs registry tokens). Survives POST /_berth/reset.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <optional>
#include <string>
#include <string_view>

#include "storage/sqlite/db.h"

namespace berth::storage {

class MetaStore {
 public:
  explicit MetaStore(Db& db) : db_(db) {}

  std::optional<std::string> Get(std::string_view key);
  void Set(std::string_view key, std::string_view value);

 private:
  Db& db_;
};

}  // namespace berth::storage
