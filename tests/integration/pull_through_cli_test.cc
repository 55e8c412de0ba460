// The pull-through cache rule and repository creation template operations
// through every AWS CLI on the machine, each checked by its effect (what a
// describe shows afterwards), against a Berth whose quay.io is a real
// docker-registry on loopback.

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/integration/cli_fixture.h"
#include "tests/integration/upstream_registry.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kArn =
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/ghcr-AbCdEf";
constexpr const char* kOtherArn =
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/other-AbCdEf";

class PullThroughCliTest : public CliTest {
 protected:
  void SetUp() override {
    if (!ProgramExists(GetParam()) && !std::filesystem::exists(GetParam())) {
      FAIL() << "AWS CLI " << GetParam() << " is not installed (./dev install installs it)";
    }
    ASSERT_TRUE(std::filesystem::exists(UpstreamRegistry::kBinary))
        << "Debian's docker-registry is not installed (apt-get install docker-registry)";
    upstream_ = std::make_unique<UpstreamRegistry>(storage_.path(), "puller", "s3cret");
    std::ofstream(files_.path() + "/secrets.json") << json{
        {"ecr-pullthroughcache/ghcr", {{"username", "puller"}, {"accessToken", "s3cret"}}},
        {kOtherArn, {{"username", "puller"}, {"accessToken", "wrong"}}},
    }.dump();
    server_ = std::make_unique<BerthServer>(
        std::vector<std::string>{}, "",
        std::map<std::string, std::string>{
            {"BERTH_UPSTREAM_ENDPOINTS", "ghcr.io=" + upstream_->url()},
            {"BERTH_SECRETS_FILE", files_.path() + "/secrets.json"}});
  }

  // A CLI older than an operation (Debian's v2.9) refuses it as a user sees
  // it, without reaching Berth: recorded rather than skipped.
  void ExpectCliLacks(const std::vector<std::string>& args) {
    const AwsResult r = RunAws(GetParam(), server_->endpoint(), args, {{"PAGER", "cat"}});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("Invalid choice"), std::string::npos) << r.err;
  }

  TempDir storage_;
  TempDir files_;
  std::unique_ptr<UpstreamRegistry> upstream_;
};

TEST_P(PullThroughCliTest, PullThroughCacheRuleOperations) {
  if (!CliHas({"ecr", "validate-pull-through-cache-rule", "help"})) {
    ExpectCliLacks({"ecr", "validate-pull-through-cache-rule", "--ecr-repository-prefix", "gh"});
    return;
  }
  // create: the upstream kind is inferred from the URL
  const json created = Ok({"ecr", "create-pull-through-cache-rule", "--ecr-repository-prefix", "gh",
                           "--upstream-registry-url", "ghcr.io", "--credential-arn", kArn});
  EXPECT_EQ(created["upstreamRegistry"], "github-container-registry");
  EXPECT_EQ(created["credentialArn"], kArn);
  Fails({"ecr", "create-pull-through-cache-rule", "--ecr-repository-prefix", "gh",
         "--upstream-registry-url", "ghcr.io", "--credential-arn", kArn},
        "PullThroughCacheRuleAlreadyExistsException");
  // describe: the rule is stored
  const json described = Ok({"ecr", "describe-pull-through-cache-rules"});
  ASSERT_EQ(described["pullThroughCacheRules"].size(), 1u) << described.dump();
  EXPECT_EQ(described["pullThroughCacheRules"][0]["ecrRepositoryPrefix"], "gh");
  EXPECT_EQ(described["pullThroughCacheRules"][0]["upstreamRegistryUrl"], "ghcr.io");

  // validate: the stored secret authenticates with the real upstream
  const json valid =
      Ok({"ecr", "validate-pull-through-cache-rule", "--ecr-repository-prefix", "gh"});
  EXPECT_EQ(valid["isValid"], true) << valid.dump();

  // update: the credentials change, and validation now fails
  const json updated = Ok({"ecr", "update-pull-through-cache-rule", "--ecr-repository-prefix", "gh",
                           "--credential-arn", kOtherArn});
  EXPECT_EQ(updated["credentialArn"], kOtherArn);
  const json invalid =
      Ok({"ecr", "validate-pull-through-cache-rule", "--ecr-repository-prefix", "gh"});
  EXPECT_EQ(invalid["isValid"], false) << invalid.dump();
  EXPECT_FALSE(invalid.value("failure", "").empty());

  // delete: gone
  const json deleted =
      Ok({"ecr", "delete-pull-through-cache-rule", "--ecr-repository-prefix", "gh"});
  EXPECT_EQ(deleted["ecrRepositoryPrefix"], "gh");
  EXPECT_TRUE(Ok({"ecr", "describe-pull-through-cache-rules"})["pullThroughCacheRules"].empty());
  Fails({"ecr", "delete-pull-through-cache-rule", "--ecr-repository-prefix", "gh"},
        "PullThroughCacheRuleNotFoundException");
}

TEST_P(PullThroughCliTest, RepositoryCreationTemplateOperations) {
  if (!CliHas({"ecr", "create-repository-creation-template", "help"})) {
    ExpectCliLacks({"ecr", "create-repository-creation-template", "--prefix", "prod"});
    return;
  }
  const json created = Ok({"ecr", "create-repository-creation-template", "--prefix", "prod",
                           "--applied-for", "PULL_THROUGH_CACHE", "CREATE_ON_PUSH", "--description",
                           "production", "--image-tag-mutability", "IMMUTABLE"});
  EXPECT_EQ(created["registryId"], "000000000000");
  EXPECT_EQ(created["repositoryCreationTemplate"]["prefix"], "prod");
  EXPECT_EQ(created["repositoryCreationTemplate"]["encryptionConfiguration"]["encryptionType"],
            "AES256");
  Fails({"ecr", "create-repository-creation-template", "--prefix", "prod", "--applied-for",
         "REPLICATION"},
        "TemplateAlreadyExistsException");

  const json described = Ok({"ecr", "describe-repository-creation-templates"});
  ASSERT_EQ(described["repositoryCreationTemplates"].size(), 1u);
  EXPECT_EQ(described["repositoryCreationTemplates"][0]["description"], "production");
  EXPECT_EQ(described["repositoryCreationTemplates"][0]["appliedFor"],
            json::array({"PULL_THROUGH_CACHE", "CREATE_ON_PUSH"}));

  Ok({"ecr", "update-repository-creation-template", "--prefix", "prod", "--image-tag-mutability",
      "MUTABLE", "--applied-for", "REPLICATION"});
  const json after = Ok({"ecr", "describe-repository-creation-templates", "--prefixes", "prod"});
  EXPECT_EQ(after["repositoryCreationTemplates"][0]["imageTagMutability"], "MUTABLE");
  EXPECT_EQ(after["repositoryCreationTemplates"][0]["appliedFor"], json::array({"REPLICATION"}));
  EXPECT_EQ(after["repositoryCreationTemplates"][0]["description"], "production");

  const json deleted = Ok({"ecr", "delete-repository-creation-template", "--prefix", "prod"});
  EXPECT_EQ(deleted["repositoryCreationTemplate"]["prefix"], "prod");
  EXPECT_TRUE(
      Ok({"ecr", "describe-repository-creation-templates"})["repositoryCreationTemplates"].empty());
  Fails({"ecr", "delete-repository-creation-template", "--prefix", "prod"},
        "TemplateNotFoundException");
}

INSTANTIATE_TEST_SUITE_P(Clis, PullThroughCliTest, ::testing::ValuesIn(AwsClis()), CliName);

}  // namespace
}  // namespace berth::testing
