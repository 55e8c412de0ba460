// Container instance draining through the real AWS CLI, against the real
// berth (started without --register-local-instance) and Docker: a cluster
// with two registered container instances, a service of two tasks on the
// older one; draining it moves the service's tasks to the other instance
// (real containers started there, the drained ones stopped with the
// scheduler's reason) until the drained instance runs no task.

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/ecs_task_helpers.h"

namespace berth::testing {
namespace {

class EcsInstanceDrainingCliTest : public EcsTasksTest {
 protected:
  // Berth's default: clusters start without container instances.
  EcsInstanceDrainingCliTest() { berth_args_ = {"--register-local-instance=false"}; }

  // describe-container-instances through the CLI (`cli`) or, while polling,
  // straight through the API.
  json Instance(const std::string& arn, bool cli = true) {
    const json out = cli ? Aws({"ecs", "describe-container-instances", "--cluster", cluster_,
                                "--container-instances", arn})
                         : Ecs("DescribeContainerInstances",
                               {{"cluster", cluster_}, {"containerInstances", {arn}}});
    return out.is_object() && out["containerInstances"].size() == 1 ? out["containerInstances"][0]
                                                                    : json();
  }

  // The service's tasks (any desired status) as DescribeTasks shows them
  // (polled straight through the API: the CLI takes a second a call).
  std::vector<json> ServiceTasks(const std::string& service) {
    std::vector<json> out;
    for (const std::string desired : {"RUNNING", "STOPPED"}) {
      const json listed =
          Ecs("ListTasks",
              {{"cluster", cluster_}, {"serviceName", service}, {"desiredStatus", desired}});
      if (!listed.is_object()) continue;
      for (const auto& arn : listed["taskArns"]) out.push_back(Describe(arn));
    }
    return out;
  }
};

TEST_F(EcsInstanceDrainingCliTest, DrainingMovesTheServiceTasksToTheOtherInstance) {
  CreateCluster();
  const std::string first = Aws({"ecs", "register-container-instance", "--cluster",
                                 cluster_})["containerInstance"]["containerInstanceArn"];
  const std::string second = Aws({"ecs", "register-container-instance", "--cluster",
                                  cluster_})["containerInstance"]["containerInstanceArn"];
  const std::string image = BuildImage("x");
  Register(Ec2Td("drain", "bridge",
                 json::array({Container("app", image, "trap 'exit 0' TERM; sleep 3600 & wait")})));
  Aws({"ecs", "create-service", "--cluster", cluster_, "--service-name", "svc", "--task-definition",
       "drain", "--desired-count", "2", "--deployment-configuration",
       "maximumPercent=200,minimumHealthyPercent=100", "--placement-strategy",
       "type=binpack,field=memory"});

  // Both tasks run on the older instance (binpack: the one with the least
  // memory left; the oldest breaks the first tie).
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  std::vector<json> tasks;
  auto running_on = [&](const std::string& instance) {
    int n = 0;
    for (const auto& t : tasks) {
      if (t.value("lastStatus", "") == "RUNNING" && t.value("containerInstanceArn", "") == instance)
        ++n;
    }
    return n;
  };
  while (Clock::now() < deadline) {
    tasks = ServiceTasks("svc");
    if (running_on(first) == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_EQ(running_on(first), 2) << json(tasks).dump(1);
  std::vector<std::string> drained;
  for (const auto& t : tasks) drained.push_back(t["taskArn"]);
  EXPECT_EQ(Instance(first)["runningTasksCount"], 2);

  // Drain it: the replacements run on the second instance, then the drained
  // tasks stop, until the first instance runs nothing.
  const json state = Aws({"ecs", "update-container-instances-state", "--cluster", cluster_,
                          "--container-instances", first, "--status", "DRAINING"});
  EXPECT_EQ(state["containerInstances"][0]["status"], "DRAINING");
  const auto moved_by = Clock::now() + std::chrono::seconds(60);
  json instance;
  while (Clock::now() < moved_by) {
    tasks = ServiceTasks("svc");
    instance = Instance(first, false);
    if (running_on(second) == 2 && running_on(first) == 0 &&
        instance.value("runningTasksCount", -1) == 0 &&
        instance.value("pendingTasksCount", -1) == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_EQ(running_on(second), 2) << json(tasks).dump(1);
  instance = Instance(first);  // as the CLI shows it
  EXPECT_EQ(instance["runningTasksCount"], 0) << instance.dump(1);
  EXPECT_EQ(instance["status"], "DRAINING");
  EXPECT_EQ(Instance(second)["runningTasksCount"], 2);
  for (const auto& arn : drained) {
    const json t = WaitStatus(arn, "STOPPED", 30);  // DescribeTasks
    EXPECT_EQ(t["stopCode"], "ServiceSchedulerInitiated");
    EXPECT_EQ(t["stoppedReason"], "Container instance is draining");
  }
  // Real containers: the new tasks' containers run in Docker.
  for (const auto& t : tasks) {
    if (t.value("lastStatus", "") != "RUNNING") continue;
    const std::string id = ContainerOf(t, "app").value("runtimeId", "");
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(Docker({"inspect", "-f", "{{.State.Running}}", id}).out, "true\n");
  }
  const json listed =
      Aws({"ecs", "list-tasks", "--cluster", cluster_, "--container-instance", first});
  EXPECT_TRUE(listed["taskArns"].empty()) << listed.dump();

  Aws({"ecs", "delete-service", "--cluster", cluster_, "--service", "svc", "--force"});
}

}  // namespace
}  // namespace berth::testing
