#include "storage/task_definition_store.h"

#include <algorithm>

namespace berth::storage {
namespace {

constexpr std::string_view kDefinitionColumns =
    "family, revision, status, registered_at, deregistered_at, delete_requested_at, document";

TaskDefinitionRecord ReadRecord(const Stmt& stmt) {
  TaskDefinitionRecord r;
  r.family = stmt.ColumnText(0);
  r.revision = stmt.ColumnInt(1);
  r.status = stmt.ColumnText(2);
  r.registered_at = stmt.ColumnDouble(3);
  if (!stmt.IsNull(4)) r.deregistered_at = stmt.ColumnDouble(4);
  if (!stmt.IsNull(5)) r.delete_requested_at = stmt.ColumnDouble(5);
  r.document = stmt.ColumnText(6);
  return r;
}

// Family names are [a-zA-Z0-9_-]; '~' sorts after all of them, so
// [prefix, prefix + "~") is exactly the families starting with prefix.
std::string PrefixEnd(std::string_view prefix) { return std::string(prefix) + "~"; }

}  // namespace

int64_t TaskDefinitionStore::NextRevision(std::string_view family) {
  // One past the highest revision the family has, or ever had: its row in
  // the families table keeps the highest deleted one (Delete), so that a
  // revision is never given twice. That row is written when the family is
  // first registered and on deletions only, not on every registration: one
  // page less in each commit's WAL.
  Stmt last(db_, R"sql(
    SELECT (SELECT MAX(revision) FROM ecs_task_definitions
            WHERE account_id = ?1 AND region = ?2 AND family = ?3),
           (SELECT last_revision FROM ecs_task_definition_families
            WHERE account_id = ?1 AND region = ?2 AND family = ?3))sql");
  last.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, family);
  last.Step();
  const bool known = !last.IsNull(1);
  const int64_t highest = std::max(last.IsNull(0) ? int64_t{0} : last.ColumnInt(0),
                                   known ? last.ColumnInt(1) : int64_t{0});
  if (!known) {
    Stmt add(db_, R"sql(
      INSERT INTO ecs_task_definition_families (account_id, region, family, last_revision)
      VALUES (?1, ?2, ?3, 0))sql");
    add.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, family).Run();
  }
  return highest + 1;
}

void TaskDefinitionStore::Insert(const TaskDefinitionRecord& r) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecs_task_definitions (account_id, region, family, revision, status,
        registered_at, deregistered_at, delete_requested_at, document)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, r.family);
  stmt.Bind(4, r.revision).Bind(5, r.status).Bind(6, r.registered_at);
  stmt.Bind(7, r.deregistered_at).Bind(8, r.delete_requested_at);
  stmt.Bind(9, r.document);
  stmt.Run();
}

std::optional<TaskDefinitionRecord> TaskDefinitionStore::Find(std::string_view family,
                                                              int64_t revision) {
  Stmt stmt(db_, std::string("SELECT ") + std::string(kDefinitionColumns) +
                     " FROM ecs_task_definitions WHERE account_id = ?1 AND region = ?2"
                     " AND family = ?3 AND revision = ?4");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, family);
  stmt.Bind(4, revision);
  if (!stmt.Step()) return std::nullopt;
  return ReadRecord(stmt);
}

bool TaskDefinitionStore::Exists(std::string_view family, int64_t revision) {
  Stmt stmt(db_,
            "SELECT 1 FROM ecs_task_definitions WHERE account_id = ?1 AND region = ?2"
            " AND family = ?3 AND revision = ?4");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, family);
  stmt.Bind(4, revision);
  return stmt.Step();
}

std::optional<TaskDefinitionRecord> TaskDefinitionStore::FindLatestActive(std::string_view family) {
  Stmt stmt(db_, std::string("SELECT ") + std::string(kDefinitionColumns) +
                     " FROM ecs_task_definitions WHERE account_id = ?1 AND region = ?2"
                     " AND status = 'ACTIVE' AND family = ?3 ORDER BY revision DESC LIMIT 1");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, family);
  if (!stmt.Step()) return std::nullopt;
  return ReadRecord(stmt);
}

void TaskDefinitionStore::UpdateStatus(std::string_view family, int64_t revision,
                                       std::string_view status,
                                       std::optional<double> deregistered_at,
                                       std::optional<double> delete_requested_at) {
  Stmt stmt(db_, R"sql(
    UPDATE ecs_task_definitions SET status = ?5, deregistered_at = ?6, delete_requested_at = ?7
    WHERE account_id = ?1 AND region = ?2 AND family = ?3 AND revision = ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, family);
  stmt.Bind(4, revision).Bind(5, status);
  stmt.Bind(6, deregistered_at).Bind(7, delete_requested_at);
  stmt.Run();
}

void TaskDefinitionStore::Delete(std::string_view family, int64_t revision) {
  Stmt stmt(db_, R"sql(
    DELETE FROM ecs_task_definitions
    WHERE account_id = ?1 AND region = ?2 AND family = ?3 AND revision = ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, family);
  stmt.Bind(4, revision);
  stmt.Run();
  // The family remembers it: its revision is never given again.
  Stmt floor(db_, R"sql(
    UPDATE ecs_task_definition_families SET last_revision = MAX(last_revision, ?4)
    WHERE account_id = ?1 AND region = ?2 AND family = ?3)sql");
  floor.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, family);
  floor.Bind(4, revision).Run();
}

std::vector<RevisionKey> TaskDefinitionStore::List(std::string_view status,
                                                   const std::optional<std::string>& family,
                                                   bool descending,
                                                   const std::optional<RevisionKey>& after,
                                                   size_t limit) {
  // Row-value comparison keeps the (status, family, revision) index usable.
  std::string sql =
      "SELECT family, revision FROM ecs_task_definitions"
      " WHERE account_id = ?1 AND region = ?2 AND status = ?3";
  if (family) sql += " AND family = ?4";
  if (after)
    sql += descending ? " AND (family, revision) < (?5, ?6)" : " AND (family, revision) > (?5, ?6)";
  sql += descending ? " ORDER BY family DESC, revision DESC" : " ORDER BY family, revision";
  sql += " LIMIT ?7";
  Stmt stmt(db_, sql);
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, status);
  if (family) stmt.Bind(4, *family);
  if (after) stmt.Bind(5, after->family).Bind(6, after->revision);
  stmt.Bind(7, static_cast<int64_t>(limit));
  std::vector<RevisionKey> keys;
  while (stmt.Step()) keys.push_back({stmt.ColumnText(0), stmt.ColumnInt(1)});
  return keys;
}

std::vector<RevisionKey> TaskDefinitionStore::ListFamilyRevisions(std::string_view status,
                                                                  std::string_view family,
                                                                  bool descending,
                                                                  std::optional<int64_t> after,
                                                                  size_t limit) {
  // Plain equality on family (no row value) keeps the seek on the whole
  // (status, family, revision) prefix of the index, with no sort step.
  std::string sql =
      "SELECT family, revision FROM ecs_task_definitions"
      " WHERE account_id = ?1 AND region = ?2 AND status = ?3 AND family = ?4";
  if (after) sql += descending ? " AND revision < ?5" : " AND revision > ?5";
  sql += descending ? " ORDER BY revision DESC" : " ORDER BY revision";
  sql += " LIMIT ?6";
  Stmt stmt(db_, sql);
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, status);
  stmt.Bind(4, family).Bind(6, static_cast<int64_t>(limit));
  if (after) stmt.Bind(5, *after);
  std::vector<RevisionKey> keys;
  while (stmt.Step()) keys.push_back({stmt.ColumnText(0), stmt.ColumnInt(1)});
  return keys;
}

std::vector<std::string> TaskDefinitionStore::ListFamilies(std::string_view prefix,
                                                           FamilyFilter filter,
                                                           std::string_view after, size_t limit) {
  std::string sql =
      "SELECT f.family FROM ecs_task_definition_families f"
      " WHERE f.account_id = ?1 AND f.region = ?2 AND f.family >= ?3 AND f.family < ?4"
      " AND f.family > ?5";
  constexpr std::string_view kHasActive =
      "EXISTS (SELECT 1 FROM ecs_task_definitions d WHERE d.account_id = f.account_id"
      " AND d.region = f.region AND d.status = 'ACTIVE' AND d.family = f.family)";
  constexpr std::string_view kHasAny =
      "EXISTS (SELECT 1 FROM ecs_task_definitions d WHERE d.account_id = f.account_id"
      " AND d.region = f.region AND d.family = f.family)";
  switch (filter) {
    case FamilyFilter::kActive:
      sql += " AND " + std::string(kHasActive);
      break;
    case FamilyFilter::kInactive:
      sql += " AND NOT " + std::string(kHasActive) + " AND " + std::string(kHasAny);
      break;
    case FamilyFilter::kAll:
      sql += " AND " + std::string(kHasAny);
      break;
  }
  sql += " ORDER BY f.family LIMIT ?6";
  Stmt stmt(db_, sql);
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, prefix);
  stmt.Bind(4, PrefixEnd(prefix)).Bind(5, after).Bind(6, static_cast<int64_t>(limit));
  std::vector<std::string> families;
  while (stmt.Step()) families.push_back(stmt.ColumnText(0));
  return families;
}

}  // namespace berth::storage
