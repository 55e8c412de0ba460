// awslogs end to end in process: tasks recorded through the real ECS API,
// the reconciler on FakeDocker, the collector's threads reading the fake's
// output into an in-memory LogSink. Lines arrive in order in the task's
// stream, multiline events group, STOPPED is only visible once every line
// is stored (also the lines a follower ends without), a restarted Berth
// neither repeats nor loses a line, a missing group fails the task with
// ECS's reason, and the drivers Docker has built in reach Docker as they
// are.

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/task_store.h"
#include "tests/fakes/fake_log_sink.h"
#include "tests/fakes/shared_fake.h"
#include "tests/unit/reconciler/reconciler_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kAccount = "000000000000";
constexpr const char* kRegion = "us-east-1";

class AwslogsCollectTest : public ReconcilerTest {
 protected:
  AwslogsCollectTest() {
    sink_.AddGroup(kAccount, kRegion, "/ecs/app");
    reconciler_ = CollectingReconciler();
  }

  // A reconciler that steps tasks inside ReconcileOnce and collects awslogs
  // output on threads of its own (clients of the shared fake).
  std::unique_ptr<reconciler::Reconciler> CollectingReconciler() {
    reconciler::ReconcilerOptions options{kInstance, docker::kPauseImage};
    options.steady_resync_seconds = 0;
    auto r = std::make_unique<reconciler::Reconciler>(
        database_, docker_, [this] { return std::make_unique<SharedFake>(docker_); }, resolver_,
        [](const storage::Partition&) { return std::string("pw"); }, clock_, options);
    reconciler::LogCollectorOptions collector;
    collector.limits.flush_period = std::chrono::milliseconds(10);
    collector.retry_delay = std::chrono::milliseconds(50);
    r->SetLogSink(&sink_, collector);
    return r;
  }

  static json Awslogs(json options) {
    return {{"logDriver", "awslogs"}, {"options", std::move(options)}};
  }
  // A container "web" logging to /ecs/app with prefix "ecs".
  void RegisterLogger(const std::string& family, json extra_options = json::object()) {
    json options = {{"awslogs-group", "/ecs/app"},
                    {"awslogs-region", kRegion},
                    {"awslogs-stream-prefix", "ecs"}};
    options.update(extra_options);
    Register(family, json::array({Container("web", {{"logConfiguration", Awslogs(options)}})}));
  }
  static std::string TaskId(const std::string& arn) { return arn.substr(arn.rfind('/') + 1); }
  static reconciler::LogDestination StreamOf(const std::string& arn) {
    return {kAccount, kRegion, "/ecs/app", "ecs/web/" + TaskId(arn)};
  }

  // Passes (each also waiting a little for the collector's threads) until
  // `done`, for at most five seconds; returns whether it came.
  bool PassUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      Pass();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  bool Stored(const std::string& arn, size_t events) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (sink_.Events(StreamOf(arn)).size() < events) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  void Write(const std::string& arn, int from, int to) {
    std::string text;
    for (int i = from; i <= to; ++i) text += "line " + std::to_string(i) + "\n";
    docker_.WriteOutput(DockerId(arn, "web"), docker::LogSource::kStdout, text);
  }
  static std::vector<std::string> Numbered(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i <= to; ++i) out.push_back("line " + std::to_string(i));
    return out;
  }

  FakeLogSink sink_;
};

TEST_F(AwslogsCollectTest, LinesArriveInOrderInTheTasksStream) {
  // Given a running awslogs task whose container writes to both outputs
  RegisterLogger("ordered");
  const std::string arn = Run("ordered");
  Pass();
  ASSERT_EQ(Task(arn)["lastStatus"], "RUNNING");
  const std::string id = DockerId(arn, "web");
  // It runs on json-file, which Berth reads back.
  EXPECT_EQ(docker_.SpecOf(id)->log_driver, "json-file");
  EXPECT_TRUE(docker_.SpecOf(id)->log_options.empty());
  Write(arn, 1, 300);
  docker_.WriteOutput(id, docker::LogSource::kStderr, "to stderr\n\n");
  Write(arn, 301, 302);

  // Then every line reaches the stream ecs/web/<task id>, in order, empty
  // lines dropped, stamped with Docker's time in milliseconds
  ASSERT_TRUE(Stored(arn, 303));
  std::vector<std::string> expected = Numbered(1, 300);
  expected.push_back("to stderr");
  for (const auto& line : Numbered(301, 302)) expected.push_back(line);
  EXPECT_EQ(sink_.Messages(StreamOf(arn)), expected);
  const auto events = sink_.Events(StreamOf(arn));
  EXPECT_EQ(events.front().timestamp_ms / 1000, 1767225600);  // the fake's 2026-01-01
  EXPECT_EQ(sink_.Streams(),
            std::vector<std::string>{"000000000000/us-east-1//ecs/app/ecs/web/" + TaskId(arn)});
}

TEST_F(AwslogsCollectTest, MultilineEventsGroupByThePattern) {
  RegisterLogger("multi", {{"awslogs-multiline-pattern", "^\\["}});
  const std::string arn = Run("multi");
  Pass();
  docker_.WriteOutput(DockerId(arn, "web"), docker::LogSource::kStdout,
                      "[1] Traceback\n  File x\n  File y\n[2] ok\n[3] last\n");
  docker_.ExitContainer(DockerId(arn, "web"), 0);
  ASSERT_TRUE(PassUntil([&] { return Task(arn)["lastStatus"] == "STOPPED"; }));
  EXPECT_THAT(sink_.Messages(StreamOf(arn)),
              ElementsAre("[1] Traceback\n  File x\n  File y\n", "[2] ok\n", "[3] last\n"));
}

TEST_F(AwslogsCollectTest, StoppedIsOnlyVisibleOnceEveryLineIsStored) {
  // Given a task whose lines the sink refuses a few times (so storing them
  // takes a while after the container exits)
  RegisterLogger("drained");
  const std::string arn = Run("drained");
  Pass();
  sink_.FailAppends(4);
  Write(arn, 1, 1000);
  docker_.ExitContainer(DockerId(arn, "web"), 0);

  // When the reconciler takes the task to STOPPED
  bool seen_stopping = false;
  ASSERT_TRUE(PassUntil([&] {
    const json task = Task(arn);
    const bool stopped = task["lastStatus"] == "STOPPED";
    // Then whenever STOPPED shows, every line is there already
    if (stopped) {
      EXPECT_EQ(sink_.Events(StreamOf(arn)).size(), 1000u);
    }
    seen_stopping = seen_stopping || (task["lastStatus"] == "STOPPING" &&
                                      sink_.Events(StreamOf(arn)).size() < 1000u);
    return stopped;
  }));
  EXPECT_TRUE(seen_stopping) << "the task was never seen waiting for its lines";
  EXPECT_EQ(sink_.Messages(StreamOf(arn)), Numbered(1, 1000));
  EXPECT_EQ(Task(arn)["stopCode"], "EssentialContainerExited");
}

TEST_F(AwslogsCollectTest, LinesAFollowerMissesAtTheStopAreReadAfterIt) {
  // Given a Docker whose follower ends at the container's stop without what
  // was written just before (Docker 20.10's json-file reader), and a task
  // whose first 100 lines are stored, the collector waiting for more
  docker_.SetFollowEndsAtStop(true);
  RegisterLogger("tail");
  const std::string arn = Run("tail");
  Pass();
  Write(arn, 1, 100);
  ASSERT_TRUE(Stored(arn, 100));

  // When the container writes 900 more lines (the last without a newline)
  // and exits at once
  std::string rest;
  for (int i = 101; i <= 1000; ++i) rest += "line " + std::to_string(i) + (i < 1000 ? "\n" : "");
  docker_.ExitContainer(DockerId(arn, "web"), 0, rest);

  // Then the task STOPs with all 1,000 lines in its stream, each once
  ASSERT_TRUE(PassUntil([&] { return Task(arn)["lastStatus"] == "STOPPED"; }));
  EXPECT_EQ(sink_.Messages(StreamOf(arn)), Numbered(1, 1000));
}

TEST_F(AwslogsCollectTest, ARestartedBerthNeitherRepeatsNorLosesALine) {
  // Given a running task whose first 100 lines are stored
  RegisterLogger("restarted");
  const std::string arn = Run("restarted");
  Pass();
  Write(arn, 1, 100);
  ASSERT_TRUE(Stored(arn, 100));

  // When Berth dies while lines 101..150 are read but cannot be stored,
  // and 151..200 come while no Berth runs
  sink_.FailAppends(1'000'000);
  Write(arn, 101, 150);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  reconciler_->Stop();
  reconciler_.reset();
  sink_.FailAppends(0);
  Write(arn, 151, 200);

  // And a new Berth adopts the task, which then ends
  reconciler_ = CollectingReconciler();
  Pass();
  ASSERT_TRUE(Stored(arn, 200));
  docker_.ExitContainer(DockerId(arn, "web"), 0);
  ASSERT_TRUE(PassUntil([&] { return Task(arn)["lastStatus"] == "STOPPED"; }));

  // Then the stream holds every line once, in order
  EXPECT_EQ(sink_.Messages(StreamOf(arn)), Numbered(1, 200));
}

TEST_F(AwslogsCollectTest, AMissingGroupFailsTheTaskWithEcsReason) {
  // Given a definition whose group does not exist, without create-group
  Register("nogroup",
           json::array({Container(
               "web", {{"logConfiguration", Awslogs({{"awslogs-group", "/ecs/missing"},
                                                     {"awslogs-region", kRegion},
                                                     {"awslogs-stream-prefix", "ecs"}})}})}));
  const std::string arn = Run("nogroup");
  Pass(2);

  // Then the task stops before any container is made, saying why
  const json task = Task(arn);
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "TaskFailedToStart");
  EXPECT_EQ(task["stoppedReason"], FakeLogSink::kMissingGroup);
  EXPECT_EQ(ContainerOf(task, "web")["reason"], FakeLogSink::kMissingGroup);
  EXPECT_THAT(docker_.CallsTo("CreateContainer"), IsEmpty());

  // And with awslogs-create-group "true" the group is made and the task runs
  Register("makegroup",
           json::array({Container(
               "web", {{"logConfiguration", Awslogs({{"awslogs-group", "/ecs/made"},
                                                     {"awslogs-create-group", "true"},
                                                     {"awslogs-stream-prefix", "ecs"}})}})}));
  const std::string made = Run("makegroup");
  Pass();
  EXPECT_EQ(Task(made)["lastStatus"], "RUNNING");
  EXPECT_THAT(sink_.Streams(),
              ::testing::Contains("000000000000/us-east-1//ecs/made/ecs/web/" + TaskId(made)));
}

TEST_F(AwslogsCollectTest, OptionsDockerRefusesFailTheContainerLikeDocker) {
  Register("badopts", json::array({Container(
                          "web", {{"logConfiguration", Awslogs({{"awslogs-region", kRegion}})}})}));
  const std::string arn = Run("badopts");
  Pass(2);
  const json task = Task(arn);
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stoppedReason"],
            "CannotCreateContainerError: must specify a value for log opt 'awslogs-group'");
}

TEST_F(AwslogsCollectTest, WithoutAPrefixTheStreamIsTheContainerId) {
  Register("noprefix",
           json::array({Container(
               "web", {{"logConfiguration", Awslogs({{"awslogs-group", "/ecs/app"}})}})}));
  const std::string arn = Run("noprefix");
  Pass();
  const std::string id = DockerId(arn, "web");
  docker_.WriteOutput(id, docker::LogSource::kStdout, "hello\n");
  const reconciler::LogDestination stream{kAccount, kRegion, "/ecs/app", id};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (sink_.Messages(stream).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_THAT(sink_.Messages(stream), ElementsAre("hello"));
}

TEST_F(AwslogsCollectTest, ResetForgetsTheCursorsOfTheContainersItRemoves) {
  RegisterLogger("reset");
  const std::string arn = Run("reset");
  Pass();
  const std::string id = DockerId(arn, "web");
  Write(arn, 1, 3);
  ASSERT_TRUE(Stored(arn, 3));
  EXPECT_TRUE(sink_.HasCursor(id));
  reconciler_->RemoveAll();
  EXPECT_FALSE(sink_.HasCursor(id));
  EXPECT_FALSE(docker_.IdOf(id));
}

TEST_F(AwslogsCollectTest, ASweepForgetsTheCursorOfAContainerRemovedBehindBerthsBack) {
  // Given a stopped awslogs task whose lines are stored, and another running
  RegisterLogger("removed");
  const std::string gone = Run("removed");
  const std::string kept = Run("removed");
  Pass();
  Write(gone, 1, 3);
  Write(kept, 1, 3);
  ASSERT_TRUE(Stored(gone, 3));
  ASSERT_TRUE(Stored(kept, 3));
  docker_.ExitContainer(DockerId(gone, "web"), 0);
  ASSERT_TRUE(PassUntil([&] { return Task(gone)["lastStatus"] == "STOPPED"; }));
  const std::string gone_id = DockerId(gone, "web");
  const std::string kept_id = DockerId(kept, "web");
  ASSERT_TRUE(sink_.HasCursor(gone_id));

  // When its container is removed outside Berth (`docker rm`) and a sweep runs
  docker_.RemoveContainer(gone_id);
  Pass(31);

  // Then its cursor is gone, and the running task's is still there
  EXPECT_FALSE(sink_.HasCursor(gone_id));
  EXPECT_TRUE(sink_.HasCursor(kept_id));
  EXPECT_EQ(Task(kept)["lastStatus"], "RUNNING");
}

TEST_F(AwslogsCollectTest, AnAdoptedTaskWhoseStreamWasNeverMadeGetsItAndItsLines) {
  // Given a task started by a Berth that did not collect awslogs (no sink):
  // its stream was never made
  reconciler_->Stop();
  reconciler_ = MakeReconciler();
  RegisterLogger("older");
  const std::string arn = Run("older");
  Pass();
  ASSERT_EQ(Task(arn)["lastStatus"], "RUNNING");
  EXPECT_THAT(sink_.Streams(), IsEmpty());
  Write(arn, 1, 5);

  // When a Berth that collects adopts it
  reconciler_->Stop();
  reconciler_ = CollectingReconciler();
  Pass();

  // Then the stream is made and holds the lines written before and after
  Write(arn, 6, 8);
  ASSERT_TRUE(Stored(arn, 8));
  EXPECT_EQ(sink_.Messages(StreamOf(arn)), Numbered(1, 8));
}

TEST_F(ReconcilerTest, WithoutALogSinkAwslogsIsNotedAsNotHonoured) {
  Register(
      "plain",
      json::array({Container(
          "web", {{"logConfiguration",
                   {{"logDriver", "awslogs"}, {"options", {{"awslogs-group", "/ecs/app"}}}}}})}));
  const std::string arn = Run("plain");
  Pass();
  EXPECT_EQ(Task(arn)["lastStatus"], "RUNNING");
  EXPECT_EQ(docker_.SpecOf(DockerId(arn, "web"))->log_driver, "json-file");
  auto lease = database_.Acquire();
  const auto task =
      storage::TaskStore(lease.db()).Find({kAccount, kRegion}, "c", arn.substr(arn.rfind('/') + 1));
  ASSERT_TRUE(task);
  EXPECT_THAT(json::parse(task->runtime)["notes"].dump(),
              HasSubstr("web: logConfiguration awslogs is not honoured"));
}

TEST_F(ReconcilerTest, DockersOwnLogDriversReachDockerAsGiven) {
  Register(
      "drivers",
      json::array(
          {Container("fluent",
                     {{"logConfiguration",
                       {{"logDriver", "fluentd"},
                        {"options", {{"fluentd-address", "127.0.0.1:24224"}, {"tag", "app"}}}}}}),
           Container("firelens", {{"logConfiguration", {{"logDriver", "awsfirelens"}}}})}));
  const std::string arn = Run("drivers");
  Pass();
  const auto fluent = docker_.SpecOf(DockerId(arn, "fluent"));
  ASSERT_TRUE(fluent);
  EXPECT_EQ(fluent->log_driver, "fluentd");
  EXPECT_EQ(fluent->log_options, (std::map<std::string, std::string>{
                                     {"fluentd-address", "127.0.0.1:24224"}, {"tag", "app"}}));
  EXPECT_EQ(docker_.SpecOf(DockerId(arn, "firelens"))->log_driver, "");
  auto lease = database_.Acquire();
  const auto task =
      storage::TaskStore(lease.db()).Find({kAccount, kRegion}, "c", arn.substr(arn.rfind('/') + 1));
  ASSERT_TRUE(task);
  EXPECT_THAT(json::parse(task->runtime)["notes"].dump(),
              HasSubstr("firelens: logConfiguration awsfirelens is not applied"));
}

}  // namespace
}  // namespace berth::testing
