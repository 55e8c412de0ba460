#include "storage/task_store.h"

#include <map>
#include <utility>

#include "storage/task_definition_store.h"

namespace berth::storage {
namespace {

constexpr std::string_view kTaskColumns =
    "account_id, region, cluster, task_id, family, revision, desired_status, last_status, "
    "launch_type, started_by, group_name, created_at, stopped_at, document, runtime, "
    "service_name, deployment_id";

TaskRecord ReadTask(const Stmt& stmt) {
  TaskRecord t;
  t.partition = {stmt.ColumnText(0), stmt.ColumnText(1)};
  t.cluster = stmt.ColumnText(2);
  t.task_id = stmt.ColumnText(3);
  t.family = stmt.ColumnText(4);
  t.revision = stmt.ColumnInt(5);
  t.desired_status = stmt.ColumnText(6);
  t.last_status = stmt.ColumnText(7);
  t.launch_type = stmt.ColumnOptionalText(8);
  t.started_by = stmt.ColumnOptionalText(9);
  t.group = stmt.ColumnOptionalText(10);
  t.created_at = stmt.ColumnDouble(11);
  if (!stmt.IsNull(12)) t.stopped_at = stmt.ColumnDouble(12);
  t.document = stmt.ColumnText(13);
  t.runtime = stmt.ColumnText(14);
  t.service_name = stmt.ColumnOptionalText(15);
  t.deployment_id = stmt.ColumnOptionalText(16);
  return t;
}

std::string SelectTasks(std::string_view rest) {
  return "SELECT " + std::string(kTaskColumns) + " FROM ecs_tasks " + std::string(rest);
}

}  // namespace

void TaskStore::Insert(const TaskRecord& t) {
  Stmt stmt(db_, "INSERT INTO ecs_tasks (" + std::string(kTaskColumns) +
                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                     " ?16, ?17)");
  stmt.Bind(1, t.partition.account_id).Bind(2, t.partition.region).Bind(3, t.cluster);
  stmt.Bind(4, t.task_id).Bind(5, t.family).Bind(6, t.revision).Bind(7, t.desired_status);
  stmt.Bind(8, t.last_status).Bind(9, t.launch_type).Bind(10, t.started_by).Bind(11, t.group);
  stmt.Bind(12, t.created_at).Bind(13, t.stopped_at).Bind(14, t.document).Bind(15, t.runtime);
  stmt.Bind(16, t.service_name).Bind(17, t.deployment_id);
  stmt.Run();
}

std::optional<TaskRecord> TaskStore::Find(const Partition& partition, std::string_view cluster,
                                          std::string_view task_id) {
  Stmt stmt(db_,
            SelectTasks("WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND task_id = ?4"));
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, cluster).Bind(4, task_id);
  if (!stmt.Step()) return std::nullopt;
  return ReadTask(stmt);
}

std::optional<TaskRecord> TaskStore::FindById(std::string_view task_id) {
  Stmt stmt(db_, SelectTasks("WHERE task_id = ?1"));
  stmt.Bind(1, task_id);
  if (!stmt.Step()) return std::nullopt;
  return ReadTask(stmt);
}

void TaskStore::Update(const TaskRecord& t) {
  Stmt stmt(db_, R"sql(
    UPDATE ecs_tasks SET desired_status = ?5, last_status = ?6, stopped_at = ?7, document = ?8,
        runtime = ?9
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND task_id = ?4)sql");
  stmt.Bind(1, t.partition.account_id).Bind(2, t.partition.region).Bind(3, t.cluster);
  stmt.Bind(4, t.task_id).Bind(5, t.desired_status).Bind(6, t.last_status).Bind(7, t.stopped_at);
  stmt.Bind(8, t.document).Bind(9, t.runtime);
  stmt.Run();
}

std::vector<std::string> TaskStore::List(const Partition& partition, const TaskFilter& f,
                                         std::string_view after, size_t limit) {
  std::string sql =
      "SELECT task_id FROM ecs_tasks WHERE account_id = ?1 AND region = ?2 AND cluster = ?3"
      " AND desired_status = ?4 AND task_id > ?5";
  if (f.family) sql += " AND family = ?6";
  if (f.started_by) sql += " AND started_by = ?7";
  if (f.launch_type) sql += " AND launch_type = ?8";
  if (f.container_instance_arn) {
    sql += " AND json_extract(document, '$.containerInstanceArn') = ?12";
  }
  if (f.group) sql += " AND group_name = ?9";
  if (f.service_name) sql += " AND service_name = ?11";
  sql += " ORDER BY task_id LIMIT ?10";
  Stmt stmt(db_, sql);
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, f.cluster);
  stmt.Bind(4, f.desired_status).Bind(5, after);
  if (f.family) stmt.Bind(6, *f.family);
  if (f.started_by) stmt.Bind(7, *f.started_by);
  if (f.launch_type) stmt.Bind(8, *f.launch_type);
  if (f.group) stmt.Bind(9, *f.group);
  if (f.service_name) stmt.Bind(11, *f.service_name);
  if (f.container_instance_arn) stmt.Bind(12, *f.container_instance_arn);
  stmt.Bind(10, static_cast<int64_t>(limit));
  std::vector<std::string> ids;
  while (stmt.Step()) ids.push_back(stmt.ColumnText(0));
  return ids;
}

std::vector<TaskRecord> TaskStore::Unfinished() {
  Stmt stmt(db_, SelectTasks("WHERE last_status != 'STOPPED' ORDER BY created_at"));
  std::vector<TaskRecord> out;
  while (stmt.Step()) out.push_back(ReadTask(stmt));
  return out;
}

std::vector<TaskRecord> TaskStore::UnfinishedKeys() {
  Stmt stmt(db_, R"sql(
    SELECT account_id, region, cluster, task_id, desired_status, last_status, created_at,
           COALESCE(json_extract(document, '$.containerInstanceArn'),
                    json_extract(runtime, '$.fargateHost')), launch_type
    FROM ecs_tasks WHERE last_status != 'STOPPED' ORDER BY created_at)sql");
  std::vector<TaskRecord> out;
  while (stmt.Step()) {
    TaskRecord t;
    t.partition = {stmt.ColumnText(0), stmt.ColumnText(1)};
    t.cluster = stmt.ColumnText(2);
    t.task_id = stmt.ColumnText(3);
    t.desired_status = stmt.ColumnText(4);
    t.last_status = stmt.ColumnText(5);
    t.created_at = stmt.ColumnDouble(6);
    if (!stmt.IsNull(7)) t.container_instance_arn = stmt.ColumnText(7);
    t.launch_type = stmt.ColumnOptionalText(8);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TaskRecord> TaskStore::KeysIn(const Partition& partition) {
  // The columns read all precede the documents.
  Stmt stmt(db_, R"sql(
    SELECT cluster, task_id, desired_status, last_status, created_at, stopped_at FROM ecs_tasks
    WHERE account_id = ?1 AND region = ?2)sql");
  stmt.Bind(1, partition.account_id).Bind(2, partition.region);
  std::vector<TaskRecord> out;
  while (stmt.Step()) {
    TaskRecord t;
    t.partition = partition;
    t.cluster = stmt.ColumnText(0);
    t.task_id = stmt.ColumnText(1);
    t.desired_status = stmt.ColumnText(2);
    t.last_status = stmt.ColumnText(3);
    t.created_at = stmt.ColumnDouble(4);
    if (!stmt.IsNull(5)) t.stopped_at = stmt.ColumnDouble(5);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TaskRecord> TaskStore::UnfinishedIn(const Partition& partition,
                                                std::string_view cluster) {
  Stmt stmt(db_, SelectTasks("WHERE account_id = ?1 AND region = ?2 AND cluster = ?3"
                             " AND last_status != 'STOPPED' ORDER BY created_at"));
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, cluster);
  std::vector<TaskRecord> out;
  while (stmt.Step()) out.push_back(ReadTask(stmt));
  return out;
}

std::vector<TaskStore::UnfinishedKey> TaskStore::UnfinishedKeysIn(const Partition& partition,
                                                                  std::string_view cluster) {
  Stmt stmt(db_, R"sql(
    SELECT t.task_id, t.family, t.revision, t.last_status, t.launch_type, t.group_name
    FROM ecs_tasks t
    WHERE t.account_id = ?1 AND t.region = ?2 AND t.cluster = ?3 AND t.last_status != 'STOPPED')sql");
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, cluster);
  std::vector<UnfinishedKey> out;
  // Whether each revision is stored, read once per revision (tasks share a few).
  TaskDefinitionStore definitions(db_, partition);
  std::map<std::pair<std::string, int64_t>, bool> exists;
  while (stmt.Step()) {
    UnfinishedKey key{stmt.ColumnText(0),
                      stmt.ColumnText(1),
                      stmt.ColumnInt(2),
                      stmt.ColumnText(3),
                      stmt.ColumnOptionalText(4),
                      stmt.ColumnOptionalText(5),
                      false};
    auto [known, fresh] = exists.try_emplace({key.family, key.revision}, false);
    if (fresh) known->second = definitions.Exists(key.family, key.revision);
    key.definition_exists = known->second;
    out.push_back(std::move(key));
  }
  return out;
}

TaskCounts TaskStore::CountActive(const Partition& partition, std::string_view cluster) {
  Stmt stmt(db_, R"sql(
    SELECT last_status, COALESCE(launch_type, '') = 'FARGATE', COUNT(*) FROM ecs_tasks
    WHERE last_status != 'STOPPED' AND account_id = ?1 AND region = ?2 AND cluster = ?3
    GROUP BY 1, 2)sql");
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, cluster);
  TaskCounts counts;
  while (stmt.Step()) {
    const std::string status = stmt.ColumnText(0);
    const bool fargate = stmt.ColumnInt(1) != 0;
    const int64_t n = stmt.ColumnInt(2);
    if (status == "RUNNING") {
      (fargate ? counts.running_fargate : counts.running_ec2) += n;
    } else if (status == "PROVISIONING" || status == "PENDING" || status == "ACTIVATING") {
      (fargate ? counts.pending_fargate : counts.pending_ec2) += n;
    }
  }
  return counts;
}

std::vector<TaskRecord> TaskStore::OfService(const Partition& partition, std::string_view cluster,
                                             std::string_view service, double stopped_since) {
  Stmt stmt(db_,
            SelectTasks("WHERE account_id = ?1 AND region = ?2 AND cluster = ?3"
                        " AND service_name = ?4 AND (last_status != 'STOPPED' OR stopped_at >= ?5)"
                        " ORDER BY created_at, task_id"));
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, cluster);
  stmt.Bind(4, service).Bind(5, stopped_since);
  std::vector<TaskRecord> out;
  while (stmt.Step()) out.push_back(ReadTask(stmt));
  return out;
}

std::vector<DeploymentTaskCounts> TaskStore::CountByDeployment(const Partition& partition,
                                                               std::string_view cluster,
                                                               std::string_view service) {
  Stmt stmt(db_, R"sql(
    SELECT deployment_id,
           SUM(last_status = 'RUNNING'),
           SUM(desired_status = 'RUNNING'
               AND last_status IN ('PROVISIONING', 'PENDING', 'ACTIVATING'))
    FROM ecs_tasks
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND service_name = ?4
      AND last_status != 'STOPPED'
    GROUP BY deployment_id)sql");
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, cluster).Bind(4, service);
  std::vector<DeploymentTaskCounts> out;
  while (stmt.Step()) {
    out.push_back({stmt.ColumnOptionalText(0).value_or(""), stmt.ColumnInt(1), stmt.ColumnInt(2)});
  }
  return out;
}

int64_t TaskStore::CountUnfinished(const Partition& partition, std::string_view cluster) {
  Stmt stmt(db_, R"sql(
    SELECT COUNT(*) FROM ecs_tasks
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND last_status != 'STOPPED')sql");
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, cluster);
  return stmt.Step() ? stmt.ColumnInt(0) : 0;
}

int64_t TaskStore::CountUsing(const Partition& partition, std::string_view family,
                              int64_t revision) {
  Stmt stmt(db_, R"sql(
    SELECT COUNT(*) FROM ecs_tasks
    WHERE account_id = ?1 AND region = ?2 AND family = ?3 AND revision = ?4
      AND last_status != 'STOPPED')sql");
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, family).Bind(4, revision);
  return stmt.Step() ? stmt.ColumnInt(0) : 0;
}

std::vector<TaskRecord> TaskStore::PurgeStopped(double before) {
  std::vector<TaskRecord> purged;
  {
    Stmt stmt(db_, SelectTasks("WHERE last_status = 'STOPPED' AND stopped_at < ?1"));
    stmt.Bind(1, before);
    while (stmt.Step()) purged.push_back(ReadTask(stmt));
  }
  Stmt remove(db_, "DELETE FROM ecs_tasks WHERE last_status = 'STOPPED' AND stopped_at < ?1");
  remove.Bind(1, before);
  remove.Run();
  return purged;
}

std::optional<std::pair<std::string, std::string>> TaskStore::FindToken(const Partition& partition,
                                                                        std::string_view token) {
  Stmt stmt(db_, R"sql(
    SELECT request_hash, task_arns FROM ecs_run_task_tokens
    WHERE account_id = ?1 AND region = ?2 AND client_token = ?3)sql");
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, token);
  if (!stmt.Step()) return std::nullopt;
  return std::make_pair(stmt.ColumnText(0), stmt.ColumnText(1));
}

void TaskStore::InsertToken(const Partition& partition, std::string_view token,
                            std::string_view request_hash, std::string_view task_arns, double now) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecs_run_task_tokens (account_id, region, client_token, request_hash, task_arns,
        created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6))sql");
  stmt.Bind(1, partition.account_id).Bind(2, partition.region).Bind(3, token);
  stmt.Bind(4, request_hash).Bind(5, task_arns).Bind(6, now);
  stmt.Run();
}

}  // namespace berth::storage
