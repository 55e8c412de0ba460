// storage::OutOfSpaceMessage: a full database (SQLITE_FULL, injected with a
// page limit) and ENOSPC from the file system are out of space; nothing else is.

#include "storage/out_of_space.h"

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <gtest/gtest.h>

#include "storage/sqlite/db.h"

namespace berth::storage {
namespace {

TEST(OutOfSpaceTest, FullDatabaseIsOutOfSpace) {
  // Given a database that may not grow
  Db db = Db::Open(":memory:");
  db.Execute("CREATE TABLE t (v TEXT)");
  db.Execute("PRAGMA max_page_count = 2");
  // When a write needs more pages
  try {
    for (int i = 0; i < 100; ++i) db.Execute("INSERT INTO t VALUES (randomblob(4000))");
    FAIL() << "the page limit was never reached";
  } catch (const StorageError& e) {
    // Then the failure is SQLITE_FULL, and names the cause
    EXPECT_TRUE(e.IsFull());
    const auto message = OutOfSpaceMessage(e);
    ASSERT_TRUE(message.has_value());
    EXPECT_TRUE(message->starts_with(kNoSpaceLeft)) << *message;
  }
}

TEST(OutOfSpaceTest, NoSpaceFromTheFileSystemIsOutOfSpace) {
  const std::filesystem::filesystem_error full("rename",
                                               std::make_error_code(std::errc::no_space_on_device));
  EXPECT_TRUE(OutOfSpaceMessage(full).has_value());
  const std::system_error quota(EDQUOT, std::generic_category(), "write");
  EXPECT_TRUE(OutOfSpaceMessage(quota).has_value());
}

TEST(OutOfSpaceTest, OtherFailuresAreNot) {
  EXPECT_FALSE(OutOfSpaceMessage(std::runtime_error("boom")).has_value());
  EXPECT_FALSE(
      OutOfSpaceMessage(std::system_error(EACCES, std::generic_category(), "open")).has_value());
  Db db = Db::Open(":memory:");
  db.Execute("CREATE TABLE t (v TEXT UNIQUE)");
  db.Execute("INSERT INTO t VALUES ('a')");
  try {
    db.Execute("INSERT INTO t VALUES ('a')");
    FAIL() << "the duplicate was accepted";
  } catch (const StorageError& e) {
    EXPECT_FALSE(e.IsFull());
    EXPECT_FALSE(OutOfSpaceMessage(e).has_value());
  }
}

}  // namespace
}  // namespace berth::storage
