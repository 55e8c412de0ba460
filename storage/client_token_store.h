#pragma once

// Idempotency tokens of the ECS operations that take a `clientToken`
// (CreateService, CreateTaskSet): what the first call asked (a hash) and
// what it made, so a repeat answers the same and a reuse with other
// parameters is refused.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

struct ClientTokenRecord {
  std::string request_hash;
  std::string result;  // what the call made (e.g. the resource ARN)
};

class ClientTokenStore {
 public:
  ClientTokenStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  std::optional<ClientTokenRecord> Find(std::string_view operation, std::string_view token);
  void Insert(std::string_view operation, std::string_view token, const ClientTokenRecord& record,
              double now);

 private:
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
