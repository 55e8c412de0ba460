// Berth composed: docker-compose.yml (with Debian's docker-compose 1.29) runs
// Berth's image (image/make-image.sh) on the host's network with the host's
// Docker socket and a named volume. The walkthrough runs through it; `down`
// then `up` keeps the state, the pushed image and the running tasks; bad
// input stops the container with one line. See berth_image_fixture.h.

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/berth_image_fixture.h"
#include "tests/integration/ecs_task_helpers.h"

namespace berth::testing {
namespace {

// docker-compose.yml of the source tree, as its own project (unique per test)
// on this test's port and image.
class ComposedBerthTest : public BerthImageFixture {
 protected:
  void SetUp() override {
    BerthImageFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(ProgramExists("docker-compose"))
        << "docker-compose is not installed (./dev install installs it)";
  }

  void TearDown() override {
    if (composed_) {
      // Berth removes its containers and networks; compose its own and the volume.
      Curl(endpoint() + "/_berth/reset", {"-X", "POST", "--max-time", "60"});
      Compose({"down", "-v"});
    }
    if (!home_dir_.empty()) std::filesystem::remove_all(home_dir_);
    BerthImageFixture::TearDown();
  }

  CommandResult Compose(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {"docker-compose", "-f", SourceDir() + "/docker-compose.yml",
                                     "-p", project_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> environment = {{"BERTH_IMAGE", image_},
                                                      {"BERTH_PORT", std::to_string(port_)}};
    for (const auto& [k, v] : env) environment[k] = v;
    if (!args.empty() && args[0] == "up") composed_ = true;
    return RunCommand(argv, environment, "", 300);
  }
  std::string ComposeOk(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {}) {
    const CommandResult r = Compose(args, env);
    EXPECT_EQ(r.exit_code, 0) << "docker-compose " << Join(args) << "\n" << r.out << r.err;
    return r.out;
  }
  std::string ComposeLogs() { return Compose({"logs", "--no-color"}).out; }
  std::string ServerLogTail() override {
    return "berth's last log lines:\n" + Compose({"logs", "--no-color", "--tail", "30"}).out;
  }

  // The ids of the containers, in any state, of `filter` ("label=k=v").
  std::vector<std::string> ContainersWhere(const std::string& filter) {
    return Lines(Docker({"ps", "-aq", "--filter", filter}).out);
  }

  // A directory under $HOME (docker-compose.yml shares the home directory
  // with Berth, read-only, at the same path).
  std::filesystem::path HomeDir() {
    const char* home = std::getenv("HOME");
    EXPECT_NE(home, nullptr);
    home_dir_ = std::filesystem::path(home == nullptr ? "/tmp" : home) / (".berth-test-" + id_);
    std::filesystem::create_directories(home_dir_);
    return home_dir_;
  }

  const std::string project_ = "berthtest" + id_;
  std::filesystem::path home_dir_;
  bool composed_ = false;
};

// Steps 1–4 of the composed walkthrough: up, the walkthrough, down and up
// again (state, pushed image and running tasks survive; a task whose container
// died meanwhile is STOPPED honestly), and down -v leaves nothing behind.
TEST_F(ComposedBerthTest, WalkthroughThenDownAndUpKeepStateImagesAndTasks) {
  const std::string testdata = SourceDir() + "/tests/testdata/";
  // 1. docker-compose up -d, then /_berth/health.
  ComposeOk({"up", "-d"});
  ASSERT_TRUE(WaitHealthy()) << ComposeLogs();
  const std::string berth_container = Trim(ComposeOk({"ps", "-q", "berth"}));
  const json berth = Inspect(berth_container);
  ASSERT_FALSE(berth.is_null()) << berth_container;
  EXPECT_EQ(berth["Config"]["Image"], image_);
  EXPECT_EQ(berth["HostConfig"]["NetworkMode"], "host");
  bool data_in_volume = false;
  for (const auto& mount : berth["Mounts"]) {
    data_in_volume |= mount.value("Type", "") == "volume" &&
                      mount.value("Destination", "") == "/var/lib/berth" &&
                      mount.value("Name", "") == project_ + "_berth-data";
  }
  EXPECT_TRUE(data_in_volume) << berth["Mounts"].dump(2);

  // 2. The walkthrough through it: create-repository, login, push, register,
  // run-task, and the page on 127.0.0.1.
  const json created = Aws({"ecr", "create-repository", "--repository-name", "test-repo"});
  ASSERT_TRUE(created.is_object());
  const std::string uri = created["repository"]["repositoryUri"];
  ASSERT_EQ(uri, host() + "/test-repo");
  const AwsResult login = RunLoginPipeline(cli_, endpoint(), host(), docker_config_.path());
  ASSERT_EQ(login.exit_code, 0) << login.out << login.err;
  const std::string page = "<h1>poc</h1>\n";
  const std::string local = BuildBusyboxImage(page);
  images_.push_back(uri + ":latest");
  DockerOk({"tag", local, uri + ":latest"});
  DockerOk({"push", uri + ":latest"});
  const json pushed = Aws({"ecr", "list-images", "--repository-name", "test-repo"});
  ASSERT_EQ(pushed["imageIds"].size(), 1u) << pushed.dump();
  Aws({"ecs", "register-task-definition", "--cli-input-json",
       "file://" + testdata + "ecs_task.json"});
  Aws({"ecs", "create-cluster", "--cluster-name", "poc-cluster"});
  const std::vector<std::string> run_task = {"ecs",
                                             "run-task",
                                             "--cluster",
                                             "poc-cluster",
                                             "--count",
                                             "1",
                                             "--task-definition",
                                             "poc-task",
                                             "--launch-type",
                                             "FARGATE",
                                             "--network-configuration",
                                             "file://" + testdata + "network.json"};
  const std::string arn = Aws(run_task)["tasks"][0].value("taskArn", "");
  ASSERT_FALSE(arn.empty());
  const AwsResult running =
      RunAws(cli_, endpoint(),
             {"ecs", "wait", "tasks-running", "--cluster", "poc-cluster", "--tasks", arn});
  ASSERT_EQ(running.exit_code, 0) << running.err << ComposeLogs();
  const json task = Describe("poc-cluster", arn);
  const json container = FirstContainer(task);
  ASSERT_EQ(container["networkBindings"].size(), 1u) << task.dump(2);
  EXPECT_EQ(container["networkBindings"][0]["bindIP"], "127.0.0.1");
  const int port = container["networkBindings"][0].value("hostPort", 0);
  EXPECT_EQ(GetPage(port).body, page);
  const std::string app = container.value("runtimeId", "");
  const std::string instance = NoteInstanceOf(app);
  ASSERT_FALSE(instance.empty()) << app;
  // The host's Docker pulled the image from Berth in its container.
  EXPECT_EQ(Inspect(app)["Config"]["Image"], uri + ":latest");

  // Inside the task, the metadata endpoint answers: the task's pause relays
  // to Berth listening on the Docker network's gateway from its container.
  // Only once 169.254.170.2 is local to the task's namespace is anything
  // sent there (else it could reach the host's own endpoint).
  const std::string route =
      DockerOk({"exec", app, "busybox", "ip", "route", "get", "169.254.170.2"});
  ASSERT_EQ(route.rfind("local 169.254.170.2 dev lo", 0), 0u) << route;
  const std::string metadata =
      DockerOk({"exec", app, "sh", "-c", "wget -qO- \"$ECS_CONTAINER_METADATA_URI_V4/task\""});
  const json task_metadata = json::parse(metadata, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(task_metadata.is_object()) << metadata;
  EXPECT_EQ(task_metadata["TaskARN"], arn);

  // environmentFiles under the home directory are read by Berth in its container.
  const std::filesystem::path env_file = HomeDir() / "app.env";
  WriteFile(env_file, "GREETING=hello from the host\n");
  json with_env = Container("main", uri + ":latest", kIdle);
  with_env["environmentFiles"] = json::array({{{"value", env_file.string()}, {"type", "s3"}}});
  Register(FargateTd("envfile", json::array({with_env})));
  const std::string env_arn =
      Aws({"ecs", "run-task", "--cluster", "poc-cluster", "--task-definition", "envfile",
           "--launch-type", "FARGATE", "--network-configuration",
           "file://" + testdata + "network.json"})["tasks"][0]
          .value("taskArn", "");
  const json env_task = WaitStatus("poc-cluster", env_arn, "RUNNING");
  EXPECT_EQ(DockerOk({"exec", FirstContainer(env_task).value("runtimeId", ""), "sh", "-c",
                      "echo \"$GREETING\""}),
            "hello from the host\n");
  Aws({"ecs", "stop-task", "--cluster", "poc-cluster", "--task", env_arn});
  WaitStatus("poc-cluster", env_arn, "STOPPED");

  // A second task of the walkthrough, whose container will die while Berth is down.
  const std::string victim_arn = Aws(run_task)["tasks"][0].value("taskArn", "");
  const std::string victim =
      FirstContainer(WaitStatus("poc-cluster", victim_arn, "RUNNING")).value("runtimeId", "");
  ASSERT_TRUE(IsRunning(victim));

  // 3. docker-compose down: Berth stops (SIGTERM) and its container goes; the
  // tasks keep running, as after any restart.
  ComposeOk({"down"});
  EXPECT_TRUE(Inspect(berth_container).is_null());
  EXPECT_NE(Curl(endpoint() + "/_berth/health", {"--max-time", "2"}).status, 200);
  EXPECT_TRUE(IsRunning(app));
  EXPECT_EQ(GetPage(port).body, page);
  DockerOk({"kill", victim});

  // docker-compose up: the state and the pushed image are still there,
  ComposeOk({"up", "-d"});
  ASSERT_TRUE(WaitHealthy()) << ComposeLogs();
  EXPECT_EQ(Aws({"ecr", "list-images", "--repository-name", "test-repo"})["imageIds"],
            pushed["imageIds"]);
  EXPECT_EQ(Aws({"ecs", "describe-task-definition", "--task-definition",
                 "poc-task"})["taskDefinition"]["status"],
            "ACTIVE");
  // the running task is adopted: RUNNING, its container running, serving,
  const json adopted = Describe("poc-cluster", arn);
  EXPECT_EQ(adopted["lastStatus"], "RUNNING") << adopted.dump(2);
  EXPECT_TRUE(IsRunning(app));
  EXPECT_EQ(GetPage(port).body, page);
  // and the task whose container died is STOPPED with its exit code.
  const json stopped = WaitStatus("poc-cluster", victim_arn, "STOPPED");
  EXPECT_EQ(stopped["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(stopped["stoppedReason"], "Essential container in task exited");
  EXPECT_EQ(FirstContainer(stopped)["exitCode"], 137);

  // 4. No task shows RUNNING without its container running.
  const json listed = Aws({"ecs", "list-tasks", "--cluster", "poc-cluster"});
  EXPECT_EQ(listed["taskArns"], json::array({arn})) << listed.dump();
  for (const auto& task_arn : listed["taskArns"]) {
    for (const auto& c : Describe("poc-cluster", task_arn)["containers"]) {
      if (c.value("lastStatus", "") == "RUNNING") {
        EXPECT_TRUE(IsRunning(c.value("runtimeId", ""))) << c.dump(2);
      }
    }
  }
  // The pushed image is still pullable by the host's Docker.
  DockerOk({"rmi", uri + ":latest"});
  DockerOk({"pull", "-q", uri + ":latest"});

  // Nothing is orphaned: stopping the task stops its containers, and Berth's
  // reset before `down -v` removes them with its network.
  Aws({"ecs", "stop-task", "--cluster", "poc-cluster", "--task", arn});
  WaitStatus("poc-cluster", arn, "STOPPED");
  EXPECT_FALSE(IsRunning(app));
  EXPECT_EQ(Curl(endpoint() + "/_berth/reset", {"-X", "POST"}).status, 200);
  ComposeOk({"down", "-v"});
  composed_ = false;
  EXPECT_EQ(ContainersWhere("label=berth.instance=" + instance), std::vector<std::string>{});
  EXPECT_EQ(
      Lines(Docker({"network", "ls", "-q", "--filter", "label=berth.instance=" + instance}).out),
      std::vector<std::string>{});
  EXPECT_EQ(ContainersWhere("label=com.docker.compose.project=" + project_),
            std::vector<std::string>{});
  EXPECT_EQ(Lines(Docker({"volume", "ls", "-q", "--filter",
                          "label=com.docker.compose.project=" + project_})
                      .out),
            std::vector<std::string>{});
}

}  // namespace
}  // namespace berth::testing
