#include "storage/ecs_settings_store.h"

namespace berth::storage {

std::optional<std::string> EcsSettingsStore::GetSetting(std::string_view principal_arn,
                                                        std::string_view name) {
  Stmt stmt(db_, R"sql(
    SELECT value FROM ecs_account_settings
    WHERE account_id = ?1 AND region = ?2 AND principal_arn = ?3 AND name = ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, principal_arn);
  stmt.Bind(4, name);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnText(0);
}

void EcsSettingsStore::PutSetting(const AccountSettingRecord& s) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecs_account_settings (account_id, region, principal_arn, name, value)
    VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (account_id, region, principal_arn, name) DO UPDATE SET value = excluded.value)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, s.principal_arn);
  stmt.Bind(4, s.name).Bind(5, s.value);
  stmt.Run();
}

bool EcsSettingsStore::DeleteSetting(std::string_view principal_arn, std::string_view name) {
  Stmt stmt(db_, R"sql(
    DELETE FROM ecs_account_settings
    WHERE account_id = ?1 AND region = ?2 AND principal_arn = ?3 AND name = ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, principal_arn);
  stmt.Bind(4, name);
  stmt.Run();
  return db_.Changes() > 0;
}

std::vector<AccountSettingRecord> EcsSettingsStore::ListSettings(std::string_view principal_arn) {
  Stmt stmt(db_, R"sql(
    SELECT principal_arn, name, value FROM ecs_account_settings
    WHERE account_id = ?1 AND region = ?2 AND principal_arn = ?3 ORDER BY name)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, principal_arn);
  std::vector<AccountSettingRecord> out;
  while (stmt.Step()) out.push_back({stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnText(2)});
  return out;
}

void EcsSettingsStore::PutAttribute(const AttributeRecord& a) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecs_attributes (account_id, region, cluster, target_type, target_id, name, value)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
    ON CONFLICT (account_id, region, cluster, target_id, name) DO UPDATE SET
      value = excluded.value, target_type = excluded.target_type)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, a.cluster);
  stmt.Bind(4, a.target_type).Bind(5, a.target_id).Bind(6, a.name).Bind(7, a.value);
  stmt.Run();
}

bool EcsSettingsStore::DeleteAttribute(std::string_view cluster, std::string_view target_id,
                                       std::string_view name) {
  Stmt stmt(db_, R"sql(
    DELETE FROM ecs_attributes
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND target_id = ?4 AND name = ?5)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, target_id).Bind(5, name);
  stmt.Run();
  return db_.Changes() > 0;
}

std::vector<AttributeRecord> EcsSettingsStore::ListAttributes(std::string_view cluster) {
  Stmt stmt(db_, R"sql(
    SELECT cluster, target_type, target_id, name, value FROM ecs_attributes
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 ORDER BY target_id, name)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  std::vector<AttributeRecord> out;
  while (stmt.Step()) {
    out.push_back({stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnText(2), stmt.ColumnText(3),
                   stmt.ColumnOptionalText(4)});
  }
  return out;
}

}  // namespace berth::storage
