#include "storage/database.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <sys/file.h>
#include <unistd.h>
#include <utility>
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

Database::Database(const std::string& path, WalCheckpointLimits limits)
    : lock_(CreateAndLock(path)), db_(OpenOrCreate(path)) {
  Migrate(db_);
  if (IsFile(path)) {
    // A catch-up commits the group being collected (its members' replies
    // then go sooner): the WAL can restart only at a transaction begun
    // after the catch-up.
    checkpointer_ = std::make_unique<WalCheckpointer>(
        path, mutex_,
        [this] {
          try {
            db_.CommitOpenGroup();
          } catch (
              ...) {  // NOLINT(bugprone-empty-catch): recorded in the group; its members learn it
          }
        },
        limits);
    db_.TakeOverCheckpoints(
        [checkpointer = checkpointer_.get()](int64_t pages) { checkpointer->OnCommit(pages); });
  }
}

Database::~Database() {
  // Writes whose replies were held back for their group are kept: they were
  // made, only not yet acknowledged. (Under the writers' mutex: a catch-up
  // of the checkpointer commits the open group too.)
  try {
    const std::lock_guard lock(mutex_);
    db_.CommitOpenGroup();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing is left to tell
  }
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

namespace {
// The request scope of the calling thread, if any.
thread_local Database::RequestScope* t_scope = nullptr;
}  // namespace

Database::Lease::Lease(Database& database, Db& db)
    : database_(database), lock_(database.mutex_), db_(db) {
  db_.SetDeferral(t_scope != nullptr && &t_scope->database_ == &database_);
}

Database::Lease::~Lease() {
  if (const auto& group = db_.open_group()) {
    if (t_scope != nullptr && &t_scope->database_ == &database_) {
      // The request wrote into the group or read what it holds: its reply
      // waits for the group's commit.
      auto& groups = t_scope->groups_;
      if (groups.empty() || groups.back() != group) groups.push_back(group);
    } else {
      try {
        db_.CommitOpenGroup();
      } catch (...) {  // NOLINT(bugprone-empty-catch): the group's members learn it in Settle
      }
    }
  }
  db_.SetDeferral(false);
  lock_.unlock();
  // Outside the mutex: a checkpointer woken inside it could take this core
  // while every writer waits for the mutex.
  if (database_.checkpointer_) database_.checkpointer_->WakeIfDue();
}

Database::RequestScope::RequestScope(Database& database) : database_(database), previous_(t_scope) {
  t_scope = this;
}

Database::RequestScope::~RequestScope() { t_scope = previous_; }

std::function<std::exception_ptr()> Database::RequestScope::Settler() {
  if (groups_.empty()) return {};
  return [database = &database_, groups = std::move(groups_)]() -> std::exception_ptr {
    for (const auto& group : groups) {
      if (auto error = database->Settle(group)) return error;
    }
    return nullptr;
  };
}

std::exception_ptr Database::Settle(const std::shared_ptr<CommitGroup>& group) {
  {
    const std::lock_guard lock(group->mutex);
    if (group->done) return group->error;
  }
  {
    // Outside any scope: the lease commits the group if it is still open.
    struct Unscoped {
      RequestScope* saved = std::exchange(t_scope, nullptr);
      ~Unscoped() { t_scope = saved; }
    } unscoped;
    auto lease = Acquire();
    try {
      if (lease.db().open_group() == group) lease.db().CommitOpenGroup();
    } catch (...) {  // NOLINT(bugprone-empty-catch): recorded in the group
    }
  }
  const std::lock_guard lock(group->mutex);
  return group->done ? group->error
                     : std::make_exception_ptr(std::logic_error("a commit group was left open"));
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
