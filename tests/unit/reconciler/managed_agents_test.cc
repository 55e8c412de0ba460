// The ExecuteCommandAgent managed agent on the containers of a task run
// with enableExecuteCommand, as DescribeTasks shows it (every reply checked
// against the model's output shape): PENDING, RUNNING with lastStartedAt
// once the container runs, STOPPED once it stopped; no entry without
// enableExecuteCommand.

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/reconciler/reconciler_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class ManagedAgentsTest : public ReconcilerTest {
 protected:
  ManagedAgentsTest() { Register("pair", json::array({Container("a"), Container("b")})); }
};

TEST_F(ManagedAgentsTest, TheExecuteCommandAgentFollowsItsContainer) {
  const std::string arn = Run("pair", {{"enableExecuteCommand", true}});
  json task = Task(arn);
  for (const auto& c : task["containers"]) {
    ASSERT_EQ(c["managedAgents"].size(), 1u) << c.dump();
    EXPECT_EQ(c["managedAgents"][0]["name"], "ExecuteCommandAgent");
    EXPECT_EQ(c["managedAgents"][0]["lastStatus"], "PENDING");
    EXPECT_FALSE(c["managedAgents"][0].contains("lastStartedAt"));
  }
  Pass(2);
  task = Task(arn);
  ASSERT_EQ(task["lastStatus"], "RUNNING");
  for (const auto& c : task["containers"]) {
    ASSERT_EQ(c["managedAgents"].size(), 1u);
    const json& agent = c["managedAgents"][0];
    EXPECT_EQ(agent["name"], "ExecuteCommandAgent");
    EXPECT_EQ(agent["lastStatus"], "RUNNING");
    EXPECT_GE(agent["lastStartedAt"].get<double>(), task["createdAt"].get<double>());
    EXPECT_LE(agent["lastStartedAt"].get<double>(), task["startedAt"].get<double>() + 1);
  }
  const double started = ContainerOf(task, "a")["managedAgents"][0]["lastStartedAt"];
  Pass(2);
  EXPECT_EQ(ContainerOf(Task(arn), "a")["managedAgents"][0]["lastStartedAt"], started)
      << "a running agent keeps its start time";

  EcsOk("StopTask", {{"cluster", "c"}, {"task", arn}});
  Pass(3);
  task = Task(arn);
  ASSERT_EQ(task["lastStatus"], "STOPPED");
  for (const auto& c : task["containers"]) {
    EXPECT_EQ(c["managedAgents"][0]["lastStatus"], "STOPPED");
    EXPECT_EQ(c["managedAgents"][0]["lastStartedAt"], started);
  }
}

TEST_F(ManagedAgentsTest, WithoutExecuteCommandThereIsNoAgent) {
  const std::string arn = Run("pair");
  Pass(2);
  const json task = Task(arn);
  ASSERT_EQ(task["lastStatus"], "RUNNING");
  for (const auto& c : task["containers"]) EXPECT_FALSE(c.contains("managedAgents")) << c.dump();
}

}  // namespace
}  // namespace berth::testing
