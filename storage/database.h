#pragma once

// The database the API threads share: one SQLite connection guarded by a
// mutex, opened and migrated at start-up. Callers take a Lease for the span of
// one request's reads and writes (never across a Docker call). A file-backed
// database is checkpointed by a WalCheckpointer on its own thread and
// connection, never inside a request's COMMIT; the file is locked (flock) for
// the Database's life: one Berth per data directory.
//
// Thread-safety: Acquire() may be called from any thread; a Lease gives its
// holder exclusive use of the connection until it is destroyed.

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/spinning_mutex.h"
#include "storage/sqlite/db.h"
#include "storage/wal_checkpointer.h"

namespace berth::storage {

class Database {
 public:
  // Opens (creating if needed) and migrates the database at `path`
  // (":memory:" for tests). Throws StorageError or std::runtime_error.
  explicit Database(const std::string& path, WalCheckpointLimits limits = {});
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Exclusive use of the connection while the lease lives. A lease taken
  // inside a RequestScope defers its commits to the open group.
  class Lease {
   public:
    Db& db() { return db_; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease(Lease&&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

   private:
    friend class Database;
    Lease(Database& database, Db& db);
    Database& database_;
    std::unique_lock<SpinningMutex> lock_;
    Db& db_;
  };
  [[nodiscard]] Lease Acquire() {
    if (checkpointer_) checkpointer_->WaitForCatchUp();
    return Lease(*this, db_);
  }

  // Group commit for the requests of the API threads. While a RequestScope
  // lives on a thread, the leases that thread takes leave their commits to
  // the connection's open group, which the next lease joins, so that
  // concurrent requests share one COMMIT (one WAL append of each page they
  // touched, one BEGIN). The request's reply must wait for Settle(): it
  // commits the group if no one has yet and tells whether the request's
  // writes, and what it read, are durable. A lease taken outside a scope
  // (the reconciler, the registry) commits at once, the open group with it.
  class RequestScope {
   public:
    explicit RequestScope(Database& database);
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;
    ~RequestScope();
    // What the request's reply waits for: a function that makes the groups
    // the request took part in durable and returns their error (null when
    // all were committed); empty when nothing is pending.
    std::function<std::exception_ptr()> Settler();

   private:
    friend class Database;
    friend class Lease;
    Database& database_;
    RequestScope* previous_;
    std::vector<std::shared_ptr<CommitGroup>> groups_;
  };
  // Commits `group` if it is still open; its error, null when committed.
  std::exception_ptr Settle(const std::shared_ptr<CommitGroup>& group);

  // A number that grows with every row any write changes (all writes go
  // through this one connection): equal readings mean nothing was written in
  // between. Takes the lease for an instant; for cheap change checks.
  int64_t ChangeCount();

  // Deletes every resource (all tables but `meta`) in one transaction. Used
  // by POST /_berth/reset. Throws StorageError.
  void Reset();

  // The background checkpointer's figures (all zero for ":memory:").
  WalCheckpointer::Stats CheckpointStats() const;

 public:
  // Holds an flock on the database file; closed (unlocking) when destroyed.
  class FileLock {
   public:
    explicit FileLock(const std::string& path);
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

   private:
    int fd_ = -1;
  };

 private:
  SpinningMutex mutex_;
  std::unique_ptr<FileLock> lock_;
  Db db_;
  // After db_: stopped before the writers' connection closes.
  std::unique_ptr<WalCheckpointer> checkpointer_;
};

}  // namespace berth::storage
