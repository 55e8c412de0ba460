#include "storage/migrations.h"

#include <array>
#include <stdexcept>
#include <string>

namespace berth::storage {
namespace {

// Every table is keyed by (account_id, region, ...): state is partitioned the
// way AWS partitions it. Nested AWS documents are stored as JSON text; only the
// fields that queries filter or sort on are columns.
constexpr std::array<std::string_view, 1> kMigrations = {
    // 1: the foundation: key/value metadata, resource tags, ECR repositories
    // and registry settings, ECS clusters, task definitions, account settings
    // and attributes.
    R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE resource_tags (
  resource_arn TEXT NOT NULL,
  tag_key      TEXT NOT NULL,
  tag_value    TEXT NOT NULL,
  position     INTEGER NOT NULL,
  PRIMARY KEY (resource_arn, tag_key)
) WITHOUT ROWID;

CREATE TABLE ecr_repositories (
  id                    INTEGER PRIMARY KEY,
  account_id            TEXT NOT NULL,
  region                TEXT NOT NULL,
  name                  TEXT NOT NULL,
  created_at            REAL NOT NULL,
  tag_mutability        TEXT NOT NULL,
  mutability_exclusions TEXT,
  scan_on_push          INTEGER NOT NULL,
  encryption_type       TEXT NOT NULL,
  kms_key               TEXT,
  policy_text           TEXT,
  lifecycle_policy      TEXT,
  lifecycle_evaluated_at REAL,
  UNIQUE (account_id, region, name)
);

CREATE TABLE ecr_registries (
  account_id             TEXT NOT NULL,
  region                 TEXT NOT NULL,
  policy_text            TEXT,
  scanning_configuration TEXT,
  replication_configuration TEXT,
  PRIMARY KEY (account_id, region)
) WITHOUT ROWID;

CREATE TABLE ecs_clusters (
  account_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  name       TEXT NOT NULL,
  status     TEXT NOT NULL,
  created_at REAL NOT NULL,
  document   TEXT NOT NULL,
  PRIMARY KEY (account_id, region, name)
) WITHOUT ROWID;

CREATE TABLE ecs_task_definition_families (
  account_id    TEXT NOT NULL,
  region        TEXT NOT NULL,
  family        TEXT NOT NULL,
  last_revision INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, family)
) WITHOUT ROWID;

CREATE TABLE ecs_task_definitions (
  account_id          TEXT NOT NULL,
  region              TEXT NOT NULL,
  family              TEXT NOT NULL,
  revision            INTEGER NOT NULL,
  status              TEXT NOT NULL,
  registered_at       REAL NOT NULL,
  deregistered_at     REAL,
  delete_requested_at REAL,
  document            TEXT NOT NULL,
  PRIMARY KEY (account_id, region, family, revision)
) WITHOUT ROWID;
CREATE INDEX ecs_task_definitions_by_status
  ON ecs_task_definitions (account_id, region, status, family, revision);

CREATE TABLE ecs_account_settings (
  account_id    TEXT NOT NULL,
  region        TEXT NOT NULL,
  principal_arn TEXT NOT NULL,
  name          TEXT NOT NULL,
  value         TEXT NOT NULL,
  PRIMARY KEY (account_id, region, principal_arn, name)
) WITHOUT ROWID;

CREATE TABLE ecs_attributes (
  account_id  TEXT NOT NULL,
  region      TEXT NOT NULL,
  cluster     TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  name        TEXT NOT NULL,
  value       TEXT,
  PRIMARY KEY (account_id, region, cluster, target_id, name)
) WITHOUT ROWID;
)sql",
};

}  // namespace

std::span<const std::string_view> Migrations() { return kMigrations; }

int64_t LatestSchemaVersion() { return static_cast<int64_t>(kMigrations.size()); }

void Migrate(Db& db) {
  const int64_t current = db.UserVersion();
  const int64_t latest = LatestSchemaVersion();
  if (current > latest) {
    throw std::runtime_error("the database has schema version " + std::to_string(current) +
                             ", newer than this Berth understands (" + std::to_string(latest) +
                             "); use a newer Berth or another --data-dir");
  }
  for (int64_t version = current; version < latest; ++version) {
    Tx tx(db);
    db.Execute(kMigrations[static_cast<size_t>(version)]);
    db.SetUserVersion(version + 1);
    tx.Commit();
  }
}

}  // namespace berth::storage
