#include "server/aws/model/model_validator.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/aws/model/service_model.h"

namespace berth::aws::model {
namespace {

using nlohmann::json;
using Kind = ValidationIssue::Kind;

constexpr std::string_view kRepositoryNamePattern =
    R"([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*)";
constexpr std::string_view kEcsTagPattern = R"(([\p{L}\p{Z}\p{N}_.:/=+\-@]*))";

// Validates `input` for `operation` of `service`; fails the test if the
// operation does not exist.
std::optional<ValidationIssue> Validate(const ServiceModel& service, std::string_view operation,
                                        const json& input) {
  const OperationModel* op = service.FindOperation(operation);
  if (op == nullptr) {
    ADD_FAILURE() << "no operation " << operation;
    return ValidationIssue{.path = "<no such operation>"};
  }
  return ValidateInput(service, *op, input);
}

// Asserts that `issue` is a constraint issue at `path` with `constraint`.
void ExpectIssue(const std::optional<ValidationIssue>& issue, std::string_view path,
                 std::string_view constraint, std::string_view value,
                 Kind kind = Kind::kConstraint) {
  ASSERT_TRUE(issue.has_value()) << "expected an issue at " << path;
  EXPECT_EQ(issue->path, path);
  EXPECT_EQ(issue->constraint, constraint);
  EXPECT_EQ(issue->value, value);
  EXPECT_EQ(issue->kind, kind);
}

void ExpectValid(const std::optional<ValidationIssue>& issue) {
  EXPECT_FALSE(issue.has_value()) << "unexpected issue at '" << issue->path
                                  << "': " << issue->constraint << " (value " << issue->value
                                  << ")";
}

std::string Repeat(std::string_view text, std::size_t times) {
  std::string out;
  out.reserve(text.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

json ContainerDefinition(json port_mappings) {
  return {{"name", "web"}, {"image", "nginx:latest"}, {"portMappings", std::move(port_mappings)}};
}

// ---------------------------------------------------------------------------
// ECR CreateRepository: required, length, pattern

TEST(ModelValidatorTest, CreateRepositoryAcceptsAValidRequest) {
  ExpectValid(Validate(EcrModel(), "CreateRepository",
                       {{"repositoryName", "team/app-1.web__x"},
                        {"imageTagMutability", "IMMUTABLE"},
                        {"imageScanningConfiguration", {{"scanOnPush", true}}},
                        {"encryptionConfiguration", {{"encryptionType", "AES256"}}},
                        {"tags", json::array({{{"Key", "team"}, {"Value", "core"}}})}}));
}

TEST(ModelValidatorTest, CreateRepositoryRejectsNameNotMatchingPattern) {
  auto issue = Validate(EcrModel(), "CreateRepository", {{"repositoryName", "Bad_Name"}});
  ExpectIssue(
      issue, "repositoryName",
      "Member must satisfy regular expression pattern: " + std::string(kRepositoryNamePattern),
      "Bad_Name");
  EXPECT_EQ(FormatValidationMessage(*issue),
            "1 validation error detected: Value 'Bad_Name' at "
            "'repositoryName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: " +
                std::string(kRepositoryNamePattern));
}

TEST(ModelValidatorTest, PatternMustMatchTheWholeValue) {
  // Each of these contains a matching substring.
  for (const char* name : {"ab-", "-ab", "ab/", "a b", "ab\n"}) {
    ExpectIssue(
        Validate(EcrModel(), "CreateRepository", {{"repositoryName", name}}), "repositoryName",
        "Member must satisfy regular expression pattern: " + std::string(kRepositoryNamePattern),
        name);
  }
}

TEST(ModelValidatorTest, CreateRepositoryRejectsTooShortName) {
  ExpectIssue(Validate(EcrModel(), "CreateRepository", {{"repositoryName", "a"}}), "repositoryName",
              "Member must have length greater than or equal to 2", "a");
}

TEST(ModelValidatorTest, CreateRepositoryRejectsTooLongName) {
  std::string name(257, 'a');
  ExpectIssue(Validate(EcrModel(), "CreateRepository", {{"repositoryName", name}}),
              "repositoryName", "Member must have length less than or equal to 256", name);
  ExpectValid(
      Validate(EcrModel(), "CreateRepository", {{"repositoryName", std::string(256, 'a')}}));
  ExpectValid(Validate(EcrModel(), "CreateRepository", {{"repositoryName", "ab"}}));
}

TEST(ModelValidatorTest, MissingOrNullRequiredMemberIsReported) {
  auto missing = Validate(EcrModel(), "CreateRepository", json::object());
  ExpectIssue(missing, "repositoryName", "Member must not be null", "null");
  EXPECT_EQ(FormatValidationMessage(*missing),
            "1 validation error detected: Value null at 'repositoryName' "
            "failed to satisfy constraint: Member must not be null");
  ExpectIssue(Validate(EcrModel(), "CreateRepository", {{"repositoryName", nullptr}}),
              "repositoryName", "Member must not be null", "null");
}

TEST(ModelValidatorTest, RegisterTaskDefinitionRequiresFamily) {
  ExpectIssue(
      Validate(EcsModel(), "RegisterTaskDefinition",
               {{"containerDefinitions", json::array({ContainerDefinition(json::array())})}}),
      "family", "Member must not be null", "null");
  ExpectIssue(Validate(EcsModel(), "RegisterTaskDefinition", {{"family", "web"}}),
              "containerDefinitions", "Member must not be null", "null");
  ExpectValid(
      Validate(EcsModel(), "RegisterTaskDefinition",
               {{"family", "web"},
                {"containerDefinitions",
                 json::array({ContainerDefinition(json::array({{{"containerPort", 80}}}))})}}));
}

TEST(ModelValidatorTest, NestedRequiredMemberHasFullPath) {
  ExpectIssue(Validate(EcrModel(), "CreateRepository",
                       {{"repositoryName", "ok"}, {"encryptionConfiguration", json::object()}}),
              "encryptionConfiguration.encryptionType", "Member must not be null", "null");
}

// ---------------------------------------------------------------------------
// Enums and numbers

TEST(ModelValidatorTest, ListTaskDefinitionsRejectsUnknownStatus) {
  auto issue = Validate(EcsModel(), "ListTaskDefinitions", {{"status", "BOGUS"}});
  ExpectIssue(issue, "status",
              "Member must satisfy enum value set: [ACTIVE, INACTIVE, "
              "DELETE_IN_PROGRESS]",
              "BOGUS");
  // Enum matching is exact.
  ExpectIssue(Validate(EcsModel(), "ListTaskDefinitions", {{"status", "active"}}), "status",
              "Member must satisfy enum value set: [ACTIVE, INACTIVE, "
              "DELETE_IN_PROGRESS]",
              "active");
  ExpectValid(
      Validate(EcsModel(), "ListTaskDefinitions", {{"status", "INACTIVE"}, {"sort", "DESC"}}));
}

TEST(ModelValidatorTest, MaxResultsOutsideItsRangeIsRejected) {
  json base = {{"repositoryName", "repo"}};
  json zero = base;
  zero["maxResults"] = 0;
  ExpectIssue(Validate(EcrModel(), "GetLifecyclePolicyPreview", zero), "maxResults",
              "Member must have value greater than or equal to 1", "0");
  json too_many = base;
  too_many["maxResults"] = 101;
  ExpectIssue(Validate(EcrModel(), "GetLifecyclePolicyPreview", too_many), "maxResults",
              "Member must have value less than or equal to 100", "101");
  for (int ok : {1, 100}) {
    json request = base;
    request["maxResults"] = ok;
    ExpectValid(Validate(EcrModel(), "GetLifecyclePolicyPreview", request));
  }
}

TEST(ModelValidatorTest, IntegerGivenAsStringIsATypeError) {
  auto issue = Validate(EcrModel(), "DescribeRepositories", {{"maxResults", "10"}});
  ExpectIssue(issue, "maxResults", "Member must be an integer", "10", Kind::kSerialization);
  EXPECT_EQ(FormatValidationMessage(*issue),
            "Value '10' at 'maxResults' failed to satisfy constraint: Member "
            "must be an integer");
}

TEST(ModelValidatorTest, IntegersMustBeIntegralAndFitTheirWidth) {
  ExpectIssue(Validate(EcrModel(), "DescribeRepositories", {{"maxResults", 1.5}}), "maxResults",
              "Member must be an integer", "1.5", Kind::kSerialization);
  ExpectIssue(Validate(EcrModel(), "DescribeRepositories", {{"maxResults", true}}), "maxResults",
              "Member must be an integer", "true", Kind::kSerialization);
  // An integral float is an integer.
  ExpectValid(Validate(EcrModel(), "DescribeRepositories", {{"maxResults", 10.0}}));
  ExpectIssue(
      Validate(EcrModel(), "DescribeRepositories", {{"maxResults", std::int64_t{4294967296}}}),
      "maxResults", "Member must be an integer between -2147483648 and 2147483647", "4294967296",
      Kind::kSerialization);
  ExpectIssue(
      Validate(EcsModel(), "ListTaskDefinitions", {{"maxResults", std::int64_t{-2147483649}}}),
      "maxResults", "Member must be an integer between -2147483648 and 2147483647", "-2147483649",
      Kind::kSerialization);
  ExpectValid(
      Validate(EcsModel(), "ListTaskDefinitions", {{"maxResults", std::int64_t{-2147483648}}}));
}

TEST(ModelValidatorTest, LongsAreCheckedAgainstInt64AndTheirBounds) {
  json request = {{"repositoryName", "repo"},
                  {"uploadId", "0123abcd-0123-4567-89ab-0123456789ab"},
                  {"partFirstByte", 0},
                  {"partLastByte", std::int64_t{1} << 40},
                  {"layerPartBlob", "aGVsbG8="}};
  ExpectValid(Validate(EcrModel(), "UploadLayerPart", request));
  request["partFirstByte"] = -1;
  ExpectIssue(Validate(EcrModel(), "UploadLayerPart", request), "partFirstByte",
              "Member must have value greater than or equal to 0", "-1");
  request["partFirstByte"] = std::uint64_t{9223372036854775808U};
  ExpectIssue(Validate(EcrModel(), "UploadLayerPart", request), "partFirstByte",
              "Member must be an integer between -9223372036854775808 and "
              "9223372036854775807",
              "9223372036854775808", Kind::kSerialization);
}

TEST(ModelValidatorTest, DoublesAreCheckedAgainstTheirBounds) {
  json request = {{"daemonName", "d"},
                  {"daemonTaskDefinitionArn", "arn"},
                  {"capacityProviderArns", json::array({"cp"})},
                  {"deploymentConfiguration", {{"drainPercent", 50.5}}}};
  ExpectValid(Validate(EcsModel(), "CreateDaemon", request));
  request["deploymentConfiguration"]["drainPercent"] = 100.5;
  ExpectIssue(Validate(EcsModel(), "CreateDaemon", request), "deploymentConfiguration.drainPercent",
              "Member must have value less than or equal to 100", "100.5");
  request["deploymentConfiguration"]["drainPercent"] = -1;
  ExpectIssue(Validate(EcsModel(), "CreateDaemon", request), "deploymentConfiguration.drainPercent",
              "Member must have value greater than or equal to 0", "-1");
  request["deploymentConfiguration"]["drainPercent"] = "NaN";
  ExpectValid(Validate(EcsModel(), "CreateDaemon", request));
  request["deploymentConfiguration"]["drainPercent"] = "50";
  ExpectIssue(Validate(EcsModel(), "CreateDaemon", request), "deploymentConfiguration.drainPercent",
              "Member must be a number", "50", Kind::kSerialization);
}

// ---------------------------------------------------------------------------
// Other JSON types

TEST(ModelValidatorTest, WrongJsonTypesAreSerializationIssues) {
  ExpectIssue(Validate(EcrModel(), "CreateRepository", {{"repositoryName", 42}}), "repositoryName",
              "Member must be a string", "42", Kind::kSerialization);
  ExpectIssue(
      Validate(EcrModel(), "CreateRepository",
               {{"repositoryName", "ok"}, {"imageScanningConfiguration", {{"scanOnPush", "yes"}}}}),
      "imageScanningConfiguration.scanOnPush", "Member must be a boolean", "yes",
      Kind::kSerialization);
  ExpectIssue(Validate(EcrModel(), "CreateRepository",
                       {{"repositoryName", "ok"}, {"encryptionConfiguration", "AES256"}}),
              "encryptionConfiguration", "Member must be a structure", "AES256",
              Kind::kSerialization);
  ExpectIssue(Validate(EcrModel(), "CreateRepository",
                       {{"repositoryName", "ok"}, {"tags", {{"Key", "k"}, {"Value", "v"}}}}),
              "tags", "Member must be a list", "{Key=k, Value=v}", Kind::kSerialization);
}

TEST(ModelValidatorTest, BodyMustBeAnObject) {
  const OperationModel* op = EcrModel().FindOperation("CreateRepository");
  ASSERT_NE(op, nullptr);
  ExpectIssue(ValidateInput(EcrModel(), *op, json::array({1, 2})), "", "Member must be a structure",
              "[1, 2]", Kind::kSerialization);
  ExpectIssue(ValidateInput(EcrModel(), *op, json("x")), "", "Member must be a structure", "x",
              Kind::kSerialization);
}

TEST(ModelValidatorTest, BlobMustBeBase64AndIsSizedDecoded) {
  json request = {{"repositoryName", "repo"},
                  {"uploadId", "0123abcd-0123-4567-89ab-0123456789ab"},
                  {"partFirstByte", 0},
                  {"partLastByte", 4},
                  {"layerPartBlob", "not base64!"}};
  ExpectIssue(Validate(EcrModel(), "UploadLayerPart", request), "layerPartBlob",
              "Member must be a base64-encoded string", "not base64!", Kind::kSerialization);
  request["layerPartBlob"] = 12;
  ExpectIssue(Validate(EcrModel(), "UploadLayerPart", request), "layerPartBlob",
              "Member must be a base64-encoded string", "12", Kind::kSerialization);
  for (const char* ok : {"aGVsbG8=", "aGVsbG8", "", "aGk=", "aGk"}) {
    request["layerPartBlob"] = ok;
    ExpectValid(Validate(EcrModel(), "UploadLayerPart", request));
  }
}

TEST(ModelValidatorTest, TimestampsAcceptEpochSecondsOrIso8601) {
  json request = {{"pullStartedAt", 1700000000},
                  {"pullStoppedAt", 1700000000.25},
                  {"executionStoppedAt", "2024-05-01T12:30:00Z"}};
  ExpectValid(Validate(EcsModel(), "SubmitTaskStateChange", request));
  request["executionStoppedAt"] = "2024-05-01T12:30:00.123+02:00";
  ExpectValid(Validate(EcsModel(), "SubmitTaskStateChange", request));
  request["executionStoppedAt"] = "yesterday";
  ExpectIssue(Validate(EcsModel(), "SubmitTaskStateChange", request), "executionStoppedAt",
              "Member must be a timestamp (epoch seconds or an ISO 8601 "
              "string)",
              "yesterday", Kind::kSerialization);
  request["executionStoppedAt"] = true;
  ASSERT_TRUE(Validate(EcsModel(), "SubmitTaskStateChange", request));
}

// ---------------------------------------------------------------------------
// Lists, maps, paths

TEST(ModelValidatorTest, TagsListOverItsMaxIsRejected) {
  json tags = json::array();
  for (int i = 0; i < 50; ++i) {
    tags.push_back({{"key", "k" + std::to_string(i)}, {"value", "v"}});
  }
  ExpectValid(Validate(EcsModel(), "CreateCluster", {{"tags", tags}}));
  tags.push_back({{"key", "k50"}, {"value", "v"}});
  auto issue = Validate(EcsModel(), "CreateCluster", {{"tags", tags}});
  ASSERT_TRUE(issue.has_value());
  EXPECT_EQ(issue->path, "tags");
  EXPECT_EQ(issue->constraint, "Member must have length less than or equal to 50");
  EXPECT_EQ(issue->value.substr(0, 32), "[{key=k0, value=v}, {key=k1, val");
}

TEST(ModelValidatorTest, NestedPathsUseOneBasedIndices) {
  json request = {
      {"family", "web"},
      {"containerDefinitions",
       json::array(
           {ContainerDefinition(json::array({{{"containerPort", 80}}, {{"containerPort", 443}}})),
            ContainerDefinition(
                json::array({{{"containerPort", 80}}, {{"containerPort", "8080"}}}))})}};
  ExpectIssue(Validate(EcsModel(), "RegisterTaskDefinition", request),
              "containerDefinitions.2.portMappings.2.containerPort", "Member must be an integer",
              "8080", Kind::kSerialization);

  request["containerDefinitions"][1]["portMappings"][1] = {{"containerPort", 8080},
                                                           {"protocol", "sctp"}};
  ExpectIssue(Validate(EcsModel(), "RegisterTaskDefinition", request),
              "containerDefinitions.2.portMappings.2.protocol",
              "Member must satisfy enum value set: [tcp, udp]", "sctp");
}

TEST(ModelValidatorTest, NullListElementIsReported) {
  ExpectIssue(
      Validate(EcsModel(), "CreateCluster", {{"tags", json::array({{{"key", "a"}}, nullptr})}}),
      "tags.2", "Member must not be null", "null");
}

TEST(ModelValidatorTest, MapValuesArePathedByKey) {
  json request = {{"family", "web"},
                  {"containerDefinitions", json::array({ContainerDefinition(json::array())})}};
  request["containerDefinitions"][0]["dockerLabels"] = {{"team", "core"}, {"tier", 1}};
  ExpectIssue(Validate(EcsModel(), "RegisterTaskDefinition", request),
              "containerDefinitions.1.dockerLabels.tier", "Member must be a string", "1",
              Kind::kSerialization);
  request["containerDefinitions"][0]["dockerLabels"] = json::array();
  ExpectIssue(Validate(EcsModel(), "RegisterTaskDefinition", request),
              "containerDefinitions.1.dockerLabels", "Member must be a map", "[]",
              Kind::kSerialization);
}

// ---------------------------------------------------------------------------
// Order, unknown and null members

TEST(ModelValidatorTest, FirstIssueFollowsModelOrderNotJsonOrder) {
  // imageTagMutability comes after repositoryName in the model; nlohmann
  // sorts keys, which would put imageTagMutability first.
  ExpectIssue(Validate(EcrModel(), "CreateRepository",
                       {{"imageTagMutability", "BOGUS"}, {"repositoryName", "a"}}),
              "repositoryName", "Member must have length greater than or equal to 2", "a");
}

TEST(ModelValidatorTest, UnknownMembersAreIgnored) {
  ExpectValid(Validate(EcrModel(), "CreateRepository",
                       {{"repositoryName", "repo"},
                        {"bogus", {{"deep", json::array({1, nullptr})}}},
                        {"RepositoryName", 5}}));
}

TEST(ModelValidatorTest, NullOptionalMemberCountsAsAbsent) {
  ExpectValid(
      Validate(EcrModel(), "CreateRepository",
               {{"repositoryName", "repo"}, {"imageTagMutability", nullptr}, {"tags", nullptr}}));
}

// ---------------------------------------------------------------------------
// Unicode, sensitive values, patterns

TEST(ModelValidatorTest, EcsTagWithNonAsciiLettersPasses) {
  ExpectValid(Validate(
      EcsModel(), "TagResource",
      {{"resourceArn", "arn:aws:ecs:us-east-1:123456789012:cluster/c"},
       {"tags", json::array({{{"key", "Grüße_東京 1"}, {"value", "日本語 テキスト: ok/=+-@"}}})}}));
}

TEST(ModelValidatorTest, EcsTagWithDisallowedCharacterFailsWithModelPattern) {
  ExpectIssue(Validate(EcsModel(), "TagResource",
                       {{"resourceArn", "arn"}, {"tags", json::array({{{"key", "bad#key"}}})}}),
              "tags.1.key",
              "Member must satisfy regular expression pattern: " + std::string(kEcsTagPattern),
              "bad#key");
}

TEST(ModelValidatorTest, StringLengthCountsCodePointsNotBytes) {
  // 128 two-byte characters: 256 bytes but 128 code points, TagKey's max.
  std::string key = Repeat("é", 128);
  json request = {{"resourceArn", "arn"}, {"tags", json::array({{{"key", key}}})}};
  ExpectValid(Validate(EcsModel(), "TagResource", request));
  request["tags"][0]["key"] = key + "é";
  ExpectIssue(Validate(EcsModel(), "TagResource", request), "tags.1.key",
              "Member must have length less than or equal to 128", key + "é");
  // Four-byte code points count once each.
  request["tags"][0]["key"] = Repeat("😀", 128);
  ExpectValid(Validate(EcsModel(), "TagResource", request));
}

TEST(ModelValidatorTest, SensitiveValuesAreRedacted) {
  json definition = ContainerDefinition(json::array());
  definition["repositoryCredentials"] = {{"credentialsParameter", 42}};
  auto issue = Validate(EcsModel(), "RegisterTaskDefinition",
                        {{"family", "web"}, {"containerDefinitions", json::array({definition})}});
  ExpectIssue(issue,
              "containerDefinitions.1.repositoryCredentials."
              "credentialsParameter",
              "Member must be a string", std::string(kRedactedValue), Kind::kSerialization);

  definition = ContainerDefinition(json::array());
  definition["environment"] = json::array({{{"name", "PASSWORD"}, {"value", 123456}}});
  issue = Validate(EcsModel(), "RegisterTaskDefinition",
                   {{"family", "web"}, {"containerDefinitions", json::array({definition})}});
  ExpectIssue(issue, "containerDefinitions.1.environment.1.value", "Member must be a string",
              std::string(kRedactedValue), Kind::kSerialization);
}

TEST(ModelValidatorTest, MegabyteStringDoesNotCrashThePatternMatcher) {
  // UploadId has a pattern and no length limit, so the pattern sees it all.
  std::string huge(std::size_t{1} << 20, 'a');
  json request = {{"repositoryName", "repo"},
                  {"uploadId", huge},
                  {"partFirstByte", 0},
                  {"partLastByte", 0},
                  {"layerPartBlob", ""}};
  auto issue = Validate(EcrModel(), "UploadLayerPart", request);
  ASSERT_TRUE(issue.has_value());
  EXPECT_EQ(issue->path, "uploadId");
  EXPECT_EQ(issue->constraint.rfind("Member must satisfy regular expression "
                                    "pattern: ",
                                    0),
            0U);
  EXPECT_EQ(issue->value.size(), huge.size());

  // Directly, for a pattern that would match every byte of it, with and
  // without non-ASCII folding.
  const ShapeModel* digest = EcrModel().FindShape("LayerDigest");
  ASSERT_NE(digest, nullptr);
  ASSERT_NE(digest->pattern, nullptr);
  EXPECT_FALSE(MatchesPattern(*digest->pattern, "sha256:" + huge));
  const ShapeModel* tag_key = EcsModel().FindShape("TagKey");
  ASSERT_NE(tag_key, nullptr);
  EXPECT_FALSE(MatchesPattern(*tag_key->pattern, huge));
  EXPECT_FALSE(MatchesPattern(*tag_key->pattern, Repeat("é", 1 << 19)));
}

TEST(ModelValidatorTest, PatternInputIsCappedAt4096Bytes) {
  const ShapeModel* digest = EcrModel().FindShape("LayerDigest");
  ASSERT_NE(digest, nullptr);
  const PatternModel& pattern = *digest->pattern;
  std::string at_limit = "sha256:" + std::string(kMaxPatternInputBytes - 7, 'a');
  ASSERT_EQ(at_limit.size(), kMaxPatternInputBytes);
  EXPECT_TRUE(MatchesPattern(pattern, at_limit));
  EXPECT_FALSE(MatchesPattern(pattern, at_limit + "a"));

  // For folded patterns the limit applies to the folded value (code points).
  const ShapeModel* tag_key = EcsModel().FindShape("TagKey");
  ASSERT_NE(tag_key, nullptr);
  EXPECT_TRUE(MatchesPattern(*tag_key->pattern, Repeat("é", kMaxPatternInputBytes)));
  EXPECT_FALSE(MatchesPattern(*tag_key->pattern, Repeat("é", kMaxPatternInputBytes + 1)));
}

TEST(ModelValidatorTest, BacktrackingPronePatternRunsInLinearTime) {
  // With a backtracking matcher this takes seconds at 24 characters and
  // would not finish at 255.
  const ShapeModel* filter = EcrModel().FindShape("ScanningRepositoryFilterValue");
  ASSERT_NE(filter, nullptr);
  ASSERT_NE(filter->pattern, nullptr);
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(MatchesPattern(*filter->pattern, std::string(254, 'a') + "!"));
  EXPECT_FALSE(MatchesPattern(*filter->pattern, std::string(kMaxPatternInputBytes - 1, 'a') + "!"));
  EXPECT_TRUE(MatchesPattern(*filter->pattern, "prod-*/team.app"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ModelValidatorTest, DashAfterARangeIsALiteralAsInJava) {
  // LayerDigest is "[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+": "9-_" is not a range.
  const PatternModel& pattern = *EcrModel().FindShape("LayerDigest")->pattern;
  EXPECT_TRUE(MatchesPattern(pattern, "sha256:0123abcdef"));
  EXPECT_TRUE(MatchesPattern(pattern, "a-b_c+d.e:ff"));
  EXPECT_FALSE(MatchesPattern(pattern, ";:ff"));
  EXPECT_FALSE(MatchesPattern(pattern, "A:fg"));
}

TEST(ModelValidatorTest, AnchorsAndAlternativesMatchAsInJava) {
  const ShapeModel* kms = EcrModel().FindShape("KmsKeyForRepositoryCreationTemplate");
  ASSERT_NE(kms, nullptr);
  ASSERT_NE(kms->pattern, nullptr);
  EXPECT_EQ(kms->pattern->source,
            R"(^$|arn:aws[a-z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-z0-9-]+)");
  EXPECT_TRUE(MatchesPattern(*kms->pattern, ""));
  EXPECT_TRUE(MatchesPattern(*kms->pattern, "arn:aws:kms:us-east-1:123456789012:key/abcd-1234"));
  EXPECT_FALSE(MatchesPattern(*kms->pattern, "xarn:aws:kms:us-east-1:123456789012:key/abcd-1234"));
  EXPECT_FALSE(MatchesPattern(*kms->pattern, "alias/mine"));

  const ShapeModel* principal = EcrModel().FindShape("PrincipalArn");
  ASSERT_NE(principal, nullptr);
  EXPECT_TRUE(MatchesPattern(*principal->pattern, "arn:aws:iam::123456789012:role/path/my-role"));
  EXPECT_FALSE(MatchesPattern(*principal->pattern, "arn:aws:iam::12345678901:role/my-role"));

  const ShapeModel* prefix = EcrModel().FindShape("Prefix");
  ASSERT_NE(prefix, nullptr);
  EXPECT_TRUE(MatchesPattern(*prefix->pattern, "ROOT"));
  EXPECT_TRUE(MatchesPattern(*prefix->pattern, "team/app/"));
  EXPECT_FALSE(MatchesPattern(*prefix->pattern, "ROOTS"));
}

TEST(ModelValidatorTest, ConcurrentFirstUseOfPatternsIsSafe) {
  // Every thread races to compile the same patterns on first use.
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&failures, t] {
      for (const ServiceModel* service : {&EcsModel(), &EcrModel()}) {
        for (const PatternModel& pattern : service->patterns) {
          (void)MatchesPattern(pattern, "abc");
        }
      }
      for (int i = 0; i < 50; ++i) {
        const OperationModel* op = EcrModel().FindOperation("CreateRepository");
        auto issue = ValidateInput(EcrModel(), *op, {{"repositoryName", "Bad_Name"}});
        if (!issue || issue->path != "repositoryName") ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

// ---------------------------------------------------------------------------
// A recursive model (neither ECS nor ECR has one) for the depth bound and map
// key constraints.

extern const ShapeModel kTestShapes[4];
constexpr std::string_view kColors[] = {"RED", "GREEN"};
constexpr MemberModel kNodeMembers[] = {
    {.name = "child", .target = &kTestShapes[0]},
    {.name = "labels", .target = &kTestShapes[1]},
};
constexpr ShapeModel kTestShapes[4] = {
    {.name = "Node", .type = ShapeType::kStructure, .members = kNodeMembers},
    {.name = "ColorMap",
     .type = ShapeType::kMap,
     .max = 2,
     .key = &kTestShapes[2],
     .value = &kTestShapes[3]},
    {.name = "Color", .type = ShapeType::kString, .enum_values = kColors},
    {.name = "Label", .type = ShapeType::kString, .min = 1},
};
constexpr OperationModel kRecurse = {
    .name = "Recurse", .input = &kTestShapes[0], .output = &kTestShapes[0]};
constexpr OperationModel kNoShapes = {.name = "NoShapes"};
constexpr ServiceModel kTestService = {.service_id = "TEST"};

json Nest(std::size_t depth) {
  json node = json::object();
  for (std::size_t i = 0; i < depth; ++i) node = {{"child", std::move(node)}};
  return node;
}

TEST(ModelValidatorTest, RecursionDepthIsBounded) {
  ExpectValid(ValidateInput(kTestService, kRecurse, Nest(kMaxValidationDepth)));
  auto issue = ValidateInput(kTestService, kRecurse, Nest(kMaxValidationDepth + 1));
  ASSERT_TRUE(issue.has_value());
  EXPECT_EQ(issue->constraint, "Member must not be nested more than 64 levels deep");
  EXPECT_EQ(issue->kind, Kind::kSerialization);
  EXPECT_EQ(issue->path, Repeat("child.", 64) + "child");

  // Far deeper input stops at the bound too (and its rendering is cut).
  issue = ValidateInput(kTestService, kRecurse, Nest(10000));
  ASSERT_TRUE(issue.has_value());
  EXPECT_EQ(issue->constraint, "Member must not be nested more than 64 levels deep");
  EXPECT_NE(issue->value.find("..."), std::string::npos);
}

TEST(ModelValidatorTest, MapKeysAreCheckedAgainstTheKeyShape) {
  ExpectValid(ValidateInput(kTestService, kRecurse, {{"labels", {{"RED", "x"}, {"GREEN", "y"}}}}));
  ExpectIssue(ValidateInput(kTestService, kRecurse, {{"labels", {{"BLUE", "x"}}}}), "labels.BLUE",
              "Map keys must satisfy constraint: [Member must satisfy enum "
              "value set: [RED, GREEN]]",
              "BLUE");
  ExpectIssue(ValidateInput(kTestService, kRecurse, {{"labels", {{"RED", ""}}}}), "labels.RED",
              "Member must have length greater than or equal to 1", "");
  ExpectIssue(ValidateInput(kTestService, kRecurse, {{"labels", {{"RED", nullptr}}}}), "labels.RED",
              "Member must not be null", "null");
  ExpectIssue(
      ValidateInput(kTestService, kRecurse,
                    {{"child", {{"labels", {{"RED", "x"}, {"GREEN", "y"}, {"BLUE", "z"}}}}}}),
      "child.labels", "Member must have length less than or equal to 2",
      "{BLUE=z, GREEN=y, RED=x}");
}

TEST(ModelValidatorTest, OperationWithoutInputAcceptsAnyObject) {
  ExpectValid(ValidateInput(kTestService, kNoShapes, json::object()));
  ExpectValid(ValidateInput(kTestService, kNoShapes, {{"x", 1}}));
  ASSERT_TRUE(ValidateInput(kTestService, kNoShapes, json::array()));
}

// ---------------------------------------------------------------------------
// Helpers

TEST(ModelValidatorTest, CountCodePointsIgnoresContinuationBytes) {
  EXPECT_EQ(CountCodePoints(""), 0U);
  EXPECT_EQ(CountCodePoints("abc"), 3U);
  EXPECT_EQ(CountCodePoints("Grüße"), 5U);
  EXPECT_EQ(CountCodePoints("東京"), 2U);
  EXPECT_EQ(CountCodePoints("😀x"), 2U);
}

TEST(ModelValidatorTest, Base64DecodedSizeFollowsJavaDecoder) {
  EXPECT_EQ(Base64DecodedSize(""), 0U);
  EXPECT_EQ(Base64DecodedSize("aGk="), 2U);
  EXPECT_EQ(Base64DecodedSize("aGk"), 2U);
  EXPECT_EQ(Base64DecodedSize("aA=="), 1U);
  EXPECT_EQ(Base64DecodedSize("aA"), 1U);
  EXPECT_EQ(Base64DecodedSize("aGVsbG8gd29ybGQ="), 11U);
  EXPECT_EQ(Base64DecodedSize("+/+/"), 3U);
  EXPECT_FALSE(Base64DecodedSize("a"));
  EXPECT_FALSE(Base64DecodedSize("aGk=aGk="));
  EXPECT_FALSE(Base64DecodedSize("aG k"));
  EXPECT_FALSE(Base64DecodedSize("aGk-"));
  EXPECT_FALSE(Base64DecodedSize("a==="));
  EXPECT_FALSE(Base64DecodedSize("aGk=="));
}

TEST(ModelValidatorTest, Iso8601TimestampsAreRecognised) {
  for (const char* ok :
       {"2024-05-01", "2024-05-01T12:30:00Z", "2024-05-01T12:30:00.123Z",
        "2024-05-01T12:30:00+02:00", "2024-05-01T12:30:00-0530", "2024-05-01T12:30Z",
        "2024-02-29T00:00:00Z", "2024-05-01t12:30:00z", "2024-05-01T12:30:00"}) {
    EXPECT_TRUE(IsIso8601Timestamp(ok)) << ok;
  }
  for (const char* bad :
       {"", "2024", "2024-5-1", "2024-13-01", "2023-02-29", "2024-05-01T", "2024-05-01T25:00:00Z",
        "2024-05-01T12:30:00.Z", "2024-05-01T12:30:00+2", "2024-05-01 12:30:00", "1700000000",
        "2024-05-01T12:30:00ZZ", "2024-05-01T12:60:00Z"}) {
    EXPECT_FALSE(IsIso8601Timestamp(bad)) << bad;
  }
}

}  // namespace
}  // namespace berth::aws::model
