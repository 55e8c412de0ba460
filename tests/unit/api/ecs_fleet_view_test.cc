// The fleet view placement reads (server/ecs/fleet_view.h) stays exactly what
// is stored: after each kind of write to a cluster's container instances or
// their attributes (register, deregister, drain, attributes put and deleted,
// the reconciler marking an engine's agents disconnected, a rolled-back
// write), the next placement sees it; without a write, the view is reused.

#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "server/ecs/fleet_view.h"
#include "storage/container_instance_store.h"
#include "storage/ecs_settings_store.h"
#include "storage/sqlite/db.h"
#include "tests/unit/api/ec2_cluster_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class FleetViewTest : public Ec2ClusterTest {
 protected:
  // An instance with an attribute "name" of value `name`, registered a
  // second after the one before (the oldest takes a task when nothing else
  // decides); returns its ARN.
  std::string Register(const std::string& name) {
    clock_.Advance(1);
    return EcsOk(
        "RegisterContainerInstance",
        {{"cluster", "c"},
         {"totalResources",
          {{{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", 4096}},
           {{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", 8192}}}},
         {"attributes",
          {{{"name", "name"}, {"value", name}}}}})["containerInstance"]["containerInstanceArn"];
  }

  // RunTask of one task with `extra` members.
  json Run(const json& extra = json::object()) {
    json request = {{"cluster", "c"}, {"taskDefinition", "web"}};
    request.update(extra);
    return EcsOk("RunTask", request);
  }
  // Where one task constrained by `expression` goes ("" when nowhere).
  std::string PlaceWhere(const std::string& expression) {
    const json out =
        Run({{"placementConstraints", {{{"type", "memberOf"}, {"expression", expression}}}}});
    return out["tasks"].empty() ? "" : out["tasks"][0]["containerInstanceArn"].get<std::string>();
  }
  // The reasons of a RunTask's failures, by instance.
  static std::map<std::string, std::string> Reasons(const json& out) {
    std::map<std::string, std::string> reasons;
    for (const auto& f : out["failures"]) reasons[f["arn"]] = f["reason"];
    return reasons;
  }

  aws::RequestContext Context() const {
    aws::RequestContext context;
    context.account_id = "000000000000";
    context.region = "us-east-1";
    return context;
  }
  int64_t Builds() const { return ecs::FleetViews::Shared().builds(); }
};

TEST_F(FleetViewTest, ARegisteredInstanceIsPlacedOnAtOnce) {
  const std::string a = Register("a");
  EXPECT_EQ(PlaceWhere("attribute:name == a"), a);
  const std::string b = Register("b");
  EXPECT_EQ(PlaceWhere("attribute:name == b"), b);
}

TEST_F(FleetViewTest, ADeregisteredInstanceTakesNothing) {
  const std::string a = Register("a");
  const std::string b = Register("b");
  EXPECT_EQ(PlaceWhere("attribute:name == b"), b);
  EcsOk("DeregisterContainerInstance",
        {{"cluster", "c"}, {"containerInstance", b}, {"force", true}});
  EXPECT_EQ(PlaceWhere("attribute:name == b"), "");
  EXPECT_EQ(PlaceWhere("attribute:name exists"), a);
  EcsOk("DeregisterContainerInstance",
        {{"cluster", "c"}, {"containerInstance", a}, {"force", true}});
  const ApiReply none = Ecs("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}});
  EXPECT_EQ(none.error_type(), "InvalidParameterException");
  EXPECT_EQ(none.message(), "No Container Instances were found in your cluster.");
}

TEST_F(FleetViewTest, ADrainedInstanceTakesNothingUntilActiveAgain) {
  const std::string a = Register("a");
  const std::string b = Register("b");
  EXPECT_EQ(PlaceWhere("attribute:name exists"), a);  // the oldest
  EcsOk("UpdateContainerInstancesState",
        {{"cluster", "c"}, {"containerInstances", {a}}, {"status", "DRAINING"}});
  EXPECT_EQ(PlaceWhere("attribute:name exists"), b);
  EXPECT_EQ(PlaceWhere("attribute:name == a"), "");
  EcsOk("UpdateContainerInstancesState",
        {{"cluster", "c"}, {"containerInstances", {a}}, {"status", "ACTIVE"}});
  EXPECT_EQ(PlaceWhere("attribute:name exists"), a);
}

TEST_F(FleetViewTest, CustomAttributesPutAndDeletedAreSeen) {
  const std::string a = Register("a");
  const std::string b = Register("b");
  const json unplaced = Run({{"placementConstraints",
                              {{{"type", "memberOf"}, {"expression", "attribute:team == blue"}}}}});
  EXPECT_TRUE(unplaced["tasks"].empty());
  EXPECT_EQ(Reasons(unplaced), (std::map<std::string, std::string>{
                                   {a, "MemberOf placement constraint unsatisfied."},
                                   {b, "MemberOf placement constraint unsatisfied."}}));
  EcsOk(
      "PutAttributes",
      {{"cluster", "c"}, {"attributes", {{{"name", "team"}, {"value", "blue"}, {"targetId", b}}}}});
  EXPECT_EQ(PlaceWhere("attribute:team == blue"), b);
  // A custom attribute replaces the registered one of its name.
  EcsOk("PutAttributes",
        {{"cluster", "c"}, {"attributes", {{{"name", "name"}, {"value", "z"}, {"targetId", a}}}}});
  EXPECT_EQ(PlaceWhere("attribute:name == z"), a);
  EXPECT_EQ(PlaceWhere("attribute:name == a"), "");
  EcsOk("DeleteAttributes",
        {{"cluster", "c"}, {"attributes", {{{"name", "team"}, {"targetId", b}}}}});
  EXPECT_EQ(PlaceWhere("attribute:team exists"), "");
  // A value-less attribute exists, with the value "".
  EcsOk("PutAttributes", {{"cluster", "c"}, {"attributes", {{{"name", "gpu"}, {"targetId", b}}}}});
  EXPECT_EQ(PlaceWhere("attribute:gpu exists"), b);
  EXPECT_EQ(PlaceWhere("attribute:gpu == ''"), b);  // '' unquotes to ""
}

TEST_F(FleetViewTest, AnEngineMarkedDisconnectedTakesNothingUntilBack) {
  const std::string a = Register("a");
  const std::string b = Register("b");
  EXPECT_EQ(PlaceWhere("attribute:name exists"), a);
  {
    auto lease = database_.Acquire();
    // Both stand for the local engine (no berth.docker-host).
    EXPECT_EQ(storage::SetEngineConnected(lease.db(), "local", false), 2);
  }
  const json out = Run();
  EXPECT_TRUE(out["tasks"].empty());
  EXPECT_EQ(Reasons(out), (std::map<std::string, std::string>{{a, "AGENT"}, {b, "AGENT"}}));
  {
    auto lease = database_.Acquire();
    storage::SetEngineConnected(lease.db(), "local", true);
  }
  EXPECT_EQ(PlaceWhere("attribute:name exists"), a);
}

TEST_F(FleetViewTest, TheViewIsKeptUntilTheFleetChanges) {
  Register("a");
  Run();
  const int64_t built = Builds();
  Run();
  Run({{"placementStrategy", {{{"type", "spread"}, {"field", "attribute:name"}}}}});
  EXPECT_EQ(Builds(), built);  // tasks are not the fleet: read per placement
  Register("b");
  Run();
  EXPECT_EQ(Builds(), built + 1);
  Run();
  EXPECT_EQ(Builds(), built + 1);
}

TEST_F(FleetViewTest, AWriteRolledBackIsForgotten) {
  const std::string a = Register("a");
  EXPECT_EQ(PlaceWhere("attribute:name == a"), a);
  {
    auto lease = database_.Acquire();
    storage::Tx tx(lease.db());
    storage::ContainerInstanceStore store(lease.db(), {"000000000000", "us-east-1"});
    auto record = store.List("c", 0).at(0);
    record.status = "DRAINING";
    store.Update(record);
    // Inside the transaction the view has the drained instance gone...
    EXPECT_TRUE(ecs::FleetViews::Shared().Get(lease.db(), Context(), "c")->instances().empty());
    // ...and the transaction rolls back.
  }
  EXPECT_EQ(PlaceWhere("attribute:name == a"), a);
  auto lease = database_.Acquire();
  EXPECT_EQ(ecs::FleetViews::Shared().Get(lease.db(), Context(), "c")->instances().size(), 1u);
}

TEST_F(FleetViewTest, TheStampMovesWithEveryWriteAndBackOnRollback) {
  auto lease = database_.Acquire();
  storage::ContainerInstanceStore store(lease.db(), {"000000000000", "us-east-1"});
  storage::EcsSettingsStore settings(lease.db(), {"000000000000", "us-east-1"});
  EXPECT_EQ(store.FleetStamp("c"), std::nullopt);  // never had an instance
  storage::ContainerInstanceRecord record{"c",
                                          "0123456789abcdef0123456789abcdef",
                                          "ACTIVE",
                                          "local",
                                          1,
                                          std::nullopt,
                                          R"({"attributes":[]})"};
  std::vector<std::optional<int64_t>> seen = {store.FleetStamp("c")};
  const auto moved = [&] {
    const auto now = store.FleetStamp("c");
    const bool fresh = now && std::find(seen.begin(), seen.end(), now) == seen.end();
    seen.push_back(now);
    return fresh;
  };
  store.Insert(record);
  EXPECT_TRUE(moved());
  record.status = "DRAINING";
  store.Update(record);
  EXPECT_TRUE(moved());
  settings.PutAttribute({"c", "container-instance", record.instance_id, "k", "v"});
  EXPECT_TRUE(moved());
  settings.PutAttribute({"c", "container-instance", record.instance_id, "k", "w"});
  EXPECT_TRUE(moved());
  settings.DeleteAttribute("c", record.instance_id, "k");
  EXPECT_TRUE(moved());
  storage::SetEngineConnected(lease.db(), "local", false);
  EXPECT_TRUE(moved());
  // Another cluster's writes leave it alone.
  record.cluster = "other";
  store.Insert(record);
  EXPECT_EQ(store.FleetStamp("c"), seen.back());
  const auto before = store.FleetStamp("c");
  {
    storage::Tx tx(lease.db());
    record.cluster = "c";
    record.status = "ACTIVE";
    store.Update(record);
    EXPECT_NE(store.FleetStamp("c"), before);
  }
  EXPECT_EQ(store.FleetStamp("c"), before);
}

TEST_F(FleetViewTest, ViewsOfTwoDatabasesStayApart) {
  Register("a");
  storage::Database other(":memory:");
  auto mine = database_.Acquire();
  auto theirs = other.Acquire();
  EXPECT_EQ(ecs::FleetViews::Shared().Get(mine.db(), Context(), "c")->instances().size(), 1u);
  EXPECT_TRUE(ecs::FleetViews::Shared().Get(theirs.db(), Context(), "c")->instances().empty());
}

}  // namespace
}  // namespace berth::testing
