#include "storage/migrations.h"

#include <array>
#include <stdexcept>
#include <string>

namespace berth::storage {
namespace {

// Every table is keyed by (account_id, region, ...): state is partitioned the
// way AWS partitions it. Nested AWS documents are stored as JSON text; only the
// fields that queries filter or sort on are columns.
constexpr std::array<std::string_view, 12> kMigrations = {
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

    // 2: images. Blob bytes live in content-addressed files (BlobStore); these
    // tables say which blobs exist, which a repository may serve, the images
    // (one manifest each) with their tags and what they refer to, and the
    // upload sessions in progress.
    R"sql(
CREATE TABLE blobs (
  digest     TEXT PRIMARY KEY,
  size       INTEGER NOT NULL,
  created_at REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE ecr_repository_blobs (
  repository_id INTEGER NOT NULL REFERENCES ecr_repositories (id) ON DELETE CASCADE,
  digest        TEXT NOT NULL REFERENCES blobs (digest),
  added_at      REAL NOT NULL,
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX ecr_repository_blobs_by_digest ON ecr_repository_blobs (digest);

CREATE TABLE ecr_images (
  repository_id       INTEGER NOT NULL REFERENCES ecr_repositories (id) ON DELETE CASCADE,
  digest              TEXT NOT NULL,
  media_type          TEXT NOT NULL,
  artifact_media_type TEXT,
  artifact_type       TEXT,
  manifest_size       INTEGER NOT NULL,
  image_size          INTEGER NOT NULL,
  subject_digest      TEXT,
  annotations         TEXT,
  pushed_at           REAL NOT NULL,
  last_pulled_at      REAL,
  scanned_at          REAL,
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX ecr_images_by_subject ON ecr_images (repository_id, subject_digest);
CREATE INDEX ecr_images_by_push ON ecr_images (repository_id, pushed_at);

CREATE TABLE ecr_image_tags (
  repository_id INTEGER NOT NULL,
  tag           TEXT NOT NULL,
  digest        TEXT NOT NULL,
  PRIMARY KEY (repository_id, tag),
  FOREIGN KEY (repository_id, digest) REFERENCES ecr_images (repository_id, digest)
    ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX ecr_image_tags_by_digest ON ecr_image_tags (repository_id, digest);

CREATE TABLE ecr_image_references (
  repository_id INTEGER NOT NULL,
  digest        TEXT NOT NULL,
  child_digest  TEXT NOT NULL,
  kind          TEXT NOT NULL,
  PRIMARY KEY (repository_id, digest, child_digest),
  FOREIGN KEY (repository_id, digest) REFERENCES ecr_images (repository_id, digest)
    ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX ecr_image_references_by_child ON ecr_image_references (child_digest, repository_id);

CREATE TABLE ecr_uploads (
  uuid          TEXT PRIMARY KEY,
  repository_id INTEGER NOT NULL REFERENCES ecr_repositories (id) ON DELETE CASCADE,
  started_at    REAL NOT NULL,
  updated_at    REAL NOT NULL
) WITHOUT ROWID;
)sql",

    // 3: ECS tasks. `document` is the Task as DescribeTasks serves it (tags
    // live in resource_tags); `runtime` is Berth's own record of how the task
    // runs locally (container ids, resolved images, notes on fields it cannot
    // honour). Idempotency tokens of RunTask live beside them.
    R"sql(
CREATE TABLE ecs_tasks (
  account_id     TEXT NOT NULL,
  region         TEXT NOT NULL,
  cluster        TEXT NOT NULL,
  task_id        TEXT NOT NULL,
  family         TEXT NOT NULL,
  revision       INTEGER NOT NULL,
  desired_status TEXT NOT NULL,
  last_status    TEXT NOT NULL,
  launch_type    TEXT,
  started_by     TEXT,
  group_name     TEXT,
  created_at     REAL NOT NULL,
  stopped_at     REAL,
  document       TEXT NOT NULL,
  runtime        TEXT NOT NULL,
  PRIMARY KEY (account_id, region, cluster, task_id)
) WITHOUT ROWID;
CREATE INDEX ecs_tasks_unfinished ON ecs_tasks (last_status) WHERE last_status != 'STOPPED';
CREATE INDEX ecs_tasks_by_desired ON ecs_tasks (account_id, region, cluster, desired_status, task_id);

CREATE TABLE ecs_run_task_tokens (
  account_id   TEXT NOT NULL,
  region       TEXT NOT NULL,
  client_token TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  task_arns    TEXT NOT NULL,
  created_at   REAL NOT NULL,
  PRIMARY KEY (account_id, region, client_token)
) WITHOUT ROWID;
)sql",

    // 4: ECS services. A service row holds its configuration as the API
    // echoes it and the scheduler's own notes; its deployments (ECS
    // deployments and EXTERNAL task sets are one kind of record, as on ECS)
    // run tasks that name them; events, service deployments and service
    // revisions are kept per service. Tasks learn which service and
    // deployment they belong to; task scale-in protection and the
    // idempotency tokens of the service APIs live beside them.
    R"sql(
ALTER TABLE ecs_tasks ADD COLUMN service_name TEXT;
ALTER TABLE ecs_tasks ADD COLUMN deployment_id TEXT;
-- Covering: DescribeServices counts a service's tasks per deployment from the
-- index alone (the table's row holds the documents first).
CREATE INDEX ecs_tasks_by_service
  ON ecs_tasks (account_id, region, cluster, service_name, deployment_id, last_status,
                desired_status) WHERE service_name IS NOT NULL;

CREATE TABLE ecs_services (
  account_id          TEXT NOT NULL,
  region              TEXT NOT NULL,
  cluster             TEXT NOT NULL,
  name                TEXT NOT NULL,
  status              TEXT NOT NULL,
  desired_count       INTEGER NOT NULL,
  scheduling_strategy TEXT NOT NULL,
  controller          TEXT NOT NULL,
  launch_type         TEXT,
  namespace           TEXT,
  created_at          REAL NOT NULL,
  updated_at          REAL NOT NULL,
  document            TEXT NOT NULL,
  scheduler           TEXT NOT NULL,
  PRIMARY KEY (account_id, region, cluster, name)
) WITHOUT ROWID;
CREATE INDEX ecs_services_live ON ecs_services (status) WHERE status != 'INACTIVE';

CREATE TABLE ecs_deployments (
  account_id         TEXT NOT NULL,
  region             TEXT NOT NULL,
  cluster            TEXT NOT NULL,
  service            TEXT NOT NULL,
  id                 TEXT NOT NULL,
  status             TEXT NOT NULL,
  task_definition    TEXT NOT NULL,
  desired_count      INTEGER NOT NULL,
  failed_tasks       INTEGER NOT NULL,
  rollout_state      TEXT,
  rollout_reason     TEXT,
  created_at         REAL NOT NULL,
  updated_at         REAL NOT NULL,
  service_deployment TEXT,
  document           TEXT NOT NULL,
  PRIMARY KEY (account_id, region, cluster, service, id)
) WITHOUT ROWID;

CREATE TABLE ecs_service_events (
  account_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  cluster    TEXT NOT NULL,
  service    TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  id         TEXT NOT NULL,
  created_at REAL NOT NULL,
  message    TEXT NOT NULL,
  PRIMARY KEY (account_id, region, cluster, service, seq)
) WITHOUT ROWID;

CREATE TABLE ecs_service_deployments (
  account_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  cluster    TEXT NOT NULL,
  service    TEXT NOT NULL,
  id         TEXT NOT NULL,
  status     TEXT NOT NULL,
  created_at REAL NOT NULL,
  document   TEXT NOT NULL,
  PRIMARY KEY (account_id, region, cluster, service, id)
) WITHOUT ROWID;

CREATE TABLE ecs_service_revisions (
  account_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  cluster    TEXT NOT NULL,
  service    TEXT NOT NULL,
  id         TEXT NOT NULL,
  created_at REAL NOT NULL,
  document   TEXT NOT NULL,
  PRIMARY KEY (account_id, region, cluster, service, id)
) WITHOUT ROWID;

CREATE TABLE ecs_task_protection (
  account_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  cluster    TEXT NOT NULL,
  task_id    TEXT NOT NULL,
  expires_at REAL NOT NULL,
  PRIMARY KEY (account_id, region, cluster, task_id)
) WITHOUT ROWID;

CREATE TABLE ecs_client_tokens (
  account_id   TEXT NOT NULL,
  region       TEXT NOT NULL,
  operation    TEXT NOT NULL,
  client_token TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  result       TEXT NOT NULL,
  created_at   REAL NOT NULL,
  PRIMARY KEY (account_id, region, operation, client_token)
) WITHOUT ROWID;
)sql",
    // 5: CloudWatch Logs. Groups per account and region; streams and events
    // refer to their group by id and are deleted with it by LogStore. Times
    // are epoch milliseconds, as the Logs API has them. An event's `seq` (its
    // rowid) is its insertion order: it breaks timestamp ties and names the
    // event (eventId); each events index ends in it implicitly, so reads by
    // (stream, timestamp, seq) and by (group, timestamp, seq) are range scans.
    // Collector cursors record how far a container's output has been stored.
    R"sql(
CREATE TABLE log_groups (
  id                  INTEGER PRIMARY KEY,
  account_id          TEXT NOT NULL,
  region              TEXT NOT NULL,
  name                TEXT NOT NULL,
  created_at          INTEGER NOT NULL,
  retention_days      INTEGER,
  kms_key_id          TEXT,
  log_group_class     TEXT NOT NULL,
  deletion_protection INTEGER NOT NULL,
  stored_bytes        INTEGER NOT NULL,
  UNIQUE (account_id, region, name)
);

CREATE TABLE log_streams (
  id                INTEGER PRIMARY KEY,
  group_id          INTEGER NOT NULL,
  name              TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  first_event_at    INTEGER,
  last_event_at     INTEGER,
  last_ingestion_at INTEGER,
  sequence_token    TEXT,
  UNIQUE (group_id, name)
);
CREATE INDEX log_streams_by_last_event ON log_streams (group_id, last_event_at, name);

CREATE TABLE log_events (
  seq            INTEGER PRIMARY KEY,
  group_id       INTEGER NOT NULL,
  stream_id      INTEGER NOT NULL,
  timestamp      INTEGER NOT NULL,
  ingestion_time INTEGER NOT NULL,
  message        TEXT NOT NULL
);
CREATE INDEX log_events_by_stream ON log_events (stream_id, timestamp);
CREATE INDEX log_events_by_group ON log_events (group_id, timestamp);

CREATE TABLE log_collector_cursors (
  key    TEXT PRIMARY KEY,
  cursor TEXT NOT NULL
) WITHOUT ROWID;
)sql",

    // 6 (issue 11, lifecycle): ECR image storage classes (archive/restore),
    // lifecycle policy previews, and when a repository's link to a blob lost
    // its last referring image (blob GC keeps it for a grace period after).
    R"sql(
ALTER TABLE ecr_images ADD COLUMN image_status TEXT NOT NULL DEFAULT 'ACTIVE';
ALTER TABLE ecr_images ADD COLUMN last_archived_at REAL;
ALTER TABLE ecr_images ADD COLUMN last_activated_at REAL;
ALTER TABLE ecr_images ADD COLUMN activating_until REAL;
CREATE INDEX ecr_images_activating ON ecr_images (image_status, activating_until);
-- Is a blob some image's manifest (garbage collection asks per digest)?
CREATE INDEX ecr_images_by_digest ON ecr_images (digest);

ALTER TABLE ecr_repository_blobs ADD COLUMN unreferenced_at REAL;

CREATE TABLE ecr_lifecycle_previews (
  repository_id INTEGER PRIMARY KEY REFERENCES ecr_repositories (id) ON DELETE CASCADE,
  policy_text   TEXT NOT NULL,
  status        TEXT NOT NULL,
  started_at    REAL NOT NULL,
  results       TEXT
);
)sql",

    // 7 (issue 11, pull-through cache and creation templates): ECR pull-through
    // cache rules and repository creation templates per registry, keyed by
    // their prefix; when each cached tag was last checked upstream.
    R"sql(
CREATE TABLE ecr_pull_through_rules (
  account_id        TEXT NOT NULL,
  region            TEXT NOT NULL,
  prefix            TEXT NOT NULL,
  upstream_url      TEXT NOT NULL,
  upstream_registry TEXT NOT NULL,
  credential_arn    TEXT,
  custom_role_arn   TEXT,
  upstream_prefix   TEXT,
  created_at        REAL NOT NULL,
  updated_at        REAL NOT NULL,
  PRIMARY KEY (account_id, region, prefix)
) WITHOUT ROWID;

CREATE TABLE ecr_creation_templates (
  account_id  TEXT NOT NULL,
  region      TEXT NOT NULL,
  prefix      TEXT NOT NULL,
  document    TEXT NOT NULL,
  created_at  REAL NOT NULL,
  updated_at  REAL NOT NULL,
  PRIMARY KEY (account_id, region, prefix)
) WITHOUT ROWID;

CREATE TABLE ecr_pull_through_tags (
  repository_id INTEGER NOT NULL REFERENCES ecr_repositories (id) ON DELETE CASCADE,
  tag           TEXT NOT NULL,
  checked_at    REAL NOT NULL,
  PRIMARY KEY (repository_id, tag)
) WITHOUT ROWID;
)sql",

    // 8: ECR replication and the registry's account surface (issue 11,
    // replication). Replication statuses are the replication queue too: a
    // row IN_PROGRESS is a copy still to make (tags: the tags pushed with the
    // image, one per line). Account settings, the signing configuration,
    // per-image signing statuses and pull-time update exclusions are per
    // registry (account, region).
    R"sql(
CREATE TABLE ecr_replication_statuses (
  account_id      TEXT NOT NULL,
  region          TEXT NOT NULL,
  repository_name TEXT NOT NULL,
  image_digest    TEXT NOT NULL,
  dest_region     TEXT NOT NULL,
  dest_registry   TEXT NOT NULL,
  status          TEXT NOT NULL,
  failure_code    TEXT,
  tags            TEXT NOT NULL,
  updated_at      REAL NOT NULL,
  PRIMARY KEY (account_id, region, repository_name, image_digest, dest_region, dest_registry)
) WITHOUT ROWID;
CREATE INDEX ecr_replication_pending ON ecr_replication_statuses (status);

CREATE TABLE ecr_account_settings (
  account_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  name       TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (account_id, region, name)
) WITHOUT ROWID;

CREATE TABLE ecr_signing_configurations (
  account_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  document   TEXT NOT NULL,
  PRIMARY KEY (account_id, region)
) WITHOUT ROWID;

CREATE TABLE ecr_signing_statuses (
  account_id      TEXT NOT NULL,
  region          TEXT NOT NULL,
  repository_name TEXT NOT NULL,
  image_digest    TEXT NOT NULL,
  profile_arn     TEXT NOT NULL,
  status          TEXT NOT NULL,
  failure_code    TEXT,
  failure_reason  TEXT,
  PRIMARY KEY (account_id, region, repository_name, image_digest, profile_arn)
) WITHOUT ROWID;

CREATE TABLE ecr_pull_time_exclusions (
  account_id    TEXT NOT NULL,
  region        TEXT NOT NULL,
  principal_arn TEXT NOT NULL,
  created_at    REAL NOT NULL,
  PRIMARY KEY (account_id, region, principal_arn)
) WITHOUT ROWID;
)sql",

    // 9: ECS daemons and Express gateway services (issue 11, daemons): daemon
    // task definitions, daemons, their deployments and revisions, Express
    // configurations, as AWS documents (storage/ecs_document_store.h).
    R"sql(
CREATE TABLE ecs_documents (
  account_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  kind       TEXT NOT NULL,
  name       TEXT NOT NULL,
  id         TEXT NOT NULL,
  created_at REAL NOT NULL,
  document   TEXT NOT NULL,
  PRIMARY KEY (account_id, region, kind, name, id)
) WITHOUT ROWID;
)sql",

    // 10 (issue 11, container instances and capacity providers): container
    // instances as records (each naming the Docker engine it stands for),
    // user capacity providers, and when a cluster was deleted (INACTIVE
    // clusters stay listed for an hour).
    R"sql(
CREATE TABLE ecs_container_instances (
  account_id      TEXT NOT NULL,
  region          TEXT NOT NULL,
  cluster         TEXT NOT NULL,
  instance_id     TEXT NOT NULL,
  status          TEXT NOT NULL,
  engine          TEXT NOT NULL,
  registered_at   REAL NOT NULL,
  deregistered_at REAL,
  document        TEXT NOT NULL,
  PRIMARY KEY (account_id, region, cluster, instance_id)
) WITHOUT ROWID;

CREATE TABLE ecs_capacity_providers (
  account_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  name       TEXT NOT NULL,
  status     TEXT NOT NULL,
  created_at REAL NOT NULL,
  document   TEXT NOT NULL,
  PRIMARY KEY (account_id, region, name)
) WITHOUT ROWID;

ALTER TABLE ecs_clusters ADD COLUMN deleted_at REAL;
)sql",

    // 11 (issue 13, placement at 10,000 instances): a stamp per cluster that
    // every write to its container instances or their attributes replaces
    // with a fresh random number, in the same transaction (by triggers, so
    // that no write path can forget it, and a rollback restores the stamp
    // with the rows). Placement keeps an in-memory view of a cluster's
    // instances and rebuilds it when the stamp differs from the one it was
    // built at. A cluster without a stamp has never had an instance. The
    // triggers neither REPLACE nor UPSERT: the conflict clause of the
    // statement that fires them (PutAttribute's ON CONFLICT) would override
    // theirs. And what placement reads of a cluster's unfinished tasks at
    // every placement, in an index of its own: the task rows hold their
    // documents, which the small page cache cannot keep.
    R"sql(
CREATE INDEX ecs_tasks_unfinished_keys
  ON ecs_tasks (account_id, region, cluster, task_id, family, revision, last_status, launch_type,
                group_name) WHERE last_status != 'STOPPED';

CREATE TABLE ecs_fleet_stamps (
  account_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  cluster    TEXT NOT NULL,
  stamp      INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, cluster)
) WITHOUT ROWID;

INSERT INTO ecs_fleet_stamps (account_id, region, cluster, stamp)
  SELECT account_id, region, cluster, random() FROM (
    SELECT account_id, region, cluster FROM ecs_container_instances
    UNION SELECT account_id, region, cluster FROM ecs_attributes);

CREATE TRIGGER ecs_container_instances_stamp_insert AFTER INSERT ON ecs_container_instances
BEGIN
  UPDATE ecs_fleet_stamps SET stamp = random()
    WHERE account_id = NEW.account_id AND region = NEW.region AND cluster = NEW.cluster;
  INSERT INTO ecs_fleet_stamps SELECT NEW.account_id, NEW.region, NEW.cluster, random()
    WHERE NOT EXISTS (SELECT 1 FROM ecs_fleet_stamps WHERE account_id = NEW.account_id
                      AND region = NEW.region AND cluster = NEW.cluster);
END;
CREATE TRIGGER ecs_container_instances_stamp_update AFTER UPDATE ON ecs_container_instances
BEGIN
  UPDATE ecs_fleet_stamps SET stamp = random()
    WHERE account_id = OLD.account_id AND region = OLD.region AND cluster = OLD.cluster;
  INSERT INTO ecs_fleet_stamps SELECT OLD.account_id, OLD.region, OLD.cluster, random()
    WHERE NOT EXISTS (SELECT 1 FROM ecs_fleet_stamps WHERE account_id = OLD.account_id
                      AND region = OLD.region AND cluster = OLD.cluster);
  UPDATE ecs_fleet_stamps SET stamp = random()
    WHERE account_id = NEW.account_id AND region = NEW.region AND cluster = NEW.cluster;
  INSERT INTO ecs_fleet_stamps SELECT NEW.account_id, NEW.region, NEW.cluster, random()
    WHERE NOT EXISTS (SELECT 1 FROM ecs_fleet_stamps WHERE account_id = NEW.account_id
                      AND region = NEW.region AND cluster = NEW.cluster);
END;
CREATE TRIGGER ecs_container_instances_stamp_delete AFTER DELETE ON ecs_container_instances
BEGIN
  UPDATE ecs_fleet_stamps SET stamp = random()
    WHERE account_id = OLD.account_id AND region = OLD.region AND cluster = OLD.cluster;
  INSERT INTO ecs_fleet_stamps SELECT OLD.account_id, OLD.region, OLD.cluster, random()
    WHERE NOT EXISTS (SELECT 1 FROM ecs_fleet_stamps WHERE account_id = OLD.account_id
                      AND region = OLD.region AND cluster = OLD.cluster);
END;
CREATE TRIGGER ecs_attributes_stamp_insert AFTER INSERT ON ecs_attributes
BEGIN
  UPDATE ecs_fleet_stamps SET stamp = random()
    WHERE account_id = NEW.account_id AND region = NEW.region AND cluster = NEW.cluster;
  INSERT INTO ecs_fleet_stamps SELECT NEW.account_id, NEW.region, NEW.cluster, random()
    WHERE NOT EXISTS (SELECT 1 FROM ecs_fleet_stamps WHERE account_id = NEW.account_id
                      AND region = NEW.region AND cluster = NEW.cluster);
END;
CREATE TRIGGER ecs_attributes_stamp_update AFTER UPDATE ON ecs_attributes
BEGIN
  UPDATE ecs_fleet_stamps SET stamp = random()
    WHERE account_id = OLD.account_id AND region = OLD.region AND cluster = OLD.cluster;
  INSERT INTO ecs_fleet_stamps SELECT OLD.account_id, OLD.region, OLD.cluster, random()
    WHERE NOT EXISTS (SELECT 1 FROM ecs_fleet_stamps WHERE account_id = OLD.account_id
                      AND region = OLD.region AND cluster = OLD.cluster);
  UPDATE ecs_fleet_stamps SET stamp = random()
    WHERE account_id = NEW.account_id AND region = NEW.region AND cluster = NEW.cluster;
  INSERT INTO ecs_fleet_stamps SELECT NEW.account_id, NEW.region, NEW.cluster, random()
    WHERE NOT EXISTS (SELECT 1 FROM ecs_fleet_stamps WHERE account_id = NEW.account_id
                      AND region = NEW.region AND cluster = NEW.cluster);
END;
CREATE TRIGGER ecs_attributes_stamp_delete AFTER DELETE ON ecs_attributes
BEGIN
  UPDATE ecs_fleet_stamps SET stamp = random()
    WHERE account_id = OLD.account_id AND region = OLD.region AND cluster = OLD.cluster;
  INSERT INTO ecs_fleet_stamps SELECT OLD.account_id, OLD.region, OLD.cluster, random()
    WHERE NOT EXISTS (SELECT 1 FROM ecs_fleet_stamps WHERE account_id = OLD.account_id
                      AND region = OLD.region AND cluster = OLD.cluster);
END;
)sql",
    // 12: task definitions in a rowid table. In a WITHOUT ROWID table every
    // interior cell of the b-tree holds a whole row, and a revision's row is
    // its document (hundreds of bytes): interior pages held six rows each,
    // the tree grew five levels deep, and every few registrations split a
    // page on each level, each one more page in the commit's WAL append. In
    // a rowid table interior pages hold rowids (hundreds per page), rows
    // append at the right edge, and the key is a unique index of small
    // entries.
    R"sql(
CREATE TABLE ecs_task_definitions_rowid (
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
);
INSERT INTO ecs_task_definitions_rowid (account_id, region, family, revision, status,
    registered_at, deregistered_at, delete_requested_at, document)
  SELECT account_id, region, family, revision, status, registered_at, deregistered_at,
         delete_requested_at, document
  FROM ecs_task_definitions ORDER BY account_id, region, family, revision;
DROP TABLE ecs_task_definitions;
ALTER TABLE ecs_task_definitions_rowid RENAME TO ecs_task_definitions;
CREATE INDEX ecs_task_definitions_by_status
  ON ecs_task_definitions (account_id, region, status, family, revision);
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
