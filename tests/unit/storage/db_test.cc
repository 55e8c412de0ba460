#include "storage/sqlite/db.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/database.h"
#include "storage/migrations.h"

namespace berth::storage {
namespace {

TEST(DbTest, BindsAndReadsEveryType) {
  Db db = Db::Open(":memory:");
  db.Execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, n TEXT)");
  Stmt insert(db, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
  insert.Bind(1, int64_t{42}).Bind(2, 1.5).Bind(3, "hello").Bind(4, std::nullopt);
  insert.Run();

  Stmt select(db, "SELECT i, r, s, n FROM t");
  ASSERT_TRUE(select.Step());
  EXPECT_EQ(select.ColumnInt(0), 42);
  EXPECT_DOUBLE_EQ(select.ColumnDouble(1), 1.5);
  EXPECT_EQ(select.ColumnText(2), "hello");
  EXPECT_FALSE(select.ColumnOptionalText(3).has_value());
  EXPECT_FALSE(select.Step());
}

TEST(DbTest, BadSqlThrowsWithTheStatement) {
  Db db = Db::Open(":memory:");
  try {
    Stmt stmt(db, "SELECT * FROM missing_table");
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("missing_table"), std::string::npos);
  }
}

TEST(DbTest, TransactionRollsBackUnlessCommitted) {
  Db db = Db::Open(":memory:");
  db.Execute("CREATE TABLE t (v INTEGER)");
  {
    Tx tx(db);
    db.Execute("INSERT INTO t VALUES (1)");
  }  // no Commit: rolled back
  {
    Tx tx(db);
    db.Execute("INSERT INTO t VALUES (2)");
    tx.Commit();
  }
  Stmt count(db, "SELECT COUNT(*), MAX(v) FROM t");
  ASSERT_TRUE(count.Step());
  EXPECT_EQ(count.ColumnInt(0), 1);
  EXPECT_EQ(count.ColumnInt(1), 2);
}

TEST(MigrationsTest, BringsANewDatabaseToTheLatestVersion) {
  Db db = Db::Open(":memory:");
  Migrate(db);
  EXPECT_EQ(db.UserVersion(), LatestSchemaVersion());
  Migrate(db);  // idempotent
  EXPECT_EQ(db.UserVersion(), LatestSchemaVersion());
}

// Version 12 moves the task definitions into a rowid table: what a database
// of version 11 held is all there after it, the key still refuses a second
// row for a revision, and the listing index is back.
TEST(MigrationsTest, TaskDefinitionsKeepTheirRowsInTheirRowidTable) {
  Db db = Db::Open(":memory:");
  const auto migrations = Migrations();
  ASSERT_GE(migrations.size(), 12U);
  for (size_t version = 0; version < 11; ++version) db.Execute(migrations[version]);
  db.SetUserVersion(11);
  db.Execute(R"sql(
    INSERT INTO ecs_task_definitions VALUES
      ('000000000000', 'us-east-1', 'web', 1, 'INACTIVE', 10.5, 20.25, NULL, '{"revision":1}'),
      ('000000000000', 'us-east-1', 'web', 2, 'ACTIVE', 11.5, NULL, NULL, '{"revision":2}'),
      ('000000000000', 'eu-west-1', 'api', 1, 'DELETE_IN_PROGRESS', 12.5, 21.5, 30.75, '{"a":1}'))sql");
  Migrate(db);
  EXPECT_EQ(db.UserVersion(), LatestSchemaVersion());
  Stmt rows(db, R"sql(
    SELECT region || '/' || family || ':' || revision || ' ' || status || ' ' || registered_at ||
           ' ' || IFNULL(deregistered_at, '-') || ' ' || IFNULL(delete_requested_at, '-') ||
           ' ' || document
    FROM ecs_task_definitions ORDER BY region, family, revision)sql");
  std::vector<std::string> got;
  while (rows.Step()) got.push_back(rows.ColumnText(0));
  EXPECT_EQ(
      got, (std::vector<std::string>{"eu-west-1/api:1 DELETE_IN_PROGRESS 12.5 21.5 30.75 {\"a\":1}",
                                     "us-east-1/web:1 INACTIVE 10.5 20.25 - {\"revision\":1}",
                                     "us-east-1/web:2 ACTIVE 11.5 - - {\"revision\":2}"}));
  Stmt schema(db,
              "SELECT group_concat(type || ' ' || name || ': ' || IFNULL(sql, ''), '\n') "
              "FROM sqlite_master WHERE tbl_name = 'ecs_task_definitions'");
  ASSERT_TRUE(schema.Step());
  const std::string text = schema.ColumnText(0);
  EXPECT_EQ(text.find("WITHOUT ROWID"), std::string::npos) << text;
  EXPECT_NE(text.find("index ecs_task_definitions_by_status"), std::string::npos) << text;
  EXPECT_THROW(db.Execute("INSERT INTO ecs_task_definitions VALUES ('000000000000', 'us-east-1', "
                          "'web', 2, 'ACTIVE', 1, NULL, NULL, '{}')"),
               StorageError);
}

TEST(MigrationsTest, RefusesADatabaseFromANewerBerth) {
  Db db = Db::Open(":memory:");
  Migrate(db);
  db.SetUserVersion(LatestSchemaVersion() + 1);
  try {
    Migrate(db);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this Berth"), std::string::npos);
  }
}

TEST(DatabaseTest, ResetEmptiesEveryTableButMeta) {
  Database database(":memory:");
  {
    auto lease = database.Acquire();
    lease.db().Execute(
        "INSERT INTO meta VALUES ('k', 'v');"
        "INSERT INTO ecs_clusters (account_id, region, name, status, created_at, document) "
        "VALUES ('000000000000', 'us-east-1', 'c', 'ACTIVE', 0, '{}');");
  }
  database.Reset();
  auto lease = database.Acquire();
  Stmt clusters(lease.db(), "SELECT COUNT(*) FROM ecs_clusters");
  ASSERT_TRUE(clusters.Step());
  EXPECT_EQ(clusters.ColumnInt(0), 0);
  Stmt meta(lease.db(), "SELECT COUNT(*) FROM meta");
  ASSERT_TRUE(meta.Step());
  EXPECT_EQ(meta.ColumnInt(0), 1);
}

}  // namespace
}  // namespace berth::storage

namespace berth::storage {
namespace {

TEST(DatabaseTest, ANewDatabaseIsBuiltAsideAndMovedIntoPlace) {
  char pattern[] = "/tmp/berth-db-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  const std::string path = dir + "/berth.db";
  {
    // A leftover from a start that crashed mid-creation is discarded.
    Db stale = Db::Open(path + ".new");
    stale.Execute("CREATE TABLE junk (x)");
  }
  {
    Database database(path);
    auto lease = database.Acquire();
    EXPECT_EQ(lease.db().UserVersion(), LatestSchemaVersion());
    Stmt mode(lease.db(), "PRAGMA journal_mode");
    ASSERT_TRUE(mode.Step());
    EXPECT_EQ(mode.ColumnText(0), "wal");
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".new"));
  Database reopened(path);  // an existing database is just opened
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace berth::storage
