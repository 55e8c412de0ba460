// ECR's pull-through cache and create-on-push against a REAL upstream:
// Debian's docker-registry on loopback (open, and behind htpasswd), seeded
// with `docker push`, pulled through Berth with `docker pull`, then pulled
// again with the upstream stopped. Rules and templates are made with the
// real AWS CLI.

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/integration/registry_client_fixture.h"
#include "tests/integration/upstream_registry.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kGoodArn =
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/hub-AbCdEf";
constexpr const char* kWrongArn =
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/wrong-XyZaBc";

class PullThroughTest : public RegistryClientTest {
 protected:
  void SetUp() override {
    RegistryClientTest::SetUp();
    if (HasFatalFailure()) return;
    // An AWS CLI that knows the creation template operations (Debian's v2
    // 2.9 predates them).
    std::string cli;
    for (const auto& candidate : AwsClis()) {
      const AwsResult help =
          RunAws(candidate, server_->endpoint(),
                 {"ecr", "create-repository-creation-template", "help"}, {{"PAGER", "cat"}});
      if (help.exit_code == 0) {
        cli = candidate;
        break;
      }
    }
    ASSERT_FALSE(cli.empty()) << "no AWS CLI with create-repository-creation-template";
    aws_cli_ = cli;
    ASSERT_TRUE(std::filesystem::exists(UpstreamRegistry::kBinary))
        << "Debian's docker-registry is not installed (apt-get install docker-registry)";
    // Two upstreams over one storage: quay.io is open, registry-1.docker.io
    // wants puller/s3cret.
    open_ = std::make_unique<UpstreamRegistry>(storage_.path());
    locked_ = std::make_unique<UpstreamRegistry>(storage_.path(), "puller", "s3cret");
    const std::string secrets = storage_.path() + "/../berth-secrets-" + id_ + ".json";
    secrets_file_ = std::filesystem::weakly_canonical(secrets).string();
    std::ofstream(secrets_file_) << json{
        {kGoodArn, {{"username", "puller"}, {"accessToken", "s3cret"}}},
        {"ecr-pullthroughcache/wrong", {{"username", "puller"}, {"accessToken", "nope"}}},
    }.dump();
    server_.reset();
    server_ = std::make_unique<BerthServer>(
        std::vector<std::string>{}, "",
        std::map<std::string, std::string>{
            {"BERTH_UPSTREAM_ENDPOINTS",
             "quay.io=" + open_->url() + ",registry-1.docker.io=" + locked_->url()},
            {"BERTH_SECRETS_FILE", secrets_file_}});
  }

  void TearDown() override {
    std::filesystem::remove(secrets_file_);
    RegistryClientTest::TearDown();
  }

  // Pushes a fresh image serving `page` to the upstream as
  // library/<name>:<tag> and forgets it locally; returns its digest.
  std::string SeedUpstream(const std::string& name, const std::string& tag,
                           const std::string& page) {
    const std::string local = tag_id();
    BuildImage(local, page);
    const std::string target = open_->host() + "/library/" + name + ":" + tag;
    Tag(local + ":latest", target);
    const std::string digest = Push(target);
    DockerOk({"rmi", target, local + ":latest"});
    return digest;
  }

  TempDir storage_;
  std::string secrets_file_;
  std::unique_ptr<UpstreamRegistry> open_;
  std::unique_ptr<UpstreamRegistry> locked_;
};

TEST_F(PullThroughTest, FirstPullCachesFromTheTemplateAndLaterPullsWorkOffline) {
  // given a rule for quay.io and a PULL_THROUGH_CACHE template for its prefix
  Aws({"ecr", "create-pull-through-cache-rule", "--ecr-repository-prefix", "quay",
       "--upstream-registry-url", "quay.io"});
  const std::string lifecycle =
      R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":)"
      R"("sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]})";
  Aws({"ecr", "create-repository-creation-template", "--prefix", "quay", "--applied-for",
       "PULL_THROUGH_CACHE", "--image-tag-mutability", "IMMUTABLE", "--lifecycle-policy",
       lifecycle});
  const std::string digest = SeedUpstream("web", "1", "<h1>cached</h1>\n");
  const std::string image = host() + "/quay/library/web:1";

  // when docker pulls through Berth, then the upstream's image arrives
  EXPECT_EQ(Pull(image), digest);
  // and the repository was created from the template
  const json repos =
      Aws({"ecr", "describe-repositories", "--repository-names", "quay/library/web"});
  ASSERT_EQ(repos["repositories"].size(), 1u) << repos.dump();
  EXPECT_EQ(repos["repositories"][0]["imageTagMutability"], "IMMUTABLE");
  EXPECT_EQ(json::parse(Aws({"ecr", "get-lifecycle-policy", "--repository-name",
                             "quay/library/web"})["lifecyclePolicyText"]
                            .get<std::string>()),
            json::parse(lifecycle));
  const json images = Aws({"ecr", "describe-images", "--repository-name", "quay/library/web"});
  ASSERT_EQ(images["imageDetails"].size(), 1u);
  EXPECT_EQ(images["imageDetails"][0]["imageDigest"], digest);
  EXPECT_EQ(images["imageDetails"][0]["imageTags"], json::array({"1"}));

  // when the upstream is gone, the cached image is still served whole
  open_->Stop();
  DockerOk({"rmi", image});
  EXPECT_EQ(Pull(image), digest);
  EXPECT_EQ(RunAndFetch(image), "<h1>cached</h1>\n");
  // but what was never cached is not found
  const CommandResult missing = Docker({"pull", host() + "/quay/library/web:2"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
}

TEST_F(PullThroughTest, AuthenticatedUpstreamNeedsTheRightCredentials) {
  const std::string digest = SeedUpstream("app", "v1", "<h1>locked</h1>\n");
  Aws({"ecr", "create-pull-through-cache-rule", "--ecr-repository-prefix", "hub",
       "--upstream-registry-url", "registry-1.docker.io", "--credential-arn", kGoodArn});
  Aws({"ecr", "create-pull-through-cache-rule", "--ecr-repository-prefix", "hub-wrong",
       "--upstream-registry-url", "registry-1.docker.io", "--credential-arn", kWrongArn});

  // ValidatePullThroughCacheRule really authenticates with the upstream
  const json good =
      Aws({"ecr", "validate-pull-through-cache-rule", "--ecr-repository-prefix", "hub"});
  EXPECT_EQ(good["isValid"], true) << good.dump();
  const json wrong =
      Aws({"ecr", "validate-pull-through-cache-rule", "--ecr-repository-prefix", "hub-wrong"});
  EXPECT_EQ(wrong["isValid"], false) << wrong.dump();
  EXPECT_NE(wrong.value("failure", "").find("authentication to the upstream registry failed"),
            std::string::npos)
      << wrong.dump();

  // good credentials pull; wrong ones are denied with ECR's message
  EXPECT_EQ(Pull(host() + "/hub/library/app:v1"), digest);
  const CommandResult denied = Docker({"pull", host() + "/hub-wrong/library/app:v1"});
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.err.find("denied: The authentication to the upstream registry failed. Verify "
                            "that the credentials provided in the pull through cache rule are "
                            "correct, and try again."),
            std::string::npos)
      << denied.err;
  // and no repository was left behind for the refused pull
  const AwsResult none =
      RunAws(aws_cli_, server_->endpoint(),
             {"ecr", "describe-repositories", "--repository-names", "hub-wrong/library/app"});
  EXPECT_NE(none.err.find("RepositoryNotFoundException"), std::string::npos) << none.err;
}

TEST_F(PullThroughTest, PushCreatesTheRepositoryOnlyWhenACreateOnPushTemplateMatches) {
  Aws({"ecr", "create-repository-creation-template", "--prefix", "auto", "--applied-for",
       "CREATE_ON_PUSH", "--image-tag-mutability", "IMMUTABLE", "--resource-tags",
       "Key=team,Value=blue", "--custom-role-arn", "arn:aws:iam::000000000000:role/ecr-create"});
  const std::string local = tag_id();
  BuildImage(local, "<h1>pushed</h1>\n");

  // a push under the template's prefix creates the repository with its settings
  const std::string image = host() + "/auto/app:1";
  Tag(local + ":latest", image);
  EXPECT_FALSE(Push(image).empty());
  const json repos = Aws({"ecr", "describe-repositories", "--repository-names", "auto/app"});
  ASSERT_EQ(repos["repositories"].size(), 1u);
  EXPECT_EQ(repos["repositories"][0]["imageTagMutability"], "IMMUTABLE");
  const json tags = Aws({"ecr", "list-tags-for-resource", "--resource-arn",
                         repos["repositories"][0]["repositoryArn"].get<std::string>()});
  EXPECT_EQ(tags["tags"], json::array({{{"Key", "team"}, {"Value", "blue"}}}));

  // elsewhere the push fails as before: the repository does not exist
  const std::string other = host() + "/manual/app:1";
  Tag(local + ":latest", other);
  const CommandResult refused = Docker({"push", other});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("does not exist"), std::string::npos)
      << refused.out << refused.err;
}

}  // namespace
}  // namespace berth::testing
