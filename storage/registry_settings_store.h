#pragma once

// ECR registry-wide settings of one account and region that live in their
// own tables: account settings (name -> value), the signing configuration
// (opaque JSON text), per-image signing statuses and pull-time update
// exclusions. One typed function per query; absence is an empty optional.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

// The signing outcome of one image for one signing profile.
struct SigningStatusRecord {
  std::string profile_arn;
  std::string status;  // IN_PROGRESS, COMPLETE, FAILED
  std::optional<std::string> failure_code;
  std::optional<std::string> failure_reason;
};

// A principal whose pulls do not update an image's last pull time.
struct PullTimeExclusionRecord {
  std::string principal_arn;
  double created_at = 0;
};

class RegistrySettingsStore {
 public:
  RegistrySettingsStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  std::optional<std::string> AccountSetting(std::string_view name);
  void PutAccountSetting(std::string_view name, std::string_view value);

  std::optional<std::string> SigningConfiguration();
  void PutSigningConfiguration(std::string_view document);
  void DeleteSigningConfiguration();

  void PutSigningStatus(std::string_view repository, std::string_view digest,
                        const SigningStatusRecord& status);
  // Ordered by profile ARN.
  std::vector<SigningStatusRecord> SigningStatuses(std::string_view repository,
                                                   std::string_view digest);

  // False when the principal is already excluded.
  bool AddPullTimeExclusion(std::string_view principal_arn, double now);
  // False when the principal was not excluded.
  bool RemovePullTimeExclusion(std::string_view principal_arn);
  // Ordered by principal ARN, after `after` (exclusive).
  std::vector<PullTimeExclusionRecord> PullTimeExclusions(std::string_view after, size_t limit);
  int64_t CountPullTimeExclusions();

 private:
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
