#pragma once

// A fixture for tests of Berth's container image and docker-compose.yml: it
// builds the image with image/make-image.sh (the script `./dev image` runs)
// from the berth binary under test — this build's, so nothing is compiled
// again — tagged and labelled with this test's id, and drives the real docker
// CLI, AWS CLI and curl against the Berth running in it.
//
// Berth in the container runs on the host's network (as docker-compose.yml
// says), on a free port of 127.0.0.1. TearDown removes, by label, everything
// the test made: containers of every Berth instance it saw and of the test,
// their volumes and networks, and its images. The tests fail, never skip,
// without a docker daemon.

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/util/crypto.h"
#include "tests/support/berth_server.h"
#include "tests/support/stable_port.h"
#include "tests/support/text_files.h"

namespace berth::testing {

class BerthImageFixture : public ::testing::Test {
 protected:
  using json = nlohmann::json;
  using Clock = std::chrono::steady_clock;

  void SetUp() override {
    const CommandResult info =
        RunCommand({"docker", "info", "--format", "{{.ServerVersion}}"}, {}, "", 60);
    ASSERT_EQ(info.exit_code, 0) << "`docker info` failed; these tests need a running dockerd "
                                    "(CI starts one):\n"
                                 << info.err;
    docker_ready_ = true;
    const auto clis = AwsClis();
    ASSERT_FALSE(clis.empty()) << "no AWS CLI installed (./dev install installs it)";
    cli_ = clis.front();
    const CommandResult made =
        RunCommand({SourceDir() + "/image/make-image.sh", "--context", context_.path(), "--label",
                    "berth.test=1", "--label", "berth.test.id=" + id_, BerthBinary(), image_},
                   {}, "", 300);
    ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
    images_.push_back(image_);
  }

  void TearDown() override {
    if (!docker_ready_) return;
    CleanUpDocker();
  }

  // Removes what this test made (also called by tests that check it).
  void CleanUpDocker() {
    std::vector<std::string> filters = {"label=berth.test.id=" + id_};
    for (const auto& instance : instances_) filters.push_back("label=berth.instance=" + instance);
    for (const auto& filter : filters) {
      for (const auto& c : Lines(Docker({"ps", "-aq", "--filter", filter}).out)) {
        Docker({"rm", "-f", "-v", c});
      }
      for (const auto& v : Lines(Docker({"volume", "ls", "-q", "--filter", filter}).out)) {
        Docker({"volume", "rm", "-f", v});
      }
      for (const auto& n : Lines(Docker({"network", "ls", "-q", "--filter", filter}).out)) {
        Docker({"network", "rm", n});
      }
    }
    for (const auto& image : images_) Docker({"rmi", "-f", image});
    for (int attempt = 0; attempt < 100; ++attempt) {
      const CommandResult r =
          Docker({"image", "prune", "-a", "-f", "--filter", "label=berth.test=1", "--filter",
                  "label=berth.test.id=" + id_});
      if (r.exit_code == 0 || r.err.find("already running") == std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (const auto& filter : filters) {
      EXPECT_EQ(Docker({"ps", "-aq", "--filter", filter}).out, "") << filter;
      EXPECT_EQ(Docker({"network", "ls", "-q", "--filter", filter}).out, "") << filter;
    }
    EXPECT_EQ(Docker({"images", "-aq", "--filter", "label=berth.test.id=" + id_}).out, "");
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
  // `docker inspect` of one container (null when it does not exist).
  json Inspect(const std::string& container) {
    const CommandResult r = Docker({"inspect", "--type", "container", container});
    const json parsed = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    return r.exit_code == 0 && parsed.is_array() && !parsed.empty() ? parsed[0] : json();
  }
  bool IsRunning(const std::string& container) {
    const json state = Inspect(container);
    return !state.is_null() && state["State"]["Running"].get<bool>();
  }
  // Remembers the Berth instance that made `container` (its containers are
  // removed in TearDown); returns it.
  std::string NoteInstanceOf(const std::string& container) {
    const json state = Inspect(container);
    const std::string instance =
        state.is_null() ? "" : state["Config"]["Labels"].value("berth.instance", "");
    if (!instance.empty()) instances_.insert(instance);
    return instance;
  }

  // A busybox image built FROM scratch, offline, serving `page` with httpd on
  // port 80 (exits 0 on SIGTERM). Returns its tag.
  std::string BuildBusyboxImage(const std::string& page) {
    const std::string tag = "berth-test-" + id_ + "-" + std::to_string(++names_);
    const std::filesystem::path context = std::filesystem::path(work_.path()) / ("ctx-" + tag);
    std::filesystem::create_directories(context / "bin");
    std::filesystem::create_directories(context / "www");
    std::filesystem::copy_file("/bin/busybox", context / "bin" / "busybox");
    std::filesystem::create_hard_link(context / "bin" / "busybox", context / "bin" / "sh");
    WriteFile(context / "www" / "index.html", page);
    WriteFile(context / "Dockerfile",
              "FROM scratch\nLABEL berth.test=1 berth.test.id=" + id_ +
                  "\nCOPY bin /bin\nCOPY www /www\nENV PATH=/bin\n"
                  "CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait\"]\n");
    images_.push_back(tag);
    DockerOk({"build", "-q", "--force-rm", "-t", tag, context.string()});
    return tag;
  }

  // --- Berth in the container -----------------------------------------------------

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string host() const { return "localhost:" + std::to_string(port_); }

  // Waits until Berth answers /_berth/health (at most `seconds`).
  bool WaitHealthy(double seconds = 30) {
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    do {
      const HttpReply r = Curl(endpoint() + "/_berth/health", {"--max-time", "2"});
      if (r.status == 200 && r.body.find("\"ready\":true") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (Clock::now() < deadline);
    return false;
  }

  // Runs the AWS CLI against Berth and expects success; returns its JSON.
  json Aws(const std::vector<std::string>& args) {
    const AwsResult r = RunAws(cli_, endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << cli_ << " " << Join(args) << "\nstderr: " << r.err;
    return r.json;
  }
  // Registers a task definition given as JSON; returns its ARN.
  std::string Register(const json& td) {
    const std::string path = work_.path() + "/td-" + std::to_string(++names_) + ".json";
    WriteFile(path, td.dump(2));
    const json r = Aws({"ecs", "register-task-definition", "--cli-input-json", "file://" + path});
    return r.is_object() ? r["taskDefinition"].value("taskDefinitionArn", "") : "";
  }
  // The task as describe-tasks reports it now (null when missing).
  json Describe(const std::string& cluster, const std::string& task_arn) {
    const json r = Aws({"ecs", "describe-tasks", "--cluster", cluster, "--tasks", task_arn});
    return r.is_object() && !r["tasks"].empty() ? r["tasks"][0] : json();
  }
  // Polls describe-tasks until lastStatus is `status` (at most `seconds`: a
  // bound, not a timing; a loaded dockerd may hold one call for half a minute).
  json WaitStatus(const std::string& cluster, const std::string& task_arn,
                  const std::string& status, double seconds = 90) {
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    json task;
    do {
      task = Describe(cluster, task_arn);
      if (task.value("lastStatus", "") == status) return task;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    } while (Clock::now() < deadline);
    ADD_FAILURE() << "task did not reach " << status << " within " << seconds
                  << " s: " << Brief(task) << "\n"
                  << ServerLogTail() << "\n"
                  << task.dump(2);
    return task;
  }
  // A task in one line: its statuses, why it stopped, and each container's.
  static std::string Brief(const json& task) {
    if (!task.is_object()) return "(no task)";
    std::string out = "lastStatus=" + task.value("lastStatus", "") +
                      " desiredStatus=" + task.value("desiredStatus", "");
    if (task.contains("stopCode")) out += " stopCode=" + task.value("stopCode", "");
    if (task.contains("stoppedReason")) out += " stoppedReason=" + task.value("stoppedReason", "");
    for (const auto& c : task.value("containers", json::array())) {
      out += " | " + c.value("name", "") + ": " + c.value("lastStatus", "");
      if (c.contains("reason")) out += " reason=" + c.value("reason", "");
      if (c.contains("exitCode")) out += " exit=" + c["exitCode"].dump();
    }
    return out;
  }
  // The end of Berth's own log, for failure messages ("" when the fixture
  // cannot read it).
  virtual std::string ServerLogTail() { return ""; }
  // GETs http://127.0.0.1:<port>/ until it answers 200 (at most `seconds`).
  static HttpReply GetPage(int port, double seconds = 10) {
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
  // The first container of a described task.
  static json FirstContainer(const json& task) {
    return task.is_object() && !task["containers"].empty() ? task["containers"][0] : json();
  }

  const std::string id_ = crypto::RandomHex(8);
  const std::string image_ = "berth-test-image-" + id_ + ":latest";
  // Stays ours while the composed Berth is down between `down` and `up`.
  const int port_ = StablePort();
  std::string cli_;
  TempDir context_;
  TempDir docker_config_;
  TempDir work_;
  std::vector<std::string> images_;
  std::set<std::string> instances_;
  int names_ = 0;
  bool docker_ready_ = false;
};

}  // namespace berth::testing
