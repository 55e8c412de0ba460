#include "storage/cluster_store.h"

namespace berth::storage {

std::optional<ClusterRecord> ClusterStore::Find(std::string_view name) {
  Stmt stmt(db_, R"sql(
    SELECT name, status, created_at, document FROM ecs_clusters
    WHERE account_id = ?1 AND region = ?2 AND name = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, name);
  if (!stmt.Step()) return std::nullopt;
  return ClusterRecord{stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnDouble(2),
                       stmt.ColumnText(3)};
}

void ClusterStore::Upsert(const ClusterRecord& c) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecs_clusters (account_id, region, name, status, created_at, document)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
    ON CONFLICT (account_id, region, name) DO UPDATE SET
      status = excluded.status, created_at = excluded.created_at, document = excluded.document,
      deleted_at = NULL)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, c.name);
  stmt.Bind(4, c.status).Bind(5, c.created_at).Bind(6, c.document);
  stmt.Run();
}

void ClusterStore::UpdateDocument(std::string_view name, std::string_view document) {
  Stmt stmt(db_, R"sql(
    UPDATE ecs_clusters SET document = ?4 WHERE account_id = ?1 AND region = ?2 AND name = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, name).Bind(4, document);
  stmt.Run();
}

void ClusterStore::UpdateStatus(std::string_view name, std::string_view status) {
  Stmt stmt(db_, R"sql(
    UPDATE ecs_clusters SET status = ?4 WHERE account_id = ?1 AND region = ?2 AND name = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, name).Bind(4, status);
  stmt.Run();
}

std::vector<std::string> ClusterStore::ListActiveNames(std::string_view after_name, size_t limit) {
  Stmt stmt(db_, R"sql(
    SELECT name FROM ecs_clusters
    WHERE account_id = ?1 AND region = ?2 AND status = 'ACTIVE' AND name > ?3
    ORDER BY name LIMIT ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, after_name);
  stmt.Bind(4, static_cast<int64_t>(limit));
  std::vector<std::string> names;
  while (stmt.Step()) names.push_back(stmt.ColumnText(0));
  return names;
}

void ClusterStore::MarkInactive(std::string_view name, double now) {
  Stmt stmt(db_, R"sql(
    UPDATE ecs_clusters SET status = 'INACTIVE', deleted_at = ?4
    WHERE account_id = ?1 AND region = ?2 AND name = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, name).Bind(4, now);
  stmt.Run();
}

std::vector<std::string> ClusterStore::ListNames(std::string_view after_name, size_t limit,
                                                 double inactive_since) {
  Stmt stmt(db_, R"sql(
    SELECT name FROM ecs_clusters
    WHERE account_id = ?1 AND region = ?2 AND name > ?3
      AND (status = 'ACTIVE' OR deleted_at > ?5)
    ORDER BY name LIMIT ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, after_name);
  stmt.Bind(4, static_cast<int64_t>(limit)).Bind(5, inactive_since);
  std::vector<std::string> names;
  while (stmt.Step()) names.push_back(stmt.ColumnText(0));
  return names;
}

}  // namespace berth::storage
