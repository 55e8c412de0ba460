// ECS tasks as real containers, driven by the real AWS CLI and Docker:
// definition fields and overrides, essential exits, dependsOn, health checks,
// stop timeouts, images that cannot be pulled, a berth killed and restarted
// under running tasks, a Docker daemon that comes back. See
// ecs_task_fixture.h for what each test starts and removes;
// ecs_task_networking_test.cc has the network modes and StartTask, and
// ecs_cli_tasks_test.cc the walkthrough and the waiters.

#include <chrono>
#include <cstdlib>
#include <signal.h>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

#include "tests/integration/ecs_task_helpers.h"

namespace berth::testing {
namespace {

TEST_F(EcsTasksTest, DefinitionFieldsAndOverridesReachDocker) {
  const std::string image = BuildImage("x");
  json writer = Container("writer", image, "echo shared > /data/hello");
  writer["essential"] = false;
  writer["mountPoints"] = json::parse(R"([{"sourceVolume": "data", "containerPath": "/data"}])");
  const json main = json::parse(Fill(R"({
    "name": "main", "image": "@IMAGE@", "essential": true, "stopTimeout": 2,
    "entryPoint": ["sh", "-c"],
    "command": ["echo from the definition"],
    "environment": [{"name": "GREETING", "value": "from the definition"},
                    {"name": "FROM_TD", "value": "yes"}],
    "workingDirectory": "/www", "user": "1000:1000",
    "cpu": 128, "memory": 96, "memoryReservation": 64,
    "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
    "dockerLabels": {"team": "core", "com.amazonaws.ecs.cluster": "spoofed"},
    "readonlyRootFilesystem": true, "interactive": true, "pseudoTerminal": true,
    "linuxParameters": {"initProcessEnabled": true,
                        "capabilities": {"drop": ["NET_RAW"]},
                        "tmpfs": [{"containerPath": "/scratch", "size": 16}]},
    "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": true}],
    "dependsOn": [{"containerName": "writer", "condition": "SUCCESS"}]
  })",
                                     {{"IMAGE", image}}));
  json td = Ec2Td("fields", "bridge", json::array({writer, main}));
  td["volumes"] = json::parse(R"([{"name": "data"}])");
  Register(td);
  CreateCluster();
  const std::string script =
      "trap 'exit 0' TERM; echo \"greeting=$GREETING td=$FROM_TD pwd=$(pwd) uid=$(id -u) "
      "data=$(cat /data/hello)\"; touch /scratch/ok && echo tmpfs-ok; touch /rootfs 2>/dev/null "
      "|| echo rootfs-ro; sleep 3600 & wait";
  const json overrides = {
      {"containerOverrides",
       json::array(
           {{{"name", "main"},
             {"command", json::array({script})},
             {"environment", json::array({{{"name", "GREETING"}, {"value", "overridden"}}})},
             {"memory", 128}}})}};
  const json run = Aws({"ecs", "run-task", "--cluster", cluster_, "--task-definition", "fields",
                        "--overrides", overrides.dump(), "--started-by", "fields-test", "--group",
                        "g1", "--tags", "key=k,value=v"});
  ASSERT_EQ(run["tasks"].size(), 1u) << run.dump();
  const std::string arn = run["tasks"][0]["taskArn"];
  EXPECT_EQ(run["tasks"][0]["startedBy"], "fields-test");
  EXPECT_EQ(run["tasks"][0]["group"], "g1");
  json task = WaitStatus(arn, "RUNNING", 20);
  EXPECT_EQ(ContainerOf(task, "writer")["exitCode"], 0);
  EXPECT_EQ(task["overrides"]["containerOverrides"][1]["name"], "main");
  EXPECT_EQ(task["overrides"]["containerOverrides"][1]["environment"][0]["value"], "overridden");

  const std::string id = ContainerOf(task, "main").value("runtimeId", "");
  const json c = Inspect(id);
  ASSERT_FALSE(c.is_null());
  const json& config = c["Config"];
  const json& host = c["HostConfig"];
  EXPECT_EQ(config["Entrypoint"], json::array({"sh", "-c"}));
  EXPECT_EQ(config["Cmd"], json::array({script}));
  const auto env = config["Env"].get<std::vector<std::string>>();
  for (const char* expected :
       {"GREETING=overridden", "FROM_TD=yes", "AWS_EXECUTION_ENV=AWS_ECS_EC2",
        "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1"}) {
    EXPECT_NE(std::find(env.begin(), env.end(), expected), env.end()) << expected;
  }
  EXPECT_EQ(std::find(env.begin(), env.end(), "GREETING=from the definition"), env.end());
  EXPECT_EQ(config["WorkingDir"], "/www");
  EXPECT_EQ(config["User"], "1000:1000");
  EXPECT_EQ(config["Tty"], true);
  EXPECT_EQ(config["OpenStdin"], true);
  EXPECT_EQ(config["Labels"]["team"], "core");
  EXPECT_EQ(config["Labels"]["com.amazonaws.ecs.cluster"], cluster_) << "the agent's labels win";
  EXPECT_EQ(config["Labels"]["com.amazonaws.ecs.task-arn"], arn);
  EXPECT_EQ(host["CpuShares"], 128);
  EXPECT_EQ(host["Memory"], 128 * 1024 * 1024) << "the override's memory";
  EXPECT_EQ(host["MemoryReservation"], 64 * 1024 * 1024);
  EXPECT_EQ(host["ReadonlyRootfs"], true);
  EXPECT_EQ(host["Init"], true);
  EXPECT_EQ(host["CapDrop"], json::array({"NET_RAW"}));
  EXPECT_EQ(host["Tmpfs"], json::parse(R"({"/scratch": "size=16m"})"));
  EXPECT_EQ(host["Ulimits"], json::parse(R"([{"Name": "nofile", "Soft": 1024, "Hard": 2048}])"));
  EXPECT_TRUE(c["Name"].get<std::string>().starts_with("/ecs-fields-1-main-")) << c["Name"];
  // What the container saw.
  std::string logs;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (logs.find("rootfs-ro") == std::string::npos && Clock::now() < deadline) {
    logs = Docker({"logs", id}).out;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(logs.find("greeting=overridden td=yes pwd=/www uid=1000 data=shared"),
            std::string::npos)
      << logs;
  EXPECT_NE(logs.find("tmpfs-ok"), std::string::npos) << logs;
  EXPECT_NE(logs.find("rootfs-ro"), std::string::npos) << logs;
  // Task metadata the API keeps.
  const json tagged =
      Ecs("DescribeTasks", {{"cluster", cluster_}, {"tasks", {arn}}, {"include", {"TAGS"}}});
  EXPECT_EQ(tagged["tasks"][0]["tags"], json::parse(R"([{"key": "k", "value": "v"}])"));
  EXPECT_EQ(Ecs("ListTasks", {{"cluster", cluster_}, {"startedBy", "fields-test"}})["taskArns"],
            json::array({arn}));
  // Every field is honoured; the one note is that a bridge task has no
  // 169.254.170.2 endpoints (an awsvpc task would).
  const json local = json::parse(LocalView(arn));
  ASSERT_EQ(local["notHonoured"].size(), 1u) << local.dump();
  EXPECT_NE(local["notHonoured"][0].get<std::string>().find("offered to awsvpc tasks only"),
            std::string::npos);

  Ecs("StopTask", {{"cluster", cluster_}, {"task", arn}});
  WaitStatus(arn, "STOPPED", 15);
}

// --- 3. An essential container exits with code 3 --------------------------------------

TEST_F(EcsTasksTest, EssentialContainerExitStopsTheTaskAndCountsStayTrue) {
  const std::string image = BuildImage("x");
  const std::string wait_for_go = "trap 'exit 0' TERM; until [ -f /go ]; do sleep 0.1; done";
  json gate = Container("gate", image, wait_for_go);
  gate["essential"] = false;
  json main = Container("main", image, wait_for_go + "; exit 3");
  main["dependsOn"] = json::parse(R"([{"containerName": "gate", "condition": "COMPLETE"}])");
  Register(Ec2Td("exit3", "bridge", json::array({gate, main})));
  CreateCluster();
  const json first = RunTask("exit3");
  EXPECT_EQ(first["lastStatus"], "PENDING");
  const std::string arn = first.value("taskArn", "");
  ASSERT_FALSE(arn.empty());

  // While the gate runs, main waits: the task is PENDING.
  json task = WaitTask(
      arn,
      [](const json& t) { return ContainerOf(t, "gate").value("lastStatus", "") == "RUNNING"; }, 20,
      "gate RUNNING");
  EXPECT_EQ(task["lastStatus"], "PENDING");
  EXPECT_EQ(ContainerOf(task, "main")["lastStatus"], "PENDING");
  EXPECT_EQ(Cluster()["pendingTasksCount"], 1);
  EXPECT_EQ(Cluster()["runningTasksCount"], 0);

  // The gate completes: main starts, the task runs.
  PlaceFile(ContainerOf(task, "gate").value("runtimeId", ""), "/go");
  task = WaitStatus(arn, "RUNNING", 15);
  EXPECT_EQ(ContainerOf(task, "gate")["exitCode"], 0);
  EXPECT_EQ(ContainerOf(task, "gate")["lastStatus"], "STOPPED");
  EXPECT_EQ(ContainerOf(task, "main")["lastStatus"], "RUNNING");
  EXPECT_EQ(Cluster()["pendingTasksCount"], 0);
  EXPECT_EQ(Cluster()["runningTasksCount"], 1);
  EXPECT_FALSE(task.contains("executionStoppedAt"));

  // main exits 3: the task stops, as ECS says.
  PlaceFile(ContainerOf(task, "main").value("runtimeId", ""), "/go");
  task = WaitStatus(arn, "STOPPED", 15);
  EXPECT_EQ(task["desiredStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(task["stoppedReason"], "Essential container in task exited");
  const json& stopped_main = ContainerOf(task, "main");
  EXPECT_EQ(stopped_main["lastStatus"], "STOPPED");
  EXPECT_EQ(stopped_main["exitCode"], 3);
  EXPECT_FALSE(stopped_main.contains("reason")) << "a normal exit has no reason";
  ASSERT_TRUE(task.contains("executionStoppedAt")) << task.dump(2);
  ASSERT_TRUE(task.contains("stoppingAt"));
  ASSERT_TRUE(task.contains("stoppedAt"));
  EXPECT_LE(task["startedAt"].get<double>(), task["executionStoppedAt"].get<double>());
  EXPECT_LE(task["executionStoppedAt"].get<double>(), task["stoppedAt"].get<double>());
  EXPECT_LE(task["stoppingAt"].get<double>(), task["stoppedAt"].get<double>());
  EXPECT_EQ(Cluster()["pendingTasksCount"], 0);
  EXPECT_EQ(Cluster()["runningTasksCount"], 0);
  // STOPPED tasks are listed under desiredStatus STOPPED, not RUNNING.
  EXPECT_EQ(Ecs("ListTasks", {{"cluster", cluster_}})["taskArns"], json::array());
  EXPECT_EQ(Ecs("ListTasks", {{"cluster", cluster_}, {"desiredStatus", "STOPPED"}})["taskArns"],
            json::array({arn}));
}

// --- 4. dependsOn -------------------------------------------------------------------------

TEST_F(EcsTasksTest, DependsOnOrdersStartsAndAFailedSuccessDependencyStopsTheTask) {
  const std::string image = BuildImage("x");
  json init_ok = Container("init-ok", image, "sleep 1");
  init_ok["essential"] = false;
  json init_any = Container("init-any", image, "sleep 0.5; exit 5");
  init_any["essential"] = false;
  json main = Container("main", image, kIdle);
  main["dependsOn"] = json::parse(R"([{"containerName": "init-ok", "condition": "SUCCESS"},
                                      {"containerName": "init-any", "condition": "COMPLETE"}])");
  Register(Ec2Td("ordered", "bridge", json::array({init_ok, init_any, main})));
  json init_bad = Container("init-bad", image, "exit 1");
  init_bad["essential"] = false;
  json blocked = Container("main", image, kIdle);
  blocked["dependsOn"] = json::parse(R"([{"containerName": "init-bad", "condition": "SUCCESS"}])");
  Register(Ec2Td("broken", "bridge", json::array({init_bad, blocked})));
  json init_slow = Container("init-slow", image, kIdle);  // never completes
  init_slow["essential"] = false;
  init_slow["startTimeout"] = 2;
  json waiting = Container("main", image, kIdle);
  waiting["dependsOn"] =
      json::parse(R"([{"containerName": "init-slow", "condition": "COMPLETE"}])");
  Register(Ec2Td("slow", "bridge", json::array({init_slow, waiting})));
  CreateCluster();
  const std::string ordered = RunTask("ordered").value("taskArn", "");
  const std::string broken = RunTask("broken").value("taskArn", "");
  const std::string slow = RunTask("slow").value("taskArn", "");
  ASSERT_FALSE(ordered.empty());
  ASSERT_FALSE(broken.empty());
  ASSERT_FALSE(slow.empty());

  // main starts only after both init containers finished; their exits
  // (0 and 5, non-essential) leave the task running.
  json task = WaitStatus(ordered, "RUNNING", 20);
  EXPECT_EQ(ContainerOf(task, "init-ok")["exitCode"], 0);
  EXPECT_EQ(ContainerOf(task, "init-any")["exitCode"], 5);
  EXPECT_EQ(ContainerOf(task, "main")["lastStatus"], "RUNNING");
  const json main_state = Inspect(ContainerOf(task, "main").value("runtimeId", ""))["State"];
  for (const char* init : {"init-ok", "init-any"}) {
    const json state = Inspect(ContainerOf(task, init).value("runtimeId", ""))["State"];
    ASSERT_FALSE(state.is_null()) << init;
    EXPECT_GE(EpochOfRfc3339(main_state["StartedAt"]), EpochOfRfc3339(state["FinishedAt"]))
        << "main started before " << init << " finished";
  }
  EXPECT_GE(task["startedAt"].get<double>(), task["pullStoppedAt"].get<double>());

  // A SUCCESS dependency that exited 1: main never starts and the task
  // fails to start.
  task = WaitStatus(broken, "STOPPED", 20);
  EXPECT_EQ(task["stopCode"], "TaskFailedToStart");
  const std::string reason = task.value("stoppedReason", "");
  EXPECT_TRUE(reason.starts_with("CannotStartContainerError: dependency graph: ")) << reason;
  EXPECT_EQ(ContainerOf(task, "init-bad")["exitCode"], 1);
  const json& never = ContainerOf(task, "main");
  EXPECT_EQ(never["lastStatus"], "STOPPED");
  EXPECT_TRUE(
      never.value("reason", "").starts_with("CannotStartContainerError: dependency graph: "))
      << never.dump();
  EXPECT_EQ(never["exitCode"], 143) << "the agent reports 143 for an abandoned container";
  for (const auto& id : ContainersWith("com.amazonaws.ecs.task-arn=" + broken)) {
    const json c = Inspect(id);
    if (c["Config"]["Labels"].value("com.amazonaws.ecs.container-name", "") != "main") continue;
    EXPECT_EQ(c["State"]["StartedAt"], "0001-01-01T00:00:00Z") << "main was started";
  }

  // A COMPLETE dependency still running after its startTimeout (2 s): the
  // dependent is abandoned, the dependency stopped.
  task = WaitStatus(slow, "STOPPED", 20);
  EXPECT_EQ(task["stopCode"], "TaskFailedToStart");
  EXPECT_TRUE(
      task.value("stoppedReason", "").starts_with("CannotStartContainerError: dependency graph: "))
      << task.dump(2);
  EXPECT_EQ(ContainerOf(task, "main")["exitCode"], 143);
  EXPECT_EQ(ContainerOf(task, "init-slow")["exitCode"], 0);  // SIGTERM, handled
  EXPECT_GE(task["stoppingAt"].get<double>() - task["createdAt"].get<double>(), 2.0);

  Ecs("StopTask", {{"cluster", cluster_}, {"task", ordered}});
  task = WaitStatus(ordered, "STOPPED", 15);
  EXPECT_EQ(ContainerOf(task, "main")["exitCode"], 0);
}

// --- 5. Health checks -------------------------------------------------------------------

TEST_F(EcsTasksTest, HealthChecksSetContainerAndTaskHealth) {
  const std::string image = BuildImage("x");
  json good = Container("web", image, kIdle);
  good["healthCheck"] = json::parse(
      R"({"command": ["CMD-SHELL", "exit 0"], "interval": 5, "timeout": 2, "retries": 1})");
  json helper = Container("helper", image, kIdle);  // no check, not essential
  helper["essential"] = false;
  helper["dependsOn"] = json::parse(R"([{"containerName": "web", "condition": "HEALTHY"}])");
  Register(Ec2Td("healthy", "bridge", json::array({good, helper})));
  json bad = Container("web", image, kIdle);
  bad["healthCheck"] = json::parse(
      R"({"command": ["CMD-SHELL", "exit 1"], "interval": 5, "timeout": 2, "retries": 1})");
  Register(Ec2Td("sick", "bridge", json::array({bad})));
  CreateCluster();
  const json healthy_run = RunTask("healthy");
  const json sick_run = RunTask("sick");
  EXPECT_EQ(healthy_run["healthStatus"], "UNKNOWN");
  EXPECT_EQ(sick_run["healthStatus"], "UNKNOWN");
  const std::string healthy = healthy_run.value("taskArn", "");
  const std::string sick = sick_run.value("taskArn", "");

  // Before the first probe (one interval), health is UNKNOWN, and the
  // helper waits for web to be HEALTHY: the task is not RUNNING yet.
  json task = WaitTask(
      healthy,
      [](const json& t) { return ContainerOf(t, "web").value("lastStatus", "") == "RUNNING"; }, 15,
      "web RUNNING");
  EXPECT_EQ(ContainerOf(task, "web")["healthStatus"], "UNKNOWN");
  EXPECT_EQ(ContainerOf(task, "helper")["lastStatus"], "PENDING");
  EXPECT_EQ(task["lastStatus"], "PENDING");
  task = WaitStatus(healthy, "RUNNING", 20);
  const json web_state = Inspect(ContainerOf(task, "web").value("runtimeId", ""))["State"];
  const json helper_state = Inspect(ContainerOf(task, "helper").value("runtimeId", ""))["State"];
  EXPECT_GE(EpochOfRfc3339(helper_state["StartedAt"]) - EpochOfRfc3339(web_state["StartedAt"]), 4.5)
      << "helper started before web's first health check";

  task = WaitTask(
      healthy, [](const json& t) { return t.value("healthStatus", "") != "UNKNOWN"; }, 20,
      "a known health");
  EXPECT_EQ(task["healthStatus"], "HEALTHY");
  EXPECT_EQ(ContainerOf(task, "web")["healthStatus"], "HEALTHY");
  // A container without a health check is UNKNOWN; not being essential, it
  // does not hold the task's health back.
  EXPECT_EQ(ContainerOf(task, "helper")["healthStatus"], "UNKNOWN");

  task = WaitTask(
      sick, [](const json& t) { return t.value("healthStatus", "") != "UNKNOWN"; }, 20,
      "a known health");
  EXPECT_EQ(task["healthStatus"], "UNHEALTHY");
  EXPECT_EQ(ContainerOf(task, "web")["healthStatus"], "UNHEALTHY");
  // A standalone task keeps running when unhealthy (through a few passes).
  const auto until = Clock::now() + std::chrono::milliseconds(1500);
  while (Clock::now() < until) {
    task = Describe(sick);
    ASSERT_EQ(task["lastStatus"], "RUNNING") << task.dump(2);
    ASSERT_EQ(task["desiredStatus"], "RUNNING") << task.dump(2);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// --- 6. stopTimeout ---------------------------------------------------------------------

TEST_F(EcsTasksTest, StopTaskSignalsThenKillsAfterStopTimeout) {
  const std::string image = BuildImage("x");
  // PID 1 without a SIGTERM handler ignores SIGTERM.
  json stubborn = Container("main", image, "");
  stubborn["command"] = json::array({"busybox", "sleep", "3600"});
  Register(Ec2Td("stubborn", "bridge", json::array({stubborn})));
  Register(Ec2Td("polite", "bridge", json::array({Container("main", image, kIdle)})));
  CreateCluster();
  const std::string stubborn_arn = RunTask("stubborn").value("taskArn", "");
  const std::string polite_arn = RunTask("polite").value("taskArn", "");
  WaitStatus(stubborn_arn, "RUNNING", 15);
  WaitStatus(polite_arn, "RUNNING", 15);

  const auto stop = Clock::now();
  Ecs("StopTask", {{"cluster", cluster_}, {"task", stubborn_arn}});
  Ecs("StopTask", {{"cluster", cluster_}, {"task", polite_arn}, {"reason", "done here"}});
  json polite = WaitStatus(polite_arn, "STOPPED", 10);
  const double polite_wall = Seconds(Clock::now() - stop);
  json stubborn_task = WaitStatus(stubborn_arn, "STOPPED", 15);
  const double stubborn_wall = Seconds(Clock::now() - stop);

  // SIGTERM handled: it stops at once, exit 0.
  EXPECT_EQ(ContainerOf(polite, "main")["exitCode"], 0);
  EXPECT_EQ(polite["stopCode"], "UserInitiated");
  EXPECT_EQ(polite["stoppedReason"], "done here");
  const double polite_took = polite["stoppedAt"].get<double>() - polite["stoppingAt"].get<double>();
  EXPECT_LT(polite_took, 1.5);
  EXPECT_LT(polite_wall, 2.5);
  // SIGTERM ignored: SIGKILL after stopTimeout (2 s), exit 137.
  EXPECT_EQ(ContainerOf(stubborn_task, "main")["exitCode"], 137);
  EXPECT_EQ(stubborn_task["stoppedReason"], "Task stopped by user");
  const double stubborn_took =
      stubborn_task["stoppedAt"].get<double>() - stubborn_task["stoppingAt"].get<double>();
  EXPECT_GE(stubborn_took, 2.0);
  EXPECT_LT(stubborn_took, 4.0);
  EXPECT_GE(stubborn_wall, 2.0);
  EXPECT_LT(stubborn_wall, 5.0);

  // Stopped right after RunTask: it stops without running, and nothing of
  // it is left running.
  const std::string early = RunTask("polite").value("taskArn", "");
  Ecs("StopTask", {{"cluster", cluster_}, {"task", early}});
  const json early_task = WaitStatus(early, "STOPPED", 10);
  EXPECT_EQ(early_task["stopCode"], "UserInitiated");
  for (const auto& id : ContainersWith("com.amazonaws.ecs.task-arn=" + early)) {
    EXPECT_FALSE(Inspect(id)["State"]["Running"].get<bool>()) << id;
  }
}

// --- 7. Images that cannot be pulled ---------------------------------------------------

TEST_F(EcsTasksTest, MissingImagesFailTheTaskWithCannotPullContainerError) {
  Aws({"ecr", "create-repository", "--repository-name", "test-repo"});
  const std::vector<std::pair<std::string, std::string>> images = {
      {"notag", host() + "/test-repo:nosuchtag"},           // berth's registry
      {"nolocal", "berth-test-" + id_ + "-nosuch:latest"},  // neither local nor pullable
      {"norepo", "000000000000.dkr.ecr.us-east-1.amazonaws.com/no-such-repo:latest"},
  };
  for (const auto& [family, image] : images) {
    json td = FargateTd(family, json::array({Container("main", image, kIdle)}));
    td["executionRoleArn"] = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole";
    Register(td);
  }
  CreateCluster();
  std::vector<std::string> arns;
  for (const auto& [family, image] : images)
    arns.push_back(RunFargateTask(family).value("taskArn", ""));

  const auto started = Clock::now();
  for (size_t i = 0; i < arns.size(); ++i) {
    SCOPED_TRACE(images[i].second);
    const json task = WaitStatus(arns[i], "STOPPED", 60);
    EXPECT_EQ(task["stopCode"], "TaskFailedToStart");
    const std::string reason = task.value("stoppedReason", "");
    EXPECT_TRUE(reason.starts_with("CannotPullContainerError: ")) << reason;
    const json& c = ContainerOf(task, "main");
    EXPECT_EQ(c["lastStatus"], "STOPPED");
    EXPECT_EQ(c.value("reason", ""), reason);
    EXPECT_FALSE(c.contains("exitCode"));
    EXPECT_FALSE(task.contains("startedAt"));
    EXPECT_TRUE(task.contains("stoppedAt"));
    // No container of the task was created (only its network namespace, which
    // comes first, as the ENI does on Fargate).
    EXPECT_EQ(ContainersWith("com.amazonaws.ecs.task-arn=" + arns[i]).size(),
              ContainersWith("com.amazonaws.ecs.task-arn=" + arns[i], "berth.role=pause").size());
  }
  EXPECT_LT(Seconds(Clock::now() - started), 30) << "a pull that cannot succeed took long";
  EXPECT_NE(Describe(arns[0]).value("stoppedReason", "").find("nosuchtag"), std::string::npos)
      << Describe(arns[0]).dump(2);
}

// --- 8. berth killed and restarted under running tasks ----------------------------------

TEST_F(EcsTasksTest, RestartAdoptsRunningTasksStopsDeadOnesAndSweepsOrphans) {
  const std::string image = PushImage("web", "<p>survives restarts</p>\n");
  json web = Container("web", image, kServe80);
  web["portMappings"] = json::parse(R"([{"containerPort": 80}])");
  Register(FargateTd("web", json::array({web})));
  Register(Ec2Td("victim", "bridge", json::array({Container("main", image, kIdle)})));
  CreateCluster();
  const std::string web_arn = RunFargateTask("web").value("taskArn", "");
  const std::string victim_arn = RunTask("victim").value("taskArn", "");
  json web_task = WaitStatus(web_arn, "RUNNING");
  const json victim_task = WaitStatus(victim_arn, "RUNNING");
  const int port = ContainerOf(web_task, "web")["networkBindings"][0].value("hostPort", 0);
  ASSERT_EQ(GetPage(port).body, "<p>survives restarts</p>\n");

  // berth is killed; meanwhile the victim's container is killed, and a
  // container of a task berth never heard of appears.
  ASSERT_TRUE(server_->process().Stop(SIGKILL).has_value());
  DockerOk({"kill", ContainerOf(victim_task, "main").value("runtimeId", "")});
  const std::string instance = InstanceId();
  ASSERT_FALSE(instance.empty());
  const std::string orphan_arn =
      "arn:aws:ecs:us-east-1:000000000000:task/" + cluster_ + "/" + crypto::RandomHex(16);
  const std::string orphan = Trim(
      DockerOk({"run", "-d", "--label", "berth.managed=1", "--label", "berth.instance=" + instance,
                "--label", "com.amazonaws.ecs.task-arn=" + orphan_arn, "--label",
                "com.amazonaws.ecs.container-name=main", "--label", "berth.test.id=" + id_, image,
                "sh", "-c", kIdle}));
  ASSERT_FALSE(orphan.empty());

  // Restarted on the same data directory:
  const auto restarted = Clock::now();
  StartBerth();
  // the dead container's task is STOPPED with its exit code,
  const json victim = WaitStatus(victim_arn, "STOPPED", 20);
  EXPECT_EQ(victim["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(victim["stoppedReason"], "Essential container in task exited");
  EXPECT_EQ(ContainerOf(victim, "main")["exitCode"], 137);
  // the orphan is removed,
  while (!Inspect(orphan).is_null() && Seconds(Clock::now() - restarted) < 40) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(Inspect(orphan).is_null())
      << "orphan container still there after " << Seconds(Clock::now() - restarted) << " s";
  // and the running task still runs and serves, at the same address.
  web_task = Describe(web_arn);
  EXPECT_EQ(web_task["lastStatus"], "RUNNING") << web_task.dump(2);
  EXPECT_EQ(ContainerOf(web_task, "web")["networkBindings"][0]["hostPort"], port);
  EXPECT_EQ(GetPage(port).body, "<p>survives restarts</p>\n");
  EXPECT_EQ(Cluster()["runningTasksCount"], 1);
  // Only the tasks' own containers remain: web's pause and app, the victim.
  EXPECT_EQ(ContainersWith("berth.instance=" + instance).size(), 3u);

  // POST /_berth/reset removes berth's containers and network.
  const HttpReply reset = Curl(server_->endpoint() + "/_berth/reset", {"-X", "POST"});
  EXPECT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(ContainersWith("berth.instance=" + instance).size(), 0u);
  EXPECT_EQ(Docker({"network", "ls", "-q", "--filter", "label=berth.instance=" + instance}).out,
            "");
  EXPECT_NE(GetPage(port, 0.5).body, "<p>survives restarts</p>\n") << "the task still answers";
}

// --- 11. The Docker daemon goes away and comes back -----------------------------------

// Berth started while its Docker socket does not exist serves the API, fails
// tasks with an honest reason, and runs tasks once the socket appears (here a
// symlink to the real one), without a restart.
TEST_F(EcsTasksTest, TasksRunOnceAnUnreachableDockerDaemonComesBack) {
  const std::string image = BuildImage("<p>back</p>\n");
  const char* host = std::getenv("DOCKER_HOST");
  const std::string real_socket = host != nullptr && std::string_view(host).starts_with("unix://")
                                      ? std::string(host).substr(7)
                                      : "/var/run/docker.sock";
  const std::string socket = work_.path() + "/docker.sock";
  StopBerth();
  ::setenv("DOCKER_HOST", ("unix://" + socket).c_str(), 1);
  StartBerth();
  if (host != nullptr) {
    ::setenv("DOCKER_HOST", host, 1);
  } else {
    ::unsetenv("DOCKER_HOST");
  }

  Register(FargateTd("comeback", json::array({Container("main", image, kIdle)})));
  CreateCluster();
  const std::string failed = RunFargateTask("comeback").value("taskArn", "");
  const json stopped = WaitStatus(failed, "STOPPED", 30);
  EXPECT_EQ(stopped["stopCode"], "TaskFailedToStart");
  EXPECT_TRUE(stopped.value("stoppedReason", "")
                  .starts_with("ResourceInitializationError: cannot reach the Docker daemon"))
      << stopped.dump(2);

  ASSERT_EQ(::symlink(real_socket.c_str(), socket.c_str()), 0) << real_socket;
  const std::string arn = RunFargateTask("comeback").value("taskArn", "");
  const json running = WaitStatus(arn, "RUNNING", 30);
  EXPECT_EQ(ContainerOf(running, "main")["lastStatus"], "RUNNING");
  EXPECT_EQ(ContainersWith("com.amazonaws.ecs.task-arn=" + arn).size(), 2u);  // app + pause
  // The failed task stays failed; the cluster counts only the running one.
  EXPECT_EQ(Describe(failed)["lastStatus"], "STOPPED");
  EXPECT_EQ(Cluster()["runningTasksCount"], 1);
  Ecs("StopTask", {{"cluster", cluster_}, {"task", arn}});
  WaitStatus(arn, "STOPPED", 10);
}

}  // namespace
}  // namespace berth::testing
