#include "storage/service_history_store.h"

namespace berth::storage {

void ServiceHistoryStore::PutDeployment(const ServiceDeploymentRecord& d) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecs_service_deployments (account_id, region, cluster, service, id, status,
        created_at, document) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
    ON CONFLICT (account_id, region, cluster, service, id) DO UPDATE SET
        status = excluded.status, document = excluded.document)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, d.cluster);
  stmt.Bind(4, d.service).Bind(5, d.id).Bind(6, d.status).Bind(7, d.created_at);
  stmt.Bind(8, d.document);
  stmt.Run();
}

std::optional<ServiceDeploymentRecord> ServiceHistoryStore::FindDeployment(std::string_view cluster,
                                                                           std::string_view service,
                                                                           std::string_view id) {
  Stmt stmt(db_, R"sql(
    SELECT status, created_at, document FROM ecs_service_deployments
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND service = ?4 AND id = ?5)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, service).Bind(5, id);
  if (!stmt.Step()) return std::nullopt;
  return ServiceDeploymentRecord{std::string(cluster), std::string(service), std::string(id),
                                 stmt.ColumnText(0),   stmt.ColumnDouble(1), stmt.ColumnText(2)};
}

std::vector<ServiceDeploymentRecord> ServiceHistoryStore::Deployments(std::string_view cluster,
                                                                      std::string_view service,
                                                                      double after, double before) {
  Stmt stmt(db_, R"sql(
    SELECT id, status, created_at, document FROM ecs_service_deployments
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND service = ?4
      AND created_at > ?5 AND created_at < ?6
    ORDER BY created_at DESC, id)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, service).Bind(5, after).Bind(6, before);
  std::vector<ServiceDeploymentRecord> out;
  while (stmt.Step()) {
    out.push_back({std::string(cluster), std::string(service), stmt.ColumnText(0),
                   stmt.ColumnText(1), stmt.ColumnDouble(2), stmt.ColumnText(3)});
  }
  return out;
}

void ServiceHistoryStore::PutRevision(const ServiceRevisionRecord& r) {
  Stmt stmt(db_, R"sql(
    INSERT OR IGNORE INTO ecs_service_revisions (account_id, region, cluster, service, id,
        created_at, document) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, r.cluster);
  stmt.Bind(4, r.service).Bind(5, r.id).Bind(6, r.created_at).Bind(7, r.document);
  stmt.Run();
}

std::optional<ServiceRevisionRecord> ServiceHistoryStore::FindRevision(std::string_view cluster,
                                                                       std::string_view service,
                                                                       std::string_view id) {
  Stmt stmt(db_, R"sql(
    SELECT created_at, document FROM ecs_service_revisions
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND service = ?4 AND id = ?5)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, service).Bind(5, id);
  if (!stmt.Step()) return std::nullopt;
  return ServiceRevisionRecord{std::string(cluster), std::string(service), std::string(id),
                               stmt.ColumnDouble(0), stmt.ColumnText(1)};
}

}  // namespace berth::storage
