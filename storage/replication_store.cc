#include "storage/replication_store.h"

#include <algorithm>

namespace berth::storage {
namespace {

constexpr std::string_view kReplicationColumns =
    "account_id, region, repository_name, image_digest, dest_region, dest_registry, status, "
    "failure_code, tags, updated_at";

// Tags travel as one line each (a tag cannot hold a newline).
std::vector<std::string> SplitTags(const std::string& text) {
  std::vector<std::string> tags;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) tags.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return tags;
}

std::string JoinTags(const std::vector<std::string>& tags) {
  std::string text;
  for (const auto& tag : tags) text += tag + "\n";
  return text;
}

ReplicationRecord ReadRecord(const Stmt& stmt) {
  ReplicationRecord r;
  r.source = {stmt.ColumnText(0), stmt.ColumnText(1)};
  r.repository = stmt.ColumnText(2);
  r.digest = stmt.ColumnText(3);
  r.destination = {stmt.ColumnText(5), stmt.ColumnText(4)};
  r.status = stmt.ColumnText(6);
  r.failure_code = stmt.ColumnOptionalText(7);
  r.tags = SplitTags(stmt.ColumnText(8));
  r.updated_at = stmt.ColumnDouble(9);
  return r;
}

}  // namespace

void ReplicationStore::Enqueue(const Partition& source, std::string_view repository,
                               std::string_view digest, const Partition& destination,
                               std::string_view tag, double now) {
  std::vector<std::string> tags;
  {
    Stmt stmt(db_, R"sql(
      SELECT status, tags FROM ecr_replication_statuses
      WHERE account_id = ?1 AND region = ?2 AND repository_name = ?3 AND image_digest = ?4
        AND dest_region = ?5 AND dest_registry = ?6)sql");
    stmt.Bind(1, source.account_id).Bind(2, source.region).Bind(3, repository).Bind(4, digest);
    stmt.Bind(5, destination.region).Bind(6, destination.account_id);
    if (stmt.Step() && stmt.ColumnText(0) == "IN_PROGRESS") tags = SplitTags(stmt.ColumnText(1));
  }
  if (!tag.empty() && std::find(tags.begin(), tags.end(), tag) == tags.end()) {
    tags.emplace_back(tag);
  }
  Stmt stmt(db_, R"sql(
    INSERT INTO ecr_replication_statuses (account_id, region, repository_name, image_digest,
        dest_region, dest_registry, status, failure_code, tags, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'IN_PROGRESS', NULL, ?7, ?8)
    ON CONFLICT DO UPDATE SET status = 'IN_PROGRESS', failure_code = NULL,
        tags = excluded.tags, updated_at = excluded.updated_at)sql");
  stmt.Bind(1, source.account_id).Bind(2, source.region).Bind(3, repository).Bind(4, digest);
  stmt.Bind(5, destination.region).Bind(6, destination.account_id);
  stmt.Bind(7, JoinTags(tags)).Bind(8, now);
  stmt.Run();
}

std::vector<ReplicationRecord> ReplicationStore::Pending(size_t limit) {
  Stmt stmt(db_, std::string("SELECT ") + std::string(kReplicationColumns) +
                     " FROM ecr_replication_statuses WHERE status = 'IN_PROGRESS'"
                     " ORDER BY updated_at LIMIT ?1");
  stmt.Bind(1, static_cast<int64_t>(limit));
  std::vector<ReplicationRecord> out;
  while (stmt.Step()) out.push_back(ReadRecord(stmt));
  return out;
}

void ReplicationStore::Finish(const ReplicationRecord& r, std::string_view status,
                              const std::optional<std::string>& failure_code, double now) {
  Stmt stmt(db_, R"sql(
    UPDATE ecr_replication_statuses SET status = ?7, failure_code = ?8, tags = '',
        updated_at = ?9
    WHERE account_id = ?1 AND region = ?2 AND repository_name = ?3 AND image_digest = ?4
      AND dest_region = ?5 AND dest_registry = ?6)sql");
  stmt.Bind(1, r.source.account_id).Bind(2, r.source.region).Bind(3, r.repository);
  stmt.Bind(4, r.digest).Bind(5, r.destination.region).Bind(6, r.destination.account_id);
  stmt.Bind(7, status).Bind(8, failure_code).Bind(9, now);
  stmt.Run();
}

std::vector<ReplicationRecord> ReplicationStore::ForImage(const Partition& source,
                                                          std::string_view repository,
                                                          std::string_view digest) {
  Stmt stmt(db_, std::string("SELECT ") + std::string(kReplicationColumns) +
                     " FROM ecr_replication_statuses WHERE account_id = ?1 AND region = ?2"
                     " AND repository_name = ?3 AND image_digest = ?4"
                     " ORDER BY dest_region, dest_registry");
  stmt.Bind(1, source.account_id).Bind(2, source.region).Bind(3, repository).Bind(4, digest);
  std::vector<ReplicationRecord> out;
  while (stmt.Step()) out.push_back(ReadRecord(stmt));
  return out;
}

}  // namespace berth::storage
