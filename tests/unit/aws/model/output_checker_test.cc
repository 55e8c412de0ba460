#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/aws/model/model_validator.h"
#include "server/aws/model/service_model.h"

namespace berth::aws::model {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::vector<std::string> Check(const ServiceModel& service, std::string_view operation,
                               const json& output) {
  const OperationModel* op = service.FindOperation(operation);
  if (op == nullptr) {
    ADD_FAILURE() << "no operation " << operation;
    return {"<no such operation>"};
  }
  return CheckOutput(service, *op, output);
}

json Repository() {
  return {{"repositoryArn", "arn:aws:ecr:us-east-1:123456789012:repository/app"},
          {"registryId", "123456789012"},
          {"repositoryName", "app"},
          {"repositoryUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"},
          {"createdAt", 1700000000.5},
          {"imageTagMutability", "MUTABLE"},
          {"imageScanningConfiguration", {{"scanOnPush", false}}},
          {"encryptionConfiguration", {{"encryptionType", "AES256"}}}};
}

TEST(CheckOutputTest, ConformingOutputHasNoProblems) {
  EXPECT_THAT(Check(EcrModel(), "DescribeRepositories",
                    {{"repositories", json::array({Repository()})}, {"nextToken", "abc"}}),
              IsEmpty());
  EXPECT_THAT(Check(EcrModel(), "DescribeRepositories", json::object()), IsEmpty());
  EXPECT_THAT(Check(EcrModel(), "CreateRepository", {{"repository", Repository()}}), IsEmpty());
}

TEST(CheckOutputTest, UnknownMemberIsReportedWithItsPath) {
  json repository = Repository();
  repository["bogus"] = 1;
  EXPECT_THAT(Check(EcrModel(), "DescribeRepositories",
                    {{"repositories", json::array({Repository(), repository})}}),
              ElementsAre("repositories.2.bogus: unknown member (structure "
                          "Repository has no such member)"));
  EXPECT_THAT(Check(EcsModel(), "TagResource", {{"tags", json::array()}}),
              ElementsAre("tags: unknown member (structure "
                          "TagResourceResponse has no such member)"));
}

TEST(CheckOutputTest, NullIsReported) {
  EXPECT_THAT(Check(EcrModel(), "DescribeRepositories",
                    {{"repositories", json::array()}, {"nextToken", nullptr}}),
              ElementsAre("nextToken: null (AWS omits absent members instead "
                          "of sending null)"));
  EXPECT_THAT(Check(EcrModel(), "DescribeRepositories", {{"repositories", json::array({nullptr})}}),
              ElementsAre(StartsWith("repositories.1: null")));
}

TEST(CheckOutputTest, StringTimestampIsReported) {
  json repository = Repository();
  repository["createdAt"] = "2024-05-01T12:30:00Z";
  EXPECT_THAT(
      Check(EcrModel(), "DescribeRepositories", {{"repositories", json::array({repository})}}),
      ElementsAre("repositories.1.createdAt: expected a JSON number "
                  "of epoch seconds for timestamp shape "
                  "CreationTimestamp, got string "
                  "\"2024-05-01T12:30:00Z\""));
}

TEST(CheckOutputTest, TypeMismatchesAreReported) {
  json detail = {{"registryId", "123456789012"}, {"repositoryName", "app"},
                 {"imageDigest", "sha256:00"},   {"imageTags", "latest"},
                 {"imageSizeInBytes", "12"},     {"imagePushedAt", 1700000000}};
  EXPECT_THAT(Check(EcrModel(), "DescribeImages", {{"imageDetails", json::array({detail})}}),
              ElementsAre("imageDetails.1.imageSizeInBytes: expected an integral JSON number "
                          "within int64 for long shape ImageSizeInBytes, got string \"12\"",
                          "imageDetails.1.imageTags: expected a JSON array for list shape "
                          "ImageTagList, got string \"latest\""));
  EXPECT_THAT(Check(EcsModel(), "ListTaskDefinitions", {{"taskDefinitionArns", json::array({1})}}),
              ElementsAre("taskDefinitionArns.1: expected a JSON string for "
                          "string shape String, got number 1"));
}

TEST(CheckOutputTest, IntegersMustBeIntegralAndInRange) {
  json cluster = {{"clusterName", "c"}, {"runningTasksCount", 1.5}};
  EXPECT_THAT(Check(EcsModel(), "CreateCluster", {{"cluster", cluster}}),
              ElementsAre(StartsWith("cluster.runningTasksCount: expected an "
                                     "integral JSON number within int32")));
  cluster["runningTasksCount"] = 4294967296;
  EXPECT_THAT(Check(EcsModel(), "CreateCluster", {{"cluster", cluster}}),
              ElementsAre(StartsWith("cluster.runningTasksCount: expected")));
  cluster["runningTasksCount"] = 3;
  EXPECT_THAT(Check(EcsModel(), "CreateCluster", {{"cluster", cluster}}), IsEmpty());
}

TEST(CheckOutputTest, EnumValuesAreChecked) {
  json repository = Repository();
  repository["imageTagMutability"] = "mutable";
  EXPECT_THAT(Check(EcrModel(), "CreateRepository", {{"repository", repository}}),
              ElementsAre("repository.imageTagMutability: 'mutable' is not in "
                          "enum ImageTagMutability [MUTABLE, IMMUTABLE, "
                          "IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]"));
}

TEST(CheckOutputTest, MapsAreCheckedPerEntry) {
  json finding = {{"imageScanCompletedAt", 1700000000},
                  {"findingSeverityCounts", {{"HIGH", 2}, {"BOGUS", 1}, {"LOW", "3"}}}};
  EXPECT_THAT(Check(EcrModel(), "DescribeImageScanFindings", {{"imageScanFindings", finding}}),
              ElementsAre("imageScanFindings.findingSeverityCounts.BOGUS: map key 'BOGUS' is "
                          "not in enum FindingSeverity [INFORMATIONAL, LOW, MEDIUM, HIGH, "
                          "CRITICAL, UNDEFINED]",
                          "imageScanFindings.findingSeverityCounts.LOW: expected an integral "
                          "JSON number within int32 for integer shape SeverityCount, got "
                          "string \"3\""));
}

TEST(CheckOutputTest, EveryProblemIsReported) {
  json repository = Repository();
  repository["createdAt"] = "yesterday";
  repository["extra"] = true;
  repository["registryId"] = nullptr;
  auto problems = Check(EcrModel(), "DescribeRepositories",
                        {{"repositories", json::array({repository})},
                         {"nextToken", 5},
                         {"unexpected", json::object()}});
  EXPECT_EQ(problems.size(), 5U);
}

TEST(CheckOutputTest, RootMustBeAnObject) {
  EXPECT_THAT(Check(EcrModel(), "DescribeRepositories", json::array()),
              ElementsAre("<root>: expected a JSON object for structure shape "
                          "DescribeRepositoriesResponse, got array "));
  EXPECT_THAT(Check(EcrModel(), "DescribeRepositories", nullptr),
              ElementsAre(StartsWith("<root>: null")));
}

TEST(CheckOutputTest, DocumentsAcceptAnything) {
  // ECS HookDetails is a document: any JSON value.
  const ShapeModel* hook = EcsModel().FindShape("HookDetails");
  ASSERT_NE(hook, nullptr);
  ASSERT_TRUE(hook->document);
  const MemberModel member = {.name = "details", .target = hook};
  const ShapeModel wrapper = {
      .name = "Wrapper", .type = ShapeType::kStructure, .members = {&member, 1}};
  const OperationModel op = {.name = "Op", .output = &wrapper};
  EXPECT_THAT(CheckOutput(EcsModel(), op, {{"details", {{"any", json::array({1, "x"})}}}}),
              IsEmpty());
  EXPECT_THAT(CheckOutput(EcsModel(), op, {{"details", 3}}), IsEmpty());
}

TEST(CheckOutputTest, OperationWithoutOutputShapeMustReturnEmptyObject) {
  const OperationModel op = {.name = "NoOutput"};
  EXPECT_THAT(CheckOutput(EcsModel(), op, json::object()), IsEmpty());
  EXPECT_THAT(CheckOutput(EcsModel(), op, {{"x", 1}}),
              ElementsAre("<root>: operation NoOutput has no output shape; "
                          "expected an empty object"));
}

TEST(CheckOutputTest, DepthIsBounded) {
  // A self-referencing structure (neither ECS nor ECR has one).
  MemberModel member = {.name = "child"};
  const ShapeModel node = {.name = "Node", .type = ShapeType::kStructure, .members = {&member, 1}};
  member.target = &node;
  const OperationModel op = {.name = "Deep", .output = &node};
  json value = json::object();
  for (int i = 0; i < 1000; ++i) value = {{"child", std::move(value)}};
  auto problems = CheckOutput(EcsModel(), op, value);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], ::testing::HasSubstr("nested more than 64 levels"));
}

}  // namespace
}  // namespace berth::aws::model
