// FakeDocker's own features, beyond the DockerApi contract that the
// conformance suite checks: call recording, injected errors, scripted
// container behaviour, port and address bookkeeping.

#include "tests/fakes/fake_docker.h"

#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docker_backend/pause_image.h"
#include "tests/fakes/expect_docker_error.h"

namespace berth::testing {
namespace {

using docker::ContainerSpec;
using docker::ContainerState;
using docker::DockerError;
using docker::PortBinding;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class FakeDockerTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.AddImage("app:1"); }

  ContainerSpec Spec(const std::string& name) {
    ContainerSpec spec;
    spec.name = name;
    spec.image = "app:1";
    spec.labels = {{"task", "t1"}};
    return spec;
  }

  FakeDocker fake_;
};

TEST_F(FakeDockerTest, RecordsEveryCallWithItsArguments) {
  // When a task's containers go through their life
  fake_.Ping();
  fake_.ImageExists("app:1");
  fake_.PullImage("app:1", "e30=");
  const std::string id = fake_.CreateContainer(Spec("web"));
  fake_.StartContainer(id);
  fake_.ListContainers({"task=t1"});
  fake_.InspectContainer("web");
  fake_.StopContainer("web", 30);
  fake_.RemoveContainer(id);
  fake_.CreateNetwork("net", "10.1.2.0/24", "10.1.2.1", {});
  fake_.RemoveNetwork("net");
  // Then the calls are listed in order
  EXPECT_THAT(
      fake_.CallStrings(),
      ElementsAre("Ping()", "ImageExists(app:1)", "PullImage(app:1, e30=)", "CreateContainer(web)",
                  "StartContainer(" + id + ")", "ListContainers(task=t1)", "InspectContainer(web)",
                  "StopContainer(web, 30)", "RemoveContainer(" + id + ")",
                  "CreateNetwork(net, 10.1.2.0/24, 10.1.2.1)", "RemoveNetwork(net)"));
  EXPECT_EQ(fake_.CallsTo("StopContainer"),
            (std::vector<DockerCall>{{"StopContainer", {"web", "30"}}}));
  // And the spec is kept for inspection without a recorded call
  fake_.ClearCalls();
  EXPECT_EQ(fake_.SpecOf("web"), std::nullopt);  // removed
  EXPECT_THAT(fake_.Calls(), IsEmpty());
}

TEST_F(FakeDockerTest, MutatingCallsLeaveReadsOut) {
  const std::string id = fake_.CreateContainer(Spec("web"));
  fake_.StartContainer(id);
  fake_.ClearCalls();
  // A converged reconcile pass only reads.
  fake_.ListContainers({"task=t1"});
  fake_.InspectContainer(id);
  fake_.ImageExists("app:1");
  EXPECT_THAT(fake_.MutatingCalls(), IsEmpty());
  fake_.StopContainer(id, 1);
  EXPECT_THAT(fake_.MutatingCalls(), ElementsAre(DockerCall{"StopContainer", {id, "1"}}));
}

TEST_F(FakeDockerTest, FailNextFailsThatManyCallsWithoutTouchingState) {
  // Given two injected start failures
  const std::string id = fake_.CreateContainer(Spec("web"));
  fake_.FailNext("StartContainer", DockerError(500, "boom"), 2);
  // Then two starts fail (and are recorded), leaving the container created
  EXPECT_DOCKER_ERROR(fake_.StartContainer(id), 500, "boom");
  EXPECT_DOCKER_ERROR(fake_.StartContainer(id), 500, "boom");
  EXPECT_EQ(fake_.InspectContainer(id).status, "created");
  // And the third works
  fake_.StartContainer(id);
  EXPECT_TRUE(fake_.InspectContainer(id).running);
  EXPECT_EQ(fake_.CallsTo("StartContainer").size(), 3u);
}

TEST_F(FakeDockerTest, FailAlwaysLastsUntilCleared) {
  fake_.FailAlways("ListContainers", DockerError(500, "busy"));
  EXPECT_THROW(fake_.ListContainers({}), DockerError);
  EXPECT_THROW(fake_.ListContainers({}), DockerError);
  fake_.ClearFailures();
  EXPECT_THAT(fake_.ListContainers({}), IsEmpty());
}

TEST_F(FakeDockerTest, AnUnreachableDaemonFailsEveryCallWithStatusZero) {
  fake_.SetUnreachable(true);
  EXPECT_FALSE(fake_.Ping());  // never throws, like CurlDockerClient
  try {
    fake_.CreateContainer(Spec("web"));
    ADD_FAILURE() << "no error";
  } catch (const DockerError& e) {
    EXPECT_TRUE(e.unreachable());
    EXPECT_EQ(std::string(e.what()), FakeDocker::Unreachable().what());
  }
  EXPECT_EQ(fake_.IdOf("web"), std::nullopt);
  // An injected status-0 error on one call is the same thing.
  fake_.SetUnreachable(false);
  fake_.FailNext("Ping", FakeDocker::Unreachable());
  EXPECT_FALSE(fake_.Ping());
  EXPECT_TRUE(fake_.Ping());
}

TEST_F(FakeDockerTest, ScriptedProcessesExitOrAreOomKilled) {
  fake_.ScriptContainer("exits", {.exit_on_start = 2});
  fake_.ScriptContainer("oom", {.oom_on_start = true});
  const std::string exits = fake_.CreateContainer(Spec("exits"));
  const std::string oom = fake_.CreateContainer(Spec("oom"));
  fake_.StartContainer(exits);
  fake_.StartContainer(oom);
  const ContainerState exited = fake_.InspectContainer(exits);
  EXPECT_EQ(exited.status, "exited");
  EXPECT_EQ(exited.exit_code, 2);
  EXPECT_FALSE(exited.oom_killed);
  const ContainerState killed = fake_.InspectContainer(oom);
  EXPECT_EQ(killed.exit_code, 137);
  EXPECT_TRUE(killed.oom_killed);

  // And running containers exit or die when the test says so
  const std::string a = fake_.CreateContainer(Spec("aa"));
  const std::string b = fake_.CreateContainer(Spec("bb"));
  fake_.StartContainer(a);
  fake_.StartContainer(b);
  fake_.ExitContainer("aa", 1);
  fake_.OomKill(b);
  EXPECT_EQ(fake_.InspectContainer(a).exit_code, 1);
  EXPECT_TRUE(fake_.InspectContainer(b).oom_killed);
  // A restart clears the OOM flag.
  fake_.StartContainer(b);
  EXPECT_FALSE(fake_.InspectContainer(b).oom_killed);
}

TEST_F(FakeDockerTest, SignalsActAsTheScriptSays) {
  // Given a process that exits 143 on SIGTERM, and a PID 1 that ignores it
  fake_.ScriptContainer("polite", {.stop_exit_code = 143});
  fake_.ScriptContainer("deaf", {.ignores_stop_signal = true});
  const std::string polite = fake_.CreateContainer(Spec("polite"));
  const std::string deaf = fake_.CreateContainer(Spec("deaf"));
  fake_.StartContainer(polite);
  fake_.StartContainer(deaf);
  // Then signals that are ignored by default change nothing
  fake_.KillContainer(polite, "SIGCHLD");
  EXPECT_TRUE(fake_.InspectContainer(polite).running);
  // And SIGTERM (by any of Docker's spellings) ends only the polite one
  fake_.KillContainer(polite, "term");
  fake_.KillContainer(deaf, "15");
  EXPECT_EQ(fake_.InspectContainer(polite).exit_code, 143);
  EXPECT_TRUE(fake_.InspectContainer(deaf).running);
  // And a stop SIGKILLs the deaf one after its timeout
  fake_.StopContainer(deaf, 10);
  EXPECT_EQ(fake_.InspectContainer(deaf).exit_code, 137);
  EXPECT_DOCKER_ERROR(fake_.KillContainer(deaf, "99"), 400, "Invalid signal: 99");
  EXPECT_DOCKER_ERROR(fake_.KillContainer("nosuch", "SIGBOGUS"), 400, "Invalid signal: SIGBOGUS");
}

TEST_F(FakeDockerTest, HealthFollowsTheScriptAndTheTest) {
  ContainerSpec checked = Spec("checked");
  checked.health_check = docker::HealthCheck{{"CMD-SHELL", "true"}, 1000000000, 1000000000, 0, 3};
  const std::string id = fake_.CreateContainer(checked);
  const std::string plain = fake_.CreateContainer(Spec("plain"));
  fake_.StartContainer(id);
  fake_.StartContainer(plain);
  EXPECT_EQ(fake_.InspectContainer(id).health, "starting");
  EXPECT_EQ(fake_.InspectContainer(plain).health, "");
  fake_.SetHealth(id, "healthy");
  EXPECT_EQ(fake_.InspectContainer(id).health, "healthy");
  fake_.SetHealth(id, "unhealthy");
  EXPECT_EQ(fake_.InspectContainer(id).health, "unhealthy");
  fake_.SetHealth(plain, "healthy");  // no check: nothing to report
  EXPECT_EQ(fake_.InspectContainer(plain).health, "");
  // Docker reports a stopped container that had a check as unhealthy.
  fake_.SetHealth(id, "healthy");
  fake_.StopContainer(id, 10);
  EXPECT_EQ(fake_.InspectContainer(id).health, "unhealthy");
  // A scripted start health.
  fake_.ScriptContainer("checked", {.health_on_start = "healthy"});
  fake_.StartContainer(id);
  EXPECT_EQ(fake_.InspectContainer(id).health, "healthy");
}

TEST_F(FakeDockerTest, ScriptedStartFailuresLookLikeTheDaemons) {
  fake_.ScriptContainer("broken", {.start_failure = StartFailure::ExecNotFound("/app")});
  const std::string id = fake_.CreateContainer(Spec("broken"));
  const std::string message =
      "failed to create shim task: OCI runtime create failed: runc create failed: unable to "
      "start container process: exec: \"/app\": stat /app: no such file or directory: unknown";
  EXPECT_DOCKER_ERROR(fake_.StartContainer(id), 400, message);
  const ContainerState state = fake_.InspectContainer(id);
  EXPECT_EQ(state.status, "created");
  EXPECT_EQ(state.error, message);
  EXPECT_EQ(state.exit_code, 127);
  EXPECT_EQ(state.started_at, FakeDocker::kNever);
  // Once the script is lifted, the start works and clears the error.
  fake_.ScriptContainer("broken", {});
  fake_.StartContainer(id);
  EXPECT_EQ(fake_.InspectContainer(id).error, "");
}

TEST_F(FakeDockerTest, HostPortsArePickedOnEveryStartAndFixedOnesConflict) {
  // Given a container with an ephemeral and a fixed port
  ContainerSpec web = Spec("web");
  web.ports = {PortBinding{80, "tcp", "127.0.0.1", 0}, PortBinding{81, "tcp", "127.0.0.1", 18081}};
  const std::string id = fake_.CreateContainer(web);
  fake_.StartContainer(id);
  const ContainerState first = fake_.InspectContainer(id);
  ASSERT_EQ(first.ports.size(), 2u);
  EXPECT_EQ(first.ports[0].host_port, 32768);
  EXPECT_EQ(first.ports[1].host_port, 18081);
  // When another container wants the fixed port, its start fails
  ContainerSpec other = Spec("other");
  other.ports = {PortBinding{8080, "tcp", "127.0.0.1", 18081}};
  const std::string other_id = fake_.CreateContainer(other);
  try {
    fake_.StartContainer(other_id);
    ADD_FAILURE() << "no conflict";
  } catch (const DockerError& e) {
    EXPECT_EQ(e.http_status(), 500);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("Bind for 127.0.0.1:18081 failed: port is "
                                               "already allocated"));
    EXPECT_THAT(e.what(), ::testing::StartsWith("driver failed programming external "
                                                "connectivity on endpoint other ("));
  }
  EXPECT_EQ(fake_.InspectContainer(other_id).exit_code, 128);
  // And after a restart the ephemeral port is a new one, the fixed one kept
  fake_.StopContainer(id, 1);
  fake_.StartContainer(other_id);  // the port is free now
  fake_.StopContainer(other_id, 1);
  fake_.StartContainer(id);
  const ContainerState second = fake_.InspectContainer(id);
  EXPECT_EQ(second.ports[0].host_port, 32769);
  EXPECT_EQ(second.ports[1].host_port, 18081);
  // Empty host ip means all addresses, as Docker reports it.
  ContainerSpec any = Spec("any");
  any.ports = {PortBinding{80, "udp", "", 0}};
  fake_.StartContainer(fake_.CreateContainer(any));
  EXPECT_EQ(fake_.InspectContainer("any").ports[0].host_ip, "0.0.0.0");
  EXPECT_EQ(fake_.InspectContainer("any").ports[0].protocol, "udp");
}

TEST_F(FakeDockerTest, PullsSucceedUnlessScripted) {
  fake_.PullImage("localhost:5000/repo:1", "");
  EXPECT_TRUE(fake_.ImageExists("localhost:5000/repo:1"));
  fake_.PullImage("localhost:5000/plain", "");
  EXPECT_TRUE(fake_.ImageExists("localhost:5000/plain:latest"));

  fake_.FailPull("localhost:5000/nosuch:1", 404,
                 FakeDocker::ManifestUnknown("localhost:5000/nosuch:1"));
  EXPECT_DOCKER_ERROR(fake_.PullImage("localhost:5000/nosuch:1", ""), 404,
                      "manifest for localhost:5000/nosuch:1 not found: manifest unknown: "
                      "manifest unknown");
  EXPECT_FALSE(fake_.ImageExists("localhost:5000/nosuch:1"));
  EXPECT_DOCKER_ERROR(fake_.PullImage("localhost:5000/Upper:1", ""), 400,
                      "invalid reference format: repository name must be lowercase");
  EXPECT_EQ(FakeDocker::UnreachableRegistry("localhost:1"),
            "Get \"http://localhost:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused");
}

TEST_F(FakeDockerTest, ImagesAreFoundByReferenceOrId) {
  const std::string id = fake_.AddImage("tools");
  EXPECT_TRUE(fake_.ImageExists("tools:latest"));
  EXPECT_TRUE(fake_.ImageExists(id));
  EXPECT_TRUE(fake_.ImageExists(id.substr(7, 12)));
  EXPECT_FALSE(fake_.ImageExists("tools:2"));
}

TEST_F(FakeDockerTest, LoadedImagesKeepTheirConfig) {
  // Given the pause image, loaded
  fake_.LoadImage(docker::PauseImageTar("berth-test/pause:x"));
  EXPECT_THAT(fake_.CallStrings(), ElementsAre("LoadImage(berth-test/pause:x)"));
  // Then a container needs no command (the entrypoint is the image's), and
  // carries the image's labels
  ContainerSpec pause;
  pause.name = "pause";
  pause.image = "berth-test/pause:x";
  const std::string id = fake_.CreateContainer(pause);
  EXPECT_EQ(fake_.InspectContainer(id).labels.at("berth.managed"), "1");
  EXPECT_TRUE(fake_.InspectContainer(id).env.empty());
  // And a bad archive is recorded as such
  EXPECT_THROW(fake_.LoadImage("junk"), DockerError);
  EXPECT_EQ(fake_.CallStrings().back(), "LoadImage(<invalid>)");
}

TEST_F(FakeDockerTest, LayersAlreadyLoadedAreNotReadAgain) {
  // Given an archive whose layer bytes no longer match its diff_id
  std::string corrupt = docker::PauseImageTar("berth-test/pause:y");
  const std::size_t elf =
      corrupt.find(std::string("\x7f"
                               "ELF",
                               4));
  ASSERT_NE(elf, std::string::npos);
  corrupt[elf + 200] = static_cast<char>(corrupt[elf + 200] ^ 0x5a);
  // Then it is refused while the layer is new
  EXPECT_THROW(fake_.LoadImage(corrupt), DockerError);
  EXPECT_FALSE(fake_.ImageExists("berth-test/pause:y"));
  // But once the real layer is loaded, the daemon trusts its layer store
  // and never reads the bytes (dockerd 20.10 does the same)
  fake_.LoadImage(docker::PauseImageTar("berth-test/pause:x"));
  fake_.LoadImage(corrupt);
  EXPECT_TRUE(fake_.ImageExists("berth-test/pause:y"));
}

TEST_F(FakeDockerTest, CreateValidatesLikeTheDaemon) {
  FakeImageConfig no_cmd;
  no_cmd.cmd.clear();
  fake_.AddImage("bare:1", no_cmd);
  ContainerSpec bare = Spec("bare");
  bare.image = "bare:1";
  EXPECT_DOCKER_ERROR(fake_.CreateContainer(bare), 400, "No command specified");
  EXPECT_DOCKER_ERROR(fake_.CreateContainer(Spec("bad/name")), 400,
                      "Invalid container name (bad/name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                      "allowed");
  EXPECT_DOCKER_ERROR(fake_.CreateContainer(Spec("x")), 400,
                      "Invalid container name (x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  ContainerSpec joined = Spec("joined");
  joined.network_mode = "container:whatever";
  joined.hostname = "h";
  EXPECT_DOCKER_ERROR(fake_.CreateContainer(joined), 400,
                      "conflicting options: hostname and the network mode");
  joined.hostname.clear();
  joined.extra_hosts = {"a:1.2.3.4"};
  EXPECT_DOCKER_ERROR(fake_.CreateContainer(joined), 400,
                      "conflicting options: custom host-to-IP mapping and the network mode");
  joined.extra_hosts.clear();
  // A missing target is accepted at create and refused at start.
  const std::string id = fake_.CreateContainer(joined);
  EXPECT_DOCKER_ERROR(fake_.StartContainer(id), 404, "No such container: whatever");
  ContainerSpec small = Spec("small");
  small.memory_bytes = 1024 * 1024;
  EXPECT_DOCKER_ERROR(fake_.CreateContainer(small), 400, "Minimum memory limit allowed is 6MB");
  ContainerSpec bad_check = Spec("check");
  bad_check.health_check = docker::HealthCheck{{"CMD", "true"}, 5, 0, 0, 1};
  EXPECT_DOCKER_ERROR(fake_.CreateContainer(bad_check), 400,
                      "Interval in Healthcheck cannot be less than 1ms");
  ContainerSpec lost = Spec("lost");
  lost.network_mode = "nosuchnet";
  EXPECT_DOCKER_ERROR(fake_.CreateContainer(lost), 404, "network nosuchnet not found");
}

TEST_F(FakeDockerTest, ContainersAreFoundByIdPrefixAndName) {
  const std::string id = fake_.CreateContainer(Spec("web"));
  EXPECT_EQ(fake_.InspectContainer(id.substr(0, 12)).id, id);
  EXPECT_EQ(fake_.InspectContainer("/web").id, id);
  EXPECT_EQ(fake_.IdOf("web"), id);
  EXPECT_EQ(fake_.SpecOf(id)->labels.at("task"), "t1");
  EXPECT_EQ(fake_.ContainerIds(), std::vector<std::string>{id});
}

TEST_F(FakeDockerTest, AddressesComeFromTheNetwork) {
  // A network without a subnet gets the next default pool.
  const std::string net = fake_.CreateNetwork("net", "", "", {});
  ContainerSpec a = Spec("aa");
  a.network_mode = "net";
  fake_.StartContainer(fake_.CreateContainer(a));
  EXPECT_EQ(fake_.InspectContainer("aa").ip_address, "172.18.0.2");
  // On the default bridge, addresses are automatic only.
  ContainerSpec fixed = Spec("fixed");
  fixed.network_ip = "172.17.0.50";
  const std::string fixed_id = fake_.CreateContainer(fixed);
  EXPECT_DOCKER_ERROR(fake_.StartContainer(fixed_id), 400,
                      "user specified IP address is supported on user defined networks only");
  // On a user network a fixed address must be free and inside the subnet.
  ContainerSpec b = Spec("bb");
  b.network_mode = net;
  b.network_ip = "172.18.0.2";
  EXPECT_DOCKER_ERROR(fake_.StartContainer(fake_.CreateContainer(b)), 403,
                      "Address already in use");
  ContainerSpec c = Spec("cc");
  c.network_mode = "net";
  c.network_ip = "10.9.9.9";
  EXPECT_DOCKER_ERROR(fake_.StartContainer(fake_.CreateContainer(c)), 500,
                      "Invalid address 10.9.9.9: It does not belong to any of this network's "
                      "subnets");
  // The address is released on stop.
  fake_.StopContainer("aa", 1);
  fake_.StartContainer("bb");
  EXPECT_EQ(fake_.InspectContainer("bb").ip_address, "172.18.0.2");
  EXPECT_DOCKER_ERROR(fake_.RemoveNetwork("bridge"), 403,
                      "bridge is a pre-defined network and cannot be removed");
  EXPECT_EQ(fake_.NetworkIds(), std::vector<std::string>{net});
}

TEST_F(FakeDockerTest, TimestampsAreDeterministic) {
  const std::string id = fake_.CreateContainer(Spec("web"));
  fake_.StartContainer(id);
  fake_.StopContainer(id, 1);
  const ContainerState state = fake_.InspectContainer(id);
  EXPECT_EQ(state.started_at, "2026-01-01T00:00:01Z");
  EXPECT_EQ(state.finished_at, "2026-01-01T00:00:02Z");
}

TEST_F(FakeDockerTest, MayBeUsedFromSeveralThreads) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string name = "w" + std::to_string(t) + "-" + std::to_string(i);
        fake_.StartContainer(fake_.CreateContainer(Spec(name)));
        fake_.ListContainers({"task=t1"});
        fake_.RemoveContainer(name);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_THAT(fake_.ContainerIds(), IsEmpty());
  EXPECT_EQ(fake_.CallsTo("CreateContainer").size(), 200u);
}

}  // namespace
}  // namespace berth::testing
