// Services end to end above the Docker seam: the real API records a
// service, the ServiceScheduler (as the reconciler's control plane) records
// its tasks, the reconciler drives them on FakeDocker. Passes run by hand
// with time moved by hand.

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/ecs/service_scheduler.h"
#include "tests/unit/reconciler/reconciler_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::IsEmpty;

class ServiceSchedulingTest : public ReconcilerTest {
 protected:
  ServiceSchedulingTest() {
    ecs_services_.SetWaker([this] {
      ++pokes_;
      scheduler_.MarkAllDirty();
    });
    Attach(*reconciler_);
    Register("web", json::array({Container("web", {{"portMappings", {{{"containerPort", 80}}}}})}));
  }

  void Attach(reconciler::Reconciler& r) {
    r.SetControlPlane([this] { return scheduler_.Pass(); });
    r.SetTaskObserver([this](const storage::TaskRecord& t) { scheduler_.TaskChanged(t); });
  }

  json CreateService(const std::string& name, int desired, json extra = json::object()) {
    json in = {{"cluster", "c"},
               {"serviceName", name},
               {"taskDefinition", "web"},
               {"desiredCount", desired}};
    in.update(extra);
    return EcsOk("CreateService", in)["service"];
  }

  json Service(const std::string& name = "web") {
    const json out = EcsOk("DescribeServices", {{"cluster", "c"}, {"services", {name}}});
    return out["services"].empty() ? json() : out["services"][0];
  }

  std::vector<std::string> Events(const std::string& name = "web") {
    std::vector<std::string> out;
    const json service = Service(name);
    for (const auto& e : service["events"]) out.push_back(e["message"]);
    return out;
  }

  std::vector<std::string> RunningTasks(const std::string& name = "web") {
    std::vector<std::string> arns;
    const json listed = EcsOk("ListTasks", {{"cluster", "c"}, {"serviceName", name}});
    for (const auto& arn : listed["taskArns"]) {
      if (Task(arn)["lastStatus"] == "RUNNING") arns.push_back(arn);
    }
    return arns;
  }

  ecs::ServiceScheduler scheduler_{database_, ecs::HostResources{4096, 8192}, clock_};
};

TEST_F(ServiceSchedulingTest, AServiceReachesItsDesiredCountAndAConvergedOneDoesNothing) {
  CreateService("web", 2);
  Pass(2);
  json s = Service();
  EXPECT_EQ(s["runningCount"], 2) << s.dump(2);
  EXPECT_EQ(s["deployments"].size(), 1u);
  EXPECT_EQ(s["deployments"][0]["rolloutState"], "COMPLETED");
  EXPECT_EQ(RunningTasks().size(), 2u);
  for (const auto& arn : RunningTasks()) {
    const json task = Task(arn);
    EXPECT_EQ(task["group"], "service:web");
    EXPECT_EQ(task["startedBy"], s["deployments"][0]["id"]);
  }
  EXPECT_THAT(Events(), Contains("(service web) has reached a steady state."));
  // Converged: passes change nothing in Docker, the tasks or the service.
  docker_.ClearCalls();
  const json before = Service();
  Pass(3);
  EXPECT_THAT(docker_.MutatingCalls(), IsEmpty());
  EXPECT_EQ(Service(), before);
}

TEST_F(ServiceSchedulingTest, AContainerThatDiesIsReplacedAndTheEventSaysSo) {
  CreateService("web", 1);
  Pass(2);
  const std::string first = RunningTasks().at(0);
  docker_.ExitContainer(DockerId(first, "web"), 137);
  Pass(3);
  EXPECT_EQ(Task(first)["lastStatus"], "STOPPED");
  EXPECT_EQ(Task(first)["stopCode"], "EssentialContainerExited");
  const auto running = RunningTasks();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_NE(running[0], first);
  const std::string id = running[0].substr(running[0].rfind('/') + 1);
  EXPECT_THAT(Events(), Contains("(service web) has started 1 tasks: (task " + id + ")."));
}

TEST_F(ServiceSchedulingTest, ARollingUpdateLeavesOneDeploymentOfTheNewRevision) {
  CreateService("web", 2);
  Pass(2);
  Register("web",
           json::array({Container("web", {{"environment", {{{"name", "V"}, {"value", "2"}}}}})}));
  EcsOk("UpdateService", {{"cluster", "c"}, {"service", "web"}, {"taskDefinition", "web:2"}});
  Pass(6);
  const json s = Service();
  ASSERT_EQ(s["deployments"].size(), 1u) << s.dump(2);
  EXPECT_EQ(s["deployments"][0]["taskDefinition"],
            "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2");
  EXPECT_EQ(s["deployments"][0]["rolloutState"], "COMPLETED");
  EXPECT_EQ(s["runningCount"], 2);
  for (const auto& arn : RunningTasks()) {
    EXPECT_EQ(Task(arn)["taskDefinitionArn"],
              "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2");
  }
  const json deployments = EcsOk("ListServiceDeployments", {{"cluster", "c"}, {"service", "web"}});
  EXPECT_EQ(deployments["serviceDeployments"][0]["status"], "SUCCESSFUL");
  EXPECT_EQ(deployments["serviceDeployments"][1]["status"], "SUCCESSFUL");
}

TEST_F(ServiceSchedulingTest, TheCircuitBreakerRollsBackADeploymentWhoseImageCannotBePulled) {
  CreateService("web", 2,
                {{"deploymentConfiguration",
                  {{"deploymentCircuitBreaker", {{"enable", true}, {"rollback", true}}}}}});
  Pass(2);
  docker_.FailPull("missing:1", 404, FakeDocker::ManifestUnknown("missing:1"));
  Register("web", json::array({Container("web", {{"image", "missing:1"}})}));
  EcsOk("UpdateService", {{"cluster", "c"}, {"service", "web"}, {"taskDefinition", "web:2"}});
  Pass(8);
  const json s = Service();
  ASSERT_EQ(s["deployments"].size(), 1u) << s.dump(2);
  EXPECT_EQ(s["deployments"][0]["taskDefinition"],
            "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1");
  EXPECT_EQ(s["runningCount"], 2);
  const auto events = Events();
  EXPECT_THAT(events, Contains(::testing::HasSubstr("deployment failed: tasks failed to start.")));
  EXPECT_THAT(events, Contains(::testing::HasSubstr("rolling back to deployment")));
  const json deployments = EcsOk("ListServiceDeployments", {{"cluster", "c"}, {"service", "web"}});
  EXPECT_EQ(deployments["serviceDeployments"][0]["status"], "ROLLBACK_SUCCESSFUL");
}

TEST_F(ServiceSchedulingTest, ScaleInStopsWithTheSchedulersCodeAndDeleteGoesInactive) {
  CreateService("web", 2);
  Pass(2);
  EcsOk("UpdateService", {{"cluster", "c"}, {"service", "web"}, {"desiredCount", 1}});
  Pass(3);
  EXPECT_EQ(RunningTasks().size(), 1u);
  const json stopped =
      EcsOk("ListTasks",
            {{"cluster", "c"}, {"serviceName", "web"}, {"desiredStatus", "STOPPED"}})["taskArns"];
  ASSERT_EQ(stopped.size(), 1u);
  const json task = Task(stopped[0]);
  EXPECT_EQ(task["stopCode"], "ServiceSchedulerInitiated");
  EXPECT_EQ(task["stoppedReason"], "Scaling activity initiated by (deployment " +
                                       Service()["deployments"][0]["id"].get<std::string>() + ")");
  EcsOk("DeleteService", {{"cluster", "c"}, {"service", "web"}, {"force", true}});
  Pass(4);
  EXPECT_EQ(Service()["status"], "INACTIVE");
  EXPECT_THAT(RunningTasks(), IsEmpty());
  // The cluster can go now, and the name can be used again.
  EXPECT_EQ(EcsOk("DescribeClusters", {{"clusters", {"c"}}})["clusters"][0]["activeServicesCount"],
            0);
  CreateService("web", 0);
}

TEST_F(ServiceSchedulingTest, ARestartAdoptsTheTasksAndStartsNoDuplicates) {
  CreateService("web", 2);
  Pass(2);
  const auto before = RunningTasks();
  ASSERT_EQ(before.size(), 2u);
  // A new reconciler and scheduler on the same database (Berth restarted).
  reconciler_ = MakeReconciler();
  Attach(*reconciler_);
  docker_.ClearCalls();
  Pass(3);
  EXPECT_THAT(docker_.CallsTo("CreateContainer"), IsEmpty());
  EXPECT_EQ(RunningTasks(), before);
}

TEST_F(ServiceSchedulingTest, ServiceTasksAnswerToTheServiceNameOnTheClusterNetwork) {
  CreateService("api", 1);
  Pass(2);
  const auto tasks = RunningTasks("api");
  ASSERT_EQ(tasks.size(), 1u);
  const auto spec = docker_.SpecOf(DockerId(tasks[0], "web"));
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->network_mode, ClusterNetwork("c"));
  EXPECT_THAT(spec->network_aliases, ::testing::ElementsAre("api"));
}

TEST_F(ServiceSchedulingTest, ExternalTaskSetsRunTheirShareOfTheDesiredCount) {
  EcsOk("CreateService", {{"cluster", "c"},
                          {"serviceName", "ext"},
                          {"desiredCount", 4},
                          {"deploymentController", {{"type", "EXTERNAL"}}}});
  const json blue =
      EcsOk("CreateTaskSet", {{"cluster", "c"},
                              {"service", "ext"},
                              {"taskDefinition", "web"},
                              {"scale", {{"value", 50.0}, {"unit", "PERCENT"}}}})["taskSet"];
  const json green =
      EcsOk("CreateTaskSet", {{"cluster", "c"},
                              {"service", "ext"},
                              {"taskDefinition", "web"},
                              {"scale", {{"value", 25.0}, {"unit", "PERCENT"}}}})["taskSet"];
  Pass(3);
  EXPECT_EQ(RunningTasks("ext").size(), 3u);
  const json sets = EcsOk(
      "DescribeTaskSets",
      {{"cluster", "c"}, {"service", "ext"}, {"taskSets", {blue["id"], green["id"]}}})["taskSets"];
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0]["runningCount"], 2);
  EXPECT_EQ(sets[0]["stabilityStatus"], "STEADY_STATE");
  EXPECT_EQ(sets[1]["runningCount"], 1);
  EcsOk("DeleteTaskSet",
        {{"cluster", "c"}, {"service", "ext"}, {"taskSet", blue["id"]}, {"force", true}});
  Pass(3);
  EXPECT_EQ(RunningTasks("ext").size(), 1u);
  EXPECT_EQ(EcsOk("DescribeTaskSets",
                  {{"cluster", "c"}, {"service", "ext"}, {"taskSets", {blue["id"]}}})["failures"]
                .size(),
            1u);
}

TEST_F(ServiceSchedulingTest, ProtectedTasksAreNotScaledIn) {
  CreateService("web", 2);
  Pass(2);
  const auto tasks = RunningTasks();
  ASSERT_EQ(tasks.size(), 2u);
  const json out = EcsOk(
      "UpdateTaskProtection",
      {{"cluster", "c"}, {"tasks", tasks}, {"protectionEnabled", true}, {"expiresInMinutes", 10}});
  ASSERT_EQ(out["protectedTasks"].size(), 2u) << out.dump();
  EcsOk("UpdateService", {{"cluster", "c"}, {"service", "web"}, {"desiredCount", 0}});
  Pass(3);
  EXPECT_EQ(RunningTasks().size(), 2u) << "both are protected";
  EcsOk("UpdateTaskProtection",
        {{"cluster", "c"}, {"tasks", {tasks[0]}}, {"protectionEnabled", false}});
  Pass(3);
  EXPECT_EQ(RunningTasks().size(), 1u);
  // Protection expires by itself.
  clock_.Advance(11 * 60);
  Pass(3);
  EXPECT_THAT(RunningTasks(), IsEmpty());
}

}  // namespace
}  // namespace berth::testing
