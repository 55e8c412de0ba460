// Task placement through the JSON API, without Docker: RunTask's placement
// strategies (binpack, spread on instanceId or an attribute, random) and
// constraints (memberOf, distinctInstance, also from the task definition)
// choose among a cluster's container instances; tasks that fit nowhere are
// failures naming why; bad rules are InvalidParameterException.

#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "tests/unit/api/ec2_cluster_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class EcsPlacementTest : public Ec2ClusterTest {
 protected:
  // An instance of `memory_mib` with custom attributes; returns its ARN.
  std::string Register(int64_t memory_mib, const std::map<std::string, std::string>& attributes) {
    json registration = {
        {"cluster", "c"},
        {"totalResources",
         {{{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", 4096}},
          {{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", memory_mib}}}},
        {"attributes", json::array()}};
    for (const auto& [name, value] : attributes) {
      registration["attributes"].push_back({{"name", name}, {"value", value}});
    }
    return EcsOk("RegisterContainerInstance",
                 registration)["containerInstance"]["containerInstanceArn"];
  }

  json Run(int count, const json& extra = json::object()) {
    json request = {{"cluster", "c"}, {"taskDefinition", "web"}, {"count", count}};
    request.update(extra);
    return EcsOk("RunTask", request);
  }

  // How many of `out`'s tasks went on each instance.
  static std::map<std::string, int> PerInstance(const json& out) {
    std::map<std::string, int> counts;
    for (const auto& task : out["tasks"]) ++counts[task["containerInstanceArn"]];
    return counts;
  }
};

TEST_F(EcsPlacementTest, BinpackFillsTheFullestInstanceFirst) {
  const std::string small = Register(2048, {});
  const std::string big = Register(8192, {});
  // The small one has the least memory left after each task, until full.
  const json out = Run(6, {{"placementStrategy", {{{"type", "binpack"}, {"field", "memory"}}}}});
  ASSERT_EQ(out["tasks"].size(), 6u) << out.dump();
  EXPECT_EQ(PerInstance(out), (std::map<std::string, int>{{small, 4}, {big, 2}}));
}

TEST_F(EcsPlacementTest, SpreadOnInstanceIdEvensTheCount) {
  const std::string a = Register(8192, {});
  const std::string b = Register(8192, {});
  const json spread = {{"placementStrategy", {{{"type", "spread"}, {"field", "instanceId"}}}}};
  EXPECT_EQ(PerInstance(Run(4, spread)), (std::map<std::string, int>{{a, 2}, {b, 2}}));
  // A later call counts the group's tasks already there.
  Run(1, spread);
  EXPECT_EQ(PerInstance(Run(1, spread)).size(), 1u);
  const json listed_a = EcsOk("ListTasks", {{"cluster", "c"}, {"containerInstance", a}});
  const json listed_b = EcsOk("ListTasks", {{"cluster", "c"}, {"containerInstance", b}});
  EXPECT_EQ(listed_a["taskArns"].size(), 3u);
  EXPECT_EQ(listed_b["taskArns"].size(), 3u);
}

TEST_F(EcsPlacementTest, SpreadOnAnAttributeEvensTheCountPerValue) {
  // Zone a has two instances, zone b one: spread by zone gives b as many
  // tasks as both a instances together.
  const std::string a1 = Register(8192, {{"zone", "a"}});
  const std::string a2 = Register(8192, {{"zone", "a"}});
  const std::string b = Register(8192, {{"zone", "b"}});
  const json out = Run(4, {{"placementStrategy",
                            {{{"type", "spread"}, {"field", "attribute:zone"}},
                             {{"type", "spread"}, {"field", "instanceId"}}}}});
  const auto counts = PerInstance(out);
  EXPECT_EQ(counts.at(b), 2) << out.dump();
  EXPECT_EQ(counts.at(a1), 1);
  EXPECT_EQ(counts.at(a2), 1);
}

TEST_F(EcsPlacementTest, RandomPlacesOnEveryInstanceSooner) {
  const std::string a = Register(65536, {});
  const std::string b = Register(65536, {});
  json out = Run(10, {{"placementStrategy", {{{"type", "random"}}}}});
  const json more = Run(10, {{"placementStrategy", {{{"type", "random"}}}}});
  ASSERT_EQ(out["tasks"].size(), 10u);
  ASSERT_EQ(more["tasks"].size(), 10u);
  for (const auto& task : more["tasks"]) out["tasks"].push_back(task);
  // Twenty tasks all on one of two instances: one chance in 2^19.
  EXPECT_EQ(PerInstance(out).size(), 2u) << out.dump();
}

TEST_F(EcsPlacementTest, MemberOfKeepsTasksOnMatchingInstances) {
  const std::string blue = Register(8192, {{"stack", "blue"}});
  const std::string green = Register(8192, {{"stack", "green"}});
  const json member_of = {{"placementConstraints",
                           {{{"type", "memberOf"}, {"expression", "attribute:stack == blue"}}}}};
  EXPECT_EQ(PerInstance(Run(3, member_of)), (std::map<std::string, int>{{blue, 3}}));
  // Custom attributes put later count too.
  EcsOk("PutAttributes",
        {{"cluster", "c"},
         {"attributes", {{{"name", "tier"}, {"value", "gold"}, {"targetId", green}}}}});
  const json gold = Run(2, {{"placementConstraints",
                             {{{"type", "memberOf"}, {"expression", "attribute:tier == gold"}}}}});
  EXPECT_EQ(PerInstance(gold), (std::map<std::string, int>{{green, 2}}));
  // None matching: each instance is a failure saying so.
  const json none = Run(1, {{"placementConstraints",
                             {{{"type", "memberOf"}, {"expression", "attribute:stack == red"}}}}});
  EXPECT_TRUE(none["tasks"].empty());
  ASSERT_EQ(none["failures"].size(), 2u) << none.dump();
  EXPECT_EQ(none["failures"][0]["reason"], "MemberOf placement constraint unsatisfied.");
}

TEST_F(EcsPlacementTest, TheTaskDefinitionsMemberOfConstraintApplies) {
  Register(8192, {{"stack", "blue"}});
  const std::string green = Register(8192, {{"stack", "green"}});
  EcsOk("RegisterTaskDefinition", json::parse(R"({"family": "pinned",
            "placementConstraints": [{"type": "memberOf", "expression": "attribute:stack == green"}],
            "containerDefinitions": [{"name": "web", "image": "app:1", "memory": 128}]})"));
  const json out = EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "pinned"}, {"count", 3}});
  EXPECT_EQ(PerInstance(out), (std::map<std::string, int>{{green, 3}}));
}

TEST_F(EcsPlacementTest, DistinctInstancePutsOneTaskOfTheGroupPerInstance) {
  const std::string a = Register(8192, {});
  const std::string b = Register(8192, {});
  const json distinct = {{"placementConstraints", {{{"type", "distinctInstance"}}}}};
  const json out = Run(3, distinct);
  EXPECT_EQ(PerInstance(out), (std::map<std::string, int>{{a, 1}, {b, 1}}));
  ASSERT_EQ(out["failures"].size(), 2u) << out.dump();
  EXPECT_EQ(out["failures"][0]["reason"], "DistinctInstance placement constraint unsatisfied.");
  // Another group is not held back by this one's tasks.
  EXPECT_EQ(Run(2, {{"placementConstraints", {{{"type", "distinctInstance"}}}},
                    {"group", "other"}})["tasks"]
                .size(),
            2u);
}

TEST_F(EcsPlacementTest, BadRulesAreRefusedAndNothingRuns) {
  Register(8192, {});
  const auto refused = [this](const json& extra, const std::string& message) {
    json request = {{"cluster", "c"}, {"taskDefinition", "web"}};
    request.update(extra);
    const ApiReply reply = Ecs("RunTask", request);
    EXPECT_AWS_ERROR(reply, "InvalidParameterException");
    EXPECT_THAT(reply.message(), ::testing::HasSubstr(message)) << extra.dump();
  };
  refused({{"placementStrategy", {{{"type", "binpack"}, {"field", "disk"}}}}}, "cpu or memory");
  refused({{"placementStrategy", {{{"type", "spread"}, {"field", "zone"}}}}},
          "instanceId, host or attribute:<name>");
  refused({{"placementConstraints", {{{"type", "distinctInstance"}, {"expression", "x"}}}}},
          "An expression cannot be specified");
  refused({{"placementConstraints", {{{"type", "memberOf"}}}}}, "An expression is required");
  refused(
      {{"placementConstraints", {{{"type", "memberOf"}, {"expression", "attribute:stack =="}}}}},
      "Invalid filter");
  EXPECT_TRUE(EcsOk("ListTasks", {{"cluster", "c"}})["taskArns"].empty());
  // CreateService checks them too.
  const ApiReply service =
      Ecs("CreateService", {{"cluster", "c"},
                            {"serviceName", "s"},
                            {"taskDefinition", "web"},
                            {"desiredCount", 1},
                            {"placementStrategy", {{{"type", "binpack"}, {"field", "disk"}}}}});
  EXPECT_AWS_ERROR(service, "InvalidParameterException");
}

}  // namespace
}  // namespace berth::testing
