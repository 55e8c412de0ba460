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
#include <memory>
#include <mutex>
#include <string>

#include "storage/sqlite/db.h"
#include "storage/wal_checkpointer.h"

namespace berth::storage {

class Database {
 public:
  // Opens (creating if needed) and migrates the database at `path`
  // (":memory:" for tests). Throws StorageError or std::runtime_error.
  explicit Database(const std::string& path);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Exclusive use of the connection while the lease lives.
  class Lease {
   public:
    Db& db() { return db_; }

   private:
    friend class Database;
    Lease(std::mutex& mutex, Db& db) : lock_(mutex), db_(db) {}
    std::unique_lock<std::mutex> lock_;
    Db& db_;
  };
  [[nodiscard]] Lease Acquire() {
    if (checkpointer_) checkpointer_->WaitForCatchUp();
    return Lease(mutex_, db_);
  }

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
  std::mutex mutex_;
  std::unique_ptr<FileLock> lock_;
  Db db_;
  // After db_: stopped before the writers' connection closes.
  std::unique_ptr<WalCheckpointer> checkpointer_;
};

}  // namespace berth::storage
