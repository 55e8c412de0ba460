// ECS daemons, Express gateway services and ECS Exec against the real berth,
// the real Docker daemon and the real AWS CLI v1 (pip; Debian's v2.9 does
// not know the daemon and Express commands): a daemon runs one real
// container per container instance and replaces one killed by hand; an
// Express service's endpoint answers over HTTP, before and after an update;
// `aws ecs execute-command` runs a command in the container through
// tools/session-manager-plugin when the task has enableExecuteCommand (whose
// containers show the ExecuteCommandAgent managed agent), and
// fails with ECS's error when it does not. See ecs_task_fixture.h for the
// fixture (and its cleanup).

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>

#include "tests/integration/ecs_task_helpers.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

// The daemon operations the CLI test above does not drive, through boto3:
// argv = endpoint, cluster, daemon ARN, container definitions (revision 2).
constexpr const char* kDaemonScript = R"PY(
import json, sys, time, boto3
from botocore.exceptions import ClientError
endpoint, cluster, daemon, containers = sys.argv[1:5]
c = boto3.client("ecs", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="a", aws_secret_access_key="b")
def wait(probe, seconds=40):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = probe()
        if value is not None:
            return value
        time.sleep(0.2)
    raise SystemExit("timed out: " + probe.__name__)
out = {}
td = c.register_daemon_task_definition(family="agent",
                                       containerDefinitions=json.loads(containers))
arn = td["daemonTaskDefinitionArn"]
provider = "arn:aws:ecs:us-east-1:000000000000:capacity-provider/managed"
dep = c.update_daemon(daemonArn=daemon, daemonTaskDefinitionArn=arn,
                      capacityProviderArns=[provider])["deploymentArn"]
def updated():
    d = c.describe_daemon_deployments(daemonDeploymentArns=[dep])["daemonDeployments"][0]
    return d if d["status"] == "SUCCESSFUL" else None
out["updatedDeployment"] = json.loads(json.dumps(wait(updated), default=str))
tasks = c.list_tasks(cluster=cluster)["taskArns"]
described = c.describe_tasks(cluster=cluster, tasks=tasks)["tasks"] if tasks else []
out["tasksAfterUpdate"] = [{"taskDefinitionArn": t["taskDefinitionArn"],
                            "containers": [{"runtimeId": x.get("runtimeId", "")} for x in t["containers"]]}
                           for t in described if t.get("group") == "daemon:agent"
                           and t["lastStatus"] == "RUNNING"]
out["listedDaemons"] = [d["daemonArn"] for d in c.list_daemons(clusterArn=cluster)["daemonSummariesList"]]
out["listedDeployments"] = [d["daemonDeploymentArn"]
                            for d in c.list_daemon_deployments(daemonArn=daemon)["daemonDeployments"]]
target = out["updatedDeployment"]["targetDaemonRevision"]["arn"]
out["revision"] = json.loads(json.dumps(
    c.describe_daemon_revisions(daemonRevisionArns=[target])["daemonRevisions"][0], default=str))
out["latestDefinition"] = {"revision": c.describe_daemon_task_definition(
    daemonTaskDefinition="agent")["daemonTaskDefinition"]["revision"]}
c.delete_daemon_task_definition(daemonTaskDefinition="agent:1")
def deleted_definition():
    d = c.describe_daemon_task_definition(daemonTaskDefinition="agent:1")["daemonTaskDefinition"]
    return {"status": d["status"]} if d["status"] == "DELETED" else None
out["deletedDefinition"] = wait(deleted_definition)
out["activeDefinitions"] = [d["arn"] for d in c.list_daemon_task_definitions(
    familyPrefix="agent")["daemonTaskDefinitions"]]
out["deleteStatus"] = c.delete_daemon(daemonArn=daemon)["status"]
def gone():
    try:
        c.describe_daemon(daemonArn=daemon)
        return None
    except ClientError as e:
        return str(e)
out["describeAfterDelete"] = wait(gone)
print(json.dumps(out))
)PY";

class EcsDaemonsTest : public EcsTaskFixture {
 protected:
  void SetUp() override {
    // The CLI that knows these commands: pip's v1 (the last AwsClis() lists).
    const auto clis = AwsClis();
    ASSERT_FALSE(clis.empty()) << "no AWS CLI installed (./dev install installs it)";
    cli_ = clis.back();
    const CommandResult help =
        RunCommand({cli_, "ecs", "create-daemon", "help"}, {{"PAGER", "cat"}});
    ASSERT_EQ(help.exit_code, 0) << cli_ << " does not know `ecs create-daemon`: " << help.err;
    EcsTaskFixture::SetUp();
    Ecs("CreateCluster", {{"clusterName", cluster_}});
    // Daemons, Express tasks (bridge mode) and EC2 tasks need a container
    // instance: Berth's clusters have one once it registers (before that
    // rework: one per cluster).
    if (Instances().empty()) Ecs("RegisterContainerInstance", {{"cluster", cluster_}});
  }

  // Polls `probe` every 200 ms until it returns true (at most `seconds`).
  bool WaitFor(const std::function<bool()>& probe, double seconds) {
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (Clock::now() < deadline) {
      if (probe()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  std::vector<std::string> Instances() {
    const json r = Ecs("ListContainerInstances", {{"cluster", cluster_}});
    std::vector<std::string> out;
    for (const auto& arn : r.value("containerInstanceArns", json::array())) out.push_back(arn);
    return out;
  }

  // The daemon's tasks that run, described.
  std::vector<json> RunningDaemonTasks() {
    const json listed = Ecs("ListTasks", {{"cluster", cluster_}});
    std::vector<json> out;
    for (const auto& arn : listed.value("taskArns", json::array())) {
      const json task = Describe(arn);
      if (task.value("group", "") == "daemon:agent" && task.value("lastStatus", "") == "RUNNING") {
        out.push_back(task);
      }
    }
    return out;
  }

  // Whether the task's container runs in Docker.
  bool ContainerRuns(const json& task) {
    const std::string id = ContainerOf(task, "agent").value("runtimeId", "");
    return !id.empty() && Trim(Docker({"inspect", "-f", "{{.State.Running}}", id}).out) == "true";
  }
};

TEST_F(EcsDaemonsTest, ADaemonRunsOneContainerPerInstanceAndReplacesAKilledOne) {
  const size_t instances = Instances().size();
  ASSERT_GE(instances, 1u);
  const std::string image = BuildImage("daemon");
  const json containers = json::array({{{"name", "agent"},
                                        {"image", image},
                                        {"memory", 64},
                                        {"stopTimeout", 2},
                                        {"command", {"sh", "-c", kIdle}}}});
  const json registered = Aws({"ecs", "register-daemon-task-definition", "--family", "agent",
                               "--container-definitions", containers.dump()});
  const std::string definition = registered.value("daemonTaskDefinitionArn", "");
  EXPECT_THAT(definition, HasSubstr(":daemon-task-definition/agent:1"));
  const json created =
      Aws({"ecs", "create-daemon", "--daemon-name", "agent", "--cluster-arn", cluster_,
           "--daemon-task-definition-arn", definition, "--capacity-provider-arns",
           "arn:aws:ecs:us-east-1:000000000000:capacity-provider/managed"});
  const std::string daemon_arn = created.value("daemonArn", "");
  EXPECT_EQ(created.value("status", ""), "ACTIVE");

  // One running container per instance.
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto tasks = RunningDaemonTasks();
        return tasks.size() == instances &&
               std::all_of(tasks.begin(), tasks.end(),
                           [&](const json& t) { return ContainerRuns(t); });
      },
      30))
      << "the daemon's tasks did not run\n"
      << LogTail();
  const json first = RunningDaemonTasks().at(0);
  EXPECT_TRUE(WaitFor(
      [&] {
        const json d = Ecs("DescribeDaemonDeployments",
                           {{"daemonDeploymentArns", {created.value("deploymentArn", "")}}});
        return d["daemonDeployments"][0].value("status", "") == "SUCCESSFUL";
      },
      15));
  const json described = Aws({"ecs", "describe-daemon", "--daemon-arn", daemon_arn});
  EXPECT_EQ(described["daemon"]["currentRevisions"][0].value("totalRunningCount", -1),
            static_cast<int>(instances));

  // Killing the container brings a replacement.
  DockerOk({"kill", ContainerOf(first, "agent").value("runtimeId", "")});
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto tasks = RunningDaemonTasks();
        return tasks.size() == instances &&
               std::none_of(tasks.begin(), tasks.end(),
                            [&](const json& t) { return t["taskArn"] == first["taskArn"]; }) &&
               std::all_of(tasks.begin(), tasks.end(),
                           [&](const json& t) { return ContainerRuns(t); });
      },
      30))
      << "the killed daemon task was not replaced\n"
      << LogTail();
  EXPECT_EQ(Describe(first["taskArn"]).value("lastStatus", ""), "STOPPED");

  // boto3 (one process) for the rest: an update rolls out revision 2, the
  // listings and revisions show it, revision 1 is deleted once unused, and
  // deleting the daemon stops its containers and forgets it.
  const json containers2 = json::array({{{"name", "agent"},
                                         {"image", image},
                                         {"memory", 64},
                                         {"stopTimeout", 2},
                                         {"environment", {{{"name", "V"}, {"value", "2"}}}},
                                         {"command", {"sh", "-c", kIdle}}}});
  const CommandResult r = RunCommand({"python3", "-c", kDaemonScript, server_->endpoint(), cluster_,
                                      daemon_arn, containers2.dump()},
                                     {}, "", 120);
  ASSERT_EQ(r.exit_code, 0) << r.err << LogTail();
  const json out = json::parse(r.out);
  EXPECT_EQ(out["updatedDeployment"]["status"], "SUCCESSFUL") << out.dump(2);
  EXPECT_EQ(out["updatedDeployment"]["sourceDaemonRevisions"].size(), 1u);
  ASSERT_EQ(out["tasksAfterUpdate"].size(), instances) << out.dump(2);
  std::vector<std::string> runtime_ids;
  for (const auto& t : out["tasksAfterUpdate"]) {
    EXPECT_THAT(t["taskDefinitionArn"].get<std::string>(),
                HasSubstr(":daemon-task-definition/agent:2"));
    runtime_ids.push_back(t["containers"][0]["runtimeId"]);
  }
  EXPECT_EQ(out["listedDaemons"], json::array({daemon_arn}));
  EXPECT_EQ(out["listedDeployments"].size(), 2u);
  EXPECT_EQ(out["revision"]["daemonArn"], daemon_arn);
  EXPECT_EQ(out["latestDefinition"]["revision"], 2);
  EXPECT_EQ(out["deletedDefinition"]["status"], "DELETED");
  EXPECT_EQ(out["activeDefinitions"].size(), 1u);
  EXPECT_EQ(out["deleteStatus"], "DELETE_IN_PROGRESS");
  EXPECT_THAT(out["describeAfterDelete"].get<std::string>(), HasSubstr("DaemonNotFoundException"));
  // Its containers are gone.
  for (const auto& id : runtime_ids) {
    EXPECT_NE(Trim(Docker({"inspect", "-f", "{{.State.Running}}", id}).out), "true");
  }
}

TEST_F(EcsDaemonsTest, AnExpressServiceAnswersOnItsLocalEndpoint) {
  const std::string v1 = BuildImage("express one");
  const json created =
      Aws({"ecs", "create-express-gateway-service", "--cluster", cluster_, "--service-name", "web",
           "--execution-role-arn", "arn:aws:iam::000000000000:role/exec",
           "--infrastructure-role-arn", "arn:aws:iam::000000000000:role/infra",
           "--primary-container", json({{"image", v1}, {"containerPort", 80}}).dump()});
  const json service = created["service"];
  EXPECT_EQ(service["status"].value("statusCode", ""), "ACTIVE") << created.dump(2);
  const std::string endpoint =
      service["activeConfigurations"][0]["ingressPaths"][0].value("endpoint", "");
  ASSERT_THAT(endpoint, ::testing::StartsWith("http://127.0.0.1:"));
  const int port = std::atoi(endpoint.substr(17).c_str());
  HttpReply page = GetPage(port, 30);
  EXPECT_EQ(page.status, 200) << LogTail();
  EXPECT_EQ(page.body, "express one");
  // A real ECS service underneath, with a service deployment.
  const std::string arn = service.value("serviceArn", "");
  const json described = Aws({"ecs", "describe-express-gateway-service", "--service-arn", arn});
  const std::string deployment = described["service"].value("currentDeployment", "");
  EXPECT_THAT(deployment, HasSubstr(":service-deployment/" + cluster_ + "/web/"));
  const json deployments =
      Ecs("DescribeServiceDeployments", {{"serviceDeploymentArns", {deployment}}});
  EXPECT_EQ(deployments["serviceDeployments"].size(), 1u) << deployments.dump();

  // An update rolls out a new revision on the same endpoint.
  const std::string v2 = BuildImage("express two");
  const json updated =
      Aws({"ecs", "update-express-gateway-service", "--service-arn", arn, "--primary-container",
           json({{"image", v2}, {"containerPort", 80}}).dump()});
  EXPECT_EQ(updated["service"]["targetConfiguration"]["ingressPaths"][0].value("endpoint", ""),
            endpoint);
  EXPECT_TRUE(WaitFor(
      [&] {
        const HttpReply r = Curl(endpoint, {"--max-time", "2"});
        return r.status == 200 && r.body == "express two";
      },
      40))
      << LogTail();

  const json deleted = Aws({"ecs", "delete-express-gateway-service", "--service-arn", arn});
  EXPECT_EQ(deleted["service"]["status"].value("statusCode", ""), "DRAINING");
  EXPECT_TRUE(WaitFor(
      [&] {
        const json d = Ecs("DescribeExpressGatewayService", {{"serviceArn", arn}});
        return d["service"]["status"].value("statusCode", "") == "INACTIVE";
      },
      30))
      << LogTail();
  // INACTIVE comes once every task is STOPPING or STOPPED (as in ECS): the
  // container may still be on its way out, so the endpoint closes soon after.
  EXPECT_TRUE(WaitFor(
      [&] {
        return Curl(endpoint, {"--max-time", "2"}).status != 200;
      },
      30))
      << LogTail();
}

TEST_F(EcsDaemonsTest, ExecuteCommandRunsInTheContainerOnlyWhenEnabled) {
  const std::string image = BuildImage("exec page");
  Ecs("RegisterTaskDefinition",
      Ec2Td("exec", "bridge", json::array({Container("web", image, kServe80)})));
  const json enabled = Ecs("RunTask", {{"cluster", cluster_},
                                       {"taskDefinition", "exec"},
                                       {"enableExecuteCommand", true}})["tasks"][0];
  const json disabled =
      Ecs("RunTask", {{"cluster", cluster_}, {"taskDefinition", "exec"}})["tasks"][0];
  WaitStatus(enabled["taskArn"], "RUNNING");
  WaitStatus(disabled["taskArn"], "RUNNING");
  // tools/session-manager-plugin on PATH stands in for AWS's plugin.
  const std::map<std::string, std::string> env = {
      {"PATH", SourceDir() + "/tools:" + std::string(std::getenv("PATH"))}};
  const AwsResult ran =
      RunAws(cli_, server_->endpoint(),
             {"ecs", "execute-command", "--cluster", cluster_, "--task", enabled["taskArn"],
              "--container", "web", "--interactive", "--command", "sh -c 'cat /www/index.html'"},
             env);
  EXPECT_EQ(ran.exit_code, 0) << ran.err << LogTail();
  EXPECT_THAT(ran.out, HasSubstr("exec page"));
  const AwsResult refused = RunAws(cli_, server_->endpoint(),
                                   {"ecs", "execute-command", "--cluster", cluster_, "--task",
                                    disabled["taskArn"], "--interactive", "--command", "sh"},
                                   env);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err,
              HasSubstr("(InvalidParameterException) when calling the ExecuteCommand operation: "
                        "The execute command failed because execute command was not enabled when "
                        "the task was run or the execute command agent isn't running. Wait and try "
                        "again or run a new task with execute command enabled and try again."));
  // The session names the container to exec into.
  const json session = Ecs("ExecuteCommand", {{"cluster", cluster_},
                                              {"task", enabled["taskArn"]},
                                              {"interactive", true},
                                              {"command", "sh"}});
  const std::string runtime_id =
      ContainerOf(Describe(enabled["taskArn"]), "web").value("runtimeId", "");
  EXPECT_EQ(session["session"].value("streamUrl", ""),
            "docker-exec://" + runtime_id + "?command=sh");
  EXPECT_EQ(session.value("containerName", ""), "web");

  // describe-tasks shows ECS's managed agent on the enabled task's container
  // (RUNNING, then STOPPED with the task), none on the other.
  auto agents = [&](const json& task_arn) {
    const json out = Aws(
        {"ecs", "describe-tasks", "--cluster", cluster_, "--tasks", task_arn.get<std::string>()});
    return out.is_object() && out["tasks"].size() == 1
               ? ContainerOf(out["tasks"][0], "web").value("managedAgents", json())
               : json();
  };
  json agent = agents(enabled["taskArn"]);
  ASSERT_EQ(agent.size(), 1u) << agent.dump();
  EXPECT_EQ(agent[0].value("name", ""), "ExecuteCommandAgent");
  EXPECT_EQ(agent[0].value("lastStatus", ""), "RUNNING");
  EXPECT_TRUE(agent[0].contains("lastStartedAt")) << agent.dump();
  EXPECT_TRUE(agents(disabled["taskArn"]).is_null());
  Aws({"ecs", "stop-task", "--cluster", cluster_, "--task", enabled["taskArn"]});
  WaitStatus(enabled["taskArn"], "STOPPED", 60);
  agent = agents(enabled["taskArn"]);
  ASSERT_EQ(agent.size(), 1u) << agent.dump();
  EXPECT_EQ(agent[0].value("lastStatus", ""), "STOPPED");
}

}  // namespace
}  // namespace berth::testing
