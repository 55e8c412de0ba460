// ExecuteCommand (ECS Exec) through the real API, on tasks the reconciler
// runs on FakeDocker: the session of a running task with
// enableExecuteCommand (checked against the model), and ECS's refusals.

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/util/crypto.h"
#include "tests/unit/reconciler/reconciler_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::MatchesRegex;

constexpr const char* kNotEnabled =
    "The execute command failed because execute command was not enabled when the task was run or "
    "the execute command agent isn't running. Wait and try again or run a new task with execute "
    "command enabled and try again.";

class ExecuteCommandTest : public ReconcilerTest {
 protected:
  ExecuteCommandTest() {
    Register("web", json::array({Container("web")}));
    Register("pair", json::array({Container("a"), Container("b")}));
  }

  ApiReply Exec(const std::string& task, json extra = json::object()) {
    json in = {{"cluster", "c"}, {"task", task}, {"interactive", true}, {"command", "ls /"}};
    in.update(extra);
    return Ecs("ExecuteCommand", in);
  }
};

TEST_F(ExecuteCommandTest, ARunningTaskWithExecuteCommandGetsASessionNamingItsContainer) {
  const std::string arn = Run("web", {{"enableExecuteCommand", true}});
  EXPECT_EQ(Exec(arn).message(), kNotEnabled);  // not running yet
  Pass(2);
  const json task = Task(arn);
  ASSERT_EQ(task["lastStatus"], "RUNNING");
  const ApiReply reply = Exec(arn.substr(arn.rfind('/') + 1));  // a bare task id works too
  ASSERT_EQ(reply.status, 200u) << reply.raw;
  const json& out = reply.body;
  EXPECT_EQ(out["taskArn"], arn);
  EXPECT_EQ(out["clusterArn"], "arn:aws:ecs:us-east-1:000000000000:cluster/c");
  EXPECT_EQ(out["containerName"], "web");
  EXPECT_EQ(out["containerArn"], ContainerOf(task, "web")["containerArn"]);
  EXPECT_EQ(out["interactive"], true);
  const std::string runtime_id = ContainerOf(task, "web")["runtimeId"];
  EXPECT_THAT(out["session"]["sessionId"].get<std::string>(),
              MatchesRegex("ecs-execute-command-[0-9a-f]{17}"));
  EXPECT_EQ(out["session"]["streamUrl"], "docker-exec://" + runtime_id + "?command=ls%20%2F");
  const auto token = crypto::Base64Decode(out["session"]["tokenValue"].get<std::string>());
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(json::parse(*token), json({{"runtimeId", runtime_id}, {"command", "ls /"}}));
}

TEST_F(ExecuteCommandTest, ECSRefusalsAreReproduced) {
  const std::string plain = Run("web");
  const std::string pair = Run("pair", {{"enableExecuteCommand", true}});
  Pass(2);
  ApiReply r = Exec(plain);
  EXPECT_AWS_ERROR(r, "InvalidParameterException");
  EXPECT_EQ(r.message(), kNotEnabled);
  r = Exec(pair, {{"interactive", false}});
  EXPECT_AWS_ERROR(r, "InvalidParameterException");
  EXPECT_EQ(r.message(), "Interactive is the only mode supported currently.");
  EXPECT_AWS_ERROR(Exec(pair), "InvalidParameterException");  // which container?
  EXPECT_EQ(Exec(pair, {{"container", "b"}}).status, 200u);
  EXPECT_AWS_ERROR(Exec(pair, {{"container", "zz"}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(Exec("0123456789abcdef0123456789abcdef"), "InvalidParameterException");
  EXPECT_AWS_ERROR(Exec(plain, {{"cluster", "nope"}}), "ClusterNotFoundException");
}

}  // namespace
}  // namespace berth::testing
