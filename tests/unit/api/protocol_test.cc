// The AWS JSON 1.1 protocol as the dispatcher serves it: targets, content
// types, bodies, request context and error shapes.

#include "tests/support/api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class ProtocolTest : public ApiTest {};

TEST_F(ProtocolTest, UnknownTargetsAreUnknownOperationException) {
  EXPECT_AWS_ERROR(Raw("AmazonEC2ContainerServiceV20141113.NoSuchThing", "{}"),
                   "UnknownOperationException");
  EXPECT_AWS_ERROR(Raw("SomeOtherService_20200101.ListThings", "{}"), "UnknownOperationException");
  EXPECT_AWS_ERROR(Raw("", "{}"), "UnknownOperationException");
  EXPECT_AWS_ERROR(Raw("AmazonEC2ContainerServiceV20141113", "{}"), "UnknownOperationException");
}

TEST_F(ProtocolTest, OnlyOperationsThatReachOutsideBerthMayWait) {
  const auto may_wait = [&](const std::string& target) {
    http::Request head;
    head.method = "POST";
    head.target = "/";
    head.headers.Add("X-Amz-Target", target);
    return dispatcher_.MayWait(head);
  };
  const std::string ecr = "AmazonEC2ContainerRegistry_V20150921.";
  for (const char* operation :
       {"BatchGetImage", "GetDownloadUrlForLayer", "ValidatePullThroughCacheRule", "PutImage",
        "CompleteLayerUpload"}) {
    EXPECT_TRUE(may_wait(ecr + operation)) << operation;
  }
  EXPECT_FALSE(may_wait(ecr + "DescribeRepositories"));
  EXPECT_FALSE(may_wait(ecr + "UploadLayerPart"));
  EXPECT_FALSE(may_wait("AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition"));
  EXPECT_FALSE(may_wait("AmazonEC2ContainerServiceV20141113.BatchGetImage"));  // ECS has none
  EXPECT_FALSE(may_wait(ecr + "NoSuchThing"));
  EXPECT_FALSE(may_wait("no dot"));
  http::Request untargeted;
  untargeted.method = "POST";
  untargeted.target = "/";
  EXPECT_FALSE(dispatcher_.MayWait(untargeted));
}

// Found by fuzz_aws_request: the message echoes the target, and bytes that are
// not UTF-8 made the error unserialisable (a 500 instead of the answer).
TEST_F(ProtocolTest, ATargetThatIsNotUtf8IsStillAnUnknownOperation) {
  const ApiReply r =
      Raw("AmazonE\xbd\xc3"
          "Container.Create",
          "{}");
  EXPECT_AWS_ERROR(r, "UnknownOperationException");
  EXPECT_NE(r.raw.find("\xef\xbf\xbd"), std::string::npos) << r.raw;  // U+FFFD
}

TEST_F(ProtocolTest, EveryModelOperationAnswersWithJsonAndNeverCrashes) {
  for (const auto* model : {&aws::model::EcrModel(), &aws::model::EcsModel()}) {
    const std::string prefix(model->target_prefix);
    for (const auto& operation : model->operations) {
      const ApiReply r = Raw(prefix + "." + std::string(operation.name), "{}");
      EXPECT_TRUE(r.status == 200 || r.status == 400) << operation.name << ": " << r.raw;
    }
  }
}

TEST_F(ProtocolTest, RequestLogNamesTheOperationEvenForRefusedBodies) {
  http::Request head;
  head.method = "POST";
  head.target = "/";
  head.headers.Add("X-Amz-Target", std::string(kEcsPrefix) + "RegisterTaskDefinition");
  const http::Response refused = dispatcher_.BodyTooLarge(head, 1024);
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(refused.operation, "ecs.RegisterTaskDefinition");
  EXPECT_TRUE(refused.close);
  EXPECT_EQ(json::parse(refused.body)["__type"], "RequestEntityTooLargeException");

  http::Request unknown = head;
  unknown.headers = {};
  unknown.headers.Add("X-Amz-Target", std::string(kEcsPrefix) + "NoSuchThing");
  EXPECT_EQ(dispatcher_.BodyTooLarge(unknown, 1024).operation, "unknown");

  head.headers.Add("Content-Type", "application/x-amz-json-1.1");
  head.body = "{}";
  EXPECT_EQ(dispatcher_.Handle(head).operation, "ecs.RegisterTaskDefinition");
}

TEST_F(ProtocolTest, MalformedBodiesAreSerializationExceptions) {
  const std::string target = std::string(kEcsPrefix) + "CreateCluster";
  EXPECT_AWS_ERROR(Raw(target, "{nope"), "SerializationException");
  EXPECT_AWS_ERROR(Raw(target, "[1,2]"), "SerializationException");
  EXPECT_AWS_ERROR(Raw(target, "\"text\""), "SerializationException");
  EXPECT_AWS_ERROR(Raw(target, std::string(10000, '[')), "SerializationException");
  EXPECT_AWS_ERROR(Raw(target, R"({"clusterName": 5})"), "SerializationException");
  EXPECT_AWS_ERROR(Raw(target, "{\"clusterName\":\"\xff\"}"), "SerializationException");
  // An empty body is an empty input, as botocore sends for no parameters.
  EXPECT_EQ(Raw(std::string(kEcsPrefix) + "ListClusters", "").status, 200u);
  // Nothing was created by the failures.
  EXPECT_TRUE(EcsOk("ListClusters", json::object())["clusterArns"].empty());
}

TEST_F(ProtocolTest, WrongContentTypeIsRefused) {
  const ApiReply r =
      Raw(std::string(kEcsPrefix) + "CreateCluster", R"({"clusterName":"a"})", "application/json");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.error_type(), "UnsupportedMediaTypeException");
  EXPECT_TRUE(EcsOk("ListClusters", json::object())["clusterArns"].empty());
  // Both JSON protocol versions and a charset parameter are fine.
  EXPECT_EQ(
      Raw(std::string(kEcsPrefix) + "ListClusters", "{}", "application/x-amz-json-1.0").status,
      200u);
  EXPECT_EQ(Raw(std::string(kEcsPrefix) + "ListClusters", "{}",
                "application/x-amz-json-1.1; charset=utf-8")
                .status,
            200u);
}

TEST_F(ProtocolTest, CredentialScopeChoosesAccountAndRegion) {
  const std::string auth =
      "AWS4-HMAC-SHA256 Credential=123456789012/20260101/eu-central-1/ecs/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=deadbeef";
  const ApiReply r = Raw(std::string(kEcsPrefix) + "CreateCluster", R"({"clusterName":"a"})",
                         "application/x-amz-json-1.1", auth);
  ASSERT_EQ(r.status, 200u) << r.raw;
  EXPECT_EQ(r.body["cluster"]["clusterArn"], "arn:aws:ecs:eu-central-1:123456789012:cluster/a");
  // A non-numeric key acts in the default account, in the scope's region.
  const std::string other =
      "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/eu-central-1/ecs/aws4_request, "
      "SignedHeaders=host, Signature=x";
  const ApiReply listed =
      Raw(std::string(kEcsPrefix) + "ListClusters", "{}", "application/x-amz-json-1.1", other);
  EXPECT_TRUE(listed.body["clusterArns"].empty());
}

TEST_F(ProtocolTest, ModelViolationsUseEachServicesWording) {
  // ECR's older operations answer InvalidParameterException in ECR's words.
  const ApiReply ecr = Ecr("CreateRepository", {{"repositoryName", "a"}});
  EXPECT_EQ(ecr.error_type(), "InvalidParameterException");
  EXPECT_EQ(ecr.message(),
            "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length "
            "greater than or equal to 2'");
  // ECR operations that declare ValidationException use the Coral wording.
  const ApiReply lifecycle =
      Ecr("PutLifecyclePolicy", {{"repositoryName", "repo"}, {"lifecyclePolicyText", "short"}});
  EXPECT_EQ(lifecycle.error_type(), "ValidationException");
  EXPECT_NE(lifecycle.message().find("1 validation error detected"), std::string::npos);
  // ECS answers InvalidParameterException with the Coral wording.
  const ApiReply ecs = Ecs("ListTaskDefinitions", {{"status", "BOGUS"}});
  EXPECT_EQ(ecs.error_type(), "InvalidParameterException");
  EXPECT_NE(ecs.message().find("Member must satisfy enum value set"), std::string::npos);
}

TEST_F(ProtocolTest, UnknownMembersAreIgnoredAndNotStored) {
  EcsOk("CreateCluster",
        {{"clusterName", "c"},
         {"bogus", 1},
         {"settings",
          json::array({{{"name", "containerInsights"}, {"value", "enabled"}, {"extra", true}}})}});
  const json d = EcsOk("DescribeClusters", {{"clusters", {"c"}}, {"include", {"SETTINGS"}}});
  EXPECT_EQ(d["clusters"][0]["settings"],
            json::parse(R"([{"name":"containerInsights","value":"enabled"}])"));
}

}  // namespace
}  // namespace berth::testing
