#pragma once

// The DockerApi contract as one typed GoogleTest suite, run against every
// implementation (distribution's storage driver testsuites): FakeDocker in
// the unit binary docker_fake_tests, CurlDockerClient against the real
// dockerd in integration_tests. Whatever the fake does differently from the
// daemon shows up here as a failure on one side.
//
// Include this header in exactly one .cc per binary (it defines the tests)
// and instantiate it with an environment type:
//   INSTANTIATE_TYPED_TEST_SUITE_P(Fake, DockerApiConformanceTest,
//                                  ::testing::Types<FakeDockerEnv>);
//
// An environment `Env` provides:
//   static void SetUpTestSuite(); static void TearDownTestSuite();
//   static std::string SuiteProblem();   // "" when usable; else every test fails with it
//   docker::DockerApi& api();
//   docker::DockerApi& api2();           // another client of the same daemon
//   std::string ShellImage();            // present; has /bin/sh and /bin/busybox
//   // What a test's container will do, for an environment that runs no
//   // processes (the fake); the real daemon ignores it and runs them.
//   void WillBehave(const std::string& container_name, const ScriptedProcess& process);
//   void WillFailPull(const std::string& image, int http_status, const std::string& message);
//   // Removes what a test left: containers and networks labelled
//   // berth.test.id=<test_id>, and the image tags it loaded.
//   void CleanUp(const std::string& test_id, const std::vector<std::string>& image_tags);
//
// Every object a test creates carries berth.test=1 and berth.test.id=<a
// per-test id> (tests of several processes may share one daemon), and
// TearDown removes it.

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "docker_backend/docker_api.h"
#include "docker_backend/pause_image.h"
#include "docker_backend/types.h"
#include "tests/fakes/expect_docker_error.h"

namespace berth::testing {

// What a container's process does once started, for environments that
// script it instead of running it.
struct ScriptedProcess {
  std::optional<int> exit_on_start = std::nullopt;  // exits at once with this code
  struct StartError {
    int http_status = 0;
    std::string message;
    int exit_code = 0;
  };
  std::optional<StartError> start_error = std::nullopt;  // the start fails
  int stop_exit_code = 0;                                // exit code after StopContainer
  // What it writes when it starts (the real daemon runs the command).
  std::vector<std::pair<docker::LogSource, std::string>> output = {};
};

// Texts the daemon produces (reference/docker-engine-api.md), shared by the
// tests and the fake's environment.
inline constexpr const char* kUnreachableRegistryImage = "127.0.0.1:1/berth-test/missing:latest";
inline constexpr const char* kUnreachableRegistryMessage =
    "Get \"http://127.0.0.1:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused";
inline std::string ExecNotFoundMessage(const std::string& path) {
  return "failed to create shim task: OCI runtime create failed: runc create failed: unable to "
         "start container process: exec: \"" +
         path + "\": stat " + path + ": no such file or directory: unknown";
}

template <typename Env>
class DockerApiConformanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Env::SetUpTestSuite(); }
  static void TearDownTestSuite() { Env::TearDownTestSuite(); }

  void SetUp() override {
    ASSERT_EQ(Env::SuiteProblem(), "");
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->name()) + "-" + std::to_string(::getpid());
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0
                 ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                 : '-';
    });
    test_id_ = "conf-" + name;
    env_.emplace();
  }

  void TearDown() override {
    if (env_) env_->CleanUp(test_id_, image_tags_);
  }

  docker::DockerApi& api() { return env_->api(); }
  // A second client to the same daemon, for use on another thread
  // (implementations serve one thread at a time).
  docker::DockerApi& api2() { return env_->api2(); }
  Env& env() { return *env_; }

  std::map<std::string, std::string> TestLabels() const {
    return {{"berth.test", "1"}, {"berth.test.id", test_id_}};
  }
  std::string TestLabelFilter() const { return "berth.test.id=" + test_id_; }
  // A container name of this test's own.
  std::string Name(const std::string& suffix) const { return "berth-" + test_id_ + "-" + suffix; }

  // A long-running busybox container spec (docker-init forwards SIGTERM, so
  // a stop takes well under a second and exits 143).
  docker::ContainerSpec SleeperSpec(const std::string& suffix) {
    docker::ContainerSpec spec;
    spec.name = Name(suffix);
    spec.image = env_->ShellImage();
    spec.command = std::vector<std::string>{"/bin/busybox", "sleep", "300"};
    spec.init = true;
    spec.labels = TestLabels();
    env_->WillBehave(spec.name, ScriptedProcess{.stop_exit_code = 143});
    return spec;
  }

  // Loads the pause image under a tag (and labels) of this test's own.
  std::string LoadPauseImage() {
    const std::string tag = "berth-test/pause:" + test_id_;
    image_tags_.push_back(tag);
    api().LoadImage(docker::PauseImageTar(tag, TestLabels()));
    return tag;
  }

  // Creates a network on a free /24 of 10.215.0.0/16 (tests in other
  // processes may hold some); returns {id, "10.215.N."}.
  std::pair<std::string, std::string> CreateTestNetwork(const std::string& suffix) {
    for (int attempt = 0; attempt < 250; ++attempt) {
      const int third = (::getpid() + attempt) % 250 + 1;
      const std::string prefix = "10.215." + std::to_string(third) + ".";
      try {
        const std::string id =
            api().CreateNetwork(Name(suffix), prefix + "0/24", prefix + "1", TestLabels());
        return {id, prefix};
      } catch (const docker::DockerError& e) {
        if (e.http_status() != 403) throw;  // 403: the pool overlaps; try the next
      }
    }
    ADD_FAILURE() << "no free /24 in 10.215.0.0/16";
    return {};
  }

  // Inspects until the container is no longer running (10 s at most).
  docker::ContainerState WaitUntilExited(const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    docker::ContainerState state = api().InspectContainer(id);
    while (state.running && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      state = api().InspectContainer(id);
    }
    return state;
  }

  // One line StreamLogs delivered, kept.
  struct Line {
    int64_t timestamp_ns = 0;
    docker::LogSource source = docker::LogSource::kStdout;
    std::string text;
    bool partial = false;
  };
  // The container's log from `since` as StreamLogs delivers it without
  // following.
  std::vector<Line> ReadLogs(const std::string& id, int64_t since = 0) {
    std::vector<Line> lines;
    const bool ended = this->api().StreamLogs(
        id, since, /*follow=*/false,
        [&lines](const docker::LogLine& l) {
          lines.push_back({l.timestamp_ns, l.source, std::string(l.text), l.partial});
        },
        [] { return true; });
    EXPECT_TRUE(ended);
    return lines;
  }
  static std::vector<std::string> TextsOf(const std::vector<Line>& lines,
                                          docker::LogSource source) {
    std::vector<std::string> texts;
    for (const auto& l : lines) {
      if (l.source == source) texts.push_back(l.text);
    }
    return texts;
  }

  static std::vector<std::string> NamesOf(const std::vector<docker::ContainerSummary>& list) {
    std::vector<std::string> names;
    for (const auto& c : list) names.push_back(c.name);
    return names;
  }

  std::string test_id_;
  std::vector<std::string> image_tags_;
  std::optional<Env> env_;
};

TYPED_TEST_SUITE_P(DockerApiConformanceTest);

TYPED_TEST_P(DockerApiConformanceTest, PingAnswers) { EXPECT_TRUE(this->api().Ping()); }

TYPED_TEST_P(DockerApiConformanceTest, InfoDescribesTheHost) {
  const docker::EngineInfo info = this->api().Info();
  EXPECT_EQ(info.os_type, "linux");
  EXPECT_FALSE(info.architecture.empty());
  EXPECT_FALSE(info.server_version.empty());
  EXPECT_GE(info.cpus, 1);
  EXPECT_GE(info.memory_bytes, int64_t{256} << 20);
}

TYPED_TEST_P(DockerApiConformanceTest, ImageExistsTellsPresentFromMissing) {
  EXPECT_TRUE(this->api().ImageExists(this->env().ShellImage()));
  EXPECT_FALSE(this->api().ImageExists("berth-test/nosuch:" + this->test_id_));
  // A repository without a tag means :latest.
  EXPECT_FALSE(this->api().ImageExists("berth-test/nosuch-" + this->test_id_));
}

TYPED_TEST_P(DockerApiConformanceTest, LoadImageLoadsThePauseArchiveIdempotently) {
  // Given a pause archive under a tag of this test's own
  const std::string tag = "berth-test/pause:" + this->test_id_;
  this->image_tags_.push_back(tag);
  ASSERT_FALSE(this->api().ImageExists(tag));
  const std::string tar = docker::PauseImageTar(tag, this->TestLabels());
  // When it is loaded twice
  this->api().LoadImage(tar);
  this->api().LoadImage(tar);
  // Then the image is there, with the pause labels
  EXPECT_TRUE(this->api().ImageExists(tag));
  docker::ContainerSpec spec;
  spec.name = this->Name("pause");
  spec.image = tag;
  spec.labels = this->TestLabels();
  const std::string id = this->api().CreateContainer(spec);
  const docker::ContainerState state = this->api().InspectContainer(id);
  EXPECT_EQ(state.labels.at("berth.managed"), "1");
  EXPECT_EQ(state.labels.at("berth.test.id"), this->test_id_);
}

TYPED_TEST_P(DockerApiConformanceTest, LoadImageRejectsBadArchivesWithTheDaemonMessage) {
  const std::string tag = "berth-test/pause:" + this->test_id_;
  this->image_tags_.push_back(tag);
  // Not a tar at all: too short for a header, or a block that is no header.
  EXPECT_DOCKER_ERROR(this->api().LoadImage(std::string(100, 'x')), 500,
                      "Error processing tar file(exit status 1): unexpected EOF");
  EXPECT_DOCKER_ERROR(this->api().LoadImage(std::string(1024, 'x')), 500,
                      "Error processing tar file(exit status 1): archive/tar: invalid tar header");
  // A config whose diff_id is not the layer's: the daemon reads the layer
  // (no layer with that id is cached) and refuses the mismatch. The id is
  // zeroed in place, so the tar headers stay valid.
  std::string tar = docker::PauseImageTar(tag, this->TestLabels());
  const std::size_t diff_id = tar.find("\"diff_ids\":[\"sha256:");
  ASSERT_NE(diff_id, std::string::npos);
  const std::size_t hex = diff_id + std::string("\"diff_ids\":[\"sha256:").size();
  const std::string actual = "sha256:" + tar.substr(hex, 64);
  tar.replace(hex, 64, std::string(64, '0'));
  EXPECT_DOCKER_ERROR(this->api().LoadImage(tar), 500,
                      "invalid diffID for layer 0: expected \"sha256:" + std::string(64, '0') +
                          "\", got \"" + actual + "\"");
  EXPECT_FALSE(this->api().ImageExists(tag));
}

TYPED_TEST_P(DockerApiConformanceTest, CreateThenInspectShowsTheSpecAndStartBindsPorts) {
  // Given a container with env, labels and an ephemeral port on 127.0.0.1
  docker::ContainerSpec spec = this->SleeperSpec("web");
  spec.env = {"FOO=bar", "EMPTY="};
  spec.ports = {docker::PortBinding{80, "tcp", "127.0.0.1", 0}};
  const std::string id = this->api().CreateContainer(spec);
  ASSERT_EQ(id.size(), 64u) << id;

  // When inspected before start: created, with no ports or address yet
  docker::ContainerState created = this->api().InspectContainer(id);
  EXPECT_EQ(created.id, id);
  EXPECT_EQ(created.name, spec.name);
  EXPECT_EQ(created.status, "created");
  EXPECT_FALSE(created.running);
  EXPECT_EQ(created.exit_code, 0);
  EXPECT_EQ(created.started_at, "0001-01-01T00:00:00Z");
  EXPECT_TRUE(created.image_id.starts_with("sha256:")) << created.image_id;
  EXPECT_EQ(created.labels.at("berth.test"), "1");
  EXPECT_EQ(created.labels.at("berth.test.id"), this->test_id_);
  EXPECT_NE(std::find(created.env.begin(), created.env.end(), "FOO=bar"), created.env.end());
  EXPECT_NE(std::find(created.env.begin(), created.env.end(), "EMPTY="), created.env.end());
  EXPECT_TRUE(created.ports.empty());
  EXPECT_EQ(created.ip_address, "");
  // By name as well as by id.
  EXPECT_EQ(this->api().InspectContainer(spec.name).id, id);

  // When started: running, the port bound on 127.0.0.1 with a host port,
  // and an address on the default bridge
  this->api().StartContainer(id);
  const docker::ContainerState running = this->api().InspectContainer(id);
  EXPECT_EQ(running.status, "running");
  EXPECT_TRUE(running.running);
  EXPECT_NE(running.started_at, "0001-01-01T00:00:00Z");
  ASSERT_EQ(running.ports.size(), 1u);
  EXPECT_EQ(running.ports[0].container_port, 80);
  EXPECT_EQ(running.ports[0].protocol, "tcp");
  EXPECT_EQ(running.ports[0].host_ip, "127.0.0.1");
  EXPECT_GT(running.ports[0].host_port, 0);
  EXPECT_NE(running.ip_address, "");  // 172.17.0.x with Docker's default bip

  // When stopped: exited, and ports and address are gone
  this->api().StopContainer(id, 10);
  const docker::ContainerState stopped = this->api().InspectContainer(id);
  EXPECT_EQ(stopped.status, "exited");
  EXPECT_TRUE(stopped.ports.empty());
  EXPECT_EQ(stopped.ip_address, "");
}

TYPED_TEST_P(DockerApiConformanceTest, StartAndStopAreIdempotent) {
  const std::string id = this->api().CreateContainer(this->SleeperSpec("twice"));
  this->api().StartContainer(id);
  this->api().StartContainer(id);  // 304: already running
  EXPECT_TRUE(this->api().InspectContainer(id).running);
  this->api().StopContainer(id, 10);
  this->api().StopContainer(id, 10);  // 304: already stopped
  const docker::ContainerState state = this->api().InspectContainer(id);
  EXPECT_EQ(state.status, "exited");
  EXPECT_EQ(state.exit_code, 143);  // SIGTERM through docker-init
  EXPECT_FALSE(state.oom_killed);
  EXPECT_NE(state.finished_at, "0001-01-01T00:00:00Z");
  // And a stopped container starts again.
  this->api().StartContainer(id);
  EXPECT_TRUE(this->api().InspectContainer(id).running);
}

TYPED_TEST_P(DockerApiConformanceTest, StopAndRemoveOfMissingContainersSucceed) {
  this->api().StopContainer(this->Name("nosuch"), 1);
  this->api().RemoveContainer(this->Name("nosuch"));
}

TYPED_TEST_P(DockerApiConformanceTest, KillSignalsWithoutWaitingAndIsIdempotent) {
  // Given two running sleepers (under docker-init, which forwards signals)
  const std::string term_id = this->api().CreateContainer(this->SleeperSpec("term"));
  const std::string kill_id = this->api().CreateContainer(this->SleeperSpec("kill"));
  this->api().StartContainer(term_id);
  this->api().StartContainer(kill_id);
  // When one gets SIGTERM and the other SIGKILL
  this->api().KillContainer(term_id, "SIGTERM");
  this->api().KillContainer(kill_id, "SIGKILL");
  // Then they exit with 143 and 137
  EXPECT_EQ(this->WaitUntilExited(term_id).exit_code, 143);
  const docker::ContainerState killed = this->WaitUntilExited(kill_id);
  EXPECT_EQ(killed.status, "exited");
  EXPECT_EQ(killed.exit_code, 137);
  EXPECT_FALSE(killed.oom_killed);
  // And killing a stopped or missing container is success
  this->api().KillContainer(kill_id, "SIGKILL");
  this->api().KillContainer(this->Name("nosuch"), "SIGTERM");
  // But an unknown signal is refused, running or not
  EXPECT_DOCKER_ERROR(this->api().KillContainer(kill_id, "SIGFOO"), 400, "Invalid signal: SIGFOO");
}

TYPED_TEST_P(DockerApiConformanceTest, RemoveRemovesEvenARunningContainer) {
  const std::string id = this->api().CreateContainer(this->SleeperSpec("doomed"));
  this->api().StartContainer(id);
  this->api().RemoveContainer(id);
  EXPECT_DOCKER_ERROR(this->api().InspectContainer(id), 404, "No such container: " + id);
  this->api().RemoveContainer(id);  // again: missing is success
}

TYPED_TEST_P(DockerApiConformanceTest, CreateWithATakenNameReturnsTheExistingId) {
  const docker::ContainerSpec spec = this->SleeperSpec("same");
  const std::string first = this->api().CreateContainer(spec);
  const std::string second = this->api().CreateContainer(spec);
  EXPECT_EQ(first, second);
  EXPECT_EQ(this->api().ListContainers({this->TestLabelFilter()}).size(), 1u);
}

TYPED_TEST_P(DockerApiConformanceTest, InspectOfAMissingContainerIs404) {
  const std::string name = this->Name("nosuch");
  EXPECT_DOCKER_ERROR(this->api().InspectContainer(name), 404, "No such container: " + name);
  EXPECT_DOCKER_ERROR(this->api().StartContainer(name), 404, "No such container: " + name);
}

TYPED_TEST_P(DockerApiConformanceTest, CreateNeverPulls) {
  docker::ContainerSpec spec = this->SleeperSpec("noimage");
  spec.image = "berth-test/nosuch:" + this->test_id_;
  EXPECT_DOCKER_ERROR(this->api().CreateContainer(spec), 404,
                      "No such image: berth-test/nosuch:" + this->test_id_);
}

TYPED_TEST_P(DockerApiConformanceTest, ListContainersAndsLabelsNewestFirst) {
  // Given two containers of this test with different roles
  docker::ContainerSpec a = this->SleeperSpec("a");
  a.labels["berth.test.role"] = "a";
  docker::ContainerSpec b = this->SleeperSpec("b");
  b.labels["berth.test.role"] = "b";
  const std::string a_id = this->api().CreateContainer(a);
  const std::string b_id = this->api().CreateContainer(b);
  // Then listing by the test label finds both, newest first, running or not
  const auto both = this->api().ListContainers({this->TestLabelFilter()});
  EXPECT_EQ(this->NamesOf(both), (std::vector<std::string>{b.name, a.name}));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].id, b_id);
  EXPECT_EQ(both[0].state, "created");
  EXPECT_EQ(both[0].labels.at("berth.test.role"), "b");
  // And labels are ANDed; a bare key matches any value
  EXPECT_EQ(
      this->NamesOf(this->api().ListContainers({this->TestLabelFilter(), "berth.test.role=a"})),
      std::vector<std::string>{a.name});
  EXPECT_EQ(this->api().ListContainers({this->TestLabelFilter(), "berth.test.role"}).size(), 2u);
  EXPECT_TRUE(this->api().ListContainers({this->TestLabelFilter(), "berth.test.role=c"}).empty());
  this->api().StartContainer(a_id);
  const auto after = this->api().ListContainers({this->TestLabelFilter(), "berth.test.role=a"});
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].state, "running");
}

TYPED_TEST_P(DockerApiConformanceTest, ExitCodeIsReportedAfterTheProcessExits) {
  docker::ContainerSpec spec = this->SleeperSpec("exit3");
  spec.command = std::vector<std::string>{"/bin/sh", "-c", "exit 3"};
  spec.init = false;
  this->env().WillBehave(spec.name, ScriptedProcess{.exit_on_start = 3});
  const std::string id = this->api().CreateContainer(spec);
  this->api().StartContainer(id);
  const docker::ContainerState state = this->WaitUntilExited(id);
  EXPECT_EQ(state.status, "exited");
  EXPECT_FALSE(state.running);
  EXPECT_EQ(state.exit_code, 3);
  EXPECT_FALSE(state.oom_killed);
  EXPECT_EQ(state.error, "");
  EXPECT_NE(state.finished_at, "0001-01-01T00:00:00Z");
  // Stopping an exited container is success and keeps its exit code.
  this->api().StopContainer(id, 1);
  EXPECT_EQ(this->api().InspectContainer(id).exit_code, 3);
}

TYPED_TEST_P(DockerApiConformanceTest, AFailedStartCarriesTheDaemonMessage) {
  docker::ContainerSpec spec = this->SleeperSpec("noexec");
  spec.entrypoint = std::vector<std::string>{"/nonexistent"};
  spec.command.reset();
  spec.init = false;
  const std::string message = ExecNotFoundMessage("/nonexistent");
  this->env().WillBehave(
      spec.name, ScriptedProcess{.start_error = ScriptedProcess::StartError{400, message, 127}});
  const std::string id = this->api().CreateContainer(spec);
  EXPECT_DOCKER_ERROR(this->api().StartContainer(id), 400, message);
  const docker::ContainerState state = this->api().InspectContainer(id);
  EXPECT_EQ(state.status, "created");
  EXPECT_FALSE(state.running);
  EXPECT_EQ(state.error, message);
  EXPECT_EQ(state.exit_code, 127);
}

TYPED_TEST_P(DockerApiConformanceTest, PullFailureCarriesTheDaemonMessage) {
  this->env().WillFailPull(kUnreachableRegistryImage, 500, kUnreachableRegistryMessage);
  EXPECT_DOCKER_ERROR(this->api().PullImage(kUnreachableRegistryImage, ""), 500,
                      kUnreachableRegistryMessage);
}

TYPED_TEST_P(DockerApiConformanceTest, ContainersJoinAnotherContainersNetwork) {
  // Given a pause container on a user network, publishing a port
  const std::string pause_image = this->LoadPauseImage();
  const auto [network_id, prefix] = this->CreateTestNetwork("net");
  ASSERT_FALSE(network_id.empty());
  docker::ContainerSpec pause;
  pause.name = this->Name("pause");
  pause.image = pause_image;
  pause.labels = this->TestLabels();
  pause.network_mode = this->Name("net");
  pause.ports = {docker::PortBinding{8080, "tcp", "127.0.0.1", 0}};
  const std::string pause_id = this->api().CreateContainer(pause);
  this->api().StartContainer(pause_id);
  const docker::ContainerState pause_state = this->api().InspectContainer(pause_id);
  EXPECT_TRUE(pause_state.running);
  EXPECT_TRUE(pause_state.ip_address.starts_with(prefix)) << pause_state.ip_address;
  ASSERT_EQ(pause_state.ports.size(), 1u);
  EXPECT_GT(pause_state.ports[0].host_port, 0);

  // When an app container joins its namespace
  docker::ContainerSpec app = this->SleeperSpec("app");
  app.network_mode = "container:" + pause_id;
  const std::string app_id = this->api().CreateContainer(app);
  this->api().StartContainer(app_id);
  // Then it runs, with no address or ports of its own (read the pause's)
  const docker::ContainerState app_state = this->api().InspectContainer(app_id);
  EXPECT_TRUE(app_state.running);
  EXPECT_EQ(app_state.ip_address, "");
  EXPECT_TRUE(app_state.ports.empty());

  // And publishing ports in that mode is refused at create
  docker::ContainerSpec bad = this->SleeperSpec("bad");
  bad.network_mode = "container:" + pause_id;
  bad.ports = {docker::PortBinding{80, "tcp", "127.0.0.1", 0}};
  EXPECT_DOCKER_ERROR(this->api().CreateContainer(bad), 400,
                      "conflicting options: port publishing and the container type network mode");

  // And a container cannot join a stopped one
  this->api().StopContainer(app_id, 10);
  this->api().StopContainer(pause_id, 10);
  EXPECT_EQ(this->api().InspectContainer(pause_id).exit_code, 0);  // the pause program exits 0
  EXPECT_DOCKER_ERROR(this->api().StartContainer(app_id), 409,
                      "cannot join network of a non running container: " + pause_id);
}

TYPED_TEST_P(DockerApiConformanceTest, NetworksAreIdempotentAndAssignAddresses) {
  // Given a network with a subnet
  const auto [network_id, prefix] = this->CreateTestNetwork("net");
  ASSERT_FALSE(network_id.empty());
  // Creating it again returns the same network
  EXPECT_EQ(this->api().CreateNetwork(this->Name("net"), prefix + "0/24", prefix + "1",
                                      this->TestLabels()),
            network_id);
  // Another network on the same subnet is refused
  EXPECT_DOCKER_ERROR(this->api().CreateNetwork(this->Name("net2"), prefix + "0/24", prefix + "1",
                                                this->TestLabels()),
                      403, "Pool overlaps with other one on this address space");

  // Containers on it get the fixed address, or one from the subnet
  docker::ContainerSpec fixed = this->SleeperSpec("fixed");
  fixed.network_mode = this->Name("net");
  fixed.network_ip = prefix + "7";
  docker::ContainerSpec automatic = this->SleeperSpec("auto");
  automatic.network_mode = network_id;
  const std::string fixed_id = this->api().CreateContainer(fixed);
  const std::string auto_id = this->api().CreateContainer(automatic);
  this->api().StartContainer(fixed_id);
  this->api().StartContainer(auto_id);
  EXPECT_EQ(this->api().InspectContainer(fixed_id).ip_address, prefix + "7");
  const std::string auto_ip = this->api().InspectContainer(auto_id).ip_address;
  EXPECT_TRUE(auto_ip.starts_with(prefix)) << auto_ip;
  EXPECT_NE(auto_ip, prefix + "7");
  EXPECT_NE(auto_ip, prefix + "1");

  // A network with running containers cannot be removed
  EXPECT_DOCKER_ERROR(this->api().RemoveNetwork(network_id), 403,
                      "error while removing network: network " + this->Name("net") + " id " +
                          network_id + " has active endpoints");
  // Once they stopped it can, and removing it again is success
  this->api().StopContainer(fixed_id, 10);
  this->api().StopContainer(auto_id, 10);
  this->api().RemoveNetwork(network_id);
  this->api().RemoveNetwork(network_id);
  this->api().RemoveNetwork(this->Name("never-created"));
}

TYPED_TEST_P(DockerApiConformanceTest, NamedVolumesAreMadeOnFirstUseAndRemovedWhenUnused) {
  // Given two containers mounting one named volume with labels
  const std::string volume = this->Name("vol");
  docker::ContainerSpec writer = this->SleeperSpec("writer");
  writer.volumes.push_back({volume, "/data", false, this->TestLabels()});
  docker::ContainerSpec reader = this->SleeperSpec("reader");
  reader.volumes.push_back({volume, "/data", true, this->TestLabels()});
  const std::string writer_id = this->api().CreateContainer(writer);
  const std::string reader_id = this->api().CreateContainer(reader);

  // Then the volume exists once, found by its labels
  const auto listed = this->api().ListVolumes({this->TestLabelFilter()});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name, volume);
  EXPECT_EQ(listed[0].labels.at("berth.test"), "1");
  EXPECT_TRUE(this->api().ListVolumes({this->TestLabelFilter(), "berth.test=2"}).empty());

  // And it cannot be removed while a container, even a stopped one, uses it
  this->api().RemoveContainer(writer_id);
  EXPECT_DOCKER_ERROR(this->api().RemoveVolume(volume), 409,
                      "remove " + volume + ": volume is in use - [" + reader_id + "]");
  // Once none does it can, and removing it again (or one never made) is success
  this->api().RemoveContainer(reader_id);
  this->api().RemoveVolume(volume);
  this->api().RemoveVolume(volume);
  this->api().RemoveVolume(this->Name("never-made"));
  EXPECT_TRUE(this->api().ListVolumes({this->TestLabelFilter()}).empty());
}

TYPED_TEST_P(DockerApiConformanceTest, EventsReportStartAndDeathOfLabelledContainersAsTheyHappen) {
  // Given a watcher of this test's containers on a thread of its own
  std::mutex mutex;
  std::vector<docker::ContainerEvent> seen;
  std::atomic<bool> watching{true};
  std::atomic<bool> failed{false};
  std::thread watcher([&] {
    try {
      this->api2().WatchContainerEvents(
          {this->TestLabelFilter()},
          [&](const docker::ContainerEvent& event) {
            const std::lock_guard lock(mutex);
            seen.push_back(event);
          },
          [&] { return watching.load(); });
    } catch (const docker::DockerError&) {
      failed = true;
    }
  });
  const auto has = [&](const std::string& action, const std::string& id) {
    const std::lock_guard lock(mutex);
    return std::any_of(seen.begin(), seen.end(), [&](const docker::ContainerEvent& e) {
      return e.action == action && e.id == id;
    });
  };
  const auto wait_for = [&](const std::string& action, const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!has(action, id) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return has(action, id);
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the stream is open

  // When a labelled container starts and exits
  docker::ContainerSpec spec = this->SleeperSpec("evented");
  spec.command = std::vector<std::string>{"/bin/sh", "-c", "exit 4"};
  spec.init = false;
  this->env().WillBehave(spec.name, ScriptedProcess{.exit_on_start = 4});
  const std::string id = this->api().CreateContainer(spec);
  this->api().StartContainer(id);

  // Then both events arrive, with its labels and exit code
  EXPECT_TRUE(wait_for("start", id));
  EXPECT_TRUE(wait_for("die", id));
  {
    const std::lock_guard lock(mutex);
    for (const auto& e : seen) {
      if (e.action != "die" || e.id != id) continue;
      EXPECT_EQ(e.attributes.at("exitCode"), "4");
      EXPECT_EQ(e.attributes.at("berth.test.id"), this->test_id_);
      EXPECT_EQ(e.attributes.at("name"), spec.name);
    }
  }
  // And the watch ends when asked to
  watching = false;
  watcher.join();
  EXPECT_FALSE(failed.load());
}

TYPED_TEST_P(DockerApiConformanceTest, ListNetworksFindsNetworksByLabel) {
  const auto [network_id, prefix] = this->CreateTestNetwork("listed");
  ASSERT_FALSE(network_id.empty());
  const auto found = this->api().ListNetworks({this->TestLabelFilter()});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, network_id);
  EXPECT_EQ(found[0].name, this->Name("listed"));
  EXPECT_EQ(found[0].labels.at("berth.test"), "1");
  EXPECT_TRUE(this->api().ListNetworks({"berth.test.id=none-" + this->test_id_}).empty());
  // Aliases are accepted on a user network
  docker::ContainerSpec aliased = this->SleeperSpec("aliased");
  aliased.network_mode = this->Name("listed");
  aliased.network_aliases = {"svc", "svc.local"};
  const std::string id = this->api().CreateContainer(aliased);
  this->api().StartContainer(id);
  EXPECT_TRUE(this->api().InspectContainer(id).ip_address.starts_with(prefix));
  this->api().RemoveContainer(id);
  this->api().RemoveNetwork(network_id);
}

TYPED_TEST_P(DockerApiConformanceTest, StreamLogsReadsBothOutputsWithTimestamps) {
  // Given a container that wrote to stdout and stderr, then exited
  docker::ContainerSpec spec = this->SleeperSpec("printer");
  spec.command = std::vector<std::string>{"/bin/sh", "-c", "echo one; echo two >&2; echo three"};
  spec.init = false;
  this->env().WillBehave(spec.name,
                         ScriptedProcess{.exit_on_start = 0,
                                         .output = {{docker::LogSource::kStdout, "one\n"},
                                                    {docker::LogSource::kStderr, "two\n"},
                                                    {docker::LogSource::kStdout, "three\n"}}});
  const std::string id = this->api().CreateContainer(spec);
  this->api().StartContainer(id);
  ASSERT_FALSE(this->WaitUntilExited(id).running);

  // When its log is read
  const auto lines = this->ReadLogs(id);
  std::string seen;  // what was read, for a failure's message
  for (const auto& l : lines) {
    seen += std::to_string(l.timestamp_ns) +
            (l.source == docker::LogSource::kStdout ? " out " : " err ") + l.text + "\n";
  }
  SCOPED_TRACE("the log as read:\n" + seen);

  // Then every line is there once, by stream and in order, without its
  // newline, stamped in nanoseconds after 2020 (Docker's read time)
  EXPECT_EQ(this->TextsOf(lines, docker::LogSource::kStdout),
            (std::vector<std::string>{"one", "three"}));
  EXPECT_EQ(this->TextsOf(lines, docker::LogSource::kStderr), std::vector<std::string>{"two"});
  constexpr int64_t k2020 = 1577836800LL * 1'000'000'000;
  int64_t last_stdout = 0;
  for (const auto& l : lines) {
    EXPECT_FALSE(l.partial) << l.text;
    EXPECT_GT(l.timestamp_ns, k2020) << l.text;
    if (l.source != docker::LogSource::kStdout) continue;
    EXPECT_GE(l.timestamp_ns, last_stdout);
    last_stdout = l.timestamp_ns;
  }
  // And `since` is inclusive: from the stamp of "three" on, exactly the
  // lines stamped then or later (stderr is read apart, so "two" may be one)
  const auto tail = this->ReadLogs(id, last_stdout);
  EXPECT_EQ(this->TextsOf(tail, docker::LogSource::kStdout), std::vector<std::string>{"three"});
  int64_t latest = 0;
  size_t from_three = 0;
  for (const auto& l : lines) {
    latest = std::max(latest, l.timestamp_ns);
    if (l.timestamp_ns >= last_stdout) ++from_three;
  }
  EXPECT_EQ(tail.size(), from_three);
  EXPECT_TRUE(this->ReadLogs(id, latest + 1).empty());
}

TYPED_TEST_P(DockerApiConformanceTest, StreamLogsCutsLongLinesAt16KiBLikeDocker) {
  // Given a line of 32,771 bytes, then a last line without a newline
  docker::ContainerSpec spec = this->SleeperSpec("long");
  spec.command = std::vector<std::string>{
      "/bin/sh", "-c",
      "s=x; i=0; while [ $i -lt 15 ]; do s=$s$s; i=$((i+1)); done; echo \"${s}abc\"; "
      "printf last"};
  spec.init = false;
  this->env().WillBehave(spec.name,
                         ScriptedProcess{.exit_on_start = 0,
                                         .output = {{docker::LogSource::kStdout,
                                                     std::string(32768, 'x') + "abc\n" + "last"}}});
  const std::string id = this->api().CreateContainer(spec);
  this->api().StartContainer(id);
  ASSERT_FALSE(this->WaitUntilExited(id).running);

  const auto lines = this->ReadLogs(id);

  // Then Docker cut it into two partial messages of 16 KiB and the rest, all
  // with the first one's stamp; the unfinished last line comes partial
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].text, std::string(16384, 'x'));
  EXPECT_TRUE(lines[0].partial);
  EXPECT_EQ(lines[1].text, std::string(16384, 'x'));
  EXPECT_TRUE(lines[1].partial);
  EXPECT_EQ(lines[2].text, "abc");
  EXPECT_FALSE(lines[2].partial);
  EXPECT_EQ(lines[1].timestamp_ns, lines[0].timestamp_ns);
  EXPECT_EQ(lines[2].timestamp_ns, lines[0].timestamp_ns);
  EXPECT_EQ(lines[3].text, "last");
  EXPECT_TRUE(lines[3].partial);
  EXPECT_GE(lines[3].timestamp_ns, lines[2].timestamp_ns);
}

TYPED_TEST_P(DockerApiConformanceTest, StreamLogsOfATtyContainerIsOneStream) {
  // Given a container with a terminal (which turns "\n" into "\r\n")
  docker::ContainerSpec spec = this->SleeperSpec("tty");
  spec.command = std::vector<std::string>{
      "/bin/sh", "-c",
      "echo out; echo err >&2; s=x; i=0; while [ $i -lt 14 ]; do s=$s$s; i=$((i+1)); done; "
      "echo \"${s}${s}yz\""};
  spec.init = false;
  spec.tty = true;
  this->env().WillBehave(
      spec.name,
      ScriptedProcess{.exit_on_start = 0,
                      .output = {{docker::LogSource::kStdout, "out\n"},
                                 {docker::LogSource::kStderr, "err\n"},
                                 {docker::LogSource::kStdout, std::string(32768, 'x') + "yz\n"}}});
  const std::string id = this->api().CreateContainer(spec);
  this->api().StartContainer(id);
  ASSERT_FALSE(this->WaitUntilExited(id).running);
  EXPECT_TRUE(this->api().InspectContainer(id).tty);

  const auto lines = this->ReadLogs(id);

  // Then everything is stdout, each line keeps the terminal's "\r", and the
  // long line is cut as without a terminal
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(this->TextsOf(lines, docker::LogSource::kStdout),
            (std::vector<std::string>{"out\r", "err\r", std::string(16384, 'x'),
                                      std::string(16384, 'x'), "yz\r"}));
  EXPECT_TRUE(lines[2].partial);
  EXPECT_TRUE(lines[3].partial);
  EXPECT_FALSE(lines[4].partial);
  EXPECT_EQ(lines[4].timestamp_ns, lines[2].timestamp_ns);
}

TYPED_TEST_P(DockerApiConformanceTest, FollowingLogsEndsWhenTheContainerStops) {
  // Given a running container that wrote a line, followed from another
  // client on a thread of its own
  docker::ContainerSpec spec = this->SleeperSpec("followed");
  spec.command =
      std::vector<std::string>{"/bin/sh", "-c", "echo ready; trap 'exit 0' TERM; sleep 300 & wait"};
  spec.init = false;
  this->env().WillBehave(
      spec.name,
      ScriptedProcess{.stop_exit_code = 0, .output = {{docker::LogSource::kStdout, "ready\n"}}});
  const std::string id = this->api().CreateContainer(spec);
  this->api().StartContainer(id);
  std::mutex mutex;
  std::vector<std::string> seen;
  std::atomic<int> result{-1};
  std::thread follower([&] {
    try {
      const bool ended = this->api2().StreamLogs(
          id, 0, /*follow=*/true,
          [&](const docker::LogLine& l) {
            const std::lock_guard lock(mutex);
            seen.emplace_back(l.text);
          },
          [] { return true; });
      result = ended ? 1 : 0;
    } catch (const docker::DockerError&) {
      result = 2;
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const auto has_ready = [&] {
    const std::lock_guard lock(mutex);
    return std::find(seen.begin(), seen.end(), "ready") != seen.end();
  };
  while (!has_ready() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(has_ready());
  EXPECT_EQ(result.load(), -1) << "the follow ended while the container ran";

  // When the container stops, the follow ends by itself
  this->api().StopContainer(id, 10);
  follower.join();
  EXPECT_EQ(result.load(), 1);
  const std::lock_guard lock(mutex);
  EXPECT_EQ(seen, std::vector<std::string>{"ready"});
}

TYPED_TEST_P(DockerApiConformanceTest, FollowingLogsStopsWhenAskedTo) {
  const std::string id = this->api().CreateContainer(this->SleeperSpec("quiet"));
  this->api().StartContainer(id);
  const auto begun = std::chrono::steady_clock::now();
  const bool ended = this->api().StreamLogs(
      id, 0, /*follow=*/true, [](const docker::LogLine&) {},
      [&] { return std::chrono::steady_clock::now() - begun < std::chrono::milliseconds(300); });
  EXPECT_FALSE(ended);
  EXPECT_LT(std::chrono::steady_clock::now() - begun, std::chrono::seconds(3));
  EXPECT_TRUE(this->api().InspectContainer(id).running);
}

TYPED_TEST_P(DockerApiConformanceTest, StreamLogsOfAMissingContainerIs404) {
  const std::string name = this->Name("nosuch");
  EXPECT_DOCKER_ERROR(this->api().StreamLogs(
                          name, 0, false, [](const docker::LogLine&) {}, [] { return true; }),
                      404, "No such container: " + name);
}

REGISTER_TYPED_TEST_SUITE_P(
    DockerApiConformanceTest, PingAnswers, InfoDescribesTheHost, ImageExistsTellsPresentFromMissing,
    LoadImageLoadsThePauseArchiveIdempotently, LoadImageRejectsBadArchivesWithTheDaemonMessage,
    CreateThenInspectShowsTheSpecAndStartBindsPorts, StartAndStopAreIdempotent,
    StopAndRemoveOfMissingContainersSucceed, KillSignalsWithoutWaitingAndIsIdempotent,
    RemoveRemovesEvenARunningContainer, CreateWithATakenNameReturnsTheExistingId,
    InspectOfAMissingContainerIs404, CreateNeverPulls, ListContainersAndsLabelsNewestFirst,
    ExitCodeIsReportedAfterTheProcessExits, AFailedStartCarriesTheDaemonMessage,
    PullFailureCarriesTheDaemonMessage, ContainersJoinAnotherContainersNetwork,
    NetworksAreIdempotentAndAssignAddresses, NamedVolumesAreMadeOnFirstUseAndRemovedWhenUnused,
    EventsReportStartAndDeathOfLabelledContainersAsTheyHappen, ListNetworksFindsNetworksByLabel,
    StreamLogsReadsBothOutputsWithTimestamps, StreamLogsCutsLongLinesAt16KiBLikeDocker,
    StreamLogsOfATtyContainerIsOneStream, FollowingLogsEndsWhenTheContainerStops,
    FollowingLogsStopsWhenAskedTo, StreamLogsOfAMissingContainerIs404);

}  // namespace berth::testing
