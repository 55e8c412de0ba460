// Group commit (Database::RequestScope): requests' transactions share one
// COMMIT, nothing a request wrote or read is durable (or visible to another
// connection) before its Settle, a failed transaction takes back only its own
// writes, a lease outside any scope commits the open group at once, and a
// group SQLite rolled back reports its error to every member.

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "storage/database.h"
#include "tests/support/temp_dir.h"

namespace berth::storage {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  // One request: `work` runs inside a scope; returns what its reply waits for.
  std::function<std::exception_ptr()> Request(const std::function<void(Db&)>& work) {
    Database::RequestScope scope(*database_);
    {
      auto lease = database_->Acquire();
      work(lease.db());
    }
    return scope.Settler();
  }
  static void Put(Db& db, const std::string& key) {
    Tx tx(db);
    Stmt(db, "INSERT INTO meta (key, value) VALUES (?1, 'v')").Bind(1, key).Run();
    tx.Commit();
  }
  // Whether another connection (the file, as a restart would see it) has `key`.
  bool OnDisk(const std::string& key) const {
    Db observer = Db::OpenReadOnly(path_);
    Stmt stmt(observer, "SELECT 1 FROM meta WHERE key = ?1");
    stmt.Bind(1, key);
    return stmt.Step();
  }

  berth::testing::TempDir dir_{"berth-group"};
  std::string path_ = dir_.path() + "/berth.db";
  std::optional<Database> database_{std::in_place, path_};
};

TEST_F(GroupCommitTest, RequestsShareOneCommitAndNothingIsDurableBeforeSettle) {
  // Given two requests that wrote, one after the other
  const auto first = Request([](Db& db) { Put(db, "a"); });
  const auto second = Request([](Db& db) { Put(db, "b"); });
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  // Then neither write is on disk yet
  EXPECT_FALSE(OnDisk("a"));
  EXPECT_FALSE(OnDisk("b"));
  // When the first reply settles, both are (one COMMIT)
  EXPECT_EQ(first(), nullptr);
  EXPECT_TRUE(OnDisk("a"));
  EXPECT_TRUE(OnDisk("b"));
  // And the second settles without another commit
  EXPECT_EQ(second(), nullptr);
}

TEST_F(GroupCommitTest, ARequestThatNeitherWroteNorSawAnOpenGroupWaitsForNothing) {
  const auto reader = Request([](Db& db) { Stmt(db, "SELECT COUNT(*) FROM meta").Step(); });
  EXPECT_FALSE(reader);
}

TEST_F(GroupCommitTest, AReadUnderAnOpenGroupWaitsForThatGroup) {
  const auto writer = Request([](Db& db) { Put(db, "w"); });
  bool seen = false;
  const auto reader = Request([&seen](Db& db) {
    Stmt stmt(db, "SELECT 1 FROM meta WHERE key = 'w'");
    seen = stmt.Step();
  });
  // The reader saw the uncommitted row, so its reply waits for the group too
  EXPECT_TRUE(seen);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader(), nullptr);
  EXPECT_TRUE(OnDisk("w"));
  EXPECT_EQ(writer(), nullptr);
}

TEST_F(GroupCommitTest, AFailedTransactionTakesBackOnlyItsOwnWrites) {
  const auto kept = Request([](Db& db) { Put(db, "kept"); });
  // A request whose transaction fails half-way (a duplicate key)
  const auto failed = Request([](Db& db) {
    Tx tx(db);
    Stmt(db, "INSERT INTO meta (key, value) VALUES ('half', 'v')").Run();
    EXPECT_THROW(Stmt(db, "INSERT INTO meta (key, value) VALUES ('kept', 'v')").Run(),
                 StorageError);
  });  // not committed: rolled back to its savepoint
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept(), nullptr);
  EXPECT_TRUE(OnDisk("kept"));
  EXPECT_FALSE(OnDisk("half"));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed(), nullptr);
}

TEST_F(GroupCommitTest, ALeaseOutsideAnyScopeCommitsTheOpenGroupAtOnce) {
  const auto request = Request([](Db& db) { Put(db, "request"); });
  // The reconciler (another thread, no scope) writes
  std::thread([this] {
    auto lease = database_->Acquire();
    Put(lease.db(), "reconciler");
  }).join();
  // Both are on disk before the request's reply settled
  EXPECT_TRUE(OnDisk("reconciler"));
  EXPECT_TRUE(OnDisk("request"));
  ASSERT_TRUE(request);
  EXPECT_EQ(request(), nullptr);
}

TEST_F(GroupCommitTest, AGroupSqliteRolledBackFailsEveryMember) {
  const auto first = Request([](Db& db) { Put(db, "lost-1"); });
  // SQLite ends the shared transaction (as it may on a full disk or an I/O
  // error); the next transaction notices
  const auto second = Request([](Db& db) {
    db.Execute("ROLLBACK");
    Put(db, "after");
  });
  ASSERT_TRUE(first);
  const std::exception_ptr error = first();
  ASSERT_NE(error, nullptr);
  EXPECT_THROW(std::rethrow_exception(error), std::runtime_error);
  EXPECT_FALSE(OnDisk("lost-1"));
  // The next transaction started a group of its own, which commits
  ASSERT_TRUE(second);
  EXPECT_EQ(second(), nullptr);
  EXPECT_TRUE(OnDisk("after"));
}

TEST_F(GroupCommitTest, ClosingTheDatabaseCommitsTheOpenGroup) {
  const auto pending = Request([](Db& db) { Put(db, "pending"); });
  ASSERT_TRUE(pending);
  database_.reset();
  EXPECT_TRUE(OnDisk("pending"));
}

TEST_F(GroupCommitTest, ConcurrentRequestsAllSettleAndAllWritesLand) {
  constexpr int kThreads = 4;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kEach; ++i) {
        const auto settle =
            Request([&](Db& db) { Put(db, std::to_string(t) + "-" + std::to_string(i)); });
        ASSERT_TRUE(settle);
        ASSERT_EQ(settle(), nullptr);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  Db observer = Db::OpenReadOnly(path_);
  Stmt count(observer, "SELECT COUNT(*) FROM meta WHERE key LIKE '%-%'");
  ASSERT_TRUE(count.Step());
  EXPECT_EQ(count.ColumnInt(0), kThreads * kEach);
}

}  // namespace
}  // namespace berth::storage
