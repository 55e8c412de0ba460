#pragma once

// A small RAII layer over the SQLite C API: Db (one connection), Stmt (one
// prepared statement) and Tx (one transaction). This is the only part of Berth
// that includes sqlite3.h; everything above it sees these three classes.
//
// Usage:
//   Db db = Db::Open(path);
//   Stmt stmt(db, "SELECT name FROM clusters WHERE account_id = ?1");
//   stmt.Bind(1, account);
//   while (stmt.Step()) names.push_back(stmt.ColumnText(0));
//
// Statements are compiled once per connection and kept: a Stmt borrows the
// compiled statement for its SQL text and gives it back (reset) when it goes
// away, so the common queries cost no parsing after their first use.
//
// Thread-safety: a Db, and the statements made from it, belong to one thread
// at a time; callers that share a connection serialise access themselves.
// Every failing call throws StorageError carrying SQLite's message and the SQL.

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace berth::storage {

// A failed SQLite call: the result code, SQLite's message and the SQL text.
class StorageError : public std::runtime_error {
 public:
  StorageError(int rc, const std::string& message, std::string_view sql);
  int rc() const noexcept { return rc_; }
  // True when the failure is a constraint violation (UNIQUE, FOREIGN KEY, ...).
  bool IsConstraint() const noexcept;
  // True when another connection holds the lock (e.g. another Berth).
  bool IsBusy() const noexcept;
  // True when the disk (or the database's size limit) refused the write.
  bool IsFull() const noexcept;

 private:
  int rc_;
};

// The outer transaction several transactions share under group commit (see
// Db::SetDeferral): whether it is over, and its error if it failed.
// Thread-safety: its members are guarded by `mutex`.
struct CommitGroup {
  std::mutex mutex;
  bool done = false;
  std::exception_ptr error;  // set when done and the group was not committed
};

// One open SQLite connection, in WAL mode with foreign keys on.
class Db {
 public:
  // How a file-backed connection locks the file. kExclusive holds the lock
  // for the connection's life (one connection per file, no lock calls per
  // transaction); kShared locks per transaction, so a second connection (the
  // background checkpointer's) can work beside it.
  enum class Locking { kExclusive, kShared };
  // A WAL grown larger by a burst of writes is cut back to this size when it
  // restarts. (Cutting back a WAL that regularly grows past it would make
  // each cycle extend the file again, a metadata change per append.)
  static constexpr int64_t kWalSizeLimitBytes = int64_t{160} << 20;
  // Opens (creating if needed) the database file at `path`; ":memory:" gives
  // a private in-memory database. Throws StorageError.
  static Db Open(const std::string& path, Locking locking = Locking::kExclusive);
  // Opens a database file no one else uses yet with journaling and syncing
  // off, for building a new database before moving it into place.
  static Db OpenForCreation(const std::string& path);
  // A read-only connection to a database another connection writes (for
  // checks): it sees what is committed, and takes no lock at opening.
  static Db OpenReadOnly(const std::string& path);

  Db(Db&&) noexcept = default;
  Db& operator=(Db&&) noexcept = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() = default;

  // Runs one or more statements that return no rows (DDL, PRAGMAs).
  void Execute(std::string_view sql);
  // Rows changed by the most recent INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // Rows changed by every INSERT/UPDATE/DELETE since the connection opened
  // (a number that only grows; equal readings mean nothing was written).
  int64_t TotalChanges() const;
  int64_t LastInsertRowId() const;
  // PRAGMA user_version, which the migration runner uses as the schema version.
  int64_t UserVersion();
  // The database's page size in bytes (a WAL frame holds one page).
  int64_t PageSize();
  void SetUserVersion(int64_t version);

  // Takes WAL checkpoints away from COMMIT: SQLite's automatic checkpoint
  // (run by whichever commit crosses 1000 WAL pages) is turned off, and
  // `on_commit` is called after every commit with the WAL's size in pages,
  // on the committing thread, to schedule checkpoints elsewhere.
  void TakeOverCheckpoints(std::function<void(int64_t wal_pages)> on_commit);

  // One checkpoint of the WAL into the database file. kPassive copies what no
  // reader still needs without waiting for anyone (with synchronous=NORMAL it
  // syncs the WAL, then the database). Returns the WAL's size and how much of
  // it is now in the database, in pages. Throws StorageError.
  struct CheckpointResult {
    int64_t wal_pages = 0;
    int64_t checkpointed_pages = 0;
  };
  CheckpointResult CheckpointPassive();
  // Copies the whole WAL into the database and truncates the WAL file to
  // nothing; waits (the busy timeout) for the write lock. Returns false when
  // a reader still on an older snapshot kept it from finishing. Throws
  // StorageError.
  bool CheckpointTruncate();

  sqlite3* handle() const { return db_.get(); }

  // Group commit. With deferral on, a Tx opens (or joins) one outer
  // transaction, the open group, as a savepoint in it, and its Commit() only
  // releases the savepoint: the group stays open for the next transaction
  // to join, and its writes are durable once CommitOpenGroup() has run. With
  // deferral off (the default) a Tx commits at once, and a Tx that finds a
  // group open commits the whole group with it.
  void SetDeferral(bool on) { defer_ = on; }
  const std::shared_ptr<CommitGroup>& open_group() const { return group_; }
  // COMMITs the open group, if any, and marks it done. On failure the group
  // is rolled back, marked failed, and the error thrown.
  void CommitOpenGroup();
  // True while a transaction is open on the connection.
  bool InTransaction() const;

 private:
  friend class Stmt;
  friend class Tx;
  // Marks the open group done, failed with `error` when not null (its
  // transaction is gone), and forgets it.
  void EndOpenGroup(std::exception_ptr error) noexcept;
  struct Closer {
    void operator()(sqlite3* db) const noexcept;
  };
  // Compiled statements not in use, by SQL text (finalized before closing).
  struct StatementCache {
    StatementCache() = default;
    StatementCache(const StatementCache&) = delete;
    StatementCache& operator=(const StatementCache&) = delete;
    ~StatementCache();
    // Nodes of an unordered_map never move, so a Stmt may keep a pointer to
    // the slot its statement came from.
    std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle;
  };
  using Slot = std::vector<sqlite3_stmt*>;
  explicit Db(sqlite3* db) : db_(db), cache_(std::make_unique<StatementCache>()) {}
  // A compiled statement for `sql` and the slot to give it back to.
  sqlite3_stmt* Borrow(std::string_view sql, Slot*& slot);
  static void Return(sqlite3_stmt* stmt, Slot* slot) noexcept;

  // The WAL hook's target (at a stable address; see TakeOverCheckpoints).
  // Declared first: destroyed after the connection that calls it.
  std::unique_ptr<std::function<void(int64_t)>> on_commit_;
  // Declared before the cache so the cache (destroyed first) finalizes
  // before close.
  std::unique_ptr<sqlite3, Closer> db_;
  std::unique_ptr<StatementCache> cache_;
  std::shared_ptr<CommitGroup> group_;  // the open group, if any
  bool defer_ = false;
};

// One prepared statement. Bind parameters are 1-based (?1, ?2, ...), columns
// 0-based, as in SQLite itself.
class Stmt {
 public:
  Stmt(Db& db, std::string_view sql);
  Stmt(Stmt&& other) noexcept : db_(other.db_), slot_(other.slot_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  // Resets the statement and gives it back to the connection's cache.
  ~Stmt();

  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, int value) = delete;  // pick a width explicitly
  Stmt& Bind(int index, double value);
  Stmt& Bind(int index, std::string_view value);
  Stmt& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Stmt& Bind(int index, const std::string& value) { return Bind(index, std::string_view(value)); }
  Stmt& Bind(int index, std::nullopt_t);
  Stmt& Bind(int index, const std::optional<std::string>& value);
  Stmt& Bind(int index, const std::optional<int64_t>& value);
  Stmt& Bind(int index, const std::optional<double>& value);
  Stmt& BindBool(int index, bool value) { return Bind(index, static_cast<int64_t>(value ? 1 : 0)); }

  // Advances to the next row; false when there are no more.
  bool Step();
  // Runs a statement expected to return no rows.
  void Run();
  // Rewinds the statement and clears its bindings so it can run again.
  void Reset();

  bool IsNull(int column) const;
  int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;
  std::optional<int64_t> ColumnOptionalInt(int column) const;
  bool ColumnBool(int column) const { return ColumnInt(column) != 0; }

 private:
  void Check(int rc) const;
  Db* db_;
  Db::Slot* slot_ = nullptr;
  sqlite3_stmt* stmt_;
};

// A write transaction (BEGIN IMMEDIATE), or a savepoint in the connection's
// open commit group (see Db::SetDeferral). Rolls back in its destructor unless
// Commit() ran, a savepoint only its own writes. Neither copyable nor
// movable; never nest one in another.
class Tx {
 public:
  explicit Tx(Db& db);
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  Tx(Tx&&) = delete;
  Tx& operator=(Tx&&) = delete;
  ~Tx();

  void Commit();

 private:
  Db& db_;
  bool grouped_ = false;  // a savepoint in the open group
  bool done_ = false;
};

}  // namespace berth::storage
