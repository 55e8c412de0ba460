// ECS task networking with real containers, driven by the real AWS CLI and
// Docker: awsvpc tasks (a shared localhost, published ports, the pause
// container), bridge and host modes, and StartTask on the cluster's container
// instance. See ecs_task_fixture.h for what each test starts and removes.

#include <string>

#include "tests/integration/ecs_task_helpers.h"

namespace berth::testing {
namespace {

// --- 2. Several containers of one awsvpc task share localhost -------------------------

TEST_F(EcsTasksTest, AwsvpcContainersShareLocalhostAndPublishEveryPort) {
  // An image in berth's registry, absent locally: the task pulls it by its
  // AWS-shaped URI (rewritten to berth's registry, with a token).
  const std::string pushed = PushImage("shared", "<p>image page</p>\n");
  DockerOk({"rmi", pushed});
  const std::string image = "000000000000.dkr.ecr.us-east-1.amazonaws.com/shared:latest";
  json sidecar = Container("sidecar", image,
                           "trap 'exit 0' TERM; mkdir -p /side && echo 'from the sidecar' > "
                           "/side/index.html && httpd -f -p 8080 -h /side & wait");
  sidecar["essential"] = false;
  sidecar["portMappings"] = json::parse(R"([{"containerPort": 8080}])");
  json app = Container("app", image,
                       "trap 'exit 0' TERM; mkdir -p /app; until wget -qO /app/index.html "
                       "http://localhost:8080/; do sleep 0.1; done; httpd -f -p 80 -h /app & wait");
  app["dependsOn"] = json::parse(R"([{"containerName": "sidecar", "condition": "START"}])");
  app["portMappings"] = json::parse(R"([{"containerPort": 80}])");
  json probe = Container("probe", image, "wget -qO- http://localhost:8080/");
  probe["essential"] = false;
  probe["dependsOn"] = app["dependsOn"];
  json td = FargateTd("shared", json::array({sidecar, app, probe}));
  td["executionRoleArn"] = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole";
  Register(td);
  CreateCluster();
  const std::string arn = RunFargateTask("shared").value("taskArn", "");
  ASSERT_FALSE(arn.empty());

  json task = WaitStatus(arn, "RUNNING");
  // The probe reached the sidecar on localhost and exited 0; a non-essential
  // exit leaves the task running.
  task = WaitTask(
      arn,
      [](const json& t) { return ContainerOf(t, "probe").value("lastStatus", "") == "STOPPED"; },
      10, "probe STOPPED");
  EXPECT_EQ(task["lastStatus"], "RUNNING");
  EXPECT_EQ(ContainerOf(task, "probe")["exitCode"], 0) << task.dump(2);
  EXPECT_FALSE(ContainerOf(task, "probe").contains("reason"));
  EXPECT_NE(Docker({"logs", ContainerOf(task, "probe").value("runtimeId", "")})
                .out.find("from the sidecar"),
            std::string::npos);
  // Every container has the task's ENI address; each published port is
  // reported on the container that declares it.
  const std::string ip = EniDetail(task, "privateIPv4Address");
  ASSERT_FALSE(ip.empty());
  for (const auto& c : task["containers"]) {
    EXPECT_EQ(c["networkInterfaces"][0]["privateIpv4Address"], ip) << c.dump();
  }
  const json app_bindings = ContainerOf(task, "app")["networkBindings"];
  const json side_bindings = ContainerOf(task, "sidecar")["networkBindings"];
  ASSERT_EQ(app_bindings.size(), 1u) << task.dump(2);
  ASSERT_EQ(side_bindings.size(), 1u) << task.dump(2);
  EXPECT_EQ(app_bindings[0]["containerPort"], 80);
  EXPECT_EQ(side_bindings[0]["containerPort"], 8080);
  EXPECT_EQ(app_bindings[0]["bindIP"], "127.0.0.1");
  EXPECT_EQ(side_bindings[0]["bindIP"], "127.0.0.1");
  EXPECT_EQ(ContainerOf(task, "probe")["networkBindings"], json::array());
  // The app serves what it fetched from the sidecar over localhost.
  const HttpReply from_app = GetPage(app_bindings[0]["hostPort"]);
  EXPECT_EQ(from_app.status, 200);
  EXPECT_EQ(from_app.body, "from the sidecar\n");
  const HttpReply from_sidecar = GetPage(side_bindings[0]["hostPort"]);
  EXPECT_EQ(from_sidecar.status, 200);
  EXPECT_EQ(from_sidecar.body, "from the sidecar\n");
  // Docker: the app joined the pause container's namespace, was pulled
  // from berth's registry and carries ECS's name and labels.
  const json inspected = Inspect(ContainerOf(task, "app").value("runtimeId", ""));
  ASSERT_FALSE(inspected.is_null());
  EXPECT_EQ(inspected["Config"]["Image"], host() + "/shared:latest");
  const std::string mode = inspected["HostConfig"]["NetworkMode"];
  ASSERT_TRUE(mode.starts_with("container:")) << mode;
  const json pause = Inspect(mode.substr(10));
  ASSERT_FALSE(pause.is_null());
  EXPECT_EQ(pause["Config"]["Labels"]["com.amazonaws.ecs.task-arn"], arn);
  EXPECT_TRUE(pause["State"]["Running"].get<bool>());
  EXPECT_TRUE(inspected["Name"].get<std::string>().starts_with("/ecs-shared-1-app-"))
      << inspected["Name"];
  const json& labels = inspected["Config"]["Labels"];
  EXPECT_EQ(labels["com.amazonaws.ecs.container-name"], "app");
  EXPECT_EQ(labels["com.amazonaws.ecs.task-definition-family"], "shared");
  EXPECT_EQ(labels["com.amazonaws.ecs.task-definition-version"], "1");
  EXPECT_EQ(labels["com.amazonaws.ecs.cluster"], cluster_);

  // Stopping: the app (which depends on the sidecar) stops first.
  Ecs("StopTask", {{"cluster", cluster_}, {"task", arn}});
  task = WaitStatus(arn, "STOPPED", 15);
  EXPECT_EQ(ContainerOf(task, "app")["exitCode"], 0);
  EXPECT_EQ(ContainerOf(task, "sidecar")["exitCode"], 0);
  const json app_after = Inspect(ContainerOf(task, "app").value("runtimeId", ""));
  const json side_after = Inspect(ContainerOf(task, "sidecar").value("runtimeId", ""));
  ASSERT_FALSE(app_after.is_null());
  ASSERT_FALSE(side_after.is_null());
  EXPECT_LE(EpochOfRfc3339(app_after["State"]["FinishedAt"]),
            EpochOfRfc3339(side_after["State"]["FinishedAt"]));
  EXPECT_FALSE(Inspect(mode.substr(10))["State"]["Running"].get<bool>())
      << "the pause container outlived its task";
}

// The hostPort when it is free, else an ephemeral port: two tasks asking for
// the same one both run and serve.
TEST_F(EcsTasksTest, AwsvpcHostPortWhenFreeElseEphemeral) {
  const std::string image = BuildImage("<p>twice</p>\n");
  const int wanted = FreePort();
  ASSERT_GT(wanted, 0);
  const std::string p = std::to_string(wanted);
  json web = Container("web", image, "trap 'exit 0' TERM; httpd -f -p " + p + " -h /www & wait");
  web["portMappings"] =
      json::parse(Fill(R"([{"containerPort": @P@, "hostPort": @P@}])", {{"P", p}}));
  Register(FargateTd("twice", json::array({web})));
  CreateCluster();
  const json run = Aws({"ecs", "run-task", "--cluster", cluster_, "--task-definition", "twice",
                        "--count", "2", "--launch-type", "FARGATE", "--network-configuration",
                        R"({"awsvpcConfiguration":{"subnets":["subnet-0berth"]}})"});
  ASSERT_EQ(run["tasks"].size(), 2u) << run.dump();
  std::vector<int> ports;
  std::vector<std::string> ips;
  for (const auto& t : run["tasks"]) {
    const json task = WaitStatus(t["taskArn"], "RUNNING");
    const json bindings = ContainerOf(task, "web")["networkBindings"];
    ASSERT_EQ(bindings.size(), 1u) << task.dump(2);
    EXPECT_EQ(bindings[0]["containerPort"], wanted);
    ports.push_back(bindings[0].value("hostPort", 0));
    ips.push_back(EniDetail(task, "privateIPv4Address"));
    EXPECT_EQ(GetPage(ports.back()).body, "<p>twice</p>\n") << "port " << ports.back();
  }
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_NE(ports[0], ports[1]);
  EXPECT_TRUE(ports[0] == wanted || ports[1] == wanted) << ports[0] << " " << ports[1];
  EXPECT_NE(ips[0], ips[1]) << "each awsvpc task has its own address";
  EXPECT_EQ(Cluster()["runningTasksCount"], 2);
}

// The pause container holds an awsvpc task's network: the ECS agent treats
// it as essential, so its death stops the task.
TEST_F(EcsTasksTest, AwsvpcTaskStopsWhenItsPauseContainerDies) {
  const std::string image = BuildImage("<p>netns</p>\n");
  json web = Container("web", image, kServe80);
  web["portMappings"] = json::parse(R"([{"containerPort": 80}])");
  Register(FargateTd("netns", json::array({web})));
  CreateCluster();
  const std::string arn = RunFargateTask("netns").value("taskArn", "");
  json task = WaitStatus(arn, "RUNNING");
  const json app = Inspect(ContainerOf(task, "web").value("runtimeId", ""));
  ASSERT_FALSE(app.is_null());
  const std::string pause = app["HostConfig"]["NetworkMode"].get<std::string>().substr(10);
  DockerOk({"kill", pause});
  task = WaitStatus(arn, "STOPPED", 15);
  EXPECT_EQ(task["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(task["stoppedReason"], "Essential container in task exited");
  EXPECT_TRUE(task.contains("executionStoppedAt"));
  EXPECT_EQ(ContainerOf(task, "web")["exitCode"], 0);
  EXPECT_FALSE(
      Inspect(ContainerOf(task, "web").value("runtimeId", ""))["State"]["Running"].get<bool>());
}

// What a container definition and the run's overrides say reaches Docker.
// --- 10. bridge and host networking ----------------------------------------------------

TEST_F(EcsTasksTest, BridgeHostPortZeroIsEphemeralAndHostModeSharesTheHostNetwork) {
  const std::string image = BuildImage("<p>networked</p>\n");
  json bridged = Container("web", image, kServe80);
  bridged["portMappings"] = json::parse(R"([{"containerPort": 80, "hostPort": 0}])");
  Register(Ec2Td("bridged", "bridge", json::array({bridged})));
  const int free_port = FreePort();
  ASSERT_GT(free_port, 0);
  const std::string p = std::to_string(free_port);
  json hosted = Container("web", image, "trap 'exit 0' TERM; httpd -f -p " + p + " -h /www & wait");
  hosted["portMappings"] =
      json::parse(Fill(R"([{"containerPort": @P@, "hostPort": @P@}])", {{"P", p}}));
  Register(Ec2Td("hosted", "host", json::array({hosted})));
  CreateCluster();
  const std::string bridge_arn = RunTask("bridged").value("taskArn", "");
  const std::string host_arn = RunTask("hosted").value("taskArn", "");

  const json bridge_task = WaitStatus(bridge_arn, "RUNNING", 15);
  EXPECT_EQ(bridge_task["attachments"], json::array());
  const json bindings = ContainerOf(bridge_task, "web")["networkBindings"];
  ASSERT_EQ(bindings.size(), 1u) << bridge_task.dump(2);
  EXPECT_EQ(bindings[0]["containerPort"], 80);
  EXPECT_EQ(bindings[0]["protocol"], "tcp");
  const int ephemeral = bindings[0].value("hostPort", 0);
  EXPECT_GE(ephemeral, 1024);
  EXPECT_EQ(GetPage(ephemeral).body, "<p>networked</p>\n");
  const json bridge_container = Inspect(ContainerOf(bridge_task, "web").value("runtimeId", ""));
  // Bridge tasks join their cluster's network (a user-defined bridge).
  const std::string bridge_network = bridge_container["HostConfig"].value("NetworkMode", "");
  EXPECT_TRUE(bridge_network.starts_with("berth-" + cluster_ + "-")) << bridge_network;

  const json host_task = WaitStatus(host_arn, "RUNNING", 15);
  const json host_bindings = ContainerOf(host_task, "web")["networkBindings"];
  ASSERT_EQ(host_bindings.size(), 1u) << host_task.dump(2);
  EXPECT_EQ(host_bindings[0]["hostPort"], free_port);
  EXPECT_EQ(host_bindings[0]["containerPort"], free_port);
  EXPECT_EQ(GetPage(free_port).body, "<p>networked</p>\n");
  const json host_container = Inspect(ContainerOf(host_task, "web").value("runtimeId", ""));
  EXPECT_EQ(host_container["HostConfig"]["NetworkMode"], "host");

  Ecs("StopTask", {{"cluster", cluster_}, {"task", bridge_arn}});
  Ecs("StopTask", {{"cluster", cluster_}, {"task", host_arn}});
  EXPECT_EQ(ContainerOf(WaitStatus(bridge_arn, "STOPPED", 10), "web")["exitCode"], 0);
  EXPECT_EQ(ContainerOf(WaitStatus(host_arn, "STOPPED", 10), "web")["exitCode"], 0);
}

// StartTask places a task on the cluster's container instance, which the
// CLI lists like any EC2 instance.
TEST_F(EcsTasksTest, StartTaskRunsOnTheListedContainerInstance) {
  const std::string image = BuildImage("<p>started</p>\n");
  json web = Container("web", image, kServe80);
  web["portMappings"] = json::parse(R"([{"containerPort": 80, "hostPort": 0}])");
  Register(Ec2Td("started", "bridge", json::array({web})));
  CreateCluster();
  const json instances = Aws({"ecs", "list-container-instances", "--cluster", cluster_});
  ASSERT_EQ(instances["containerInstanceArns"].size(), 1u) << instances.dump();
  const std::string instance = instances["containerInstanceArns"][0];
  const json started = Aws({"ecs", "start-task", "--cluster", cluster_, "--task-definition",
                            "started", "--container-instances", instance});
  ASSERT_EQ(started["tasks"].size(), 1u) << started.dump();
  const std::string arn = started["tasks"][0]["taskArn"];
  EXPECT_EQ(started["tasks"][0]["containerInstanceArn"], instance);
  const json task = WaitStatus(arn, "RUNNING", 15);
  const int port = ContainerOf(task, "web")["networkBindings"][0].value("hostPort", 0);
  EXPECT_EQ(GetPage(port).body, "<p>started</p>\n");
  const json described = Aws({"ecs", "describe-container-instances", "--cluster", cluster_,
                              "--container-instances", instance});
  EXPECT_EQ(described["containerInstances"][0]["runningTasksCount"], 1) << described.dump();
  EXPECT_EQ(Aws({"ecs", "list-tasks", "--cluster", cluster_, "--container-instance",
                 instance})["taskArns"],
            json::array({arn}));
  Ecs("StopTask", {{"cluster", cluster_}, {"task", arn}});
  WaitStatus(arn, "STOPPED", 10);
}

}  // namespace
}  // namespace berth::testing
