// Container instances that stand for other Docker engines (issue 13), above
// the Docker seam (engine_fleet_fixture.h): a task placed on such an
// instance runs on its engine only, publishes its ports on that engine's
// host address, and pulls Berth's images from where that engine reaches
// Berth; Fargate tasks spread over the engines; an engine may name its own
// TLS files; engines that stop answering, and reset.

#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/reconciler/engine_tls.h"
#include "tests/unit/reconciler/engine_fleet_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST_F(EngineFleetTest, AwslogsOutputOfATaskOnAnotherEngineIsCollectedThere) {
  // Given a Berth that collects awslogs, and a task logging to /ecs/app on
  // engine A
  reconciler_->Stop();
  reconciler_ = FleetReconciler(/*collect_awslogs=*/true);
  sink_.AddGroup("000000000000", "us-east-1", "/ecs/app");
  const json a = RegisterEngine(kEngineA);
  RegisterEngine(kEngineB);
  Register("logger", json::array({Container("web", {{"logConfiguration",
                                                     {{"logDriver", "awslogs"},
                                                      {"options",
                                                       {{"awslogs-group", "/ecs/app"},
                                                        {"awslogs-region", "us-east-1"},
                                                        {"awslogs-stream-prefix", "ecs"}}}}}})}));
  const std::string arn = RunOn("logger", a);
  Pass(3);
  ASSERT_EQ(FleetTask(arn)["lastStatus"], "RUNNING");
  const auto ids = ContainersOf(Engine(kEngineA), arn);
  ASSERT_EQ(ids.size(), 1u);
  const std::string id = ids[0];
  // with no note that awslogs is not honoured
  EXPECT_THAT(FleetTask(arn).dump(), Not(HasSubstr("not honoured")));

  // When its container writes on engine A
  Engine(kEngineA).WriteOutput(id, docker::LogSource::kStdout, "line 1\nline 2\n");

  // Then the lines reach the task's stream, read from engine A
  const reconciler::LogDestination stream{"000000000000", "us-east-1", "/ecs/app",
                                          "ecs/web/" + arn.substr(arn.rfind('/') + 1)};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (sink_.Messages(stream).size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(sink_.Messages(stream), (std::vector<std::string>{"line 1", "line 2"}));

  // And once the task has stopped, a sweep keeps the cursor of its container
  // (still on engine A, which the local engine's listing does not show),
  Engine(kEngineA).ExitContainer(id, 0);
  for (int i = 0; i < 50 && FleetTask(arn)["lastStatus"] != "STOPPED"; ++i) {
    Pass();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(FleetTask(arn)["lastStatus"], "STOPPED");
  ASSERT_TRUE(sink_.HasCursor(id));
  Pass(31);
  EXPECT_TRUE(sink_.HasCursor(id));
  // and forgets it once the container is gone from engine A.
  Engine(kEngineA).RemoveContainer(id);
  Pass(31);
  EXPECT_FALSE(sink_.HasCursor(id));
}

TEST_F(EngineFleetTest, AnEngineInstanceReportsTheEnginesResourcesAndAddresses) {
  const json a = RegisterEngine(kEngineA);
  EXPECT_EQ(Resource(a, "CPU"), 4 * 1024);
  EXPECT_EQ(Resource(a, "MEMORY"), 8 * 1024);
  EXPECT_EQ(Attribute(a, "ecs.cpu-architecture"), "arm64");  // Docker's aarch64
  EXPECT_EQ(Attribute(a, "ecs.os-type"), "linux");
  EXPECT_EQ(Attribute(a, "berth.docker-host"), kEngineA);
  EXPECT_EQ(Attribute(a, "berth.host-address"), "10.9.1.2");
  EXPECT_EQ(Attribute(a, "berth.berth-address"), "10.9.1.1");
  EXPECT_EQ(a["agentConnected"], true);

  // A unix socket engine: published ports on loopback, no address of its
  // own to reach Berth at unless given.
  const json b =
      RegisterEngine(kEngineB, {{{"name", "berth.host-address"}, {"value", "10.9.2.2"}},
                                {{"name", "berth.berth-address"}, {"value", "10.9.2.1"}}});
  EXPECT_EQ(Resource(b, "CPU"), 2 * 1024);
  EXPECT_EQ(Attribute(b, "ecs.cpu-architecture"), "x86_64");
  EXPECT_EQ(Attribute(b, "berth.host-address"), "10.9.2.2");  // given ones win
  EXPECT_EQ(Attribute(b, "berth.berth-address"), "10.9.2.1");
}

TEST_F(EngineFleetTest, AnEngineThatDoesNotAnswerOrABadEndpointIsRefused) {
  EcsFails("RegisterContainerInstance",
           {{"cluster", "fleet"},
            {"attributes", {{{"name", "berth.docker-host"}, {"value", "tcp://10.9.9.2:2375"}}}}},
           "InvalidParameterException",
           "Cannot reach the Docker engine at tcp://10.9.9.2:2375: Couldn't connect to server");
  for (const std::string bad : {"http://10.9.1.2:2375", "tcp://", "unix://relative", "ssh://h"}) {
    EcsFails(
        "RegisterContainerInstance",
        {{"cluster", "fleet"}, {"attributes", {{{"name", "berth.docker-host"}, {"value", bad}}}}},
        "InvalidParameterException",
        "The attribute berth.docker-host must name a Docker engine as unix:///path or "
        "tcp://host:port.");
  }
  EXPECT_THAT(EcsOk("ListContainerInstances", {{"cluster", "fleet"}})["containerInstanceArns"],
              IsEmpty());
}

TEST_F(EngineFleetTest, ATaskRunsOnItsInstancesEngineWithItsAddresses) {
  const json a = RegisterEngine(kEngineA);
  RegisterEngine(kEngineB);
  Register("web", json::array({Container("web", {{"image", "localhost:4566/mine:1"},
                                                 {"portMappings", {{{"containerPort", 80}}}}})}));
  const std::string arn = RunOn("web", a);
  EXPECT_EQ(FleetTask(arn)["containerInstanceArn"], a["containerInstanceArn"]);
  Pass(3);

  const json task = FleetTask(arn);
  ASSERT_EQ(task["lastStatus"], "RUNNING") << task.dump();
  // Its container is on engine A only.
  ASSERT_EQ(ContainersOf(Engine(kEngineA), arn).size(), 1u);
  EXPECT_THAT(ContainersOf(Engine(kEngineB), arn), IsEmpty());
  EXPECT_THAT(ContainersOf(docker_, arn), IsEmpty());
  // Pulled from Berth where engine A reaches it, with a token for that name.
  const auto pulls = Engine(kEngineA).Calls();
  bool pulled = false;
  for (const auto& call : pulls) {
    if (call.method != "PullImage") continue;
    pulled = true;
    EXPECT_EQ(call.args.at(0), "10.9.1.1:4566/mine:1");
    const std::string auth = call.args.at(1);
    EXPECT_FALSE(auth.empty());
  }
  EXPECT_TRUE(pulled);
  EXPECT_THAT(listened_, Contains("10.9.1.1"));
  // The pause image went to engine A; the local engine was not used.
  EXPECT_THAT(Engine(kEngineA).CallStrings(), Contains(HasSubstr("LoadImage(berth/pause")));
  EXPECT_THAT(docker_.MutatingCalls(), IsEmpty());
  // Its port is published on engine A's host address.
  const auto spec = Engine(kEngineA).SpecOf(ContainersOf(Engine(kEngineA), arn)[0]);
  ASSERT_TRUE(spec.has_value());
  ASSERT_EQ(spec->ports.size(), 1u);
  EXPECT_EQ(spec->ports[0].host_ip, "10.9.1.2");
  const json bindings = ContainerOf(task, "web")["networkBindings"];
  ASSERT_EQ(bindings.size(), 1u) << task.dump();
  EXPECT_EQ(bindings[0]["bindIP"], "10.9.1.2");

  // Stopping it stops its container on engine A.
  const std::string id = ContainersOf(Engine(kEngineA), arn)[0];
  EcsOk("StopTask", {{"cluster", "fleet"}, {"task", arn}});
  Pass(3);
  EXPECT_EQ(FleetTask(arn)["lastStatus"], "STOPPED");
  EXPECT_FALSE(Engine(kEngineA).InspectContainer(id).running);
}

TEST_F(EngineFleetTest, TasksSpreadOverTheEnginesAndTheLocalEngineBeingDownHoldsNoneBack) {
  RegisterEngine(kEngineA);
  RegisterEngine(kEngineB);
  Register("web", json::array({Container("web")}));
  docker_.SetUnreachable(true);  // the engine Berth runs on is away
  const json out =
      EcsOk("RunTask", {{"cluster", "fleet"},
                        {"taskDefinition", "web"},
                        {"count", 6},
                        {"placementStrategy", {{{"type", "spread"}, {"field", "instanceId"}}}}});
  ASSERT_EQ(out["tasks"].size(), 6u) << out.dump();
  Pass(3);
  int on_a = 0;
  int on_b = 0;
  for (const auto& t : out["tasks"]) {
    const std::string arn = t["taskArn"];
    EXPECT_EQ(FleetTask(arn)["lastStatus"], "RUNNING");
    on_a += static_cast<int>(ContainersOf(Engine(kEngineA), arn).size());
    on_b += static_cast<int>(ContainersOf(Engine(kEngineB), arn).size());
  }
  EXPECT_EQ(on_a, 3);
  EXPECT_EQ(on_b, 3);
}

TEST_F(EngineFleetTest, FargateTasksGoOnTheEngineWithTheMostFreeResourcesAndShowNoInstance) {
  // Engine A: 4 CPUs, 8 GiB; engine B: 2 CPUs, 2 GiB.
  const json a = RegisterEngine(kEngineA);
  RegisterEngine(kEngineB);
  EcsOk("RegisterTaskDefinition", {{"family", "fg"},
                                   {"networkMode", "awsvpc"},
                                   {"requiresCompatibilities", {"FARGATE"}},
                                   {"cpu", "1024"},
                                   {"memory", "2048"},
                                   {"containerDefinitions", {Container("app")}}});
  const json network = {{"awsvpcConfiguration", {{"subnets", {"subnet-1"}}}}};
  EcsOk("CreateService", {{"cluster", "fleet"},
                          {"serviceName", "fg"},
                          {"taskDefinition", "fg"},
                          {"desiredCount", 4},
                          {"launchType", "FARGATE"},
                          {"networkConfiguration", network}});
  Pass(4);
  // Each goes where the most memory is free (then CPU): three on A (8, 6,
  // then 4 GiB free), then B (2 GiB free, as A; but more CPU free).
  const json listed = EcsOk("ListTasks", {{"cluster", "fleet"}, {"serviceName", "fg"}});
  ASSERT_EQ(listed["taskArns"].size(), 4u) << listed.dump();
  int on_a = 0;
  int on_b = 0;
  for (const auto& arn : listed["taskArns"]) {
    const json task = FleetTask(arn);
    EXPECT_EQ(task["lastStatus"], "RUNNING") << task.dump();
    EXPECT_EQ(task["launchType"], "FARGATE");
    EXPECT_FALSE(task.contains("containerInstanceArn")) << "a Fargate task has no instance";
    on_a += ContainersOf(Engine(kEngineA), arn).empty() ? 0 : 1;
    on_b += ContainersOf(Engine(kEngineB), arn).empty() ? 0 : 1;
    EXPECT_THAT(ContainersOf(docker_, arn), IsEmpty()) << "nothing on the local engine";
  }
  EXPECT_EQ(on_a, 3);
  EXPECT_EQ(on_b, 1);
  // The instances' figures count EC2 tasks only, as ECS's do.
  const json described = Instance(a["containerInstanceArn"]);
  EXPECT_EQ(described["runningTasksCount"], 0);
  for (const auto& r : described["remainingResources"]) {
    if (r["name"] == "MEMORY") {
      EXPECT_EQ(r["integerValue"], Resource(described, "MEMORY"));
    }
  }

  // A DRAINING instance takes no new Fargate task: a standalone one goes to B.
  EcsOk("UpdateContainerInstancesState", {{"cluster", "fleet"},
                                          {"containerInstances", {a["containerInstanceArn"]}},
                                          {"status", "DRAINING"}});
  const json run = EcsOk("RunTask", {{"cluster", "fleet"},
                                     {"taskDefinition", "fg"},
                                     {"launchType", "FARGATE"},
                                     {"networkConfiguration", network}});
  ASSERT_EQ(run["tasks"].size(), 1u) << run.dump();
  const std::string standalone = run["tasks"][0]["taskArn"];
  Pass(3);
  EXPECT_EQ(FleetTask(standalone)["lastStatus"], "RUNNING");
  EXPECT_THAT(ContainersOf(Engine(kEngineB), standalone), Not(IsEmpty()));

  // Engine B is lost: after the grace period its Fargate task stops, and the
  // reason names the Fargate infrastructure (the task has no EC2 host).
  Engine(kEngineB).SetUnreachable(true);
  Pass(6);
  Pass(32);
  const json lost = FleetTask(standalone);
  EXPECT_EQ(lost["lastStatus"], "STOPPED");
  EXPECT_EQ(lost["stopCode"], "TerminationNotice");
  EXPECT_THAT(lost.value("stoppedReason", ""),
              HasSubstr("The Fargate infrastructure the task ran on is unreachable: its Docker "
                        "engine at " +
                        std::string(kEngineB) + " has not answered for "))
      << lost.dump();
}

TEST_F(EngineFleetTest, AnEngineMayNameItsOwnTlsFiles) {
  // The directory goes to the probe, and stays on the instance, where
  // Berth's clients of the engine read it (the newest registration's).
  const json a = RegisterEngine(
      kEngineA, json::array({{{"name", "berth.docker-cert-path"}, {"value", "/etc/berth/a"}}}));
  EXPECT_EQ(probed_cert_paths_.back(), "/etc/berth/a");
  EXPECT_EQ(Attribute(a, "berth.docker-cert-path"), "/etc/berth/a");
  EXPECT_EQ(reconciler::EngineCertPath(database_, kEngineA), "/etc/berth/a");
  EcsOk("DeregisterContainerInstance",
        {{"cluster", "fleet"}, {"containerInstance", a["containerInstanceArn"]}, {"force", true}});
  RegisterEngine(kEngineA,
                 json::array({{{"name", "berth.docker-cert-path"}, {"value", "/etc/berth/a2"}}}));
  EXPECT_EQ(reconciler::EngineCertPath(database_, kEngineA), "/etc/berth/a2");
  // Without it, Berth's own setting.
  RegisterEngine(kEngineB);
  EXPECT_EQ(probed_cert_paths_.back(), "");
  EXPECT_EQ(reconciler::EngineCertPath(database_, kEngineB), "");
  EXPECT_EQ(reconciler::EngineCertPath(database_, "tcp://10.9.9.9:2376"), "");

  // A relative directory, or one for an engine not reached over tcp://, is
  // refused before the engine is asked.
  const size_t probes = probed_cert_paths_.size();
  const std::string refusal =
      "The attribute berth.docker-cert-path must name an absolute directory, for an engine whose "
      "berth.docker-host is tcp://host:port.";
  EcsFails("RegisterContainerInstance",
           {{"cluster", "fleet"},
            {"attributes",
             {{{"name", "berth.docker-host"}, {"value", kEngineA}},
              {{"name", "berth.docker-cert-path"}, {"value", "certs/a"}}}}},
           "InvalidParameterException", refusal);
  EcsFails("RegisterContainerInstance",
           {{"cluster", "fleet"},
            {"attributes",
             {{{"name", "berth.docker-host"}, {"value", kEngineB}},
              {{"name", "berth.docker-cert-path"}, {"value", "/etc/berth/b"}}}}},
           "InvalidParameterException", refusal);
  EXPECT_EQ(probed_cert_paths_.size(), probes);
}

TEST_F(EngineFleetTest, ResetRemovesBerthsContainersOnEveryEngine) {
  const json a = RegisterEngine(kEngineA);
  Register("web", json::array({Container("web")}));
  const std::string arn = RunOn("web", a);
  Pass(2);
  ASSERT_EQ(ContainersOf(Engine(kEngineA), arn).size(), 1u);
  reconciler_->RemoveAll();
  EXPECT_THAT(ContainersOf(Engine(kEngineA), arn), IsEmpty());
  EXPECT_THAT(Engine(kEngineA).ListNetworks({std::string("berth.instance=") + kInstance}),
              IsEmpty());
}

TEST_F(EngineFleetTest, AnEngineThatStopsAnsweringIsGivenUpAndWhatRanThereGoesWhenItReturns) {
  const json a = RegisterEngine(kEngineA);
  const json b = RegisterEngine(kEngineB);
  const std::string a_arn = a["containerInstanceArn"];
  Register("web", json::array({Container("web")}));
  const std::string standalone = RunOn("web", a);
  // A service of two, spread over the two engines.
  EcsOk("CreateService", {{"cluster", "fleet"},
                          {"serviceName", "svc"},
                          {"taskDefinition", "web"},
                          {"desiredCount", 2},
                          {"placementStrategy", {{{"type", "spread"}, {"field", "instanceId"}}}}});
  Pass(4);
  ASSERT_EQ(FleetTask(standalone)["lastStatus"], "RUNNING");
  const auto running_on = [this](const std::string& endpoint) {
    int n = 0;
    for (const auto& c : Engine(endpoint).ListContainers({})) n += c.state == "running";
    return n;
  };
  ASSERT_EQ(running_on(kEngineA), 2);
  ASSERT_EQ(running_on(kEngineB), 1);

  // Engine A stops answering: within a check period its instance is
  // disconnected, and takes no new task.
  Engine(kEngineA).SetUnreachable(true);
  Pass(6);
  EXPECT_EQ(Instance(a_arn)["agentConnected"], false);
  EXPECT_EQ(Instance(b["containerInstanceArn"])["agentConnected"], true);
  const json refused =
      EcsOk("RunTask",
            {{"cluster", "fleet"},
             {"taskDefinition", "web"},
             {"placementConstraints",
              {{{"type", "memberOf"},
                {"expression", "ec2InstanceId == " + a["ec2InstanceId"].get<std::string>()}}}}});
  EXPECT_THAT(refused["tasks"], IsEmpty());
  ASSERT_EQ(refused["failures"].size(), 2u) << refused.dump();
  for (const auto& f : refused["failures"]) {
    if (f["arn"] == a_arn) {
      EXPECT_EQ(f["reason"], "AGENT");
    }
  }
  EXPECT_EQ(FleetTask(standalone)["lastStatus"], "RUNNING");  // not given up yet

  // After the grace period its tasks are STOPPED, saying why, and the
  // service runs its two on engine B.
  Pass(32);
  const json lost = FleetTask(standalone);
  EXPECT_EQ(lost["lastStatus"], "STOPPED");
  EXPECT_EQ(lost["stopCode"], "TerminationNotice");
  EXPECT_EQ(lost["stoppedReason"], "Host EC2 (instance " + a["ec2InstanceId"].get<std::string>() +
                                       ") is unreachable: its Docker engine at " + kEngineA +
                                       " has not answered for 30 s.");
  Pass(4);
  EXPECT_EQ(running_on(kEngineB), 2);

  // Engine A answers again: connected, and what still ran there goes.
  Engine(kEngineA).SetUnreachable(false);
  Pass(8);
  EXPECT_EQ(Instance(a_arn)["agentConnected"], true);
  EXPECT_EQ(running_on(kEngineA), 0);
  EXPECT_EQ(running_on(kEngineB), 2);
}

TEST_F(EngineFleetTest, EnginesOfTheFleetJoinEveryNewClusterAndOneThatDoesNotAnswerIsLeftOut) {
  // berth --engine A --engine <silent>
  ecs_services_.engines = {kEngineA, "tcp://10.9.9.2:2375"};
  EcsOk("CreateCluster", {{"clusterName", "auto"}});
  const json listed = EcsOk("ListContainerInstances", {{"cluster", "auto"}});
  std::vector<std::string> engines;
  for (const auto& arn : listed["containerInstanceArns"]) {
    const json instance =
        EcsOk("DescribeContainerInstances",
              {{"cluster", "auto"}, {"containerInstances", {arn}}})["containerInstances"][0];
    engines.push_back(Attribute(instance, "berth.docker-host"));
  }
  // The local host (--register-local-instance in this fixture) and engine A.
  EXPECT_THAT(engines, ::testing::UnorderedElementsAre("<absent>", kEngineA));
  // Creating it again registers nothing twice; deleting it takes Berth's own
  // registrations along.
  EcsOk("CreateCluster", {{"clusterName", "auto"}});
  EXPECT_EQ(EcsOk("ListContainerInstances", {{"cluster", "auto"}})["containerInstanceArns"].size(),
            2u);
  EcsOk("DeleteCluster", {{"cluster", "auto"}});
}

}  // namespace
}  // namespace berth::testing
