// ECS tasks and container instances through the JSON API, without Docker:
// what RunTask, StartTask, StopTask, DescribeTasks and ListTasks record and
// answer, every refusal followed by a read proving nothing was stored, and
// the cluster's container instance (the local Docker host) as
// ListContainerInstances, DescribeContainerInstances, attributes, tags and
// cluster counts report it.

#include <set>
#include <string>

#include <gmock/gmock.h>

#include "tests/support/api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::StartsWith;

constexpr const char* kInstancePrefix = "arn:aws:ecs:us-east-1:000000000000:container-instance/c/";

class EcsTasksApiTest : public ApiTest {
 protected:
  EcsTasksApiTest() {
    EcsOk("CreateCluster", {{"clusterName", "c"}});
    EcsOk("RegisterTaskDefinition", json::parse(R"({"family": "web", "containerDefinitions": [
              {"name": "web", "image": "app:1", "memory": 128, "cpu": 256,
               "portMappings": [{"containerPort": 80}]}]})"));
    EcsOk("RegisterTaskDefinition", json::parse(R"({"family": "static", "containerDefinitions": [
              {"name": "web", "image": "app:1", "memory": 64,
               "portMappings": [{"containerPort": 80, "hostPort": 8080},
                                {"containerPort": 53, "hostPort": 5353, "protocol": "udp"}]}]})"));
    EcsOk("RegisterTaskDefinition", json::parse(R"({"family": "fg", "networkMode": "awsvpc",
              "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
              "containerDefinitions": [{"name": "app", "image": "app:1"}]})"));
  }

  std::string Instance() {
    const json out = EcsOk("ListContainerInstances", {{"cluster", "c"}});
    EXPECT_EQ(out["containerInstanceArns"].size(), 1u) << out.dump();
    return out["containerInstanceArns"].empty() ? "" : out["containerInstanceArns"][0];
  }

  json DescribeInstance(json extra = json::object()) {
    extra["cluster"] = "c";
    extra["containerInstances"] = {Instance()};
    const json out = EcsOk("DescribeContainerInstances", extra);
    EXPECT_EQ(out["containerInstances"].size(), 1u) << out.dump();
    return out["containerInstances"].empty() ? json() : out["containerInstances"][0];
  }

  static json Resource(const json& resources, const std::string& name) {
    for (const auto& r : resources) {
      if (r["name"] == name) return r;
    }
    return json();
  }

  json ListTasks(json input = json::object()) {
    input["cluster"] = "c";
    return EcsOk("ListTasks", input)["taskArns"];
  }

  static json FargateRun() {
    return {{"cluster", "c"},
            {"taskDefinition", "fg"},
            {"launchType", "FARGATE"},
            {"networkConfiguration", {{"awsvpcConfiguration", {{"subnets", {"subnet-1"}}}}}}};
  }
};

// --- RunTask --------------------------------------------------------------------------

TEST_F(EcsTasksApiTest, RunTaskRecordsTasksInTheirFirstState) {
  const json out = EcsOk("RunTask", {{"cluster", "c"},
                                     {"taskDefinition", "web"},
                                     {"count", 2},
                                     {"startedBy", "me"},
                                     {"tags", {{{"key", "k"}, {"value", "v"}}}}});
  ASSERT_EQ(out["tasks"].size(), 2u);
  EXPECT_EQ(out["failures"], json::array());
  const json& task = out["tasks"][0];
  EXPECT_THAT(task["taskArn"].get<std::string>(),
              StartsWith("arn:aws:ecs:us-east-1:000000000000:task/c/"));
  EXPECT_EQ(task["taskArn"].get<std::string>().size(),
            std::string("arn:aws:ecs:us-east-1:000000000000:task/c/").size() + 32);
  EXPECT_EQ(task["lastStatus"], "PENDING");
  EXPECT_EQ(task["desiredStatus"], "RUNNING");
  EXPECT_EQ(task["launchType"], "EC2");
  EXPECT_EQ(task["group"], "family:web");
  EXPECT_EQ(task["startedBy"], "me");
  EXPECT_EQ(task["version"], 1);
  EXPECT_EQ(task["tags"], json::parse(R"([{"key": "k", "value": "v"}])"));
  EXPECT_THAT(task["containerInstanceArn"].get<std::string>(), StartsWith(kInstancePrefix));
  EXPECT_EQ(task["attachments"], json::array());
  EXPECT_EQ(
      task["overrides"],
      json::parse(
          R"({"containerOverrides": [{"name": "web"}], "inferenceAcceleratorOverrides": []})"));
  const json& container = task["containers"][0];
  EXPECT_EQ(container["lastStatus"], "PENDING");
  EXPECT_EQ(container["memory"], "128");
  EXPECT_EQ(container["cpu"], "256");
  EXPECT_FALSE(container.contains("runtimeId"));
  EXPECT_EQ(ListTasks().size(), 2u);
  const json cluster =
      EcsOk("DescribeClusters", {{"clusters", {"c"}}, {"include", {"STATISTICS"}}})["clusters"][0];
  EXPECT_EQ(cluster["pendingTasksCount"], 2);
  EXPECT_THAT(
      cluster["statistics"],
      ::testing::Contains(json::parse(R"({"name": "pendingEC2TasksCount", "value": "2"})")));
}

TEST_F(EcsTasksApiTest, FargateTasksAreProvisioningWithAPrecreatedEni) {
  const json task = EcsOk("RunTask", FargateRun())["tasks"][0];
  EXPECT_EQ(task["lastStatus"], "PROVISIONING");
  EXPECT_EQ(task["launchType"], "FARGATE");
  EXPECT_EQ(task["platformVersion"], "1.4.0");
  EXPECT_EQ(task["cpu"], "256");
  EXPECT_FALSE(task.contains("containerInstanceArn"));
  ASSERT_EQ(task["attachments"].size(), 1u);
  EXPECT_EQ(task["attachments"][0]["type"], "ElasticNetworkInterface");
  EXPECT_EQ(task["attachments"][0]["status"], "PRECREATED");
  EXPECT_EQ(task["attachments"][0]["details"],
            json::parse(R"([{"name": "subnetId", "value": "subnet-1"}])"));
  const json stats =
      EcsOk("DescribeClusters",
            {{"clusters", {"c"}}, {"include", {"STATISTICS"}}})["clusters"][0]["statistics"];
  EXPECT_THAT(stats, ::testing::Contains(
                         json::parse(R"({"name": "pendingFargateTasksCount", "value": "1"})")));
  EXPECT_THAT(
      stats, ::testing::Contains(json::parse(R"({"name": "pendingEC2TasksCount", "value": "0"})")));
}

TEST_F(EcsTasksApiTest, RunTaskRefusalsStoreNothing) {
  const auto refused = [&](json input, const std::string& type, const std::string& message) {
    if (!input.contains("cluster")) input["cluster"] = "c";
    const ApiReply r = Ecs("RunTask", input);
    EXPECT_AWS_ERROR(r, type);
    EXPECT_EQ(r.message(), message) << input.dump();
  };
  refused({{"taskDefinition", "web"}, {"count", 0}}, "InvalidParameterException",
          "count must be between 1 and 10.");
  refused({{"taskDefinition", "web"}, {"count", 11}}, "InvalidParameterException",
          "count must be between 1 and 10.");
  refused({{"taskDefinition", "web"},
           {"launchType", "EC2"},
           {"capacityProviderStrategy", {{{"capacityProvider", "FARGATE"}}}}},
          "InvalidParameterException",
          "Specifying both a launch type and capacity provider strategy is not supported. Remove "
          "one and try again.");
  refused({{"taskDefinition", "fg"}}, "InvalidParameterException",
          "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  json no_subnets = FargateRun();
  no_subnets["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = json::array();
  refused(no_subnets, "InvalidParameterException", "subnets can not be empty.");
  refused({{"taskDefinition", "web"},
           {"networkConfiguration", {{"awsvpcConfiguration", {{"subnets", {"s"}}}}}}},
          "InvalidParameterException",
          "Network Configuration is not valid for the given networkMode of this task definition.");
  refused({{"taskDefinition", "web"}, {"launchType", "FARGATE"}}, "InvalidParameterException",
          "Task definition does not support launch_type FARGATE.");
  refused({{"taskDefinition", "nope"}}, "ClientException", "TaskDefinition not found.");
  refused({{"taskDefinition", "web"}, {"cluster", "ghost"}}, "ClusterNotFoundException",
          "Cluster not found.");
  refused({{"taskDefinition", "web"},
           {"overrides", {{"containerOverrides", {{{"name", "ghost"}, {"command", {"x"}}}}}}}},
          "InvalidParameterException",
          "Override for container named ghost is not a container in the TaskDefinition.");
  refused({{"taskDefinition", "web"}, {"startedBy", "not allowed!"}}, "InvalidParameterException",
          "startedBy may contain up to 128 letters, numbers, hyphens, underscores and slashes.");
  EXPECT_TRUE(ListTasks().empty());
  EXPECT_TRUE(ListTasks({{"desiredStatus", "STOPPED"}}).empty());
}

TEST_F(EcsTasksApiTest, AClientTokenMakesRunTaskIdempotent) {
  json input = {{"cluster", "c"}, {"taskDefinition", "web"}, {"clientToken", "once"}};
  const json first = EcsOk("RunTask", input)["tasks"][0];
  const json again = EcsOk("RunTask", input)["tasks"][0];
  EXPECT_EQ(again["taskArn"], first["taskArn"]);
  input["count"] = 2;
  const ApiReply conflict = Ecs("RunTask", input);
  EXPECT_AWS_ERROR(conflict, "ConflictException");
  EXPECT_EQ(conflict.body["resourceIds"], json::array({first["taskArn"]}));
  EXPECT_EQ(ListTasks().size(), 1u);
}

// --- StopTask, DescribeTasks, ListTasks -------------------------------------------------

TEST_F(EcsTasksApiTest, StopTaskRecordsTheWishAtOnce) {
  const std::string arn =
      EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}})["tasks"][0]["taskArn"];
  const json stopped = EcsOk("StopTask", {{"cluster", "c"}, {"task", arn}})["task"];
  EXPECT_EQ(stopped["desiredStatus"], "STOPPED");
  EXPECT_EQ(stopped["lastStatus"], "PENDING");
  EXPECT_EQ(stopped["stopCode"], "UserInitiated");
  EXPECT_EQ(stopped["stoppedReason"], "Task stopped by user");
  EXPECT_TRUE(stopped.contains("stoppingAt"));
  EXPECT_EQ(stopped["version"], 2);
  // Stopping again changes nothing
  const json twice =
      EcsOk("StopTask", {{"cluster", "c"}, {"task", arn}, {"reason", "again"}})["task"];
  EXPECT_EQ(twice["stoppedReason"], "Task stopped by user");
  EXPECT_EQ(twice["version"], 2);
  EXPECT_TRUE(ListTasks().empty());
  EXPECT_EQ(ListTasks({{"desiredStatus", "STOPPED"}}), json::array({arn}));

  const ApiReply unknown =
      Ecs("StopTask", {{"cluster", "c"}, {"task", "0123456789abcdef0123456789abcdef"}});
  EXPECT_AWS_ERROR(unknown, "InvalidParameterException");
  EXPECT_EQ(unknown.message(), "The referenced task was not found.");
}

TEST_F(EcsTasksApiTest, DescribeTasksReportsUnknownTasksAsMissing) {
  const std::string arn =
      EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}})["tasks"][0]["taskArn"];
  const std::string id = arn.substr(arn.rfind('/') + 1);
  const std::string ghost = "0123456789abcdef0123456789abcdef";
  const json out = EcsOk("DescribeTasks", {{"cluster", "c"}, {"tasks", {id, arn, ghost, "junk"}}});
  ASSERT_EQ(out["tasks"].size(), 1u) << "the same task named twice is described once";
  EXPECT_EQ(out["tasks"][0]["taskArn"], arn);
  EXPECT_FALSE(out["tasks"][0].contains("tags"));
  EXPECT_EQ(out["failures"], json::parse(R"([
      {"arn": "arn:aws:ecs:us-east-1:000000000000:task/c/0123456789abcdef0123456789abcdef", "reason": "MISSING"},
      {"arn": "junk", "reason": "MISSING"}])"));
  EXPECT_AWS_ERROR(Ecs("DescribeTasks", {{"cluster", "c"}, {"tasks", json::array()}}),
                   "InvalidParameterException");
}

TEST_F(EcsTasksApiTest, TaskCallsOnAnInactiveClusterSaySo) {
  EcsOk("CreateCluster", {{"clusterName", "gone"}});
  EcsOk("DeleteCluster", {{"cluster", "gone"}});
  for (const auto& [op, input] : std::vector<std::pair<std::string, json>>{
           {"ListTasks", {{"cluster", "gone"}}},
           {"DescribeTasks",
            {{"cluster", "gone"}, {"tasks", {"0123456789abcdef0123456789abcdef"}}}},
           {"StopTask", {{"cluster", "gone"}, {"task", "0123456789abcdef0123456789abcdef"}}},
           {"RunTask", {{"cluster", "gone"}, {"taskDefinition", "web"}}}}) {
    const ApiReply r = Ecs(op, input);
    EXPECT_AWS_ERROR(r, "ClusterNotFoundException");
    EXPECT_EQ(r.message(), "The referenced cluster was inactive.") << op;
  }
}

TEST_F(EcsTasksApiTest, ListTasksFiltersAndPages) {
  for (int i = 0; i < 3; ++i)
    EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}, {"startedBy", "batch"}});
  EcsOk("RunTask", FargateRun());
  EXPECT_EQ(ListTasks().size(), 4u);
  EXPECT_EQ(ListTasks({{"family", "web"}}).size(), 3u);
  EXPECT_EQ(ListTasks({{"launchType", "FARGATE"}}).size(), 1u);
  EXPECT_EQ(ListTasks({{"startedBy", "batch"}}).size(), 3u);
  EXPECT_EQ(ListTasks({{"containerInstance", Instance()}}).size(), 3u)
      << "Fargate tasks have no instance";
  EXPECT_TRUE(ListTasks({{"containerInstance", "0123456789abcdef0123456789abcdef"}}).empty());
  EXPECT_TRUE(ListTasks({{"desiredStatus", "PENDING"}}).empty());
  EXPECT_AWS_ERROR(Ecs("ListTasks", {{"cluster", "c"}, {"startedBy", "batch"}, {"family", "web"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("ListTasks", {{"cluster", "c"}, {"family", "bad family"}}),
                   "InvalidParameterException");
  // Pages of one
  json input = {{"cluster", "c"}, {"maxResults", 1}};
  std::set<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    const json out = EcsOk("ListTasks", input);
    for (const auto& arn : out["taskArns"]) seen.insert(arn);
    if (!out.contains("nextToken")) break;
    input["nextToken"] = out["nextToken"];
  }
  EXPECT_EQ(seen.size(), 4u);
}

// --- The container instance -------------------------------------------------------------

TEST_F(EcsTasksApiTest, EachClusterHasOneContainerInstance) {
  const std::string arn = Instance();
  EXPECT_THAT(arn, StartsWith(kInstancePrefix));
  EXPECT_EQ(arn.size(), std::string(kInstancePrefix).size() + 32);
  EXPECT_EQ(Instance(), arn) << "stable";
  EXPECT_EQ(EcsOk("DescribeClusters",
                  {{"clusters", {"c"}}})["clusters"][0]["registeredContainerInstancesCount"],
            1);
  // Another cluster has its own
  EcsOk("CreateCluster", {{"clusterName", "d"}});
  const json other = EcsOk("ListContainerInstances", {{"cluster", "d"}})["containerInstanceArns"];
  ASSERT_EQ(other.size(), 1u);
  EXPECT_NE(other[0], arn);
  // Status and filters
  EXPECT_TRUE(EcsOk("ListContainerInstances",
                    {{"cluster", "c"}, {"status", "DRAINING"}})["containerInstanceArns"]
                  .empty());
  EXPECT_EQ(EcsOk("ListContainerInstances",
                  {{"cluster", "c"},
                   {"filter", "attribute:ecs.os-type == linux"}})["containerInstanceArns"]
                .size(),
            1u);
  EXPECT_TRUE(EcsOk("ListContainerInstances",
                    {{"cluster", "c"},
                     {"filter", "attribute:ecs.os-type == windows"}})["containerInstanceArns"]
                  .empty());
  EXPECT_EQ(
      EcsOk("ListContainerInstances",
            {{"cluster", "c"},
             {"filter",
              "attribute:nothing exists or attribute:ecs.cpu-architecture in [arm64, x86_64]"}})
          ["containerInstanceArns"]
              .size(),
      1u);
  EXPECT_TRUE(EcsOk("ListContainerInstances",
                    {{"cluster", "c"},
                     {"filter", "attribute:ecs.os-type == linux and attribute:nothing exists"}})
                  ["containerInstanceArns"]
                      .empty());
  EXPECT_AWS_ERROR(Ecs("ListContainerInstances", {{"cluster", "c"}, {"filter", "attribute:x =="}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Ecs("ListContainerInstances", {{"cluster", "c"}, {"filter", "runningTasksCount > 1"}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("ListContainerInstances", {{"cluster", "ghost"}}),
                   "ClusterNotFoundException");
}

TEST_F(EcsTasksApiTest, DescribeContainerInstancesShowsResourcesAndTasks) {
  json instance = DescribeInstance();
  EXPECT_EQ(instance["status"], "ACTIVE");
  EXPECT_EQ(instance["agentConnected"], true);
  EXPECT_THAT(instance["ec2InstanceId"].get<std::string>(), StartsWith("i-"));
  EXPECT_EQ(instance["runningTasksCount"], 0);
  const int64_t cpu = Resource(instance["registeredResources"], "CPU")["integerValue"];
  const int64_t memory = Resource(instance["registeredResources"], "MEMORY")["integerValue"];
  EXPECT_GE(cpu, 1024);
  EXPECT_GT(memory, 0);
  EXPECT_EQ(Resource(instance["registeredResources"], "PORTS")["stringSetValue"],
            json::parse(R"(["22", "2375", "2376", "51678", "51679"])"));
  EXPECT_EQ(Resource(instance["remainingResources"], "CPU")["integerValue"], cpu);
  EXPECT_FALSE(instance.contains("healthStatus"));

  // A task placed on it takes its share; a Fargate task does not
  EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}});
  EcsOk("RunTask", FargateRun());
  instance = DescribeInstance({{"include", {"CONTAINER_INSTANCE_HEALTH"}}});
  EXPECT_EQ(instance["pendingTasksCount"], 1);
  EXPECT_EQ(Resource(instance["remainingResources"], "CPU")["integerValue"], cpu - 256);
  EXPECT_EQ(Resource(instance["remainingResources"], "MEMORY")["integerValue"], memory - 128);
  EXPECT_EQ(instance["healthStatus"]["overallStatus"], "OK");

  // Unknown instances are failures
  const json out = EcsOk(
      "DescribeContainerInstances",
      {{"cluster", "c"}, {"containerInstances", {"0123456789abcdef0123456789abcdef", Instance()}}});
  EXPECT_EQ(out["containerInstances"].size(), 1u);
  EXPECT_EQ(out["failures"],
            json::parse(R"([{"arn": "0123456789abcdef0123456789abcdef", "reason": "MISSING"}])"));
}

TEST_F(EcsTasksApiTest, TheInstanceTakesAttributesAndTags) {
  const std::string arn = Instance();
  const std::string id = arn.substr(arn.rfind('/') + 1);
  EcsOk("PutAttributes",
        {{"cluster", "c"},
         {"attributes", {{{"name", "stack"}, {"value", "prod"}, {"targetId", id}}}}});
  const json listed =
      EcsOk("ListAttributes",
            {{"cluster", "c"}, {"targetType", "container-instance"}, {"attributeName", "stack"}});
  EXPECT_EQ(
      listed["attributes"],
      json::parse(
          R"([{"name": "stack", "value": "prod", "targetType": "container-instance", "targetId": ")" +
          arn + R"("}])"));
  EXPECT_THAT(DescribeInstance()["attributes"],
              ::testing::Contains(json::parse(R"({"name": "stack", "value": "prod"})")));
  EcsOk("TagResource", {{"resourceArn", arn}, {"tags", {{{"key", "team"}, {"value", "core"}}}}});
  EXPECT_EQ(DescribeInstance({{"include", {"TAGS"}}})["tags"],
            json::parse(R"([{"key": "team", "value": "core"}])"));
  EXPECT_EQ(DescribeInstance()["tags"], json::array());
}

TEST_F(EcsTasksApiTest, TasksTakeTagsAfterTheyStart) {
  const std::string arn =
      EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}})["tasks"][0]["taskArn"];
  EcsOk("TagResource", {{"resourceArn", arn}, {"tags", {{{"key", "k"}, {"value", "v"}}}}});
  EXPECT_EQ(EcsOk("DescribeTasks",
                  {{"cluster", "c"}, {"tasks", {arn}}, {"include", {"TAGS"}}})["tasks"][0]["tags"],
            json::parse(R"([{"key": "k", "value": "v"}])"));
  EXPECT_AWS_ERROR(
      Ecs("TagResource",
          {{"resourceArn",
            "arn:aws:ecs:us-east-1:000000000000:task/c/0123456789abcdef0123456789abcdef"},
           {"tags", {{{"key", "k"}, {"value", "v"}}}}}),
      "InvalidParameterException");
}

TEST_F(EcsTasksApiTest, TasksThatDoNotFitTheInstanceArePlacementFailures) {
  const std::string instance = Instance();
  // A static host port is held by the first task; the second cannot have it
  const json out = EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "static"}, {"count", 2}});
  EXPECT_EQ(out["tasks"].size(), 1u);
  EXPECT_EQ(out["failures"],
            json::parse(R"([{"arn": ")" + instance + R"(", "reason": "RESOURCE:PORTS"}])"));
  json described = DescribeInstance();
  EXPECT_THAT(Resource(described["remainingResources"], "PORTS")["stringSetValue"],
              ::testing::Contains("8080"));
  EXPECT_EQ(Resource(described["remainingResources"], "PORTS_UDP")["stringSetValue"],
            json::array({"5353"}));
  // More memory than the host has
  const json hungry =
      EcsOk("RunTask",
            {{"cluster", "c"},
             {"taskDefinition", "web"},
             {"overrides", {{"containerOverrides", {{{"name", "web"}, {"memory", 1 << 30}}}}}}});
  EXPECT_TRUE(hungry["tasks"].empty());
  EXPECT_EQ(hungry["failures"][0]["reason"], "RESOURCE:MEMORY");
  // Once the first task is stopped and gone, the port is free again
  const std::string arn = out["tasks"][0]["taskArn"];
  EcsOk("StopTask", {{"cluster", "c"}, {"task", arn}});
  EXPECT_EQ(EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "static"}})["failures"].size(),
            1u)
      << "a stopping task still holds its port";
  EXPECT_EQ(ListTasks().size(), 0u);
  // Fargate tasks are not placed on the instance
  EXPECT_EQ(EcsOk("RunTask", FargateRun())["failures"], json::array());
}

// --- StartTask ----------------------------------------------------------------------------

TEST_F(EcsTasksApiTest, StartTaskPlacesOneTaskOnEachNamedInstance) {
  const std::string arn = Instance();
  const std::string id = arn.substr(arn.rfind('/') + 1);
  const json out =
      EcsOk("StartTask", {{"cluster", "c"},
                          {"taskDefinition", "web"},
                          {"containerInstances", {id, "0123456789abcdef0123456789abcdef"}},
                          {"startedBy", "starter"}});
  ASSERT_EQ(out["tasks"].size(), 1u);
  EXPECT_EQ(out["tasks"][0]["containerInstanceArn"], arn);
  EXPECT_EQ(out["tasks"][0]["launchType"], "EC2");
  EXPECT_EQ(out["tasks"][0]["lastStatus"], "PENDING");
  EXPECT_EQ(out["failures"],
            json::parse(R"([{"arn": "0123456789abcdef0123456789abcdef", "reason": "MISSING"}])"));
  EXPECT_EQ(ListTasks({{"startedBy", "starter"}}).size(), 1u);

  // Refusals store nothing
  EXPECT_AWS_ERROR(
      Ecs("StartTask",
          {{"cluster", "c"}, {"taskDefinition", "web"}, {"containerInstances", json::array()}}),
      "InvalidParameterException");
  json eleven = json::array();
  for (int i = 0; i < 11; ++i) eleven.push_back(arn);
  EXPECT_AWS_ERROR(
      Ecs("StartTask",
          {{"cluster", "c"}, {"taskDefinition", "web"}, {"containerInstances", eleven}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Ecs("StartTask", {{"cluster", "c"}, {"taskDefinition", "fg"}, {"containerInstances", {arn}}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("StartTask", {{"cluster", "c"}, {"containerInstances", {arn}}}),
                   "InvalidParameterException");
  EXPECT_EQ(ListTasks().size(), 1u);
}

}  // namespace
}  // namespace berth::testing
