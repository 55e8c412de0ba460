#include "storage/service_store.h"

namespace berth::storage {
namespace {

constexpr std::string_view kServiceColumns =
    "account_id, region, cluster, name, status, desired_count, scheduling_strategy, controller, "
    "launch_type, namespace, created_at, updated_at, document, scheduler";

ServiceRecord ReadService(const Stmt& stmt) {
  ServiceRecord s;
  s.partition = {stmt.ColumnText(0), stmt.ColumnText(1)};
  s.cluster = stmt.ColumnText(2);
  s.name = stmt.ColumnText(3);
  s.status = stmt.ColumnText(4);
  s.desired_count = stmt.ColumnInt(5);
  s.scheduling_strategy = stmt.ColumnText(6);
  s.controller = stmt.ColumnText(7);
  s.launch_type = stmt.ColumnOptionalText(8);
  s.service_namespace = stmt.ColumnOptionalText(9);
  s.created_at = stmt.ColumnDouble(10);
  s.updated_at = stmt.ColumnDouble(11);
  s.document = stmt.ColumnText(12);
  s.scheduler = stmt.ColumnText(13);
  return s;
}

std::string SelectServices(std::string_view rest) {
  return "SELECT " + std::string(kServiceColumns) + " FROM ecs_services " + std::string(rest);
}

constexpr std::string_view kDeploymentColumns =
    "id, status, task_definition, desired_count, failed_tasks, rollout_state, rollout_reason, "
    "created_at, updated_at, service_deployment, document";

DeploymentRecord ReadDeployment(const Stmt& stmt) {
  DeploymentRecord d;
  d.id = stmt.ColumnText(0);
  d.status = stmt.ColumnText(1);
  d.task_definition = stmt.ColumnText(2);
  d.desired_count = stmt.ColumnInt(3);
  d.failed_tasks = stmt.ColumnInt(4);
  d.rollout_state = stmt.ColumnOptionalText(5);
  d.rollout_reason = stmt.ColumnOptionalText(6);
  d.created_at = stmt.ColumnDouble(7);
  d.updated_at = stmt.ColumnDouble(8);
  d.service_deployment = stmt.ColumnOptionalText(9);
  d.document = stmt.ColumnText(10);
  return d;
}

}  // namespace

std::optional<ServiceRecord> ServiceStore::Find(std::string_view cluster, std::string_view name) {
  Stmt stmt(db_, SelectServices("WHERE account_id = ?1 AND region = ?2 AND cluster = ?3"
                                " AND name = ?4"));
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster).Bind(4, name);
  if (!stmt.Step()) return std::nullopt;
  return ReadService(stmt);
}

void ServiceStore::Insert(const ServiceRecord& s) {
  Stmt stmt(db_, "INSERT INTO ecs_services (" + std::string(kServiceColumns) +
                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, s.cluster);
  stmt.Bind(4, s.name).Bind(5, s.status).Bind(6, s.desired_count).Bind(7, s.scheduling_strategy);
  stmt.Bind(8, s.controller).Bind(9, s.launch_type).Bind(10, s.service_namespace);
  stmt.Bind(11, s.created_at).Bind(12, s.updated_at).Bind(13, s.document).Bind(14, s.scheduler);
  stmt.Run();
}

void ServiceStore::Update(const ServiceRecord& s) {
  Stmt stmt(db_, R"sql(
    UPDATE ecs_services SET status = ?5, desired_count = ?6, scheduling_strategy = ?7,
        controller = ?8, launch_type = ?9, namespace = ?10, updated_at = ?11, document = ?12,
        scheduler = ?13
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND name = ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, s.cluster);
  stmt.Bind(4, s.name).Bind(5, s.status).Bind(6, s.desired_count).Bind(7, s.scheduling_strategy);
  stmt.Bind(8, s.controller).Bind(9, s.launch_type).Bind(10, s.service_namespace);
  stmt.Bind(11, s.updated_at).Bind(12, s.document).Bind(13, s.scheduler);
  stmt.Run();
}

void ServiceStore::Remove(std::string_view cluster, std::string_view name) {
  for (const char* table : {"ecs_services", "ecs_deployments", "ecs_service_events",
                            "ecs_service_deployments", "ecs_service_revisions"}) {
    const std::string column = std::string_view(table) == "ecs_services" ? "name" : "service";
    Stmt stmt(db_, "DELETE FROM " + std::string(table) +
                       " WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND " + column +
                       " = ?4");
    stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster).Bind(4, name);
    stmt.Run();
  }
}

std::vector<std::string> ServiceStore::ListActive(
    std::string_view cluster, std::string_view after, size_t limit,
    const std::optional<std::string>& launch_type,
    const std::optional<std::string>& scheduling_strategy) {
  std::string sql =
      "SELECT name FROM ecs_services WHERE account_id = ?1 AND region = ?2 AND cluster = ?3"
      " AND status = 'ACTIVE' AND name > ?4";
  if (launch_type) sql += " AND launch_type = ?5";
  if (scheduling_strategy) sql += " AND scheduling_strategy = ?6";
  sql += " ORDER BY name LIMIT ?7";
  Stmt stmt(db_, sql);
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster).Bind(4, after);
  if (launch_type) stmt.Bind(5, *launch_type);
  if (scheduling_strategy) stmt.Bind(6, *scheduling_strategy);
  stmt.Bind(7, static_cast<int64_t>(limit));
  std::vector<std::string> names;
  while (stmt.Step()) names.push_back(stmt.ColumnText(0));
  return names;
}

std::vector<ServiceKey> ServiceStore::ListByNamespace(std::string_view service_namespace,
                                                      std::string_view after, size_t limit) {
  Stmt stmt(db_, R"sql(
    SELECT cluster, name FROM ecs_services
    WHERE account_id = ?1 AND region = ?2 AND namespace = ?3 AND status = 'ACTIVE'
      AND cluster || '/' || name > ?4
    ORDER BY cluster, name LIMIT ?5)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, service_namespace);
  stmt.Bind(4, after).Bind(5, static_cast<int64_t>(limit));
  std::vector<ServiceKey> out;
  while (stmt.Step()) out.push_back({partition_, stmt.ColumnText(0), stmt.ColumnText(1)});
  return out;
}

bool ServiceStore::NamespaceUsed(std::string_view service_namespace) {
  Stmt stmt(db_, R"sql(
    SELECT 1 FROM ecs_services WHERE account_id = ?1 AND region = ?2 AND namespace = ?3 LIMIT 1)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, service_namespace);
  return stmt.Step();
}

int64_t ServiceStore::CountActive(std::string_view cluster) {
  Stmt stmt(db_, R"sql(
    SELECT COUNT(*) FROM ecs_services
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND status = 'ACTIVE')sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  return stmt.Step() ? stmt.ColumnInt(0) : 0;
}

int64_t ServiceStore::CountLive(std::string_view cluster) {
  Stmt stmt(db_, R"sql(
    SELECT COUNT(*) FROM ecs_services
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND status != 'INACTIVE')sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  return stmt.Step() ? stmt.ColumnInt(0) : 0;
}

ServiceCounts ServiceStore::CountByLaunchType(std::string_view cluster) {
  Stmt stmt(db_, R"sql(
    SELECT status, COALESCE(launch_type, 'FARGATE') = 'FARGATE', COUNT(*) FROM ecs_services
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND status != 'INACTIVE'
    GROUP BY 1, 2)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  ServiceCounts counts;
  while (stmt.Step()) {
    const bool active = stmt.ColumnText(0) == "ACTIVE";
    const bool fargate = stmt.ColumnInt(1) != 0;
    const int64_t n = stmt.ColumnInt(2);
    if (active) {
      (fargate ? counts.active_fargate : counts.active_ec2) += n;
    } else {
      (fargate ? counts.draining_fargate : counts.draining_ec2) += n;
    }
  }
  return counts;
}

std::vector<ServiceKey> ServiceStore::LiveKeys(Db& db) {
  Stmt stmt(db, R"sql(
    SELECT account_id, region, cluster, name FROM ecs_services WHERE status != 'INACTIVE'
    ORDER BY created_at)sql");
  std::vector<ServiceKey> out;
  while (stmt.Step()) {
    out.push_back(
        {{stmt.ColumnText(0), stmt.ColumnText(1)}, stmt.ColumnText(2), stmt.ColumnText(3)});
  }
  return out;
}

std::vector<ServiceKey> ServiceStore::InactiveBefore(Db& db, double before) {
  Stmt stmt(db, R"sql(
    SELECT account_id, region, cluster, name FROM ecs_services
    WHERE status = 'INACTIVE' AND updated_at < ?1)sql");
  stmt.Bind(1, before);
  std::vector<ServiceKey> out;
  while (stmt.Step()) {
    out.push_back(
        {{stmt.ColumnText(0), stmt.ColumnText(1)}, stmt.ColumnText(2), stmt.ColumnText(3)});
  }
  return out;
}

std::vector<DeploymentRecord> ServiceStore::Deployments(std::string_view cluster,
                                                        std::string_view service,
                                                        bool include_inactive) {
  std::string sql = "SELECT " + std::string(kDeploymentColumns) +
                    " FROM ecs_deployments WHERE account_id = ?1 AND region = ?2"
                    " AND cluster = ?3 AND service = ?4";
  if (!include_inactive) sql += " AND status != 'INACTIVE'";
  sql += " ORDER BY created_at DESC, id DESC";
  Stmt stmt(db_, sql);
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, service);
  std::vector<DeploymentRecord> out;
  while (stmt.Step()) out.push_back(ReadDeployment(stmt));
  return out;
}

std::optional<DeploymentRecord> ServiceStore::FindDeployment(std::string_view cluster,
                                                             std::string_view service,
                                                             std::string_view id) {
  Stmt stmt(db_, "SELECT " + std::string(kDeploymentColumns) +
                     " FROM ecs_deployments WHERE account_id = ?1 AND region = ?2"
                     " AND cluster = ?3 AND service = ?4 AND id = ?5");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, service).Bind(5, id);
  if (!stmt.Step()) return std::nullopt;
  return ReadDeployment(stmt);
}

void ServiceStore::PutDeployment(std::string_view cluster, std::string_view service,
                                 const DeploymentRecord& d) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecs_deployments (account_id, region, cluster, service, id, status,
        task_definition, desired_count, failed_tasks, rollout_state, rollout_reason, created_at,
        updated_at, service_deployment, document)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
    ON CONFLICT (account_id, region, cluster, service, id) DO UPDATE SET
        status = excluded.status, task_definition = excluded.task_definition,
        desired_count = excluded.desired_count, failed_tasks = excluded.failed_tasks,
        rollout_state = excluded.rollout_state, rollout_reason = excluded.rollout_reason,
        updated_at = excluded.updated_at, service_deployment = excluded.service_deployment,
        document = excluded.document)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, service).Bind(5, d.id).Bind(6, d.status).Bind(7, d.task_definition);
  stmt.Bind(8, d.desired_count).Bind(9, d.failed_tasks).Bind(10, d.rollout_state);
  stmt.Bind(11, d.rollout_reason).Bind(12, d.created_at).Bind(13, d.updated_at);
  stmt.Bind(14, d.service_deployment).Bind(15, d.document);
  stmt.Run();
}

void ServiceStore::AddEvent(std::string_view cluster, std::string_view service,
                            const ServiceEventRecord& event) {
  int64_t seq = 1;
  {
    Stmt max(db_, R"sql(
      SELECT COALESCE(MAX(seq), 0) + 1 FROM ecs_service_events
      WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND service = ?4)sql");
    max.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
    max.Bind(4, service);
    if (max.Step()) seq = max.ColumnInt(0);
  }
  Stmt insert(db_, R"sql(
    INSERT INTO ecs_service_events (account_id, region, cluster, service, seq, id, created_at,
        message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql");
  insert.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  insert.Bind(4, service).Bind(5, seq).Bind(6, event.id).Bind(7, event.created_at);
  insert.Bind(8, event.message);
  insert.Run();
  Stmt trim(db_, R"sql(
    DELETE FROM ecs_service_events
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND service = ?4 AND seq <= ?5)sql");
  trim.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  trim.Bind(4, service).Bind(5, seq - kMaxEvents);
  trim.Run();
}

std::vector<ServiceEventRecord> ServiceStore::Events(std::string_view cluster,
                                                     std::string_view service, size_t limit) {
  Stmt stmt(db_, R"sql(
    SELECT id, created_at, message FROM ecs_service_events
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND service = ?4
    ORDER BY seq DESC LIMIT ?5)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, service).Bind(5, static_cast<int64_t>(limit));
  std::vector<ServiceEventRecord> out;
  while (stmt.Step()) out.push_back({stmt.ColumnText(0), stmt.ColumnDouble(1), stmt.ColumnText(2)});
  return out;
}

}  // namespace berth::storage
