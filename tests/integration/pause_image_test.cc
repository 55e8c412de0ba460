// The embedded pause image in the real dockerd: it loads without a registry,
// its id is the sha256 of its config (so it is the same everywhere), it runs
// until told to stop, and as PID 1 it still exits 0 at once on SIGTERM or
// SIGINT (a PID 1 without handlers would ignore `docker stop` for the whole
// timeout and die with 137).
//
// The image is loaded under a tag and labels of this test's own (never
// kPauseImage, which a berth under test may be using) and removed in
// TearDown with everything else labelled berth.test.id=<this test>. The
// tests fail, never skip, without a daemon.

#include "docker_backend/pause_image.h"

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "docker_backend/curl_docker_client.h"
#include "server/util/crypto.h"
#include "tests/fakes/expect_docker_error.h"
#include "tests/fakes/ustar_reader.h"
#include "tests/support/subprocess.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class PauseImageIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const CommandResult info = Docker({"info", "--format", "{{.ServerVersion}}"});
    docker_ready_ = info.exit_code == 0;
    ASSERT_EQ(info.exit_code, 0) << "`docker info` failed; these tests need a running dockerd "
                                    "(CI starts one):\n"
                                 << info.err;
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    id_ = "pause-" + name + "-" + std::to_string(::getpid());
    tag_ = "berth-test/pause:" + id_;
    const char* host = std::getenv("DOCKER_HOST");
    client_ = std::make_unique<docker::CurlDockerClient>(
        docker::DockerEndpoint::FromDockerHost(host == nullptr ? "" : host));
  }

  void TearDown() override {
    if (!docker_ready_) return;
    const std::string label = "label=berth.test.id=" + id_;
    std::istringstream ids(Docker({"ps", "-aq", "--filter", label}).out);
    for (std::string id; std::getline(ids, id);) Docker({"rm", "-f", id});
    Docker({"rmi", "-f", tag_});
    EXPECT_EQ(Docker({"ps", "-aq", "--filter", label}).out, "");
    EXPECT_EQ(Docker({"images", "-q", "--filter", label}).out, "");
  }

  static CommandResult Docker(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"docker"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunDockerCommand(argv, {}, "", 60);
  }

  std::map<std::string, std::string> Labels() const {
    return {{"berth.test", "1"}, {"berth.test.id", id_}};
  }

  // Loads the image and starts a container from it; returns its id.
  std::string StartPause() {
    client_->LoadImage(docker::PauseImageTar(tag_, Labels()));
    docker::ContainerSpec spec;
    spec.name = "berth-" + id_;
    spec.image = tag_;
    spec.labels = Labels();
    const std::string id = client_->CreateContainer(spec);
    client_->StartContainer(id);
    return id;
  }

  bool docker_ready_ = false;
  std::string id_;
  std::string tag_;
  std::unique_ptr<docker::CurlDockerClient> client_;
};

TEST_F(PauseImageIntegrationTest, LoadsWithADeterministicIdAndTheExpectedConfig) {
  // Given the archive
  const std::string tar = docker::PauseImageTar(tag_, Labels());
  ASSERT_FALSE(client_->ImageExists(tag_));
  // When it is loaded
  client_->LoadImage(tar);
  ASSERT_TRUE(client_->ImageExists(tag_));
  // Then the daemon's image id is the sha256 of config.json, and the config
  // is what Berth wrote
  const CommandResult inspected = Docker({"image", "inspect", tag_});
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  const json image = json::parse(inspected.out).at(0);
  const std::vector<TarEntry> entries = ReadUstar(tar);
  EXPECT_EQ(image["Id"], "sha256:" + crypto::Sha256Hex(FindEntry(entries, "config.json")->data));
  EXPECT_EQ(image["Architecture"], docker::HostArchitecture());
  EXPECT_EQ(image["Os"], "linux");
  EXPECT_EQ(image["Created"], docker::kPauseImageCreated);
  EXPECT_EQ(image["Config"]["Entrypoint"], json::array({"/pause"}));
  EXPECT_EQ(image["Config"]["Labels"]["berth.managed"], "1");
  EXPECT_EQ(image["RepoTags"], json::array({tag_}));
  EXPECT_EQ(image["Size"], static_cast<std::int64_t>(docker::PauseBinary().size()));
}

TEST_F(PauseImageIntegrationTest, RunsUntilStoppedThenExitsZeroWithinTwoSeconds) {
  // Given a running pause container
  const std::string id = StartPause();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  docker::ContainerState state = client_->InspectContainer(id);
  ASSERT_TRUE(state.running) << "status " << state.status << ", exit " << state.exit_code
                             << ", error " << state.error;
  EXPECT_EQ(state.status, "running");
  EXPECT_EQ(state.labels.at("berth.managed"), "1");

  // When it is stopped with a 10 s grace period
  const auto before = std::chrono::steady_clock::now();
  client_->StopContainer(id, 10);
  const auto took = std::chrono::steady_clock::now() - before;

  // Then it exits on SIGTERM at once, with code 0 (not 137 after 10 s)
  EXPECT_LT(took, std::chrono::seconds(2))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  state = client_->InspectContainer(id);
  EXPECT_EQ(state.status, "exited");
  EXPECT_EQ(state.exit_code, 0);
  EXPECT_FALSE(state.oom_killed);

  // And it can be removed
  client_->RemoveContainer(id);
  EXPECT_DOCKER_ERROR(client_->InspectContainer(id), 404, "No such container: " + id);
}

TEST_F(PauseImageIntegrationTest, ExitsZeroOnSigint) {
  const std::string id = StartPause();
  ASSERT_TRUE(client_->InspectContainer(id).running);
  const CommandResult killed = Docker({"kill", "--signal", "SIGINT", id});
  ASSERT_EQ(killed.exit_code, 0) << killed.err;
  docker::ContainerState state = client_->InspectContainer(id);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (state.running && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    state = client_->InspectContainer(id);
  }
  EXPECT_EQ(state.status, "exited");
  EXPECT_EQ(state.exit_code, 0);
}

}  // namespace
}  // namespace berth::testing
