#include "storage/sqlite/db.h"

#include <string>
#include <utility>

#include <sqlite3.h>

#include "storage/sqlite/frame_coalescing_vfs.h"

namespace berth::storage {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr int kOpenBusyTimeoutMs = 300;

std::string Message(sqlite3* db, int rc) {
  if (db != nullptr) return sqlite3_errmsg(db);
  return sqlite3_errstr(rc);
}

}  // namespace

StorageError::StorageError(int rc, const std::string& message, std::string_view sql)
    : std::runtime_error(sql.empty() ? message
                                     : message + " [" + std::string(sql.substr(0, 200)) + "]"),
      rc_(rc) {}

bool StorageError::IsBusy() const noexcept { return (rc_ & 0xff) == SQLITE_BUSY; }

bool StorageError::IsFull() const noexcept { return (rc_ & 0xff) == SQLITE_FULL; }

bool StorageError::IsConstraint() const noexcept { return (rc_ & 0xff) == SQLITE_CONSTRAINT; }

void Db::Closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

Db Db::Open(const std::string& path, Locking locking) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, FrameCoalescingVfsName());
  Db db(raw);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) throw StorageError(rc, Message(raw, rc), "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  if (path != ":memory:") {
    // Exclusive locking: no file locks per transaction, and a second
    // connection fails at once. Shared locking lets the checkpointer's
    // connection work beside this one.
    sqlite3_busy_timeout(raw, kOpenBusyTimeoutMs);
    if (locking == Locking::kExclusive) db.Execute("PRAGMA locking_mode=EXCLUSIVE");
    db.Execute("PRAGMA journal_mode=WAL");
    // NORMAL sync is durable across a process crash (the case that matters
    // for a local emulator); WAL is synced at checkpoints.
    db.Execute("PRAGMA synchronous=NORMAL");
    // Take the lock now rather than at the first request (and, shared,
    // check that no one holds it exclusively).
    db.Execute("BEGIN IMMEDIATE; COMMIT");
    db.Execute("PRAGMA journal_size_limit=" + std::to_string(kWalSizeLimitBytes));
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  db.Execute("PRAGMA foreign_keys=ON");
  // A small page cache: Berth's working set is tiny, and SQLite's default
  // 2 MB would be most of the process's memory.
  db.Execute("PRAGMA cache_size=-256");
  return db;
}

Db Db::OpenForCreation(const std::string& path) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) throw StorageError(rc, Message(raw, rc), "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  db.Execute("PRAGMA journal_mode=OFF");
  db.Execute("PRAGMA synchronous=OFF");
  return db;
}

Db Db::OpenReadOnly(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) throw StorageError(rc, Message(raw, rc), "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

void Db::Execute(std::string_view sql) {
  const std::string text(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : Message(db_.get(), rc);
    sqlite3_free(error);
    throw StorageError(rc, message, sql);
  }
}

void Db::TakeOverCheckpoints(std::function<void(int64_t wal_pages)> on_commit) {
  on_commit_ = std::make_unique<std::function<void(int64_t)>>(std::move(on_commit));
  // Replaces the hook sqlite3_wal_autocheckpoint installs: no automatic
  // checkpoints from here on.
  sqlite3_wal_hook(
      db_.get(),
      [](void* target, sqlite3* /*db*/, const char* /*schema*/, int pages) -> int {
        try {
          (*static_cast<std::function<void(int64_t)>*>(target))(pages);
        } catch (...) {  // NOLINT(bugprone-empty-catch): never across the C API
        }
        return SQLITE_OK;
      },
      on_commit_.get());
}

Db::CheckpointResult Db::CheckpointPassive() {
  int wal_pages = 0;
  int checkpointed = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                           &wal_pages, &checkpointed);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    throw StorageError(rc, Message(db_.get(), rc), "wal_checkpoint(PASSIVE)");
  }
  return {wal_pages, checkpointed};
}

bool Db::CheckpointTruncate() {
  const int rc =
      sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  if (rc == SQLITE_BUSY) return false;
  if (rc != SQLITE_OK) throw StorageError(rc, Message(db_.get(), rc), "wal_checkpoint(TRUNCATE)");
  return true;
}

int64_t Db::Changes() const { return sqlite3_changes64(db_.get()); }

int64_t Db::TotalChanges() const { return sqlite3_total_changes64(db_.get()); }

int64_t Db::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_.get()); }

int64_t Db::UserVersion() {
  Stmt stmt(*this, "PRAGMA user_version");
  return stmt.Step() ? stmt.ColumnInt(0) : 0;
}

int64_t Db::PageSize() {
  Stmt stmt(*this, "PRAGMA page_size");
  return stmt.Step() ? stmt.ColumnInt(0) : 0;
}

void Db::SetUserVersion(int64_t version) {
  Execute("PRAGMA user_version=" + std::to_string(version));
}

Db::StatementCache::~StatementCache() {
  for (auto& [sql, statements] : idle) {
    for (sqlite3_stmt* stmt : statements) sqlite3_finalize(stmt);
  }
}

sqlite3_stmt* Db::Borrow(std::string_view sql, Slot*& slot) {
  slot = &cache_->idle.try_emplace(std::string(sql)).first->second;
  if (!slot->empty()) {
    sqlite3_stmt* stmt = slot->back();
    slot->pop_back();
    return stmt;
  }
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    throw StorageError(rc, Message(db_.get(), rc), sql);
  }
  return raw;
}

void Db::Return(sqlite3_stmt* stmt, Slot* slot) noexcept {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  try {
    slot->push_back(stmt);
  } catch (...) {  // out of memory: just drop it
    sqlite3_finalize(stmt);
  }
}

Stmt::Stmt(Db& db, std::string_view sql) : db_(&db), stmt_(db.Borrow(sql, slot_)) {}

Stmt::~Stmt() {
  if (stmt_ != nullptr) Db::Return(stmt_, slot_);
}

void Stmt::Check(int rc) const {
  if (rc != SQLITE_OK) {
    throw StorageError(rc, Message(db_->handle(), rc), sqlite3_sql(stmt_));
  }
}

Stmt& Stmt::Bind(int index, int64_t value) {
  Check(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Stmt& Stmt::Bind(int index, double value) {
  Check(sqlite3_bind_double(stmt_, index, value));
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view value) {
  Check(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Stmt& Stmt::Bind(int index, std::nullopt_t) {
  Check(sqlite3_bind_null(stmt_, index));
  return *this;
}

Stmt& Stmt::Bind(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, std::string_view(*value)) : Bind(index, std::nullopt);
}

Stmt& Stmt::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : Bind(index, std::nullopt);
}

Stmt& Stmt::Bind(int index, const std::optional<double>& value) {
  return value ? Bind(index, *value) : Bind(index, std::nullopt);
}

bool Stmt::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw StorageError(rc, Message(db_->handle(), rc), sqlite3_sql(stmt_));
}

void Stmt::Run() {
  while (Step()) {
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Stmt::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t Stmt::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

double Stmt::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Stmt::ColumnText(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  const auto size = static_cast<size_t>(sqlite3_column_bytes(stmt_, column));
  return std::string(reinterpret_cast<const char*>(text), size);
}

std::optional<std::string> Stmt::ColumnOptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnText(column);
}

std::optional<int64_t> Stmt::ColumnOptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnInt(column);
}

namespace {
// A group's error when SQLite itself ended its transaction.
std::exception_ptr RolledBack() {
  return std::make_exception_ptr(
      std::runtime_error("a write failed and SQLite rolled back the shared transaction"));
}
}  // namespace

bool Db::InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

void Db::EndOpenGroup(std::exception_ptr error) noexcept {
  if (!group_) return;
  {
    const std::lock_guard lock(group_->mutex);
    group_->done = true;
    group_->error = std::move(error);
  }
  group_.reset();
}

void Db::CommitOpenGroup() {
  if (!group_) return;
  try {
    Stmt(*this, "COMMIT").Run();
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    if (InTransaction()) {
      try {
        Stmt(*this, "ROLLBACK").Run();
      } catch (...) {  // NOLINT(bugprone-empty-catch): the COMMIT's error is the one to report
      }
    }
    EndOpenGroup(error);
    throw;
  }
  EndOpenGroup(nullptr);
}

Tx::Tx(Db& db) : db_(db) {
  if (db_.group_ && !db_.InTransaction()) {
    // A statement outside any Tx failed in a way that rolled the group back.
    db_.EndOpenGroup(RolledBack());
  }
  if (!db_.group_) {
    Stmt(db_, "BEGIN IMMEDIATE").Run();
    if (!db_.defer_) return;
    db_.group_ = std::make_shared<CommitGroup>();
  }
  try {
    Stmt(db_, "SAVEPOINT tx").Run();
  } catch (...) {
    // The group cannot take this transaction: end it, as failed when its
    // transaction is gone.
    if (!db_.InTransaction()) db_.EndOpenGroup(std::current_exception());
    throw;
  }
  grouped_ = true;
}

Tx::~Tx() {
  if (done_) return;
  try {
    if (!grouped_) {
      Stmt(db_, "ROLLBACK").Run();
      return;
    }
    Stmt(db_, "ROLLBACK TO tx").Run();
    Stmt(db_, "RELEASE tx").Run();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
  // An error that made SQLite roll back the whole transaction (a full disk,
  // say) took the group's other writes with it.
  if (grouped_ && !db_.InTransaction()) {
    db_.EndOpenGroup(RolledBack());
  }
}

void Tx::Commit() {
  if (!grouped_) {
    Stmt(db_, "COMMIT").Run();
    done_ = true;
    return;
  }
  Stmt(db_, "RELEASE tx").Run();
  done_ = true;
  if (!db_.defer_) db_.CommitOpenGroup();
}

}  // namespace berth::storage
