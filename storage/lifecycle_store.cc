#include "storage/lifecycle_store.h"

namespace berth::storage {

std::vector<PolicyRepository> LifecycleStore::RepositoriesWithPolicy() {
  Stmt stmt(db_, R"sql(
    SELECT id, lifecycle_policy FROM ecr_repositories
    WHERE lifecycle_policy IS NOT NULL ORDER BY id)sql");
  std::vector<PolicyRepository> out;
  while (stmt.Step()) out.push_back({stmt.ColumnInt(0), stmt.ColumnText(1)});
  return out;
}

std::optional<std::string> LifecycleStore::Policy(int64_t repository_id) {
  Stmt stmt(db_, "SELECT lifecycle_policy FROM ecr_repositories WHERE id = ?1");
  stmt.Bind(1, repository_id);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnOptionalText(0);
}

std::vector<LifecycleCandidate> LifecycleStore::Candidates(int64_t repository_id) {
  // Tags are joined with a space (tags never contain one), in order.
  Stmt stmt(db_, R"sql(
    SELECT i.digest, i.pushed_at, i.last_pulled_at, i.last_archived_at, i.last_activated_at,
           i.image_status,
           EXISTS (SELECT 1 FROM ecr_image_references r
                   WHERE r.child_digest = i.digest AND r.repository_id = i.repository_id),
           (SELECT group_concat(tag, ' ') FROM
               (SELECT t.tag FROM ecr_image_tags t
                WHERE t.repository_id = i.repository_id AND t.digest = i.digest ORDER BY t.tag))
    FROM ecr_images i WHERE i.repository_id = ?1)sql");
  stmt.Bind(1, repository_id);
  std::vector<LifecycleCandidate> out;
  while (stmt.Step()) {
    LifecycleCandidate c;
    c.digest = stmt.ColumnText(0);
    c.pushed_at = stmt.ColumnDouble(1);
    if (!stmt.IsNull(2)) c.last_pulled_at = stmt.ColumnDouble(2);
    if (!stmt.IsNull(3)) c.last_archived_at = stmt.ColumnDouble(3);
    if (!stmt.IsNull(4)) c.last_activated_at = stmt.ColumnDouble(4);
    c.image_status = stmt.ColumnText(5);
    c.in_index = stmt.ColumnBool(6);
    if (!stmt.IsNull(7)) {
      const std::string joined = stmt.ColumnText(7);
      size_t start = 0;
      while (start <= joined.size()) {
        const size_t space = joined.find(' ', start);
        const size_t end = space == std::string::npos ? joined.size() : space;
        if (end > start) c.tags.push_back(joined.substr(start, end - start));
        if (space == std::string::npos) break;
        start = space + 1;
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

void LifecycleStore::StampEvaluated(int64_t repository_id, double now) {
  Stmt stmt(db_, "UPDATE ecr_repositories SET lifecycle_evaluated_at = ?2 WHERE id = ?1");
  stmt.Bind(1, repository_id).Bind(2, now);
  stmt.Run();
}

void LifecycleStore::StartPreview(int64_t repository_id, std::string_view policy_text, double now) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_lifecycle_previews (repository_id, policy_text, status, started_at, results)
    VALUES (?1, ?2, 'IN_PROGRESS', ?3, NULL)
    ON CONFLICT (repository_id) DO UPDATE SET policy_text = excluded.policy_text,
        status = 'IN_PROGRESS', started_at = excluded.started_at, results = NULL)sql");
  stmt.Bind(1, repository_id).Bind(2, policy_text).Bind(3, now);
  stmt.Run();
}

void LifecycleStore::FinishPreview(int64_t repository_id, std::string_view status,
                                   std::string_view results) {
  Stmt stmt(db_, R"sql(
    UPDATE ecr_lifecycle_previews SET status = ?2, results = ?3 WHERE repository_id = ?1)sql");
  stmt.Bind(1, repository_id).Bind(2, status).Bind(3, results);
  stmt.Run();
}

std::optional<PreviewRecord> LifecycleStore::FindPreview(int64_t repository_id) {
  Stmt stmt(db_, R"sql(
    SELECT policy_text, status, started_at, results FROM ecr_lifecycle_previews
    WHERE repository_id = ?1)sql");
  stmt.Bind(1, repository_id);
  if (!stmt.Step()) return std::nullopt;
  return PreviewRecord{stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnDouble(2),
                       stmt.ColumnOptionalText(3)};
}

std::vector<int64_t> LifecycleStore::PreviewsInProgress() {
  Stmt stmt(db_, "SELECT repository_id FROM ecr_lifecycle_previews WHERE status = 'IN_PROGRESS'");
  std::vector<int64_t> out;
  while (stmt.Step()) out.push_back(stmt.ColumnInt(0));
  return out;
}

}  // namespace berth::storage
