#include "storage/wal_checkpointer.h"

#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "storage/database.h"
#include "tests/support/temp_dir.h"

namespace berth::storage {
namespace {

// A file-backed database in a fresh directory, removed at the end.
class WalCheckpointerTest : public ::testing::Test {
 protected:
  // One transaction on `db` writing one 4 KiB row (a page or more of WAL)
  // at `key`.
  static void InsertRow(Db& db, const std::string& key) {
    static const std::string value(4096, 'x');
    Tx tx(db);
    Stmt(db, "INSERT INTO meta (key, value) VALUES (?1, ?2)")
        .Bind(1, key)
        .Bind(2, std::string_view(value))
        .Run();
    tx.Commit();
  }
  // The same under a lease of its own.
  static void WriteRow(Database& database, const std::string& key) {
    auto lease = database.Acquire();
    InsertRow(lease.db(), key);
  }
  // `count` commits of one row each.
  static void Write(Database& database, int first, int count) {
    for (int i = first; i < first + count; ++i) WriteRow(database, "k" + std::to_string(i));
  }

  // Rows of `meta` whose key starts with `prefix`.
  static int64_t CountRows(Database& database, const std::string& prefix) {
    auto lease = database.Acquire();
    Stmt count(lease.db(), "SELECT count(*) FROM meta WHERE key LIKE ?1");
    count.Bind(1, prefix + "%");
    return count.Step() ? count.ColumnInt(0) : -1;
  }

  // Polls until the checkpointer's stats satisfy `done`, or `timeout` passes.
  template <typename Done>
  static void WaitForStats(Database& database, Done done,
                           std::chrono::seconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(database.CheckpointStats()) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Polls until the checkpointer's figures stay the same for five of its
  // idle delays (it found nothing more to copy), or `timeout` passes.
  static void WaitUntilIdle(Database& database,
                            std::chrono::seconds timeout = std::chrono::seconds(30)) {
    const auto figures = [&database] {
      const auto stats = database.CheckpointStats();
      return std::vector<int64_t>{stats.checkpoints, stats.close_ins, stats.database_syncs,
                                  stats.catch_ups};
    };
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto before = figures();
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(WalCheckpointLimits{}.idle_delay * 5);
      const auto now = figures();
      if (now == before) return;
      before = now;
    }
  }

  static int64_t WalBytes(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path + "-wal", ec);
    return ec ? 0 : static_cast<int64_t>(size);
  }

  // Berth's limits scaled down (its catch-up is at about 94 MiB of WAL),
  // with the WAL cut only when asked for.
  static WalCheckpointLimits Small(std::chrono::milliseconds shrink_delay = std::chrono::hours(1)) {
    WalCheckpointLimits limits;
    limits.start_pages = 250;
    limits.catch_up_pages = 1000;
    limits.shrink_delay = shrink_delay;
    return limits;
  }

  berth::testing::TempDir dir_{"berth-wal"};
  std::string path_ = dir_.path() + "/berth.db";
};

TEST_F(WalCheckpointerTest, CheckpointsRunInTheBackgroundAndTheWalRestarts) {
  // Given a database written well past the checkpoint thresholds
  Database database(path_, Small());
  // (each row is a page and a share of another)
  const int rows = 12 * static_cast<int>(Small().catch_up_pages);
  Write(database, 0, rows);
  // When writes pause (long enough for the idle checkpoint to copy the rest:
  // until the checkpointer has had nothing to do for a while, which on a
  // loaded machine can take longer than its idle delay)
  WaitForStats(database, [](const auto& stats) { return stats.checkpoints > 0; });
  WaitUntilIdle(database);
  // Then the checkpointer copied the WAL beside the writers
  const auto stats = database.CheckpointStats();
  EXPECT_GT(stats.checkpoints, 0);
  EXPECT_EQ(stats.failures, 0);
  // and the next writes start the WAL over from its beginning: the file,
  // which holds more than they write, does not grow. (How far past a
  // catch-up a writer this fast gets before the WAL restarts depends on the
  // disk's fsyncs, so the size the burst left is not the measure.)
  const int64_t after_burst = WalBytes(path_);
  ASSERT_GT(after_burst, int64_t{Small().start_pages} * 4096);
  Write(database, rows, static_cast<int>(Small().start_pages) / 4);
  EXPECT_EQ(WalBytes(path_), after_burst);
}

TEST_F(WalCheckpointerTest, AWalWrittenThroughCommitGroupsRestartsToo) {
  // Given requests whose commit group is nearly always open (settled every
  // 50 requests, as concurrent requests keep one open under load), writing
  // eight times the catch-up size of WAL
  Database database(path_, Small());
  const int rows = 8 * static_cast<int>(Small().catch_up_pages);
  std::vector<std::function<std::exception_ptr()>> pending;
  for (int i = 0; i < rows; ++i) {
    Database::RequestScope scope(database);
    WriteRow(database, "g" + std::to_string(i));
    if (auto settle = scope.Settler()) pending.push_back(std::move(settle));
    if (i % 50 == 49) {
      for (const auto& settle : pending) ASSERT_EQ(settle(), nullptr);
      pending.clear();
    }
  }
  for (const auto& settle : pending) ASSERT_EQ(settle(), nullptr);
  // (A catch-up may still be under way when the writer is done, on a loaded
  // machine: one more group, once one is over, sees the WAL restart.)
  WaitForStats(database, [](const auto& stats) { return stats.catch_ups + stats.restarts > 0; });
  {
    Database::RequestScope scope(database);
    WriteRow(database, "g" + std::to_string(rows));
    if (auto settle = scope.Settler()) {
      ASSERT_EQ(settle(), nullptr);
    }
  }
  // Then the WAL started over: a catch-up restarts it by ending the open
  // group, and one that could not would be repeated until a catch-up fell
  // between two groups, so there were no more of them than WAL-fulls
  // written (a row is a page and a share of another). (The WAL may also
  // restart without a catch-up: when the writer is descheduled between two
  // groups long enough for a background checkpoint to copy everything, as
  // on a loaded machine. So restarts are counted, not catch-ups.)
  const auto stats = database.CheckpointStats();
  EXPECT_GT(stats.restarts, 0);
  EXPECT_LE(stats.catch_ups, int64_t{rows} * 3 / Small().catch_up_pages);
  EXPECT_EQ(stats.failures, 0);
  EXPECT_EQ(CountRows(database, "g"), rows + 1);
}

TEST_F(WalCheckpointerTest, ACatchUpClosesInOnTheWritersBeforePausingThem) {
  // Given catch-ups that leave nothing to copy with the writers paused when
  // they can
  WalCheckpointLimits limits = Small();
  limits.catch_up_remainder_pages = 0;
  Database database(path_, limits);
  // When a writer that never pauses writes six times the catch-up size
  const int rows = 6 * static_cast<int>(limits.catch_up_pages);
  Write(database, 0, rows);
  // Then the catch-ups first ran background checkpoints of what the writer
  // appended while the one before ran (a checkpoint of hundreds of pages
  // and two fsyncs takes longer than a commit), and nothing was lost (the
  // first catch-up may end after the writer, on a loaded machine)
  WaitForStats(database, [](const auto& stats) { return stats.catch_ups > 0; });
  const auto stats = database.CheckpointStats();
  EXPECT_GT(stats.catch_ups, 0);
  EXPECT_GT(stats.close_ins, 0);
  EXPECT_EQ(stats.failures, 0);
  EXPECT_EQ(CountRows(database, "k"), rows);
}

TEST_F(WalCheckpointerTest, TheDatabaseFileIsSyncedBesideTheWritersBeforeEachCatchUp) {
  // Given a writer that never pauses, writing six times the catch-up size
  Database database(path_, Small());
  const int rows = 6 * static_cast<int>(Small().catch_up_pages);
  Write(database, 0, rows);
  // Then each catch-up came after a sync of the database file made with the
  // writers running (what the background checkpoints copied, which only a
  // checkpoint of the whole WAL would sync), and none came without one; a
  // catch-up may still be under way when the figures are read
  WaitForStats(database, [](const auto& stats) { return stats.catch_ups > 0; });
  const auto stats = database.CheckpointStats();
  EXPECT_GT(stats.catch_ups, 0);
  EXPECT_GE(stats.database_syncs, stats.catch_ups);
  EXPECT_LE(stats.database_syncs, stats.catch_ups + 1);
  EXPECT_EQ(stats.failures, 0);
  EXPECT_EQ(CountRows(database, "k"), rows);
}

TEST_F(WalCheckpointerTest, AWalFileGrownByABurstIsCutToNothingOnceWritesPause) {
  // Given a burst of writes that grew the WAL file past a catch-up
  Database database(path_, Small(std::chrono::milliseconds(300)));
  Write(database, 0, 2 * static_cast<int>(Small().catch_up_pages));
  ASSERT_GT(WalBytes(path_), Small().start_pages * 4096);
  // When writes pause
  WaitForStats(
      database, [](const auto& stats) { return stats.shrinks > 0; }, std::chrono::seconds(20));
  // Then the file is cut to nothing, once
  EXPECT_EQ(database.CheckpointStats().shrinks, 1);
  EXPECT_EQ(WalBytes(path_), 0);
  EXPECT_EQ(database.CheckpointStats().failures, 0);
  // and writing goes on, every row kept
  Write(database, 100000, 10);
  EXPECT_EQ(CountRows(database, "k"), 2 * Small().catch_up_pages + 10);
}

TEST_F(WalCheckpointerTest, ASmallWalIsLeftAsItIs) {
  // Given a few writes, under the background checkpoint's threshold
  Database database(path_, Small(std::chrono::milliseconds(100)));
  Write(database, 0, 20);
  // When writes pause past the shrink delay
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  // Then the WAL was copied (idle) but its file not cut: cutting and
  // regrowing it would cost more than it saves
  EXPECT_EQ(database.CheckpointStats().shrinks, 0);
  EXPECT_GT(WalBytes(path_), 0);
}

TEST_F(WalCheckpointerTest, TheWalIsWrittenOutBehindTheWritersAndNothingIsLost) {
  // Given write-behind every 16 WAL pages, and no checkpoint to take its
  // place (a round that checkpoints leaves the write-out to the fsync)
  WalCheckpointLimits limits = Small();
  limits.write_behind_pages = 16;
  limits.start_pages = limits.catch_up_pages = 1'000'000;
  limits.idle_delay = std::chrono::hours(1);
  {
    Database database(path_, limits);
    // When 200 commits of a page or more each are made
    Write(database, 0, 200);
    // Then the kernel was asked to write the WAL out ahead of a checkpoint
    // (how often depends on how the thread beside the writers was
    // scheduled: with both cores busy the writer may finish first)
    WaitForStats(database, [](const auto& stats) { return stats.write_behinds > 0; });
    EXPECT_GE(database.CheckpointStats().write_behinds, 1);
    EXPECT_EQ(database.CheckpointStats().failures, 0);
  }
  // and every commit is there after reopening
  Database reopened(path_);
  EXPECT_EQ(CountRows(reopened, "k"), 200);
}

TEST_F(WalCheckpointerTest, WriteBehindCanBeTurnedOff) {
  // Given write-behind turned off
  WalCheckpointLimits limits = Small(std::chrono::milliseconds(100));
  limits.write_behind_pages = 0;
  Database database(path_, limits);
  // When the WAL grows past a checkpoint and writes pause
  Write(database, 0, 2 * static_cast<int>(limits.start_pages));
  WaitForStats(
      database, [](const auto& stats) { return stats.shrinks > 0; }, std::chrono::seconds(10));
  // Then checkpoints ran and the WAL was cut, with no write-behind
  EXPECT_GT(database.CheckpointStats().checkpoints, 0);
  EXPECT_EQ(database.CheckpointStats().shrinks, 1);
  EXPECT_EQ(database.CheckpointStats().write_behinds, 0);
}

TEST_F(WalCheckpointerTest, ACommitWakesTheCheckpointerOnlyOnceTheWritersMutexIsReleased) {
  // Given a checkpointer that only a commit wakes (no polling, no idle
  // checkpoint)
  WalCheckpointLimits limits = Small();
  limits.poll_period = std::chrono::hours(1);
  limits.idle_delay = std::chrono::hours(1);
  Database database(path_, limits);
  // (parked before the writes: a thread that first runs after them finds
  // the work on its own, as on a loaded machine)
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    // When one lease commits enough WAL for a checkpoint (and a write-behind)
    auto lease = database.Acquire();
    for (int i = 0; i < 2 * limits.start_pages; ++i) InsertRow(lease.db(), "w" + std::to_string(i));
    // Then the checkpointer does nothing while the lease holds the mutex
    // (woken inside it, it could take the core the writers wait on)
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(database.CheckpointStats().checkpoints, 0);
    EXPECT_EQ(database.CheckpointStats().write_behinds, 0);
  }
  // and starts once the lease is released
  WaitForStats(database, [](const auto& stats) { return stats.checkpoints > 0; });
  EXPECT_GT(database.CheckpointStats().checkpoints, 0);
  EXPECT_EQ(CountRows(database, "w"), 2 * limits.start_pages);
}

TEST_F(WalCheckpointerTest, EveryCommitIsThereAfterReopening) {
  {
    Database database(path_);
    Write(database, 0, 2500);
  }
  Database reopened(path_);
  EXPECT_EQ(CountRows(reopened, "k"), 2500);
}

TEST_F(WalCheckpointerTest, ASecondDatabaseOnTheSameFileIsRefused) {
  Database first(path_);
  try {
    Database second(path_);
    FAIL() << "a second Database opened " << path_;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("give each Berth its own --data-dir"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace berth::storage
