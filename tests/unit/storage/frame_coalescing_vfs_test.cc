#include "storage/sqlite/frame_coalescing_vfs.h"

#include <cstdint>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "storage/sqlite/db.h"
#include "tests/support/temp_dir.h"

namespace berth::storage {
namespace {

constexpr int64_t kWalHeaderBytes = 32;
constexpr int64_t kFrameHeaderBytes = 24;

// The writers' kind of connection to `path`, with a table `rows` and no
// automatic checkpoints (the WAL keeps every frame until a test checkpoints).
Db OpenWithRows(const std::string& path) {
  Db db = Db::Open(path, Db::Locking::kShared);
  db.Execute("PRAGMA wal_autocheckpoint=0");
  db.Execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, value TEXT NOT NULL)");
  return db;
}

int64_t Count(Db& db) {
  Stmt count(db, "SELECT count(*) FROM rows");
  return count.Step() ? count.ColumnInt(0) : -1;
}

std::string IntegrityOf(Db& db) {
  Stmt check(db, "PRAGMA integrity_check");
  return check.Step() ? check.ColumnText(0) : "";
}

// One transaction per row; rows of every size from a few bytes to several
// pages (overflow pages), so that commits write from one to many frames.
void WriteRows(Db& db, int count) {
  for (int i = 0; i < count; ++i) {
    Tx tx(db);
    Stmt(db, "INSERT INTO rows (value) VALUES (?1)")
        .Bind(1, std::string(static_cast<size_t>(1 + (i * 997) % 20000),
                             'a' + static_cast<char>(i % 26)))
        .Run();
    tx.Commit();
  }
}

TEST(FrameCoalescingVfsTest, IsRegistered) { EXPECT_NE(FrameCoalescingVfsName(), nullptr); }

// After every commit the WAL on disk holds whole frames: no frame header is
// left waiting in the file's buffer once SQLite has returned.
TEST(FrameCoalescingVfsTest, ACommittedWalHoldsWholeFrames) {
  berth::testing::TempDir dir("berth-frames");
  const std::string path = dir.path() + "/berth.db";
  Db db = OpenWithRows(path);
  const int64_t frame = db.PageSize() + kFrameHeaderBytes;
  for (int i = 0; i < 40; ++i) {
    WriteRows(db, 1);
    const auto wal = static_cast<int64_t>(std::filesystem::file_size(path + "-wal"));
    ASSERT_GT(wal, kWalHeaderBytes);
    EXPECT_EQ((wal - kWalHeaderBytes) % frame, 0) << "after commit " << i << ": " << wal;
  }
}

// The files as a kill -9 leaves them (copied while the connection is open,
// without a checkpoint) recover every committed row.
TEST(FrameCoalescingVfsTest, FilesLeftByACrashRecoverEveryCommit) {
  berth::testing::TempDir dir("berth-frames");
  const std::string path = dir.path() + "/berth.db";
  const std::string copy = dir.path() + "/copy.db";
  Db db = OpenWithRows(path);
  WriteRows(db, 300);
  std::filesystem::copy_file(path, copy);
  std::filesystem::copy_file(path + "-wal", copy + "-wal");

  Db recovered = Db::Open(copy, Db::Locking::kShared);
  EXPECT_EQ(Count(recovered), 300);
  EXPECT_EQ(IntegrityOf(recovered), "ok");
  EXPECT_EQ(Count(db), 300);
}

// Reads, checkpoints and a WAL restart in between writes see and keep every
// write (each of them writes a waiting header first).
TEST(FrameCoalescingVfsTest, CheckpointsAndRestartsKeepEveryRow) {
  berth::testing::TempDir dir("berth-frames");
  const std::string path = dir.path() + "/berth.db";
  {
    Db db = OpenWithRows(path);
    for (int round = 0; round < 5; ++round) {
      WriteRows(db, 50);
      EXPECT_EQ(Count(db), 50 * (round + 1));
      db.Execute(round % 2 == 0 ? "PRAGMA wal_checkpoint(TRUNCATE)"
                                : "PRAGMA wal_checkpoint(PASSIVE)");
    }
    EXPECT_EQ(IntegrityOf(db), "ok");
  }
  Db reopened = Db::Open(path, Db::Locking::kShared);
  EXPECT_EQ(Count(reopened), 250);
  EXPECT_EQ(IntegrityOf(reopened), "ok");
}

}  // namespace
}  // namespace berth::storage
