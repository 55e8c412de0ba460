#include "server/ecs/task_definition_rules.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/aws/aws_error.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

// /work/shared/testdata/ecs_task.json, verbatim (placeholders included).
constexpr const char* kSharedEcsTask = R"json({
    "family": "poc-task",
    "taskRoleArn": "arn:aws:iam::<accountID>:role/ecsTaskExecutionRole",
    "executionRoleArn": "arn:aws:iam::<accountID>:role/ecsTaskExecutionRole",
    "networkMode": "awsvpc",
    "containerDefinitions": [
        {
            "name": "getting-started-container",
            "image": "<accountID>.dkr.ecr.<region>.amazonaws.com/test-repo:latest",
            "portMappings": [
                {
                    "containerPort": 80,
                    "hostPort": 80,
                    "protocol": "tcp"
                }
            ],
            "essential": true,
            "interactive": true,
            "pseudoTerminal": true
        }
    ],
    "requiresCompatibilities": [
        "FARGATE"
    ],
    "cpu": "512",
    "memory": "1024",
    "runtimePlatform": {
        "cpuArchitecture": "X86_64",
        "operatingSystemFamily": "LINUX"
    }
})json";

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

json SharedEcsTask() {
  std::string text = ReplaceAll(kSharedEcsTask, "<accountID>", "000000000000");
  return json::parse(ReplaceAll(text, "<region>", "us-east-1"));
}

// A minimal valid EC2 definition: one container, bridge mode by default.
json Ec2Request() {
  return {{"family", "web"},
          {"containerDefinitions",
           json::array({{{"name", "app"}, {"image", "nginx:latest"}, {"memory", 512}}})}};
}

// A minimal valid Fargate definition.
json FargateRequest() {
  return {{"family", "web"},
          {"networkMode", "awsvpc"},
          {"requiresCompatibilities", {"FARGATE"}},
          {"cpu", "256"},
          {"memory", "512"},
          {"containerDefinitions", json::array({{{"name", "app"}, {"image", "nginx:latest"}}})}};
}

json Container(const std::string& name, const std::string& image = "nginx:latest") {
  return {{"name", name}, {"image", image}, {"memory", 128}};
}

// Success when NormaliseTaskDefinition(request) throws an AwsError of `type`
// carrying exactly `message`.
::testing::AssertionResult Rejects(const json& request, const std::string& type,
                                   const std::string& message) {
  try {
    NormaliseTaskDefinition(request);
  } catch (const aws::AwsError& e) {
    if (e.type() == type && e.what() == message) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "threw " << e.type() << ": " << e.what();
  }
  return ::testing::AssertionFailure() << "accepted " << request.dump();
}

::testing::AssertionResult RejectsWith(const json& request, const std::string& message) {
  return Rejects(request, "ClientException", message);
}

// --- family -----------------------------------------------------------------

TEST(TaskDefinitionRulesTest, FamilyIsRequired) {
  // Given a request whose family is empty, and one without a family
  json empty = Ec2Request();
  empty["family"] = "";
  json missing = Ec2Request();
  missing.erase("family");
  // When/then both are refused as blank
  EXPECT_TRUE(RejectsWith(empty, "Family can not be blank."));
  EXPECT_TRUE(RejectsWith(missing, "Family can not be blank."));
}

TEST(TaskDefinitionRulesTest, FamilyMustMatchThePattern) {
  // Given families with a space, a dot, and 256 characters
  for (const std::string& family :
       std::vector<std::string>{"my family", "web.app", std::string(256, 'a')}) {
    json request = Ec2Request();
    request["family"] = family;
    // When/then each is refused
    EXPECT_TRUE(RejectsWith(request, "Family contains invalid characters.")) << family;
  }
  // And 255 characters with hyphens and underscores are fine
  json request = Ec2Request();
  request["family"] = "a-b_C" + std::string(250, '9');
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

// --- containers -------------------------------------------------------------

TEST(TaskDefinitionRulesTest, ContainerListCannotBeEmpty) {
  // Given no containers
  json request = Ec2Request();
  request["containerDefinitions"] = json::array();
  // When/then
  EXPECT_TRUE(RejectsWith(request, "Container list cannot be empty."));
}

TEST(TaskDefinitionRulesTest, AtMostTenContainers) {
  // Given eleven containers
  json request = Ec2Request();
  request["containerDefinitions"] = json::array();
  for (int i = 0; i < 11; ++i)
    request["containerDefinitions"].push_back(Container("c" + std::to_string(i)));
  // When/then it is refused; ten are fine
  EXPECT_TRUE(RejectsWith(
      request, "Too many containers: a task definition can have at most 10 containers."));
  request["containerDefinitions"].erase(10);
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

TEST(TaskDefinitionRulesTest, ContainerNameIsRequired) {
  // Given a container without a name, and one with an empty name
  json missing = Ec2Request();
  missing["containerDefinitions"][0].erase("name");
  json empty = Ec2Request();
  empty["containerDefinitions"][0]["name"] = "";
  // When/then
  EXPECT_TRUE(RejectsWith(missing, "Container.name should not be null or empty."));
  EXPECT_TRUE(RejectsWith(empty, "Container.name should not be null or empty."));
}

TEST(TaskDefinitionRulesTest, ContainerNameMustMatchThePattern) {
  // Given a container name with a slash
  json request = Ec2Request();
  request["containerDefinitions"][0]["name"] = "web/app";
  // When/then
  EXPECT_TRUE(RejectsWith(request, "Container.name contains invalid characters."));
}

TEST(TaskDefinitionRulesTest, ContainerImageIsRequired) {
  // Given a container without an image, and one with an empty image
  json missing = Ec2Request();
  missing["containerDefinitions"][0].erase("image");
  json empty = Ec2Request();
  empty["containerDefinitions"][0]["image"] = "";
  // When/then
  EXPECT_TRUE(RejectsWith(missing, "Container.image should not be null or empty."));
  EXPECT_TRUE(RejectsWith(empty, "Container.image should not be null or empty."));
}

TEST(TaskDefinitionRulesTest, ContainerImageMustBeValid) {
  // Given images with whitespace, a control character, and 256 characters
  for (const std::string& image : std::vector<std::string>{
           "nginx latest", "nginx\t", std::string("ng\x01inx"), std::string(256, 'a')}) {
    json request = Ec2Request();
    request["containerDefinitions"][0]["image"] = image;
    // When/then each is refused
    EXPECT_TRUE(RejectsWith(request, "Container.image contains invalid characters.")) << image;
  }
  // And registry hosts with ports, digests and '#' are fine
  for (const std::string image :
       {"localhost:4566/team/app:1.0", "busybox@sha256:0123abcd", "repo/app#tag"}) {
    json request = Ec2Request();
    request["containerDefinitions"][0]["image"] = image;
    EXPECT_NO_THROW(NormaliseTaskDefinition(request)) << image;
  }
}

TEST(TaskDefinitionRulesTest, ContainerNamesMustBeUnique) {
  // Given two containers named "app"
  json request = Ec2Request();
  request["containerDefinitions"].push_back(Container("app", "redis"));
  // When/then
  EXPECT_TRUE(RejectsWith(request, "Container names must be unique within a Task Definition."));
}

TEST(TaskDefinitionRulesTest, AtLeastOneContainerIsEssential) {
  // Given only non-essential containers
  json request = Ec2Request();
  request["containerDefinitions"][0]["essential"] = false;
  request["containerDefinitions"].push_back(Container("side"));
  request["containerDefinitions"][1]["essential"] = false;
  // When/then
  EXPECT_TRUE(RejectsWith(request, "Task definition doesn't have any essential container."));
  // And a container that omits essential counts as essential
  request["containerDefinitions"][1].erase("essential");
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

TEST(TaskDefinitionRulesTest, Ec2ContainersNeedMemoryUnlessTheTaskHasIt) {
  // Given an EC2 container with neither memory nor memoryReservation
  json request = Ec2Request();
  request["containerDefinitions"][0].erase("memory");
  // When/then it is refused
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid setting for container 'app'. At least one of 'memory' or "
                          "'memoryReservation' must be specified."));
  // And memoryReservation alone, or task-level memory, is enough
  json reservation = request;
  reservation["containerDefinitions"][0]["memoryReservation"] = 64;
  EXPECT_NO_THROW(NormaliseTaskDefinition(reservation));
  json task_memory = request;
  task_memory["memory"] = "512";
  EXPECT_NO_THROW(NormaliseTaskDefinition(task_memory));
}

TEST(TaskDefinitionRulesTest, ContainerMemoryIsAtLeastTheReservation) {
  // Given memory below memoryReservation
  json request = Ec2Request();
  request["containerDefinitions"][0]["memoryReservation"] = 1024;
  // When/then it is refused
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid setting for container 'app'. 'memory' must be greater than or "
                          "equal to 'memoryReservation'."));
  // And equal values are fine
  request["containerDefinitions"][0]["memoryReservation"] = 512;
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

TEST(TaskDefinitionRulesTest, ContainerSizesAndPortsStayInRange) {
  const auto with = [](const char* key, const json& value) {
    json request = Ec2Request();
    request["containerDefinitions"][0][key] = value;
    return request;
  };
  EXPECT_TRUE(RejectsWith(with("memory", 5),
                          "Invalid setting for container 'app'. The 'memory' setting must be at "
                          "least 6 MiB."));
  EXPECT_TRUE(RejectsWith(with("memory", -5),
                          "Invalid setting for container 'app'. The 'memory' setting must be at "
                          "least 6 MiB."));
  EXPECT_TRUE(RejectsWith(with("memoryReservation", 0),
                          "Invalid setting for container 'app'. The 'memoryReservation' setting "
                          "must be at least 6 MiB."));
  EXPECT_TRUE(RejectsWith(with("cpu", -1),
                          "Invalid setting for container 'app'. The 'cpu' setting must not be "
                          "negative."));
  for (const int port : {0, -1, 70000}) {
    EXPECT_TRUE(RejectsWith(with("portMappings", {{{"containerPort", port}}}),
                            "Invalid setting for container 'app'. 'containerPort' must be between "
                            "1 and 65535."))
        << port;
  }
  EXPECT_TRUE(RejectsWith(with("portMappings", {{{"containerPort", 80}, {"hostPort", 99999}}}),
                          "Invalid setting for container 'app'. 'hostPort' must be between 0 and "
                          "65535."));
  EXPECT_NO_THROW(NormaliseTaskDefinition(with("memory", 6)));
  EXPECT_NO_THROW(
      NormaliseTaskDefinition(with("portMappings", {{{"containerPort", 65535}, {"hostPort", 0}}})));
}

TEST(TaskDefinitionRulesTest, EphemeralStorageIsTwentyOneToTwoHundredGiB) {
  json request = FargateRequest();
  for (const int size : {5, 20, 201}) {
    request["ephemeralStorage"] = {{"sizeInGiB", size}};
    EXPECT_TRUE(RejectsWith(request,
                            "Invalid 'ephemeralStorage' setting for task. The 'sizeInGiB' must be "
                            "between 21 and 200."))
        << size;
  }
  request["ephemeralStorage"] = {{"sizeInGiB", 21}};
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

// --- task cpu / memory ------------------------------------------------------

TEST(TaskDefinitionRulesTest, TaskCpuIsNormalisedToUnits) {
  // Given the spellings ECS accepts, when normalised, then they are units
  EXPECT_EQ(NormaliseTaskCpu("1 vCPU"), "1024");
  EXPECT_EQ(NormaliseTaskCpu("1 vcpu"), "1024");
  EXPECT_EQ(NormaliseTaskCpu("1vcpu"), "1024");
  EXPECT_EQ(NormaliseTaskCpu("0.5 vCPU"), "512");
  EXPECT_EQ(NormaliseTaskCpu("0.25 vCPU"), "256");
  EXPECT_EQ(NormaliseTaskCpu("16 vCPU"), "16384");
  EXPECT_EQ(NormaliseTaskCpu("256"), "256");
  EXPECT_EQ(NormaliseTaskCpu(" 0512 "), "512");
}

TEST(TaskDefinitionRulesTest, TaskMemoryIsNormalisedToMiB) {
  // Given the spellings ECS accepts, when normalised, then they are MiB
  EXPECT_EQ(NormaliseTaskMemory("1GB"), "1024");
  EXPECT_EQ(NormaliseTaskMemory("1 GB"), "1024");
  EXPECT_EQ(NormaliseTaskMemory("2gb"), "2048");
  EXPECT_EQ(NormaliseTaskMemory("0.5 GB"), "512");
  EXPECT_EQ(NormaliseTaskMemory("512"), "512");
}

TEST(TaskDefinitionRulesTest, BadTaskCpuIsRefusedWithTheCpuMessage) {
  const std::string message =
      "Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of "
      "the Amazon ECS Developer Guide.";
  // Given unparseable values and EC2 values outside 128-196608 units
  for (const std::string cpu :
       {"", "abc", "1 core", "-256", "1.5", "0.1 vCPU", "127", "196609", "200 vCPU", "1e3"}) {
    json request = Ec2Request();
    request["cpu"] = cpu;
    // When/then each is refused with the cpu message
    EXPECT_TRUE(RejectsWith(request, message)) << cpu;
  }
  // And the range ends are fine
  for (const std::string cpu : {"128", "196608", "192 vCPU"}) {
    json request = Ec2Request();
    request["cpu"] = cpu;
    EXPECT_NO_THROW(NormaliseTaskDefinition(request)) << cpu;
  }
}

TEST(TaskDefinitionRulesTest, BadTaskMemoryIsRefusedWithTheMemoryMessage) {
  const std::string message =
      "Invalid 'memory' setting for task. For more information, see the Troubleshooting section "
      "of the Amazon ECS Developer Guide.";
  for (const std::string memory : {"", "lots", "1 TB", "0", "1.5", "0.0001 GB", "512 MiB"}) {
    json request = Ec2Request();
    request["memory"] = memory;
    EXPECT_TRUE(RejectsWith(request, message)) << memory;
  }
}

TEST(TaskDefinitionRulesTest, NormalisedTaskSizesAreStored) {
  // Given units in the request
  json request = FargateRequest();
  request["cpu"] = "1 vCPU";
  request["memory"] = "2 GB";
  // When normalised
  const json td = NormaliseTaskDefinition(request);
  // Then integer strings are stored
  EXPECT_EQ(td.at("cpu"), "1024");
  EXPECT_EQ(td.at("memory"), "2048");
}

// --- network modes and ports -------------------------------------------------

TEST(TaskDefinitionRulesTest, AwsvpcHostPortDefaultsToContainerPort) {
  // Given an awsvpc port mapping without hostPort or protocol
  json request = Ec2Request();
  request["networkMode"] = "awsvpc";
  request["containerDefinitions"][0]["portMappings"] = {{{"containerPort", 8080}}};
  // When normalised
  const json td = NormaliseTaskDefinition(request);
  // Then hostPort equals containerPort and protocol is tcp
  EXPECT_EQ(td["containerDefinitions"][0]["portMappings"],
            json::parse(R"([{"containerPort":8080,"hostPort":8080,"protocol":"tcp"}])"));
}

TEST(TaskDefinitionRulesTest, AwsvpcHostPortMustEqualContainerPort) {
  json request = Ec2Request();
  request["networkMode"] = "awsvpc";
  request["containerDefinitions"][0]["portMappings"] = {
      {{"containerPort", 80}, {"hostPort", 8080}}};
  EXPECT_TRUE(RejectsWith(request,
                          "When networkMode=awsvpc, the host ports and container ports in port "
                          "mappings must match."));
}

TEST(TaskDefinitionRulesTest, HostModeHostPortMustEqualContainerPort) {
  // Given host mode with a mismatch
  json request = Ec2Request();
  request["networkMode"] = "host";
  request["containerDefinitions"][0]["portMappings"] = {{{"containerPort", 80}, {"hostPort", 81}}};
  EXPECT_TRUE(RejectsWith(request,
                          "When networkMode=host, the host ports and container ports in port "
                          "mappings must match."));
  // And an omitted hostPort becomes the container port
  request["containerDefinitions"][0]["portMappings"][0].erase("hostPort");
  EXPECT_EQ(
      NormaliseTaskDefinition(request)["containerDefinitions"][0]["portMappings"][0]["hostPort"],
      80);
}

TEST(TaskDefinitionRulesTest, BridgeHostPortDefaultsToZero) {
  // Given bridge mode (omitted) with one dynamic and one fixed mapping
  json request = Ec2Request();
  request["containerDefinitions"][0]["portMappings"] = {
      {{"containerPort", 80}}, {{"containerPort", 53}, {"hostPort", 5353}, {"protocol", "udp"}}};
  // When normalised
  const json td = NormaliseTaskDefinition(request);
  // Then the dynamic one has hostPort 0 and both have a protocol
  EXPECT_EQ(td["containerDefinitions"][0]["portMappings"],
            json::parse(R"([{"containerPort":80,"hostPort":0,"protocol":"tcp"},
                            {"containerPort":53,"hostPort":5353,"protocol":"udp"}])"));
}

TEST(TaskDefinitionRulesTest, NoneModeRefusesPortMappings) {
  json request = Ec2Request();
  request["networkMode"] = "none";
  request["containerDefinitions"][0]["portMappings"] = {{{"containerPort", 80}}};
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid setting for container 'app'. Port mappings are not supported "
                          "when networkMode=none."));
}

TEST(TaskDefinitionRulesTest, LinksOnlyInBridgeMode) {
  // Given a link in awsvpc mode
  json request = Ec2Request();
  request["containerDefinitions"].push_back(Container("db", "postgres"));
  request["containerDefinitions"][0]["links"] = {"db"};
  json awsvpc = request;
  awsvpc["networkMode"] = "awsvpc";
  // When/then it is refused, and bridge (explicit or omitted) accepts it
  EXPECT_TRUE(RejectsWith(awsvpc,
                          "Invalid setting for container 'app'. 'links' are not supported when "
                          "networkMode=awsvpc."));
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
  request["networkMode"] = "bridge";
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

TEST(TaskDefinitionRulesTest, HostnameNotWithAwsvpc) {
  json request = Ec2Request();
  request["networkMode"] = "awsvpc";
  request["containerDefinitions"][0]["hostname"] = "web";
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid setting for container 'app'. 'hostname' is not supported when "
                          "networkMode=awsvpc."));
}

TEST(TaskDefinitionRulesTest, ExtraHostsNotWithAwsvpc) {
  json request = Ec2Request();
  request["networkMode"] = "awsvpc";
  request["containerDefinitions"][0]["extraHosts"] = {
      {{"hostname", "db"}, {"ipAddress", "10.0.0.1"}}};
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid setting for container 'app'. 'extraHosts' is not supported "
                          "when networkMode=awsvpc."));
}

TEST(TaskDefinitionRulesTest, ContainerPortAndProtocolAreUniquePerContainer) {
  // Given port 80/tcp twice (once with the default protocol)
  json request = Ec2Request();
  request["containerDefinitions"][0]["portMappings"] = {
      {{"containerPort", 80}}, {{"containerPort", 80}, {"protocol", "tcp"}, {"hostPort", 8080}}};
  // When/then it is refused
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid setting for container 'app'. Container port 80/tcp is mapped "
                          "more than once."));
  // And the same port on two protocols is fine
  request["containerDefinitions"][0]["portMappings"][1]["protocol"] = "udp";
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

TEST(TaskDefinitionRulesTest, TwoContainersCannotShareAPortInAwsvpcOrHostMode) {
  // Given two containers both on 80/tcp
  json request = Ec2Request();
  request["containerDefinitions"].push_back(Container("side"));
  request["containerDefinitions"][0]["portMappings"] = {{{"containerPort", 80}}};
  request["containerDefinitions"][1]["portMappings"] = {{{"containerPort", 80}}};
  // When/then bridge mode accepts it (dynamic host ports) ...
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
  // ... and awsvpc and host modes refuse it
  for (const std::string mode : {"awsvpc", "host"}) {
    request["networkMode"] = mode;
    EXPECT_TRUE(RejectsWith(request, "When networkMode=" + mode +
                                         ", containers 'app' and 'side' cannot both use port "
                                         "80/tcp."));
  }
}

// --- Fargate ------------------------------------------------------------------

TEST(TaskDefinitionRulesTest, FargateNeedsAwsvpc) {
  // Given Fargate with bridge mode, and with no network mode
  json bridge = FargateRequest();
  bridge["networkMode"] = "bridge";
  json omitted = FargateRequest();
  omitted.erase("networkMode");
  // When/then both are refused
  EXPECT_TRUE(RejectsWith(bridge, "Fargate only supports network mode \u2018awsvpc\u2019."));
  EXPECT_TRUE(RejectsWith(omitted, "Fargate only supports network mode \u2018awsvpc\u2019."));
}

TEST(TaskDefinitionRulesTest, FargateNeedsTaskCpu) {
  json request = FargateRequest();
  request.erase("cpu");
  EXPECT_TRUE(RejectsWith(request, "Fargate requires that 'cpu' be defined at the task level."));
}

TEST(TaskDefinitionRulesTest, FargateNeedsTaskMemory) {
  json request = FargateRequest();
  request.erase("memory");
  EXPECT_TRUE(RejectsWith(request, "Fargate requires that 'memory' be defined at the task level."));
}

TEST(TaskDefinitionRulesTest, FargateNeedsAValidTaskSize) {
  // Given a valid cpu with a memory Fargate does not pair with it
  for (const auto& [cpu, memory] : std::vector<std::pair<std::string, std::string>>{
           {"256", "4096"}, {"256", "1536"}, {"512", "512"}, {"1024", "2560"}, {"8192", "18432"}}) {
    json request = FargateRequest();
    request["cpu"] = cpu;
    request["memory"] = memory;
    // When/then
    EXPECT_TRUE(RejectsWith(request, "No Fargate configuration exists for given values."))
        << cpu << "/" << memory;
  }
  // And a cpu that is no Fargate size gets the cpu message
  json request = FargateRequest();
  request["cpu"] = "384";
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid 'cpu' setting for task. For more information, see the "
                          "Troubleshooting section of the Amazon ECS Developer Guide."));
}

TEST(TaskDefinitionRulesTest, FargateTaskSizeTable) {
  EXPECT_TRUE(IsFargateTaskSize(256, 512));
  EXPECT_TRUE(IsFargateTaskSize(256, 2048));
  EXPECT_FALSE(IsFargateTaskSize(256, 3072));
  EXPECT_TRUE(IsFargateTaskSize(512, 4096));
  EXPECT_TRUE(IsFargateTaskSize(1024, 2048));
  EXPECT_FALSE(IsFargateTaskSize(1024, 1024));
  EXPECT_TRUE(IsFargateTaskSize(4096, 30720));
  EXPECT_FALSE(IsFargateTaskSize(4096, 31744));
  EXPECT_TRUE(IsFargateTaskSize(8192, 61440));
  EXPECT_FALSE(IsFargateTaskSize(8192, 17408));
  EXPECT_TRUE(IsFargateTaskSize(16384, 122880));
  EXPECT_FALSE(IsFargateTaskSize(16384, 36864));
  EXPECT_FALSE(IsFargateTaskSize(128, 512));
}

TEST(TaskDefinitionRulesTest, FargateAwslogsNeedsAnExecutionRole) {
  json request = FargateRequest();
  request["containerDefinitions"][0]["logConfiguration"] = {
      {"logDriver", "awslogs"}, {"options", {{"awslogs-group", "/ecs/web"}}}};
  EXPECT_TRUE(RejectsWith(request,
                          "Fargate requires task definition to have execution role ARN to support "
                          "log driver awslogs."));
  request["executionRoleArn"] = "arn:aws:iam::000000000000:role/exec";
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

TEST(TaskDefinitionRulesTest, FargatePrivateEcrImageNeedsAnExecutionRole) {
  // Given an AWS ECR image without an execution role
  json request = FargateRequest();
  request["containerDefinitions"][0]["image"] =
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1";
  EXPECT_TRUE(RejectsWith(request,
                          "Fargate requires task definition to have execution role ARN to support "
                          "ECR images."));
  // And Berth's own registry needs none
  request["containerDefinitions"][0]["image"] = "localhost:4566/team/app:1";
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

TEST(TaskDefinitionRulesTest, FargateRefusesHostVolumes) {
  json request = FargateRequest();
  request["volumes"] = {{{"name", "data"}, {"host", {{"sourcePath", "/srv/data"}}}}};
  EXPECT_TRUE(RejectsWith(request,
                          "Fargate does not support host volumes with a 'sourcePath' (volume "
                          "'data')."));
  // And a host volume without sourcePath (task storage) is fine
  request["volumes"][0]["host"] = json::object();
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

TEST(TaskDefinitionRulesTest, FargateRefusesDockerVolumes) {
  json request = FargateRequest();
  request["volumes"] = {{{"name", "data"}, {"dockerVolumeConfiguration", {{"scope", "task"}}}}};
  EXPECT_TRUE(RejectsWith(request,
                          "Fargate does not support 'dockerVolumeConfiguration' (volume 'data')."));
}

TEST(TaskDefinitionRulesTest, FargateRefusesPrivilegedContainers) {
  json request = FargateRequest();
  request["containerDefinitions"][0]["privileged"] = true;
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid setting for container 'app'. Fargate does not support "
                          "privileged containers."));
}

TEST(TaskDefinitionRulesTest, FargateRefusesDevices) {
  json request = FargateRequest();
  request["containerDefinitions"][0]["linuxParameters"] = {
      {"devices", {{{"hostPath", "/dev/fuse"}}}}};
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid setting for container 'app'. Fargate does not support "
                          "'linuxParameters.devices'."));
}

TEST(TaskDefinitionRulesTest, FargateRefusesHostPidMode) {
  json request = FargateRequest();
  request["pidMode"] = "host";
  EXPECT_TRUE(RejectsWith(request,
                          "Tasks using the Fargate launch type do not support pidMode 'host'. "
                          "The supported value for pidMode is 'task'."));
  request["pidMode"] = "task";
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

TEST(TaskDefinitionRulesTest, FargateRefusesIpcMode) {
  json request = FargateRequest();
  request["ipcMode"] = "task";
  EXPECT_TRUE(RejectsWith(request, "Fargate does not support 'ipcMode'."));
}

TEST(TaskDefinitionRulesTest, FargateTimeoutsAreTwoToOneHundredTwentySeconds) {
  for (const char* member : {"startTimeout", "stopTimeout"}) {
    for (const int64_t seconds : {int64_t{1}, int64_t{121}}) {
      json request = FargateRequest();
      request["containerDefinitions"][0][member] = seconds;
      EXPECT_TRUE(RejectsWith(request, std::string("Invalid setting for container 'app'. On "
                                                   "Fargate, '") +
                                           member + "' must be between 2 and 120 seconds."));
    }
    json request = FargateRequest();
    request["containerDefinitions"][0][member] = 120;
    EXPECT_NO_THROW(NormaliseTaskDefinition(request));
  }
  // And EC2 definitions are not held to the Fargate range
  json ec2 = Ec2Request();
  ec2["containerDefinitions"][0]["stopTimeout"] = 300;
  EXPECT_NO_THROW(NormaliseTaskDefinition(ec2));
}

TEST(TaskDefinitionRulesTest, FargateContainerMemoryFitsTheTask) {
  // Given two containers whose hard limits add up to more than the task
  json request = FargateRequest();
  request["containerDefinitions"][0]["memory"] = 384;
  request["containerDefinitions"].push_back(Container("side"));
  request["containerDefinitions"][1]["memory"] = 256;
  // When/then
  EXPECT_TRUE(RejectsWith(request,
                          "The sum of the containers' 'memory' values (640 MiB) exceeds the "
                          "task's 'memory' (512 MiB)."));
  // And exactly the task memory is fine
  request["containerDefinitions"][1]["memory"] = 128;
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

TEST(TaskDefinitionRulesTest, FargateContainerCpuFitsTheTask) {
  json request = FargateRequest();
  request["containerDefinitions"][0]["cpu"] = 512;
  EXPECT_TRUE(RejectsWith(request,
                          "The sum of the containers' 'cpu' values (512) exceeds the task's 'cpu' "
                          "(256)."));
}

// --- dependsOn ----------------------------------------------------------------

json TwoContainers() {
  json request = Ec2Request();
  request["containerDefinitions"].push_back(Container("init"));
  return request;
}

TEST(TaskDefinitionRulesTest, DependencyMustExist) {
  json request = TwoContainers();
  request["containerDefinitions"][0]["dependsOn"] = {
      {{"containerName", "db"}, {"condition", "START"}}};
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid setting for container 'app'. The dependency container 'db' "
                          "does not exist."));
}

TEST(TaskDefinitionRulesTest, ContainerCannotDependOnItself) {
  json request = TwoContainers();
  request["containerDefinitions"][0]["dependsOn"] = {
      {{"containerName", "app"}, {"condition", "START"}}};
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid setting for container 'app'. A container cannot depend on "
                          "itself."));
}

TEST(TaskDefinitionRulesTest, DependenciesCannotFormACycle) {
  // Given app -> init -> app
  json request = TwoContainers();
  request["containerDefinitions"][0]["dependsOn"] = {
      {{"containerName", "init"}, {"condition", "START"}}};
  request["containerDefinitions"][1]["dependsOn"] = {
      {{"containerName", "app"}, {"condition", "START"}}};
  // When/then
  EXPECT_TRUE(RejectsWith(request,
                          "The container dependencies (dependsOn) contain a cycle through "
                          "container 'app'."));
}

TEST(TaskDefinitionRulesTest, SuccessAndCompleteTargetsMustNotBeEssential) {
  for (const char* condition : {"SUCCESS", "COMPLETE"}) {
    // Given app waits for init, which is essential by default
    json request = TwoContainers();
    request["containerDefinitions"][0]["dependsOn"] = {
        {{"containerName", "init"}, {"condition", condition}}};
    // When/then it is refused
    EXPECT_TRUE(RejectsWith(request,
                            "A dependency container with SUCCESS or COMPLETE condition cannot be "
                            "an essential container"))
        << condition;
    // And a non-essential init is fine
    request["containerDefinitions"][1]["essential"] = false;
    EXPECT_NO_THROW(NormaliseTaskDefinition(request)) << condition;
  }
}

TEST(TaskDefinitionRulesTest, HealthyTargetsNeedAHealthCheck) {
  json request = TwoContainers();
  request["containerDefinitions"][0]["dependsOn"] = {
      {{"containerName", "init"}, {"condition", "HEALTHY"}}};
  EXPECT_TRUE(RejectsWith(request,
                          "A dependency container with HEALTHY condition must have a healthCheck "
                          "(container 'init')."));
  request["containerDefinitions"][1]["healthCheck"] = {{"command", {"CMD", "true"}}};
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

// --- health checks ----------------------------------------------------------

TEST(TaskDefinitionRulesTest, HealthCheckValuesStayInRange) {
  struct Case {
    const char* member;
    int64_t bad_low;
    int64_t bad_high;
    std::string range;
  };
  for (const Case& c : {Case{"interval", 4, 301, "between 5 and 300 seconds."},
                        Case{"timeout", 1, 61, "between 2 and 60 seconds."},
                        Case{"retries", 0, 11, "between 1 and 10."},
                        Case{"startPeriod", -1, 301, "between 0 and 300 seconds."}}) {
    for (const int64_t value : {c.bad_low, c.bad_high}) {
      json request = Ec2Request();
      request["containerDefinitions"][0]["healthCheck"] = {{"command", {"CMD-SHELL", "true"}},
                                                           {c.member, value}};
      EXPECT_TRUE(RejectsWith(request, std::string("Invalid setting for container 'app'. "
                                                   "healthCheck.") +
                                           c.member + " must be " + c.range))
          << c.member << "=" << value;
    }
  }
  json request = Ec2Request();
  request["containerDefinitions"][0]["healthCheck"] = {{"command", {"CMD-SHELL", "true"}},
                                                       {"interval", 5},
                                                       {"timeout", 60},
                                                       {"retries", 10},
                                                       {"startPeriod", 0}};
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

// --- volumes ------------------------------------------------------------------

TEST(TaskDefinitionRulesTest, MountPointsNameADeclaredVolume) {
  json request = Ec2Request();
  request["containerDefinitions"][0]["mountPoints"] = {
      {{"sourceVolume", "data"}, {"containerPath", "/data"}}};
  EXPECT_TRUE(RejectsWith(request,
                          "Invalid setting for container 'app'. The mount point's sourceVolume "
                          "'data' does not name a volume of the task definition."));
  request["volumes"] = {{{"name", "data"}}};
  EXPECT_NO_THROW(NormaliseTaskDefinition(request));
}

TEST(TaskDefinitionRulesTest, VolumeNamesAreUnique) {
  json request = Ec2Request();
  request["volumes"] = {{{"name", "data"}}, {{"name", "data"}, {"host", {{"sourcePath", "/x"}}}}};
  EXPECT_TRUE(RejectsWith(request, "Volume names must be unique within a Task Definition."));
}

// --- normalisation ------------------------------------------------------------

TEST(TaskDefinitionRulesTest, SharedTestdataNormalisesLikeEcs) {
  // Given ecs_task.json with account 000000000000 and region us-east-1
  const json request = SharedEcsTask();
  // When normalised
  const json td = NormaliseTaskDefinition(request);
  // Then the document is what ECS echoes back (minus the stored fields)
  const json expected = json::parse(R"json({
    "family": "poc-task",
    "taskRoleArn": "arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
    "executionRoleArn": "arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
    "networkMode": "awsvpc",
    "containerDefinitions": [{
      "name": "getting-started-container",
      "image": "000000000000.dkr.ecr.us-east-1.amazonaws.com/test-repo:latest",
      "cpu": 0,
      "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
      "essential": true,
      "environment": [],
      "mountPoints": [],
      "volumesFrom": [],
      "systemControls": [],
      "interactive": true,
      "pseudoTerminal": true
    }],
    "volumes": [],
    "placementConstraints": [],
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "512",
    "memory": "1024",
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    "compatibilities": ["EC2", "FARGATE"],
    "requiresAttributes": [
      {"name": "com.amazonaws.ecs.capability.ecr-auth"},
      {"name": "com.amazonaws.ecs.capability.task-iam-role"},
      {"name": "ecs.capability.execution-role-ecr-pull"},
      {"name": "ecs.capability.task-eni"}
    ]
  })json");
  EXPECT_EQ(td, expected) << td.dump(2);
}

TEST(TaskDefinitionRulesTest, ContainerDefaultsAreMaterialised) {
  // Given a bare EC2 container
  const json td = NormaliseTaskDefinition(Ec2Request());
  // Then essential, cpu and the lists appear, and nothing is invented at task level
  EXPECT_EQ(td["containerDefinitions"][0], json::parse(R"({
    "name": "app", "image": "nginx:latest", "memory": 512, "essential": true, "cpu": 0,
    "portMappings": [], "environment": [], "mountPoints": [], "volumesFrom": [],
    "systemControls": []})"));
  EXPECT_EQ(td["volumes"], json::array());
  EXPECT_EQ(td["placementConstraints"], json::array());
  EXPECT_FALSE(td.contains("networkMode"));
  EXPECT_FALSE(td.contains("requiresCompatibilities"));
  EXPECT_FALSE(td.contains("cpu"));
  EXPECT_FALSE(td.contains("memory"));
}

TEST(TaskDefinitionRulesTest, GivenMembersAreEchoedAndTagsDropped) {
  // Given explicit values for defaulted members, and tags
  json request = Ec2Request();
  request["containerDefinitions"][0]["cpu"] = 128;
  request["containerDefinitions"][0]["essential"] = true;
  request["containerDefinitions"][0]["environment"] = {{{"name", "A"}, {"value", "1"}}};
  request["placementConstraints"] = {{{"type", "memberOf"}, {"expression", "attribute:x == y"}}};
  request["tags"] = {{{"key", "team"}, {"value", "web"}}};
  request["requiresCompatibilities"] = {"EC2"};
  // When normalised
  const json td = NormaliseTaskDefinition(request);
  // Then they are kept, and tags are not part of the document
  EXPECT_EQ(td["containerDefinitions"][0]["cpu"], 128);
  EXPECT_EQ(td["containerDefinitions"][0]["environment"],
            request["containerDefinitions"][0]["environment"]);
  EXPECT_EQ(td["placementConstraints"], request["placementConstraints"]);
  EXPECT_EQ(td["requiresCompatibilities"], json({"EC2"}));
  EXPECT_FALSE(td.contains("tags"));
}

// --- compatibilities and requiresAttributes ---------------------------------

TEST(TaskDefinitionRulesTest, CompatibilitiesFollowNetworkModeAndFargateRules) {
  // Bridge (omitted or explicit), host and none: EXTERNAL and EC2
  const json external = json({"EXTERNAL", "EC2"});
  EXPECT_EQ(NormaliseTaskDefinition(Ec2Request())["compatibilities"], external);
  for (const char* mode : {"bridge", "host", "none"}) {
    json request = Ec2Request();
    request["networkMode"] = mode;
    EXPECT_EQ(NormaliseTaskDefinition(request)["compatibilities"], external) << mode;
  }
  // awsvpc without a Fargate task size: EC2 only
  json awsvpc = Ec2Request();
  awsvpc["networkMode"] = "awsvpc";
  EXPECT_EQ(NormaliseTaskDefinition(awsvpc)["compatibilities"], json({"EC2"}));
  // awsvpc with a Fargate size but a Fargate-forbidden feature: EC2 only
  json privileged = awsvpc;
  privileged["cpu"] = "256";
  privileged["memory"] = "512";
  privileged["containerDefinitions"][0]["privileged"] = true;
  EXPECT_EQ(NormaliseTaskDefinition(privileged)["compatibilities"], json({"EC2"}));
  // awsvpc meeting every Fargate rule, even without asking for Fargate: both
  json fargate_ready = privileged;
  fargate_ready["containerDefinitions"][0].erase("privileged");
  EXPECT_EQ(NormaliseTaskDefinition(fargate_ready)["compatibilities"], json({"EC2", "FARGATE"}));
  // Fargate requested
  EXPECT_EQ(NormaliseTaskDefinition(FargateRequest())["compatibilities"], json({"EC2", "FARGATE"}));
}

json AttributeNames(const json& td) {
  json names = json::array();
  for (const auto& attribute : td.at("requiresAttributes")) names.push_back(attribute.at("name"));
  return names;
}

TEST(TaskDefinitionRulesTest, RequiresAttributesForBridgeWithAwslogs) {
  // Given a bridge definition using awslogs, no roles, a Docker Hub image
  json request = Ec2Request();
  request["containerDefinitions"][0]["logConfiguration"] = {{"logDriver", "awslogs"}};
  // When/then
  EXPECT_EQ(AttributeNames(NormaliseTaskDefinition(request)),
            json({"com.amazonaws.ecs.capability.logging-driver.awslogs",
                  "com.amazonaws.ecs.capability.docker-remote-api.1.19"}));
}

TEST(TaskDefinitionRulesTest, RequiresAttributesForAwsvpcWithEveryFeature) {
  // Given awsvpc, both roles, a Berth registry image, awslogs and json-file,
  // a health check and a dependency
  json request = Ec2Request();
  request["networkMode"] = "awsvpc";
  request["taskRoleArn"] = "arn:aws:iam::000000000000:role/task";
  request["executionRoleArn"] = "arn:aws:iam::000000000000:role/exec";
  request["containerDefinitions"][0]["image"] = "localhost:4566/app:1";
  request["containerDefinitions"][0]["logConfiguration"] = {{"logDriver", "awslogs"}};
  request["containerDefinitions"][0]["dependsOn"] = {
      {{"containerName", "side"}, {"condition", "HEALTHY"}}};
  json side = Container("side");
  side["logConfiguration"] = {{"logDriver", "json-file"}};
  side["healthCheck"] = {{"command", {"CMD", "true"}}};
  request["containerDefinitions"].push_back(side);
  // When/then each feature appears once, in the fixed order
  EXPECT_EQ(
      AttributeNames(NormaliseTaskDefinition(request)),
      json({"com.amazonaws.ecs.capability.ecr-auth", "com.amazonaws.ecs.capability.task-iam-role",
            "ecs.capability.execution-role-ecr-pull",
            "com.amazonaws.ecs.capability.logging-driver.awslogs",
            "com.amazonaws.ecs.capability.logging-driver.json-file",
            "com.amazonaws.ecs.capability.docker-remote-api.1.19",
            "ecs.capability.execution-role-awslogs", "ecs.capability.task-eni",
            "ecs.capability.container-health-check", "ecs.capability.container-ordering"}));
}

TEST(TaskDefinitionRulesTest, RequiresAttributesForFargateWithAwslogs) {
  // Given a Fargate definition with an AWS ECR image and awslogs
  json request = FargateRequest();
  request["executionRoleArn"] = "arn:aws:iam::000000000000:role/exec";
  request["containerDefinitions"][0]["image"] = "000000000000.dkr.ecr.us-east-1.amazonaws.com/app";
  request["containerDefinitions"][0]["logConfiguration"] = {{"logDriver", "awslogs"}};
  // When/then
  EXPECT_EQ(AttributeNames(NormaliseTaskDefinition(request)),
            json({"com.amazonaws.ecs.capability.ecr-auth", "ecs.capability.execution-role-ecr-pull",
                  "com.amazonaws.ecs.capability.logging-driver.awslogs",
                  "com.amazonaws.ecs.capability.docker-remote-api.1.19",
                  "ecs.capability.execution-role-awslogs", "ecs.capability.task-eni"}));
}

TEST(TaskDefinitionRulesTest, PlainDefinitionRequiresNothing) {
  EXPECT_EQ(NormaliseTaskDefinition(Ec2Request())["requiresAttributes"], json::array());
}

TEST(TaskDefinitionRulesTest, RecognisesEcrImages) {
  EXPECT_TRUE(IsAwsEcrImage("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"));
  EXPECT_TRUE(IsAwsEcrImage("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app"));
  EXPECT_FALSE(IsAwsEcrImage("12345678901.dkr.ecr.us-east-1.amazonaws.com/app"));
  EXPECT_FALSE(IsAwsEcrImage("public.ecr.aws/nginx/nginx:latest"));
  EXPECT_FALSE(IsAwsEcrImage("localhost:4566/app"));
  EXPECT_TRUE(IsAwsEcrImage("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app"));
  EXPECT_FALSE(IsAwsEcrImage("123456789012.dkr.ecr.us-east-1.amazonaws.com/"));
  EXPECT_FALSE(IsAwsEcrImage("123456789012.dkr.ecr..amazonaws.com/app"));
  EXPECT_FALSE(IsAwsEcrImage("123456789012.dkr.ecr.US-EAST-1.amazonaws.com/app"));
  EXPECT_FALSE(IsAwsEcrImage("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil/app"));
  EXPECT_FALSE(IsAwsEcrImage("x123456789012.dkr.ecr.us-east-1.amazonaws.com/app"));
  EXPECT_TRUE(IsEcrImage("localhost:4566/app"));
  EXPECT_TRUE(IsEcrImage("127.0.0.1:4566/team/app:1"));
  EXPECT_FALSE(IsEcrImage("nginx:latest"));
  EXPECT_FALSE(IsEcrImage("library/nginx:1.25"));
  EXPECT_FALSE(IsEcrImage("ghcr.io/org/app:1"));
}

}  // namespace
}  // namespace berth::ecs
