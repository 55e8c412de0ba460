#include "storage/database.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <sys/file.h>
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

std::runtime_error InUse(const std::string& path) {
  return std::runtime_error("another process (another Berth?) is using " + path +
                            "; give each Berth its own --data-dir");
}

bool IsFile(const std::string& path) { return path != ":memory:"; }

Db OpenOrCreate(const std::string& path) {
  try {
    return Db::Open(path, IsFile(path) ? Db::Locking::kShared : Db::Locking::kExclusive);
  } catch (const StorageError& e) {
    if (!e.IsBusy()) throw;
    throw InUse(path);
  }
}

std::unique_ptr<Database::FileLock> CreateAndLock(const std::string& path) {
  if (!IsFile(path)) return nullptr;
  if (!std::filesystem::exists(path)) CreateFresh(path);
  return std::make_unique<Database::FileLock>(path);
}

}  // namespace

Database::FileLock::FileLock(const std::string& path)
    : fd_(::open(path.c_str(), O_RDWR | O_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw InUse(path);
  }
}

Database::FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

Database::Database(const std::string& path) : lock_(CreateAndLock(path)), db_(OpenOrCreate(path)) {
  Migrate(db_);
  if (IsFile(path)) {
    checkpointer_ = std::make_unique<WalCheckpointer>(path, mutex_);
    db_.TakeOverCheckpoints(
        [checkpointer = checkpointer_.get()](int64_t pages) { checkpointer->OnCommit(pages); });
  }
}

Database::~Database() {
  // The thread goes before the connection it reports to.
  checkpointer_.reset();
}

WalCheckpointer::Stats Database::CheckpointStats() const {
  return checkpointer_ ? checkpointer_->stats() : WalCheckpointer::Stats{};
}

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
