#pragma once

// Task scale-in protection of one partition: which service tasks the
// scheduler must not pick for scale-in, until when. An expired entry means
// no protection (ECS clears it by itself at expiry).
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

class TaskProtectionStore {
 public:
  TaskProtectionStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  void Protect(std::string_view cluster, std::string_view task_id, double expires_at);
  void Unprotect(std::string_view cluster, std::string_view task_id);
  // When the task's protection ends; nullopt when it has none.
  std::optional<double> ExpiresAt(std::string_view cluster, std::string_view task_id);

 private:
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
