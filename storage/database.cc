#include "storage/database.h"

#include <vector>

#include "storage/migrations.h"

namespace berth::storage {

Database::Database(const std::string& path) : db_(Db::Open(path)) { Migrate(db_); }

void Database::Reset() {
  auto lease = Acquire();
  std::vector<std::string> tables;
  {
    Stmt stmt(db_, "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'meta' "
                   "AND name NOT LIKE 'sqlite_%'");
    while (stmt.Step()) tables.push_back(stmt.ColumnText(0));
  }
  Tx tx(db_);
  for (const auto& table : tables) db_.Execute("DELETE FROM \"" + table + "\"");
  tx.Commit();
}

}  // namespace berth::storage
