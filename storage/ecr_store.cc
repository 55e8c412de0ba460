#include "storage/ecr_store.h"

namespace berth::storage {
namespace {

constexpr std::string_view kRepositoryColumns =
    "id, name, created_at, tag_mutability, mutability_exclusions, scan_on_push, "
    "encryption_type, kms_key, policy_text, lifecycle_policy, lifecycle_evaluated_at";

RepositoryRecord ReadRepository(const Stmt& stmt) {
  RepositoryRecord r;
  r.id = stmt.ColumnInt(0);
  r.name = stmt.ColumnText(1);
  r.created_at = stmt.ColumnDouble(2);
  r.tag_mutability = stmt.ColumnText(3);
  r.mutability_exclusions = stmt.ColumnOptionalText(4);
  r.scan_on_push = stmt.ColumnBool(5);
  r.encryption_type = stmt.ColumnText(6);
  r.kms_key = stmt.ColumnOptionalText(7);
  r.policy_text = stmt.ColumnOptionalText(8);
  r.lifecycle_policy = stmt.ColumnOptionalText(9);
  if (!stmt.IsNull(10)) r.lifecycle_evaluated_at = stmt.ColumnDouble(10);
  return r;
}

}  // namespace

std::optional<int64_t> EcrStore::InsertRepository(const RepositoryRecord& r) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_repositories (account_id, region, name, created_at, tag_mutability,
        mutability_exclusions, scan_on_push, encryption_type, kms_key)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
    ON CONFLICT (account_id, region, name) DO NOTHING)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, r.name);
  stmt.Bind(4, r.created_at).Bind(5, r.tag_mutability).Bind(6, r.mutability_exclusions);
  stmt.BindBool(7, r.scan_on_push).Bind(8, r.encryption_type).Bind(9, r.kms_key);
  stmt.Run();
  if (db_.Changes() == 0) return std::nullopt;
  return db_.LastInsertRowId();
}

std::optional<RepositoryRecord> EcrStore::FindRepository(std::string_view name) {
  Stmt stmt(db_, std::string("SELECT ") + std::string(kRepositoryColumns) +
                     " FROM ecr_repositories WHERE account_id = ?1 AND region = ?2 AND name = ?3");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, name);
  if (!stmt.Step()) return std::nullopt;
  return ReadRepository(stmt);
}

std::vector<RepositoryRecord> EcrStore::ListRepositories(std::string_view after_name,
                                                         size_t limit) {
  Stmt stmt(db_, std::string("SELECT ") + std::string(kRepositoryColumns) +
                     " FROM ecr_repositories WHERE account_id = ?1 AND region = ?2 AND name > ?3"
                     " ORDER BY name LIMIT ?4");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, after_name);
  stmt.Bind(4, static_cast<int64_t>(limit));
  std::vector<RepositoryRecord> out;
  while (stmt.Step()) out.push_back(ReadRepository(stmt));
  return out;
}

void EcrStore::DeleteRepository(int64_t id) {
  Stmt stmt(db_, "DELETE FROM ecr_repositories WHERE id = ?1");
  stmt.Bind(1, id);
  stmt.Run();
}

void EcrStore::UpdateTagMutability(int64_t id, std::string_view mutability,
                                   const std::optional<std::string>& exclusions) {
  Stmt stmt(db_, R"sql(
    UPDATE ecr_repositories SET tag_mutability = ?2, mutability_exclusions = ?3 WHERE id = ?1)sql");
  stmt.Bind(1, id).Bind(2, mutability).Bind(3, exclusions);
  stmt.Run();
}

void EcrStore::UpdateScanOnPush(int64_t id, bool scan_on_push) {
  Stmt stmt(db_, "UPDATE ecr_repositories SET scan_on_push = ?2 WHERE id = ?1");
  stmt.Bind(1, id).BindBool(2, scan_on_push);
  stmt.Run();
}

void EcrStore::UpdatePolicy(int64_t id, const std::optional<std::string>& policy_text) {
  Stmt stmt(db_, "UPDATE ecr_repositories SET policy_text = ?2 WHERE id = ?1");
  stmt.Bind(1, id).Bind(2, policy_text);
  stmt.Run();
}

void EcrStore::UpdateLifecyclePolicy(int64_t id, const std::optional<std::string>& policy) {
  Stmt stmt(db_, "UPDATE ecr_repositories SET lifecycle_policy = ?2 WHERE id = ?1");
  stmt.Bind(1, id).Bind(2, policy);
  stmt.Run();
}

RegistryRecord EcrStore::GetRegistry() {
  Stmt stmt(db_, R"sql(
    SELECT policy_text, scanning_configuration, replication_configuration
    FROM ecr_registries WHERE account_id = ?1 AND region = ?2)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region);
  RegistryRecord r;
  if (stmt.Step()) {
    r.policy_text = stmt.ColumnOptionalText(0);
    r.scanning_configuration = stmt.ColumnOptionalText(1);
    r.replication_configuration = stmt.ColumnOptionalText(2);
  }
  return r;
}

void EcrStore::EnsureRegistryRow() {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_registries (account_id, region) VALUES (?1, ?2)
    ON CONFLICT (account_id, region) DO NOTHING)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region);
  stmt.Run();
}

void EcrStore::UpdateRegistryPolicy(const std::optional<std::string>& policy_text) {
  EnsureRegistryRow();
  Stmt stmt(db_, R"sql(
    UPDATE ecr_registries SET policy_text = ?3 WHERE account_id = ?1 AND region = ?2)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, policy_text);
  stmt.Run();
}

void EcrStore::UpdateScanningConfiguration(std::string_view configuration_json) {
  EnsureRegistryRow();
  Stmt stmt(db_, R"sql(
    UPDATE ecr_registries SET scanning_configuration = ?3
    WHERE account_id = ?1 AND region = ?2)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, configuration_json);
  stmt.Run();
}

void EcrStore::UpdateReplicationConfiguration(std::string_view configuration_json) {
  EnsureRegistryRow();
  Stmt stmt(db_, R"sql(
    UPDATE ecr_registries SET replication_configuration = ?3
    WHERE account_id = ?1 AND region = ?2)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, configuration_json);
  stmt.Run();
}

}  // namespace berth::storage
