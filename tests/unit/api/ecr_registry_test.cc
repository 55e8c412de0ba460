// ECR policies and registry-wide settings through the JSON API: repository
// and registry policies, lifecycle policies, scanning and replication
// configuration, and GetAuthorizationToken. Every refused call is followed by
// a read that proves nothing was stored.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/util/crypto.h"
#include "tests/support/api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kRegistryAccount = "000000000000";

constexpr const char* kPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow",)"
    R"("Principal":{"AWS":"arn:aws:iam::111111111111:root"},)"
    R"("Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]})";

constexpr const char* kLifecycle =
    R"({"rules":[{"rulePriority":1,"description":"keep ten images",)"
    R"("selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":10},)"
    R"("action":{"type":"expire"}}]})";

class EcrRegistryTest : public ApiTest {
 protected:
  EcrRegistryTest() { EcrOk("CreateRepository", {{"repositoryName", "app"}}); }

  // `text` padded with trailing spaces to the model's 100-character minimum,
  // so that only the lifecycle grammar can refuse it.
  static std::string Padded(std::string text) {
    if (text.size() < 100) text.append(100 - text.size(), ' ');
    return text;
  }

  ApiReply PutLifecycle(const std::string& text, const std::string& repository = "app") {
    return Ecr("PutLifecyclePolicy",
               {{"repositoryName", repository}, {"lifecyclePolicyText", text}});
  }

  static std::string Auth(const std::string& access_key, const std::string& region) {
    return "AWS4-HMAC-SHA256 Credential=" + access_key + "/20260101/" + region +
           "/ecr/aws4_request, SignedHeaders=host, Signature=0";
  }

  static json Destination(const std::string& region, const std::string& registry) {
    return {{"region", region}, {"registryId", registry}};
  }

  json Replication() {
    return EcrOk("DescribeRegistry", json::object())["replicationConfiguration"];
  }
  json Scanning() {
    return EcrOk("GetRegistryScanningConfiguration", json::object())["scanningConfiguration"];
  }
};

// --- Repository policy -------------------------------------------------------

TEST_F(EcrRegistryTest, RepositoryPolicySetGetDelete) {
  const json set =
      EcrOk("SetRepositoryPolicy", {{"repositoryName", "app"}, {"policyText", kPolicy}});
  EXPECT_EQ(
      set,
      json({{"registryId", kRegistryAccount}, {"repositoryName", "app"}, {"policyText", kPolicy}}));
  EXPECT_EQ(EcrOk("GetRepositoryPolicy", {{"repositoryName", "app"}}), set);
  EXPECT_EQ(EcrOk("DeleteRepositoryPolicy", {{"repositoryName", "app"}}), set);
  EXPECT_AWS_ERROR(Ecr("GetRepositoryPolicy", {{"repositoryName", "app"}}),
                   "RepositoryPolicyNotFoundException");
}

TEST_F(EcrRegistryTest, RepositoryPolicyAbsentIsNamedExactly) {
  for (const char* op : {"GetRepositoryPolicy", "DeleteRepositoryPolicy"}) {
    const ApiReply r = Ecr(op, {{"repositoryName", "app"}});
    EXPECT_AWS_ERROR(r, "RepositoryPolicyNotFoundException");
    EXPECT_EQ(r.message(),
              "Repository policy does not exist for the repository with name 'app' in the "
              "registry with id '000000000000'");
    EXPECT_AWS_ERROR(Ecr(op, {{"repositoryName", "ghost"}}), "RepositoryNotFoundException");
  }
}

TEST_F(EcrRegistryTest, RepositoryPolicyMustBeAValidPolicyDocument) {
  // Given a stored policy
  EcrOk("SetRepositoryPolicy", {{"repositoryName", "app"}, {"policyText", kPolicy}});
  const std::string statement_start = R"({"Version":"2012-10-17","Statement":)";
  const std::vector<std::string> invalid = {
      "",
      "not json",
      "{\"Version\":",
      "[]",
      "\"text\"",
      "{}",
      R"({"Version":"2012-10-17"})",
      R"({"Version":"2012-10-17","Statement":[]})",
      R"({"Version":"1999-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"ecr:*"}})",
      statement_start + R"({"Effect":"Maybe","Principal":"*","Action":"ecr:*"}})",
      statement_start + R"({"Principal":"*","Action":"ecr:*"}})",
      statement_start + R"({"Effect":"Allow","Action":"ecr:*"}})",
      statement_start + R"({"Effect":"Allow","Principal":"*"}})",
      statement_start + R"({"Effect":"Allow","Principal":"someone","Action":"ecr:*"}})",
      statement_start + R"({"Effect":"Allow","Principal":{"Robot":"x"},"Action":"ecr:*"}})",
      statement_start + R"({"Effect":"Allow","Principal":"*","Action":[]}})",
      statement_start + R"({"Effect":"Allow","Principal":"*","Action":"ecr:*","Colour":"red"}})",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}],"Extra":1})",
  };
  for (const auto& text : invalid) {
    // When an invalid document is set
    const ApiReply r =
        Ecr("SetRepositoryPolicy", {{"repositoryName", "app"}, {"policyText", text}});
    // Then ECR refuses it in its exact words
    EXPECT_AWS_ERROR(r, "InvalidParameterException");
    EXPECT_EQ(r.message(),
              "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid "
              "repository policy provided'")
        << text;
  }
  // And the stored policy is unchanged
  EXPECT_EQ(EcrOk("GetRepositoryPolicy", {{"repositoryName", "app"}})["policyText"], kPolicy);
  // Too long for the model: refused before the document is read.
  EXPECT_AWS_ERROR(Ecr("SetRepositoryPolicy",
                       {{"repositoryName", "app"}, {"policyText", std::string(10241, ' ')}}),
                   "InvalidParameterException");
  EXPECT_EQ(EcrOk("GetRepositoryPolicy", {{"repositoryName", "app"}})["policyText"], kPolicy);
}

TEST_F(EcrRegistryTest, RepositoryPolicyOnAMissingRepository) {
  const ApiReply r =
      Ecr("SetRepositoryPolicy", {{"repositoryName", "ghost"}, {"policyText", kPolicy}});
  EXPECT_AWS_ERROR(r, "RepositoryNotFoundException");
  EXPECT_EQ(r.message(),
            "The repository with name 'ghost' does not exist in the registry with id "
            "'000000000000'");
  EXPECT_AWS_ERROR(Ecr("SetRepositoryPolicy", {{"repositoryName", "app"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("GetRepositoryPolicy", {{"repositoryName", "app"}}),
                   "RepositoryPolicyNotFoundException");
}

// --- Lifecycle policy ----------------------------------------------------------

TEST_F(EcrRegistryTest, LifecyclePolicyPutGetDelete) {
  const json put =
      EcrOk("PutLifecyclePolicy", {{"repositoryName", "app"}, {"lifecyclePolicyText", kLifecycle}});
  EXPECT_EQ(put, json({{"registryId", kRegistryAccount},
                       {"repositoryName", "app"},
                       {"lifecyclePolicyText", kLifecycle}}));
  // Get and Delete add lastEvaluatedAt: the epoch, as it never ran.
  json expected = put;
  expected["lastEvaluatedAt"] = 0.0;
  const json got = EcrOk("GetLifecyclePolicy", {{"repositoryName", "app"}});
  EXPECT_EQ(got, expected);
  const json deleted = EcrOk("DeleteLifecyclePolicy", {{"repositoryName", "app"}});
  EXPECT_EQ(deleted, expected);
  EXPECT_AWS_ERROR(Ecr("GetLifecyclePolicy", {{"repositoryName", "app"}}),
                   "LifecyclePolicyNotFoundException");
}

TEST_F(EcrRegistryTest, LifecyclePolicyAbsentIsNamedExactly) {
  for (const char* op : {"GetLifecyclePolicy", "DeleteLifecyclePolicy"}) {
    const ApiReply r = Ecr(op, {{"repositoryName", "app"}});
    EXPECT_AWS_ERROR(r, "LifecyclePolicyNotFoundException");
    EXPECT_EQ(r.message(),
              "Lifecycle policy does not exist for the repository with name 'app' in the "
              "registry with id '000000000000'");
    EXPECT_AWS_ERROR(Ecr(op, {{"repositoryName", "ghost"}}), "RepositoryNotFoundException");
  }
}

TEST_F(EcrRegistryTest, LifecyclePolicyLengthIsTheModelsValidationException) {
  // PutLifecyclePolicy declares ValidationException, so the model's 100-30720
  // length uses it.
  const ApiReply short_text = PutLifecycle(R"({"rules":[]})");
  EXPECT_AWS_ERROR(short_text, "ValidationException");
  EXPECT_EQ(short_text.message(),
            "1 validation error detected: Value '{\"rules\":[]}' at 'lifecyclePolicyText' failed "
            "to satisfy constraint: Member must have length greater than or equal to 100");
  EXPECT_AWS_ERROR(PutLifecycle(std::string(kLifecycle) + std::string(30721, ' ')),
                   "ValidationException");
  EXPECT_AWS_ERROR(Ecr("PutLifecyclePolicy", {{"repositoryName", "app"}}), "ValidationException");
  EXPECT_AWS_ERROR(Ecr("GetLifecyclePolicy", {{"repositoryName", "app"}}),
                   "LifecyclePolicyNotFoundException");
  // Exactly 30720 characters is fine.
  std::string longest = kLifecycle;
  longest.append(30720 - longest.size(), ' ');
  EXPECT_EQ(PutLifecycle(longest).status, 200u);
}

TEST_F(EcrRegistryTest, LifecyclePolicyGrammarFailuresAreInvalidParameter) {
  // Given a stored policy
  EXPECT_EQ(PutLifecycle(kLifecycle).status, 200u);
  // A policy of one rule: a valid rule with these changes merged in (a null
  // member removes it), or of the given rules.
  const auto one_rule = [](const json& selection_changes,
                           const json& rule_changes = json::object()) {
    json selection = {
        {"tagStatus", "any"}, {"countType", "imageCountMoreThan"}, {"countNumber", 1}};
    selection.merge_patch(selection_changes);
    json rule = {{"rulePriority", 1}, {"selection", selection}, {"action", {{"type", "expire"}}}};
    rule.merge_patch(rule_changes);
    return json({{"rules", json::array({rule})}}).dump();
  };
  const auto rules = [](std::initializer_list<std::pair<int, const char*>> priority_and_status) {
    json list = json::array();
    for (const auto& [priority, status] : priority_and_status) {
      json selection = {
          {"tagStatus", status}, {"countType", "imageCountMoreThan"}, {"countNumber", 1}};
      if (std::string_view(status) == "tagged") selection["tagPrefixList"] = {"v"};
      list.push_back(
          {{"rulePriority", priority}, {"selection", selection}, {"action", {{"type", "expire"}}}});
    }
    return json({{"rules", list}}).dump();
  };
  const std::vector<std::string> invalid = {
      "this is not json at all",
      "[1,2,3]",
      R"({"policy":[]})",
      R"({"rules":[]})",
      R"({"rules":{}})",
      R"({"rules":[],"extra":true})",
      one_rule({{"tagStatus", "sometimes"}}),
      one_rule({{"tagStatus", "tagged"}}),
      one_rule({{"tagStatus", "untagged"}, {"tagPrefixList", {"v"}}}),
      one_rule({{"tagStatus", "tagged"}, {"tagPrefixList", {"v"}}, {"tagPatternList", {"v*"}}}),
      one_rule({{"tagStatus", "tagged"}, {"tagPatternList", {"a*b*c*d*e*"}}}),
      one_rule({{"countUnit", "days"}}),
      one_rule({{"countType", "sinceImagePushed"}}),
      one_rule({{"countType", "sinceImagePushed"}, {"countUnit", "weeks"}}),
      one_rule({{"countNumber", 0}}),
      one_rule({{"countNumber", "5"}}),
      one_rule({{"countType", "forever"}}),
      one_rule({{"countNumber", nullptr}}),
      one_rule(json::object(), {{"colour", "red"}}),
      one_rule(json::object(), {{"rulePriority", 0}}),
      one_rule(json::object(), {{"action", {{"type", "destroy"}}}}),
      one_rule(json::object(), {{"action", nullptr}}),
      rules({{1, "untagged"}, {1, "tagged"}}),
      rules({{1, "untagged"}, {2, "untagged"}}),
      rules({{1, "any"}, {2, "untagged"}}),
  };
  const std::string prefix =
      "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle "
      "policy validation failure: ";
  for (const auto& text : invalid) {
    // When an ill-formed policy is put
    const ApiReply r = PutLifecycle(Padded(text));
    // Then it is InvalidParameterException with ECR's wording
    EXPECT_AWS_ERROR(r, "InvalidParameterException");
    EXPECT_TRUE(r.message().starts_with(prefix)) << text << "\n" << r.message();
    EXPECT_TRUE(r.message().ends_with("'")) << r.message();
  }
  EXPECT_EQ(PutLifecycle(Padded(R"({"policy":[]})")).message(),
            prefix + "object has missing required properties ([\"rules\"])'");
  EXPECT_NE(PutLifecycle(Padded(invalid[6])).message().find("not found in enum"),
            std::string::npos);
  // And the stored policy is untouched
  EXPECT_EQ(EcrOk("GetLifecyclePolicy", {{"repositoryName", "app"}})["lifecyclePolicyText"],
            kLifecycle);
  // The rules the cases start from are themselves valid.
  EXPECT_EQ(PutLifecycle(Padded(one_rule(json::object()))).status, 200u);
  EXPECT_EQ(PutLifecycle(Padded(rules({{1, "tagged"}, {2, "untagged"}, {3, "any"}}))).status, 200u);
  EXPECT_EQ(
      PutLifecycle(Padded(one_rule({{"countType", "sinceImagePushed"}, {"countUnit", "days"}})))
          .status,
      200u);
}

TEST_F(EcrRegistryTest, LifecyclePolicyOnAMissingRepository) {
  const ApiReply r = PutLifecycle(kLifecycle, "ghost");
  EXPECT_AWS_ERROR(r, "RepositoryNotFoundException");
  EXPECT_EQ(r.message(),
            "The repository with name 'ghost' does not exist in the registry with id "
            "'000000000000'");
  // A repository created later under that name has no policy.
  EcrOk("CreateRepository", {{"repositoryName", "ghost"}});
  EXPECT_AWS_ERROR(Ecr("GetLifecyclePolicy", {{"repositoryName", "ghost"}}),
                   "LifecyclePolicyNotFoundException");
}

TEST_F(EcrRegistryTest, LifecyclePolicyGoesWithItsRepository) {
  EXPECT_EQ(PutLifecycle(kLifecycle).status, 200u);
  EcrOk("DeleteRepository", {{"repositoryName", "app"}});
  EcrOk("CreateRepository", {{"repositoryName", "app"}});
  EXPECT_AWS_ERROR(Ecr("GetLifecyclePolicy", {{"repositoryName", "app"}}),
                   "LifecyclePolicyNotFoundException");
}

// --- Registry policy -------------------------------------------------------------

TEST_F(EcrRegistryTest, RegistryPolicyPutGetDelete) {
  for (const char* op : {"GetRegistryPolicy", "DeleteRegistryPolicy"}) {
    const ApiReply r = Ecr(op, json::object());
    EXPECT_AWS_ERROR(r, "RegistryPolicyNotFoundException");
    EXPECT_EQ(r.message(), "Registry policy does not exist in the registry with id '000000000000'");
  }
  const json put = EcrOk("PutRegistryPolicy", {{"policyText", kPolicy}});
  EXPECT_EQ(put, json({{"registryId", kRegistryAccount}, {"policyText", kPolicy}}));
  EXPECT_EQ(EcrOk("GetRegistryPolicy", json::object()), put);
  // Another account has none.
  const ApiReply other = Raw(std::string(kEcrPrefix) + "GetRegistryPolicy", "{}",
                             "application/x-amz-json-1.1", Auth("123456789012", "us-east-1"));
  EXPECT_AWS_ERROR(other, "RegistryPolicyNotFoundException");
  EXPECT_EQ(EcrOk("DeleteRegistryPolicy", json::object()), put);
  EXPECT_AWS_ERROR(Ecr("GetRegistryPolicy", json::object()), "RegistryPolicyNotFoundException");
}

TEST_F(EcrRegistryTest, RegistryPolicyMustBeAValidPolicyDocument) {
  EcrOk("PutRegistryPolicy", {{"policyText", kPolicy}});
  for (const char* text : {"", "nope", "{}", R"({"Statement":[]})"}) {
    EXPECT_AWS_ERROR(Ecr("PutRegistryPolicy", {{"policyText", text}}), "InvalidParameterException");
  }
  // Over the model's 10240 characters: this operation declares
  // ValidationException.
  EXPECT_AWS_ERROR(Ecr("PutRegistryPolicy", {{"policyText", std::string(10241, ' ')}}),
                   "ValidationException");
  EXPECT_AWS_ERROR(Ecr("PutRegistryPolicy", json::object()), "ValidationException");
  EXPECT_EQ(EcrOk("GetRegistryPolicy", json::object())["policyText"], kPolicy);
}

// --- Scanning configuration ------------------------------------------------------

TEST_F(EcrRegistryTest, ScanningConfigurationDefaultsToBasicWithoutRules) {
  const json out = EcrOk("GetRegistryScanningConfiguration", json::object());
  EXPECT_EQ(out,
            json({{"registryId", kRegistryAccount},
                  {"scanningConfiguration", {{"scanType", "BASIC"}, {"rules", json::array()}}}}));
}

TEST_F(EcrRegistryTest, ScanningConfigurationIsStoredAndReturned) {
  const json rules = json::parse(R"([
      {"scanFrequency":"CONTINUOUS_SCAN","repositoryFilters":[{"filter":"prod/*","filterType":"WILDCARD"}]},
      {"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[{"filter":"*","filterType":"WILDCARD"}]}])");
  const json put =
      EcrOk("PutRegistryScanningConfiguration", {{"scanType", "ENHANCED"}, {"rules", rules}});
  const json expected = {{"scanType", "ENHANCED"}, {"rules", rules}};
  EXPECT_EQ(put, json({{"registryScanningConfiguration", expected}}));
  EXPECT_EQ(Scanning(), expected);
  // BASIC with scan on push is fine too, and replaces the whole configuration.
  const json basic = json::parse(
      R"([{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[{"filter":"app","filterType":"WILDCARD"}]}])");
  EcrOk("PutRegistryScanningConfiguration", {{"scanType", "BASIC"}, {"rules", basic}});
  EXPECT_EQ(Scanning(), json({{"scanType", "BASIC"}, {"rules", basic}}));
}

TEST_F(EcrRegistryTest, ScanningConfigurationRefusalsChangeNothing) {
  const json stored = json::parse(
      R"([{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[{"filter":"*","filterType":"WILDCARD"}]}])");
  EcrOk("PutRegistryScanningConfiguration", {{"scanType", "BASIC"}, {"rules", stored}});
  const auto put = [&](const char* scan_type, const std::string& rules) {
    return Ecr("PutRegistryScanningConfiguration",
               {{"scanType", scan_type}, {"rules", json::parse(rules)}});
  };
  // Continuous scanning needs ENHANCED.
  EXPECT_AWS_ERROR(put("BASIC", R"([{"scanFrequency":"CONTINUOUS_SCAN","repositoryFilters":[]}])"),
                   "ValidationException");
  EXPECT_AWS_ERROR(Ecr("PutRegistryScanningConfiguration",
                       {{"rules", json::parse(R"([{"scanFrequency":"CONTINUOUS_SCAN",
                                                   "repositoryFilters":[]}])")}}),
                   "ValidationException");
  // ENHANCED scans continuously or on push, not on request.
  EXPECT_AWS_ERROR(put("ENHANCED", R"([{"scanFrequency":"MANUAL","repositoryFilters":[]}])"),
                   "ValidationException");
  // Enums, patterns and sizes of the model.
  EXPECT_AWS_ERROR(put("FULL", "[]"), "ValidationException");
  EXPECT_AWS_ERROR(put("ENHANCED", R"([{"scanFrequency":"HOURLY","repositoryFilters":[]}])"),
                   "ValidationException");
  EXPECT_AWS_ERROR(put("ENHANCED", R"([{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":
                                        [{"filter":"app","filterType":"PREFIX_MATCH"}]}])"),
                   "ValidationException");
  EXPECT_AWS_ERROR(put("ENHANCED", R"([{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":
                                        [{"filter":"Upper","filterType":"WILDCARD"}]}])"),
                   "ValidationException");
  EXPECT_AWS_ERROR(put("ENHANCED", R"([{"scanFrequency":"SCAN_ON_PUSH"}])"), "ValidationException");
  EXPECT_AWS_ERROR(put("ENHANCED", R"([{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[]},
                                      {"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[]},
                                      {"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[]}])"),
                   "ValidationException");
  EXPECT_EQ(Scanning(), json({{"scanType", "BASIC"}, {"rules", stored}}));
}

// --- Replication configuration -----------------------------------------------------

TEST_F(EcrRegistryTest, ReplicationConfigurationIsStoredAndDescribed) {
  EXPECT_EQ(EcrOk("DescribeRegistry", json::object()),
            json({{"registryId", kRegistryAccount},
                  {"replicationConfiguration", {{"rules", json::array()}}}}));
  const json configuration = {
      {"rules",
       json::array({{{"destinations", json::array({Destination("eu-west-1", kRegistryAccount),
                                                   Destination("us-east-1", "111111111111")})},
                     {"repositoryFilters",
                      json::array({{{"filter", "prod"}, {"filterType", "PREFIX_MATCH"}}})}}})}};
  EXPECT_EQ(EcrOk("PutReplicationConfiguration", {{"replicationConfiguration", configuration}}),
            json({{"replicationConfiguration", configuration}}));
  EXPECT_EQ(Replication(), configuration);
  // An empty rule list turns replication off.
  EcrOk("PutReplicationConfiguration", {{"replicationConfiguration", {{"rules", json::array()}}}});
  EXPECT_EQ(Replication(), json({{"rules", json::array()}}));
}

TEST_F(EcrRegistryTest, ReplicationConfigurationRefusalsChangeNothing) {
  const json stored = {
      {"rules", json::array({{{"destinations",
                               json::array({Destination("eu-west-1", kRegistryAccount)})}}})}};
  EcrOk("PutReplicationConfiguration", {{"replicationConfiguration", stored}});
  const auto put = [&](const json& destinations) {
    return Ecr("PutReplicationConfiguration",
               {{"replicationConfiguration",
                 {{"rules", json::array({{{"destinations", destinations}}})}}}});
  };
  // The registry itself is not a destination.
  EXPECT_AWS_ERROR(put(json::array({Destination("eu-west-1", "111111111111"),
                                    Destination("us-east-1", kRegistryAccount)})),
                   "InvalidParameterException");
  // At most 25 destinations over all rules.
  json many = json::array();
  for (int i = 0; i < 26; ++i) {
    many.push_back(Destination("eu-west-1", std::to_string(100000000000 + i)));
  }
  EXPECT_AWS_ERROR(put(many), "InvalidParameterException");
  json split = {{"rules", json::array()}};
  for (int r = 0; r < 2; ++r) {
    json part = json::array();
    for (int i = 0; i < 13; ++i) {
      part.push_back(Destination("eu-west-1", std::to_string(200000000000 + r * 100 + i)));
    }
    split["rules"].push_back({{"destinations", part}});
  }
  EXPECT_AWS_ERROR(Ecr("PutReplicationConfiguration", {{"replicationConfiguration", split}}),
                   "InvalidParameterException");
  // The model's patterns and enums (this operation declares ValidationException).
  for (const char* region : {"US_EAST_1", "x", "Eu-west-1", "a-region-name-far-too-long-x"}) {
    SCOPED_TRACE(region);
    EXPECT_AWS_ERROR(put(json::array({Destination(region, kRegistryAccount)})),
                     "ValidationException");
  }
  EXPECT_AWS_ERROR(put(json::array({Destination("eu-west-1", "12345")})), "ValidationException");
  EXPECT_AWS_ERROR(put(json::array({{{"region", "eu-west-1"}}})), "ValidationException");
  EXPECT_AWS_ERROR(
      Ecr("PutReplicationConfiguration",
          {{"replicationConfiguration",
            {{"rules",
              json::array(
                  {{{"destinations", json::array({Destination("eu-west-1", kRegistryAccount)})},
                    {"repositoryFilters",
                     json::array({{{"filter", "prod"}, {"filterType", "WILDCARD"}}})}}})}}}}),
      "ValidationException");
  EXPECT_AWS_ERROR(Ecr("PutReplicationConfiguration", json::object()), "ValidationException");
  EXPECT_EQ(Replication(), stored);
  // 25 destinations is the limit, not over it.
  many.erase(many.end() - 1);
  EXPECT_EQ(put(many).status, 200u);
}

// --- GetAuthorizationToken -----------------------------------------------------------

TEST_F(EcrRegistryTest, AuthorizationTokenIsBase64OfAwsAndAPassword) {
  const json out = EcrOk("GetAuthorizationToken", json::object());
  ASSERT_EQ(out["authorizationData"].size(), 1u);
  const json& data = out["authorizationData"][0];
  const auto decoded = crypto::Base64Decode(data["authorizationToken"].get<std::string>());
  ASSERT_TRUE(decoded.has_value());
  ASSERT_TRUE(decoded->starts_with("AWS:")) << *decoded;
  const std::string password = decoded->substr(4);
  EXPECT_FALSE(password.empty());
  // `aws ecr get-login-password` splits on ':' and wants exactly two parts.
  EXPECT_EQ(password.find(':'), std::string::npos) << password;
  // Twelve hours from now, at Berth's own registry address.
  EXPECT_NEAR(data["expiresAt"].get<double>(), clock_.Now() + 43200, 1.0);
  EXPECT_EQ(data["proxyEndpoint"], "https://localhost:4566");
  // The registry accepts the password for the caller's account and region.
  const auto grant = ecr_service_.tokens().Verify(password, static_cast<int64_t>(clock_.Now()));
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->account_id, kRegistryAccount);
  EXPECT_EQ(grant->region, "us-east-1");
  EXPECT_FALSE(ecr_service_.tokens().Verify(password, static_cast<int64_t>(clock_.Now()) + 43201));
}

TEST_F(EcrRegistryTest, AuthorizationTokenHasOneEntryPerRegistry) {
  const json out =
      EcrOk("GetAuthorizationToken", {{"registryIds", {"111111111111", "222222222222"}}});
  ASSERT_EQ(out["authorizationData"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const json& data = out["authorizationData"][i];
    const auto decoded = crypto::Base64Decode(data["authorizationToken"].get<std::string>());
    ASSERT_TRUE(decoded && decoded->starts_with("AWS:"));
    const auto grant =
        ecr_service_.tokens().Verify(decoded->substr(4), static_cast<int64_t>(clock_.Now()));
    ASSERT_TRUE(grant.has_value());
    EXPECT_EQ(grant->account_id, i == 0 ? "111111111111" : "222222222222");
    EXPECT_EQ(data["proxyEndpoint"], "https://localhost:4566");
  }
}

TEST_F(EcrRegistryTest, AuthorizationTokenChecksRegistryIds) {
  EXPECT_AWS_ERROR(Ecr("GetAuthorizationToken", {{"registryIds", json::array()}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("GetAuthorizationToken", {{"registryIds", {"12345"}}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("GetAuthorizationToken", {{"registryIds", {"11111111111a"}}}),
                   "InvalidParameterException");
  json eleven = json::array();
  for (int i = 0; i < 11; ++i) eleven.push_back(std::to_string(300000000000 + i));
  EXPECT_AWS_ERROR(Ecr("GetAuthorizationToken", {{"registryIds", eleven}}),
                   "InvalidParameterException");
  eleven.erase(eleven.end() - 1);
  EXPECT_EQ(EcrOk("GetAuthorizationToken", {{"registryIds", eleven}})["authorizationData"].size(),
            10u);
}

TEST_F(EcrRegistryTest, AuthorizationTokenFollowsTheCallersAccountAndRegion) {
  const ApiReply r = Raw(std::string(kEcrPrefix) + "GetAuthorizationToken", "{}",
                         "application/x-amz-json-1.1", Auth("123456789012", "eu-west-1"));
  ASSERT_EQ(r.status, 200u) << r.raw;
  const auto decoded =
      crypto::Base64Decode(r.body["authorizationData"][0]["authorizationToken"].get<std::string>());
  ASSERT_TRUE(decoded && decoded->starts_with("AWS:"));
  const auto grant =
      ecr_service_.tokens().Verify(decoded->substr(4), static_cast<int64_t>(clock_.Now()));
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->account_id, "123456789012");
  EXPECT_EQ(grant->region, "eu-west-1");
}

}  // namespace
}  // namespace berth::testing
