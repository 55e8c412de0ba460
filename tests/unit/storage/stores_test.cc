#include <gtest/gtest.h>

#include "storage/cluster_store.h"
#include "storage/database.h"
#include "storage/ecr_store.h"
#include "storage/tag_store.h"
#include "storage/task_definition_store.h"

namespace berth::storage {
namespace {

class StoresTest : public ::testing::Test {
 protected:
  Database database_{":memory:"};
  Partition partition_{"000000000000", "us-east-1"};
  Partition other_{"111111111111", "us-east-1"};
};

TEST_F(StoresTest, RepositoryNamesAreUniquePerPartition) {
  auto lease = database_.Acquire();
  RepositoryRecord r;
  r.name = "app";
  r.tag_mutability = "MUTABLE";
  r.encryption_type = "AES256";
  EXPECT_TRUE(EcrStore(lease.db(), partition_).InsertRepository(r).has_value());
  EXPECT_FALSE(EcrStore(lease.db(), partition_).InsertRepository(r).has_value());
  EXPECT_TRUE(EcrStore(lease.db(), other_).InsertRepository(r).has_value());
  EXPECT_TRUE(EcrStore(lease.db(), partition_).FindRepository("app").has_value());
  EXPECT_FALSE(EcrStore(lease.db(), partition_).FindRepository("nope").has_value());
}

TEST_F(StoresTest, RepositoriesListInNameOrderAfterAKey) {
  auto lease = database_.Acquire();
  EcrStore store(lease.db(), partition_);
  for (const char* name : {"c", "a", "b", "d"}) {
    RepositoryRecord r;
    r.name = name;
    r.tag_mutability = "MUTABLE";
    r.encryption_type = "AES256";
    store.InsertRepository(r);
  }
  auto page = store.ListRepositories("", 2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].name, "a");
  EXPECT_EQ(page[1].name, "b");
  page = store.ListRepositories("b", 10);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].name, "c");
}

TEST_F(StoresTest, TagsMergeAndKeepTheirOrder) {
  auto lease = database_.Acquire();
  TagStore tags(lease.db());
  tags.Put("arn:x", {{"b", "1"}, {"a", "2"}});
  tags.Put("arn:x", {{"b", "3"}, {"c", "4"}});
  const std::vector<Tag> expected = {{"b", "3"}, {"a", "2"}, {"c", "4"}};
  EXPECT_EQ(tags.List("arn:x"), expected);
  tags.Remove("arn:x", {"a", "zzz"});
  EXPECT_EQ(tags.Count("arn:x"), 2u);
  tags.RemoveAll("arn:x");
  EXPECT_TRUE(tags.List("arn:x").empty());
}

TEST_F(StoresTest, ClusterUpsertReplacesAnInactiveCluster) {
  auto lease = database_.Acquire();
  ClusterStore store(lease.db(), partition_);
  store.Upsert({"c1", "ACTIVE", 1.0, "{}"});
  store.UpdateStatus("c1", "INACTIVE");
  EXPECT_TRUE(store.ListActiveNames("", 10).empty());
  store.Upsert({"c1", "ACTIVE", 2.0, R"({"a":1})"});
  const auto found = store.Find("c1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->status, "ACTIVE");
  EXPECT_EQ(found->document, R"({"a":1})");
  EXPECT_EQ(store.ListActiveNames("", 10), std::vector<std::string>{"c1"});
}

TEST_F(StoresTest, RevisionsCountUpPerFamilyAndNeverRepeat) {
  auto lease = database_.Acquire();
  TaskDefinitionStore store(lease.db(), partition_);
  const auto add = [&store](const std::string& family) {
    const int64_t revision = store.NextRevision(family);
    store.Insert({family, revision, "ACTIVE", 1.0, std::nullopt, std::nullopt, "{}"});
    return revision;
  };
  EXPECT_EQ(add("web"), 1);
  EXPECT_EQ(add("web"), 2);
  EXPECT_EQ(add("api"), 1);
  EXPECT_EQ(TaskDefinitionStore(lease.db(), other_).NextRevision("web"), 1);
  // A deleted revision is not given again, nor are those below it
  store.Delete("web", 2);
  EXPECT_EQ(add("web"), 3);
  store.Delete("web", 3);
  store.Delete("web", 1);
  EXPECT_EQ(add("web"), 4);
  // and a family with no revision left counts on from its highest
  store.Delete("web", 4);
  EXPECT_EQ(store.NextRevision("web"), 5);
}

TEST_F(StoresTest, RevisionListingPagesByKeyInBothDirections) {
  auto lease = database_.Acquire();
  TaskDefinitionStore store(lease.db(), partition_);
  for (const char* family : {"b", "a"}) {
    for (int64_t rev = 1; rev <= 3; ++rev) {
      ASSERT_EQ(store.NextRevision(family), rev);
      store.Insert({family, rev, "ACTIVE", 1.0, std::nullopt, std::nullopt, "{}"});
    }
  }
  store.UpdateStatus("a", 2, "INACTIVE", 5.0, std::nullopt);
  auto asc = store.List("ACTIVE", std::nullopt, false, std::nullopt, 3);
  ASSERT_EQ(asc.size(), 3u);
  EXPECT_EQ(asc[0].family + std::to_string(asc[0].revision), "a1");
  EXPECT_EQ(asc[1].family + std::to_string(asc[1].revision), "a3");
  EXPECT_EQ(asc[2].family + std::to_string(asc[2].revision), "b1");
  auto rest = store.List("ACTIVE", std::nullopt, false, asc.back(), 10);
  ASSERT_EQ(rest.size(), 2u);
  auto desc = store.List("ACTIVE", std::string("b"), true, std::nullopt, 10);
  ASSERT_EQ(desc.size(), 3u);
  EXPECT_EQ(desc[0].revision, 3);
  EXPECT_EQ(store.ListFamilies("", TaskDefinitionStore::FamilyFilter::kActive, "", 10),
            (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace berth::storage
