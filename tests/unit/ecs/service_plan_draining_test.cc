// The service plan when container instances drain (ECS's "container
// instance draining"): PENDING service tasks on a DRAINING instance stop at
// once; RUNNING ones are replaced within maximumPercent and stop while
// minimumHealthyPercent holds; the service is not steady until none is left
// there.

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/ecs/service_plan.h"

// A namespace of its own: the helpers share names with service_plan_test.cc.
namespace berth::ecs::plan::draining_test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr double kNow = 1000;

Task Running(const std::string& id, bool draining, double started = 100) {
  Task t;
  t.id = id;
  t.deployment_id = "d1";
  t.state = TaskState::kRunning;
  t.created_at = started - 1;
  t.started_at = started;
  t.on_draining_instance = draining;
  return t;
}

Task Pending(const std::string& id, bool draining) {
  Task t;
  t.id = id;
  t.deployment_id = "d1";
  t.state = TaskState::kPending;
  t.created_at = 900;
  t.on_draining_instance = draining;
  return t;
}

// A converged REPLICA service "web" of `desired` tasks (one COMPLETED
// deployment d1) with the given tasks and deployment configuration.
Input Service(int64_t desired, std::vector<Task> tasks, int64_t min_healthy = 100,
              int64_t max_percent = 200) {
  Input in;
  in.service.name = "web";
  in.service.desired_count = desired;
  in.service.minimum_healthy_percent = min_healthy;
  in.service.maximum_percent = max_percent;
  Deployment d;
  d.id = "d1";
  d.rollout = Rollout::kCompleted;
  d.desired = desired;
  d.created_at = 50;
  in.deployments = {d};
  in.tasks = std::move(tasks);
  in.notes.steady = true;
  in.notes.steady_event_at = kNow - 60;
  in.now = kNow;
  return in;
}

int64_t Starts(const Output& out) {
  int64_t n = 0;
  for (const auto& s : out.starts) n += s.count;
  return n;
}

std::vector<std::string> Stopped(const Output& out) {
  std::vector<std::string> ids;
  for (const auto& s : out.stops) {
    EXPECT_EQ(s.reason, kDrainingReason);
    EXPECT_EQ(s.kind, StopKind::kDraining);
    ids.push_back(s.task_id);
  }
  return ids;
}

TEST(ServicePlanDrainingTest, ReplacementsStartFirstAtTheDefaults) {
  // 100/200, two tasks on a draining instance: two replacements, no stop yet.
  Output out = PlanService(Service(2, {Running("a", true), Running("b", true)}));
  EXPECT_EQ(Starts(out), 2);
  EXPECT_THAT(out.stops, IsEmpty());
  EXPECT_FALSE(out.notes.steady) << "tasks on a DRAINING instance: not steady";

  // Replacements pending: the drained ones keep serving.
  out = PlanService(Service(
      2, {Running("a", true), Running("b", true), Pending("c", false), Pending("d", false)}));
  EXPECT_EQ(Starts(out), 0);
  EXPECT_THAT(out.stops, IsEmpty());

  // Replacements running: the drained ones stop, with the event ECS writes.
  out = PlanService(Service(2, {Running("a", true, 100), Running("b", true, 110),
                                Running("c", false, 900), Running("d", false, 901)}));
  EXPECT_EQ(Starts(out), 0);
  EXPECT_THAT(Stopped(out), ElementsAre("a", "b"));
  EXPECT_THAT(out.events,
              Contains("(service web) has stopped 2 running tasks: (task a) (task b)."));

  // Converged again: steady.
  out = PlanService(Service(2, {Running("c", false, 900), Running("d", false, 901)}));
  EXPECT_THAT(out.starts, IsEmpty());
  EXPECT_THAT(out.stops, IsEmpty());
  EXPECT_TRUE(out.notes.steady);
}

TEST(ServicePlanDrainingTest, MaximumPercentCapsHowManyRunAtOnce) {
  // 100/150 of 2: three may run, so one replacement at a time.
  Output out = PlanService(Service(2, {Running("a", true), Running("b", true)}, 100, 150));
  EXPECT_EQ(Starts(out), 1);
  EXPECT_THAT(out.stops, IsEmpty());
  // It runs: one drained task may go (3 healthy, floor 2).
  out = PlanService(Service(
      2, {Running("a", true, 100), Running("b", true, 110), Running("c", false, 900)}, 100, 150));
  EXPECT_EQ(Starts(out), 0);
  EXPECT_THAT(Stopped(out), ElementsAre("a"));
  // One drained left, two live: the second replacement starts.
  out = PlanService(Service(2, {Running("b", true, 110), Running("c", false, 900)}, 100, 150));
  EXPECT_EQ(Starts(out), 1);
  EXPECT_THAT(out.stops, IsEmpty());
}

TEST(ServicePlanDrainingTest, MinimumHealthyBelowHundredStopsBeforeReplacing) {
  // 50/100 of 2: no room above the desired count; one drained task stops
  // first (1 healthy stays), its replacement starts on the next pass.
  Output out = PlanService(Service(2, {Running("a", true), Running("b", true, 110)}, 50, 100));
  EXPECT_EQ(Starts(out), 0);
  EXPECT_THAT(Stopped(out), ElementsAre("a"));
  out = PlanService(Service(2, {Running("b", true, 110)}, 50, 100));
  EXPECT_EQ(Starts(out), 1);
  EXPECT_THAT(out.stops, IsEmpty());
}

TEST(ServicePlanDrainingTest, HundredAndHundredCannotMove) {
  // ECS documents this: neither a replacement nor a stop is allowed.
  const Output out = PlanService(Service(1, {Running("a", true)}, 100, 100));
  EXPECT_THAT(out.starts, IsEmpty());
  EXPECT_THAT(out.stops, IsEmpty());
}

TEST(ServicePlanDrainingTest, PendingTasksOnADrainingInstanceStopAtOnce) {
  const Output out = PlanService(Service(2, {Running("a", false), Pending("p", true)}));
  EXPECT_THAT(Stopped(out), ElementsAre("p"));
  EXPECT_EQ(Starts(out), 1);
  EXPECT_THAT(out.events, IsEmpty()) << "no running task stopped";
}

TEST(ServicePlanDrainingTest, ScaleInDoesNotPickTasksThatAreLeavingAnyway) {
  // Desired 1 while one task drains: the drained one goes by draining.
  const Output out =
      PlanService(Service(1, {Running("a", true, 100), Running("b", false, 900)}, 100, 200));
  EXPECT_EQ(Starts(out), 0);
  EXPECT_THAT(Stopped(out), ElementsAre("a"));
}

TEST(ServicePlanDrainingTest, TaskSetsReplaceThenStop) {
  Input in = Service(2, {Running("a", true), Running("b", false, 900)});
  in.service.controller = Controller::kExternal;
  in.deployments[0].task_set = true;
  in.deployments[0].scale_percent = 100;
  Output out = PlanService(in);
  EXPECT_EQ(Starts(out), 1);
  EXPECT_THAT(out.stops, IsEmpty());
  in.tasks.push_back(Running("c", false, 950));
  out = PlanService(in);
  EXPECT_EQ(Starts(out), 0);
  EXPECT_THAT(Stopped(out), ElementsAre("a"));
}

TEST(ServicePlanDrainingTest, ADaemonTaskWaitsForTheInstancesOtherServiceTasks) {
  // DAEMON: one task per ACTIVE instance (1 left), 0/100.
  Input in = Service(1, {Running("d", true), Running("e", false, 900)}, 0, 100);
  in.service.daemon = true;
  in.service.instances = 1;
  in.tasks[0].instance_busy = true;
  Output out = PlanService(in);
  EXPECT_THAT(out.stops, IsEmpty());
  EXPECT_THAT(out.starts, IsEmpty());
  EXPECT_GT(out.wake_at, kNow) << "looks again: other services' tasks do not wake it";
  in.tasks[0].instance_busy = false;
  out = PlanService(in);
  EXPECT_THAT(Stopped(out), ElementsAre("d"));
  EXPECT_THAT(out.starts, IsEmpty()) << "not replaced elsewhere";
}

}  // namespace
}  // namespace berth::ecs::plan::draining_test
