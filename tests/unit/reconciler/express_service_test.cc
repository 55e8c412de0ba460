// Express gateway services above the Docker seam: the real API (replies
// checked against the model) creates a real service, the ServiceScheduler
// (as the reconciler's control plane) records its task, the reconciler runs
// it on FakeDocker with the primary container's port published on the
// endpoint's port.

#include <cstdlib>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/ecs/service_scheduler.h"
#include "tests/unit/reconciler/reconciler_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kServiceArn = "arn:aws:ecs:us-east-1:000000000000:service/c/web";

class ExpressServiceTest : public ReconcilerTest {
 protected:
  ExpressServiceTest() {
    ecs_services_.SetWaker([this] { scheduler_.MarkAllDirty(); });
    reconciler_->SetControlPlane([this] { return scheduler_.Pass(); });
    reconciler_->SetTaskObserver(
        [this](const storage::TaskRecord& t) { scheduler_.TaskChanged(t); });
    docker_.AddImage("app:2");
  }

  json Create() {
    return EcsOk("CreateExpressGatewayService",
                 {{"cluster", "c"},
                  {"serviceName", "web"},
                  {"executionRoleArn", "arn:aws:iam::000000000000:role/exec"},
                  {"infrastructureRoleArn", "arn:aws:iam::000000000000:role/infra"},
                  {"primaryContainer", {{"image", "app:1"}, {"containerPort", 8080}}},
                  {"tags", {{{"key", "team"}, {"value", "a"}}}}})["service"];
  }

  json Describe() {
    return EcsOk("DescribeExpressGatewayService", {{"serviceArn", kServiceArn}})["service"];
  }

  // The running task of the service.
  json RunningTask() {
    const json listed = EcsOk("ListTasks", {{"cluster", "c"}, {"serviceName", "web"}});
    for (const auto& arn : listed["taskArns"]) {
      const json task = Task(arn);
      if (task["lastStatus"] == "RUNNING") return task;
    }
    return json();
  }

  ecs::ServiceScheduler scheduler_{database_, ecs::HostResources{4096, 8192}, clock_};
};

TEST_F(ExpressServiceTest, CreateRunsARealServiceWithThePortPublishedOnTheEndpoint) {
  const json service = Create();
  EXPECT_EQ(service["serviceArn"], kServiceArn);
  EXPECT_EQ(service["cluster"], "c");
  EXPECT_EQ(service["status"]["statusCode"], "ACTIVE");
  EXPECT_EQ(service["tags"][0]["key"], "team");
  const json config = service["activeConfigurations"][0];
  EXPECT_EQ(config["healthCheckPath"], "/ping");
  EXPECT_EQ(config["cpu"], "256");
  EXPECT_EQ(config["memory"], "512");
  EXPECT_EQ(config["scalingTarget"]["minTaskCount"], 1);
  EXPECT_THAT(config["serviceRevisionArn"].get<std::string>(),
              HasSubstr(":service-revision/c/web/"));
  const std::string endpoint = config["ingressPaths"][0]["endpoint"];
  ASSERT_THAT(endpoint, StartsWith("http://127.0.0.1:"));
  const int port = std::atoi(endpoint.substr(17).c_str());
  EXPECT_GT(port, 0);
  EXPECT_THAT(service["currentDeployment"].get<std::string>(),
              HasSubstr(":service-deployment/c/web/"));

  Pass(3);
  const json task = RunningTask();
  ASSERT_TRUE(task.is_object());
  const json binding = ContainerOf(task, "Main")["networkBindings"][0];
  EXPECT_EQ(binding["containerPort"], 8080);
  EXPECT_EQ(binding["hostPort"], port);
  // A real service: DescribeServices and ListServices (ECS-managed) see it.
  const json services = EcsOk("DescribeServices", {{"cluster", "c"}, {"services", {"web"}}});
  EXPECT_EQ(services["services"][0]["runningCount"], 1);
  EXPECT_EQ(
      EcsOk("ListServices", {{"cluster", "c"}, {"resourceManagementType", "ECS"}})["serviceArns"],
      json::array({kServiceArn}));
  EXPECT_EQ(Describe()["activeConfigurations"][0]["ingressPaths"][0]["endpoint"], endpoint);
}

TEST_F(ExpressServiceTest, UpdateRollsANewRevisionOnTheSamePortAndDeleteDrains) {
  const json created = Create();
  Pass(3);
  const std::string first = RunningTask()["taskArn"];
  const json updated = EcsOk("UpdateExpressGatewayService",
                             {{"serviceArn", kServiceArn},
                              {"primaryContainer", {{"image", "app:2"}, {"containerPort", 8080}}}});
  const json target = updated["service"]["targetConfiguration"];
  EXPECT_EQ(target["primaryContainer"]["image"], "app:2");
  EXPECT_EQ(target["ingressPaths"], created["activeConfigurations"][0]["ingressPaths"]);
  EXPECT_NE(target["serviceRevisionArn"], created["activeConfigurations"][0]["serviceRevisionArn"]);
  Pass(8);
  const json task = RunningTask();
  ASSERT_TRUE(task.is_object());
  EXPECT_NE(task["taskArn"], first);
  EXPECT_EQ(ContainerOf(task, "Main")["image"], "app:2");
  EXPECT_NE(Describe()["currentDeployment"], created["currentDeployment"]);

  const json deleted = EcsOk("DeleteExpressGatewayService", {{"serviceArn", kServiceArn}});
  EXPECT_EQ(deleted["service"]["status"]["statusCode"], "DRAINING");
  EXPECT_AWS_ERROR(Ecs("DeleteExpressGatewayService", {{"serviceArn", kServiceArn}}),
                   "ServiceNotActiveException");
  Pass(5);
  EXPECT_EQ(Describe()["status"]["statusCode"], "INACTIVE");
  EXPECT_TRUE(RunningTask().is_null());
}

TEST_F(ExpressServiceTest, UnknownServicesAreRefused) {
  EXPECT_AWS_ERROR(Ecs("DescribeExpressGatewayService", {{"serviceArn", kServiceArn}}),
                   "ResourceNotFoundException");
  EXPECT_AWS_ERROR(Ecs("UpdateExpressGatewayService", {{"serviceArn", kServiceArn}}),
                   "ServiceNotFoundException");
  EXPECT_AWS_ERROR(Ecs("DeleteExpressGatewayService", {{"serviceArn", kServiceArn}}),
                   "ServiceNotFoundException");
  EXPECT_AWS_ERROR(Ecs("CreateExpressGatewayService",
                       {{"cluster", "nope"},
                        {"executionRoleArn", "arn:aws:iam::000000000000:role/exec"},
                        {"infrastructureRoleArn", "arn:aws:iam::000000000000:role/infra"},
                        {"primaryContainer", {{"image", "app:1"}}}}),
                   "ClusterNotFoundException");
}

}  // namespace
}  // namespace berth::testing
