#pragma once

// A fixture for tests that run ECS tasks as real containers: a berth on its
// own data directory (so it can be killed and restarted on it), the real AWS
// CLI, the real docker CLI and daemon, and small busybox images built offline
// FROM scratch.
//
// Every image a test builds carries berth.test=1 and berth.test.id=<this
// test's id>. TearDown stops berth, then removes every container of this
// berth (they carry berth.instance=<the id in the data dir's meta table>),
// its task volumes, its networks (one per cluster) and the test's images, and
// checks that
// nothing is left. The tests fail, never skip, without a docker daemon.

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/util/crypto.h"
#include "storage/database.h"
#include "storage/meta_store.h"
#include "tests/support/berth_server.h"
#include "tests/support/busybox_image.h"
#include "tests/support/free_port.h"
#include "tests/support/text_files.h"

namespace berth::testing {

class EcsTaskFixture : public ::testing::Test {
 protected:
  using json = nlohmann::json;
  using Clock = std::chrono::steady_clock;

  void SetUp() override {
    const CommandResult info =
        RunCommand({"docker", "info", "--format", "{{.ServerVersion}}"}, {}, "", 60);
    docker_ready_ = info.exit_code == 0;
    ASSERT_EQ(info.exit_code, 0) << "`docker info` failed; these tests need a running dockerd "
                                    "(CI starts one):\n"
                                 << info.err;
    if (cli_.empty()) {
      const auto clis = AwsClis();
      ASSERT_FALSE(clis.empty()) << "no AWS CLI installed (./dev install installs it)";
      cli_ = clis.front();
    }
    StartBerth();
  }

  void TearDown() override {
    if (!docker_ready_) return;
    StopBerth();
    const std::string instance = InstanceId();
    ASSERT_FALSE(instance.empty()) << "no berth.instance in " << data_.path();
    const std::string by_instance = "label=berth.instance=" + instance;
    const std::string by_test = "label=berth.test.id=" + id_;
    for (const auto& filter : {by_instance, by_test}) {
      for (const auto& c : Lines(Docker({"ps", "-aq", "--filter", filter}).out)) {
        Docker({"rm", "-f", "-v", c});
      }
    }
    for (const auto& v : Lines(Docker({"volume", "ls", "-q", "--filter", by_instance}).out)) {
      Docker({"volume", "rm", "-f", v});
    }
    for (const auto& n : Lines(Docker({"network", "ls", "-q", "--filter", by_instance}).out)) {
      Docker({"network", "rm", n});
    }
    for (const auto& tag : tags_) Docker({"rmi", "-f", tag});
    for (int attempt = 0; attempt < 100; ++attempt) {
      const CommandResult r = Docker(
          {"image", "prune", "-a", "-f", "--filter", "label=berth.test=1", "--filter", by_test});
      if (r.exit_code == 0 || r.err.find("already running") == std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // Nothing of this test is left behind.
    EXPECT_EQ(Docker({"ps", "-aq", "--filter", by_instance}).out, "");
    EXPECT_EQ(Docker({"ps", "-aq", "--filter", by_test}).out, "");
    EXPECT_EQ(Docker({"network", "ls", "-q", "--filter", by_instance}).out, "");
    EXPECT_EQ(Docker({"images", "-aq", "--filter", by_test}).out, "");
    EXPECT_EQ(Docker({"volume", "ls", "-q", "--filter", by_instance}).out, "");
  }

  // (Re)starts berth on this test's data directory.
  void StartBerth() {
    server_.reset();
    server_ = std::make_unique<BerthServer>(berth_args_, data_.path(), berth_env_);
  }
  // Extra environment for berth (set before SetUp).
  std::map<std::string, std::string> berth_env_;
  // Extra berth flags (set before SetUp), e.g. --credentials, and the curl
  // arguments that sign Ecs() calls then (--aws-sigv4, --user).
  std::vector<std::string> berth_args_;
  std::vector<std::string> curl_auth_;
  // Stops berth (SIGTERM) if it runs; its containers keep running.
  void StopBerth() {
    if (server_ && server_->process().Running()) server_->Stop();
    server_.reset();
  }

  // This berth's instance id (berth must not be running: it holds the
  // database exclusively).
  std::string InstanceId() {
    if (!std::filesystem::exists(data_.path() + "/berth.db")) return "";
    storage::Database database(data_.path() + "/berth.db");
    auto lease = database.Acquire();
    return storage::MetaStore(lease.db()).Get("berth.instance").value_or("");
  }

  std::string host() const { return "localhost:" + std::to_string(server_->port()); }

  // --- AWS CLI ------------------------------------------------------------------

  AwsResult RunCli(const std::vector<std::string>& args) {
    return RunAws(cli_, server_->endpoint(), args);
  }
  // Runs the CLI and expects success; returns its JSON.
  json Aws(const std::vector<std::string>& args) {
    const AwsResult r = RunCli(args);
    EXPECT_EQ(r.exit_code, 0) << cli_ << " " << Join(args) << "\nstderr: " << r.err
                              << "\nberth log:\n"
                              << LogTail();
    return r.json;
  }
  // Runs the CLI and expects the AWS error `code` with exactly `message`.
  void AwsFails(const std::vector<std::string>& args, const std::string& code,
                const std::string& message) {
    const AwsResult r = RunCli(args);
    EXPECT_NE(r.exit_code, 0) << cli_ << " " << Join(args) << " succeeded: " << r.out;
    EXPECT_NE(r.err.find("(" + code + ")"), std::string::npos) << Join(args) << "\n" << r.err;
    EXPECT_NE(r.err.find(": " + message + "\n"), std::string::npos)
        << Join(args) << "\nwanted: " << message << "\nstderr: " << r.err;
  }

  // Registers a task definition given as JSON (through --cli-input-json);
  // returns its ARN.
  std::string Register(const json& td) {
    const std::string path = work_.path() + "/td-" + std::to_string(++names_) + ".json";
    WriteFile(path, td.dump(2));
    const json r = Aws({"ecs", "register-task-definition", "--cli-input-json", "file://" + path});
    return r.is_object() ? r["taskDefinition"].value("taskDefinitionArn", "") : "";
  }
  void CreateCluster() { Aws({"ecs", "create-cluster", "--cluster-name", cluster_}); }

  // run-task on this test's cluster; returns the task as RunTask returned it.
  json RunTask(const std::string& task_definition, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"ecs",    "run-task",          "--cluster",
                                     cluster_, "--task-definition", task_definition};
    args.insert(args.end(), extra.begin(), extra.end());
    const json r = Aws(args);
    if (!r.is_object() || r["tasks"].size() != 1) {
      ADD_FAILURE() << "run-task returned " << (r.is_null() ? "nothing" : r.dump());
      return json::object();
    }
    return r["tasks"][0];
  }
  // run-task of an awsvpc definition with Fargate and a network configuration.
  json RunFargateTask(const std::string& task_definition) {
    return RunTask(
        task_definition,
        {"--launch-type", "FARGATE", "--network-configuration",
         R"({"awsvpcConfiguration":{"subnets":["subnet-0berth"],"securityGroups":["sg-0berth"]}})"});
  }

  // --- The ECS API directly (fast polling, epoch timestamps) ----------------------

  json Ecs(const std::string& operation, const json& body) {
    std::vector<std::string> args = {
        "-X",
        "POST",
        "-H",
        "X-Amz-Target: AmazonEC2ContainerServiceV20141113." + operation,
        "-H",
        "Content-Type: application/x-amz-json-1.1",
        "--data-binary",
        body.dump()};
    args.insert(args.end(), curl_auth_.begin(), curl_auth_.end());
    const HttpReply reply = Curl(server_->endpoint() + "/", args);
    const json parsed = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    EXPECT_EQ(reply.status, 200) << operation << " " << body.dump() << ": " << reply.body;
    return parsed.is_discarded() ? json() : parsed;
  }
  // The task as DescribeTasks reports it now (null when missing).
  json Describe(const std::string& task_arn) {
    const json r = Ecs("DescribeTasks", {{"cluster", cluster_}, {"tasks", {task_arn}}});
    if (!r.is_object() || r["tasks"].empty()) return json();
    return r["tasks"][0];
  }
  // The cluster as DescribeClusters reports it now.
  json Cluster() {
    const json r = Ecs("DescribeClusters", {{"clusters", {cluster_}}});
    return r.is_object() && !r["clusters"].empty() ? r["clusters"][0] : json();
  }

  // Polls DescribeTasks until `done` holds (at most `seconds`); returns the
  // last task seen. A timeout is a test failure naming `what`.
  json WaitTask(const std::string& task_arn, const std::function<bool(const json&)>& done,
                double seconds, const std::string& what) {
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    json task;
    while (true) {
      task = Describe(task_arn);
      if (!task.is_null() && done(task)) return task;
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "task did not reach " << what << " within " << seconds << " s:\n"
                  << task.dump(2) << "\nlocal view: " << LocalView(task_arn) << "\nberth log:\n"
                  << LogTail();
    return task;
  }
  json WaitStatus(const std::string& task_arn, const std::string& status, double seconds = 90) {
    return WaitTask(
        task_arn, [&](const json& t) { return t.value("lastStatus", "") == status; }, seconds,
        "lastStatus " + status);
  }
  // GET /_berth/tasks/<id>.
  std::string LocalView(const std::string& task_arn) {
    return Curl(server_->endpoint() + "/_berth/tasks/" + TaskId(task_arn)).body;
  }

  // The container `name` of a described task.
  static json ContainerOf(const json& task, const std::string& name) {
    for (const auto& c : task.value("containers", json::array())) {
      if (c.value("name", "") == name) return c;
    }
    ADD_FAILURE() << "task has no container " << name << ": " << task.dump();
    return json::object();
  }
  static std::string TaskId(const std::string& task_arn) {
    return task_arn.substr(task_arn.rfind('/') + 1);
  }
  // The detail `name` of the task's ENI attachment.
  static std::string EniDetail(const json& task, const std::string& name) {
    for (const auto& a : task.value("attachments", json::array())) {
      if (a.value("type", "") != "ElasticNetworkInterface") continue;
      for (const auto& d : a.value("details", json::array())) {
        if (d.value("name", "") == name) return d.value("value", "");
      }
    }
    return "";
  }

  // --- Docker -------------------------------------------------------------------

  CommandResult Docker(const std::vector<std::string>& args, const std::string& input = "",
                       int timeout_seconds = 300) {
    std::vector<std::string> argv = {"docker"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunDockerCommand(argv, {{"DOCKER_CONFIG", docker_config_.path()}}, input,
                            timeout_seconds);
  }
  std::string DockerOk(const std::vector<std::string>& args, const std::string& input = "") {
    const CommandResult r = Docker(args, input);
    EXPECT_EQ(r.exit_code, 0) << "docker " << Join(args) << "\nstdout: " << r.out
                              << "\nstderr: " << r.err;
    return r.out;
  }
  // Puts an empty file at `path` in a running container with `docker cp`,
  // not `docker exec touch`: a container that exits on seeing the file
  // would kill an exec still finishing (exit 137), and no process runs
  // inside the container for a copy.
  void PlaceFile(const std::string& container, const std::string& path) {
    const std::string empty = work_.path() + "/empty-" + std::to_string(++names_);
    std::ofstream(empty).flush();
    DockerOk({"cp", empty, container + ":" + path});
  }
  // `docker inspect` of one container (null when it does not exist).
  json Inspect(const std::string& container) {
    const CommandResult r = Docker({"inspect", "--type", "container", container});
    const json parsed = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    return r.exit_code == 0 && parsed.is_array() && !parsed.empty() ? parsed[0] : json();
  }
  // Ids of the containers (all states) carrying `label` ("k=v"), and
  // `also` when given.
  std::vector<std::string> ContainersWith(const std::string& label, const std::string& also = "") {
    std::vector<std::string> args = {"ps", "-aq", "--no-trunc", "--filter", "label=" + label};
    if (!also.empty()) args.insert(args.end(), {"--filter", "label=" + also});
    return Lines(Docker(args).out);
  }

  // Builds a busybox image FROM scratch, offline: /bin/busybox and /bin/sh
  // (the shell runs every applet), /www/index.html = `page`, PATH=/bin, and
  // a SIGTERM-aware httpd on port 80 as its command. Returns its tag.
  std::string BuildImage(const std::string& page) {
    const std::string tag = "berth-test-" + id_ + "-" + std::to_string(++names_);
    const std::filesystem::path context = std::filesystem::path(work_.path()) / ("ctx-" + tag);
    WriteBusyboxImageContext(context, id_, page, 80);
    tags_.push_back(tag);
    DockerOk({"build", "-q", "--force-rm", "-t", tag, context.string()});
    return tag;
  }

  // `aws ecr get-login-password | docker login`; returns docker's exit code.
  int DockerLogin() {
    const AwsResult password = RunCli({"ecr", "get-login-password", "--region", "us-east-1"});
    EXPECT_EQ(password.exit_code, 0) << password.err;
    const CommandResult r =
        Docker({"login", "--username", "AWS", "--password-stdin", host()}, Trim(password.out));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r.exit_code;
  }
  // Creates `repository` in berth, builds an image serving `page` and pushes
  // it as <registry host>/<repository>:latest; returns that reference.
  std::string PushImage(const std::string& repository, const std::string& page) {
    Aws({"ecr", "create-repository", "--repository-name", repository});
    DockerLogin();
    const std::string local = BuildImage(page);
    const std::string remote = host() + "/" + repository + ":latest";
    tags_.push_back(remote);
    DockerOk({"tag", local, remote});
    DockerOk({"push", "-q", remote});
    return remote;
  }

  // --- HTTP ---------------------------------------------------------------------

  // GETs http://127.0.0.1:<port>/ until it answers 200 (at most `seconds`).
  HttpReply GetPage(int port, double seconds = 10) {
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    HttpReply reply;
    do {
      reply = Curl("http://127.0.0.1:" + std::to_string(port) + "/", {"--max-time", "5"});
      if (reply.status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (Clock::now() < deadline);
    return reply;
  }

  // --- Small helpers ------------------------------------------------------------

  // An RFC 3339 time as Docker prints it ("2024-05-01T10:00:02.456789012Z")
  // in epoch seconds.
  static double EpochOfRfc3339(const std::string& text) {
    std::tm tm{};
    const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (rest == nullptr) return -1;
    double seconds = static_cast<double>(timegm(&tm));
    if (*rest == '.') seconds += std::strtod(rest, nullptr);
    return seconds;
  }
  std::string LogTail() const {
    if (!server_) return "(berth not running)";
    const std::string log = server_->Log();
    return log.size() > 6000 ? log.substr(log.size() - 6000) : log;
  }
  static double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

  const std::string id_ = crypto::RandomHex(8);
  const std::string cluster_ = "tasks-" + id_;  // unique per test
  std::string cli_;                             // the AWS CLI (first of AwsClis())
  TempDir data_;
  TempDir docker_config_;
  TempDir work_;
  std::vector<std::string> tags_;
  std::unique_ptr<BerthServer> server_;
  int names_ = 0;
  bool docker_ready_ = false;
};

}  // namespace berth::testing
