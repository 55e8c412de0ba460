// Pull-through cache rules and repository creation templates through the
// ECR JSON API in process: validation and errors as ECR answers them, every
// reply checked against the model's output shape, and the template matcher
// behind create-on-push, pull-through and replication.

#include <fstream>

#include <gtest/gtest.h>

#include "server/ecr/creation_templates.h"
#include "server/ecr/pull_through_rules.h"
#include "tests/support/api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kArn =
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/hub-AbCdEf";

// An upstream that authenticates whoever it is told to accept.
class FakeUpstream final : public upstream::RegistryClient {
 public:
  void Check(const upstream::Endpoint& endpoint) override {
    last_url = endpoint.base_url;
    if (!endpoint.credentials || endpoint.credentials->password != "good") {
      throw upstream::UpstreamError(upstream::UpstreamError::Kind::kUnauthorized, "401");
    }
  }
  upstream::Manifest GetManifest(const upstream::Endpoint&, std::string_view, std::string_view,
                                 std::string_view) override {
    throw upstream::UpstreamError(upstream::UpstreamError::Kind::kNotFound, "404");
  }
  bool GetBlob(const upstream::Endpoint&, std::string_view, std::string_view,
               const std::function<bool(std::string_view)>&) override {
    throw upstream::UpstreamError(upstream::UpstreamError::Kind::kNotFound, "404");
  }
  std::string last_url;
};

class EcrPullThroughTest : public ApiTest {
 protected:
  EcrPullThroughTest() {
    std::ofstream(secrets_path_) << json{
        {kArn, {{"username", "u"}, {"accessToken", "good"}}},
        {"ecr-pullthroughcache/bad", {{"username", "u"}, {"accessToken", "bad"}}},
        {"ecr-pullthroughcache/broken",
         {{"username", "u"}}}}.dump();
    ecr_api_.AttachPullThrough(&rules_, &templates_);
  }

  static ecr::PullThroughOptions Options(const std::string& secrets) {
    ecr::PullThroughOptions options;
    options.secrets_file = secrets;
    options.upstream_endpoints["registry-1.docker.io"] = "http://127.0.0.1:5999";
    return options;
  }

  std::string secrets_path_ = blobs_.path + "/secrets.json";
  FakeUpstream upstream_;
  ecr::PullThroughRules rules_{database_, upstream_, Options(secrets_path_)};
  ecr::CreationTemplates templates_{database_, ecr_service_};
};

TEST_F(EcrPullThroughTest, CreateRuleInfersTheUpstreamAndDescribesIt) {
  const json created =
      EcrOk("CreatePullThroughCacheRule",
            {{"ecrRepositoryPrefix", "ecr-public"}, {"upstreamRegistryUrl", "public.ecr.aws"}});
  EXPECT_EQ(created["upstreamRegistry"], "ecr-public");
  EXPECT_EQ(created["registryId"], "000000000000");
  EXPECT_EQ(created["upstreamRepositoryPrefix"], "ROOT");
  const json described = EcrOk("DescribePullThroughCacheRules", json::object());
  ASSERT_EQ(described["pullThroughCacheRules"].size(), 1u);
  EXPECT_EQ(described["pullThroughCacheRules"][0]["upstreamRegistryUrl"], "public.ecr.aws");
  EXPECT_TRUE(described["pullThroughCacheRules"][0].contains("updatedAt"));
}

TEST_F(EcrPullThroughTest, CreateRuleRefusesWhatEcrRefuses) {
  EcrOk("CreatePullThroughCacheRule",
        {{"ecrRepositoryPrefix", "quay"}, {"upstreamRegistryUrl", "quay.io"}});
  EXPECT_AWS_ERROR(Ecr("CreatePullThroughCacheRule",
                       {{"ecrRepositoryPrefix", "quay"}, {"upstreamRegistryUrl", "quay.io"}}),
                   "PullThroughCacheRuleAlreadyExistsException");
  const ApiReply harbor =
      Ecr("CreatePullThroughCacheRule",
          {{"ecrRepositoryPrefix", "hb"}, {"upstreamRegistryUrl", "harbor.example.com"}});
  EXPECT_AWS_ERROR(harbor, "UnsupportedUpstreamRegistryException");
  EXPECT_EQ(harbor.message(),
            "The upstream registry URL harbor.example.com is invalid. Specify a valid upstream "
            "registry URL and try again");
  EXPECT_AWS_ERROR(
      Ecr("CreatePullThroughCacheRule",
          {{"ecrRepositoryPrefix", "hub"}, {"upstreamRegistryUrl", "registry-1.docker.io"}}),
      "UnsupportedUpstreamRegistryException");
  EXPECT_AWS_ERROR(Ecr("CreatePullThroughCacheRule", {{"ecrRepositoryPrefix", "q2"},
                                                      {"upstreamRegistryUrl", "quay.io"},
                                                      {"upstreamRegistry", "k8s"}}),
                   "UnsupportedUpstreamRegistryException");
  EXPECT_AWS_ERROR(
      Ecr("CreatePullThroughCacheRule", {{"ecrRepositoryPrefix", "hub"},
                                         {"upstreamRegistryUrl", "registry-1.docker.io"},
                                         {"credentialArn",
                                          "arn:aws:secretsmanager:us-east-1:000000000000:secret:"
                                          "ecr-pullthroughcache/no-AbCdEf"}}),
      "SecretNotFoundException");
  EXPECT_AWS_ERROR(
      Ecr("CreatePullThroughCacheRule", {{"ecrRepositoryPrefix", "hub"},
                                         {"upstreamRegistryUrl", "registry-1.docker.io"},
                                         {"credentialArn",
                                          "arn:aws:secretsmanager:us-east-1:000000000000:secret:"
                                          "ecr-pullthroughcache/broken-AbCdEf"}}),
      "UnableToDecryptSecretValueException");
  EXPECT_AWS_ERROR(Ecr("CreatePullThroughCacheRule", {{"ecrRepositoryPrefix", "ROOT"},
                                                      {"upstreamRegistryUrl", "quay.io"},
                                                      {"upstreamRepositoryPrefix", "team"}}),
                   "InvalidParameterException");
  // The model's pattern: lowercase components.
  EXPECT_EQ(Ecr("CreatePullThroughCacheRule",
                {{"ecrRepositoryPrefix", "Bad_Prefix"}, {"upstreamRegistryUrl", "quay.io"}})
                .status,
            400u);
}

TEST_F(EcrPullThroughTest, FiftyRulesAtMost) {
  for (int i = 0; i < 50; ++i) {
    EcrOk("CreatePullThroughCacheRule",
          {{"ecrRepositoryPrefix", "p" + std::to_string(i)}, {"upstreamRegistryUrl", "quay.io"}});
  }
  EXPECT_AWS_ERROR(Ecr("CreatePullThroughCacheRule",
                       {{"ecrRepositoryPrefix", "p50"}, {"upstreamRegistryUrl", "quay.io"}}),
                   "LimitExceededException");
}

TEST_F(EcrPullThroughTest, UpdateChangesCredentialsAndValidateAuthenticates) {
  EcrOk("CreatePullThroughCacheRule", {{"ecrRepositoryPrefix", "hub"},
                                       {"upstreamRegistryUrl", "registry-1.docker.io"},
                                       {"credentialArn", kArn}});
  const json valid = EcrOk("ValidatePullThroughCacheRule", {{"ecrRepositoryPrefix", "hub"}});
  EXPECT_EQ(valid["isValid"], true);
  EXPECT_FALSE(valid.contains("failure"));
  EXPECT_EQ(upstream_.last_url, "http://127.0.0.1:5999");

  const ApiReply neither = Ecr("UpdatePullThroughCacheRule", {{"ecrRepositoryPrefix", "hub"}});
  EXPECT_AWS_ERROR(neither, "InvalidParameterException");
  EXPECT_EQ(neither.message(),
            "Invalid input: Please set either credential arn or role arn to update the "
            "credentials");
  const std::string bad =
      "arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/bad-AbCdEf";
  const json updated =
      EcrOk("UpdatePullThroughCacheRule", {{"ecrRepositoryPrefix", "hub"}, {"credentialArn", bad}});
  EXPECT_EQ(updated["credentialArn"], bad);
  const json invalid = EcrOk("ValidatePullThroughCacheRule", {{"ecrRepositoryPrefix", "hub"}});
  EXPECT_EQ(invalid["isValid"], false);
  EXPECT_NE(invalid.value("failure", "").find("authentication"), std::string::npos);

  EXPECT_AWS_ERROR(Ecr("ValidatePullThroughCacheRule", {{"ecrRepositoryPrefix", "nope"}}),
                   "PullThroughCacheRuleNotFoundException");
  const json deleted = EcrOk("DeletePullThroughCacheRule", {{"ecrRepositoryPrefix", "hub"}});
  EXPECT_EQ(deleted["upstreamRegistryUrl"], "registry-1.docker.io");
  EXPECT_AWS_ERROR(Ecr("DeletePullThroughCacheRule", {{"ecrRepositoryPrefix", "hub"}}),
                   "PullThroughCacheRuleNotFoundException");
}

TEST_F(EcrPullThroughTest, SourceMapsNamesByTheLongestPrefix) {
  EcrOk("CreatePullThroughCacheRule",
        {{"ecrRepositoryPrefix", "ROOT"}, {"upstreamRegistryUrl", "quay.io"}});
  EcrOk("CreatePullThroughCacheRule", {{"ecrRepositoryPrefix", "my-app"},
                                       {"upstreamRegistryUrl", "quay.io"},
                                       {"upstreamRepositoryPrefix", "upstream-app"}});
  const storage::Partition registry{"000000000000", "us-east-1"};
  EXPECT_EQ(rules_.SourceFor(registry, "my-app/image1")->repository, "upstream-app/image1");
  EXPECT_EQ(rules_.SourceFor(registry, "other/image1")->repository, "other/image1");
  EXPECT_EQ(rules_.SourceFor(registry, "other/image1")->endpoint.base_url, "https://quay.io");
}

TEST_F(EcrPullThroughTest, TemplateOperations) {
  const json created = EcrOk(
      "CreateRepositoryCreationTemplate",
      {{"prefix", "prod"},
       {"appliedFor", {"CREATE_ON_PUSH", "CREATE_ON_PUSH"}},
       {"imageTagMutability", "IMMUTABLE_WITH_EXCLUSION"},
       {"imageTagMutabilityExclusionFilters", {{{"filterType", "WILDCARD"}, {"filter", "dev*"}}}}});
  EXPECT_EQ(created["repositoryCreationTemplate"]["appliedFor"], json::array({"CREATE_ON_PUSH"}));
  EXPECT_AWS_ERROR(Ecr("CreateRepositoryCreationTemplate",
                       {{"prefix", "prod"}, {"appliedFor", {"REPLICATION"}}}),
                   "TemplateAlreadyExistsException");
  EXPECT_AWS_ERROR(
      Ecr("CreateRepositoryCreationTemplate", {{"prefix", "empty"}, {"appliedFor", json::array()}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Ecr("CreateRepositoryCreationTemplate", {{"prefix", "bad"},
                                               {"appliedFor", {"REPLICATION"}},
                                               {"imageTagMutability", "IMMUTABLE_WITH_EXCLUSION"}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("CreateRepositoryCreationTemplate", {{"prefix", "bad"},
                                                            {"appliedFor", {"REPLICATION"}},
                                                            {"lifecyclePolicy", "{\"rules\": 3}"}}),
                   "InvalidParameterException");

  const json updated = EcrOk("UpdateRepositoryCreationTemplate",
                             {{"prefix", "prod"}, {"imageTagMutability", "MUTABLE"}});
  EXPECT_EQ(updated["repositoryCreationTemplate"]["imageTagMutability"], "MUTABLE");
  EXPECT_FALSE(
      updated["repositoryCreationTemplate"].contains("imageTagMutabilityExclusionFilters"));
  const json described =
      EcrOk("DescribeRepositoryCreationTemplates", {{"prefixes", {"prod", "x"}}});
  ASSERT_EQ(described["repositoryCreationTemplates"].size(), 1u);
  EXPECT_EQ(described["repositoryCreationTemplates"][0]["imageTagMutability"], "MUTABLE");
  EcrOk("DeleteRepositoryCreationTemplate", {{"prefix", "prod"}});
  EXPECT_AWS_ERROR(Ecr("DeleteRepositoryCreationTemplate", {{"prefix", "prod"}}),
                   "TemplateNotFoundException");
  EXPECT_AWS_ERROR(
      Ecr("UpdateRepositoryCreationTemplate", {{"prefix", "prod"}, {"description", "x"}}),
      "TemplateNotFoundException");
}

TEST_F(EcrPullThroughTest, CreateFromTemplatePicksByScenarioAndLongestPrefix) {
  EcrOk("CreateRepositoryCreationTemplate",
        {{"prefix", "ROOT"}, {"appliedFor", {"REPLICATION"}}, {"imageTagMutability", "IMMUTABLE"}});
  EcrOk("CreateRepositoryCreationTemplate",
        {{"prefix", "prod"}, {"appliedFor", {"REPLICATION", "CREATE_ON_PUSH"}}});
  EcrOk(
      "CreateRepositoryCreationTemplate",
      {{"prefix", "prod/team"},
       {"appliedFor", {"REPLICATION"}},
       {"resourceTags", {{{"Key", "team"}, {"Value", "a"}}}},
       {"customRoleArn", "arn:aws:iam::000000000000:role/ecr"},
       {"repositoryPolicy",
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]})"}});
  EcrOk("CreateRepositoryCreationTemplate", {{"prefix", "tagged"},
                                             {"appliedFor", {"CREATE_ON_PUSH"}},
                                             {"resourceTags", {{{"Key", "k"}, {"Value", "v"}}}}});
  const storage::Partition registry{"000000000000", "us-east-1"};
  const double now = clock_.Now();

  // the longest prefix with the scenario wins, ROOT only when none matches
  ASSERT_TRUE(templates_.CreateFromTemplate(registry, "prod/team/x", ecr::kReplication, now));
  ASSERT_TRUE(templates_.CreateFromTemplate(registry, "elsewhere/x", ecr::kReplication, now));
  ASSERT_TRUE(templates_.CreateFromTemplate(registry, "prod/team/y", ecr::kCreateOnPush, now));
  // no CREATE_ON_PUSH template covers it: nothing is created
  EXPECT_FALSE(templates_.CreateFromTemplate(registry, "other/x", ecr::kCreateOnPush, now));
  // PULL_THROUGH_CACHE falls back to the defaults
  ASSERT_TRUE(templates_.CreateFromTemplate(registry, "cache/x", ecr::kPullThroughCache, now));
  // tags without customRoleArn: the creation fails
  EXPECT_THROW(templates_.CreateFromTemplate(registry, "tagged/x", ecr::kCreateOnPush, now),
               ecr::TemplateCreationError);

  const json team = EcrOk("DescribeRepositories", {{"repositoryNames", {"prod/team/x"}}});
  EXPECT_EQ(team["repositories"][0]["imageTagMutability"], "MUTABLE");
  EXPECT_EQ(EcrOk("ListTagsForResource",
                  {{"resourceArn", team["repositories"][0]["repositoryArn"]}})["tags"],
            json::array({{{"Key", "team"}, {"Value", "a"}}}));
  EXPECT_TRUE(
      EcrOk("GetRepositoryPolicy", {{"repositoryName", "prod/team/x"}}).contains("policyText"));
  EXPECT_EQ(EcrOk("DescribeRepositories",
                  {{"repositoryNames", {"elsewhere/x"}}})["repositories"][0]["imageTagMutability"],
            "IMMUTABLE");
  EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"repositoryNames", {"other/x"}}}),
                   "RepositoryNotFoundException");
  EXPECT_AWS_ERROR(Ecr("DescribeRepositories", {{"repositoryNames", {"tagged/x"}}}),
                   "RepositoryNotFoundException");
  EXPECT_EQ(EcrOk("DescribeRepositories",
                  {{"repositoryNames", {"cache/x"}}})["repositories"][0]["imageTagMutability"],
            "MUTABLE");
}

}  // namespace
}  // namespace berth::testing
