// The DockerApi conformance suite against the real dockerd, through
// CurlDockerClient (DOCKER_HOST, or the default socket). The tests fail,
// never skip, when the daemon is missing: CI starts one.
//
// The shell image is built offline in SetUpTestSuite, FROM scratch with
// Debian's static /bin/busybox (busybox-static), by the docker CLI (tests
// may use the CLI; Berth itself never does). It is tagged and labelled per
// process, because ctest runs each test in a process of its own, possibly in
// parallel with others sharing the daemon.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "docker_backend/curl_docker_client.h"
#include "tests/conformance/docker_api_conformance.h"
#include "tests/support/subprocess.h"
#include "tests/support/text_files.h"

namespace berth::testing {
namespace {

CommandResult Docker(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunDockerCommand(argv, {}, "", 120);
}

std::string DockerHost() {
  const char* host = std::getenv("DOCKER_HOST");
  return host == nullptr ? "" : host;
}

class CurlDockerEnv {
 public:
  static void SetUpTestSuite() {
    problem_.clear();
    suite_id_ = "conf-suite-" + std::to_string(::getpid());
    shell_image_ = "berth-test/busybox:" + suite_id_;
    const CommandResult info = Docker({"info", "--format", "{{.ServerVersion}}"});
    if (info.exit_code != 0) {
      problem_ =
          "`docker info` failed; these tests need a running dockerd (CI starts one):\n" + info.err;
      return;
    }
    if (!std::filesystem::exists("/bin/busybox")) {
      problem_ = "/bin/busybox is missing (apt-get install busybox-static)";
      return;
    }
    context_ = std::filesystem::temp_directory_path() / ("berth-" + suite_id_);
    std::filesystem::remove_all(context_);
    std::filesystem::create_directories(context_);
    std::filesystem::copy_file("/bin/busybox", context_ / "busybox");
    std::ofstream(context_ / "Dockerfile")
        << "FROM scratch\n"
        << "LABEL berth.test=1 berth.test.id=" << suite_id_ << "\n"
        << "COPY busybox /bin/busybox\n"
        << "COPY busybox /bin/sh\n";
    const CommandResult built = Docker({"build", "-q", "-t", shell_image_, context_.string()});
    if (built.exit_code != 0) {
      problem_ = "docker build of the busybox test image failed:\n" + built.err;
    }
  }

  static void TearDownTestSuite() {
    if (!shell_image_.empty()) Docker({"rmi", "-f", shell_image_});
    Docker({"image", "prune", "-f", "--filter", "label=berth.test.id=" + suite_id_});
    if (!context_.empty()) std::filesystem::remove_all(context_);
  }

  static std::string SuiteProblem() { return problem_; }

  CurlDockerEnv()
      : client_(docker::DockerEndpoint::FromDockerHost(DockerHost())),
        second_(docker::DockerEndpoint::FromDockerHost(DockerHost())) {}

  docker::DockerApi& api() { return client_; }
  docker::DockerApi& api2() { return second_; }
  std::string ShellImage() const { return shell_image_; }
  // The daemon runs the processes itself.
  void WillBehave(const std::string& /*container_name*/, const ScriptedProcess& /*process*/) {}
  void WillFailPull(const std::string& /*image*/, int /*http_status*/,
                    const std::string& /*message*/) {}

  void CleanUp(const std::string& test_id, const std::vector<std::string>& image_tags) {
    const std::string label = "label=berth.test.id=" + test_id;
    for (const auto& id : Lines(Docker({"ps", "-aq", "--filter", label}).out)) {
      Docker({"rm", "-f", "-v", id});
    }
    for (const auto& id : Lines(Docker({"network", "ls", "-q", "--filter", label}).out)) {
      Docker({"network", "rm", id});
    }
    for (const auto& name : Lines(Docker({"volume", "ls", "-q", "--filter", label}).out)) {
      Docker({"volume", "rm", "-f", name});
    }
    for (const auto& tag : image_tags) Docker({"rmi", "-f", tag});
    // Nothing of this test is left behind.
    EXPECT_EQ(Docker({"ps", "-aq", "--filter", label}).out, "");
    EXPECT_EQ(Docker({"network", "ls", "-q", "--filter", label}).out, "");
    EXPECT_EQ(Docker({"images", "-q", "--filter", label}).out, "");
    EXPECT_EQ(Docker({"volume", "ls", "-q", "--filter", label}).out, "");
  }

 private:
  static inline std::string problem_;
  static inline std::string suite_id_;
  static inline std::string shell_image_;
  static inline std::filesystem::path context_;

  docker::CurlDockerClient client_;
  docker::CurlDockerClient second_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Curl, DockerApiConformanceTest, ::testing::Types<CurlDockerEnv>);

}  // namespace
}  // namespace berth::testing
