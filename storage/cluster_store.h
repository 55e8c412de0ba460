#pragma once

// ECS clusters of one partition, one typed function per query.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

class ClusterStore {
 public:
  ClusterStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  std::optional<ClusterRecord> Find(std::string_view name);
  // Inserts the cluster, replacing an INACTIVE one of the same name.
  void Upsert(const ClusterRecord& cluster);
  void UpdateDocument(std::string_view name, std::string_view document);
  void UpdateStatus(std::string_view name, std::string_view status);
  // ACTIVE clusters ordered by name, after `after_name` (exclusive).
  std::vector<std::string> ListActiveNames(std::string_view after_name, size_t limit);
  // Marks the cluster INACTIVE as of `now`.
  void MarkInactive(std::string_view name, double now);
  // ACTIVE clusters and those made INACTIVE after `inactive_since`, by name,
  // after `after_name` (exclusive).
  std::vector<std::string> ListNames(std::string_view after_name, size_t limit,
                                     double inactive_since);

 private:
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
