// The DockerApi conformance suite against FakeDocker: the same tests
// integration_tests runs against the real dockerd, so the fake cannot drift
// from the daemon unnoticed.

#include "tests/conformance/docker_api_conformance.h"
#include "tests/fakes/fake_docker.h"

namespace berth::testing {
namespace {

// A fresh FakeDocker per test, holding a busybox-like image.
class FakeDockerEnv {
 public:
  static void SetUpTestSuite() {}
  static void TearDownTestSuite() {}
  static std::string SuiteProblem() { return ""; }

  FakeDockerEnv() {
    FakeImageConfig config;
    config.labels = {{"berth.test", "1"}};
    config.cmd.clear();  // like the real test image: FROM scratch, no CMD
    fake_.AddImage(ShellImage(), config);
  }

  docker::DockerApi& api() { return fake_; }
  docker::DockerApi& api2() { return fake_; }  // the fake serves every thread
  std::string ShellImage() const { return "berth-test/busybox:fake"; }

  void WillBehave(const std::string& container_name, const ScriptedProcess& process) {
    ContainerScript script;
    script.exit_on_start = process.exit_on_start;
    script.stop_exit_code = process.stop_exit_code;
    script.output = process.output;
    if (process.start_error) {
      script.start_failure =
          StartFailure{process.start_error->http_status, process.start_error->message,
                       process.start_error->exit_code};
    }
    fake_.ScriptContainer(container_name, script);
  }
  void WillFailPull(const std::string& image, int http_status, const std::string& message) {
    fake_.FailPull(image, http_status, message);
  }
  void CleanUp(const std::string& /*test_id*/, const std::vector<std::string>& /*image_tags*/) {}

 private:
  FakeDocker fake_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Fake, DockerApiConformanceTest, ::testing::Types<FakeDockerEnv>);

// The fake's own texts match what the suite expects of the daemon.
TEST(FakeDockerTextsTest, MatchTheDaemon) {
  EXPECT_EQ(FakeDocker::UnreachableRegistry("127.0.0.1:1"), kUnreachableRegistryMessage);
  EXPECT_EQ(StartFailure::ExecNotFound("/nonexistent").message,
            ExecNotFoundMessage("/nonexistent"));
}

}  // namespace
}  // namespace berth::testing
