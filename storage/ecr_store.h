#pragma once

// ECR repositories and registry-wide ECR settings, one typed function per
// query. Knows nothing of AWS error names: absence is an empty optional.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

class EcrStore {
 public:
  EcrStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  // Inserts the repository and returns its id, or nullopt when the name is
  // already taken in this partition.
  std::optional<int64_t> InsertRepository(const RepositoryRecord& repository);
  std::optional<RepositoryRecord> FindRepository(std::string_view name);
  // Repositories ordered by name, starting after `after_name` (exclusive).
  std::vector<RepositoryRecord> ListRepositories(std::string_view after_name, size_t limit);
  void DeleteRepository(int64_t id);

  void UpdateTagMutability(int64_t id, std::string_view mutability,
                           const std::optional<std::string>& exclusions);
  void UpdateScanOnPush(int64_t id, bool scan_on_push);
  void UpdatePolicy(int64_t id, const std::optional<std::string>& policy_text);
  void UpdateLifecyclePolicy(int64_t id, const std::optional<std::string>& policy);

  // Registry settings; an account that never set any gets an empty record.
  RegistryRecord GetRegistry();
  void UpdateRegistryPolicy(const std::optional<std::string>& policy_text);
  void UpdateScanningConfiguration(std::string_view configuration_json);
  void UpdateReplicationConfiguration(std::string_view configuration_json);

 private:
  void EnsureRegistryRow();
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
