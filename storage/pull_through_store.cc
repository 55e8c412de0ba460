#include "storage/pull_through_store.h"

namespace berth::storage {
namespace {

constexpr std::string_view kRuleColumns =
    "prefix, upstream_url, upstream_registry, credential_arn, custom_role_arn, upstream_prefix, "
    "created_at, updated_at";

PullThroughRuleRecord ReadRule(const Stmt& stmt) {
  PullThroughRuleRecord r;
  r.prefix = stmt.ColumnText(0);
  r.upstream_url = stmt.ColumnText(1);
  r.upstream_registry = stmt.ColumnText(2);
  r.credential_arn = stmt.ColumnOptionalText(3);
  r.custom_role_arn = stmt.ColumnOptionalText(4);
  r.upstream_prefix = stmt.ColumnOptionalText(5);
  r.created_at = stmt.ColumnDouble(6);
  r.updated_at = stmt.ColumnDouble(7);
  return r;
}

CreationTemplateRecord ReadTemplate(const Stmt& stmt) {
  return {stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnDouble(2), stmt.ColumnDouble(3)};
}

}  // namespace

bool PullThroughStore::InsertRule(const PullThroughRuleRecord& r) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_pull_through_rules (account_id, region, prefix, upstream_url,
        upstream_registry, credential_arn, custom_role_arn, upstream_prefix, created_at,
        updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
    ON CONFLICT (account_id, region, prefix) DO NOTHING)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, r.prefix);
  stmt.Bind(4, r.upstream_url).Bind(5, r.upstream_registry).Bind(6, r.credential_arn);
  stmt.Bind(7, r.custom_role_arn).Bind(8, r.upstream_prefix).Bind(9, r.created_at);
  stmt.Bind(10, r.updated_at);
  stmt.Run();
  return db_.Changes() > 0;
}

std::optional<PullThroughRuleRecord> PullThroughStore::FindRule(std::string_view prefix) {
  Stmt stmt(db_, std::string("SELECT ") + std::string(kRuleColumns) +
                     " FROM ecr_pull_through_rules WHERE account_id = ?1 AND region = ?2 AND "
                     "prefix = ?3");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, prefix);
  if (!stmt.Step()) return std::nullopt;
  return ReadRule(stmt);
}

std::vector<PullThroughRuleRecord> PullThroughStore::ListRules() {
  Stmt stmt(db_, std::string("SELECT ") + std::string(kRuleColumns) +
                     " FROM ecr_pull_through_rules WHERE account_id = ?1 AND region = ?2"
                     " ORDER BY prefix");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region);
  std::vector<PullThroughRuleRecord> out;
  while (stmt.Step()) out.push_back(ReadRule(stmt));
  return out;
}

int64_t PullThroughStore::CountRules() {
  Stmt stmt(db_, R"sql(
    SELECT COUNT(*) FROM ecr_pull_through_rules WHERE account_id = ?1 AND region = ?2)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region);
  stmt.Step();
  return stmt.ColumnInt(0);
}

void PullThroughStore::UpdateRuleCredentials(std::string_view prefix,
                                             const std::optional<std::string>& credential,
                                             const std::optional<std::string>& role, double now) {
  Stmt stmt(db_, R"sql(
    UPDATE ecr_pull_through_rules SET credential_arn = ?4, custom_role_arn = ?5, updated_at = ?6
    WHERE account_id = ?1 AND region = ?2 AND prefix = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, prefix);
  stmt.Bind(4, credential).Bind(5, role).Bind(6, now);
  stmt.Run();
}

void PullThroughStore::DeleteRule(std::string_view prefix) {
  Stmt stmt(db_, R"sql(
    DELETE FROM ecr_pull_through_rules WHERE account_id = ?1 AND region = ?2 AND prefix = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, prefix);
  stmt.Run();
}

bool PullThroughStore::InsertTemplate(const CreationTemplateRecord& r) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_creation_templates (account_id, region, prefix, document, created_at,
        updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
    ON CONFLICT (account_id, region, prefix) DO NOTHING)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, r.prefix);
  stmt.Bind(4, r.document).Bind(5, r.created_at).Bind(6, r.updated_at);
  stmt.Run();
  return db_.Changes() > 0;
}

std::optional<CreationTemplateRecord> PullThroughStore::FindTemplate(std::string_view prefix) {
  Stmt stmt(db_, R"sql(
    SELECT prefix, document, created_at, updated_at FROM ecr_creation_templates
    WHERE account_id = ?1 AND region = ?2 AND prefix = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, prefix);
  if (!stmt.Step()) return std::nullopt;
  return ReadTemplate(stmt);
}

std::vector<CreationTemplateRecord> PullThroughStore::ListTemplates() {
  Stmt stmt(db_, R"sql(
    SELECT prefix, document, created_at, updated_at FROM ecr_creation_templates
    WHERE account_id = ?1 AND region = ?2 ORDER BY prefix)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region);
  std::vector<CreationTemplateRecord> out;
  while (stmt.Step()) out.push_back(ReadTemplate(stmt));
  return out;
}

void PullThroughStore::UpdateTemplate(std::string_view prefix, std::string_view document,
                                      double now) {
  Stmt stmt(db_, R"sql(
    UPDATE ecr_creation_templates SET document = ?4, updated_at = ?5
    WHERE account_id = ?1 AND region = ?2 AND prefix = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, prefix);
  stmt.Bind(4, document).Bind(5, now);
  stmt.Run();
}

void PullThroughStore::DeleteTemplate(std::string_view prefix) {
  Stmt stmt(db_, R"sql(
    DELETE FROM ecr_creation_templates WHERE account_id = ?1 AND region = ?2 AND prefix = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, prefix);
  stmt.Run();
}

std::optional<double> PullThroughStore::TagCheckedAt(int64_t repository_id, std::string_view tag) {
  Stmt stmt(db_, R"sql(
    SELECT checked_at FROM ecr_pull_through_tags WHERE repository_id = ?1 AND tag = ?2)sql");
  stmt.Bind(1, repository_id).Bind(2, tag);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnDouble(0);
}

bool PullThroughStore::HoldsPullThroughImages(int64_t repository_id) {
  Stmt stmt(db_, R"sql(
    SELECT EXISTS (SELECT 1 FROM ecr_pull_through_tags WHERE repository_id = ?1))sql");
  stmt.Bind(1, repository_id);
  return stmt.Step() && stmt.ColumnBool(0);
}

void PullThroughStore::SetTagChecked(int64_t repository_id, std::string_view tag, double now) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_pull_through_tags (repository_id, tag, checked_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (repository_id, tag) DO UPDATE SET checked_at = excluded.checked_at)sql");
  stmt.Bind(1, repository_id).Bind(2, tag).Bind(3, now);
  stmt.Run();
}

}  // namespace berth::storage
