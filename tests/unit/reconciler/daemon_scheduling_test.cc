// ECS daemons end to end above the Docker seam: daemon task definitions and
// daemons recorded through the real API (every reply checked against the
// model), the DaemonScheduler as the reconciler's control plane, tasks run
// on FakeDocker. Passes run by hand with time moved by hand.

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/ecs/daemon_scheduler.h"
#include "tests/unit/reconciler/reconciler_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kArnPrefix = "arn:aws:ecs:us-east-1:000000000000:";
constexpr const char* kProvider =
    "arn:aws:ecs:us-east-1:000000000000:capacity-provider/managed-instances";

class DaemonSchedulingTest : public ReconcilerTest {
 protected:
  DaemonSchedulingTest() {
    reconciler_->SetControlPlane([this] { return scheduler_.Pass(); });
    // A cluster has container instances once they register (Berth before
    // that: one per cluster).
    if (Instances().empty()) EcsOk("RegisterContainerInstance", {{"cluster", "c"}});
  }

  std::vector<std::string> Instances() {
    const json listed = EcsOk("ListContainerInstances", {{"cluster", "c"}});
    std::vector<std::string> out;
    for (const auto& arn : listed["containerInstanceArns"]) out.push_back(arn);
    return out;
  }

  std::string RegisterDaemonDefinition(const std::string& image = "app:1") {
    return EcsOk(
        "RegisterDaemonTaskDefinition",
        {{"family", "agent"},
         {"containerDefinitions",
          {{{"name", "agent"}, {"image", image}, {"memory", 64}}}}})["daemonTaskDefinitionArn"];
  }

  json CreateDaemon(const std::string& definition) {
    return EcsOk("CreateDaemon", {{"daemonName", "agent"},
                                  {"clusterArn", "c"},
                                  {"daemonTaskDefinitionArn", definition},
                                  {"capacityProviderArns", {kProvider}}});
  }

  // The daemon's tasks as DescribeTasks shows them, desired RUNNING ones.
  std::vector<json> DaemonTasks(const std::string& desired = "RUNNING") {
    std::vector<json> out;
    const json listed = EcsOk("ListTasks", {{"cluster", "c"}, {"desiredStatus", desired}});
    for (const auto& arn : listed["taskArns"]) {
      const json task = Task(arn);
      if (task["group"] == "daemon:agent") out.push_back(task);
    }
    return out;
  }

  json Deployment(const std::string& arn) {
    const json out = EcsOk("DescribeDaemonDeployments", {{"daemonDeploymentArns", {arn}}});
    EXPECT_EQ(out["daemonDeployments"].size(), 1u) << out.dump();
    return out["daemonDeployments"].empty() ? json() : out["daemonDeployments"][0];
  }

  ecs::DaemonScheduler scheduler_{database_, ecs_services_.container_instances, clock_};
};

TEST_F(DaemonSchedulingTest, DaemonTaskDefinitionsHaveRevisionsAndAStatusLifecycle) {
  const std::string first = RegisterDaemonDefinition();
  EXPECT_EQ(first, std::string(kArnPrefix) + "daemon-task-definition/agent:1");
  EXPECT_EQ(RegisterDaemonDefinition("app:2"),
            std::string(kArnPrefix) + "daemon-task-definition/agent:2");
  json td = EcsOk("DescribeDaemonTaskDefinition",
                  {{"daemonTaskDefinition", "agent"}})["daemonTaskDefinition"];
  EXPECT_EQ(td["revision"], 2);
  EXPECT_EQ(td["status"], "ACTIVE");
  EXPECT_EQ(td["containerDefinitions"][0]["essential"], true);
  EXPECT_EQ(td["registeredBy"], "arn:aws:iam::000000000000:root");

  EXPECT_EQ(EcsOk("DeleteDaemonTaskDefinition",
                  {{"daemonTaskDefinition", "agent:2"}})["daemonTaskDefinitionArn"],
            std::string(kArnPrefix) + "daemon-task-definition/agent:2");
  EXPECT_AWS_ERROR(Ecs("DeleteDaemonTaskDefinition", {{"daemonTaskDefinition", "agent"}}),
                   "ClientException");
  // Nothing runs it: it becomes DELETED and stays describable.
  Pass(1);
  td = EcsOk("DescribeDaemonTaskDefinition",
             {{"daemonTaskDefinition", "agent:2"}})["daemonTaskDefinition"];
  EXPECT_EQ(td["status"], "DELETED");
  EXPECT_TRUE(td.contains("deleteRequestedAt"));
  // The bare family is the latest ACTIVE revision.
  EXPECT_EQ(EcsOk("DescribeDaemonTaskDefinition",
                  {{"daemonTaskDefinition", "agent"}})["daemonTaskDefinition"]["revision"],
            1);
  const json listed = EcsOk("ListDaemonTaskDefinitions", json::object());
  ASSERT_EQ(listed["daemonTaskDefinitions"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["daemonTaskDefinitions"][0]["arn"], first);
  EXPECT_AWS_ERROR(Ecs("DescribeDaemonTaskDefinition", {{"daemonTaskDefinition", "nope"}}),
                   "ClientException");
  EXPECT_AWS_ERROR(Ecs("RegisterDaemonTaskDefinition",
                       {{"family", "bad"}, {"containerDefinitions", {{{"image", "app:1"}}}}}),
                   "ClientException");
}

TEST_F(DaemonSchedulingTest, ADaemonRunsOneTaskPerInstanceAndReplacesOneThatDies) {
  const json created = CreateDaemon(RegisterDaemonDefinition());
  EXPECT_EQ(created["daemonArn"], std::string(kArnPrefix) + "daemon/c/agent");
  EXPECT_EQ(created["status"], "ACTIVE");
  EXPECT_THAT(created["deploymentArn"].get<std::string>(),
              StartsWith(std::string(kArnPrefix) + "daemon-deployment/c/agent/"));
  EXPECT_EQ(Deployment(created["deploymentArn"])["status"], "PENDING");
  Pass(3);
  const auto instances = Instances();
  auto tasks = DaemonTasks();
  ASSERT_EQ(tasks.size(), instances.size());
  for (const auto& task : tasks) {
    EXPECT_EQ(task["lastStatus"], "RUNNING") << task.dump(2);
    EXPECT_EQ(task["launchType"], "MANAGED_INSTANCES");
    EXPECT_EQ(task["taskDefinitionArn"],
              std::string(kArnPrefix) + "daemon-task-definition/agent:1");
    EXPECT_EQ(task["capacityProviderName"], "managed-instances");
    EXPECT_NE(std::find(instances.begin(), instances.end(), task["containerInstanceArn"]),
              instances.end());
  }
  const json deployment = Deployment(created["deploymentArn"]);
  EXPECT_EQ(deployment["status"], "SUCCESSFUL") << deployment.dump(2);
  EXPECT_EQ(deployment["statusReason"], "Deployment completed successfully.");
  EXPECT_EQ(deployment["targetDaemonRevision"]["totalRunningInstanceCount"], instances.size());
  json daemon = EcsOk("DescribeDaemon", {{"daemonArn", created["daemonArn"]}})["daemon"];
  EXPECT_EQ(daemon["currentRevisions"][0]["totalRunningCount"], instances.size());
  EXPECT_EQ(daemon["clusterArn"], std::string(kArnPrefix) + "cluster/c");

  // The container dies: its task stops and a new one takes its place.
  const std::string first = tasks[0]["taskArn"];
  docker_.ExitContainer(DockerId(first, "agent"), 137);
  Pass(4);
  EXPECT_EQ(Task(first)["lastStatus"], "STOPPED");
  tasks = DaemonTasks();
  ASSERT_EQ(tasks.size(), instances.size());
  EXPECT_NE(tasks[0]["taskArn"], first);
  EXPECT_EQ(tasks[0]["lastStatus"], "RUNNING");
}

TEST_F(DaemonSchedulingTest, UpdateRollsOutANewRevisionAndDeleteStopsEverything) {
  const json created = CreateDaemon(RegisterDaemonDefinition());
  Pass(3);
  const std::string old_task = DaemonTasks().at(0)["taskArn"];
  docker_.AddImage("app:2");
  const json updated =
      EcsOk("UpdateDaemon", {{"daemonArn", created["daemonArn"]},
                             {"daemonTaskDefinitionArn", RegisterDaemonDefinition("app:2")},
                             {"capacityProviderArns", {kProvider}}});
  EXPECT_NE(updated["deploymentArn"], created["deploymentArn"]);
  Pass(6);
  const auto tasks = DaemonTasks();
  ASSERT_EQ(tasks.size(), Instances().size());
  EXPECT_NE(tasks[0]["taskArn"], old_task);
  EXPECT_EQ(tasks[0]["containers"][0]["image"], "app:2");
  EXPECT_EQ(Task(old_task)["lastStatus"], "STOPPED");
  const json deployment = Deployment(updated["deploymentArn"]);
  EXPECT_EQ(deployment["status"], "SUCCESSFUL") << deployment.dump(2);
  ASSERT_EQ(deployment["sourceDaemonRevisions"].size(), 1u);
  // Revisions are snapshots of what each deployment ran.
  const json revisions =
      EcsOk("DescribeDaemonRevisions",
            {{"daemonRevisionArns",
              {deployment["targetDaemonRevision"]["arn"],
               deployment["sourceDaemonRevisions"][0]["arn"]}}})["daemonRevisions"];
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(revisions[0]["containerImages"][0]["image"], "app:2");
  EXPECT_EQ(revisions[1]["containerImages"][0]["image"], "app:1");
  const json listed = EcsOk("ListDaemonDeployments", {{"daemonArn", created["daemonArn"]}});
  ASSERT_EQ(listed["daemonDeployments"].size(), 2u);
  EXPECT_EQ(listed["daemonDeployments"][0]["daemonDeploymentArn"], updated["deploymentArn"]);

  const json deleted = EcsOk("DeleteDaemon", {{"daemonArn", created["daemonArn"]}});
  EXPECT_EQ(deleted["status"], "DELETE_IN_PROGRESS");
  EXPECT_AWS_ERROR(Ecs("UpdateDaemon", {{"daemonArn", created["daemonArn"]},
                                        {"daemonTaskDefinitionArn", "agent:1"},
                                        {"capacityProviderArns", {kProvider}}}),
                   "DaemonNotActiveException");
  Pass(4);
  EXPECT_TRUE(DaemonTasks().empty());
  EXPECT_EQ(Deployment(deleted["deploymentArn"])["status"], "SUCCESSFUL");
  EXPECT_AWS_ERROR(Ecs("DescribeDaemon", {{"daemonArn", created["daemonArn"]}}),
                   "DaemonNotFoundException");
  EXPECT_TRUE(EcsOk("ListDaemons", json::object())["daemonSummariesList"].empty());
}

TEST_F(DaemonSchedulingTest, RefusalsStoreNothing) {
  const std::string definition = RegisterDaemonDefinition();
  EXPECT_AWS_ERROR(Ecs("CreateDaemon", {{"daemonName", "agent"},
                                        {"clusterArn", "nope"},
                                        {"daemonTaskDefinitionArn", definition},
                                        {"capacityProviderArns", {kProvider}}}),
                   "ClusterNotFoundException");
  EXPECT_AWS_ERROR(Ecs("CreateDaemon", {{"daemonName", "agent"},
                                        {"clusterArn", "c"},
                                        {"daemonTaskDefinitionArn", "missing:1"},
                                        {"capacityProviderArns", {kProvider}}}),
                   "InvalidParameterException");
  EXPECT_TRUE(EcsOk("ListDaemons", json::object())["daemonSummariesList"].empty());
  CreateDaemon(definition);
  EXPECT_AWS_ERROR(Ecs("CreateDaemon", {{"daemonName", "agent"},
                                        {"clusterArn", "c"},
                                        {"daemonTaskDefinitionArn", definition},
                                        {"capacityProviderArns", {kProvider}}}),
                   "InvalidParameterException");
  EXPECT_EQ(EcsOk("ListDaemons", {{"clusterArn", "c"}})["daemonSummariesList"].size(), 1u);
  EXPECT_AWS_ERROR(
      Ecs("DescribeDaemon", {{"daemonArn", std::string(kArnPrefix) + "daemon/c/other"}}),
      "DaemonNotFoundException");
  const json missing =
      EcsOk("DescribeDaemonDeployments",
            {{"daemonDeploymentArns", {std::string(kArnPrefix) + "daemon-deployment/c/agent/x"}}});
  ASSERT_EQ(missing["failures"].size(), 1u);
  EXPECT_EQ(missing["failures"][0]["reason"], "MISSING");
  EXPECT_THAT(Ecs("DescribeDaemon", {{"daemonArn", "bogus"}}).message(), HasSubstr("bogus"));
}

}  // namespace
}  // namespace berth::testing
