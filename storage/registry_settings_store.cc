#include "storage/registry_settings_store.h"

namespace berth::storage {

std::optional<std::string> RegistrySettingsStore::AccountSetting(std::string_view name) {
  Stmt stmt(db_, R"sql(
    SELECT value FROM ecr_account_settings
    WHERE account_id = ?1 AND region = ?2 AND name = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, name);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnText(0);
}

void RegistrySettingsStore::PutAccountSetting(std::string_view name, std::string_view value) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_account_settings (account_id, region, name, value) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (account_id, region, name) DO UPDATE SET value = excluded.value)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, name).Bind(4, value);
  stmt.Run();
}

std::optional<std::string> RegistrySettingsStore::SigningConfiguration() {
  Stmt stmt(db_, R"sql(
    SELECT document FROM ecr_signing_configurations WHERE account_id = ?1 AND region = ?2)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnText(0);
}

void RegistrySettingsStore::PutSigningConfiguration(std::string_view document) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_signing_configurations (account_id, region, document) VALUES (?1, ?2, ?3)
    ON CONFLICT (account_id, region) DO UPDATE SET document = excluded.document)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, document);
  stmt.Run();
}

void RegistrySettingsStore::DeleteSigningConfiguration() {
  Stmt stmt(db_, R"sql(
    DELETE FROM ecr_signing_configurations WHERE account_id = ?1 AND region = ?2)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region);
  stmt.Run();
}

void RegistrySettingsStore::PutSigningStatus(std::string_view repository, std::string_view digest,
                                             const SigningStatusRecord& s) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_signing_statuses (account_id, region, repository_name, image_digest,
        profile_arn, status, failure_code, failure_reason)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
    ON CONFLICT DO UPDATE SET status = excluded.status, failure_code = excluded.failure_code,
        failure_reason = excluded.failure_reason)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, repository);
  stmt.Bind(4, digest).Bind(5, s.profile_arn).Bind(6, s.status).Bind(7, s.failure_code);
  stmt.Bind(8, s.failure_reason);
  stmt.Run();
}

std::vector<SigningStatusRecord> RegistrySettingsStore::SigningStatuses(std::string_view repository,
                                                                        std::string_view digest) {
  Stmt stmt(db_, R"sql(
    SELECT profile_arn, status, failure_code, failure_reason FROM ecr_signing_statuses
    WHERE account_id = ?1 AND region = ?2 AND repository_name = ?3 AND image_digest = ?4
    ORDER BY profile_arn)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, repository);
  stmt.Bind(4, digest);
  std::vector<SigningStatusRecord> out;
  while (stmt.Step()) {
    out.push_back({stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnOptionalText(2),
                   stmt.ColumnOptionalText(3)});
  }
  return out;
}

bool RegistrySettingsStore::AddPullTimeExclusion(std::string_view principal_arn, double now) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_pull_time_exclusions (account_id, region, principal_arn, created_at)
    VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, principal_arn);
  stmt.Bind(4, now);
  stmt.Run();
  return db_.Changes() > 0;
}

bool RegistrySettingsStore::RemovePullTimeExclusion(std::string_view principal_arn) {
  Stmt stmt(db_, R"sql(
    DELETE FROM ecr_pull_time_exclusions
    WHERE account_id = ?1 AND region = ?2 AND principal_arn = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, principal_arn);
  stmt.Run();
  return db_.Changes() > 0;
}

std::vector<PullTimeExclusionRecord> RegistrySettingsStore::PullTimeExclusions(
    std::string_view after, size_t limit) {
  Stmt stmt(db_, R"sql(
    SELECT principal_arn, created_at FROM ecr_pull_time_exclusions
    WHERE account_id = ?1 AND region = ?2 AND principal_arn > ?3
    ORDER BY principal_arn LIMIT ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, after);
  stmt.Bind(4, static_cast<int64_t>(limit));
  std::vector<PullTimeExclusionRecord> out;
  while (stmt.Step()) out.push_back({stmt.ColumnText(0), stmt.ColumnDouble(1)});
  return out;
}

int64_t RegistrySettingsStore::CountPullTimeExclusions() {
  Stmt stmt(db_, R"sql(
    SELECT COUNT(*) FROM ecr_pull_time_exclusions WHERE account_id = ?1 AND region = ?2)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region);
  stmt.Step();
  return stmt.ColumnInt(0);
}

}  // namespace berth::storage
