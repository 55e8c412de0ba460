// Container instance draining end to end above the Docker seam: two
// container instances of cluster c, services and a daemon recorded through
// the real API, the ServiceScheduler and DaemonScheduler as the reconciler's
// control plane on FakeDocker. Draining an instance moves its service tasks
// to the other one within the deployment configuration, leaves standalone
// tasks alone, and stops its daemon task last.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/ecs/daemon_scheduler.h"
#include "server/ecs/service_plan.h"
#include "server/ecs/service_scheduler.h"
#include "tests/unit/reconciler/reconciler_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::Contains;

class InstanceDrainingTest : public ReconcilerTest {
 protected:
  InstanceDrainingTest() {
    ecs_services_.SetWaker([this] {
      ++pokes_;
      services_.MarkAllDirty();
    });
    reconciler_->SetControlPlane([this] {
      const bool services = services_.Pass();
      return daemons_.Pass() || services;
    });
    reconciler_->SetTaskObserver(
        [this](const storage::TaskRecord& t) { services_.TaskChanged(t); });
    Register("web", json::array({Container("web")}));
    // The cluster's first instance (the local host), then a second one.
    if (Instances().empty()) EcsOk("RegisterContainerInstance", {{"cluster", "c"}});
    EcsOk("RegisterContainerInstance", {{"cluster", "c"}});
    const auto instances = Instances();
    EXPECT_EQ(instances.size(), 2u);
    first_ = instances.at(0);
    second_ = instances.at(1);
  }

  std::vector<std::string> Instances() {
    std::vector<std::string> out;
    const json listed = EcsOk("ListContainerInstances", {{"cluster", "c"}});
    for (const auto& arn : listed["containerInstanceArns"]) out.push_back(arn);
    std::sort(out.begin(), out.end(), [this](const std::string& a, const std::string& b) {
      return Instance(a)["registeredAt"].get<double>() < Instance(b)["registeredAt"].get<double>();
    });
    return out;
  }

  json Instance(const std::string& arn) {
    return EcsOk("DescribeContainerInstances",
                 {{"cluster", "c"}, {"containerInstances", {arn}}})["containerInstances"][0];
  }

  void SetState(const std::string& arn, const std::string& status) {
    const json out = EcsOk("UpdateContainerInstancesState",
                           {{"cluster", "c"}, {"containerInstances", {arn}}, {"status", status}});
    ASSERT_EQ(out["containerInstances"][0]["status"], status);
  }

  // A service that binpacks on memory: the oldest instance fills first (a
  // service's default spreads its tasks over the instances).
  json CreateService(const std::string& name, int desired, json config) {
    return EcsOk("CreateService",
                 {{"cluster", "c"},
                  {"serviceName", name},
                  {"taskDefinition", "web"},
                  {"desiredCount", desired},
                  {"placementStrategy", {{{"type", "binpack"}, {"field", "memory"}}}},
                  {"deploymentConfiguration", config}})["service"];
  }

  // Every task of the cluster as DescribeTasks shows it (group filter
  // optional).
  std::vector<json> Tasks(const std::string& group = "") {
    std::vector<json> out;
    for (const std::string desired : {"RUNNING", "STOPPED"}) {
      const json listed = EcsOk("ListTasks", {{"cluster", "c"}, {"desiredStatus", desired}});
      for (const auto& arn : listed["taskArns"]) {
        const json task = Task(arn);
        if (group.empty() || task["group"] == group) out.push_back(task);
      }
    }
    return out;
  }

  std::vector<std::string> Events(const std::string& name) {
    std::vector<std::string> out;
    const json described = EcsOk("DescribeServices", {{"cluster", "c"}, {"services", {name}}});
    for (const auto& e : described["services"][0]["events"]) out.push_back(e["message"]);
    return out;
  }

  static std::string IdOf(const json& task) {
    const std::string arn = task["taskArn"];
    return arn.substr(arn.rfind('/') + 1);
  }

  ecs::ServiceScheduler services_{database_, ecs::HostResources{4096, 8192}, clock_};
  ecs::DaemonScheduler daemons_{database_, ecs_services_.container_instances, clock_};
  std::string first_;
  std::string second_;
};

TEST_F(InstanceDrainingTest, ServiceTasksMoveWithinMaximumPercentAndStandaloneTasksStay) {
  // Given a service of two tasks and a standalone task, all on the first
  // (oldest) instance.
  CreateService("web", 2, {{"maximumPercent", 150}, {"minimumHealthyPercent", 100}});
  const std::string standalone = Run("web");
  Pass(3);
  std::vector<json> tasks = Tasks("service:web");
  ASSERT_EQ(tasks.size(), 2u);
  for (const auto& t : tasks) {
    ASSERT_EQ(t["lastStatus"], "RUNNING");
    ASSERT_EQ(t["containerInstanceArn"], first_);
  }
  EXPECT_EQ(Instance(first_)["runningTasksCount"], 3);

  // When the first instance drains.
  SetState(first_, "DRAINING");
  for (int i = 0; i < 12; ++i) {
    Pass();
    int64_t live = 0;
    for (const auto& t : Tasks("service:web")) {
      if (t["desiredStatus"] == "RUNNING") ++live;
    }
    EXPECT_LE(live, 3) << "maximumPercent 150 of 2 allows 3 at once (pass " << i << ")";
  }

  // Then both service tasks run on the second instance; the drained ones
  // stopped with the scheduler's code and the draining reason.
  int64_t running = 0;
  std::vector<std::string> started;
  for (const auto& t : Tasks("service:web")) {
    if (t["lastStatus"] == "RUNNING") {
      ++running;
      EXPECT_EQ(t["containerInstanceArn"], second_);
      started.push_back(IdOf(t));
    } else {
      EXPECT_EQ(t["lastStatus"], "STOPPED");
      EXPECT_EQ(t["containerInstanceArn"], first_);
      EXPECT_EQ(t["stopCode"], "ServiceSchedulerInitiated");
      EXPECT_EQ(t["stoppedReason"], ecs::plan::kDrainingReason);
    }
  }
  EXPECT_EQ(running, 2);
  for (const auto& id : started) {
    EXPECT_THAT(Events("web"), Contains("(service web) has started 1 tasks: (task " + id + ")."));
  }
  EXPECT_EQ(Task(standalone)["lastStatus"], "RUNNING") << "standalone tasks are not moved";
  EXPECT_EQ(Instance(first_)["runningTasksCount"], 1) << "only the standalone task is left";
  EXPECT_EQ(Instance(second_)["runningTasksCount"], 2);
  EXPECT_THAT(Events("web"), Contains("(service web) has reached a steady state."));

  // Active again: the instance takes tasks (spread over instances, the new
  // one goes where the service has none).
  SetState(first_, "ACTIVE");
  EcsOk("UpdateService", {{"cluster", "c"},
                          {"service", "web"},
                          {"desiredCount", 3},
                          {"placementStrategy", {{{"type", "spread"}, {"field", "instanceId"}}}}});
  Pass(3);
  int64_t on_first = 0;
  for (const auto& t : Tasks("service:web")) {
    if (t["lastStatus"] == "RUNNING" && t["containerInstanceArn"] == first_) ++on_first;
  }
  EXPECT_EQ(on_first, 1);
}

TEST_F(InstanceDrainingTest, AServiceWithoutAStrategySpreadsItsTasksOverTheInstances) {
  // Given a service of six tasks that names no placement strategy
  EcsOk(
      "CreateService",
      {{"cluster", "c"}, {"serviceName", "even"}, {"taskDefinition", "web"}, {"desiredCount", 6}});
  // When the scheduler places them
  Pass(3);
  // Then each instance runs three (ECS's default for a service: spread over
  // the zones, then the instances)
  std::map<std::string, int> per_instance;
  for (const auto& t : Tasks("service:even")) {
    if (t["desiredStatus"] == "RUNNING") ++per_instance[t["containerInstanceArn"]];
  }
  EXPECT_EQ(per_instance, (std::map<std::string, int>{{first_, 3}, {second_, 3}}));
}

TEST_F(InstanceDrainingTest, PendingTasksStopAtOnceAndNothingIsPlacedOnADrainingInstance) {
  CreateService("web", 1, {{"maximumPercent", 200}, {"minimumHealthyPercent", 100}});
  // The scheduler records the task (PENDING on the first instance), then the
  // instance drains before the reconciler ran it.
  services_.Pass();
  std::vector<json> tasks = Tasks("service:web");
  ASSERT_EQ(tasks.size(), 1u);
  ASSERT_EQ(tasks[0]["lastStatus"], "PENDING");
  ASSERT_EQ(tasks[0]["containerInstanceArn"], first_);
  const std::string pending = tasks[0]["taskArn"];
  SetState(first_, "DRAINING");
  services_.MarkAllDirty();
  services_.Pass();
  EXPECT_EQ(Task(pending)["desiredStatus"], "STOPPED");
  EXPECT_EQ(Task(pending)["stoppedReason"], ecs::plan::kDrainingReason);
  Pass(3);
  for (const auto& t : Tasks("service:web")) {
    if (t["taskArn"] == pending) continue;
    EXPECT_EQ(t["containerInstanceArn"], second_);
    EXPECT_EQ(t["lastStatus"], "RUNNING");
  }
  // With both instances draining, replacements cannot be placed: ECS's event.
  EcsOk("UpdateService", {{"cluster", "c"}, {"service", "web"}, {"desiredCount", 2}});
  SetState(second_, "DRAINING");
  Pass(2);
  EXPECT_THAT(Events("web"),
              Contains(::testing::HasSubstr("was unable to place a task because no container "
                                            "instance met all of its requirements")));
}

TEST_F(InstanceDrainingTest, TheDaemonTaskOfADrainingInstanceStopsAfterItsServiceTasks) {
  const std::string definition = EcsOk(
      "RegisterDaemonTaskDefinition",
      {{"family", "agent"},
       {"containerDefinitions",
        {{{"name", "agent"}, {"image", "app:1"}, {"memory", 64}}}}})["daemonTaskDefinitionArn"];
  EcsOk("CreateDaemon",
        {{"daemonName", "agent"},
         {"clusterArn", "c"},
         {"daemonTaskDefinitionArn", definition},
         {"capacityProviderArns",
          {"arn:aws:ecs:us-east-1:000000000000:capacity-provider/managed-instances"}}});
  CreateService("web", 1, {{"maximumPercent", 200}, {"minimumHealthyPercent", 100}});
  Pass(3);
  ASSERT_EQ(Tasks("daemon:agent").size(), 2u) << "one daemon task per instance";
  ASSERT_EQ(Tasks("service:web").at(0)["containerInstanceArn"], first_);

  SetState(first_, "DRAINING");
  bool daemon_stopped = false;
  for (int i = 0; i < 10; ++i) {
    Pass();
    for (const auto& d : Tasks("daemon:agent")) {
      if (d["containerInstanceArn"] != first_ || d["desiredStatus"] != "STOPPED") continue;
      if (!daemon_stopped) {
        // The first pass that stops it: the service task there is gone.
        for (const auto& t : Tasks("service:web")) {
          if (t["containerInstanceArn"] == first_) {
            EXPECT_EQ(t["lastStatus"], "STOPPED");
          }
        }
      }
      daemon_stopped = true;
      EXPECT_EQ(d["stoppedReason"], ecs::plan::kDrainingReason);
    }
  }
  EXPECT_TRUE(daemon_stopped);
  int64_t live_daemons = 0;
  for (const auto& d : Tasks("daemon:agent")) {
    if (d["desiredStatus"] == "RUNNING") {
      ++live_daemons;
      EXPECT_EQ(d["containerInstanceArn"], second_) << "none placed on the draining instance";
    }
  }
  EXPECT_EQ(live_daemons, 1);
  EXPECT_EQ(Instance(first_)["runningTasksCount"], 0);
  // Active again: it gets its daemon task back.
  SetState(first_, "ACTIVE");
  Pass(3);
  live_daemons = 0;
  for (const auto& d : Tasks("daemon:agent")) {
    if (d["lastStatus"] == "RUNNING") ++live_daemons;
  }
  EXPECT_EQ(live_daemons, 2);
}

TEST_F(InstanceDrainingTest, ADaemonServiceRunsOneTaskPerActiveInstance) {
  EcsOk("CreateService", {{"cluster", "c"},
                          {"serviceName", "agent"},
                          {"taskDefinition", "web"},
                          {"schedulingStrategy", "DAEMON"}});
  CreateService("web", 1, {{"maximumPercent", 200}, {"minimumHealthyPercent", 100}});
  Pass(3);
  ASSERT_EQ(Tasks("service:web").at(0)["containerInstanceArn"], first_);
  auto live_on = [this](const std::string& instance) {
    int64_t n = 0;
    for (const auto& t : Tasks("service:agent")) {
      if (t["desiredStatus"] == "RUNNING" && t["containerInstanceArn"] == instance) ++n;
    }
    return n;
  };
  EXPECT_EQ(live_on(first_), 1);
  EXPECT_EQ(live_on(second_), 1);
  auto desired = [this] {
    const json out = EcsOk("DescribeServices", {{"cluster", "c"}, {"services", {"agent"}}});
    return out["services"][0]["desiredCount"].get<int64_t>();
  };
  EXPECT_EQ(desired(), 2);

  // Draining: the task there stops once the replica's task there has, and
  // goes nowhere else.
  SetState(first_, "DRAINING");
  for (int i = 0; i < 8 && live_on(first_) > 0; ++i) {
    Pass();
    if (live_on(first_) == 0) {
      for (const auto& t : Tasks("service:web")) {
        if (t["containerInstanceArn"] == first_) {
          EXPECT_EQ(t["lastStatus"], "STOPPED") << "the daemon task stops last";
        }
      }
    }
  }
  Pass(2);
  EXPECT_EQ(live_on(first_), 0);
  EXPECT_EQ(live_on(second_), 1);
  for (const auto& t : Tasks("service:agent")) {
    if (t["containerInstanceArn"] == first_) {
      EXPECT_EQ(t["lastStatus"], "STOPPED");
      EXPECT_EQ(t["stoppedReason"], ecs::plan::kDrainingReason);
    }
  }
  EXPECT_EQ(Instance(first_)["runningTasksCount"], 0);
  EXPECT_EQ(Instance(second_)["runningTasksCount"], 2) << "the daemon's task and web's";
  EXPECT_EQ(desired(), 1);

  // Active again, and a third instance registers: each gets its task.
  SetState(first_, "ACTIVE");
  EcsOk("RegisterContainerInstance", {{"cluster", "c"}});
  Pass(3);
  EXPECT_EQ(live_on(first_), 1);
  EXPECT_EQ(live_on(second_), 1);
  EXPECT_EQ(Tasks("service:agent").size(), 4u) << "one stopped, three live";
  EXPECT_EQ(desired(), 3);
}

}  // namespace
}  // namespace berth::testing
