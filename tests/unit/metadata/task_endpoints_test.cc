// The reconciler's part of the task endpoints: the pause container that gives
// an awsvpc task its own 169.254.170.2 before any container of the task
// starts, the variables every container gets, the ids registered for the
// metadata handler, and what is recorded where the endpoints are not offered.

#include <algorithm>

#include "tests/unit/metadata/metadata_fixture.h"

namespace berth::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST_F(TaskEndpointsTest, PauseRelaysTheAddressBeforeAnyContainerOfTheTaskIsCreated) {
  const std::string arn = RunningAwsvpcTask("web");
  const json runtime = Runtime(arn);
  const std::string gateway = runtime["pause"].value("gateway", "");
  ASSERT_FALSE(gateway.empty()) << runtime.dump();

  const auto pause = docker_.SpecOf(runtime["pause"].value("id", ""));
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->command, (std::vector<std::string>{"relay", gateway, "4566"}));
  EXPECT_EQ(pause->cap_add, std::vector<std::string>{"NET_ADMIN"});
  EXPECT_THAT(listened_, Contains(gateway));
  // Only the pause has the capability: the app cannot change the address.
  const auto app = docker_.SpecOf(DockerId(arn, "app"));
  ASSERT_TRUE(app);
  EXPECT_TRUE(app->cap_add.empty());

  // Berth read the pause's readiness line before it created the app.
  const auto calls = docker_.CallStrings();
  const auto ready = std::find_if(calls.begin(), calls.end(), [](const std::string& c) {
    return c.starts_with("ContainerOutput(");
  });
  const auto created = std::find_if(calls.begin(), calls.end(), [](const std::string& c) {
    return c.starts_with("CreateContainer(ecs-web-1-app-");
  });
  ASSERT_NE(ready, calls.end());
  ASSERT_NE(created, calls.end());
  EXPECT_LT(ready - calls.begin(), created - calls.begin());
  EXPECT_EQ(Task(arn)["lastStatus"], "RUNNING");
}

TEST_F(TaskEndpointsTest, EveryContainerGetsItsEndpointVariables) {
  const std::string arn = RunningAwsvpcTask("web");
  const std::string task_id = arn.substr(arn.rfind('/') + 1);
  const json runtime = Runtime(arn);
  const std::string endpoint_id = runtime["endpointIds"].value("app", "");
  EXPECT_THAT(endpoint_id, StartsWith(task_id + "-"));
  EXPECT_EQ(endpoint_id.size(), task_id.size() + 11);
  EXPECT_EQ(EnvOf(arn, "app", "ECS_CONTAINER_METADATA_URI_V4"),
            "http://169.254.170.2/v4/" + endpoint_id);
  EXPECT_EQ(EnvOf(arn, "app", "ECS_CONTAINER_METADATA_URI"),
            "http://169.254.170.2/v3/" + endpoint_id);
  EXPECT_EQ(EnvOf(arn, "app", "ECS_AGENT_URI"), "http://169.254.170.2/api/" + endpoint_id);
  EXPECT_EQ(EnvOf(arn, "app", "AWS_ENDPOINT_URL"),
            "http://" + runtime["pause"].value("gateway", "") + ":4566");
  // No task role: no credentials.
  EXPECT_EQ(EnvOf(arn, "app", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), "<unset>");
  const auto target = endpoints_.ByEndpointId(endpoint_id);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->task_id, task_id);
  EXPECT_EQ(target->container, "app");
  EXPECT_EQ(target->source_address, runtime["pause"].value("ip", ""));
}

TEST_F(TaskEndpointsTest, ATaskRoleGivesCredentialsAndTheOverrideWins) {
  EcsOk("RegisterTaskDefinition", {{"family", "r"},
                                   {"networkMode", "awsvpc"},
                                   {"taskRoleArn", "arn:aws:iam::000000000000:role/td-role"},
                                   {"executionRoleArn", "arn:aws:iam::000000000000:role/exec"},
                                   {"containerDefinitions", {Container("app")}}});
  const std::string arn =
      Run("r", {{"networkConfiguration", {{"awsvpcConfiguration", {{"subnets", {"subnet-1"}}}}}},
                {"overrides", {{"taskRoleArn", "arn:aws:iam::000000000000:role/override"}}}});
  Pass(3);
  const json runtime = Runtime(arn);
  const std::string credentials_id = runtime.value("credentialsId", "");
  ASSERT_EQ(credentials_id.size(), 36u) << runtime.dump();
  EXPECT_EQ(runtime.value("taskRoleArn", ""), "arn:aws:iam::000000000000:role/override");
  EXPECT_EQ(EnvOf(arn, "app", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
            "/v2/credentials/" + credentials_id);
  ASSERT_TRUE(endpoints_.ByCredentialsId(credentials_id));
  // The execution role is never handed to containers.
  const auto spec = docker_.SpecOf(DockerId(arn, "app"));
  for (const auto& e : spec->env) EXPECT_THAT(e, ::testing::Not(HasSubstr("exec")));
}

TEST_F(TaskEndpointsTest, ADefinitionMayPointTheSdkElsewhere) {
  const std::string arn = RunningAwsvpcTask(
      "own", {{"containerDefinitions",
               {Container("app", {{"environment",
                                   {{{"name", "AWS_ENDPOINT_URL"}, {"value", "http://x:1"}}}}})}}});
  EXPECT_EQ(EnvOf(arn, "app", "AWS_ENDPOINT_URL"), "http://x:1");
}

TEST_F(TaskEndpointsTest, APauseThatCannotSetUpTheAddressFailsTheTaskAndNoContainerStarts) {
  ContainerScript failing;
  failing.exit_on_start = 3;
  docker_.ScriptImage(docker::kPauseImage, failing);
  const std::string arn = RunningAwsvpcTask("web");
  const json task = Task(arn);
  EXPECT_EQ(task["desiredStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "TaskFailedToStart");
  EXPECT_THAT(task.value("stoppedReason", ""),
              StartsWith("ResourceInitializationError: failed to set up the task endpoints "
                         "address 169.254.170.2 in the task's network namespace"));
  EXPECT_EQ(DockerId(arn, "app"), "");
}

TEST_F(TaskEndpointsTest, WithoutTheRedirectTheEndpointsAreNotOfferedButTheTaskRuns) {
  ContainerScript no_nat;
  no_nat.output = {
      {docker::LogSource::kStdout, "berth-pause: no-endpoints: no nfnetlink socket\n"}};
  docker_.ScriptImage(docker::kPauseImage, no_nat);
  const std::string arn = RunningAwsvpcTask("web");
  const json runtime = Runtime(arn);
  EXPECT_FALSE(runtime.contains("endpointIds"));
  EXPECT_EQ(EnvOf(arn, "app", "ECS_CONTAINER_METADATA_URI_V4"), "<unset>");
  EXPECT_THAT(runtime["notes"].dump(),
              HasSubstr("(169.254.170.2) are not offered: no nfnetlink socket"));
  EXPECT_EQ(Task(arn)["lastStatus"], "RUNNING");
}

TEST_F(TaskEndpointsTest, WhereBerthCannotListenTheEndpointsAreNotOfferedAndThatIsRecorded) {
  listen_ok_ = false;
  const std::string arn = RunningAwsvpcTask("web");
  const json runtime = Runtime(arn);
  const auto pause = docker_.SpecOf(runtime["pause"].value("id", ""));
  ASSERT_TRUE(pause);
  // The pause program still makes 169.254.170.2 local to the task's
  // namespace (relaying nothing), so nothing sent there reaches the host's.
  EXPECT_EQ(pause->command, std::vector<std::string>{"local"});
  EXPECT_EQ(pause->cap_add, std::vector<std::string>{"NET_ADMIN"});
  EXPECT_EQ(EnvOf(arn, "app", "ECS_CONTAINER_METADATA_URI_V4"), "<unset>");
  EXPECT_EQ(EnvOf(arn, "app", "AWS_ENDPOINT_URL"), "<unset>");
  EXPECT_THAT(runtime["notes"].dump(), HasSubstr("are not offered: Berth cannot listen on"));
  EXPECT_EQ(Task(arn)["lastStatus"], "RUNNING");
}

TEST_F(TaskEndpointsTest, BridgeAndHostTasksRecordThatTheEndpointsAreNotOffered) {
  Register("b", json::array({Container("app")}), "bridge");
  const std::string bridge = Run("b");
  Register("h", json::array({Container("app")}), "host");
  const std::string host = Run("h");
  Pass(3);
  EXPECT_THAT(Runtime(bridge)["notes"].dump(), HasSubstr("offered to awsvpc tasks only"));
  EXPECT_THAT(Runtime(host)["notes"].dump(),
              HasSubstr("not offered in host network mode: Berth never adds that address"));
  EXPECT_EQ(EnvOf(bridge, "app", "ECS_CONTAINER_METADATA_URI_V4"), "<unset>");
  // Both still reach Berth's API.
  EXPECT_THAT(EnvOf(bridge, "app", "AWS_ENDPOINT_URL"), StartsWith("http://"));
  EXPECT_THAT(EnvOf(bridge, "app", "AWS_ENDPOINT_URL"), HasSubstr(":4566"));
  EXPECT_EQ(EnvOf(host, "app", "AWS_ENDPOINT_URL"), "http://127.0.0.1:4566");
}

TEST_F(TaskEndpointsTest, IdsDieWithTheTaskAndComeBackAfterARestart) {
  const std::string arn = RunningAwsvpcTask("web");
  const std::string endpoint_id = Runtime(arn)["endpointIds"].value("app", "");
  ASSERT_TRUE(endpoints_.ByEndpointId(endpoint_id));

  // A restarted Berth knows the ids again after its first pass.
  endpoints_.Forget(arn.substr(arn.rfind('/') + 1));
  listened_.clear();
  reconciler_ = MakeEndpointReconciler();
  Pass();
  EXPECT_TRUE(endpoints_.ByEndpointId(endpoint_id));
  EXPECT_THAT(listened_, Contains(Runtime(arn)["pause"].value("gateway", "")));

  EcsOk("StopTask", {{"cluster", "c"}, {"task", arn}});
  Pass(3);
  EXPECT_EQ(Task(arn)["lastStatus"], "STOPPED");
  EXPECT_FALSE(endpoints_.ByEndpointId(endpoint_id));
}

}  // namespace
}  // namespace berth::testing
