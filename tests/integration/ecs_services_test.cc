// ECS services against the real berth, the real Docker daemon and the real
// AWS CLIs (v1 from pip and Debian's v2): a service of an image pushed to
// Berth becomes stable and serves, replaces a container killed by hand,
// rolls to a new revision, rolls back a deployment whose image does not
// exist, scales to 0 and goes INACTIVE; Berth killed mid-service adopts its
// tasks; two services reach each other by name; a task failing its health
// check is replaced; an EXTERNAL service runs two task sets. See ecs_task_fixture.h for the fixture
// (and its cleanup).

#include <chrono>
#include <functional>
#include <iostream>
#include <signal.h>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>

#include "tests/integration/ecs_task_helpers.h"

namespace berth::testing {
namespace {

// A busybox httpd on port 80 serving /www, which a script may rewrite.
json WebContainer(const std::string& image, const std::string& script = kServe80) {
  json c = Container("web", image, script);
  c["portMappings"] = json::array({{{"containerPort", 80}, {"name", "http"}}});
  return c;
}

const std::vector<std::string> kNetwork = {
    "--network-configuration",
    R"({"awsvpcConfiguration":{"subnets":["subnet-0berth"],"securityGroups":["sg-0berth"]}})"};

class EcsServicesTest : public EcsTaskFixture {
 protected:
  // create-service on this test's cluster (Fargate, awsvpc).
  json CreateService(const std::string& name, const std::string& task_definition, int desired,
                     std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"ecs",
                                     "create-service",
                                     "--cluster",
                                     cluster_,
                                     "--service-name",
                                     name,
                                     "--task-definition",
                                     task_definition,
                                     "--desired-count",
                                     std::to_string(desired),
                                     "--launch-type",
                                     "FARGATE"};
    args.insert(args.end(), kNetwork.begin(), kNetwork.end());
    args.insert(args.end(), extra.begin(), extra.end());
    const json r = Aws(args);
    return r.is_object() ? r["service"] : json();
  }

  json Service(const std::string& name) {
    const json r = Ecs("DescribeServices", {{"cluster", cluster_}, {"services", {name}}});
    return r.is_object() && !r["services"].empty() ? r["services"][0] : json();
  }

  std::vector<std::string> Events(const std::string& name) {
    std::vector<std::string> out;
    const json service = Service(name);
    for (const auto& e : service.value("events", json::array())) out.push_back(e["message"]);
    return out;
  }

  // Polls DescribeServices until `done` (at most `seconds`).
  json WaitService(const std::string& name, const std::function<bool(const json&)>& done,
                   double seconds, const std::string& what) {
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    json s;
    while (Clock::now() < deadline) {
      s = Service(name);
      if (s.is_object() && done(s)) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ADD_FAILURE() << "service " << name << " did not reach " << what << " within " << seconds
                  << " s:\n"
                  << s.dump(2) << "\nberth log:\n"
                  << LogTail();
    return s;
  }
  static bool Stable(const json& s) {
    return s["deployments"].size() == 1 && s["runningCount"] == s["desiredCount"] &&
           s["pendingCount"] == 0;
  }

  // The service's RUNNING tasks, described.
  std::vector<json> RunningTasks(const std::string& name) {
    const json listed = Ecs("ListTasks", {{"cluster", cluster_}, {"serviceName", name}});
    std::vector<json> out;
    for (const auto& arn : listed.value("taskArns", json::array())) {
      const json task = Describe(arn);
      if (task.value("lastStatus", "") == "RUNNING") out.push_back(task);
    }
    return out;
  }

  // The host port a running awsvpc task answers on for container port 80.
  static int PortOf(const json& task) {
    for (const auto& b : ContainerOf(task, "web").value("networkBindings", json::array())) {
      if (b.value("containerPort", 0) == 80) return b.value("hostPort", 0);
    }
    return 0;
  }

  // The Docker containers of this berth that are running.
  size_t RunningContainers(const std::string& instance) {
    return Lines(Docker({"ps", "-q", "--filter", "label=berth.instance=" + instance}).out).size();
  }
};

class EcsServicesCliTest : public EcsServicesTest,
                           public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    cli_ = GetParam();
    if (!ProgramExists(cli_) && !std::filesystem::exists(cli_)) {
      FAIL() << "AWS CLI " << cli_ << " is not installed (./dev install installs it)";
    }
    EcsTaskFixture::SetUp();
  }
};

// --- 1. A service's life with every AWS CLI ------------------------------------------

TEST_P(EcsServicesCliTest, StableServesReplacesRollsAndGoesInactive) {
  const std::string repository = "svc-" + id_;
  const std::string image = PushImage(repository, "<p>revision one</p>\n");
  Register(FargateTd("svc", json::array({WebContainer(image)})));
  CreateCluster();

  // create-service returns at once with one PRIMARY deployment in progress.
  const auto created_at = Clock::now();
  const json created = CreateService("svc", "svc", 2);
  ASSERT_TRUE(created.is_object());
  EXPECT_LT(Seconds(Clock::now() - created_at), 5) << "CreateService must not wait on Docker";
  EXPECT_EQ(created["desiredCount"], 2);
  ASSERT_EQ(created["deployments"].size(), 1u);
  EXPECT_EQ(created["deployments"][0]["rolloutState"], "IN_PROGRESS");

  // aws ecs wait services-stable
  const AwsResult stable =
      RunCli({"ecs", "wait", "services-stable", "--cluster", cluster_, "--services", "svc"});
  ASSERT_EQ(stable.exit_code, 0) << stable.err << "\n" << Service("svc").dump(2) << LogTail();
  auto tasks = RunningTasks("svc");
  ASSERT_EQ(tasks.size(), 2u);
  for (const auto& task : tasks) {
    EXPECT_EQ(task["group"], "service:svc");
    EXPECT_EQ(GetPage(PortOf(task)).body, "<p>revision one</p>\n") << task.dump(2);
  }
  json service = Service("svc");
  EXPECT_EQ(service["deployments"][0]["rolloutState"], "COMPLETED");
  EXPECT_EQ(Cluster()["activeServicesCount"], 1);

  // docker kill of one container: a replacement runs, and the events say so.
  const std::string victim = tasks[0]["taskArn"];
  DockerOk({"kill", ContainerOf(tasks[0], "web")["runtimeId"]});
  const auto killed_at = Clock::now();
  // The service's count and the task listing are two reads: the count can
  // still include the victim (its death not yet observed) while the listing
  // already misses it, so the replacement is what the listing itself shows.
  std::string replacement;
  WaitService(
      "svc",
      [&](const json& s) {
        if (s["runningCount"] != 2) return false;
        const auto running = RunningTasks("svc");
        if (running.size() != 2) return false;
        for (const auto& t : running) {
          if (t["taskArn"] == victim) return false;
          if (t["taskArn"] != tasks[1]["taskArn"]) replacement = TaskId(t["taskArn"]);
        }
        return !replacement.empty();
      },
      30, "a replacement for the killed task");
  std::cout << "replacement RUNNING " << Seconds(Clock::now() - killed_at) << " s after the kill\n";
  EXPECT_EQ(Describe(victim)["stopCode"], "EssentialContainerExited");
  EXPECT_THAT(Events("svc"), ::testing::Contains("(service svc) has started 1 tasks: (task " +
                                                 replacement + ")."));

  // A new revision rolls: one deployment left, every task on it.
  Register(FargateTd(
      "svc", json::array({WebContainer(image, "echo '<p>revision two</p>' > /www/index.html; " +
                                                  std::string(kServe80))})));
  Aws({"ecs", "update-service", "--cluster", cluster_, "--service", "svc", "--task-definition",
       "svc:2"});
  const AwsResult rolled =
      RunCli({"ecs", "wait", "services-stable", "--cluster", cluster_, "--services", "svc"});
  ASSERT_EQ(rolled.exit_code, 0) << rolled.err << Service("svc").dump(2);
  service = Service("svc");
  ASSERT_EQ(service["deployments"].size(), 1u);
  EXPECT_EQ(service["deployments"][0]["taskDefinition"],
            "arn:aws:ecs:us-east-1:000000000000:task-definition/svc:2");
  for (const auto& task : RunningTasks("svc")) {
    EXPECT_EQ(GetPage(PortOf(task)).body, "<p>revision two</p>\n");
  }

  // Scale to 0, delete, wait services-inactive.
  Aws({"ecs", "update-service", "--cluster", cluster_, "--service", "svc", "--desired-count", "0"});
  const json deleted = Aws({"ecs", "delete-service", "--cluster", cluster_, "--service", "svc"});
  EXPECT_EQ(deleted["service"]["status"], "DRAINING");
  const AwsResult inactive =
      RunCli({"ecs", "wait", "services-inactive", "--cluster", cluster_, "--services", "svc"});
  EXPECT_EQ(inactive.exit_code, 0) << inactive.err << Service("svc").dump(2);
  EXPECT_TRUE(RunningTasks("svc").empty());
  EXPECT_EQ(Cluster()["activeServicesCount"], 0);
}

INSTANTIATE_TEST_SUITE_P(Clis, EcsServicesCliTest, ::testing::ValuesIn(AwsClis()), CliName);

// --- 2. The circuit breaker ---------------------------------------------------------

TEST_F(EcsServicesTest, ADeploymentToAMissingImageFailsAndRollsBack) {
  const std::string image = PushImage("breaker-" + id_, "<p>good</p>\n");
  Register(FargateTd("good", json::array({WebContainer(image)})));
  CreateCluster();
  CreateService(
      "svc", "good", 2,
      {"--deployment-configuration", "deploymentCircuitBreaker={enable=true,rollback=true}"});
  WaitService("svc", Stable, 60, "a steady state");
  // The same family, an image tag that does not exist in Berth's registry.
  const std::string missing = image.substr(0, image.rfind(':')) + ":nosuchtag";
  Register(FargateTd("good", json::array({WebContainer(missing)})));
  Aws({"ecs", "update-service", "--cluster", cluster_, "--service", "svc", "--task-definition",
       "good:2"});
  const json s = WaitService(
      "svc",
      [](const json& x) {
        return Stable(x) && x["deployments"][0]["taskDefinition"] ==
                                "arn:aws:ecs:us-east-1:000000000000:task-definition/good:1";
      },
      90, "a rollback to revision 1");
  const auto events = Events("svc");
  EXPECT_THAT(events, ::testing::Contains(
                          ::testing::HasSubstr("deployment failed: tasks failed to start.")));
  EXPECT_THAT(events, ::testing::Contains(::testing::HasSubstr("rolling back to deployment")));
  // (Debian's CLI v2.9 predates this API: the call goes to Berth directly.)
  const json deployments =
      Ecs("ListServiceDeployments", {{"cluster", cluster_}, {"service", "svc"}});
  ASSERT_FALSE(deployments["serviceDeployments"].empty());
  EXPECT_EQ(deployments["serviceDeployments"][0]["status"], "ROLLBACK_SUCCESSFUL");
  // The failed tasks carry the pull error.
  const json stopped = Ecs(
      "ListTasks", {{"cluster", cluster_}, {"serviceName", "svc"}, {"desiredStatus", "STOPPED"}});
  bool pull_error = false;
  for (const auto& arn : stopped["taskArns"]) {
    pull_error = pull_error ||
                 Describe(arn).value("stoppedReason", "").starts_with("CannotPullContainerError");
  }
  EXPECT_TRUE(pull_error);
  for (const auto& task : RunningTasks("svc"))
    EXPECT_EQ(GetPage(PortOf(task)).body, "<p>good</p>\n");
}

// --- 3. Berth killed and restarted mid-service ------------------------------------------

TEST_F(EcsServicesTest, ARestartAdoptsTheServiceTasksAndReplacesOneThatDiedMeanwhile) {
  const std::string image = BuildImage("<p>kept</p>\n");
  Register(FargateTd("kept", json::array({WebContainer(image)})));
  CreateCluster();
  CreateService("svc", "kept", 2);
  WaitService("svc", Stable, 60, "a steady state");
  const auto before = RunningTasks("svc");
  ASSERT_EQ(before.size(), 2u);

  // kill -9 of Berth; one task dies while it is down.
  ASSERT_TRUE(server_->process().Stop(SIGKILL).has_value());
  server_.reset();
  DockerOk({"kill", ContainerOf(before[0], "web")["runtimeId"]});
  StartBerth();

  // The survivor is adopted (same task, same container), the dead one is
  // replaced, and nothing is duplicated.
  WaitService(
      "svc",
      [&](const json& s) {
        return Stable(s) && Describe(before[0]["taskArn"]).value("lastStatus", "") == "STOPPED";
      },
      60, "a replacement after the restart");
  const auto after = RunningTasks("svc");
  ASSERT_EQ(after.size(), 2u);
  bool survivor = false;
  for (const auto& t : after) {
    if (t["taskArn"] == before[1]["taskArn"]) {
      survivor = true;
      EXPECT_EQ(ContainerOf(t, "web")["runtimeId"], ContainerOf(before[1], "web")["runtimeId"]);
    }
  }
  EXPECT_TRUE(survivor) << "the live task was not adopted";
  std::this_thread::sleep_for(std::chrono::seconds(2));
  StopBerth();
  // Two tasks: a pause and an app container each.
  EXPECT_EQ(RunningContainers(InstanceId()), 4u);
  StartBerth();
}

// --- 4. Two services reach each other by name ----------------------------------------------

TEST_F(EcsServicesTest, TwoServicesReachEachOtherByTheServiceName) {
  const std::string image = BuildImage("<p>from api</p>\n");
  Register(FargateTd("api", json::array({WebContainer(image)})));
  // web serves what it fetched from http://api/ (Docker's DNS on the
  // cluster's network answers the service name).
  Register(FargateTd(
      "web", json::array({WebContainer(
                 image, "while true; do wget -q -O /www/index.html http://api/; sleep 1; done & " +
                            std::string(kServe80))})));
  CreateCluster();
  CreateService("api", "api", 1);
  CreateService("web", "web", 1);
  WaitService("api", Stable, 60, "a steady state");
  WaitService("web", Stable, 60, "a steady state");
  const auto web = RunningTasks("web");
  ASSERT_EQ(web.size(), 1u);
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  std::string page;
  while (Clock::now() < deadline && page != "<p>from api</p>\n") {
    page = GetPage(PortOf(web[0])).body;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_EQ(page, "<p>from api</p>\n") << "web could not reach api by name";
}

// --- 5. A task whose health check fails is replaced ---------------------------------------

TEST_F(EcsServicesTest, ATaskFailingItsHealthCheckIsStoppedAndReplaced) {
  const std::string image = BuildImage("<p>sick</p>\n");
  json web = WebContainer(image);
  // The check fails once /www/sick exists, which every container makes
  // after 3 s.
  web["command"] =
      json::array({"sh", "-c", "(sleep 3; touch /www/sick) & " + std::string(kServe80)});
  web["healthCheck"] = {{"command", json::array({"CMD-SHELL", "[ ! -e /www/sick ]"})},
                        {"interval", 5},
                        {"timeout", 2},
                        {"retries", 1}};
  Register(FargateTd("sick", json::array({web})));
  CreateCluster();
  CreateService("svc", "sick", 1);
  WaitService(
      "svc", [](const json& s) { return s["runningCount"] == 1; }, 60, "a running task");
  const auto tasks = RunningTasks("svc");
  ASSERT_EQ(tasks.size(), 1u);
  const std::string sick = tasks[0]["taskArn"];
  // UNHEALTHY within ~10 s; then stopped by the scheduler and replaced.
  const json stopped = WaitTask(
      sick, [](const json& t) { return t.value("desiredStatus", "") == "STOPPED"; }, 60,
      "desiredStatus STOPPED");
  EXPECT_EQ(stopped["stopCode"], "ServiceSchedulerInitiated");
  EXPECT_EQ(stopped["stoppedReason"], "Task failed container health checks");
  WaitService(
      "svc",
      [&](const json& s) {
        const auto now = RunningTasks("svc");
        return s["runningCount"] == 1 && !now.empty() && now[0]["taskArn"] != sick;
      },
      60, "a replacement");
  EXPECT_THAT(Events("svc"), ::testing::Contains("(service svc) (task " + TaskId(sick) +
                                                 ") failed container health checks."));
  EXPECT_THAT(Events("svc"), ::testing::Contains(::testing::HasSubstr(
                                 "Amazon ECS replaced 1 tasks due to an unhealthy status.")));
}

// --- 6. The EXTERNAL controller with two task sets --------------------------------------

TEST_F(EcsServicesTest, AnExternalServiceRunsTwoTaskSets) {
  const std::string image = BuildImage("<p>sets</p>\n");
  Register(FargateTd("sets", json::array({WebContainer(image)})));
  CreateCluster();
  Aws({"ecs", "create-service", "--cluster", cluster_, "--service-name", "ext", "--desired-count",
       "2", "--deployment-controller", "type=EXTERNAL"});
  const auto create_set = [&](const std::string& scale) {
    std::vector<std::string> args = {"ecs",
                                     "create-task-set",
                                     "--cluster",
                                     cluster_,
                                     "--service",
                                     "ext",
                                     "--task-definition",
                                     "sets",
                                     "--launch-type",
                                     "FARGATE",
                                     "--scale",
                                     "value=" + scale + ",unit=PERCENT"};
    args.insert(args.end(), kNetwork.begin(), kNetwork.end());
    return Aws(args)["taskSet"];
  };
  const json blue = create_set("100");
  const json green = create_set("50");
  ASSERT_TRUE(blue.is_object());
  ASSERT_TRUE(green.is_object());
  Aws({"ecs", "update-service-primary-task-set", "--cluster", cluster_, "--service", "ext",
       "--primary-task-set", blue["id"]});
  WaitService(
      "ext", [](const json& s) { return s["runningCount"] == 3 && s["pendingCount"] == 0; }, 60,
      "3 running tasks (2 + 1)");
  const json sets = Aws({"ecs", "describe-task-sets", "--cluster", cluster_, "--service", "ext",
                         "--task-sets", blue["id"], green["id"]})["taskSets"];
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0]["status"], "PRIMARY");
  EXPECT_EQ(sets[0]["runningCount"], 2);
  EXPECT_EQ(sets[1]["runningCount"], 1);
  for (const auto& task : RunningTasks("ext"))
    EXPECT_EQ(GetPage(PortOf(task)).body, "<p>sets</p>\n");
  Aws({"ecs", "delete-task-set", "--cluster", cluster_, "--service", "ext", "--task-set",
       green["id"], "--force"});
  WaitService(
      "ext", [](const json& s) { return s["runningCount"] == 2 && s["taskSets"].size() == 1; }, 60,
      "the green set gone");
  Aws({"ecs", "delete-service", "--cluster", cluster_, "--service", "ext", "--force"});
  WaitService(
      "ext", [](const json& s) { return s["status"] == "INACTIVE"; }, 60, "INACTIVE");
}

}  // namespace
}  // namespace berth::testing
