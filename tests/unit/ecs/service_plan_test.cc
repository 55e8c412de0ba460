// The service scheduler's plan, table-driven: each case is a service, its
// deployments and tasks at an instant, and what the plan must decide. The
// first case is the one every controller test starts with: a converged
// service plans nothing.

#include "server/ecs/service_plan.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::ecs::plan {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr double kNow = 1000;

Task Running(const std::string& id, const std::string& deployment, double started = 100) {
  Task t;
  t.id = id;
  t.deployment_id = deployment;
  t.state = TaskState::kRunning;
  t.created_at = started - 1;
  t.started_at = started;
  return t;
}

Task Pending(const std::string& id, const std::string& deployment, double created = 900) {
  Task t;
  t.id = id;
  t.deployment_id = deployment;
  t.state = TaskState::kPending;
  t.created_at = created;
  return t;
}

Task Failed(const std::string& id, const std::string& deployment, double stopped = 950) {
  Task t;
  t.id = id;
  t.deployment_id = deployment;
  t.state = TaskState::kStopped;
  t.created_at = stopped - 5;
  t.stopped_at = stopped;
  t.failed = true;
  return t;
}

Deployment Primary(const std::string& id, int64_t desired, Rollout rollout = Rollout::kCompleted) {
  Deployment d;
  d.id = id;
  d.status = DeploymentStatus::kPrimary;
  d.rollout = rollout;
  d.desired = desired;
  d.created_at = 50;
  return d;
}

Deployment Old(const std::string& id, int64_t desired) {
  Deployment d = Primary(id, desired);
  d.status = DeploymentStatus::kActive;
  d.created_at = 10;
  return d;
}

Input Replica(int64_t desired, std::vector<Deployment> deployments, std::vector<Task> tasks) {
  Input in;
  in.service.name = "web";
  in.service.desired_count = desired;
  in.deployments = std::move(deployments);
  in.tasks = std::move(tasks);
  in.notes.steady = true;
  in.notes.steady_event_at = kNow - 60;
  in.now = kNow;
  return in;
}

int64_t Starts(const Output& out, const std::string& deployment) {
  int64_t n = 0;
  for (const auto& s : out.starts) {
    if (s.deployment_id == deployment) n += s.count;
  }
  return n;
}

std::vector<std::string> Stopped(const Output& out) {
  std::vector<std::string> ids;
  for (const auto& s : out.stops) ids.push_back(s.task_id);
  return ids;
}

const DeploymentChange* Change(const Output& out, const std::string& id) {
  for (const auto& c : out.deployments) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

TEST(ServicePlanTest, AConvergedServicePlansNothing) {
  const Output out =
      PlanService(Replica(2, {Primary("d1", 2)}, {Running("a", "d1"), Running("b", "d1")}));
  EXPECT_THAT(out.starts, IsEmpty());
  EXPECT_THAT(out.stops, IsEmpty());
  EXPECT_THAT(out.deployments, IsEmpty());
  EXPECT_THAT(out.events, IsEmpty());
  EXPECT_FALSE(out.service_inactive);
  EXPECT_TRUE(out.notes.steady);
}

// One row: the situation and the expected counts.
struct ReplicaCase {
  std::string name;
  Input input;
  int64_t starts_new;                // for deployment "d2" (the PRIMARY when there are two)
  int64_t starts_old;                // for "d1"
  std::vector<std::string> stopped;  // task ids, in order
};

class ReplicaPlanTest : public ::testing::TestWithParam<ReplicaCase> {};

TEST_P(ReplicaPlanTest, Decides) {
  const ReplicaCase& c = GetParam();
  const Output out = PlanService(c.input);
  EXPECT_EQ(Starts(out, "d2"), c.starts_new);
  EXPECT_EQ(Starts(out, "d1"), c.starts_old);
  EXPECT_EQ(Stopped(out), c.stopped);
}

std::vector<ReplicaCase> ReplicaCases() {
  std::vector<ReplicaCase> cases;
  cases.push_back({"NewServiceStartsAllItsTasks",
                   Replica(3, {Primary("d1", 0, Rollout::kInProgress)}, {}),
                   0,
                   3,
                   {}});
  cases.push_back({"AStoppedTaskIsReplaced",
                   Replica(2, {Primary("d1", 2)}, {Running("a", "d1"), Failed("b", "d1")}),
                   0,
                   1,
                   {}});
  cases.push_back({"PendingTasksCountAsLive",
                   Replica(2, {Primary("d1", 2)}, {Running("a", "d1"), Pending("b", "d1")}),
                   0,
                   0,
                   {}});
  {
    // Scale-in stops pending tasks first, then the newest running.
    ReplicaCase c{
        "ScaleInStopsPendingThenNewest",
        Replica(1, {Primary("d1", 3)},
                {Running("old", "d1", 100), Running("new", "d1", 200), Pending("p", "d1")}),
        0,
        0,
        {"p", "new"}};
    cases.push_back(c);
  }
  {
    // A protected task is never picked for scale-in.
    Input in =
        Replica(1, {Primary("d1", 2)}, {Running("old", "d1", 100), Running("new", "d1", 200)});
    in.tasks[1].protected_until = kNow + 60;
    cases.push_back({"ProtectedTasksAreSkippedOnScaleIn", in, 0, 0, {"old"}});
  }
  {
    // Expired protection no longer counts.
    Input in =
        Replica(1, {Primary("d1", 2)}, {Running("old", "d1", 100), Running("new", "d1", 200)});
    in.tasks[1].protected_until = kNow - 1;
    cases.push_back({"ExpiredProtectionDoesNotCount", in, 0, 0, {"new"}});
  }
  // Rolling deployments at 200/100: the new tasks start first, old ones
  // stop once the new are healthy.
  cases.push_back({"RollingStartsNewWithinMaximumPercent",
                   Replica(2, {Primary("d2", 0, Rollout::kInProgress), Old("d1", 2)},
                           {Running("a", "d1"), Running("b", "d1")}),
                   2,
                   0,
                   {}});
  cases.push_back(
      {"RollingKeepsOldWhileNewArePending",
       Replica(2, {Primary("d2", 2, Rollout::kInProgress), Old("d1", 2)},
               {Running("a", "d1"), Running("b", "d1"), Pending("c", "d2"), Pending("d", "d2")}),
       0,
       0,
       {}});
  cases.push_back({"RollingStopsOldOnceNewAreHealthy",
                   Replica(2, {Primary("d2", 2, Rollout::kInProgress), Old("d1", 2)},
                           {Running("a", "d1", 100), Running("b", "d1", 110),
                            Running("c", "d2", 900), Running("d", "d2", 901)}),
                   0,
                   0,
                   {"a", "b"}});
  {
    // 100/50: room for no extra task, so one old task goes first.
    Input in = Replica(2, {Primary("d2", 0, Rollout::kInProgress), Old("d1", 2)},
                       {Running("a", "d1", 100), Running("b", "d1", 110)});
    in.service.maximum_percent = 100;
    in.service.minimum_healthy_percent = 50;
    cases.push_back({"RollingWithoutHeadroomStopsOneOldFirst", in, 0, 0, {"a"}});
  }
  {
    // 100/100 can make no progress (as on ECS).
    Input in = Replica(2, {Primary("d2", 0, Rollout::kInProgress), Old("d1", 2)},
                       {Running("a", "d1"), Running("b", "d1")});
    in.service.maximum_percent = 100;
    in.service.minimum_healthy_percent = 100;
    cases.push_back({"HundredHundredIsStuck", in, 0, 0, {}});
  }
  {
    // Old tasks that are not healthy cost nothing to stop.
    Input in = Replica(2, {Primary("d2", 0, Rollout::kInProgress), Old("d1", 2)},
                       {Running("a", "d1"), Pending("b", "d1")});
    cases.push_back({"OldPendingTasksStopAtOnce", in, 2, 0, {"b"}});
  }
  {
    // A running task whose essential health check fails after the grace
    // period is replaced; within the grace it is not.
    Input in = Replica(2, {Primary("d1", 2)}, {Running("a", "d1", 990), Running("b", "d1", 900)});
    in.service.health_check_grace_seconds = 30;
    for (auto& t : in.tasks) {
      t.has_health_check = true;
      t.health = Health::kUnhealthy;
    }
    cases.push_back({"UnhealthyAfterGraceIsReplaced", in, 0, 1, {"b"}});
  }
  {
    // Circuit breaker tripped with rollback: the old deployment is PRIMARY
    // again and tops itself up.
    Input in = Replica(2, {Primary("d2", 2, Rollout::kInProgress), Old("d1", 1)},
                       {Running("a", "d1"), Failed("x", "d2", 900), Failed("y", "d2", 910),
                        Failed("z", "d2", 920)});
    in.service.breaker_enabled = true;
    in.service.breaker_rollback = true;
    cases.push_back({"BreakerRollsBackToTheCompletedDeployment", in, 0, 1, {}});
  }
  {
    // Without the breaker, three failures in a row back off the next start.
    Input in = Replica(1, {Primary("d1", 1, Rollout::kInProgress)},
                       {Failed("x", "d1", 990), Failed("y", "d1", 995), Failed("z", "d1", 998)});
    cases.push_back({"RepeatedFailuresBackOff", in, 0, 0, {}});
  }
  {
    Input in = Replica(1, {Primary("d1", 1, Rollout::kInProgress)},
                       {Failed("x", "d1", 900), Failed("y", "d1", 950), Failed("z", "d1", 980)});
    cases.push_back({"BackOffEnds", in, 0, 1, {}});
  }
  {
    // A DRAINING service stops every task, the newest first.
    Input in = Replica(2, {Primary("d1", 2)}, {Running("a", "d1", 100), Running("b", "d1", 200)});
    in.service.draining = true;
    cases.push_back({"DrainingStopsEveryTask", in, 0, 0, {"b", "a"}});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Cases, ReplicaPlanTest, ::testing::ValuesIn(ReplicaCases()),
                         [](const auto& row) { return row.param.name; });

TEST(ServicePlanTest, ADrainedOldDeploymentGoesAndTheNewCompletes) {
  const Output out = PlanService(Replica(2, {Primary("d2", 2, Rollout::kInProgress), Old("d1", 0)},
                                         {Running("c", "d2", 900), Running("d", "d2", 901)}));
  ASSERT_NE(Change(out, "d1"), nullptr);
  EXPECT_EQ(Change(out, "d1")->status, DeploymentStatus::kInactive);
  ASSERT_NE(Change(out, "d2"), nullptr);
  EXPECT_EQ(Change(out, "d2")->rollout, Rollout::kCompleted);
  EXPECT_EQ(Change(out, "d2")->rollout_reason, "ECS deployment d2 completed.");
  EXPECT_EQ(out.completed_deployment, "d2");
  EXPECT_THAT(out.events, ElementsAre("(service web) (deployment d2) deployment completed."));
}

TEST(ServicePlanTest, SteadyStateIsAnnouncedOnceThenEverySixHours) {
  Input in = Replica(1, {Primary("d1", 1)}, {Running("a", "d1")});
  in.notes.steady = false;
  Output out = PlanService(in);
  EXPECT_THAT(out.events, ElementsAre("(service web) has reached a steady state."));
  EXPECT_TRUE(out.notes.steady);
  in.notes = out.notes;
  in.now = kNow + 60;
  EXPECT_THAT(PlanService(in).events, IsEmpty());
  in.now = kNow + 6 * 3600;
  EXPECT_THAT(PlanService(in).events, ElementsAre("(service web) has reached a steady state."));
}

TEST(ServicePlanTest, BreakerEventsAndReasons) {
  Input in = Replica(2, {Primary("d2", 2, Rollout::kInProgress), Old("d1", 1)},
                     {Running("a", "d1"), Failed("x", "d2"), Failed("y", "d2"), Failed("z", "d2")});
  in.service.breaker_enabled = true;
  in.service.breaker_rollback = true;
  const Output out = PlanService(in);
  EXPECT_EQ(out.failure, Milestone::kRollingBack);
  EXPECT_EQ(out.failed_deployment, "d2");
  EXPECT_EQ(out.rollback_to, "d1");
  ASSERT_NE(Change(out, "d2"), nullptr);
  EXPECT_EQ(Change(out, "d2")->rollout, Rollout::kFailed);
  EXPECT_EQ(Change(out, "d2")->status, DeploymentStatus::kInactive) << "no task left to drain";
  EXPECT_EQ(Change(out, "d2")->failed_tasks, 3);
  EXPECT_EQ(Change(out, "d2")->rollout_reason,
            "ECS deployment circuit breaker: tasks failed to start.");
  ASSERT_NE(Change(out, "d1"), nullptr);
  EXPECT_EQ(Change(out, "d1")->status, DeploymentStatus::kPrimary);
  EXPECT_EQ(Change(out, "d1")->rollout_reason,
            "ECS deployment circuit breaker: rolling back to deploymentId d1.");
  EXPECT_THAT(out.events, ElementsAre("(service web) (deployment d2) deployment failed: tasks "
                                      "failed to start.",
                                      "(service web) rolling back to deployment d1."));
}

TEST(ServicePlanTest, BreakerWithoutRollbackStopsLaunchingAndKeepsTheOld) {
  Input in = Replica(2, {Primary("d2", 2, Rollout::kInProgress), Old("d1", 2)},
                     {Running("a", "d1"), Running("b", "d1"), Failed("x", "d2"), Failed("y", "d2"),
                      Failed("z", "d2")});
  in.service.breaker_enabled = true;
  in.service.minimum_healthy_percent = 0;
  const Output out = PlanService(in);
  EXPECT_EQ(out.failure, Milestone::kFailed);
  EXPECT_EQ(Starts(out, "d2"), 0);
  EXPECT_THAT(out.stops, IsEmpty()) << "the old deployment still serves";
}

TEST(ServicePlanTest, TheBreakerThresholdIsHalfTheDesiredCountClamped) {
  EXPECT_EQ(BreakerThreshold(0), 3);
  EXPECT_EQ(BreakerThreshold(2), 3);
  EXPECT_EQ(BreakerThreshold(7), 4);
  EXPECT_EQ(BreakerThreshold(10), 5);
  EXPECT_EQ(BreakerThreshold(1000), 200);
}

TEST(ServicePlanTest, ADrainingServiceWithNoTasksLeftGoesInactive) {
  Input in = Replica(0, {Primary("d1", 0)}, {Failed("a", "d1")});
  in.service.draining = true;
  EXPECT_TRUE(PlanService(in).service_inactive);
}

TEST(ServicePlanTest, EventsNameStoppedAndUnhealthyTasks) {
  Input in = Replica(1, {Primary("d1", 1)}, {Running("a", "d1", 900)});
  in.tasks[0].has_health_check = true;
  in.tasks[0].health = Health::kUnhealthy;
  const Output out = PlanService(in);
  EXPECT_THAT(out.events, ElementsAre("(service web) (task a) failed container health checks."));
  ASSERT_EQ(out.stops.size(), 1u);
  EXPECT_EQ(out.stops[0].reason, "Task failed container health checks");
  ASSERT_EQ(out.starts.size(), 1u);
  EXPECT_EQ(out.starts[0].replacing_unhealthy, 1);
  EXPECT_EQ(StartedEvent("web", "", {"n"}, 1),
            "(service web) has started 1 tasks: (task n). Amazon ECS replaced 1 tasks due to an "
            "unhealthy status.");
  Input scale = Replica(1, {Primary("d1", 2)}, {Running("a", "d1", 100), Running("b", "d1", 200)});
  EXPECT_THAT(PlanService(scale).events,
              ElementsAre("(service web) has stopped 1 running tasks: (task b)."));
  EXPECT_EQ(PlanService(scale).stops[0].reason, "Scaling activity initiated by (deployment d1)");
}

TEST(ServicePlanTest, DaemonRunsOneTaskPerInstanceAndReplacesStopFirst) {
  Input in =
      Replica(0, {Primary("d2", 0, Rollout::kInProgress), Old("d1", 1)}, {Running("a", "d1")});
  in.service.daemon = true;
  in.service.instances = 1;
  in.service.maximum_percent = 100;
  in.service.minimum_healthy_percent = 0;
  const Output out = PlanService(in);
  EXPECT_EQ(Starts(out, "d2"), 0);
  EXPECT_THAT(Stopped(out), ElementsAre("a"));
}

TEST(ServicePlanTest, TaskSetsKeepTheirComputedCountsAndAnnounceSteadyState) {
  Input in = Replica(4, {}, {Running("a", "s1", 100), Running("b", "s1", 200)});
  in.service.controller = Controller::kExternal;
  Deployment s1 = Primary("s1", 0);
  s1.task_set = true;
  s1.scale_percent = 50;
  Deployment s2 = Old("s2", 0);
  s2.task_set = true;
  s2.scale_percent = 25;
  in.deployments = {s1, s2};
  in.notes.steady = false;
  Output out = PlanService(in);
  EXPECT_EQ(Starts(out, "s1"), 0);
  EXPECT_EQ(Starts(out, "s2"), 1);
  ASSERT_NE(Change(out, "s1"), nullptr);
  EXPECT_TRUE(Change(out, "s1")->steady);
  EXPECT_EQ(Change(out, "s2")->desired, 1);
  EXPECT_THAT(out.events, ElementsAre("(service web, taskSet s1) updated state to STEADY_STATE."));
  // A DRAINING set stops its tasks, then goes.
  in.deployments[0].status = DeploymentStatus::kDraining;
  out = PlanService(in);
  EXPECT_THAT(Stopped(out), ElementsAre("b", "a"));
  EXPECT_EQ(Change(out, "s1")->status, DeploymentStatus::kInactive);
}

}  // namespace
}  // namespace berth::ecs::plan
