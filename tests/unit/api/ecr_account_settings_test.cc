// The ECR registry account surface through the API: account settings, the
// signing configuration and the signing status of pushes, pull-time update
// exclusions and BatchGetRepositoryScanningConfiguration.

#include "server/ecr/registry_settings.h"
#include "tests/unit/api/ecr_images_fixture.h"

namespace berth::testing {
namespace {

constexpr const char* kProfile = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/release";
constexpr const char* kOtherProfile =
    "arn:aws:signer:us-east-1:000000000000:/signing-profiles/nightly";

class EcrAccountSettingsTest : public EcrImagesTest {
 protected:
  ecr::SigningRecorder signing_{database_, images_};
};

TEST_F(EcrAccountSettingsTest, AccountSettingsHaveDefaultsAndKeepWhatIsPut) {
  EXPECT_EQ(EcrOk("GetAccountSetting", {{"name", "BLOB_MOUNTING"}}),
            (json{{"name", "BLOB_MOUNTING"}, {"value", "DISABLED"}}));
  EXPECT_EQ(EcrOk("GetAccountSetting", {{"name", "REGISTRY_POLICY_SCOPE"}})["value"], "V2");
  EXPECT_EQ(EcrOk("GetAccountSetting", {{"name", "BASIC_SCAN_TYPE_VERSION"}})["value"],
            "AWS_NATIVE");
  EXPECT_EQ(EcrOk("PutAccountSetting", {{"name", "BLOB_MOUNTING"}, {"value", "ENABLED"}}),
            (json{{"name", "BLOB_MOUNTING"}, {"value", "ENABLED"}}));
  EXPECT_EQ(EcrOk("GetAccountSetting", {{"name", "BLOB_MOUNTING"}})["value"], "ENABLED");

  const ApiReply bad_name = Ecr("PutAccountSetting", {{"name", "COLOUR"}, {"value", "BLUE"}});
  EXPECT_AWS_ERROR(bad_name, "InvalidParameterException");
  EXPECT_EQ(bad_name.message(),
            "Invalid parameter at 'name' failed to satisfy constraint: 'Member must satisfy enum "
            "value set: [BASIC_SCAN_TYPE_VERSION, BLOB_MOUNTING, REGISTRY_POLICY_SCOPE]'");
  EXPECT_AWS_ERROR(Ecr("GetAccountSetting", {{"name", "COLOUR"}}), "InvalidParameterException");
  const ApiReply bad_value =
      Ecr("PutAccountSetting", {{"name", "BLOB_MOUNTING"}, {"value", "SOMETIMES"}});
  EXPECT_AWS_ERROR(bad_value, "InvalidParameterException");
  EXPECT_EQ(bad_value.message(),
            "Invalid parameter at 'value' failed to satisfy constraint: 'Member must satisfy "
            "enum value set: [ENABLED, DISABLED]'");
  // The failed put changed nothing.
  EXPECT_EQ(EcrOk("GetAccountSetting", {{"name", "BLOB_MOUNTING"}})["value"], "ENABLED");
}

TEST_F(EcrAccountSettingsTest, SigningConfigurationLifecycleAndPushStatuses) {
  EXPECT_AWS_ERROR(Ecr("GetSigningConfiguration", json::object()),
                   "SigningConfigurationNotFoundException");
  EXPECT_AWS_ERROR(Ecr("DeleteSigningConfiguration", json::object()),
                   "SigningConfigurationNotFoundException");
  // An image pushed with no configuration has no signing statuses.
  const Image unsigned_image = PushImage("unsigned", "v0");
  EXPECT_TRUE(EcrOk("DescribeImageSigningStatus",
                    {{"repositoryName", "app"},
                     {"imageId", {{"imageDigest", unsigned_image.digest}}}})["signingStatuses"]
                  .empty());

  const json configuration = {
      {"rules",
       {{{"signingProfileArn", kProfile},
         {"repositoryFilters", {{{"filter", "ap*"}, {"filterType", "WILDCARD_MATCH"}}}}},
        {{"signingProfileArn", kOtherProfile}}}}};
  EXPECT_EQ(EcrOk("PutSigningConfiguration", {{"signingConfiguration", configuration}}),
            (json{{"signingConfiguration", configuration}}));
  EXPECT_EQ(EcrOk("GetSigningConfiguration", json::object()),
            (json{{"registryId", kAccount}, {"signingConfiguration", configuration}}));

  // A push to "app" matches both rules: Berth has no AWS Signer, so each
  // profile reports FAILED with its reason.
  const Image image = PushImage("signed", "v1");
  const json status = EcrOk("DescribeImageSigningStatus",
                            {{"repositoryName", "app"}, {"imageId", {{"imageTag", "v1"}}}});
  EXPECT_EQ(status["registryId"], kAccount);
  EXPECT_EQ(status["imageId"], (json{{"imageDigest", image.digest}, {"imageTag", "v1"}}));
  ASSERT_EQ(status["signingStatuses"].size(), 2u) << status.dump();
  EXPECT_EQ(status["signingStatuses"][0], (json{{"signingProfileArn", kOtherProfile},
                                                {"status", "FAILED"},
                                                {"failureCode", ecr::kSignerUnavailable},
                                                {"failureReason", ecr::kSignerUnavailableReason}}));
  EXPECT_EQ(status["signingStatuses"][1]["signingProfileArn"], kProfile);
  // "web" matches only the rule without filters.
  CreateRepository("web");
  const Image web = PushImage("web", "v1", "web");
  const json web_status =
      EcrOk("DescribeImageSigningStatus",
            {{"repositoryName", "web"}, {"imageId", {{"imageDigest", web.digest}}}});
  ASSERT_EQ(web_status["signingStatuses"].size(), 1u);
  EXPECT_EQ(web_status["signingStatuses"][0]["signingProfileArn"], kOtherProfile);

  EXPECT_EQ(EcrOk("DeleteSigningConfiguration", json::object()),
            (json{{"registryId", kAccount}, {"signingConfiguration", configuration}}));
  EXPECT_AWS_ERROR(Ecr("GetSigningConfiguration", json::object()),
                   "SigningConfigurationNotFoundException");
  // Later pushes are not signed; earlier statuses stay.
  const Image later = PushImage("later", "v2");
  EXPECT_TRUE(EcrOk("DescribeImageSigningStatus",
                    {{"repositoryName", "app"},
                     {"imageId", {{"imageDigest", later.digest}}}})["signingStatuses"]
                  .empty());
  EXPECT_EQ(EcrOk("DescribeImageSigningStatus",
                  {{"repositoryName", "app"}, {"imageId", {{"imageTag", "v1"}}}})["signingStatuses"]
                .size(),
            2u);
  EXPECT_AWS_ERROR(Ecr("DescribeImageSigningStatus",
                       {{"repositoryName", "app"}, {"imageId", {{"imageTag", "nope"}}}}),
                   "ImageNotFoundException");
  EXPECT_AWS_ERROR(Ecr("DescribeImageSigningStatus",
                       {{"repositoryName", "nope"}, {"imageId", {{"imageTag", "v1"}}}}),
                   "RepositoryNotFoundException");
  // The model's pattern for profile ARNs is enforced.
  EXPECT_EQ(Ecr("PutSigningConfiguration",
                {{"signingConfiguration", {{"rules", {{{"signingProfileArn", "arn:bad"}}}}}}})
                .status,
            400u);
}

TEST_F(EcrAccountSettingsTest, PullTimeUpdateExclusionsRegisterListAndDeregister) {
  const std::string role = "arn:aws:iam::000000000000:role/ci";
  const std::string user = "arn:aws:iam::000000000000:user/alice";
  EXPECT_EQ(EcrOk("ListPullTimeUpdateExclusions", json::object()),
            (json{{"pullTimeUpdateExclusions", json::array()}}));
  const json registered = EcrOk("RegisterPullTimeUpdateExclusion", {{"principalArn", role}});
  EXPECT_EQ(registered["principalArn"], role);
  EXPECT_TRUE(registered["createdAt"].is_number());
  EcrOk("RegisterPullTimeUpdateExclusion", {{"principalArn", user}});
  EXPECT_AWS_ERROR(Ecr("RegisterPullTimeUpdateExclusion", {{"principalArn", role}}),
                   "ExclusionAlreadyExistsException");
  EXPECT_EQ(EcrOk("ListPullTimeUpdateExclusions", json::object())["pullTimeUpdateExclusions"],
            json::array({role, user}));
  // One per page.
  const json first = EcrOk("ListPullTimeUpdateExclusions", {{"maxResults", 1}});
  EXPECT_EQ(first["pullTimeUpdateExclusions"], json::array({role}));
  ASSERT_TRUE(first.contains("nextToken"));
  const json second =
      EcrOk("ListPullTimeUpdateExclusions", {{"maxResults", 1}, {"nextToken", first["nextToken"]}});
  EXPECT_EQ(second["pullTimeUpdateExclusions"], json::array({user}));
  EXPECT_FALSE(second.contains("nextToken"));

  EXPECT_EQ(EcrOk("DeregisterPullTimeUpdateExclusion", {{"principalArn", role}}),
            (json{{"principalArn", role}}));
  EXPECT_AWS_ERROR(Ecr("DeregisterPullTimeUpdateExclusion", {{"principalArn", role}}),
                   "ExclusionNotFoundException");
  EXPECT_EQ(EcrOk("ListPullTimeUpdateExclusions", json::object())["pullTimeUpdateExclusions"],
            json::array({user}));
  // Only IAM users and roles (the model's pattern).
  EXPECT_EQ(Ecr("RegisterPullTimeUpdateExclusion",
                {{"principalArn", "arn:aws:iam::000000000000:group/devs"}})
                .status,
            400u);
  // At most 100 per registry.
  for (int i = 0; i < 99; ++i) {
    EcrOk("RegisterPullTimeUpdateExclusion",
          {{"principalArn", "arn:aws:iam::000000000000:role/r" + std::to_string(i)}});
  }
  EXPECT_AWS_ERROR(Ecr("RegisterPullTimeUpdateExclusion",
                       {{"principalArn", "arn:aws:iam::000000000000:role/one-too-many"}}),
                   "LimitExceededException");
}

TEST_F(EcrAccountSettingsTest, RepositoryScanningConfigurationFollowsTheRegistryRules) {
  CreateRepository("prod-api", {{"imageScanningConfiguration", {{"scanOnPush", true}}}});
  // No registry rules: each repository's own scanOnPush, else MANUAL.
  json out = EcrOk("BatchGetRepositoryScanningConfiguration",
                   {{"repositoryNames", {"app", "prod-api", "missing"}}});
  ASSERT_EQ(out["scanningConfigurations"].size(), 2u) << out.dump();
  EXPECT_EQ(out["scanningConfigurations"][0],
            (json{{"repositoryArn", "arn:aws:ecr:us-east-1:000000000000:repository/app"},
                  {"repositoryName", "app"},
                  {"scanOnPush", false},
                  {"scanFrequency", "MANUAL"},
                  {"appliedScanFilters", json::array()}}));
  EXPECT_EQ(out["scanningConfigurations"][1]["scanFrequency"], "SCAN_ON_PUSH");
  EXPECT_EQ(out["scanningConfigurations"][1]["scanOnPush"], true);
  EXPECT_EQ(out["failures"], json::array({{{"repositoryName", "missing"},
                                           {"failureCode", "REPOSITORY_NOT_FOUND"},
                                           {"failureReason", "REPOSITORY_NOT_FOUND"}}}));

  // Enhanced scanning: continuous for prod-*, on push for everything else.
  EcrOk("PutRegistryScanningConfiguration",
        {{"scanType", "ENHANCED"},
         {"rules",
          {{{"scanFrequency", "CONTINUOUS_SCAN"},
            {"repositoryFilters", {{{"filter", "prod-*"}, {"filterType", "WILDCARD"}}}}},
           {{"scanFrequency", "SCAN_ON_PUSH"},
            {"repositoryFilters", {{{"filter", "*"}, {"filterType", "WILDCARD"}}}}}}}});
  out =
      EcrOk("BatchGetRepositoryScanningConfiguration", {{"repositoryNames", {"prod-api", "app"}}});
  ASSERT_EQ(out["scanningConfigurations"].size(), 2u);
  EXPECT_EQ(out["scanningConfigurations"][0]["scanFrequency"], "CONTINUOUS_SCAN");
  EXPECT_EQ(out["scanningConfigurations"][0]["appliedScanFilters"],
            json::array({{{"filter", "prod-*"}, {"filterType", "WILDCARD"}}}));
  EXPECT_EQ(out["scanningConfigurations"][1]["scanFrequency"], "SCAN_ON_PUSH");
  EXPECT_EQ(out["scanningConfigurations"][1]["scanOnPush"], true);
  EXPECT_TRUE(out["failures"].empty());
}

}  // namespace
}  // namespace berth::testing
