#include "server/ecs/task_definition_service.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/aws/aws_error.h"
#include "server/aws/request_context.h"
#include "storage/database.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

// Success when `action` throws an AwsError of `type` carrying `message`.
template <class Action>
::testing::AssertionResult Throws(Action&& action, const std::string& type,
                                  const std::string& message) {
  try {
    action();
  } catch (const aws::AwsError& e) {
    if (e.type() == type && e.what() == message) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "threw " << e.type() << ": " << e.what();
  }
  return ::testing::AssertionFailure() << "threw nothing";
}

class TaskDefinitionServiceTest : public ::testing::Test {
 protected:
  // A valid EC2 registration of `family`.
  static json Request(const std::string& family) {
    return {{"family", family},
            {"containerDefinitions",
             json::array({{{"name", "app"}, {"image", "nginx:latest"}, {"memory", 256}}})}};
  }

  int64_t Register(const std::string& family) {
    return service_.Register(context_, Request(family)).document.at("revision").get<int64_t>();
  }

  std::string Arn(const std::string& family, int64_t revision) const {
    return "arn:aws:ecs:us-east-1:000000000000:task-definition/" + family + ":" +
           std::to_string(revision);
  }

  std::vector<std::string> ListAll(const std::optional<std::string>& family,
                                   const std::string& status, bool descending) {
    return service_.List(context_, family, status, descending, "", 100).items;
  }

  storage::Database database_{":memory:"};
  TaskDefinitionService service_{database_};
  aws::RequestContext context_{"000000000000", "us-east-1", "request-1", "AKIDEXAMPLE",
                               1733318615.211};
};

// --- RegisterTaskDefinition ---------------------------------------------------

TEST_F(TaskDefinitionServiceTest, RegisterNumbersRevisionsFromOne) {
  // Given three registrations of one family and one of another
  // When registered, then revisions count per family
  EXPECT_EQ(Register("web"), 1);
  EXPECT_EQ(Register("web"), 2);
  EXPECT_EQ(Register("web"), 3);
  EXPECT_EQ(Register("db"), 1);
}

TEST_F(TaskDefinitionServiceTest, RegisterAddsTheStoredFields) {
  // Given a valid request
  // When registered
  const TaskDefinition td = service_.Register(context_, Request("web"));
  // Then ARN, revision, status and registration fields are added
  EXPECT_EQ(td.document.at("taskDefinitionArn"), Arn("web", 1));
  EXPECT_EQ(td.document.at("revision"), 1);
  EXPECT_EQ(td.document.at("status"), "ACTIVE");
  EXPECT_DOUBLE_EQ(td.document.at("registeredAt").get<double>(), 1733318615.211);
  EXPECT_EQ(td.document.at("registeredBy"), "arn:aws:iam::000000000000:root");
  EXPECT_EQ(td.document.at("compatibilities"), json({"EXTERNAL", "EC2"}));
  EXPECT_FALSE(td.document.contains("deregisteredAt"));
  EXPECT_FALSE(td.document.contains("deleteRequestedAt"));
  // And Describe serves the same document
  EXPECT_EQ(service_.Describe(context_, "web:1").document, td.document);
}

TEST_F(TaskDefinitionServiceTest, RegisterStoresTagsUnderTheArn) {
  // Given a request with tags
  json request = Request("web");
  request["tags"] = {{{"key", "team"}, {"value", "core"}}, {{"key", "env"}, {"value", "dev"}}};
  // When registered
  const TaskDefinition td = service_.Register(context_, request);
  // Then the tags come back, and Describe finds them
  const std::vector<storage::Tag> expected = {{"team", "core"}, {"env", "dev"}};
  EXPECT_EQ(td.tags, expected);
  EXPECT_EQ(service_.Describe(context_, Arn("web", 1)).tags, expected);
  EXPECT_FALSE(td.document.contains("tags"));
}

TEST_F(TaskDefinitionServiceTest, InvalidRegistrationStoresNothing) {
  // Given a request breaking a rule, and one with a reserved tag key
  json no_containers = Request("web");
  no_containers["containerDefinitions"] = json::array();
  json reserved_tag = Request("web");
  reserved_tag["tags"] = {{{"key", "aws:owner"}, {"value", "x"}}};
  // When registered, then both fail
  EXPECT_TRUE(Throws([&] { service_.Register(context_, no_containers); }, "ClientException",
                     "Container list cannot be empty."));
  EXPECT_TRUE(Throws([&] { service_.Register(context_, reserved_tag); },
                     "InvalidParameterException",
                     "Tag keys with the prefix 'aws:' are reserved for AWS use."));
  // And no row exists and the revision counter did not move
  EXPECT_TRUE(service_.ListFamilies(context_, "", "ALL", "", 100).items.empty());
  EXPECT_TRUE(Throws([&] { service_.Describe(context_, "web:1"); }, "ClientException",
                     "Unable to describe task definition."));
  EXPECT_EQ(Register("web"), 1);
}

TEST_F(TaskDefinitionServiceTest, RevisionNumbersAreNeverReused) {
  // Given revisions 1 and 2, with 2 deregistered and deleted
  Register("web");
  Register("web");
  service_.Deregister(context_, "web:2");
  service_.Delete(context_, {"web:2"});
  // When registering again, then the next number is 3
  EXPECT_EQ(Register("web"), 3);
  // And after deleting every revision the counter still goes on
  service_.Deregister(context_, "web:1");
  service_.Deregister(context_, "web:3");
  service_.Delete(context_, {"web:1", "web:3"});
  EXPECT_EQ(Register("web"), 4);
}

// --- DescribeTaskDefinition ---------------------------------------------------

TEST_F(TaskDefinitionServiceTest, DescribeByFamilyIsTheLatestActiveRevision) {
  // Given revisions 1-3 with 3 deregistered
  Register("web");
  Register("web");
  Register("web");
  service_.Deregister(context_, "web:3");
  // When described by family, then revision 2 is returned
  EXPECT_EQ(service_.Describe(context_, "web").document.at("revision"), 2);
}

TEST_F(TaskDefinitionServiceTest, DescribeByRevisionOrArnFindsAnyStatus) {
  // Given revision 1 deleted, 2 inactive and 3 active
  Register("web");
  Register("web");
  Register("web");
  service_.Deregister(context_, "web:1");
  service_.Deregister(context_, "web:2");
  service_.Delete(context_, {"web:1"});
  // When described by family:revision and ARN, then each exact revision comes back
  EXPECT_EQ(service_.Describe(context_, "web:1").document.at("status"), "DELETE_IN_PROGRESS");
  EXPECT_EQ(service_.Describe(context_, "web:2").document.at("status"), "INACTIVE");
  EXPECT_EQ(service_.Describe(context_, Arn("web", 2)).document.at("revision"), 2);
  EXPECT_EQ(service_.Describe(context_, Arn("web", 3)).document.at("status"), "ACTIVE");
}

TEST_F(TaskDefinitionServiceTest, DescribeRefusesUnknownMalformedAndForeignReferences) {
  // Given web:1 and a family whose only revision is inactive
  Register("web");
  Register("old");
  service_.Deregister(context_, "old:1");
  // When described by references that name nothing here, then each is refused
  for (const std::string reference :
       {"nope", "web:2", "bad name", "", "old",
        "arn:aws:ecs:us-east-1:111111111111:task-definition/web:1",
        "arn:aws:ecs:eu-west-1:000000000000:task-definition/web:1",
        "arn:aws:ecs:us-east-1:000000000000:cluster/web", "arn:aws:ecs"}) {
    EXPECT_TRUE(Throws([&] { service_.Describe(context_, reference); }, "ClientException",
                       "Unable to describe task definition."))
        << reference;
  }
  // and a revision that is not a positive number is malformed, as ECS says.
  for (const std::string revision : {"0", "-1", "x", "", "1:2"}) {
    EXPECT_TRUE(Throws([&] { service_.Describe(context_, "web:" + revision); },
                       "InvalidParameterException", "Invalid revision number. Number: " + revision))
        << revision;
  }
}

// --- ListTaskDefinitions ------------------------------------------------------

TEST_F(TaskDefinitionServiceTest, ListSortsByFamilyThenRevision) {
  // Given b:1, a:1, a:2
  Register("b");
  Register("a");
  Register("a");
  // When listed ascending and descending
  // Then families sort lexicographically and revisions numerically
  EXPECT_EQ(ListAll(std::nullopt, "ACTIVE", false),
            (std::vector<std::string>{Arn("a", 1), Arn("a", 2), Arn("b", 1)}));
  EXPECT_EQ(ListAll(std::nullopt, "ACTIVE", true),
            (std::vector<std::string>{Arn("b", 1), Arn("a", 2), Arn("a", 1)}));
}

TEST_F(TaskDefinitionServiceTest, ListFamilyPrefixIsAnExactFamily) {
  // Given the families web and web-api
  Register("web");
  Register("web-api");
  // When listed with familyPrefix "web", then only web appears
  EXPECT_EQ(ListAll("web", "ACTIVE", false), std::vector<std::string>{Arn("web", 1)});
  EXPECT_TRUE(ListAll("we", "ACTIVE", false).empty());
}

TEST_F(TaskDefinitionServiceTest, ListFiltersByStatus) {
  // Given web:1 deleted, web:2 inactive, web:3 active
  Register("web");
  Register("web");
  Register("web");
  service_.Deregister(context_, "web:1");
  service_.Deregister(context_, "web:2");
  service_.Delete(context_, {"web:1"});
  // When listed per status, then each revision appears under its own
  EXPECT_EQ(ListAll(std::nullopt, "ACTIVE", false), std::vector<std::string>{Arn("web", 3)});
  EXPECT_EQ(ListAll(std::nullopt, "INACTIVE", false), std::vector<std::string>{Arn("web", 2)});
  EXPECT_EQ(ListAll(std::nullopt, "DELETE_IN_PROGRESS", false),
            std::vector<std::string>{Arn("web", 1)});
}

TEST_F(TaskDefinitionServiceTest, ListPagesThroughManyRevisionsWithTokens) {
  // Given 250 revisions across two families
  for (int i = 0; i < 200; ++i) Register("app");
  for (int i = 0; i < 50; ++i) Register("zeta");
  for (const bool descending : {false, true}) {
    // When paging with maxResults 100
    std::vector<std::string> all;
    std::vector<size_t> sizes;
    std::string token;
    do {
      const NamePage page = service_.List(context_, std::nullopt, "ACTIVE", descending, token, 100);
      sizes.push_back(page.items.size());
      all.insert(all.end(), page.items.begin(), page.items.end());
      token = page.next;
    } while (!token.empty());
    // Then three pages of 100, 100 and 50 cover every revision once, in order
    EXPECT_EQ(sizes, (std::vector<size_t>{100, 100, 50})) << descending;
    ASSERT_EQ(all.size(), 250u);
    EXPECT_EQ(all.front(), descending ? Arn("zeta", 50) : Arn("app", 1));
    EXPECT_EQ(all[99], descending ? Arn("app", 151) : Arn("app", 100));
    EXPECT_EQ(all[200], descending ? Arn("app", 50) : Arn("zeta", 1));
    EXPECT_EQ(all.back(), descending ? Arn("app", 1) : Arn("zeta", 50));
  }
}

TEST_F(TaskDefinitionServiceTest, ListPagesWithinOneFamily) {
  // Given 250 revisions of "app" between revisions of other families
  Register("aaa");
  for (int i = 0; i < 250; ++i) Register("app");
  Register("zzz");
  for (const bool descending : {false, true}) {
    // When paging the family with maxResults 100
    std::vector<std::string> all;
    std::string token;
    int pages = 0;
    do {
      const NamePage page = service_.List(context_, "app", "ACTIVE", descending, token, 100);
      all.insert(all.end(), page.items.begin(), page.items.end());
      token = page.next;
      ++pages;
    } while (!token.empty());
    // Then three pages hold exactly that family's revisions, in order
    EXPECT_EQ(pages, 3);
    ASSERT_EQ(all.size(), 250u);
    EXPECT_EQ(all.front(), Arn("app", descending ? 250 : 1));
    EXPECT_EQ(all[100], Arn("app", descending ? 150 : 101));
    EXPECT_EQ(all.back(), Arn("app", descending ? 1 : 250));
  }
  // And a token of the unfiltered listing does not resume another family
  const std::string token = service_.List(context_, std::nullopt, "ACTIVE", false, "", 1).next;
  EXPECT_TRUE(Throws([&] { service_.List(context_, "app", "ACTIVE", false, token, 10); },
                     "InvalidParameterException", "Invalid nextToken."));
}

TEST_F(TaskDefinitionServiceTest, ListWithoutMoreRowsHasNoToken) {
  // Given exactly one page of revisions
  Register("web");
  Register("web");
  // When listed with maxResults 2, then no nextToken follows
  EXPECT_TRUE(service_.List(context_, std::nullopt, "ACTIVE", false, "", 2).next.empty());
  // And with maxResults 1 the token resumes after the first
  const NamePage first = service_.List(context_, std::nullopt, "ACTIVE", false, "", 1);
  const NamePage second = service_.List(context_, std::nullopt, "ACTIVE", false, first.next, 1);
  EXPECT_EQ(second.items, std::vector<std::string>{Arn("web", 2)});
  EXPECT_TRUE(second.next.empty());
}

TEST_F(TaskDefinitionServiceTest, ListRefusesBadPageSizesAndTokens) {
  Register("web");
  Register("web");
  for (const size_t size : {size_t{0}, size_t{101}}) {
    EXPECT_TRUE(Throws([&] { service_.List(context_, std::nullopt, "ACTIVE", false, "", size); },
                       "InvalidParameterException", "maxResults must be between 1 and 100."));
  }
  // A token that is garbage, or that another listing or sort order made, is refused
  const std::string descending_token =
      service_.List(context_, std::nullopt, "ACTIVE", true, "", 1).next;
  ASSERT_FALSE(descending_token.empty());
  for (const std::string& token : {std::string("garbage!"), descending_token}) {
    EXPECT_TRUE(Throws([&] { service_.List(context_, std::nullopt, "ACTIVE", false, token, 10); },
                       "InvalidParameterException", "Invalid nextToken."))
        << token;
  }
  Register("zeta");
  const std::string families_token = service_.ListFamilies(context_, "", "ALL", "", 1).next;
  ASSERT_FALSE(families_token.empty());
  EXPECT_TRUE(
      Throws([&] { service_.List(context_, std::nullopt, "ACTIVE", false, families_token, 10); },
             "InvalidParameterException", "Invalid nextToken."));
}

// --- ListTaskDefinitionFamilies ------------------------------------------------

TEST_F(TaskDefinitionServiceTest, ListFamiliesUsesARealPrefix) {
  // Given four families
  for (const char* family : {"web", "web-api", "worker", "db"}) Register(family);
  // When listed with and without a prefix, then names sort and prefixes match
  EXPECT_EQ(service_.ListFamilies(context_, "we", "ACTIVE", "", 100).items,
            (std::vector<std::string>{"web", "web-api"}));
  EXPECT_EQ(service_.ListFamilies(context_, "", "ACTIVE", "", 100).items,
            (std::vector<std::string>{"db", "web", "web-api", "worker"}));
  EXPECT_TRUE(service_.ListFamilies(context_, "x%", "ACTIVE", "", 100).items.empty());
}

TEST_F(TaskDefinitionServiceTest, ListFamiliesFiltersByStatus) {
  // Given "live" with an active revision, "gone" with only an inactive one and
  // "mixed" with one of each
  Register("live");
  Register("gone");
  Register("mixed");
  Register("mixed");
  service_.Deregister(context_, "gone:1");
  service_.Deregister(context_, "mixed:1");
  // When listed per status
  // Then INACTIVE means "no ACTIVE revision left" and ALL has every family
  EXPECT_EQ(service_.ListFamilies(context_, "", "ACTIVE", "", 100).items,
            (std::vector<std::string>{"live", "mixed"}));
  EXPECT_EQ(service_.ListFamilies(context_, "", "INACTIVE", "", 100).items,
            std::vector<std::string>{"gone"});
  EXPECT_EQ(service_.ListFamilies(context_, "", "ALL", "", 100).items,
            (std::vector<std::string>{"gone", "live", "mixed"}));
}

TEST_F(TaskDefinitionServiceTest, ListFamiliesPages) {
  // Given five families
  for (const char* family : {"a", "b", "c", "d", "e"}) Register(family);
  // When paging two at a time
  std::vector<std::string> all;
  std::string token;
  int pages = 0;
  do {
    const NamePage page = service_.ListFamilies(context_, "", "ACTIVE", token, 2);
    all.insert(all.end(), page.items.begin(), page.items.end());
    token = page.next;
    ++pages;
  } while (!token.empty());
  // Then three pages hold every family once
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(all, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_TRUE(Throws([&] { service_.ListFamilies(context_, "", "ACTIVE", "bogus", 2); },
                     "InvalidParameterException", "Invalid nextToken."));
  EXPECT_TRUE(Throws([&] { service_.ListFamilies(context_, "", "ACTIVE", "", 0); },
                     "InvalidParameterException", "maxResults must be between 1 and 100."));
}

// --- DeregisterTaskDefinition -------------------------------------------------

TEST_F(TaskDefinitionServiceTest, DeregisterMarksTheRevisionInactive) {
  // Given web:1
  Register("web");
  // When deregistered later
  context_.now = 1733318700.5;
  const TaskDefinition td = service_.Deregister(context_, "web:1");
  // Then it is INACTIVE with deregisteredAt, and Describe agrees
  EXPECT_EQ(td.document.at("status"), "INACTIVE");
  EXPECT_DOUBLE_EQ(td.document.at("deregisteredAt").get<double>(), 1733318700.5);
  EXPECT_DOUBLE_EQ(td.document.at("registeredAt").get<double>(), 1733318615.211);
  EXPECT_EQ(service_.Describe(context_, "web:1").document, td.document);
  // And deregistering again (by ARN) returns it unchanged
  context_.now = 1733318800.0;
  EXPECT_EQ(service_.Deregister(context_, Arn("web", 1)).document, td.document);
}

TEST_F(TaskDefinitionServiceTest, DeregisterNeedsAnExistingRevision) {
  Register("web");
  EXPECT_TRUE(Throws([&] { service_.Deregister(context_, "web"); }, "ClientException",
                     "Revision is missing."));
  for (const std::string reference : {"web:2", "nope:1", "bad name:1",
                                      "arn:aws:ecs:us-east-1:111111111111:task-definition/web:1"}) {
    EXPECT_TRUE(Throws([&] { service_.Deregister(context_, reference); }, "ClientException",
                       "The specified task definition does not exist."))
        << reference;
  }
  EXPECT_EQ(service_.Describe(context_, "web:1").document.at("status"), "ACTIVE");
}

// --- DeleteTaskDefinitions ------------------------------------------------------

TEST_F(TaskDefinitionServiceTest, DeleteMovesInactiveRevisionsToDeleteInProgress) {
  // Given web:1 deregistered
  Register("web");
  service_.Deregister(context_, "web:1");
  // When deleted later
  context_.now = 1733319000.25;
  const auto outcomes = service_.Delete(context_, {Arn("web", 1)});
  // Then it is DELETE_IN_PROGRESS with deleteRequestedAt, and the row stays
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0].task_definition.has_value());
  const json& td = *outcomes[0].task_definition;
  EXPECT_EQ(td.at("status"), "DELETE_IN_PROGRESS");
  EXPECT_DOUBLE_EQ(td.at("deleteRequestedAt").get<double>(), 1733319000.25);
  EXPECT_DOUBLE_EQ(td.at("deregisteredAt").get<double>(), 1733318615.211);
  EXPECT_EQ(service_.Describe(context_, "web:1").document, td);
  EXPECT_EQ(ListAll(std::nullopt, "DELETE_IN_PROGRESS", false),
            std::vector<std::string>{Arn("web", 1)});
  EXPECT_TRUE(ListAll(std::nullopt, "INACTIVE", false).empty());
  // And deleting it again succeeds without changing it
  context_.now = 1733319999.0;
  const auto again = service_.Delete(context_, {"web:1"});
  ASSERT_TRUE(again[0].task_definition.has_value());
  EXPECT_EQ(*again[0].task_definition, td);
}

TEST_F(TaskDefinitionServiceTest, DeleteReportsFailuresPerReference) {
  // Given web:1 active and web:2 inactive
  Register("web");
  Register("web");
  service_.Deregister(context_, "web:2");
  // When deleting a mix of good and bad references
  const auto outcomes =
      service_.Delete(context_, {"web:1", "web:2", "web:9", "web", "bad name:1",
                                 "arn:aws:ecs:us-east-1:111111111111:task-definition/web:2"});
  // Then only web:2 succeeds and each failure carries its reference and reason
  ASSERT_EQ(outcomes.size(), 6u);
  const std::string active =
      "The specified task definition is still in ACTIVE status. Please deregister the target and "
      "try again.";
  const std::string missing =
      "The specified task definition does not exist. Specify a valid account, family, revision "
      "and try again.";
  const std::string invalid =
      "The specified task definition identifier is invalid. Specify a valid name or ARN and try "
      "again.";
  EXPECT_FALSE(outcomes[0].task_definition.has_value());
  EXPECT_EQ(outcomes[0].arn, "web:1");
  EXPECT_EQ(outcomes[0].reason, active);
  ASSERT_TRUE(outcomes[1].task_definition.has_value());
  EXPECT_EQ(outcomes[1].task_definition->at("status"), "DELETE_IN_PROGRESS");
  EXPECT_EQ(outcomes[2].reason, missing);
  EXPECT_EQ(outcomes[3].reason, invalid);
  EXPECT_EQ(outcomes[4].reason, invalid);
  EXPECT_EQ(outcomes[5].reason, missing);
  EXPECT_EQ(outcomes[5].arn, "arn:aws:ecs:us-east-1:111111111111:task-definition/web:2");
  // And the active revision is untouched
  EXPECT_EQ(service_.Describe(context_, "web:1").document.at("status"), "ACTIVE");
}

TEST_F(TaskDefinitionServiceTest, DeleteTakesOneToTenReferences) {
  const std::string message = "taskDefinitions must contain between 1 and 10 references.";
  EXPECT_TRUE(Throws([&] { service_.Delete(context_, {}); }, "InvalidParameterException", message));
  const std::vector<std::string> eleven(11, "web:1");
  EXPECT_TRUE(
      Throws([&] { service_.Delete(context_, eleven); }, "InvalidParameterException", message));
}

}  // namespace
}  // namespace berth::ecs
