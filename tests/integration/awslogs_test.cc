// awslogs with the real berth, AWS CLI and dockerd: a task's output read
// back with `aws logs get-log-events` once `aws ecs wait tasks-stopped`
// returns, every line once and in order, in the stream ECS names; a berth
// killed with SIGKILL and restarted while a task logs loses and repeats
// nothing; a missing log group fails the task with ECS's reason. See
// ecs_task_fixture.h for what each test starts and removes.

#include <signal.h>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/ecs_task_helpers.h"

namespace berth::testing {
namespace {

class AwslogsTest : public EcsTaskFixture {
 protected:
  const std::string group_ = "/berth/awslogs-" + id_;

  // An EC2 bridge definition of one container "logger" running `script`,
  // logging with awslogs to group_ under prefix "app".
  json LoggerTd(const std::string& family, const std::string& image, const std::string& script,
                const std::string& group) {
    json logger = Container("logger", image, script);
    logger["logConfiguration"] = {{"logDriver", "awslogs"},
                                  {"options",
                                   {{"awslogs-group", group},
                                    {"awslogs-region", "us-east-1"},
                                    {"awslogs-stream-prefix", "app"}}}};
    return Ec2Td(family, "bridge", json::array({logger}));
  }
  static std::string StreamOf(const std::string& task_arn) {
    return "app/logger/" + TaskId(task_arn);
  }

  // Every message of the stream, oldest first, read with get-log-events
  // page by page (from the head, until the forward token comes back).
  std::vector<std::string> Messages(const std::string& stream) {
    std::vector<std::string> out;
    std::string token;
    for (int page = 0; page < 1000; ++page) {
      std::vector<std::string> args = {
          "logs", "get-log-events",   "--log-group-name", group_, "--log-stream-name",
          stream, "--start-from-head"};
      if (!token.empty()) args.insert(args.end(), {"--next-token", token});
      const json r = Aws(args);
      if (!r.is_object()) break;
      for (const auto& e : r.value("events", json::array())) {
        out.push_back(e.value("message", ""));
      }
      const std::string next = r.value("nextForwardToken", "");
      if (next.empty() || next == token) break;
      token = next;
    }
    return out;
  }
  static std::vector<std::string> Numbered(int count) {
    std::vector<std::string> out;
    for (int i = 1; i <= count; ++i) out.push_back("line " + std::to_string(i));
    return out;
  }
  // How many lines of `expected` `actual` lacks, repeats or puts out of
  // order, for a readable failure.
  static std::string Differences(const std::vector<std::string>& actual,
                                 const std::vector<std::string>& expected) {
    if (actual == expected) return "";
    size_t first = 0;
    while (first < actual.size() && first < expected.size() && actual[first] == expected[first]) {
      ++first;
    }
    return std::to_string(actual.size()) + " lines instead of " + std::to_string(expected.size()) +
           "; first difference at #" + std::to_string(first) + ": " +
           (first < actual.size() ? actual[first] : "(none)") + " vs " +
           (first < expected.size() ? expected[first] : "(none)");
  }
};

TEST_F(AwslogsTest, EveryLineIsReadableInOrderOnceTheTaskHasStopped) {
  // Given a log group and a task whose container prints 10,000 numbered
  // lines and exits
  const std::string image = PushImage("logger", "x");
  Aws({"logs", "create-log-group", "--log-group-name", group_});
  Register(LoggerTd("counter", image,
                    "i=1; while [ $i -le 10000 ]; do echo \"line $i\"; i=$((i+1)); done", group_));
  CreateCluster();
  const std::string arn = RunTask("counter").value("taskArn", "");
  ASSERT_FALSE(arn.empty());

  // When `aws ecs wait tasks-stopped` returns
  const AwsResult waited =
      RunCli({"ecs", "wait", "tasks-stopped", "--cluster", cluster_, "--tasks", arn});
  ASSERT_EQ(waited.exit_code, 0) << waited.err << "\n" << LocalView(arn) << "\n" << LogTail();
  const json task = Describe(arn);
  EXPECT_EQ(task["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(ContainerOf(task, "logger")["exitCode"], 0);

  // Then the stream app/logger/<task id> is the group's only one, and holds
  // all 10,000 lines, in order, each once
  const json streams = Aws({"logs", "describe-log-streams", "--log-group-name", group_});
  ASSERT_EQ(streams["logStreams"].size(), 1u) << streams.dump();
  EXPECT_EQ(streams["logStreams"][0]["logStreamName"], StreamOf(arn));
  const std::vector<std::string> messages = Messages(StreamOf(arn));
  EXPECT_EQ(Differences(messages, Numbered(10000)), "");
  // And the container ran on json-file, from which berth read it
  const json inspected = Inspect(ContainerOf(task, "logger").value("runtimeId", ""));
  EXPECT_EQ(inspected["HostConfig"]["LogConfig"]["Type"], "json-file");
}

TEST_F(AwslogsTest, ABerthKilledAndRestartedWhileATaskLogsLosesAndRepeatsNothing) {
  // Given a task printing 3,000 numbered lines over about three seconds
  const std::string image = BuildImage("x");
  Aws({"logs", "create-log-group", "--log-group-name", group_});
  Register(LoggerTd("steady", image,
                    "i=1; while [ $i -le 3000 ]; do echo \"line $i\"; "
                    "[ $((i % 100)) -eq 0 ] && sleep 0.1; i=$((i+1)); done",
                    group_));
  CreateCluster();
  const std::string arn = RunTask("steady").value("taskArn", "");
  ASSERT_FALSE(arn.empty());

  // When berth is killed (SIGKILL) once some of its lines are stored, and
  // restarted a second later on the same data directory
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  size_t stored = 0;
  while (stored < 300 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const AwsResult r = RunCli({"logs", "get-log-events", "--log-group-name", group_,
                                "--log-stream-name", StreamOf(arn), "--start-from-head"});
    stored = r.exit_code == 0 ? r.json.value("events", json::array()).size() : 0;
  }
  ASSERT_GE(stored, 300u) << LocalView(arn) << "\n" << LogTail();
  ASSERT_LT(stored, 3000u) << "the task ended before berth could be killed";
  ASSERT_TRUE(server_->process().Stop(SIGKILL).has_value());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  StartBerth();

  // Then once the task has stopped, its stream holds each line once, in
  // order
  const json task = WaitStatus(arn, "STOPPED", 60);
  EXPECT_EQ(ContainerOf(task, "logger")["exitCode"], 0);
  EXPECT_EQ(Differences(Messages(StreamOf(arn)), Numbered(3000)), "");
}

TEST_F(AwslogsTest, AMissingLogGroupFailsTheTaskWithEcsReason) {
  const std::string image = BuildImage("x");
  Register(LoggerTd("lost", image, "echo never", group_));
  CreateCluster();
  const std::string arn = RunTask("lost").value("taskArn", "");
  const json task = WaitStatus(arn, "STOPPED");
  EXPECT_EQ(task["stopCode"], "TaskFailedToStart");
  EXPECT_EQ(task["stoppedReason"],
            "ResourceInitializationError: failed to validate logger args: create stream has been "
            "retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: "
            "The specified log group does not exist. : exit status 1");
  EXPECT_FALSE(ContainerOf(task, "logger").contains("runtimeId")) << "a container was made";
}

}  // namespace
}  // namespace berth::testing
