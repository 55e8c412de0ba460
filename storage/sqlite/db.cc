#include "storage/sqlite/db.h"

#include <sqlite3.h>

#include <string>

namespace berth::storage {
namespace {

constexpr int kBusyTimeoutMs = 5000;

std::string Message(sqlite3* db, int rc) {
  if (db != nullptr) return sqlite3_errmsg(db);
  return sqlite3_errstr(rc);
}

}  // namespace

StorageError::StorageError(int rc, const std::string& message, std::string_view sql)
    : std::runtime_error(sql.empty() ? message
                                     : message + " [" + std::string(sql.substr(0, 200)) + "]"),
      rc_(rc) {}

bool StorageError::IsConstraint() const noexcept {
  return (rc_ & 0xff) == SQLITE_CONSTRAINT;
}

void Db::Closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

Db Db::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) throw StorageError(rc, Message(raw, rc), "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (path != ":memory:") {
    // WAL lets readers run beside one writer; NORMAL sync is durable across a
    // process crash (the case that matters for a local emulator).
    db.Execute("PRAGMA journal_mode=WAL");
    db.Execute("PRAGMA synchronous=NORMAL");
  }
  db.Execute("PRAGMA foreign_keys=ON");
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

int64_t Db::Changes() const { return sqlite3_changes64(db_.get()); }

int64_t Db::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_.get()); }

int64_t Db::UserVersion() {
  Stmt stmt(*this, "PRAGMA user_version");
  return stmt.Step() ? stmt.ColumnInt(0) : 0;
}

void Db::SetUserVersion(int64_t version) {
  Execute("PRAGMA user_version=" + std::to_string(version));
}

void Stmt::Finalizer::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

Stmt::Stmt(Db& db, std::string_view sql) : db_(db.handle()) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) throw StorageError(rc, Message(db_, rc), sql);
}

void Stmt::Check(int rc) const {
  if (rc != SQLITE_OK) throw StorageError(rc, Message(db_, rc), sqlite3_sql(stmt_.get()));
}

Stmt& Stmt::Bind(int index, int64_t value) {
  Check(sqlite3_bind_int64(stmt_.get(), index, value));
  return *this;
}

Stmt& Stmt::Bind(int index, double value) {
  Check(sqlite3_bind_double(stmt_.get(), index, value));
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view value) {
  Check(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT,
                            SQLITE_UTF8));
  return *this;
}

Stmt& Stmt::Bind(int index, std::nullopt_t) {
  Check(sqlite3_bind_null(stmt_.get(), index));
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
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw StorageError(rc, Message(db_, rc), sqlite3_sql(stmt_.get()));
}

void Stmt::Run() {
  while (Step()) {
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

bool Stmt::IsNull(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

int64_t Stmt::ColumnInt(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

double Stmt::ColumnDouble(int column) const { return sqlite3_column_double(stmt_.get(), column); }

std::string Stmt::ColumnText(int column) const {
  const auto* text = sqlite3_column_text(stmt_.get(), column);
  if (text == nullptr) return {};
  const auto size = static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column));
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

Tx::Tx(Db& db) : db_(db) { db_.Execute("BEGIN IMMEDIATE"); }

Tx::~Tx() {
  if (done_) return;
  try {
    db_.Execute("ROLLBACK");
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
}

void Tx::Commit() {
  db_.Execute("COMMIT");
  done_ = true;
}

}  // namespace berth::storage
