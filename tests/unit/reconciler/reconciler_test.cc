// The reconciler against FakeDocker: tasks recorded through the real ECS API
// (dispatcher and services on :memory:) move through their lifecycle as
// ReconcileOnce passes run, with time moved by hand. Each test says what a
// pass must do to Docker and what DescribeTasks must then show; a converged
// pass must do nothing at all.

#include "server/reconciler/reconciler.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docker_backend/pause_image.h"
#include "tests/fakes/fake_docker.h"
#include "tests/unit/reconciler/reconciler_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;

TEST_F(ReconcilerTest, ABerthThatNeverRanATaskNeverCallsDocker) {
  // Passes, sweeps included, and a reset leave Docker alone
  Pass(3);
  clock_.Advance(60);
  Pass();
  reconciler_->RemoveAll();
  EXPECT_THAT(docker_.Calls(), IsEmpty());
  // Once a task ran, sweeps look for leftovers, in later Berths too
  Register("web", json::array({Container("web")}));
  Run("web");
  Pass();
  reconciler_ = MakeReconciler();
  docker_.ClearCalls();
  clock_.Advance(60);
  EcsOk("StopTask",
        {{"cluster", "c"}, {"task", EcsOk("ListTasks", {{"cluster", "c"}})["taskArns"][0]}});
  Pass(3);
  EXPECT_FALSE(docker_.CallsTo("ListVolumes").empty());
}

TEST_F(ReconcilerTest, BridgeTaskRunsAndAConvergedPassChangesNothing) {
  // Given a bridge task whose port is published on an ephemeral host port
  Register("web", json::array({Container("web", {{"portMappings", {{{"containerPort", 80}}}}})}));
  const std::string arn = Run("web");
  EXPECT_EQ(pokes_, 1) << "RunTask wakes the reconciler";
  json task = Task(arn);
  EXPECT_EQ(task["lastStatus"], "PENDING");
  EXPECT_FALSE(ContainerOf(task, "web").contains("runtimeId"));

  // When one pass runs
  Pass();

  // Then the container exists with ECS's name and labels, and runs
  task = Task(arn);
  EXPECT_EQ(task["lastStatus"], "RUNNING");
  EXPECT_EQ(task["desiredStatus"], "RUNNING");
  for (const char* stamp : {"pullStartedAt", "pullStoppedAt", "startedAt"}) {
    EXPECT_TRUE(task.contains(stamp)) << stamp;
  }
  const std::string id = DockerId(arn, "web");
  ASSERT_FALSE(id.empty());
  const docker::ContainerSpec spec = *docker_.SpecOf(id);
  EXPECT_THAT(spec.name, StartsWith("ecs-web-1-web-"));
  EXPECT_EQ(spec.labels.at(docker::kClusterLabel), "c");
  EXPECT_EQ(spec.labels.at("berth.instance"), kInstance);
  EXPECT_EQ(spec.network_mode, ClusterNetwork("c")) << "bridge tasks join the cluster's network";
  EXPECT_EQ(spec.memory_bytes, 64 * 1024 * 1024);
  const json web = ContainerOf(task, "web");
  EXPECT_EQ(web["lastStatus"], "RUNNING");
  EXPECT_EQ(web["runtimeId"], id);
  ASSERT_EQ(web["networkBindings"].size(), 1u) << web.dump();
  EXPECT_EQ(web["networkBindings"][0]["bindIP"], "127.0.0.1");
  EXPECT_EQ(web["networkBindings"][0]["containerPort"], 80);
  EXPECT_GE(web["networkBindings"][0]["hostPort"].get<int>(), 32768);
  EXPECT_EQ(EcsOk("DescribeClusters", {{"clusters", {"c"}}})["clusters"][0]["runningTasksCount"],
            1);

  // And a converged pass changes nothing, in Docker or in the task
  docker_.ClearCalls();
  Pass(3);
  EXPECT_THAT(docker_.MutatingCalls(), IsEmpty());
  EXPECT_EQ(Task(arn), task);
}

TEST_F(ReconcilerTest, AwsvpcTaskSharesThePauseContainersNamespace) {
  // Given an awsvpc task of two containers, one publishing port 8080
  Register("pair",
           json::array({Container("web", {{"portMappings", {{{"containerPort", 8080}}}}}),
                        Container("sidecar")}),
           "awsvpc");
  const std::string arn = RunAwsvpc("pair");
  EXPECT_EQ(Task(arn)["lastStatus"], "PROVISIONING");
  EXPECT_EQ(Task(arn)["attachments"][0]["status"], "PRECREATED");

  Pass();

  // Then the pause container holds the network and publishes the port on
  // its hostPort, and both containers join it
  const std::string pause = DockerId(arn, "~internal~ecs~pause");
  ASSERT_FALSE(pause.empty());
  const docker::ContainerSpec pause_spec = *docker_.SpecOf(pause);
  EXPECT_EQ(pause_spec.image, docker::kPauseImage);
  EXPECT_EQ(pause_spec.network_mode, ClusterNetwork("c"));
  ASSERT_EQ(pause_spec.ports.size(), 1u);
  EXPECT_EQ(pause_spec.ports[0].host_port, 8080);
  EXPECT_EQ(pause_spec.ports[0].host_ip, "127.0.0.1");
  for (const char* name : {"web", "sidecar"}) {
    const auto spec = docker_.SpecOf(DockerId(arn, name));
    ASSERT_TRUE(spec) << name;
    EXPECT_EQ(spec->network_mode, "container:" + pause) << name;
    EXPECT_TRUE(spec->ports.empty()) << name;
  }
  const json task = Task(arn);
  EXPECT_EQ(task["lastStatus"], "RUNNING");
  EXPECT_EQ(task["connectivity"], "CONNECTED");
  const json& eni = task["attachments"][0];
  EXPECT_EQ(eni["status"], "ATTACHED");
  std::string ip;
  for (const auto& d : eni["details"]) {
    if (d["name"] == "privateIPv4Address") ip = d["value"];
  }
  EXPECT_THAT(ip, StartsWith("172."));
  EXPECT_EQ(ContainerOf(task, "sidecar")["networkInterfaces"][0]["privateIpv4Address"], ip);
  EXPECT_EQ(ContainerOf(task, "web")["networkBindings"][0]["hostPort"], 8080);

  // And a second task wanting the same host port gets an ephemeral one
  const std::string second = RunAwsvpc("pair");
  Pass();
  const json other = Task(second);
  EXPECT_EQ(other["lastStatus"], "RUNNING") << other.dump();
  EXPECT_GE(ContainerOf(other, "web")["networkBindings"][0]["hostPort"].get<int>(), 32768);
}

TEST_F(ReconcilerTest, EssentialExitStopsTheTaskButANonEssentialOneDoesNot) {
  Register("mix", json::array({Container("main"), Container("helper", {{"essential", false}})}));
  const std::string arn = Run("mix");
  Pass();
  ASSERT_EQ(Task(arn)["lastStatus"], "RUNNING");

  // A non-essential container exits: the task runs on
  docker_.ExitContainer(DockerId(arn, "helper"), 1);
  Pass();
  json task = Task(arn);
  EXPECT_EQ(task["desiredStatus"], "RUNNING");
  EXPECT_EQ(ContainerOf(task, "helper")["lastStatus"], "STOPPED");
  EXPECT_EQ(ContainerOf(task, "helper")["exitCode"], 1);

  // The essential one exits with 3: the task stops, saying why
  docker_.ExitContainer(DockerId(arn, "main"), 3);
  Pass(2);
  task = Task(arn);
  EXPECT_EQ(task["desiredStatus"], "STOPPED");
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(task["stoppedReason"], "Essential container in task exited");
  EXPECT_EQ(ContainerOf(task, "main")["exitCode"], 3);
  for (const char* stamp : {"stoppingAt", "executionStoppedAt", "stoppedAt"}) {
    EXPECT_TRUE(task.contains(stamp)) << stamp;
  }
  EXPECT_LE(task["stoppingAt"].get<double>(), task["stoppedAt"].get<double>());
  EXPECT_EQ(EcsOk("DescribeClusters", {{"clusters", {"c"}}})["clusters"][0]["runningTasksCount"],
            0);
}

TEST_F(ReconcilerTest, StopSignalsInReverseDependencyOrderThenKillsAfterStopTimeout) {
  // Given "app" that depends on "db", and a db that ignores SIGTERM
  docker_.AddImage("db:1");
  docker_.ScriptImage("db:1", {.ignores_stop_signal = true});
  docker_.ScriptImage("app:1", {.stop_exit_code = 143});
  Register("stack",
           json::array(
               {Container("db", {{"image", "db:1"}, {"stopTimeout", 5}}),
                Container("app",
                          {{"dependsOn", {{{"containerName", "db"}, {"condition", "START"}}}}})}));
  const std::string arn = Run("stack");
  Pass(2);
  ASSERT_EQ(Task(arn)["lastStatus"], "RUNNING");
  const std::string db = DockerId(arn, "db");
  const std::string app = DockerId(arn, "app");

  // When the user stops it
  const json stopped = EcsOk("StopTask", {{"cluster", "c"}, {"task", arn}, {"reason", "done"}});
  EXPECT_EQ(stopped["task"]["lastStatus"], "RUNNING") << "StopTask answers before stopping";
  EXPECT_EQ(stopped["task"]["desiredStatus"], "STOPPED");
  EXPECT_EQ(stopped["task"]["stoppedReason"], "done");
  docker_.ClearCalls();
  Pass();
  // Then app is signalled first, db only once app has exited
  EXPECT_THAT(MutationsOf(app), ElementsAre("KillContainer(" + app + ", SIGTERM)"));
  EXPECT_THAT(MutationsOf(db), IsEmpty());
  EXPECT_EQ(Task(arn)["lastStatus"], "STOPPING");
  Pass();
  EXPECT_THAT(MutationsOf(db), ElementsAre("KillContainer(" + db + ", SIGTERM)"));
  // And db, still running, is killed when its stopTimeout has passed
  Pass(3);
  EXPECT_EQ(Task(arn)["lastStatus"], "STOPPING");
  EXPECT_EQ(MutationsOf(db).size(), 1u);
  Pass(2);
  EXPECT_THAT(MutationsOf(db), ElementsAre("KillContainer(" + db + ", SIGTERM)",
                                           "KillContainer(" + db + ", SIGKILL)"));
  Pass();
  const json task = Task(arn);
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "UserInitiated");
  EXPECT_EQ(ContainerOf(task, "app")["exitCode"], 143);
  EXPECT_EQ(ContainerOf(task, "db")["exitCode"], 137);

  // A stopped task is left alone
  docker_.ClearCalls();
  Pass(2);
  EXPECT_THAT(docker_.MutatingCalls(), IsEmpty());
}

TEST_F(ReconcilerTest, AFailedSuccessDependencyAbandonsTheEssentialContainer) {
  docker_.AddImage("init:1");
  docker_.ScriptImage("init:1", {.exit_on_start = 1});
  Register("gated",
           json::array(
               {Container("init", {{"image", "init:1"}, {"essential", false}}),
                Container("main", {{"dependsOn",
                                    {{{"containerName", "init"}, {"condition", "SUCCESS"}}}}})}));
  const std::string arn = Run("gated");
  Pass(3);
  const json task = Task(arn);
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "TaskFailedToStart");
  EXPECT_THAT(task["stoppedReason"].get<std::string>(),
              StartsWith("CannotStartContainerError: dependency graph:"));
  EXPECT_EQ(ContainerOf(task, "init")["exitCode"], 1);
  EXPECT_EQ(ContainerOf(task, "main")["lastStatus"], "STOPPED");
  EXPECT_FALSE(ContainerOf(task, "main").contains("runtimeId"));
  EXPECT_TRUE(docker_.CallsTo("StartContainer").size() == 1u) << "main never started";
}

TEST_F(ReconcilerTest, AnImageThatCannotBePulledStopsTheTask) {
  docker_.FailPull("nope:1", 404, FakeDocker::ManifestUnknown("nope:1"));
  Register("missing", json::array({Container("main", {{"image", "nope:1"}})}));
  const std::string arn = Run("missing");
  Pass(2);
  const json task = Task(arn);
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "TaskFailedToStart");
  const std::string reason = "CannotPullContainerError: " + FakeDocker::ManifestUnknown("nope:1");
  EXPECT_EQ(task["stoppedReason"], reason);
  EXPECT_EQ(ContainerOf(task, "main")["reason"], reason);
  EXPECT_THAT(docker_.CallsTo("CreateContainer"), IsEmpty());
}

TEST_F(ReconcilerTest, BerthRepositoryImagesArePulledWithAToken) {
  Register("own",
           json::array({Container(
               "main", {{"image", "000000000000.dkr.ecr.us-east-1.amazonaws.com/mine:v1"}})}));
  const std::string arn = Run("own");
  Pass();
  const auto pulls = docker_.CallsTo("PullImage");
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_EQ(pulls[0].args[0], "localhost:4566/mine:v1");
  EXPECT_EQ(pulls[0].args[1], reconciler::RegistryAuthHeader("AWS", "pw", "localhost:4566"));
  EXPECT_EQ(Task(arn)["lastStatus"], "RUNNING");
}

TEST_F(ReconcilerTest, AnUnreachableDaemonFailsNewTasksAfterAGraceAndRunningOnesWait) {
  Register("web", json::array({Container("web")}));
  const std::string running = Run("web");
  Pass();
  ASSERT_EQ(Task(running)["lastStatus"], "RUNNING");

  // The daemon goes away; a new task waits through the grace period
  docker_.SetUnreachable(true);
  const std::string waiting = Run("web");
  Pass(5);
  EXPECT_EQ(Task(waiting)["lastStatus"], "PENDING");
  clock_.Advance(15);
  Pass();
  json task = Task(waiting);
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "TaskFailedToStart");
  EXPECT_THAT(task["stoppedReason"].get<std::string>(),
              StartsWith("ResourceInitializationError: cannot reach the Docker daemon"));
  // The running task is not given up on
  EXPECT_EQ(Task(running)["lastStatus"], "RUNNING");

  // When the daemon is back, tasks start again
  docker_.SetUnreachable(false);
  const std::string later = Run("web");
  Pass();
  EXPECT_EQ(Task(later)["lastStatus"], "RUNNING");
  EXPECT_EQ(Task(running)["lastStatus"], "RUNNING");
}

TEST_F(ReconcilerTest, ARestartAdoptsContainersReportsTheDeadAndRemovesOrphans) {
  Register("web", json::array({Container("web")}));
  const std::string alive = Run("web");
  const std::string dies = Run("web");
  Pass();
  ASSERT_EQ(Task(alive)["lastStatus"], "RUNNING");
  ASSERT_EQ(Task(dies)["lastStatus"], "RUNNING");

  // Berth goes away; meanwhile one container dies, and a container of a
  // task Berth never recorded appears with Berth's labels
  reconciler_.reset();
  docker_.ExitContainer(DockerId(dies, "web"), 7);
  docker::ContainerSpec orphan;
  orphan.name = "ecs-web-1-web-orphan";
  orphan.image = "app:1";
  orphan.network_mode = "bridge";
  orphan.labels = {{docker::kTaskArnLabel,
                    "arn:aws:ecs:us-east-1:000000000000:task/c/0123456789abcdef0123456789abcdef"},
                   {docker::kContainerNameLabel, "web"},
                   {docker::kManagedLabel, "1"},
                   {"berth.instance", kInstance}};
  const std::string orphan_id = docker_.CreateContainer(orphan);
  docker_.StartContainer(orphan_id);
  // And a container of another Berth, which must be left alone
  orphan.name = "ecs-web-1-web-other";
  orphan.labels["berth.instance"] = "someone-else";
  const std::string foreign = docker_.CreateContainer(orphan);

  // When Berth starts again
  reconciler_ = MakeReconciler();
  docker_.ClearCalls();
  Pass(2);

  // Then the live task is adopted untouched, the dead one reported with its
  // exit code, and the orphan removed
  EXPECT_EQ(Task(alive)["lastStatus"], "RUNNING");
  EXPECT_THAT(docker_.CallsTo("CreateContainer"), IsEmpty());
  EXPECT_THAT(MutationsOf(DockerId(alive, "web")), IsEmpty());
  const json dead = Task(dies);
  EXPECT_EQ(dead["lastStatus"], "STOPPED");
  EXPECT_EQ(dead["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(ContainerOf(dead, "web")["exitCode"], 7);
  EXPECT_THAT(MutationsOf(orphan_id), ElementsAre("RemoveContainer(" + orphan_id + ")"));
  EXPECT_TRUE(docker_.SpecOf(foreign).has_value());
}

TEST_F(ReconcilerTest, HealthChecksSetContainerAndTaskHealth) {
  Register("checked",
           json::array({Container("web", {{"healthCheck",
                                           {{"command", {"CMD-SHELL", "true"}}, {"interval", 5}}}}),
                        Container("plain", {{"essential", false}})}));
  const std::string arn = Run("checked");
  Pass();
  const std::string web = DockerId(arn, "web");
  const docker::ContainerSpec spec = *docker_.SpecOf(web);
  ASSERT_TRUE(spec.health_check);
  EXPECT_EQ(spec.health_check->test, (std::vector<std::string>{"CMD-SHELL", "true"}));
  EXPECT_EQ(spec.health_check->interval_ns, 5'000'000'000);
  EXPECT_EQ(spec.health_check->retries, 3);
  EXPECT_EQ(Task(arn)["healthStatus"], "UNKNOWN");

  docker_.SetHealth(web, "healthy");
  Pass();
  json task = Task(arn);
  EXPECT_EQ(ContainerOf(task, "web")["healthStatus"], "HEALTHY");
  EXPECT_EQ(ContainerOf(task, "plain")["healthStatus"], "UNKNOWN");
  EXPECT_EQ(task["healthStatus"], "HEALTHY") << "only essential containers count";

  // A standalone task keeps running while unhealthy, as on ECS
  docker_.SetHealth(web, "unhealthy");
  Pass();
  task = Task(arn);
  EXPECT_EQ(task["healthStatus"], "UNHEALTHY");
  EXPECT_EQ(task["lastStatus"], "RUNNING");
}

TEST_F(ReconcilerTest, ThePauseContainersDeathStopsAnAwsvpcTask) {
  Register("netns", json::array({Container("web")}), "awsvpc");
  const std::string arn = RunAwsvpc("netns");
  Pass();
  ASSERT_EQ(Task(arn)["lastStatus"], "RUNNING");
  docker_.ExitContainer(DockerId(arn, "~internal~ecs~pause"), 137);
  Pass(2);
  const json task = Task(arn);
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(task["attachments"][0]["status"], "DELETED");
}

TEST_F(ReconcilerTest, AnOomKillIsTheContainersReason) {
  Register("hungry", json::array({Container("main")}));
  const std::string arn = Run("hungry");
  Pass();
  docker_.OomKill(DockerId(arn, "main"));
  Pass(2);
  const json task = Task(arn);
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(ContainerOf(task, "main")["exitCode"], 137);
  EXPECT_EQ(ContainerOf(task, "main")["reason"],
            "OutOfMemoryError: Container killed due to memory usage");
}

TEST_F(ReconcilerTest, AFailedStartStopsTheTaskWithTheDaemonsMessage) {
  docker_.AddImage("broken:1");
  docker_.ScriptImage("broken:1", {.start_failure = StartFailure::ExecNotFound("/app")});
  Register("broken", json::array({Container("main", {{"image", "broken:1"}})}));
  const std::string arn = Run("broken");
  Pass(2);
  const json task = Task(arn);
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "TaskFailedToStart");
  EXPECT_THAT(task["stoppedReason"].get<std::string>(), StartsWith("CannotStartContainerError: "));
  EXPECT_NE(task["stoppedReason"].get<std::string>().find("/app"), std::string::npos);
}

TEST_F(ReconcilerTest, TaskVolumesAreLabelledAndGoWithTheirTask) {
  // Given a task whose two containers share a task-scoped volume
  EcsOk("RegisterTaskDefinition",
        {{"family", "vol"},
         {"volumes", {{{"name", "data"}}}},
         {"containerDefinitions",
          {Container("writer",
                     {{"essential", false},
                      {"mountPoints", {{{"sourceVolume", "data"}, {"containerPath", "/d"}}}}}),
           Container(
               "reader",
               {{"mountPoints",
                 {{{"sourceVolume", "data"}, {"containerPath", "/d"}, {"readOnly", true}}}}})}}});
  const std::string arn = Run("vol");
  Pass();
  const std::string id = arn.substr(arn.rfind('/') + 1);
  const std::string volume = "ecs-" + id + "-data";
  EXPECT_EQ(docker_.VolumeNames(), std::vector<std::string>{volume});
  const auto reader = docker_.SpecOf(DockerId(arn, "reader"));
  ASSERT_TRUE(reader);
  ASSERT_EQ(reader->volumes.size(), 1u);
  EXPECT_EQ(reader->volumes[0].source, volume);
  EXPECT_EQ(reader->volumes[0].target, "/d");
  EXPECT_TRUE(reader->volumes[0].read_only);
  EXPECT_EQ(reader->volumes[0].labels.at(docker::kTaskArnLabel), arn);
  EXPECT_EQ(reader->volumes[0].labels.at("berth.instance"), kInstance);

  // When the task stops, its volume stays while its containers do
  EcsOk("StopTask", {{"cluster", "c"}, {"task", arn}});
  Pass(3);
  ASSERT_EQ(Task(arn)["lastStatus"], "STOPPED");
  clock_.Advance(31);
  Pass();
  EXPECT_EQ(docker_.VolumeNames(), std::vector<std::string>{volume});
  // And once the stopped task is purged, containers and volume go
  EXPECT_EQ(ecs_services_.tasks.PurgeStopped(clock_.Now() + 3601), 1u);
  clock_.Advance(31);
  Pass();
  EXPECT_THAT(docker_.ContainerIds(), IsEmpty());
  EXPECT_THAT(docker_.VolumeNames(), IsEmpty());
}

TEST_F(ReconcilerTest, LocalEnvironmentFilesReachTheContainer) {
  // Given two local .env files (the second's value wins) and an S3 one
  const std::string dir = blobs_.path;
  std::ofstream(dir + "/a.env") << "# comment\nSHARED=from-a\nONLY_A=1\n\nnot a variable line\n";
  std::ofstream(dir + "/b.env") << "SHARED=from-b\nOVERRIDDEN=from-file\r\nQUOTED=\"kept\"\n";
  Register("envs",
           json::array({Container(
               "main", {{"environment", {{{"name", "OVERRIDDEN"}, {"value", "from-definition"}}}},
                        {"environmentFiles",
                         {{{"type", "s3"}, {"value", dir + "/a.env"}},
                          {{"type", "s3"}, {"value", "file://" + dir + "/b.env"}},
                          {{"type", "s3"}, {"value", "arn:aws:s3:::bucket/c.env"}}}}})}));
  const std::string arn = Run("envs");
  Pass();
  ASSERT_EQ(Task(arn)["lastStatus"], "RUNNING");
  const auto env = docker_.SpecOf(DockerId(arn, "main"))->env;
  for (const char* expected :
       {"SHARED=from-b", "ONLY_A=1", "OVERRIDDEN=from-definition", "QUOTED=\"kept\""}) {
    EXPECT_NE(std::find(env.begin(), env.end(), expected), env.end()) << expected;
  }

  // A local file that cannot be read stops the task, saying why
  Register(
      "noenv",
      json::array({Container(
          "main", {{"environmentFiles", {{{"type", "s3"}, {"value", dir + "/missing.env"}}}}})}));
  const std::string failed = Run("noenv");
  Pass(2);
  const json task = Task(failed);
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stoppedReason"], "ResourceInitializationError: failed to read env files: " + dir +
                                       "/missing.env: No such file or directory");
}

TEST_F(ReconcilerTest, ResetRemovesEveryContainerAndTheNetwork) {
  Register("netns", json::array({Container("web")}), "awsvpc");
  RunAwsvpc("netns");
  Pass();
  ASSERT_FALSE(docker_.ContainerIds().empty());
  reconciler_->RemoveAll();
  EXPECT_THAT(docker_.ContainerIds(), IsEmpty());
  EXPECT_THAT(docker_.VolumeNames(), IsEmpty());
  EXPECT_EQ(docker_.NetworkIds().size(), 0u) << ::testing::PrintToString(docker_.NetworkIds());
}

}  // namespace
}  // namespace berth::testing
