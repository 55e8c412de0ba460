#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/aws/dispatcher.h"
#include "server/aws/model/model_validator.h"
#include "server/aws/model/service_model.h"
#include "server/ecs/ecs_api.h"
#include "server/ecs/ecs_service.h"
#include "server/util/clock.h"
#include "storage/database.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

constexpr double kNow = 1733318615.211;

// A clock that always answers kNow.
class FixedClock final : public Clock {
 public:
  double Now() const override { return kNow; }
};

// The six task-definition operations end to end: raw JSON 1.1 requests
// through aws::Dispatcher (model validation, pruning, error bodies) to the
// handlers, with every success reply checked against the botocore output
// shape.
class TaskDefinitionApiTest : public ::testing::Test {
 protected:
  TaskDefinitionApiTest() { dispatcher_.Register(api_); }

  // The reply to `operation` with `input`; expects HTTP `status`.
  json Call(const std::string& operation, const json& input, unsigned status = 200) {
    http::Request request;
    request.method = "POST";
    request.target = "/";
    request.headers.Add("X-Amz-Target", "AmazonEC2ContainerServiceV20141113." + operation);
    request.headers.Add("Content-Type", "application/x-amz-json-1.1");
    request.body = input.dump();
    const http::Response response = dispatcher_.Handle(request);
    EXPECT_EQ(response.status, status) << operation << ": " << response.body;
    const json output = json::parse(response.body);
    if (status == 200) {
      const auto& model = aws::model::EcsModel();
      const auto problems = aws::model::CheckOutput(model, *model.FindOperation(operation), output);
      EXPECT_TRUE(problems.empty()) << operation << ": " << ::testing::PrintToString(problems);
    }
    return output;
  }

  static json Request(const std::string& family) {
    return {{"family", family},
            {"containerDefinitions",
             json::array({{{"name", "app"}, {"image", "nginx:latest"}, {"memory", 256}}})}};
  }

  storage::Database database_{":memory:"};
  EcsServices services_{database_};
  EcsApi api_{services_};
  FixedClock clock_;
  aws::Dispatcher dispatcher_{aws::DispatcherOptions{}, clock_};
};

TEST_F(TaskDefinitionApiTest, RegisterAnswersTheTaskDefinitionShape) {
  // Given the shared Fargate example (account 000000000000, us-east-1)
  const json request = json::parse(R"({
    "family": "poc-task",
    "taskRoleArn": "arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
    "executionRoleArn": "arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
    "networkMode": "awsvpc",
    "containerDefinitions": [{
      "name": "getting-started-container",
      "image": "000000000000.dkr.ecr.us-east-1.amazonaws.com/test-repo:latest",
      "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
      "essential": true, "interactive": true, "pseudoTerminal": true}],
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "512", "memory": "1024",
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}})");
  // When registered
  const json out = Call("RegisterTaskDefinition", request);
  // Then the reply carries the stored fields, and no tags member
  const json& td = out.at("taskDefinition");
  EXPECT_EQ(td.at("taskDefinitionArn"),
            "arn:aws:ecs:us-east-1:000000000000:task-definition/poc-task:1");
  EXPECT_EQ(td.at("revision"), 1);
  EXPECT_EQ(td.at("status"), "ACTIVE");
  EXPECT_DOUBLE_EQ(td.at("registeredAt").get<double>(), kNow);
  EXPECT_EQ(td.at("registeredBy"), "arn:aws:iam::000000000000:root");
  EXPECT_EQ(td.at("compatibilities"), json({"EC2", "FARGATE"}));
  EXPECT_EQ(td.at("containerDefinitions")[0].at("interactive"), true);
  EXPECT_FALSE(out.contains("tags"));
}

TEST_F(TaskDefinitionApiTest, RegisterEchoesTagsWhenGiven) {
  json request = Request("web");
  request["tags"] = {{{"key", "team"}, {"value", "core"}}};
  const json out = Call("RegisterTaskDefinition", request);
  EXPECT_EQ(out.at("tags"), request.at("tags"));
}

TEST_F(TaskDefinitionApiTest, RuleViolationsAreClientExceptions) {
  // Given a container without a name (the model does not require one)
  json request = Request("web");
  request["containerDefinitions"][0].erase("name");
  // When registered, then the rules answer ClientException
  const json out = Call("RegisterTaskDefinition", request, 400);
  EXPECT_EQ(out.at("__type"), "ClientException");
  EXPECT_EQ(out.at("message"), "Container.name should not be null or empty.");
}

TEST_F(TaskDefinitionApiTest, DescribeAddsTagsOnlyWhenAskedFor) {
  Call("RegisterTaskDefinition", Request("web"));
  // Without include, no tags member
  EXPECT_FALSE(Call("DescribeTaskDefinition", {{"taskDefinition", "web"}}).contains("tags"));
  // With include TAGS, a (here empty) list
  const json out =
      Call("DescribeTaskDefinition", {{"taskDefinition", "web:1"}, {"include", {"TAGS"}}});
  EXPECT_EQ(out.at("tags"), json::array());
  EXPECT_EQ(out.at("taskDefinition").at("revision"), 1);
  // And an unknown one is a ClientException
  const json error = Call("DescribeTaskDefinition", {{"taskDefinition", "nope"}}, 400);
  EXPECT_EQ(error.at("__type"), "ClientException");
  EXPECT_EQ(error.at("message"), "Unable to describe task definition.");
}

TEST_F(TaskDefinitionApiTest, ListTaskDefinitionsPagesWithNextToken) {
  // Given three revisions
  for (int i = 0; i < 3; ++i) Call("RegisterTaskDefinition", Request("web"));
  // When listed two at a time, newest first
  const json first = Call("ListTaskDefinitions", {{"maxResults", 2}, {"sort", "DESC"}});
  const json second =
      Call("ListTaskDefinitions",
           {{"maxResults", 2}, {"sort", "DESC"}, {"nextToken", first.at("nextToken")}});
  // Then the pages split 2 + 1 and the last has no nextToken
  const std::string prefix = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:";
  EXPECT_EQ(first.at("taskDefinitionArns"), json({prefix + "3", prefix + "2"}));
  EXPECT_EQ(second.at("taskDefinitionArns"), json({prefix + "1"}));
  EXPECT_FALSE(second.contains("nextToken"));
  // And a bad page size or token is an InvalidParameterException
  EXPECT_EQ(Call("ListTaskDefinitions", {{"maxResults", 101}}, 400).at("__type"),
            "InvalidParameterException");
  EXPECT_EQ(Call("ListTaskDefinitions", {{"nextToken", "nope"}}, 400).at("__type"),
            "InvalidParameterException");
}

TEST_F(TaskDefinitionApiTest, ListFamiliesDefaultsToEveryFamily) {
  // Given an active family and one with no active revision left
  Call("RegisterTaskDefinition", Request("live"));
  Call("RegisterTaskDefinition", Request("gone"));
  Call("DeregisterTaskDefinition", {{"taskDefinition", "gone:1"}});
  // When listed without status, both appear; with ACTIVE only the live one
  EXPECT_EQ(Call("ListTaskDefinitionFamilies", json::object()).at("families"),
            json({"gone", "live"}));
  EXPECT_EQ(Call("ListTaskDefinitionFamilies", {{"status", "ACTIVE"}}).at("families"),
            json({"live"}));
  EXPECT_EQ(Call("ListTaskDefinitionFamilies", {{"familyPrefix", "g"}}).at("families"),
            json({"gone"}));
}

TEST_F(TaskDefinitionApiTest, DeregisterThenDelete) {
  Call("RegisterTaskDefinition", Request("web"));
  Call("RegisterTaskDefinition", Request("web"));
  // When web:1 is deregistered
  const json deregistered = Call("DeregisterTaskDefinition", {{"taskDefinition", "web:1"}});
  EXPECT_EQ(deregistered.at("taskDefinition").at("status"), "INACTIVE");
  EXPECT_DOUBLE_EQ(deregistered.at("taskDefinition").at("deregisteredAt").get<double>(), kNow);
  // And web:1 and the still active web:2 are deleted
  const json out = Call("DeleteTaskDefinitions", {{"taskDefinitions", {"web:1", "web:2"}}});
  // Then web:1 succeeds and web:2 is a failure
  ASSERT_EQ(out.at("taskDefinitions").size(), 1u);
  EXPECT_EQ(out.at("taskDefinitions")[0].at("status"), "DELETE_IN_PROGRESS");
  EXPECT_DOUBLE_EQ(out.at("taskDefinitions")[0].at("deleteRequestedAt").get<double>(), kNow);
  EXPECT_EQ(out.at("failures"),
            json::parse(R"([{"arn": "web:2", "reason": "The specified task definition is still )"
                        R"(in ACTIVE status. Please deregister the target and try again."}])"));
}

}  // namespace
}  // namespace berth::ecs
