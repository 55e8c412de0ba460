#include "storage/database.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>
#include <vector>

#include "storage/migrations.h"

namespace berth::storage {
namespace {

// Creates a new, fully migrated database at `path`. It is built beside the
// target without journal or syncs (nothing else can see it yet), synced once,
// then renamed into place: a crash leaves either no database or a complete
// one, and a first start costs one fdatasync instead of half a dozen.
void CreateFresh(const std::string& path) {
  const std::string building = path + ".new";
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    std::filesystem::remove(building + suffix);
  }
  {
    Db db = Db::OpenForCreation(building);
    Migrate(db);
    db.Execute("PRAGMA journal_mode=WAL");
  }  // closing checkpoints and removes the WAL
  const int fd = ::open(building.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fdatasync(fd) != 0) {
    const std::string error = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot sync " + building + ": " + error);
  }
  ::close(fd);
  std::filesystem::rename(building, path);
}

Db OpenOrCreate(const std::string& path) {
  try {
    if (path != ":memory:" && !std::filesystem::exists(path)) CreateFresh(path);
    return Db::Open(path);
  } catch (const StorageError& e) {
    if (!e.IsBusy()) throw;
    throw std::runtime_error("another process (another Berth?) is using " + path +
                             "; give each Berth its own --data-dir");
  }
}

}  // namespace

Database::Database(const std::string& path) : db_(OpenOrCreate(path)) { Migrate(db_); }

int64_t Database::ChangeCount() {
  auto lease = Acquire();
  return lease.db().TotalChanges();
}

void Database::Reset() {
  auto lease = Acquire();
  std::vector<std::string> tables;
  {
    Stmt stmt(db_,
              "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'meta' "
              "AND name NOT LIKE 'sqlite_%'");
    while (stmt.Step()) tables.push_back(stmt.ColumnText(0));
  }
  Tx tx(db_);
  for (const auto& table : tables) db_.Execute("DELETE FROM \"" + table + "\"");
  tx.Commit();
}

}  // namespace berth::storage
