#include "storage/tag_store.h"

namespace berth::storage {

std::vector<Tag> TagStore::List(std::string_view arn) {
  Stmt stmt(db_, R"sql(
    SELECT tag_key, tag_value FROM resource_tags WHERE resource_arn = ?1 ORDER BY position)sql");
  stmt.Bind(1, arn);
  std::vector<Tag> tags;
  while (stmt.Step()) tags.push_back({stmt.ColumnText(0), stmt.ColumnText(1)});
  return tags;
}

size_t TagStore::Count(std::string_view arn) {
  Stmt stmt(db_, "SELECT COUNT(*) FROM resource_tags WHERE resource_arn = ?1");
  stmt.Bind(1, arn);
  return stmt.Step() ? static_cast<size_t>(stmt.ColumnInt(0)) : 0;
}

void TagStore::Put(std::string_view arn, const std::vector<Tag>& tags) {
  if (tags.empty()) return;
  Stmt stmt(db_, R"sql(
    INSERT INTO resource_tags (resource_arn, tag_key, tag_value, position)
    VALUES (?1, ?2, ?3,
            (SELECT COALESCE(MAX(position), 0) + 1 FROM resource_tags WHERE resource_arn = ?1))
    ON CONFLICT (resource_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value)sql");
  for (const auto& tag : tags) {
    stmt.Bind(1, arn).Bind(2, tag.key).Bind(3, tag.value);
    stmt.Run();
    stmt.Reset();
  }
}

void TagStore::Remove(std::string_view arn, const std::vector<std::string>& keys) {
  Stmt stmt(db_, "DELETE FROM resource_tags WHERE resource_arn = ?1 AND tag_key = ?2");
  for (const auto& key : keys) {
    stmt.Bind(1, arn).Bind(2, key);
    stmt.Run();
    stmt.Reset();
  }
}

void TagStore::RemoveAll(std::string_view arn) {
  Stmt stmt(db_, "DELETE FROM resource_tags WHERE resource_arn = ?1");
  stmt.Bind(1, arn);
  stmt.Run();
}

}  // namespace berth::storage
