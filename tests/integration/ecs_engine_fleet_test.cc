// One Berth driving a fleet of real Docker engines (issue 13): two extra
// dockerd processes, each in a network namespace of the test's own and
// reached over a veth pair (tests/support/netns_engine.h), registered as
// container instances through the real AWS CLI with the attribute
// berth.docker-host. Images are pushed to Berth with the docker CLI and
// pulled by each engine from Berth over its veth. The local engine is not
// an instance of these clusters.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/ecs_task_fixture.h"
#include "tests/integration/ecs_task_helpers.h"
#include "tests/support/netns_engine.h"

namespace berth::testing {
namespace {

class EngineFleetTest : public EcsTaskFixture {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      engines_.push_back(std::make_unique<NetnsEngine>(std::vector<std::string>{"10.231.0.0/16"}));
      ASSERT_TRUE(engines_.back()->ready()) << engines_.back()->failure();
    }
    berth_args_ = {"--register-local-instance=false"};
    berth_env_ = {{"BERTH_ENGINE_LOST_SECONDS", "6"}};
    EcsTaskFixture::SetUp();
  }

  void TearDown() override {
    EcsTaskFixture::TearDown();
    engines_.clear();  // each engine goes with everything on it
  }

  // Registers engine `i` in the cluster through the CLI; returns its
  // instance ARN.
  std::string RegisterEngine(size_t i) {
    const json r = Aws({"ecs", "register-container-instance", "--cluster", cluster_, "--attributes",
                        "name=berth.docker-host,value=" + engines_[i]->tcp_endpoint()});
    const std::string arn = r["containerInstance"].value("containerInstanceArn", "");
    instance_of_[arn] = i;
    return arn;
  }

  // A bridge task definition serving `page` on container port 80, published
  // on an ephemeral host port.
  std::string RegisterWeb(const std::string& page) {
    const std::string image = PushImage("web-" + id_, page);
    return Register({{"family", "web-" + id_},
                     {"networkMode", "bridge"},
                     {"containerDefinitions",
                      {{{"name", "web"},
                        {"image", image},
                        {"memory", 32},
                        {"portMappings", {{{"containerPort", 80}, {"hostPort", 0}}}}}}}});
  }

  // ARNs of the cluster's tasks with this desired status.
  std::vector<std::string> TaskArns(const std::string& desired = "RUNNING") {
    const json r = Ecs("ListTasks", {{"cluster", cluster_}, {"desiredStatus", desired}});
    std::vector<std::string> out;
    for (const auto& arn : r.value("taskArns", json::array())) out.push_back(arn);
    return out;
  }

  // How many of the cluster's tasks run on each engine, by engine index,
  // once `total` tasks run (waits up to `seconds`).
  std::map<size_t, int> WaitRunningPerEngine(size_t total, double seconds = 90) {
    const auto deadline = Clock::now() + std::chrono::seconds(static_cast<int>(seconds));
    std::map<size_t, int> per_engine;
    json last;
    while (true) {
      per_engine.clear();
      size_t running = 0;
      const auto arns = TaskArns();
      if (!arns.empty()) {
        last = Ecs("DescribeTasks", {{"cluster", cluster_}, {"tasks", arns}});
        for (const auto& t : last["tasks"]) {
          if (t.value("lastStatus", "") != "RUNNING") continue;
          ++running;
          ++per_engine[instance_of_.at(t.value("containerInstanceArn", ""))];
        }
      }
      if (running == total && arns.size() == total) return per_engine;
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    ADD_FAILURE() << "not " << total << " tasks RUNNING within " << seconds << " s: " << last.dump()
                  << "\nberth log:\n"
                  << LogTail();
    return per_engine;
  }

  // Ids of Berth's running containers on engine `i`.
  std::set<std::string> RunningOn(size_t i) {
    std::set<std::string> out;
    for (const auto& id : Lines(engines_[i]
                                    ->Docker({"ps", "-q", "--no-trunc", "--filter",
                                              "label=com.amazonaws.ecs.cluster=" + cluster_})
                                    .out)) {
      out.insert(id);
    }
    return out;
  }

  void CreateService(const std::string& name, const std::string& td, int count) {
    Aws({"ecs", "create-service", "--cluster", cluster_, "--service-name", name,
         "--task-definition", td, "--desired-count", std::to_string(count)});
  }

  std::vector<std::unique_ptr<NetnsEngine>> engines_;
  std::map<std::string, size_t> instance_of_;  // instance ARN -> engine index
};

TEST_F(EngineFleetTest, AServiceSpreadsDrainsAndSurvivesARestartAcrossTwoEngines) {
  CreateCluster();
  const std::string a = RegisterEngine(0);
  const std::string b = RegisterEngine(1);
  // Each instance reports its engine's real resources and where it is.
  const json described = Aws({"ecs", "describe-container-instances", "--cluster", cluster_,
                              "--container-instances", a, b});
  ASSERT_EQ(described["containerInstances"].size(), 2u);
  for (const auto& instance : described["containerInstances"]) {
    EXPECT_EQ(instance["agentConnected"], true);
    EXPECT_GE(instance["registeredResources"][0]["integerValue"].get<int64_t>(), 1024);
  }
  const std::string td = RegisterWeb("fleet page " + id_);

  // A service of 6 spreads 3 and 3.
  CreateService("web", td, 6);
  auto per_engine = WaitRunningPerEngine(6);
  EXPECT_EQ(per_engine[0], 3);
  EXPECT_EQ(per_engine[1], 3);
  EXPECT_EQ(RunningOn(0).size(), 3u);
  EXPECT_EQ(RunningOn(1).size(), 3u);
  EXPECT_TRUE(ContainersWith("com.amazonaws.ecs.cluster=" + cluster_).empty())
      << "nothing of this cluster runs on the local engine";

  // A task on the second engine answers on its published port through the
  // veth address, which networkBindings reports.
  bool answered = false;
  for (const auto& arn : TaskArns()) {
    const json task = Describe(arn);
    if (task.value("containerInstanceArn", "") != b) continue;
    const json binding = ContainerOf(task, "web")["networkBindings"][0];
    EXPECT_EQ(binding["bindIP"], engines_[1]->engine_address());
    const HttpReply page = Curl("http://" + engines_[1]->engine_address() + ":" +
                                    std::to_string(binding["hostPort"].get<int>()) + "/",
                                {"--max-time", "5"});
    EXPECT_EQ(page.body, "fleet page " + id_);
    answered = true;
    break;
  }
  EXPECT_TRUE(answered);

  // An awsvpc task there gets the task endpoints as on the local engine:
  // its pause program makes 169.254.170.2 local to its namespace (so nothing
  // sent there reaches the engine host's own) and relays it to a listener
  // Berth opened for this task alone where the engine reaches Berth.
  std::string b_ec2;
  for (const auto& instance : described["containerInstances"]) {
    if (instance["containerInstanceArn"] == b) b_ec2 = instance["ec2InstanceId"];
  }
  const std::string awsvpc = Register(
      {{"family", "net-" + id_},
       {"networkMode", "awsvpc"},
       {"containerDefinitions",
        {{{"name", "app"}, {"image", host() + "/web-" + id_ + ":latest"}, {"memory", 32}}}}});
  const std::string role = "arn:aws:iam::000000000000:role/fleet-" + id_;
  const json net =
      Aws({"ecs", "run-task", "--cluster", cluster_, "--task-definition", awsvpc,
           "--placement-constraints", "type=memberOf,expression=ec2InstanceId == " + b_ec2,
           "--overrides", json{{"taskRoleArn", role}}.dump(), "--network-configuration",
           "awsvpcConfiguration={subnets=[subnet-0berth]}"});
  ASSERT_EQ(net["tasks"].size(), 1u) << net.dump();
  const std::string net_arn = net["tasks"][0]["taskArn"];
  const json running = WaitStatus(net_arn, "RUNNING", 60);
  ASSERT_EQ(running["containerInstanceArn"], b);
  const std::string app = ContainerOf(running, "app").value("runtimeId", "");
  const CommandResult route =
      engines_[1]->Docker({"exec", app, "sh", "-c", "ip route get 169.254.170.2"});
  EXPECT_EQ(route.exit_code, 0) << route.err;
  EXPECT_EQ(route.out.rfind("local 169.254.170.2", 0), 0u) << route.out;
  // (Each request is sent only after the route check above.)
  const auto from_task = [&](const std::string& url) {
    const CommandResult got =
        engines_[1]->Docker({"exec", app, "sh", "-c", "busybox wget -q -O- \"" + url + "\""});
    EXPECT_EQ(got.exit_code, 0) << url << ": " << got.err << "\nberth log:\n" << LogTail();
    return got.exit_code == 0 ? json::parse(got.out, nullptr, false) : json();
  };
  EXPECT_EQ(from_task("$ECS_CONTAINER_METADATA_URI_V4/task").value("TaskARN", ""), net_arn);
  EXPECT_EQ(from_task("$ECS_CONTAINER_METADATA_URI_V4").value("Name", ""), "app");
  const json credentials = from_task("http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  EXPECT_EQ(credentials.value("RoleArn", ""), role) << credentials.dump();
  EXPECT_FALSE(credentials.value("AccessKeyId", "").empty()) << credentials.dump();

  // memberOf keeps tasks on the tagged engine; binpack then fills the
  // fuller engine first.
  Aws({"ecs", "put-attributes", "--cluster", cluster_, "--attributes",
       "name=team,value=blue,targetType=container-instance,targetId=" + a});
  const json tagged =
      Aws({"ecs", "run-task", "--cluster", cluster_, "--task-definition", td, "--count", "2",
           "--placement-constraints", "type=memberOf,expression=attribute:team == blue"});
  ASSERT_EQ(tagged["tasks"].size(), 2u) << tagged.dump();
  for (const auto& t : tagged["tasks"]) EXPECT_EQ(t["containerInstanceArn"], a);
  const json packed = Aws({"ecs", "run-task", "--cluster", cluster_, "--task-definition", td,
                           "--count", "2", "--placement-strategy", "type=binpack,field=memory"});
  ASSERT_EQ(packed["tasks"].size(), 2u) << packed.dump();
  for (const auto& t : packed["tasks"]) EXPECT_EQ(t["containerInstanceArn"], a);
  per_engine = WaitRunningPerEngine(11);
  EXPECT_EQ(per_engine[0], 7);
  EXPECT_EQ(per_engine[1], 4);  // three of the service's, and the awsvpc task

  // Berth restarted with tasks on both engines adopts every container: the
  // same ones run, and nothing is started twice.
  const std::set<std::string> before_a = RunningOn(0);
  const std::set<std::string> before_b = RunningOn(1);
  // (On the same port: the task definition names Berth's registry by it.)
  berth_args_.push_back("--listen=127.0.0.1:" + std::to_string(server_->port()));
  StopBerth();
  StartBerth();
  per_engine = WaitRunningPerEngine(11);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // a few passes after adoption
  EXPECT_EQ(RunningOn(0), before_a);
  EXPECT_EQ(RunningOn(1), before_b);
  // The awsvpc task's listener is open again, on the port its relay knows.
  EXPECT_EQ(from_task("$ECS_CONTAINER_METADATA_URI_V4/task").value("TaskARN", ""), net_arn);
  Aws({"ecs", "stop-task", "--cluster", cluster_, "--task", net_arn});
  WaitStatus(net_arn, "STOPPED", 60);

  // DRAINING the second engine moves its service tasks to the first.
  Aws({"ecs", "update-container-instances-state", "--cluster", cluster_, "--container-instances", b,
       "--status", "DRAINING"});
  const auto deadline = Clock::now() + std::chrono::seconds(90);
  while (!RunningOn(1).empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_TRUE(RunningOn(1).empty())
      << Aws({"ecs", "describe-services", "--cluster", cluster_, "--services", "web"}).dump()
      << "\nberth log:\n"
      << LogTail();
  per_engine = WaitRunningPerEngine(10);
  EXPECT_EQ(per_engine[0], 10);
}

TEST_F(EngineFleetTest, AFargateServiceSpreadsOverTheEnginesAndItsTasksReadTheirEndpoints) {
  CreateCluster();
  RegisterEngine(0);
  RegisterEngine(1);
  const std::string image = PushImage("fg-" + id_, "fargate page " + id_);
  const std::string td = Register(
      {{"family", "fg-" + id_},
       {"networkMode", "awsvpc"},
       {"requiresCompatibilities", {"FARGATE"}},
       {"cpu", "256"},
       {"memory", "512"},
       {"containerDefinitions",
        {{{"name", "app"}, {"image", image}, {"portMappings", {{{"containerPort", 80}}}}}}}});
  Aws({"ecs", "create-service", "--cluster", cluster_, "--service-name", "fg", "--task-definition",
       td, "--desired-count", "2", "--launch-type", "FARGATE", "--network-configuration",
       "awsvpcConfiguration={subnets=[subnet-0berth]}"});
  const AwsResult stable =
      RunCli({"ecs", "wait", "services-stable", "--cluster", cluster_, "--services", "fg"});
  ASSERT_EQ(stable.exit_code, 0) << stable.err << LogTail();

  // The two engines are alike (one machine): the first task goes on the
  // first registered, the second where more is then free, the other.
  std::set<size_t> engines_used;
  const json listed = Aws({"ecs", "list-tasks", "--cluster", cluster_, "--service-name", "fg"});
  ASSERT_EQ(listed["taskArns"].size(), 2u) << listed.dump();
  for (const auto& arn : listed["taskArns"]) {
    const json task = Describe(arn);
    EXPECT_EQ(task["launchType"], "FARGATE");
    EXPECT_FALSE(task.contains("containerInstanceArn")) << task.dump();
    const std::string app = ContainerOf(task, "app").value("runtimeId", "");
    size_t engine = engines_.size();
    for (size_t i = 0; i < engines_.size(); ++i) {
      if (engines_[i]->Docker({"inspect", "--format", "{{.State.Running}}", app}).out == "true\n") {
        engine = i;
      }
    }
    ASSERT_LT(engine, engines_.size()) << "the task's container runs on neither engine";
    engines_used.insert(engine);
    // Its endpoints answer from inside it, on that engine.
    const CommandResult route =
        engines_[engine]->Docker({"exec", app, "sh", "-c", "ip route get 169.254.170.2"});
    ASSERT_EQ(route.out.rfind("local 169.254.170.2", 0), 0u) << route.out << route.err;
    const CommandResult metadata = engines_[engine]->Docker(
        {"exec", app, "sh", "-c", "busybox wget -q -O- \"$ECS_CONTAINER_METADATA_URI_V4/task\""});
    ASSERT_EQ(metadata.exit_code, 0) << metadata.err << LogTail();
    const json parsed = json::parse(metadata.out, nullptr, false);
    EXPECT_EQ(parsed.value("TaskARN", ""), arn.get<std::string>());
    EXPECT_EQ(parsed.value("LaunchType", ""), "FARGATE");
  }
  EXPECT_EQ(engines_used, (std::set<size_t>{0, 1}));
  EXPECT_TRUE(ContainersWith("com.amazonaws.ecs.cluster=" + cluster_).empty())
      << "nothing of this cluster runs on the local engine";
  Aws({"ecs", "delete-service", "--cluster", cluster_, "--service", "fg", "--force"});
}

TEST_F(EngineFleetTest, AKilledEngineHandsItsTasksToTheOtherAndIsReconciledWhenBack) {
  CreateCluster();
  const std::string a = RegisterEngine(0);
  RegisterEngine(1);
  const std::string td = RegisterWeb("survivor " + id_);
  CreateService("web", td, 4);
  auto per_engine = WaitRunningPerEngine(4);
  ASSERT_EQ(per_engine[0], 2);
  ASSERT_EQ(per_engine[1], 2);

  // kill -9 of the first engine's dockerd: its instance disconnects, its
  // tasks stop with the reason, and the service runs its 4 on the second.
  engines_[0]->KillDaemon();
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  std::vector<std::string> stopped;
  while (Clock::now() < deadline) {
    stopped = TaskArns("STOPPED");
    if (stopped.size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_GE(stopped.size(), 2u) << LogTail();
  const json lost = Describe(stopped[0]);
  EXPECT_EQ(lost["stopCode"], "TerminationNotice");
  EXPECT_NE(lost.value("stoppedReason", "")
                .find("is unreachable: its Docker engine at " + engines_[0]->tcp_endpoint()),
            std::string::npos)
      << lost.dump();
  const json instance = Aws({"ecs", "describe-container-instances", "--cluster", cluster_,
                             "--container-instances", a})["containerInstances"][0];
  EXPECT_EQ(instance["agentConnected"], false);
  per_engine = WaitRunningPerEngine(4);
  EXPECT_EQ(per_engine[1], 4);

  // The engine comes back: connected again, and none of the replaced tasks'
  // containers runs there.
  ASSERT_TRUE(engines_[0]->Restart()) << engines_[0]->failure();
  const auto back = Clock::now() + std::chrono::seconds(60);
  json again;
  while (Clock::now() < back) {
    again = Aws({"ecs", "describe-container-instances", "--cluster", cluster_,
                 "--container-instances", a})["containerInstances"][0];
    if (again["agentConnected"] == true && RunningOn(0).empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(again["agentConnected"], true);
  EXPECT_TRUE(RunningOn(0).empty());
  EXPECT_EQ(WaitRunningPerEngine(4)[1], 4);
}

// An engine reached over tcp:// with Docker's client TLS (--tlsverify on the
// engine; DOCKER_TLS_VERIFY and DOCKER_CERT_PATH in Berth's environment, as
// for the docker CLI).
class EngineTlsTest : public EngineFleetTest {
 protected:
  void SetUp() override {
    engines_.push_back(
        std::make_unique<NetnsEngine>(std::vector<std::string>{"10.231.0.0/16"}, /*tls=*/true));
    ASSERT_TRUE(engines_.back()->ready()) << engines_.back()->failure();
    berth_args_ = {"--register-local-instance=false"};
    berth_env_ = {{"DOCKER_TLS_VERIFY", "1"},
                  {"DOCKER_CERT_PATH", engines_.back()->client_cert_path()}};
    EcsTaskFixture::SetUp();
  }
};

TEST_F(EngineTlsTest, AnEngineBehindTlsRunsTasksServesTheirPortsAndTheirAwslogs) {
  // The engine takes no plain HTTP: only a client with its CA's certificate.
  EXPECT_NE(
      Curl("http://" + engines_[0]->engine_address() + ":2376/_ping", {"--max-time", "3"}).status,
      200);
  CreateCluster();
  const std::string arn = RegisterEngine(0);
  ASSERT_FALSE(arn.empty()) << LogTail();
  const json instance = Aws({"ecs", "describe-container-instances", "--cluster", cluster_,
                             "--container-instances", arn})["containerInstances"][0];
  EXPECT_EQ(instance["agentConnected"], true);
  EXPECT_GE(instance["registeredResources"][0]["integerValue"].get<int64_t>(), 1024);

  const std::string td = RegisterWeb("tls page " + id_);
  const std::string task_arn =
      Aws({"ecs", "run-task", "--cluster", cluster_, "--task-definition", td})["tasks"][0].value(
          "taskArn", "");
  const json task = WaitStatus(task_arn, "RUNNING");
  EXPECT_EQ(task["containerInstanceArn"], arn);
  EXPECT_EQ(RunningOn(0).size(), 1u);
  const json binding = ContainerOf(task, "web")["networkBindings"][0];
  EXPECT_EQ(binding["bindIP"], engines_[0]->engine_address());
  EXPECT_EQ(Curl("http://" + engines_[0]->engine_address() + ":" +
                     std::to_string(binding["hostPort"].get<int>()) + "/",
                 {"--max-time", "5"})
                .body,
            "tls page " + id_);
  Aws({"ecs", "stop-task", "--cluster", cluster_, "--task", task_arn});
  WaitStatus(task_arn, "STOPPED");

  // awslogs: a container's output there is read from that engine into
  // Berth's CloudWatch Logs.
  const std::string group = "/berth/tls-" + id_;
  Aws({"logs", "create-log-group", "--log-group-name", group});
  json logger = Container("logger", host() + "/web-" + id_ + ":latest",
                          "echo hello from the tls engine; echo and goodbye");
  logger["logConfiguration"] = {{"logDriver", "awslogs"},
                                {"options",
                                 {{"awslogs-group", group},
                                  {"awslogs-region", "us-east-1"},
                                  {"awslogs-stream-prefix", "tls"}}}};
  const std::string logger_td = Register(Ec2Td("logger-" + id_, "bridge", json::array({logger})));
  const std::string logger_arn =
      Aws({"ecs", "run-task", "--cluster", cluster_, "--task-definition", logger_td})["tasks"][0]
          .value("taskArn", "");
  const json stopped = WaitStatus(logger_arn, "STOPPED");
  EXPECT_EQ(ContainerOf(stopped, "logger").value("exitCode", -1), 0) << stopped.dump();
  EXPECT_EQ(stopped.dump().find("not honoured"), std::string::npos) << stopped.dump();
  const json events = Aws({"logs", "get-log-events", "--log-group-name", group, "--log-stream-name",
                           "tls/logger/" + TaskId(logger_arn), "--start-from-head"})["events"];
  ASSERT_EQ(events.size(), 2u) << events.dump() << LogTail();
  EXPECT_EQ(events[0]["message"], "hello from the tls engine");
  EXPECT_EQ(events[1]["message"], "and goodbye");
}

// Two engines behind --tlsverify, each with a CA of its own: Berth has no
// TLS setting of its own, and each instance names its engine's client files
// (berth.docker-cert-path).
class EngineOwnTlsTest : public EngineFleetTest {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      engines_.push_back(
          std::make_unique<NetnsEngine>(std::vector<std::string>{"10.231.0.0/16"}, /*tls=*/true));
      ASSERT_TRUE(engines_.back()->ready()) << engines_.back()->failure();
    }
    berth_args_ = {"--register-local-instance=false"};
    EcsTaskFixture::SetUp();
  }

  std::string RegisterWithOwnFiles(size_t i) {
    const json r = Aws({"ecs", "register-container-instance", "--cluster", cluster_, "--attributes",
                        "name=berth.docker-host,value=" + engines_[i]->tcp_endpoint(),
                        "name=berth.docker-cert-path,value=" + engines_[i]->client_cert_path()});
    const std::string arn = r["containerInstance"].value("containerInstanceArn", "");
    instance_of_[arn] = i;
    return arn;
  }
};

TEST_F(EngineOwnTlsTest, EachEngineIsReachedWithTheFilesItsInstanceNames) {
  CreateCluster();
  // Without its files, an engine behind TLS is refused, saying why.
  const AwsResult refused =
      RunCli({"ecs", "register-container-instance", "--cluster", cluster_, "--attributes",
              "name=berth.docker-host,value=" + engines_[0]->tcp_endpoint()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("Cannot reach the Docker engine at " + engines_[0]->tcp_endpoint()),
            std::string::npos)
      << refused.err;
  // With the other engine's files (another CA), too.
  const AwsResult wrong =
      RunCli({"ecs", "register-container-instance", "--cluster", cluster_, "--attributes",
              "name=berth.docker-host,value=" + engines_[0]->tcp_endpoint(),
              "name=berth.docker-cert-path,value=" + engines_[1]->client_cert_path()});
  EXPECT_NE(wrong.exit_code, 0) << wrong.out;

  const std::string a = RegisterWithOwnFiles(0);
  const std::string b = RegisterWithOwnFiles(1);
  ASSERT_FALSE(a.empty()) << LogTail();
  ASSERT_FALSE(b.empty()) << LogTail();
  const std::string td = RegisterWeb("own tls page " + id_);
  Aws({"ecs", "run-task", "--cluster", cluster_, "--task-definition", td, "--count", "2",
       "--placement-strategy", "type=spread,field=instanceId"});
  const auto per_engine = WaitRunningPerEngine(2);
  EXPECT_EQ(per_engine.at(0), 1);
  EXPECT_EQ(per_engine.at(1), 1);
  for (const auto& arn : TaskArns()) {
    const json task = Describe(arn);
    const size_t i = instance_of_.at(task.value("containerInstanceArn", ""));
    const json binding = ContainerOf(task, "web")["networkBindings"][0];
    EXPECT_EQ(Curl("http://" + engines_[i]->engine_address() + ":" +
                       std::to_string(binding["hostPort"].get<int>()) + "/",
                   {"--max-time", "5"})
                  .body,
              "own tls page " + id_);
    Aws({"ecs", "stop-task", "--cluster", cluster_, "--task", arn});
    WaitStatus(arn, "STOPPED");
  }
  EXPECT_TRUE(RunningOn(0).empty());
  EXPECT_TRUE(RunningOn(1).empty());
}

}  // namespace
}  // namespace berth::testing
