// ECR repositories through the JSON API: CreateRepository's rules, describe
// and pagination, deletion, resource tags, tag mutability and scanning. Every
// refused call is followed by a read that proves nothing was stored.

#include <string>
#include <vector>

#include "tests/support/api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kRepositoryAccount = "000000000000";
constexpr const char* kArnPrefix = "arn:aws:ecr:us-east-1:000000000000:repository/";

class EcrRepositoriesTest : public ApiTest {
 protected:
  json Create(const std::string& name, json extra = json::object()) {
    extra["repositoryName"] = name;
    return EcrOk("CreateRepository", extra)["repository"];
  }

  // Names of every repository in the caller's registry, across all pages.
  std::vector<std::string> Names(const json& extra = json::object()) {
    std::vector<std::string> names;
    json input = extra;
    for (int page = 0; page < 100; ++page) {
      const json out = EcrOk("DescribeRepositories", input);
      for (const auto& r : out.value("repositories", json::array())) {
        names.push_back(r["repositoryName"].get<std::string>());
      }
      if (!out.contains("nextToken")) break;
      input["nextToken"] = out["nextToken"];
    }
    return names;
  }

  json Tags(const std::string& name) {
    return EcrOk("ListTagsForResource", {{"resourceArn", kArnPrefix + name}})["tags"];
  }

  static json TagList(size_t count, const std::string& prefix = "k") {
    json tags = json::array();
    for (size_t i = 0; i < count; ++i) {
      tags.push_back({{"Key", prefix + std::to_string(i)}, {"Value", "v"}});
    }
    return tags;
  }

  static json Filters(std::initializer_list<const char*> patterns) {
    json filters = json::array();
    for (const char* p : patterns) filters.push_back({{"filterType", "WILDCARD"}, {"filter", p}});
    return filters;
  }

  // A SigV4 header whose credential scope names this key and region.
  static std::string Auth(const std::string& access_key, const std::string& region) {
    return "AWS4-HMAC-SHA256 Credential=" + access_key + "/20260101/" + region +
           "/ecr/aws4_request, SignedHeaders=host, Signature=0";
  }

  ApiReply EcrAs(const std::string& authorization, const std::string& operation,
                 const json& input) {
    ApiReply reply = Raw(std::string(kEcrPrefix) + operation, input.dump(),
                         "application/x-amz-json-1.1", authorization);
    if (reply.status == 200) {
      const auto& model = aws::model::EcrModel();
      const auto problems =
          aws::model::CheckOutput(model, *model.FindOperation(operation), reply.body);
      EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
    }
    return reply;
  }
};

// --- CreateRepository ------------------------------------------------------

TEST_F(EcrRepositoriesTest, CreateRepositoryEchoesTheDefaults) {
  const json r = Create("team/app");
  EXPECT_EQ(r["repositoryArn"], std::string(kArnPrefix) + "team/app");
  EXPECT_EQ(r["registryId"], kRepositoryAccount);
  EXPECT_EQ(r["repositoryName"], "team/app");
  EXPECT_EQ(r["repositoryUri"], "localhost:4566/team/app");
  EXPECT_DOUBLE_EQ(r["createdAt"].get<double>(), clock_.Now());
  EXPECT_EQ(r["imageTagMutability"], "MUTABLE");
  EXPECT_FALSE(r.contains("imageTagMutabilityExclusionFilters"));
  EXPECT_EQ(r["imageScanningConfiguration"], json({{"scanOnPush", false}}));
  EXPECT_EQ(r["encryptionConfiguration"], json({{"encryptionType", "AES256"}}));
  // DescribeRepositories reports the same repository.
  const json d = EcrOk("DescribeRepositories", {{"repositoryNames", {"team/app"}}});
  ASSERT_EQ(d["repositories"].size(), 1u);
  EXPECT_EQ(d["repositories"][0], r);
}

TEST_F(EcrRepositoriesTest, CreateRepositoryAcceptsEveryNameTheGrammarAllows) {
  const std::vector<std::string> valid = {
      "ab",
      "a__b",
      "a_b",
      "a.b",
      "a-b",
      "a---b",
      "team/app",
      "a/b/c/d",
      "x1/y2.z3-w_4",
      "0a",
      std::string(256, 'a'),
  };
  for (const auto& name : valid) {
    const ApiReply r = Ecr("CreateRepository", {{"repositoryName", name}});
    EXPECT_EQ(r.status, 200u) << name << ": " << r.raw;
  }
  EXPECT_EQ(Names().size(), valid.size());
}

TEST_F(EcrRepositoriesTest, CreateRepositoryRefusesNamesOutsideTheGrammar) {
  const std::vector<std::string> invalid = {
      "",       "a",         std::string(257, 'a'),
      "Upper",  "upPer/app", "-lead",
      "_lead",  ".lead",     "/lead",
      "trail/", "trail-",    "trail_",
      "a//b",   "a___b",     "a..b",
      "a._b",   "a b",       "a:b",
      "a@b",    "ä-b",       "a/-b",
  };
  for (const auto& name : invalid) {
    const ApiReply r = Ecr("CreateRepository", {{"repositoryName", name}});
    EXPECT_EQ(r.status, 400u) << name;
    EXPECT_EQ(r.error_type(), "InvalidParameterException") << name << ": " << r.raw;
    EXPECT_NE(r.message().find("'repositoryName'"), std::string::npos) << r.raw;
  }
  // The length rules answer in ECR's words.
  EXPECT_EQ(Ecr("CreateRepository", {{"repositoryName", std::string(257, 'a')}}).message(),
            "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have "
            "length less than or equal to 256'");
  EXPECT_NE(Ecr("CreateRepository", {{"repositoryName", "Upper"}})
                .message()
                .find("must satisfy regular expression"),
            std::string::npos);
  EXPECT_TRUE(Names().empty());
}

TEST_F(EcrRepositoriesTest, CreateRepositoryNeedsAName) {
  EXPECT_AWS_ERROR(Ecr("CreateRepository", json::object()), "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("CreateRepository", {{"repositoryName", nullptr}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("CreateRepository", {{"repositoryName", 42}}), "SerializationException");
  EXPECT_TRUE(Names().empty());
}

TEST_F(EcrRepositoriesTest, CreateRepositoryRefusesADuplicateAndKeepsTheOriginal) {
  // Given a repository with default settings and no tags
  const json original = Create("app");
  clock_.Advance(60);
  // When the same name is created again with other settings
  const ApiReply r =
      Ecr("CreateRepository",
          {{"repositoryName", "app"}, {"imageTagMutability", "IMMUTABLE"}, {"tags", TagList(2)}});
  // Then it is refused with ECR's exact message, and the original is unchanged
  EXPECT_AWS_ERROR(r, "RepositoryAlreadyExistsException");
  EXPECT_EQ(r.message(),
            "The repository with name 'app' already exists in the registry with id "
            "'000000000000'");
  const json d = EcrOk("DescribeRepositories", {{"repositoryNames", {"app"}}});
  EXPECT_EQ(d["repositories"][0], original);
  EXPECT_TRUE(Tags("app").empty());
}

TEST_F(EcrRepositoriesTest, CreateRepositoryChecksTheTagMutabilityEnum) {
  for (const char* bad : {"BOGUS", "mutable", "Immutable", ""}) {
    EXPECT_AWS_ERROR(
        Ecr("CreateRepository", {{"repositoryName", "app"}, {"imageTagMutability", bad}}),
        "InvalidParameterException");
  }
  EXPECT_TRUE(Names().empty());
  EXPECT_EQ(Create("a1", {{"imageTagMutability", "MUTABLE"}})["imageTagMutability"], "MUTABLE");
  EXPECT_EQ(Create("a2", {{"imageTagMutability", "IMMUTABLE"}})["imageTagMutability"], "IMMUTABLE");
  const json a3 = Create("a3", {{"imageTagMutability", "IMMUTABLE_WITH_EXCLUSION"},
                                {"imageTagMutabilityExclusionFilters", Filters({"latest"})}});
  EXPECT_EQ(a3["imageTagMutability"], "IMMUTABLE_WITH_EXCLUSION");
  EXPECT_EQ(a3["imageTagMutabilityExclusionFilters"], Filters({"latest"}));
  const json a4 = Create("a4", {{"imageTagMutability", "MUTABLE_WITH_EXCLUSION"},
                                {"imageTagMutabilityExclusionFilters", Filters({"v*", "rel-*"})}});
  EXPECT_EQ(a4["imageTagMutability"], "MUTABLE_WITH_EXCLUSION");
  EXPECT_EQ(a4["imageTagMutabilityExclusionFilters"], Filters({"v*", "rel-*"}));
}

TEST_F(EcrRepositoriesTest, ExclusionFormsNeedFiltersAndPlainFormsRefuseThem) {
  EXPECT_AWS_ERROR(Ecr("CreateRepository", {{"repositoryName", "app"},
                                            {"imageTagMutability", "IMMUTABLE_WITH_EXCLUSION"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("CreateRepository", {{"repositoryName", "app"},
                                            {"imageTagMutability", "MUTABLE_WITH_EXCLUSION"}}),
                   "InvalidParameterException");
  // An empty list is not a list of filters either (the model's minimum is 1).
  EXPECT_AWS_ERROR(Ecr("CreateRepository", {{"repositoryName", "app"},
                                            {"imageTagMutability", "MUTABLE_WITH_EXCLUSION"},
                                            {"imageTagMutabilityExclusionFilters", json::array()}}),
                   "InvalidParameterException");
  for (const char* plain : {"MUTABLE", "IMMUTABLE"}) {
    EXPECT_AWS_ERROR(
        Ecr("CreateRepository", {{"repositoryName", "app"},
                                 {"imageTagMutability", plain},
                                 {"imageTagMutabilityExclusionFilters", Filters({"latest"})}}),
        "InvalidParameterException");
  }
  // Filters without a mutability at all mean MUTABLE with filters: refused.
  EXPECT_AWS_ERROR(
      Ecr("CreateRepository",
          {{"repositoryName", "app"}, {"imageTagMutabilityExclusionFilters", Filters({"latest"})}}),
      "InvalidParameterException");
  EXPECT_TRUE(Names().empty());
}

TEST_F(EcrRepositoriesTest, ExclusionFiltersFollowTheModelPatternAndLimits) {
  const auto create = [&](const json& filters) {
    return Ecr("CreateRepository", {{"repositoryName", "app"},
                                    {"imageTagMutability", "IMMUTABLE_WITH_EXCLUSION"},
                                    {"imageTagMutabilityExclusionFilters", filters}});
  };
  EXPECT_AWS_ERROR(create(Filters({"a", "b", "c", "d", "e", "f"})), "InvalidParameterException");
  for (const std::string& bad : {std::string(), std::string("has space"), std::string("a/b"),
                                 std::string("a:b"), std::string("tag?"), std::string(129, 'x')}) {
    EXPECT_AWS_ERROR(create(json::array({{{"filterType", "WILDCARD"}, {"filter", bad}}})),
                     "InvalidParameterException");
  }
  EXPECT_AWS_ERROR(create(json::array({{{"filterType", "REGEX"}, {"filter", "a"}}})),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(create(json::array({{{"filter", "a"}}})), "InvalidParameterException");
  EXPECT_AWS_ERROR(create(json::array({{{"filterType", "WILDCARD"}}})),
                   "InvalidParameterException");
  EXPECT_TRUE(Names().empty());

  // Five filters using every allowed character, the longest allowed, are fine.
  const std::string longest(128, 'Z');
  const json five = Filters({"*", "v1.*", "rel_*-x", "A-Z.0_9", longest.c_str()});
  const ApiReply ok = create(five);
  ASSERT_EQ(ok.status, 200u) << ok.raw;
  EXPECT_EQ(ok.body["repository"]["imageTagMutabilityExclusionFilters"], five);
  EXPECT_EQ(EcrOk("DescribeRepositories",
                  {{"repositoryNames",
                    {"app"}}})["repositories"][0]["imageTagMutabilityExclusionFilters"],
            five);
}

TEST_F(EcrRepositoriesTest, EncryptionConfigurationRules) {
  // AES256 takes no key.
  EXPECT_AWS_ERROR(Ecr("CreateRepository",
                       {{"repositoryName", "app"},
                        {"encryptionConfiguration",
                         {{"encryptionType", "AES256"},
                          {"kmsKey", "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab"}}}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Ecr("CreateRepository",
          {{"repositoryName", "app"}, {"encryptionConfiguration", {{"encryptionType", "DES"}}}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("CreateRepository",
                       {{"repositoryName", "app"}, {"encryptionConfiguration", json::object()}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("CreateRepository",
                       {{"repositoryName", "app"},
                        {"encryptionConfiguration", {{"encryptionType", "KMS"}, {"kmsKey", ""}}}}),
                   "InvalidParameterException");
  EXPECT_TRUE(Names().empty());

  // KMS without a key gets the account's default ECR key.
  const json kms = Create("kms", {{"encryptionConfiguration", {{"encryptionType", "KMS"}}}});
  EXPECT_EQ(kms["encryptionConfiguration"]["encryptionType"], "KMS");
  const std::string key = kms["encryptionConfiguration"].value("kmsKey", "");
  EXPECT_TRUE(key.starts_with("arn:aws:kms:us-east-1:000000000000:")) << key;
  // An explicit key is kept as given, for KMS and KMS_DSSE alike.
  const std::string mine = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab";
  const json dsse = Create(
      "dsse", {{"encryptionConfiguration", {{"encryptionType", "KMS_DSSE"}, {"kmsKey", mine}}}});
  EXPECT_EQ(dsse["encryptionConfiguration"],
            json({{"encryptionType", "KMS_DSSE"}, {"kmsKey", mine}}));
  const json d = EcrOk("DescribeRepositories", {{"repositoryNames", {"dsse", "kms"}}});
  EXPECT_EQ(d["repositories"][0]["encryptionConfiguration"], dsse["encryptionConfiguration"]);
  EXPECT_EQ(d["repositories"][1]["encryptionConfiguration"], kms["encryptionConfiguration"]);
}

TEST_F(EcrRepositoriesTest, ScanOnPushIsStored) {
  EXPECT_EQ(Create("app", {{"imageScanningConfiguration",
                            {{"scanOnPush", true}}}})["imageScanningConfiguration"],
            json({{"scanOnPush", true}}));
  EXPECT_EQ(EcrOk("DescribeRepositories",
                  {{"repositoryNames", {"app"}}})["repositories"][0]["imageScanningConfiguration"],
            json({{"scanOnPush", true}}));
  EXPECT_AWS_ERROR(
      Ecr("CreateRepository",
          {{"repositoryName", "other"}, {"imageScanningConfiguration", {{"scanOnPush", "yes"}}}}),
      "SerializationException");
  EXPECT_EQ(Names(), std::vector<std::string>{"app"});
}

TEST_F(EcrRepositoriesTest, CreateRepositoryStoresUpToFiftyTags) {
  Create("app", {{"tags", TagList(50)}});
  const json tags = Tags("app");
  ASSERT_EQ(tags.size(), 50u);
  EXPECT_EQ(tags[0], json({{"Key", "k0"}, {"Value", "v"}}));
  EXPECT_EQ(tags[49], json({{"Key", "k49"}, {"Value", "v"}}));
}

TEST_F(EcrRepositoriesTest, CreateRepositoryRefusesBadTagsAndCreatesNothing) {
  EXPECT_AWS_ERROR(Ecr("CreateRepository", {{"repositoryName", "app"}, {"tags", TagList(51)}}),
                   "TooManyTagsException");
  const auto with_tags = [&](const json& tags) {
    return Ecr("CreateRepository", {{"repositoryName", "app"}, {"tags", tags}});
  };
  EXPECT_AWS_ERROR(with_tags(json::parse(R"([{"Key":"aws:owner","Value":"x"}])")),
                   "InvalidTagParameterException");
  EXPECT_AWS_ERROR(with_tags(json::parse(R"([{"Key":"k","Value":"1"},{"Key":"k","Value":"2"}])")),
                   "InvalidTagParameterException");
  EXPECT_AWS_ERROR(with_tags(json::parse(R"([{"Key":"","Value":"x"}])")),
                   "InvalidTagParameterException");
  EXPECT_AWS_ERROR(with_tags(json::array({{{"Key", std::string(129, 'k')}, {"Value", "x"}}})),
                   "InvalidTagParameterException");
  EXPECT_AWS_ERROR(with_tags(json::array({{{"Key", "k"}, {"Value", std::string(257, 'v')}}})),
                   "InvalidTagParameterException");
  // A tag needs both Key and Value (the model requires them).
  EXPECT_AWS_ERROR(with_tags(json::parse(R"([{"Key":"k"}])")), "InvalidParameterException");
  EXPECT_AWS_ERROR(with_tags(json::parse(R"([{"Value":"v"}])")), "InvalidParameterException");
  EXPECT_TRUE(Names().empty());
  // The limits themselves are fine.
  Create("app",
         {{"tags", json::array({{{"Key", std::string(128, 'k')}, {"Value", std::string(256, 'v')}},
                                {{"Key", "empty"}, {"Value", ""}}})}});
  EXPECT_EQ(Tags("app").size(), 2u);
}

TEST_F(EcrRepositoriesTest, RegistryIdSelectsTheAccount) {
  // Given a repository created in another registry by registryId
  const json r = Create("app", {{"registryId", "111111111111"}});
  EXPECT_EQ(r["registryId"], "111111111111");
  EXPECT_EQ(r["repositoryArn"], "arn:aws:ecr:us-east-1:111111111111:repository/app");
  // Then the caller's own registry does not have it
  EXPECT_TRUE(Names().empty());
  const ApiReply missing = Ecr("DescribeRepositories", {{"repositoryNames", {"app"}}});
  EXPECT_AWS_ERROR(missing, "RepositoryNotFoundException");
  // but that registry does, and the same name can exist in both
  EXPECT_EQ(Names({{"registryId", "111111111111"}}), std::vector<std::string>{"app"});
  Create("app");
  EXPECT_EQ(Names(), std::vector<std::string>{"app"});
  // A not-found message names the registry asked about.
  EXPECT_EQ(
      Ecr("DescribeRepositories", {{"registryId", "222222222222"}, {"repositoryNames", {"app"}}})
          .message(),
      "The repository with name 'app' does not exist in the registry with id "
      "'222222222222'");
  for (const char* bad : {"123", "12345678901a", "1234567890123", ""}) {
    EXPECT_AWS_ERROR(Ecr("CreateRepository", {{"repositoryName", "x1"}, {"registryId", bad}}),
                     "InvalidParameterException");
  }
  EXPECT_EQ(Names(), std::vector<std::string>{"app"});
}

// --- DescribeRepositories ----------------------------------------------------

TEST_F(EcrRepositoriesTest, DescribeRepositoriesNamesAMissingRepository) {
  Create("present");
  const ApiReply r = Ecr("DescribeRepositories", {{"repositoryNames", {"present", "absent"}}});
  EXPECT_AWS_ERROR(r, "RepositoryNotFoundException");
  EXPECT_EQ(r.message(),
            "The repository with name 'absent' does not exist in the registry with id "
            "'000000000000'");
  // A name asked twice is reported once.
  EXPECT_EQ(
      EcrOk("DescribeRepositories", {{"repositoryNames", {"present", "present"}}})["repositories"]
          .size(),
      1u);
}

TEST_F(EcrRepositoriesTest, DescribeRepositoriesChecksItsInput) {
  Create("app");
  // maxResults cannot go with repositoryNames.
  EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"repositoryNames", {"app"}}, {"maxResults", 5}}),
                   "InvalidParameterException");
  // maxResults is 1-1000.
  EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"maxResults", 0}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"maxResults", 1001}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"maxResults", -1}}), "InvalidParameterException");
  EXPECT_EQ(EcrOk("DescribeRepositories", {{"maxResults", 1}})["repositories"].size(), 1u);
  EXPECT_EQ(EcrOk("DescribeRepositories", {{"maxResults", 1000}})["repositories"].size(), 1u);
  // repositoryNames holds 1-100 valid names.
  EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"repositoryNames", json::array()}}),
                   "InvalidParameterException");
  json many = json::array();
  for (int i = 0; i < 101; ++i) many.push_back("r" + std::to_string(i));
  EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"repositoryNames", many}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"repositoryNames", {"Bad"}}}),
                   "InvalidParameterException");
}

TEST_F(EcrRepositoriesTest, DescribeRepositoriesWalksEveryPage) {
  // Given seven repositories, created out of order
  const std::vector<std::string> names = {"g7", "c3", "a1", "team/e5", "b2", "f6", "d4"};
  for (const auto& name : names) Create(name);
  // When they are listed three at a time
  std::vector<std::string> seen;
  std::vector<size_t> sizes;
  json input = {{"maxResults", 3}};
  for (int page = 0; page < 10; ++page) {
    const json out = EcrOk("DescribeRepositories", input);
    sizes.push_back(out["repositories"].size());
    for (const auto& r : out["repositories"]) seen.push_back(r["repositoryName"]);
    if (!out.contains("nextToken")) break;
    EXPECT_FALSE(out["nextToken"].get<std::string>().empty());
    input["nextToken"] = out["nextToken"];
  }
  // Then every repository comes exactly once, in name order, and the last
  // page has no token
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 1}));
  EXPECT_EQ(seen, (std::vector<std::string>{"a1", "b2", "c3", "d4", "f6", "g7", "team/e5"}));
  // A page that ends exactly at the last repository has no token either.
  const json all = EcrOk("DescribeRepositories", {{"maxResults", 7}});
  EXPECT_EQ(all["repositories"].size(), 7u);
  EXPECT_FALSE(all.contains("nextToken"));
}

TEST_F(EcrRepositoriesTest, DescribeRepositoriesRefusesForgedAndForeignTokens) {
  Create("a1");
  Create("b2");
  for (const char* forged : {"garbage", "!!!", "ZWNzLmNsdXN0ZXJzCmE"}) {
    EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"nextToken", forged}}),
                     "InvalidParameterException");
  }
  // A token ECS handed out for its cluster listing is not ECR's.
  EcsOk("CreateCluster", {{"clusterName", "c1"}});
  EcsOk("CreateCluster", {{"clusterName", "c2"}});
  const json clusters = EcsOk("ListClusters", {{"maxResults", 1}});
  ASSERT_TRUE(clusters.contains("nextToken"));
  EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"nextToken", clusters["nextToken"]}}),
                   "InvalidParameterException");
  // A genuine token still works.
  const json first = EcrOk("DescribeRepositories", {{"maxResults", 1}});
  const json second =
      EcrOk("DescribeRepositories", {{"maxResults", 1}, {"nextToken", first["nextToken"]}});
  EXPECT_EQ(second["repositories"][0]["repositoryName"], "b2");
}

// --- DeleteRepository ------------------------------------------------------

TEST_F(EcrRepositoriesTest, DeleteRepositoryOfAMissingRepository) {
  const ApiReply r = Ecr("DeleteRepository", {{"repositoryName", "nope"}});
  EXPECT_AWS_ERROR(r, "RepositoryNotFoundException");
  EXPECT_EQ(r.message(),
            "The repository with name 'nope' does not exist in the registry with id "
            "'000000000000'");
  EXPECT_AWS_ERROR(Ecr("DeleteRepository", {{"repositoryName", "A"}}), "InvalidParameterException");
}

TEST_F(EcrRepositoriesTest, DeleteRepositoryThenRecreateStartsFresh) {
  // Given a tagged repository with a policy
  const json original = Create("app", {{"tags", TagList(3)}, {"imageTagMutability", "IMMUTABLE"}});
  EcrOk(
      "SetRepositoryPolicy",
      {{"repositoryName", "app"},
       {"policyText",
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]})"}});
  // When it is deleted
  const json deleted = EcrOk("DeleteRepository", {{"repositoryName", "app"}})["repository"];
  // Then the reply is the repository as it was, and it is gone
  EXPECT_EQ(deleted, original);
  EXPECT_TRUE(Names().empty());
  EXPECT_AWS_ERROR(Ecr("DeleteRepository", {{"repositoryName", "app"}}),
                   "RepositoryNotFoundException");
  EXPECT_AWS_ERROR(Ecr("ListTagsForResource", {{"resourceArn", std::string(kArnPrefix) + "app"}}),
                   "RepositoryNotFoundException");
  // And a repository created under the same name has none of the old state
  clock_.Advance(10);
  const json fresh = Create("app");
  EXPECT_EQ(fresh["imageTagMutability"], "MUTABLE");
  EXPECT_DOUBLE_EQ(fresh["createdAt"].get<double>(), clock_.Now());
  EXPECT_TRUE(Tags("app").empty());
  EXPECT_AWS_ERROR(Ecr("GetRepositoryPolicy", {{"repositoryName", "app"}}),
                   "RepositoryPolicyNotFoundException");
}

// --- Resource tags -----------------------------------------------------------

TEST_F(EcrRepositoriesTest, TagResourceMergesAndUntagRemoves) {
  Create("app",
         {{"tags", json::parse(R"([{"Key":"team","Value":"a"},{"Key":"env","Value":"dev"}])")}});
  EXPECT_EQ(EcrOk("TagResource",
                  {{"resourceArn", std::string(kArnPrefix) + "app"},
                   {"tags",
                    json::parse(R"([{"Key":"env","Value":"prod"},{"Key":"cost","Value":"1"}])")}}),
            json::object());
  EXPECT_EQ(Tags("app"), json::parse(R"([{"Key":"team","Value":"a"},{"Key":"env","Value":"prod"},
                                         {"Key":"cost","Value":"1"}])"));
  EXPECT_EQ(EcrOk("UntagResource", {{"resourceArn", std::string(kArnPrefix) + "app"},
                                    {"tagKeys", {"team", "absent"}}}),
            json::object());
  EXPECT_EQ(Tags("app"),
            json::parse(R"([{"Key":"env","Value":"prod"},{"Key":"cost","Value":"1"}])"));
}

TEST_F(EcrRepositoriesTest, TagOperationsRefuseArnsThatAreNotRepositories) {
  Create("app", {{"tags", TagList(1)}});
  const std::vector<std::string> not_repositories = {
      "not-an-arn",
      "arn:aws:ecr",
      "arn:aws:ecr:us-east-1:000000000000:app",
      "arn:aws:ecr:us-east-1:000000000000:registry/app",
      "arn:aws:ecs:us-east-1:000000000000:cluster/app",
      "arn:aws:ecr:us-east-1:123:repository/app",
      "arn:aws:ecr::000000000000:repository/app",
      "arn:aws:ecr:us-east-1:000000000000:repository/",
  };
  for (const auto& arn : not_repositories) {
    EXPECT_AWS_ERROR(Ecr("ListTagsForResource", {{"resourceArn", arn}}),
                     "InvalidParameterException");
    EXPECT_AWS_ERROR(Ecr("TagResource", {{"resourceArn", arn}, {"tags", TagList(1, "new")}}),
                     "InvalidParameterException");
    EXPECT_AWS_ERROR(Ecr("UntagResource", {{"resourceArn", arn}, {"tagKeys", {"k0"}}}),
                     "InvalidParameterException");
  }
  EXPECT_EQ(Tags("app"), TagList(1));
}

TEST_F(EcrRepositoriesTest, TagOperationsOnAnUnknownRepository) {
  const std::string arn = std::string(kArnPrefix) + "ghost";
  const ApiReply r = Ecr("TagResource", {{"resourceArn", arn}, {"tags", TagList(1)}});
  EXPECT_AWS_ERROR(r, "RepositoryNotFoundException");
  EXPECT_EQ(r.message(),
            "The repository with name 'ghost' does not exist in the registry with id "
            "'000000000000'");
  EXPECT_AWS_ERROR(Ecr("UntagResource", {{"resourceArn", arn}, {"tagKeys", {"k0"}}}),
                   "RepositoryNotFoundException");
  EXPECT_AWS_ERROR(Ecr("ListTagsForResource", {{"resourceArn", arn}}),
                   "RepositoryNotFoundException");
  // The tags were not kept for a repository created later under that name.
  Create("ghost");
  EXPECT_TRUE(Tags("ghost").empty());
}

TEST_F(EcrRepositoriesTest, TagResourceRefusesBadTagsAndChangesNothing) {
  Create("app", {{"tags", TagList(2)}});
  const std::string arn = std::string(kArnPrefix) + "app";
  EXPECT_AWS_ERROR(Ecr("TagResource", {{"resourceArn", arn},
                                       {"tags", json::parse(R"([{"Key":"aws:x","Value":"1"}])")}}),
                   "InvalidTagParameterException");
  EXPECT_AWS_ERROR(
      Ecr("TagResource",
          {{"resourceArn", arn},
           {"tags", json::parse(R"([{"Key":"new","Value":"1"},{"Key":"new","Value":"2"}])")}}),
      "InvalidTagParameterException");
  EXPECT_AWS_ERROR(
      Ecr("TagResource",
          {{"resourceArn", arn},
           {"tags", json::parse(R"([{"Key":"ok","Value":"1"},{"Key":"aws:bad","Value":"2"}])")}}),
      "InvalidTagParameterException");
  EXPECT_AWS_ERROR(Ecr("TagResource", {{"resourceArn", arn}, {"tags", TagList(51, "n")}}),
                   "TooManyTagsException");
  EXPECT_EQ(Tags("app"), TagList(2));
}

TEST_F(EcrRepositoriesTest, TagResourceBeyondFiftyAfterMergingRollsBack) {
  // Given 48 tags
  Create("app", {{"tags", TagList(48)}});
  const std::string arn = std::string(kArnPrefix) + "app";
  // When three new keys and one existing key arrive (51 after the merge)
  json more = TagList(3, "new");
  more.push_back({{"Key", "k0"}, {"Value", "changed"}});
  const ApiReply r = Ecr("TagResource", {{"resourceArn", arn}, {"tags", more}});
  // Then the call fails and not even the overwrite of k0 was kept
  EXPECT_AWS_ERROR(r, "TooManyTagsException");
  EXPECT_EQ(Tags("app"), TagList(48));
  // Overwriting existing keys up to exactly 50 is fine.
  json fits = TagList(2, "new");
  fits.push_back({{"Key", "k0"}, {"Value", "changed"}});
  EcrOk("TagResource", {{"resourceArn", arn}, {"tags", fits}});
  const json tags = Tags("app");
  EXPECT_EQ(tags.size(), 50u);
  EXPECT_EQ(tags[0], json({{"Key", "k0"}, {"Value", "changed"}}));
}

TEST_F(EcrRepositoriesTest, TagResourceNeedsItsMembers) {
  Create("app");
  EXPECT_AWS_ERROR(Ecr("TagResource", {{"resourceArn", std::string(kArnPrefix) + "app"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("TagResource", {{"tags", TagList(1)}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("UntagResource", {{"resourceArn", std::string(kArnPrefix) + "app"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("ListTagsForResource", json::object()), "InvalidParameterException");
  EXPECT_TRUE(Tags("app").empty());
}

// --- Tag mutability and scanning on an existing repository -------------------

TEST_F(EcrRepositoriesTest, PutImageTagMutabilityChangesAndEchoes) {
  Create("app");
  const json out =
      EcrOk("PutImageTagMutability", {{"repositoryName", "app"},
                                      {"imageTagMutability", "IMMUTABLE_WITH_EXCLUSION"},
                                      {"imageTagMutabilityExclusionFilters", Filters({"dev-*"})}});
  EXPECT_EQ(out, json({{"registryId", kRepositoryAccount},
                       {"repositoryName", "app"},
                       {"imageTagMutability", "IMMUTABLE_WITH_EXCLUSION"},
                       {"imageTagMutabilityExclusionFilters", Filters({"dev-*"})}}));
  json stored = EcrOk("DescribeRepositories", {{"repositoryNames", {"app"}}})["repositories"][0];
  EXPECT_EQ(stored["imageTagMutability"], "IMMUTABLE_WITH_EXCLUSION");
  EXPECT_EQ(stored["imageTagMutabilityExclusionFilters"], Filters({"dev-*"}));
  // Back to a plain form drops the filters.
  EXPECT_EQ(EcrOk("PutImageTagMutability",
                  {{"repositoryName", "app"}, {"imageTagMutability", "MUTABLE"}}),
            json({{"registryId", kRepositoryAccount},
                  {"repositoryName", "app"},
                  {"imageTagMutability", "MUTABLE"}}));
  stored = EcrOk("DescribeRepositories", {{"repositoryNames", {"app"}}})["repositories"][0];
  EXPECT_FALSE(stored.contains("imageTagMutabilityExclusionFilters"));
}

TEST_F(EcrRepositoriesTest, PutImageTagMutabilityRefusalsChangeNothing) {
  Create("app", {{"imageTagMutability", "IMMUTABLE"}});
  const ApiReply missing = Ecr("PutImageTagMutability",
                               {{"repositoryName", "ghost"}, {"imageTagMutability", "MUTABLE"}});
  EXPECT_AWS_ERROR(missing, "RepositoryNotFoundException");
  EXPECT_EQ(missing.message(),
            "The repository with name 'ghost' does not exist in the registry with id "
            "'000000000000'");
  EXPECT_AWS_ERROR(
      Ecr("PutImageTagMutability", {{"repositoryName", "app"}, {"imageTagMutability", "BOGUS"}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("PutImageTagMutability", {{"repositoryName", "app"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("PutImageTagMutability", {{"repositoryName", "app"},
                                                 {"imageTagMutability", "MUTABLE_WITH_EXCLUSION"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Ecr("PutImageTagMutability", {{"repositoryName", "app"},
                                    {"imageTagMutability", "MUTABLE"},
                                    {"imageTagMutabilityExclusionFilters", Filters({"x"})}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("PutImageTagMutability",
                       {{"repositoryName", "app"},
                        {"imageTagMutability", "MUTABLE_WITH_EXCLUSION"},
                        {"imageTagMutabilityExclusionFilters", Filters({"bad filter"})}}),
                   "InvalidParameterException");
  const json stored =
      EcrOk("DescribeRepositories", {{"repositoryNames", {"app"}}})["repositories"][0];
  EXPECT_EQ(stored["imageTagMutability"], "IMMUTABLE");
  EXPECT_FALSE(stored.contains("imageTagMutabilityExclusionFilters"));
  EXPECT_EQ(Names(), std::vector<std::string>{"app"});
}

TEST_F(EcrRepositoriesTest, PutImageScanningConfigurationStoresAndChecks) {
  Create("app");
  EXPECT_EQ(
      EcrOk("PutImageScanningConfiguration",
            {{"repositoryName", "app"}, {"imageScanningConfiguration", {{"scanOnPush", true}}}}),
      json({{"registryId", kRepositoryAccount},
            {"repositoryName", "app"},
            {"imageScanningConfiguration", {{"scanOnPush", true}}}}));
  EXPECT_EQ(EcrOk("DescribeRepositories",
                  {{"repositoryNames",
                    {"app"}}})["repositories"][0]["imageScanningConfiguration"]["scanOnPush"],
            true);
  const ApiReply missing =
      Ecr("PutImageScanningConfiguration",
          {{"repositoryName", "ghost"}, {"imageScanningConfiguration", {{"scanOnPush", false}}}});
  EXPECT_AWS_ERROR(missing, "RepositoryNotFoundException");
  EXPECT_EQ(missing.message(),
            "The repository with name 'ghost' does not exist in the registry with id "
            "'000000000000'");
  // This operation declares ValidationException, so model violations use it.
  EXPECT_AWS_ERROR(Ecr("PutImageScanningConfiguration", {{"repositoryName", "app"}}),
                   "ValidationException");
  EXPECT_EQ(Names(), std::vector<std::string>{"app"});
  EXPECT_EQ(EcrOk("DescribeRepositories",
                  {{"repositoryNames",
                    {"app"}}})["repositories"][0]["imageScanningConfiguration"]["scanOnPush"],
            true);
}

// --- Request context -----------------------------------------------------------

TEST_F(EcrRepositoriesTest, CredentialScopeChoosesAccountAndRegion) {
  // A 12-digit access key acts in that account, in the scope's region.
  const std::string auth = Auth("123456789012", "eu-west-1");
  const ApiReply created = EcrAs(auth, "CreateRepository", {{"repositoryName", "app"}});
  ASSERT_EQ(created.status, 200u) << created.raw;
  EXPECT_EQ(created.body["repository"]["registryId"], "123456789012");
  EXPECT_EQ(created.body["repository"]["repositoryArn"],
            "arn:aws:ecr:eu-west-1:123456789012:repository/app");
  const ApiReply listed = EcrAs(auth, "DescribeRepositories", json::object());
  ASSERT_EQ(listed.status, 200u);
  EXPECT_EQ(listed.body["repositories"].size(), 1u);
  // The default account in the default region does not see it.
  EXPECT_TRUE(Names().empty());
  // Nor does the same account in another region, or another account in that
  // region.
  const ApiReply other_region =
      EcrAs(Auth("123456789012", "us-west-2"), "DescribeRepositories", json::object());
  EXPECT_TRUE(other_region.body["repositories"].empty());
  const ApiReply other_account =
      EcrAs(Auth("210987654321", "eu-west-1"), "DescribeRepositories", json::object());
  EXPECT_TRUE(other_account.body["repositories"].empty());
  // Another account's repository in the same region is reachable by ARN, as
  // it is by registryId.
  const ApiReply tagged = EcrAs(
      Auth("210987654321", "eu-west-1"), "TagResource",
      {{"resourceArn", "arn:aws:ecr:eu-west-1:123456789012:repository/app"}, {"tags", TagList(1)}});
  EXPECT_EQ(tagged.status, 200u) << tagged.raw;
  EXPECT_EQ(EcrAs(auth, "ListTagsForResource",
                  {{"resourceArn", "arn:aws:ecr:eu-west-1:123456789012:repository/app"}})
                .body["tags"],
            TagList(1));
}

TEST_F(EcrRepositoriesTest, RepositoriesOfOneRegionAreInvisibleFromAnother) {
  // Given a repository in cn-north-1 (partition aws-cn)
  const std::string china = Auth("AKIDEXAMPLE", "cn-north-1");
  const ApiReply created = EcrAs(china, "CreateRepository", {{"repositoryName", "app"}});
  ASSERT_EQ(created.status, 200u) << created.raw;
  const std::string arn = created.body["repository"]["repositoryArn"];
  EXPECT_EQ(arn, "arn:aws-cn:ecr:cn-north-1:000000000000:repository/app");
  // Then us-east-1 neither lists it nor reaches it by name or ARN
  EXPECT_TRUE(Names().empty());
  EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"repositoryNames", {"app"}}}),
                   "RepositoryNotFoundException");
  EXPECT_AWS_ERROR(Ecr("ListTagsForResource", {{"resourceArn", arn}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("TagResource", {{"resourceArn", arn}, {"tags", TagList(1)}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("UntagResource", {{"resourceArn", arn}, {"tagKeys", {"k0"}}}),
                   "InvalidParameterException");
  // Not even with the partition spelled as us-east-1's.
  EXPECT_AWS_ERROR(
      Ecr("TagResource", {{"resourceArn", "arn:aws:ecr:cn-north-1:000000000000:repository/app"},
                          {"tags", TagList(1)}}),
      "InvalidParameterException");
  // cn-north-1 itself refuses the aws-partition spelling of its own ARN.
  EXPECT_AWS_ERROR(EcrAs(china, "TagResource",
                         {{"resourceArn", "arn:aws:ecr:cn-north-1:000000000000:repository/app"},
                          {"tags", TagList(1)}}),
                   "InvalidParameterException");
  // And from its own region it is untouched.
  const ApiReply tags = EcrAs(china, "ListTagsForResource", {{"resourceArn", arn}});
  ASSERT_EQ(tags.status, 200u) << tags.raw;
  EXPECT_TRUE(tags.body["tags"].empty());
}

}  // namespace
}  // namespace berth::testing
