// The walkthrough's steps 1–10 command for command, the task waiters and
// RunTask's validation errors, each with every AWS CLI on the machine,
// against the real berth and Docker (see ecs_task_fixture.h).

#include <chrono>
#include <signal.h>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/ecs_task_helpers.h"

namespace berth::testing {
namespace {

// --- 1. The walkthrough, verbatim, with every AWS CLI ---------------------------------

class EcsWalkthroughTest : public EcsCliTaskTest {};

TEST_P(EcsWalkthroughTest, StepsOneToNineStopTaskThenAServiceForStepTen) {
  const std::string testdata = SourceDir() + "/tests/testdata/";
  // 1. aws ecr create-repository --repository-name test-repo
  const json created = Aws({"ecr", "create-repository", "--repository-name", "test-repo"});
  ASSERT_TRUE(created.is_object());
  const std::string uri = created["repository"]["repositoryUri"];
  ASSERT_EQ(uri, host() + "/test-repo");
  // 2. aws ecr get-login-password --region <region> | docker login --username AWS
  //    --password-stdin <registry host>, as one pipeline.
  const AwsResult login =
      RunLoginPipeline(cli_, server_->endpoint(), host(), docker_config_.path());
  ASSERT_EQ(login.exit_code, 0) << login.out << login.err;
  // 3. docker build -t test .   (a name of this test's own: the daemon is shared)
  const std::string local = BuildImage("<h1>poc</h1>\n");
  // 4. docker tag test:latest <repositoryUri>:latest
  tags_.push_back(uri + ":latest");
  DockerOk({"tag", local + ":latest", uri + ":latest"});
  // 5. docker push <repositoryUri>:latest
  DockerOk({"push", uri + ":latest"});
  EXPECT_EQ(Aws({"ecr", "list-images", "--repository-name", "test-repo"})["imageIds"].size(), 1u);

  // 6. register-task-definition --generate-cli-skeleton, then the user's file.
  const AwsResult skeleton = RunCli({"ecs", "register-task-definition", "--generate-cli-skeleton"});
  EXPECT_EQ(skeleton.exit_code, 0) << skeleton.err;
  EXPECT_NE(skeleton.out.find("containerDefinitions"), std::string::npos) << skeleton.out;
  const json registered = Aws({"ecs", "register-task-definition", "--cli-input-json",
                               "file://" + testdata + "ecs_task.json"});
  ASSERT_TRUE(registered.is_object());
  EXPECT_EQ(registered["taskDefinition"]["containerDefinitions"][0]["image"],
            "000000000000.dkr.ecr.us-east-1.amazonaws.com/test-repo:latest");
  // 7. aws ecs create-cluster --cluster-name poc-cluster
  Aws({"ecs", "create-cluster", "--cluster-name", "poc-cluster"});
  // 8. aws ecs run-task ... --launch-type FARGATE --network-configuration file://network.json
  const auto run_started = Clock::now();
  const json run = Aws({"ecs", "run-task", "--cluster", "poc-cluster", "--count", "1",
                        "--task-definition", "poc-task", "--launch-type", "FARGATE",
                        "--network-configuration", "file://" + testdata + "network.json"});
  ASSERT_TRUE(run.is_object());
  EXPECT_LT(Seconds(Clock::now() - run_started), 5) << "RunTask must not wait on Docker";
  EXPECT_EQ(run["failures"], json::array());
  ASSERT_EQ(run["tasks"].size(), 1u);
  const json& pending = run["tasks"][0];
  EXPECT_EQ(pending["lastStatus"], "PROVISIONING");
  EXPECT_EQ(pending["desiredStatus"], "RUNNING");
  EXPECT_EQ(pending["containers"][0]["lastStatus"], "PENDING");
  EXPECT_EQ(pending["attachments"][0]["status"], "PRECREATED");
  const std::string arn = pending["taskArn"];
  const std::string task_id = TaskId(arn);

  // aws ecs wait tasks-running
  const AwsResult running =
      RunCli({"ecs", "wait", "tasks-running", "--cluster", "poc-cluster", "--tasks", arn});
  ASSERT_EQ(running.exit_code, 0) << running.err << "\n" << LocalView(arn) << "\n" << LogTail();

  // 9. aws ecs describe-tasks --tasks <taskID> --cluster poc-cluster
  const json described =
      Aws({"ecs", "describe-tasks", "--tasks", task_id, "--cluster", "poc-cluster"});
  ASSERT_TRUE(described.is_object());
  EXPECT_EQ(described["failures"], json::array());
  ASSERT_EQ(described["tasks"].size(), 1u);
  const json& task = described["tasks"][0];
  EXPECT_EQ(task["taskArn"], arn);
  EXPECT_EQ(task["lastStatus"], "RUNNING");
  EXPECT_EQ(task["desiredStatus"], "RUNNING");
  EXPECT_EQ(task["launchType"], "FARGATE");
  EXPECT_EQ(task["connectivity"], "CONNECTED");
  EXPECT_EQ(task["attachments"][0]["type"], "ElasticNetworkInterface");
  EXPECT_EQ(task["attachments"][0]["status"], "ATTACHED");
  EXPECT_EQ(EniDetail(task, "subnetId"), "subnet-124abcd");
  const std::string ip = EniDetail(task, "privateIPv4Address");
  EXPECT_FALSE(ip.empty()) << task.dump(2);
  EXPECT_LE(EpochOf(task["createdAt"]), EpochOf(task["pullStartedAt"]));
  EXPECT_LE(EpochOf(task["pullStartedAt"]), EpochOf(task["pullStoppedAt"]));
  EXPECT_LE(EpochOf(task["pullStoppedAt"]), EpochOf(task["startedAt"]));
  const json& container = task["containers"][0];
  EXPECT_EQ(container["name"], "getting-started-container");
  EXPECT_EQ(container["lastStatus"], "RUNNING");
  EXPECT_EQ(container["image"], "000000000000.dkr.ecr.us-east-1.amazonaws.com/test-repo:latest");
  EXPECT_EQ(container["networkInterfaces"][0]["privateIpv4Address"], ip);
  ASSERT_EQ(container["networkBindings"].size(), 1u) << container.dump(2);
  const json& binding = container["networkBindings"][0];
  EXPECT_EQ(binding["bindIP"], "127.0.0.1");
  EXPECT_EQ(binding["containerPort"], 80);
  EXPECT_EQ(binding["protocol"], "tcp");
  // hostPort 80 when it was free, else an ephemeral port.
  const int port = binding.value("hostPort", 0);
  EXPECT_TRUE(port == 80 || port >= 1024) << port;
  // Browsing there shows the pushed page.
  const HttpReply page = GetPage(port);
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "<h1>poc</h1>\n");
  // The container runs the pushed image from berth's registry, with the
  // definition's tty and stdin.
  const json inspected = Inspect(container.value("runtimeId", ""));
  ASSERT_FALSE(inspected.is_null());
  EXPECT_EQ(inspected["Config"]["Image"], uri + ":latest");
  EXPECT_EQ(inspected["Config"]["Tty"], true);
  EXPECT_EQ(inspected["Config"]["OpenStdin"], true);
  EXPECT_TRUE(inspected["HostConfig"]["NetworkMode"].get<std::string>().starts_with("container:"));
  EXPECT_EQ(inspected["Config"]["Labels"]["com.amazonaws.ecs.task-arn"], arn);
  EXPECT_EQ(inspected["Config"]["Labels"]["com.amazonaws.ecs.cluster"], "poc-cluster");
  const json cluster = Aws({"ecs", "describe-clusters", "--clusters", "poc-cluster"});
  EXPECT_EQ(cluster["clusters"][0]["runningTasksCount"], 1);
  EXPECT_EQ(cluster["clusters"][0]["pendingTasksCount"], 0);

  // aws ecs stop-task, then aws ecs wait tasks-stopped.
  const json stopping = Aws({"ecs", "stop-task", "--cluster", "poc-cluster", "--task", task_id});
  ASSERT_TRUE(stopping.is_object());
  EXPECT_EQ(stopping["task"]["desiredStatus"], "STOPPED");
  EXPECT_EQ(stopping["task"]["stopCode"], "UserInitiated");
  EXPECT_EQ(stopping["task"]["stoppedReason"], "Task stopped by user");
  EXPECT_TRUE(stopping["task"].contains("stoppingAt"));
  const AwsResult stopped =
      RunCli({"ecs", "wait", "tasks-stopped", "--cluster", "poc-cluster", "--tasks", arn});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err << "\n" << LocalView(arn);
  const json after =
      Aws({"ecs", "describe-tasks", "--tasks", arn, "--cluster", "poc-cluster"})["tasks"][0];
  EXPECT_EQ(after["lastStatus"], "STOPPED");
  EXPECT_EQ(after["desiredStatus"], "STOPPED");
  EXPECT_EQ(after["stopCode"], "UserInitiated");
  EXPECT_EQ(after["stoppedReason"], "Task stopped by user");
  EXPECT_LE(EpochOf(after["stoppingAt"]), EpochOf(after["stoppedAt"]));
  EXPECT_TRUE(after.contains("executionStoppedAt"));
  EXPECT_EQ(after["containers"][0]["lastStatus"], "STOPPED");
  EXPECT_EQ(after["containers"][0]["exitCode"], 0);  // the image's httpd exits 0 on SIGTERM
  // Nothing of the task publishes its port any more (another test's task
  // may take the freed host port at once, so the port itself proves nothing).
  const std::string pause = inspected["HostConfig"]["NetworkMode"].get<std::string>().substr(
      std::string("container:").size());
  for (const std::string& id : {container.value("runtimeId", ""), pause}) {
    const json state = Inspect(id);
    ASSERT_FALSE(state.is_null()) << id;
    EXPECT_FALSE(state["State"]["Running"].get<bool>()) << id;
  }
  const json counts = Aws({"ecs", "describe-clusters", "--clusters", "poc-cluster"});
  EXPECT_EQ(counts["clusters"][0]["runningTasksCount"], 0);
  EXPECT_EQ(counts["clusters"][0]["pendingTasksCount"], 0);

  // 10. Long-running work as a service, with the same files: it runs, serves
  // the page, and a container that stops is replaced.
  Aws({"ecs", "create-service", "--cluster", "poc-cluster", "--service-name", "poc-service",
       "--task-definition", "poc-task", "--desired-count", "1", "--launch-type", "FARGATE",
       "--network-configuration", "file://" + testdata + "network.json"});
  const AwsResult stable = RunCli(
      {"ecs", "wait", "services-stable", "--cluster", "poc-cluster", "--services", "poc-service"});
  ASSERT_EQ(stable.exit_code, 0) << stable.err << "\n" << LogTail();
  const json listed =
      Aws({"ecs", "list-tasks", "--cluster", "poc-cluster", "--service-name", "poc-service"});
  ASSERT_EQ(listed["taskArns"].size(), 1u);
  const std::string first = listed["taskArns"][0];
  const auto describe = [&](const std::string& task_arn) {
    const json r = Aws({"ecs", "describe-tasks", "--cluster", "poc-cluster", "--tasks", task_arn});
    return r.is_object() && !r["tasks"].empty() ? r["tasks"][0] : json();
  };
  const json service_task = describe(first);
  const int service_port =
      ContainerOf(service_task, "getting-started-container")["networkBindings"][0].value("hostPort",
                                                                                         0);
  EXPECT_EQ(GetPage(service_port).body, "<h1>poc</h1>\n");
  DockerOk({"kill", ContainerOf(service_task, "getting-started-container")["runtimeId"]});
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  json replaced;
  while (Clock::now() < deadline) {
    const json now =
        Aws({"ecs", "list-tasks", "--cluster", "poc-cluster", "--service-name", "poc-service"});
    if (now["taskArns"].size() == 1 && now["taskArns"][0] != first) {
      replaced = describe(now["taskArns"][0]);
      if (replaced.value("lastStatus", "") == "RUNNING") break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_EQ(replaced.value("lastStatus", ""), "RUNNING") << "no replacement ran";
  Aws({"ecs", "delete-service", "--cluster", "poc-cluster", "--service", "poc-service", "--force"});
}

INSTANTIATE_TEST_SUITE_P(Clis, EcsWalkthroughTest, ::testing::ValuesIn(AwsClis()), CliName);

// --- 9. The waiters -------------------------------------------------------------------

class EcsWaiterTest : public EcsCliTaskTest {};

TEST_P(EcsWaiterTest, TasksRunningFailsFastForATaskThatStops) {
  // A task that stops without ever running: its essential container waits
  // on a SUCCESS dependency that fails.
  const std::string image = BuildImage("x");
  json init = Container("init", image, "exit 1");
  init["essential"] = false;
  json main = Container("main", image, kIdle);
  main["dependsOn"] = json::parse(R"([{"containerName": "init", "condition": "SUCCESS"}])");
  Register(Ec2Td("doomed", "bridge", json::array({init, main})));
  // A task whose essential container exits at once (it may be RUNNING for
  // a moment, as on ECS).
  Register(Ec2Td("quick", "bridge", json::array({Container("main", image, "exit 0")})));
  CreateCluster();
  const std::string doomed = RunTask("doomed").value("taskArn", "");
  const std::string quick = RunTask("quick").value("taskArn", "");
  ASSERT_FALSE(doomed.empty());
  ASSERT_FALSE(quick.empty());

  const auto started = Clock::now();
  const AwsResult running =
      RunCli({"ecs", "wait", "tasks-running", "--cluster", cluster_, "--tasks", doomed});
  EXPECT_NE(running.exit_code, 0) << running.out;
  EXPECT_NE(running.err.find("Waiter TasksRunning failed"), std::string::npos) << running.err;
  EXPECT_LT(Seconds(Clock::now() - started), 20);
  EXPECT_EQ(Describe(doomed)["stopCode"], "TaskFailedToStart");
  EXPECT_FALSE(Describe(doomed).contains("startedAt"));

  // tasks-stopped succeeds for both (one call, two tasks).
  const AwsResult stopped =
      RunCli({"ecs", "wait", "tasks-stopped", "--cluster", cluster_, "--tasks", doomed, quick});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  const json task = Describe(quick);
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(ContainerOf(task, "main")["exitCode"], 0);

  // A task that does not exist: MISSING fails the waiter at once, on its
  // first poll: no slower than one plain call plus less than the waiter's
  // 6 s delay (the CLI's own start-up is seconds on a loaded machine).
  const auto plain_started = Clock::now();
  RunCli({"ecs", "describe-tasks", "--cluster", cluster_, "--tasks", quick});
  const double plain = Seconds(Clock::now() - plain_started);
  const auto missing_started = Clock::now();
  const AwsResult missing = RunCli({"ecs", "wait", "tasks-running", "--cluster", cluster_,
                                    "--tasks", "0123456789abcdef0123456789abcdef"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("Waiter TasksRunning failed"), std::string::npos) << missing.err;
  EXPECT_LT(Seconds(Clock::now() - missing_started), plain + 5);
}

INSTANTIATE_TEST_SUITE_P(Clis, EcsWaiterTest, ::testing::ValuesIn(AwsClis()), CliName);

// --- 11. RunTask validation -----------------------------------------------------------

class EcsRunTaskValidationTest : public EcsCliTaskTest {};

TEST_P(EcsRunTaskValidationTest, ExactErrors) {
  const std::string image = "busybox:latest";  // never run
  Register(FargateTd("vpc", json::array({Container("main", image, kIdle)})));
  Register(Ec2Td("plain", "bridge", json::array({Container("main", image, kIdle)})));
  Register(Ec2Td("gone", "bridge", json::array({Container("main", image, kIdle)})));
  Aws({"ecs", "deregister-task-definition", "--task-definition", "gone:1"});
  CreateCluster();
  Aws({"ecs", "create-cluster", "--cluster-name", "deleted-" + id_});
  Aws({"ecs", "delete-cluster", "--cluster", "deleted-" + id_});
  const std::string network =
      R"({"awsvpcConfiguration":{"subnets":["subnet-1"],"securityGroups":["sg-1"]}})";
  const std::vector<std::string> run = {"ecs", "run-task", "--cluster", cluster_};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = run;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };

  AwsFails(with({"--task-definition", "vpc"}), "InvalidParameterException",
           "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  AwsFails(with({"--task-definition", "plain", "--network-configuration", network}),
           "InvalidParameterException",
           "Network Configuration is not valid for the given networkMode of this task definition.");
  AwsFails(with({"--task-definition", "vpc", "--network-configuration",
                 R"({"awsvpcConfiguration":{"subnets":[]}})"}),
           "InvalidParameterException", "subnets can not be empty.");
  AwsFails(with({"--task-definition", "vpc", "--network-configuration", network, "--launch-type",
                 "FARGATE", "--capacity-provider-strategy", "capacityProvider=FARGATE,weight=1"}),
           "InvalidParameterException",
           "Specifying both a launch type and capacity provider strategy is not supported. Remove "
           "one and try again.");
  AwsFails(with({"--task-definition", "plain", "--launch-type", "FARGATE"}),
           "InvalidParameterException", "Task definition does not support launch_type FARGATE.");
  AwsFails(with({"--task-definition", "plain", "--count", "11"}), "InvalidParameterException",
           "count must be between 1 and 10.");
  AwsFails(with({"--task-definition", "gone:1"}), "InvalidParameterException",
           "TaskDefinition is inactive");
  AwsFails(with({"--task-definition", "nope"}), "ClientException", "TaskDefinition not found.");
  AwsFails({"ecs", "run-task", "--cluster", "missing-" + id_, "--task-definition", "plain"},
           "ClusterNotFoundException", "Cluster not found.");
  AwsFails({"ecs", "run-task", "--cluster", "deleted-" + id_, "--task-definition", "plain"},
           "ClusterNotFoundException", "The referenced cluster was inactive.");

  // None of them made a task.
  EXPECT_EQ(Aws({"ecs", "list-tasks", "--cluster", cluster_})["taskArns"], json::array());
  EXPECT_EQ(
      Aws({"ecs", "list-tasks", "--cluster", cluster_, "--desired-status", "STOPPED"})["taskArns"],
      json::array());
  EXPECT_EQ(Cluster()["pendingTasksCount"], 0);
}

INSTANTIATE_TEST_SUITE_P(Clis, EcsRunTaskValidationTest, ::testing::ValuesIn(AwsClis()), CliName);

}  // namespace
}  // namespace berth::testing
