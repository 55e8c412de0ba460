// A task's timeline as DescribeTasks shows it while the reconciler works:
// every timestamp is taken when its event happens and they come in ECS's
// order; the statuses in between (PENDING while images pull, DEPROVISIONING
// while the namespace goes) can be seen by a client polling meanwhile; a
// stop asked for mid-step is taken up; and steps of several tasks run
// concurrently on the worker pool.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fakes/shared_fake.h"
#include "tests/unit/reconciler/reconciler_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::IsEmpty;

// The task's timestamps that are present, as (name, value).
std::vector<std::pair<std::string, double>> Stamps(const json& task,
                                                   const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& name : names) {
    if (task.contains(name)) out.emplace_back(name, task[name].get<double>());
  }
  return out;
}

TEST_F(ReconcilerTest, StartTimestampsAreTakenAsEventsHappenInEcsOrder) {
  // Given a clock that moves a millisecond on every read, and an awsvpc task
  // whose image must be pulled
  clock_.TickOnEveryRead(0.001);
  Register("timed", json::array({Container("web", {{"image", "fresh:1"}})}), "awsvpc");
  const std::string arn = RunAwsvpc("timed");

  // When one pass takes it to RUNNING
  Pass();
  const json task = Task(arn);
  ASSERT_EQ(task["lastStatus"], "RUNNING");

  // Then createdAt < connectivityAt < pullStartedAt < pullStoppedAt < startedAt
  const std::vector<std::string> order = {"createdAt", "connectivityAt", "pullStartedAt",
                                          "pullStoppedAt", "startedAt"};
  const auto stamps = Stamps(task, order);
  ASSERT_EQ(stamps.size(), order.size()) << task.dump();
  for (size_t i = 1; i < stamps.size(); ++i) {
    EXPECT_LT(stamps[i - 1].second, stamps[i].second)
        << stamps[i - 1].first << " must come before " << stamps[i].first;
  }
}

TEST_F(ReconcilerTest, PendingIsSeenWhileImagesPullAndPullStoppedAtFollowsThePull) {
  // Given an image that must be pulled, and a client that looks at the task
  // while the pull is under way
  clock_.TickOnEveryRead(0.001);
  Register("pulled", json::array({Container("web", {{"image", "fresh:2"}})}));
  const std::string arn = Run("pulled");
  json during;
  double pull_seen_at = 0;
  docker_.DuringPull([&](const std::string&) {
    during = Task(arn);
    pull_seen_at = clock_.Now();
  });

  Pass();

  // Then during the pull it was PENDING with pullStartedAt and no
  // pullStoppedAt; afterwards pullStoppedAt is after the pull began
  ASSERT_TRUE(during.is_object());
  EXPECT_EQ(during["lastStatus"], "PENDING");
  EXPECT_TRUE(during.contains("pullStartedAt"));
  EXPECT_FALSE(during.contains("pullStoppedAt"));
  EXPECT_FALSE(during.contains("startedAt"));
  const json after = Task(arn);
  EXPECT_EQ(after["lastStatus"], "RUNNING");
  EXPECT_GT(after["pullStoppedAt"].get<double>(), pull_seen_at);
  EXPECT_GT(after["startedAt"].get<double>(), after["pullStoppedAt"].get<double>());
}

TEST_F(ReconcilerTest, AStopAskedForDuringThePullIsTakenUpWithoutStartingContainers) {
  Register("late", json::array({Container("web", {{"image", "fresh:3"}})}));
  const std::string arn = Run("late");
  docker_.DuringPull([&](const std::string&) {
    EcsOk("StopTask", {{"cluster", "c"}, {"task", arn}, {"reason", "changed my mind"}});
  });
  Pass();
  const json task = Task(arn);
  EXPECT_EQ(task["desiredStatus"], "STOPPED");
  EXPECT_EQ(task["stoppedReason"], "changed my mind");
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_THAT(docker_.CallsTo("CreateContainer"), IsEmpty());
}

TEST_F(ReconcilerTest, StopTimestampsFollowTheStopAndDeprovisioningIsSeen) {
  // Given a running awsvpc task and a clock that moves on every read
  Register("stopping", json::array({Container("web")}), "awsvpc");
  const std::string arn = RunAwsvpc("stopping");
  Pass();
  ASSERT_EQ(Task(arn)["lastStatus"], "RUNNING");
  clock_.TickOnEveryRead(0.001);

  // When it is stopped (its process ends on SIGTERM)
  EcsOk("StopTask", {{"cluster", "c"}, {"task", arn}});
  Pass(2);

  // Then stoppingAt < executionStoppedAt <= stoppedAt, and the
  // namespace's teardown was published as DEPROVISIONING
  const json task = Task(arn);
  ASSERT_EQ(task["lastStatus"], "STOPPED") << task.dump();
  EXPECT_LT(task["stoppingAt"].get<double>(), task["executionStoppedAt"].get<double>());
  EXPECT_LE(task["executionStoppedAt"].get<double>(), task["stoppedAt"].get<double>());
  EXPECT_GT(task["version"].get<int>(), 3);
  EXPECT_EQ(task["attachments"][0]["status"], "DELETED");
}

// With workers, steps of different tasks overlap: a pull held up for one
// task does not hold up the others.
TEST_F(ReconcilerTest, WorkersStepSeveralTasksAtOnce) {
  reconciler::ReconcilerOptions options{kInstance, docker::kPauseImage};
  options.workers = 4;
  options.busy_period = std::chrono::milliseconds(20);
  reconciler_ = std::make_unique<reconciler::Reconciler>(
      database_, docker_, [this] { return std::make_unique<SharedFake>(docker_); }, resolver_,
      [](const storage::Partition&) { return std::string("pw"); }, clock_, options);

  // Given four tasks whose pulls each wait until all four are pulling
  Register("slow", json::array({Container("web", {{"image", "fresh:4"}})}));
  std::mutex mutex;
  std::condition_variable all_in;
  int pulling = 0;
  int most = 0;
  docker_.DuringPull([&](const std::string&) {
    std::unique_lock lock(mutex);
    most = std::max(most, ++pulling);
    all_in.notify_all();
    all_in.wait_for(lock, std::chrono::seconds(5), [&] { return most >= 4; });
  });
  std::vector<std::string> arns;
  for (int i = 0; i < 4; ++i) arns.push_back(Run("slow"));

  // When the reconciler runs on its own threads
  reconciler_->Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool all_running = false;
  while (!all_running && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    all_running = true;
    for (const auto& arn : arns) all_running = all_running && Task(arn)["lastStatus"] == "RUNNING";
  }
  reconciler_->Stop();

  // Then all four pulled at once and all run
  EXPECT_TRUE(all_running);
  std::lock_guard lock(mutex);
  EXPECT_EQ(most, 4);
}

// When a container dies, Docker's event wakes the reconciler at once: the
// task stops without waiting for a resync.
TEST_F(ReconcilerTest, ADeathReportedByDockerEventsIsSeenBeforeAnyResync) {
  reconciler::ReconcilerOptions options{kInstance, docker::kPauseImage};
  options.workers = 2;
  options.steady_resync_seconds = 3600;
  options.idle_period = std::chrono::milliseconds(3600 * 1000);
  reconciler_ = std::make_unique<reconciler::Reconciler>(
      database_, docker_, [this] { return std::make_unique<SharedFake>(docker_); }, resolver_,
      [](const storage::Partition&) { return std::string("pw"); }, clock_, options);
  Register("watched", json::array({Container("web")}));
  const std::string arn = Run("watched");
  reconciler_->Start();
  reconciler_->Poke();
  const auto wait_for = [&](const std::string& status) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Task(arn)["lastStatus"] != status && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Task(arn)["lastStatus"] == status;
  };
  ASSERT_TRUE(wait_for("RUNNING"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the watch is open
  docker_.ExitContainer(DockerId(arn, "web"), 2);
  EXPECT_TRUE(wait_for("STOPPED"));
  reconciler_->Stop();
  EXPECT_EQ(Task(arn)["stopCode"], "EssentialContainerExited");
}

TEST_F(ReconcilerTest, AClustersNetworkGoesAfterTwoSweepsWithoutTasks) {
  Register("brief", json::array({Container("web")}));
  const std::string arn = Run("brief");
  Pass();
  const std::string network = ClusterNetwork("c");
  ASSERT_FALSE(network.empty());
  EcsOk("StopTask", {{"cluster", "c"}, {"task", arn}});
  Pass(2);
  ASSERT_EQ(Task(arn)["lastStatus"], "STOPPED");
  clock_.Advance(31);
  Pass();  // first sweep without tasks: kept
  EXPECT_EQ(docker_.ListNetworks({"berth.cluster=c"}).size(), 1u);
  clock_.Advance(31);
  Pass();  // second: removed
  EXPECT_THAT(docker_.ListNetworks({"berth.cluster=c"}), IsEmpty());
  // And a new task makes it again
  Run("brief");
  Pass();
  EXPECT_EQ(docker_.ListNetworks({"berth.cluster=c"}).size(), 1u);
}

}  // namespace
}  // namespace berth::testing
