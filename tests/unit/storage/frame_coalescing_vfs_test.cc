#include "storage/sqlite/frame_coalescing_vfs.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

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

// The files as a kill -9 leaves them at `path`, copied to `copy` (without
// a checkpoint, while the connection is open).
void CopyAsACrashLeavesThem(const std::string& path, const std::string& copy) {
  for (const char* suffix : {"", "-wal"}) {
    std::filesystem::copy_file(path + suffix, copy + suffix,
                               std::filesystem::copy_options::overwrite_existing);
  }
  std::filesystem::remove(copy + "-shm");
}

// Copies the files at `path` as a kill -9 leaves them to `copy`, and expects
// the copy to recover `rows` rows, intact.
void ExpectACrashCopyHolds(const std::string& path, const std::string& copy, int64_t rows) {
  CopyAsACrashLeavesThem(path, copy);
  Db recovered = Db::Open(copy, Db::Locking::kShared);
  EXPECT_EQ(Count(recovered), rows);
  EXPECT_EQ(IntegrityOf(recovered), "ok");
}

// After every commit the files hold it: no frame header is left waiting in
// the file's buffer once SQLite has returned, and what the WAL's writes pad
// their last block with is not mistaken for frames.
TEST(FrameCoalescingVfsTest, ACopyOfTheFilesAfterEveryCommitRecoversIt) {
  berth::testing::TempDir dir("berth-frames");
  const std::string path = dir.path() + "/berth.db";
  const std::string copy = dir.path() + "/copy.db";
  Db db = OpenWithRows(path);
  for (int i = 0; i < 40; ++i) {
    WriteRows(db, 1);
    CopyAsACrashLeavesThem(path, copy);
    Db recovered = Db::Open(copy, Db::Locking::kShared);
    ASSERT_EQ(Count(recovered), i + 1) << "after commit " << i;
  }
}

// The WAL's writes go down as whole 4 KiB blocks (frames straddle blocks; a
// write of part of one may make the kernel read it first): the file's size
// is always a whole number of blocks, where frames alone would end anywhere.
TEST(FrameCoalescingVfsTest, TheWalIsWrittenInWholeBlocks) {
  berth::testing::TempDir dir("berth-frames");
  const std::string path = dir.path() + "/berth.db";
  Db db = OpenWithRows(path);
  for (int i = 0; i < 60; ++i) {
    WriteRows(db, 1);
    const auto wal = static_cast<int64_t>(std::filesystem::file_size(path + "-wal"));
    ASSERT_GT(wal, kWalHeaderBytes);
    EXPECT_EQ(wal % 4096, 0) << "after commit " << i << ": " << wal;
  }
}

// A WAL that already holds frames when it is opened (after a crash) is
// appended to without harm to them, though nothing is known yet of its last
// block.
TEST(FrameCoalescingVfsTest, AWalFoundWithFramesIsAppendedToIntact) {
  berth::testing::TempDir dir("berth-frames");
  const std::string path = dir.path() + "/berth.db";
  const std::string copy = dir.path() + "/copy.db";
  const std::string second = dir.path() + "/second.db";
  Db db = OpenWithRows(path);
  WriteRows(db, 37);
  CopyAsACrashLeavesThem(path, copy);
  {
    Db recovered = Db::Open(copy, Db::Locking::kShared);
    recovered.Execute("PRAGMA wal_autocheckpoint=0");
    WriteRows(recovered, 41);
    ExpectACrashCopyHolds(copy, second, 78);
  }
}

// Transactions larger than the page cache spill frames before they commit
// and rewrite some of them in place; one is rolled back after spilling. The
// rows committed are all there, from the live connection and from a copy.
TEST(FrameCoalescingVfsTest, SpilledRewrittenAndRolledBackFramesKeepEveryCommit) {
  berth::testing::TempDir dir("berth-frames");
  const std::string path = dir.path() + "/berth.db";
  const std::string copy = dir.path() + "/copy.db";
  Db db = OpenWithRows(path);
  db.Execute("PRAGMA cache_size=10");
  const auto big_transaction = [&db](int rows) {
    db.Execute("BEGIN");
    for (int i = 0; i < rows; ++i) {
      Stmt(db, "INSERT INTO rows (value) VALUES (?1)")
          .Bind(1, std::string(static_cast<size_t>(300 + i % 700), 'v'))
          .Run();
    }
    // Pages written out by a spill change again.
    db.Execute("UPDATE rows SET value = value || 'w' WHERE id % 3 = 0");
  };
  big_transaction(2000);
  db.Execute("COMMIT");
  big_transaction(1500);
  db.Execute("ROLLBACK");
  WriteRows(db, 25);
  big_transaction(900);
  db.Execute("COMMIT");
  EXPECT_EQ(Count(db), 2925);
  EXPECT_EQ(IntegrityOf(db), "ok");
  ExpectACrashCopyHolds(path, copy, 2925);
}

// The files as a kill -9 leaves them (copied while the connection is open,
// without a checkpoint) recover every committed row.
TEST(FrameCoalescingVfsTest, FilesLeftByACrashRecoverEveryCommit) {
  berth::testing::TempDir dir("berth-frames");
  const std::string path = dir.path() + "/berth.db";
  const std::string copy = dir.path() + "/copy.db";
  Db db = OpenWithRows(path);
  WriteRows(db, 300);
  ExpectACrashCopyHolds(path, copy, 300);
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

// A WAL file opened through the VFS directly, for writes in patterns SQLite
// makes only now and then.
class RawWal {
 public:
  explicit RawWal(const std::string& db_path) {
    std::ofstream(db_path).put('\0');  // the VFS opens a WAL beside its database
    name_ = sqlite3_create_filename(db_path.c_str(), "", (db_path + "-wal").c_str(), 0, nullptr);
    sqlite3_vfs* vfs = sqlite3_vfs_find(FrameCoalescingVfsName());
    memory_.resize(static_cast<size_t>(vfs->szOsFile));
    int flags = 0;
    const int rc = vfs->xOpen(vfs, sqlite3_filename_wal(name_), file(),
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_WAL, &flags);
    EXPECT_EQ(rc, SQLITE_OK);
  }
  RawWal(const RawWal&) = delete;
  RawWal& operator=(const RawWal&) = delete;
  ~RawWal() {
    if (file()->pMethods != nullptr) file()->pMethods->xClose(file());
    sqlite3_free_filename(name_);
  }
  int Write(const std::vector<unsigned char>& bytes, int64_t offset) {
    return file()->pMethods->xWrite(file(), bytes.data(), static_cast<int>(bytes.size()), offset);
  }
  std::vector<unsigned char> Read(int64_t offset, int amount) {
    std::vector<unsigned char> bytes(static_cast<size_t>(amount));
    EXPECT_EQ(file()->pMethods->xRead(file(), bytes.data(), amount, offset), SQLITE_OK);
    return bytes;
  }
  int Truncate(int64_t size) { return file()->pMethods->xTruncate(file(), size); }

 private:
  sqlite3_file* file() { return reinterpret_cast<sqlite3_file*>(memory_.data()); }
  sqlite3_filename name_ = nullptr;
  std::vector<unsigned char> memory_;
};

// Whatever order frames are written, rewritten (SQLite rewrites a page's
// frame within its transaction), abandoned (a rollback writes over them),
// cut or started over (the WAL header at offset 0, also after a truncate),
// and whatever else is written before the WAL's end, the WAL
// reads back exactly what was written from its start to the furthest write
// since it last started over (nothing reads beyond that; the whole-block
// writes pad it with zeros).
TEST(FrameCoalescingVfsTest, AnyPatternOfWalWritesReadsBackAsWritten) {
  berth::testing::TempDir dir("berth-frames");
  RawWal wal(dir.path() + "/raw.db");
  constexpr int64_t kPage = 4096;
  constexpr int64_t kFrame = kPage + kFrameHeaderBytes;
  std::mt19937 random(20261207);
  std::vector<unsigned char> model;  // what the file should hold
  int64_t end = 0;                   // the furthest write since the WAL started over
  int64_t frames = 0;                // frames in use: the next is appended after them
  const auto bytes_of = [&random](int64_t count) {
    std::vector<unsigned char> bytes(static_cast<size_t>(count));
    for (auto& byte : bytes) byte = static_cast<unsigned char>(random());
    return bytes;
  };
  const auto write = [&](const std::vector<unsigned char>& bytes, int64_t offset) {
    ASSERT_EQ(wal.Write(bytes, offset), SQLITE_OK);
    const auto last = static_cast<size_t>(offset) + bytes.size();
    if (model.size() < last) model.resize(last);
    std::copy(bytes.begin(), bytes.end(), model.begin() + offset);
    end = std::max(end, static_cast<int64_t>(last));
  };
  const auto write_frame = [&](int64_t index) {  // as SQLite does: header, then page
    const int64_t offset = kWalHeaderBytes + index * kFrame;
    write(bytes_of(kFrameHeaderBytes), offset);
    write(bytes_of(kPage), offset + kFrameHeaderBytes);
  };
  const auto start_over = [&] {
    end = 0;
    frames = 0;
    write(bytes_of(kWalHeaderBytes), 0);
  };
  start_over();
  for (int step = 0; step < 4000; ++step) {
    const auto pick = random() % 100;
    if (pick < 70 || frames == 0) {
      write_frame(frames++);
    } else if (pick < 85) {
      write_frame(static_cast<int64_t>(random() % static_cast<uint32_t>(frames)));
    } else if (pick < 90) {
      frames -=
          static_cast<int64_t>(random() % static_cast<uint32_t>(std::min<int64_t>(frames, 5)));
    } else if (pick < 93) {
      start_over();
    } else if (pick < 94) {
      ASSERT_EQ(wal.Truncate(0), SQLITE_OK);
      model.clear();
      start_over();
    } else if (pick < 95) {  // cut back to a frame: appends go on from there
      frames = static_cast<int64_t>(random() % static_cast<uint32_t>(frames + 1));
      end = kWalHeaderBytes + frames * kFrame;
      ASSERT_EQ(wal.Truncate(end), SQLITE_OK);
      model.resize(static_cast<size_t>(end));
      if (random() % 2 == 0) write(bytes_of(1 + static_cast<int64_t>(random() % 100)), end);
    } else if (pick < 97) {  // up to a frame's bytes before the end, often near it
      const int64_t from = random() % 2 == 0 ? std::max<int64_t>(0, end - kPage) : 0;
      const int64_t offset =
          from + static_cast<int64_t>(random() % static_cast<uint32_t>(end - from));
      const int64_t most = std::min(end - offset, kFrame);
      write(bytes_of(1 + static_cast<int64_t>(random() % static_cast<uint32_t>(most))), offset);
    } else if (pick < 99) {
      write_frame(frames - 1);  // the last frame again
    } else {                    // a few bytes more at the end
      write(bytes_of(1 + static_cast<int64_t>(random() % 100)), end);
    }
    // (Read through the VFS: a frame header may still be waiting in it.)
    ASSERT_EQ(wal.Read(0, static_cast<int>(end)),
              std::vector<unsigned char>(model.begin(), model.begin() + end))
        << "after step " << step;
  }
}

}  // namespace
}  // namespace berth::storage
