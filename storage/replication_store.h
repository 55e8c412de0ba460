#pragma once

// ECR replication statuses: one row per (source image, destination
// registry), which is also the replication queue (rows IN_PROGRESS are copies
// still to make). One typed function per query; no AWS names beyond the
// status words the rows hold.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

// Where one image goes and how far it got.
struct ReplicationRecord {
  Partition source;
  std::string repository;
  std::string digest;
  Partition destination;
  std::string status;  // IN_PROGRESS, COMPLETE, FAILED
  std::optional<std::string> failure_code;
  std::vector<std::string> tags;  // the tags pushed with the image, to copy
  double updated_at = 0;
};

class ReplicationStore {
 public:
  explicit ReplicationStore(Db& db) : db_(db) {}

  // Marks a copy as pending (IN_PROGRESS), adding `tag` (when not empty) to
  // the tags it will carry; a finished row starts again with only `tag`.
  void Enqueue(const Partition& source, std::string_view repository, std::string_view digest,
               const Partition& destination, std::string_view tag, double now);
  // Up to `limit` pending copies, oldest first.
  std::vector<ReplicationRecord> Pending(size_t limit);
  // Records the outcome of a copy.
  void Finish(const ReplicationRecord& record, std::string_view status,
              const std::optional<std::string>& failure_code, double now);
  // Every destination of one image, ordered by region then registry.
  std::vector<ReplicationRecord> ForImage(const Partition& source, std::string_view repository,
                                          std::string_view digest);

 private:
  Db& db_;
};

}  // namespace berth::storage
