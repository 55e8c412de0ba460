#pragma once

// What ECR lifecycle evaluation reads and writes in SQLite: the repositories
// with a policy, every image of a repository in one query (tags and whether
// an index refers to it included), the last-evaluated stamp, and the one
// lifecycle policy preview each repository keeps. No AWS names.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/sqlite/db.h"

namespace berth::storage {

// An image as lifecycle rules see it.
struct LifecycleCandidate {
  std::string digest;
  std::vector<std::string> tags;  // sorted
  double pushed_at = 0;
  std::optional<double> last_pulled_at;
  std::optional<double> last_archived_at;
  std::optional<double> last_activated_at;
  std::string image_status;  // ACTIVE, ARCHIVED, ACTIVATING
  bool in_index = false;     // a manifest of the repository refers to it
};

// A repository with a lifecycle policy.
struct PolicyRepository {
  int64_t id = 0;
  std::string policy_text;
};

// The preview a repository keeps (the last one started).
struct PreviewRecord {
  std::string policy_text;
  std::string status;  // IN_PROGRESS, COMPLETE, FAILED
  double started_at = 0;
  std::optional<std::string> results;  // JSON written when it completes
};

class LifecycleStore {
 public:
  explicit LifecycleStore(Db& db) : db_(db) {}

  // Every repository (all partitions) with a lifecycle policy, by id.
  std::vector<PolicyRepository> RepositoriesWithPolicy();
  std::optional<std::string> Policy(int64_t repository_id);
  std::vector<LifecycleCandidate> Candidates(int64_t repository_id);
  void StampEvaluated(int64_t repository_id, double now);

  // Replaces the repository's preview with a new one IN_PROGRESS.
  void StartPreview(int64_t repository_id, std::string_view policy_text, double now);
  void FinishPreview(int64_t repository_id, std::string_view status, std::string_view results);
  std::optional<PreviewRecord> FindPreview(int64_t repository_id);
  // Repository ids whose preview is IN_PROGRESS.
  std::vector<int64_t> PreviewsInProgress();

 private:
  Db& db_;
};

}  // namespace berth::storage
