#include "storage/container_instance_store.h"

namespace berth::storage {
namespace {

ContainerInstanceRecord ReadInstance(const Stmt& stmt) {
  ContainerInstanceRecord r;
  r.cluster = stmt.ColumnText(0);
  r.instance_id = stmt.ColumnText(1);
  r.status = stmt.ColumnText(2);
  r.engine = stmt.ColumnText(3);
  r.registered_at = stmt.ColumnDouble(4);
  if (stmt.ColumnOptionalText(5)) r.deregistered_at = stmt.ColumnDouble(5);
  r.document = stmt.ColumnText(6);
  return r;
}

constexpr std::string_view kInstanceColumns =
    "cluster, instance_id, status, engine, registered_at, deregistered_at, document";

}  // namespace

std::optional<ContainerInstanceRecord> ContainerInstanceStore::Find(std::string_view cluster,
                                                                    std::string_view id) {
  Stmt stmt(db_, "SELECT " + std::string(kInstanceColumns) + R"sql( FROM ecs_container_instances
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND instance_id = ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster).Bind(4, id);
  if (!stmt.Step()) return std::nullopt;
  return ReadInstance(stmt);
}

std::vector<ContainerInstanceRecord> ContainerInstanceStore::List(std::string_view cluster,
                                                                  double inactive_since) {
  Stmt stmt(db_, "SELECT " + std::string(kInstanceColumns) + R"sql( FROM ecs_container_instances
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3
      AND (status != 'INACTIVE' OR deregistered_at > ?4)
    ORDER BY registered_at, instance_id)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Bind(4, inactive_since);
  std::vector<ContainerInstanceRecord> out;
  while (stmt.Step()) out.push_back(ReadInstance(stmt));
  return out;
}

std::vector<ContainerInstanceRecord> ContainerInstanceStore::ListPage(
    std::string_view cluster, double inactive_since, const std::optional<std::string>& status,
    std::string_view after, int64_t limit) {
  Stmt stmt(db_, "SELECT " + std::string(kInstanceColumns) + R"sql( FROM ecs_container_instances
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND instance_id > ?4
      AND (CASE WHEN ?5 IS NULL THEN status != 'INACTIVE' ELSE status = ?5 END)
      AND (status != 'INACTIVE' OR deregistered_at > ?6)
    ORDER BY instance_id LIMIT ?7)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster).Bind(4, after);
  stmt.Bind(5, status).Bind(6, inactive_since).Bind(7, limit);
  std::vector<ContainerInstanceRecord> out;
  while (stmt.Step()) out.push_back(ReadInstance(stmt));
  return out;
}

std::vector<ContainerInstanceRecord> InstancesOfOtherEngines(Db& db) {
  Stmt stmt(db, "SELECT " + std::string(kInstanceColumns) + R"sql( FROM ecs_container_instances
    WHERE engine != 'local' ORDER BY registered_at, instance_id)sql");
  std::vector<ContainerInstanceRecord> out;
  while (stmt.Step()) out.push_back(ReadInstance(stmt));
  return out;
}

int64_t SetEngineConnected(Db& db, std::string_view engine, bool connected) {
  Stmt stmt(db, R"sql(
    UPDATE ecs_container_instances
    SET document = json_set(document, '$.agentConnected',
                            json(CASE WHEN ?2 THEN 'true' ELSE 'false' END))
    WHERE engine = ?1 AND coalesce(json_extract(document, '$.agentConnected'), 1) != ?2)sql");
  stmt.Bind(1, engine).Bind(2, int64_t{connected ? 1 : 0});
  stmt.Run();
  return db.Changes();
}

void ContainerInstanceStore::Insert(const ContainerInstanceRecord& r) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecs_container_instances (account_id, region, cluster, instance_id, status, engine,
                                         registered_at, deregistered_at, document)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, r.cluster);
  stmt.Bind(4, r.instance_id).Bind(5, r.status).Bind(6, r.engine).Bind(7, r.registered_at);
  stmt.Bind(8, r.deregistered_at).Bind(9, r.document);
  stmt.Run();
}

void ContainerInstanceStore::Update(const ContainerInstanceRecord& r) {
  Stmt stmt(db_, R"sql(
    UPDATE ecs_container_instances SET status = ?5, deregistered_at = ?6, document = ?7,
                                       engine = ?8
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND instance_id = ?4)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, r.cluster);
  stmt.Bind(4, r.instance_id).Bind(5, r.status).Bind(6, r.deregistered_at).Bind(7, r.document);
  stmt.Bind(8, r.engine);
  stmt.Run();
}

int64_t ContainerInstanceStore::CountRegistered(std::string_view cluster) {
  Stmt stmt(db_, R"sql(
    SELECT COUNT(*) FROM ecs_container_instances
    WHERE account_id = ?1 AND region = ?2 AND cluster = ?3 AND status != 'INACTIVE')sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  stmt.Step();
  return stmt.ColumnInt(0);
}

std::optional<int64_t> ContainerInstanceStore::FleetStamp(std::string_view cluster) {
  Stmt stmt(db_, R"sql(
    SELECT stamp FROM ecs_fleet_stamps WHERE account_id = ?1 AND region = ?2 AND cluster = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, cluster);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnInt(0);
}

std::optional<CapacityProviderRecord> CapacityProviderStore::Find(std::string_view name) {
  Stmt stmt(db_, R"sql(
    SELECT name, status, created_at, document FROM ecs_capacity_providers
    WHERE account_id = ?1 AND region = ?2 AND name = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, name);
  if (!stmt.Step()) return std::nullopt;
  return CapacityProviderRecord{stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnDouble(2),
                                stmt.ColumnText(3)};
}

std::vector<CapacityProviderRecord> CapacityProviderStore::List() {
  Stmt stmt(db_, R"sql(
    SELECT name, status, created_at, document FROM ecs_capacity_providers
    WHERE account_id = ?1 AND region = ?2 ORDER BY name)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region);
  std::vector<CapacityProviderRecord> out;
  while (stmt.Step()) {
    out.push_back(
        {stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnDouble(2), stmt.ColumnText(3)});
  }
  return out;
}

void CapacityProviderStore::Upsert(const CapacityProviderRecord& r) {
  Stmt stmt(db_, R"sql(
    INSERT INTO ecs_capacity_providers (account_id, region, name, status, created_at, document)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
    ON CONFLICT (account_id, region, name) DO UPDATE SET
      status = excluded.status, created_at = excluded.created_at, document = excluded.document)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, r.name);
  stmt.Bind(4, r.status).Bind(5, r.created_at).Bind(6, r.document);
  stmt.Run();
}

void CapacityProviderStore::Remove(std::string_view name) {
  Stmt stmt(db_, R"sql(
    DELETE FROM ecs_capacity_providers WHERE account_id = ?1 AND region = ?2 AND name = ?3)sql");
  stmt.Bind(1, partition_.account_id).Bind(2, partition_.region).Bind(3, name);
  stmt.Run();
}

}  // namespace berth::storage
