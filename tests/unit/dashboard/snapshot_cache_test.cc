// SnapshotCache: a snapshot is built again only when the state's version
// moved, at most once per interval, and an unchanged state answers "not
// modified" without building; older snapshots are kept by ETag so that a
// page holding one can be sent a delta.

#include "server/dashboard/snapshot_cache.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace berth::dashboard {
namespace {

using std::chrono::milliseconds;

// A snapshot whose one member is `text` (as a JSON string).
Snapshot Of(const std::string& text) {
  Snapshot s;
  s.members.emplace_back("at", "\"" + text + "\"");
  return s;
}

std::string Text(const SnapshotCache::Result& result) {
  const std::string& quoted = result.snapshot->members.at(0).second;
  return quoted.substr(1, quoted.size() - 2);
}

class SnapshotCacheTest : public ::testing::Test {
 protected:
  SnapshotCache Make(milliseconds interval) {
    return SnapshotCache(
        [this] { return version_.load(); },
        [this](const storage::Partition& p) {
          ++builds_;
          return Of(p.account_id + "/" + p.region + "@" + std::to_string(version_.load()));
        },
        interval);
  }
  const storage::Partition a_{"000000000000", "us-east-1"};
  const storage::Partition b_{"111111111111", "eu-west-1"};
  std::atomic<int64_t> version_{7};
  std::atomic<int> builds_{0};
};

TEST_F(SnapshotCacheTest, UnchangedStateIsNotModifiedWithoutABuild) {
  SnapshotCache cache = Make(milliseconds(0));
  const auto first = cache.Get(a_, std::nullopt);
  EXPECT_FALSE(first.not_modified);
  EXPECT_EQ(Text(first), "000000000000/us-east-1@7");
  // When the page asks again with the ETag it has, and nothing changed
  const auto again = cache.Get(a_, first.etag);
  // then it is told so, and nothing was built.
  EXPECT_TRUE(again.not_modified);
  EXPECT_EQ(again.etag, first.etag);
  EXPECT_EQ(builds_, 1);
  EXPECT_EQ(cache.builds(), 1);
}

TEST_F(SnapshotCacheTest, AChangeBuildsANewSnapshotWithANewEtag) {
  SnapshotCache cache = Make(milliseconds(0));
  const auto first = cache.Get(a_, std::nullopt);
  version_ = 8;
  const auto second = cache.Get(a_, first.etag);
  EXPECT_FALSE(second.not_modified);
  EXPECT_NE(second.etag, first.etag);
  EXPECT_EQ(Text(second), "000000000000/us-east-1@8");
  EXPECT_EQ(builds_, 2);
}

TEST_F(SnapshotCacheTest, AChangeThatShowsNothingNewIsStillNotModified) {
  SnapshotCache cache([this] { return version_.load(); },
                      [this](const storage::Partition&) {
                        ++builds_;
                        return Of("same");
                      },
                      milliseconds(0));
  const auto first = cache.Get(a_, std::nullopt);
  version_ = 8;  // something was written
  const auto second = cache.Get(a_, first.etag);
  EXPECT_EQ(builds_, 2);             // so the snapshot was built again
  EXPECT_TRUE(second.not_modified);  // but the page has it already
  EXPECT_EQ(second.etag, first.etag);
}

TEST_F(SnapshotCacheTest, AnOlderEtagStillKeptNamesTheBaseOfADelta) {
  SnapshotCache cache = Make(milliseconds(0));
  const auto first = cache.Get(a_, std::nullopt);
  EXPECT_EQ(first.base, nullptr);
  version_ = 8;
  const auto second = cache.Get(a_, first.etag);
  ASSERT_NE(second.base, nullptr);  // the page's snapshot: a delta can be made
  EXPECT_EQ(second.base, first.snapshot);
  EXPECT_EQ(Text(second), "000000000000/us-east-1@8");
  // An ETag the cache never made (or forgot) names no base.
  EXPECT_EQ(cache.Get(a_, std::string("\"unknown\"")).base, nullptr);
  // After more changes than it keeps, the oldest is forgotten.
  for (int v = 9; v < 17; ++v) {  // eight more
    version_ = v;
    cache.Get(a_, std::nullopt);
  }
  EXPECT_EQ(cache.Get(a_, first.etag).base, nullptr);
  EXPECT_NE(cache.Get(a_, second.etag).base, nullptr);
}

TEST_F(SnapshotCacheTest, PartitionsAreKeptApart) {
  SnapshotCache cache = Make(milliseconds(0));
  const auto a = cache.Get(a_, std::nullopt);
  const auto b = cache.Get(b_, a.etag);
  EXPECT_FALSE(b.not_modified);  // a's ETag says nothing about b
  EXPECT_NE(b.etag, a.etag);
  EXPECT_EQ(Text(b), "111111111111/eu-west-1@7");
  EXPECT_EQ(builds_, 2);
}

TEST_F(SnapshotCacheTest, RebuildsAtMostOncePerInterval) {
  SnapshotCache cache = Make(milliseconds(60'000));
  const auto first = cache.Get(a_, std::nullopt);
  version_ = 9;
  // Within the interval the previous snapshot still answers.
  const auto soon = cache.Get(a_, first.etag);
  EXPECT_TRUE(soon.not_modified);
  EXPECT_EQ(builds_, 1);
}

TEST_F(SnapshotCacheTest, ConcurrentCallersShareOneBuild) {
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  SnapshotCache cache([] { return int64_t{1}; },
                      [&](const storage::Partition&) {
                        const int now = ++running;
                        most = std::max(most.load(), now);
                        std::this_thread::sleep_for(milliseconds(50));
                        --running;
                        ++builds_;
                        return Of("{}");
                      },
                      milliseconds(0));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] { EXPECT_EQ(Text(cache.Get(a_, std::nullopt)), "{}"); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(builds_, 1);
  EXPECT_EQ(most, 1);
}

}  // namespace
}  // namespace berth::dashboard
