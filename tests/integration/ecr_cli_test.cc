// ECR through the real AWS CLI: the walkthrough's create-repository verbatim,
// then every repository operation of the foundation, checked by describing.

#include <ctime>

#include <gtest/gtest.h>

#include "server/util/crypto.h"
#include "tests/integration/cli_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class EcrCliTest : public CliTest {};

TEST_P(EcrCliTest, CreateRepositoryVerbatimThenDescribe) {
  // given a fresh Berth; when the walkthrough's first command runs
  const json created = Ok({"ecr", "create-repository", "--repository-name", "test-repo"});
  // then the repository comes back in AWS's shape, pointing at Berth's registry
  const json& repo = created["repository"];
  EXPECT_EQ(repo["repositoryName"], "test-repo");
  EXPECT_EQ(repo["registryId"], "000000000000");
  EXPECT_EQ(repo["repositoryArn"], "arn:aws:ecr:us-east-1:000000000000:repository/test-repo");
  EXPECT_EQ(repo["repositoryUri"], "localhost:" + std::to_string(server_->port()) + "/test-repo");
  EXPECT_EQ(repo["imageTagMutability"], "MUTABLE");
  EXPECT_EQ(repo["imageScanningConfiguration"]["scanOnPush"], false);
  EXPECT_EQ(repo["encryptionConfiguration"]["encryptionType"], "AES256");
  EXPECT_TRUE(repo.contains("createdAt"));

  const json described = Ok({"ecr", "describe-repositories", "--repository-names", "test-repo"});
  ASSERT_EQ(described["repositories"].size(), 1u);
  EXPECT_EQ(described["repositories"][0], repo);
  const json all = Ok({"ecr", "describe-repositories"});
  EXPECT_EQ(all["repositories"].size(), 1u);
}

TEST_P(EcrCliTest, DuplicatesAndMissingRepositoriesAreAwsErrors) {
  Ok({"ecr", "create-repository", "--repository-name", "test-repo"});
  const std::string err = Fails({"ecr", "create-repository", "--repository-name", "test-repo"},
                                "RepositoryAlreadyExistsException");
  EXPECT_NE(err.find("The repository with name 'test-repo' already exists in the registry with "
                     "id '000000000000'"),
            std::string::npos);
  Fails({"ecr", "describe-repositories", "--repository-names", "nope"},
        "RepositoryNotFoundException");
  Fails({"ecr", "create-repository", "--repository-name", "Bad_Name"}, "InvalidParameterException");
  Fails({"ecr", "delete-repository", "--repository-name", "nope"}, "RepositoryNotFoundException");
}

TEST_P(EcrCliTest, DescribeRepositoriesPaginates) {
  for (int i = 0; i < 7; ++i) {
    Ok({"ecr", "create-repository", "--repository-name", "repo-" + std::to_string(i)});
  }
  // The CLI follows nextToken itself: a page size of 2 still yields all 7.
  const json all = Ok({"ecr", "describe-repositories", "--page-size", "2"});
  ASSERT_EQ(all["repositories"].size(), 7u);
  EXPECT_EQ(all["repositories"][0]["repositoryName"], "repo-0");
  EXPECT_EQ(all["repositories"][6]["repositoryName"], "repo-6");
  const json first = Ok({"ecr", "describe-repositories", "--max-items", "3"});
  EXPECT_EQ(first["repositories"].size(), 3u);
  EXPECT_TRUE(first.contains("NextToken"));
}

TEST_P(EcrCliTest, SettingsTagsAndPolicies) {
  Ok({"ecr", "create-repository", "--repository-name", "team/app", "--image-tag-mutability",
      "IMMUTABLE", "--image-scanning-configuration", "scanOnPush=true", "--tags",
      "Key=team,Value=core"});
  const std::string arn = "arn:aws:ecr:us-east-1:000000000000:repository/team/app";

  EXPECT_EQ(Ok({"ecr", "list-tags-for-resource", "--resource-arn", arn})["tags"],
            json::parse(R"([{"Key":"team","Value":"core"}])"));
  Ok({"ecr", "tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=dev"});
  Ok({"ecr", "untag-resource", "--resource-arn", arn, "--tag-keys", "team"});
  EXPECT_EQ(Ok({"ecr", "list-tags-for-resource", "--resource-arn", arn})["tags"],
            json::parse(R"([{"Key":"env","Value":"dev"}])"));

  const json mutability = Ok({"ecr", "put-image-tag-mutability", "--repository-name", "team/app",
                              "--image-tag-mutability", "MUTABLE"});
  EXPECT_EQ(mutability["imageTagMutability"], "MUTABLE");
  Ok({"ecr", "put-image-scanning-configuration", "--repository-name", "team/app",
      "--image-scanning-configuration", "scanOnPush=false"});
  const json repo = Ok({"ecr", "describe-repositories", "--repository-names", "team/app"});
  EXPECT_EQ(repo["repositories"][0]["imageTagMutability"], "MUTABLE");
  EXPECT_EQ(repo["repositories"][0]["imageScanningConfiguration"]["scanOnPush"], false);

  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]})";
  Ok({"ecr", "set-repository-policy", "--repository-name", "team/app", "--policy-text", policy});
  EXPECT_EQ(Ok({"ecr", "get-repository-policy", "--repository-name", "team/app"})["policyText"],
            policy);
  Ok({"ecr", "delete-repository-policy", "--repository-name", "team/app"});
  Fails({"ecr", "get-repository-policy", "--repository-name", "team/app"},
        "RepositoryPolicyNotFoundException");
  Fails({"ecr", "set-repository-policy", "--repository-name", "team/app", "--policy-text",
         "{\"nope\":1}"},
        "InvalidParameterException");

  const std::string lifecycle =
      R"({"rules":[{"rulePriority":1,"description":"keep 5","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}}]})";
  Ok({"ecr", "put-lifecycle-policy", "--repository-name", "team/app", "--lifecycle-policy-text",
      lifecycle});
  EXPECT_EQ(
      Ok({"ecr", "get-lifecycle-policy", "--repository-name", "team/app"})["lifecyclePolicyText"],
      lifecycle);
  Ok({"ecr", "delete-lifecycle-policy", "--repository-name", "team/app"});
  Fails({"ecr", "get-lifecycle-policy", "--repository-name", "team/app"},
        "LifecyclePolicyNotFoundException");
}

TEST_P(EcrCliTest, RegistryWideSettings) {
  EXPECT_EQ(
      Ok({"ecr", "describe-registry"}),
      json::parse(R"({"registryId":"000000000000","replicationConfiguration":{"rules":[]}})"));
  const json scanning = Ok({"ecr", "get-registry-scanning-configuration"});
  EXPECT_EQ(scanning["scanningConfiguration"]["scanType"], "BASIC");
  Ok({"ecr", "put-registry-scanning-configuration", "--scan-type", "BASIC", "--rules",
      R"([{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[{"filter":"*","filterType":"WILDCARD"}]}])"});
  EXPECT_EQ(
      Ok({"ecr", "get-registry-scanning-configuration"})["scanningConfiguration"]["rules"].size(),
      1u);
  Ok({"ecr", "put-replication-configuration", "--replication-configuration",
      R"({"rules":[{"destinations":[{"region":"eu-west-1","registryId":"000000000000"}]}]})"});
  EXPECT_EQ(Ok({"ecr", "describe-registry"})["replicationConfiguration"]["rules"][0]["destinations"]
                                            [0]["region"],
            "eu-west-1");
  Fails({"ecr", "get-registry-policy"}, "RegistryPolicyNotFoundException");
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["ecr:ReplicateImage"],"Resource":"*"}]})";
  Ok({"ecr", "put-registry-policy", "--policy-text", policy});
  EXPECT_EQ(Ok({"ecr", "get-registry-policy"})["policyText"], policy);
  Ok({"ecr", "delete-registry-policy"});
}

TEST_P(EcrCliTest, LoginPasswordIsADecodableTwelveHourToken) {
  const json token = Ok({"ecr", "get-authorization-token"});
  const json& data = token["authorizationData"][0];
  EXPECT_EQ(data["proxyEndpoint"], "https://localhost:" + std::to_string(server_->port()));
  const auto decoded = crypto::Base64Decode(data["authorizationToken"].get<std::string>());
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->starts_with("AWS:"));
  const double expires = EpochOf(data["expiresAt"]);
  EXPECT_NEAR(expires - static_cast<double>(std::time(nullptr)), 12 * 3600, 60);
  // The CLI splits "AWS:<password>" on ':' and prints the password.
  const AwsResult password = RunAws(GetParam(), server_->endpoint(), {"ecr", "get-login-password"});
  ASSERT_EQ(password.exit_code, 0) << password.err;
  const std::string printed = password.out.substr(0, password.out.find('\n'));
  EXPECT_GT(printed.size(), 20u);
  EXPECT_EQ(printed.find(':'), std::string::npos);
  EXPECT_EQ(decoded->find(':', 4), std::string::npos);
}

TEST_P(EcrCliTest, DeleteRepositoryRemovesItAndItsTags) {
  Ok({"ecr", "create-repository", "--repository-name", "gone", "--tags", "Key=a,Value=b"});
  const json deleted = Ok({"ecr", "delete-repository", "--repository-name", "gone"});
  EXPECT_EQ(deleted["repository"]["repositoryName"], "gone");
  Fails({"ecr", "describe-repositories", "--repository-names", "gone"},
        "RepositoryNotFoundException");
  Ok({"ecr", "create-repository", "--repository-name", "gone"});
  EXPECT_TRUE(Ok({"ecr", "list-tags-for-resource", "--resource-arn",
                  "arn:aws:ecr:us-east-1:000000000000:repository/gone"})["tags"]
                  .empty());
}

INSTANTIATE_TEST_SUITE_P(Clis, EcrCliTest, ::testing::ValuesIn(AwsClis()), CliName);

}  // namespace
}  // namespace berth::testing
