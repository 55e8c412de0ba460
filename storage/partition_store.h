#pragma once

// Which accounts and regions hold anything: ECR repositories, ECS clusters
// (tasks and services live in one), task definitions, or log groups. For the
// dashboard's account and region picker.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

class PartitionStore {
 public:
  explicit PartitionStore(Db& db) : db_(db) {}

  // Every partition with at least one of those resources, ordered by account
  // then region.
  std::vector<Partition> InUse();

 private:
  Db& db_;
};

}  // namespace berth::storage
