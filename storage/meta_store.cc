#include "storage/meta_store.h"

namespace berth::storage {

std::optional<std::string> MetaStore::Get(std::string_view key) {
  Stmt stmt(db_, "SELECT value FROM meta WHERE key = ?1");
  stmt.Bind(1, key);
  if (!stmt.Step()) return std::nullopt;
  return stmt.ColumnText(0);
}

void MetaStore::Set(std::string_view key, std::string_view value) {
  Stmt stmt(db_, R"sql(
    INSERT INTO meta (key, value) VALUES (?1, ?2)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value)sql");
  stmt.Bind(1, key).Bind(2, value);
  stmt.Run();
}

}  // namespace berth::storage
