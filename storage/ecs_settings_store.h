#pragma once

// ECS account settings (per principal, with the account default stored under
// the account's root ARN) and custom attributes on container instances.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

class EcsSettingsStore {
 public:
  EcsSettingsStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  std::optional<std::string> GetSetting(std::string_view principal_arn, std::string_view name);
  void PutSetting(const AccountSettingRecord& setting);
  // Returns false when there was nothing to delete.
  bool DeleteSetting(std::string_view principal_arn, std::string_view name);
  // Every stored setting of `principal_arn`, ordered by name.
  std::vector<AccountSettingRecord> ListSettings(std::string_view principal_arn);

  void PutAttribute(const AttributeRecord& attribute);
  // Returns false when there was nothing to delete.
  bool DeleteAttribute(std::string_view cluster, std::string_view target_id, std::string_view name);
  // Attributes of one cluster, ordered by (target, name).
  std::vector<AttributeRecord> ListAttributes(std::string_view cluster);

 private:
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
