// The pause program's relay on its own, in the real dockerd: a pause
// container in relay mode on a network of this test's, pointed at a peer on
// the network's gateway (where Berth listens for the relay) that reads each
// connection to its EOF and then sends it all back. So
// every byte must cross the relay both ways, the client's half-close must
// reach the peer (or the peer never answers), and the peer's EOF must reach
// the client (or the client never ends). Transfers are far larger than the
// relay's buffers, so it must apply backpressure rather than drop or
// reorder anything.
//
// Everything is labelled berth.test.id=<this test> and removed in TearDown
// (containers, then the network and the images). The test fails, never
// skips, without a daemon.

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "docker_backend/curl_docker_client.h"
#include "docker_backend/pause_image.h"
#include "tests/support/berth_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/text_files.h"

namespace berth::testing {
namespace {

// The relay's peer: on `address` (an IPv4 of this host), each connection
// is read to its EOF, then all of it is sent back and the connection
// closed; one thread per connection. (Not busybox's `nc -ll`, whose listen
// backlog is 2: 20 connections at once overflow it, and the kernel then
// resets some of them, which the relay rightly passes on.)
class EchoPeer {
 public:
  explicit EchoPeer(const std::string& address) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    ::inet_pton(AF_INET, address.c_str(), &at.sin_addr);
    socklen_t size = sizeof(at);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&at), size) != 0 ||
        ::listen(listener_, 512) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&at), &size) != 0) {
      ADD_FAILURE() << "the peer cannot listen on " << address;
      return;
    }
    port_ = ntohs(at.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  EchoPeer(const EchoPeer&) = delete;
  EchoPeer& operator=(const EchoPeer&) = delete;
  ~EchoPeer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    ::close(listener_);
    const std::lock_guard lock(mutex_);
    for (auto& t : connections_) t.join();
  }
  int port() const { return port_; }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      // A client that never half-closes cannot hold the test forever.
      const timeval limit{60, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
      const std::lock_guard lock(mutex_);
      connections_.emplace_back([fd] { Echo(fd); });
    }
  }
  static void Echo(int fd) {
    std::string received;
    char buffer[65536];
    for (ssize_t got; (got = ::read(fd, buffer, sizeof(buffer))) > 0;) {
      received.append(buffer, static_cast<size_t>(got));
    }
    for (size_t sent = 0; sent < received.size();) {
      const ssize_t n = ::send(fd, received.data() + sent, received.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    ::close(fd);
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;
};

class PauseImageRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const CommandResult info = Docker({"info", "--format", "{{.ServerVersion}}"});
    docker_ready_ = info.exit_code == 0;
    ASSERT_EQ(info.exit_code, 0) << "`docker info` failed; these tests need a running dockerd "
                                    "(CI starts one):\n"
                                 << info.err;
    id_ = "pause-relay-" + std::to_string(::getpid());
    const char* host = std::getenv("DOCKER_HOST");
    client_ = std::make_unique<docker::CurlDockerClient>(
        docker::DockerEndpoint::FromDockerHost(host == nullptr ? "" : host));
  }

  void TearDown() override {
    if (!docker_ready_) return;
    const std::string label = "label=berth.test.id=" + id_;
    for (const auto& id : Lines(Docker({"ps", "-aq", "--filter", label}).out)) {
      Docker({"rm", "-f", id});
    }
    Docker({"network", "rm", network_});
    Docker({"rmi", "-f", pause_tag_, busybox_tag_});
    EXPECT_EQ(Docker({"ps", "-aq", "--filter", label}).out, "");
    EXPECT_EQ(Docker({"network", "ls", "-q", "--filter", label}).out, "");
    EXPECT_EQ(Docker({"images", "-q", "--filter", label}).out, "");
  }

  static CommandResult Docker(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"docker"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunDockerCommand(argv, {}, "", 120);
  }
  std::string DockerOk(const std::vector<std::string>& args) {
    const CommandResult r = Docker(args);
    EXPECT_EQ(r.exit_code, 0) << "docker " << Join(args) << "\n" << r.out << r.err;
    return Trim(r.out);
  }

  // An image FROM scratch with this machine's static busybox as /bin/busybox
  // (its shell runs every applet).
  void BuildBusybox() {
    const std::string context = work_.path() + "/busybox";
    std::filesystem::create_directories(context);
    std::filesystem::copy_file("/bin/busybox", context + "/busybox");
    WriteFile(context + "/Dockerfile", "FROM scratch\nLABEL berth.test=1 berth.test.id=" + id_ +
                                           "\nCOPY busybox /bin/busybox\nENV PATH=/bin\n"
                                           "ENTRYPOINT [\"/bin/busybox\", \"sh\", \"-c\"]\n");
    DockerOk({"build", "-q", "--force-rm", "-t", busybox_tag_, context});
  }

  // Starts the pause program as `/pause relay <peer> <port>` on the test's
  // network, with the capability Berth gives it; waits for its ready line.
  std::string StartRelay(const std::string& peer, int port) {
    return StartPause({"relay", peer, std::to_string(port)}, "berth-pause: ready");
  }

  // Starts the pause program with `command` on the test's network, with the
  // capability Berth gives it; waits for the line `expected`.
  std::string StartPause(const std::vector<std::string>& command, const std::string& expected) {
    client_->LoadImage(docker::PauseImageTar(pause_tag_, {{"berth.test.id", id_}}));
    docker::ContainerSpec spec;
    spec.name = id_ + "-pause";
    spec.image = pause_tag_;
    spec.labels = {{"berth.test", "1"}, {"berth.test.id", id_}};
    spec.network_mode = network_;
    spec.command = command;
    spec.cap_add = {"NET_ADMIN"};
    const std::string id = client_->CreateContainer(spec);
    client_->StartContainer(id);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::string output;
    while (std::chrono::steady_clock::now() < deadline) {
      output = client_->ContainerOutput(id);
      if (output.find(expected) != std::string::npos) return id;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the pause program did not print " << expected << ": " << output;
    return id;
  }

  bool docker_ready_ = false;
  std::string id_;
  std::string network_ = "berth-test-" + std::to_string(::getpid()) + "-relay";
  std::string pause_tag_ = "berth-test/pause:relay-" + std::to_string(::getpid());
  std::string busybox_tag_ = "berth-test/busybox:relay-" + std::to_string(::getpid());
  TempDir work_;
  std::unique_ptr<docker::CurlDockerClient> client_;
};

TEST_F(PauseImageRelayTest, RelaysEveryByteBothWaysWithHalfCloseOnManyConnectionsAtOnce) {
  // Given a peer that answers each connection, once its client half-closed,
  // with everything the client sent
  BuildBusybox();
  DockerOk({"network", "create", "--label", "berth.test=1", "--label", "berth.test.id=" + id_,
            network_});
  const std::string gateway =
      DockerOk({"network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", network_});
  ASSERT_FALSE(gateway.empty());
  const EchoPeer peer(gateway);
  ASSERT_NE(peer.port(), 0);
  // and a relay to it
  const std::string pause = StartRelay(gateway, peer.port());

  // When 20 clients in the relay's namespace send 2 MB each at once to
  // 169.254.170.2:80 (port 80 reaches the relay through its DNAT rule)
  const std::string script = R"sh(set -e
mkdir -p /tmp
tries=0
until echo ping | nc 169.254.170.2 80 | grep -q ping; do  # until the peer listens
  tries=$((tries + 1)); [ $tries -lt 100 ] || exit 9; sleep 0.1
done
for i in $(seq 1 20); do head -c 2000000 /dev/urandom >/tmp/sent$i; done
for i in $(seq 1 20); do nc 169.254.170.2 80 </tmp/sent$i >/tmp/got$i & done
wait
same=0
for i in $(seq 1 20); do
  if cmp -s /tmp/sent$i /tmp/got$i; then same=$((same + 1)); else
    echo "client $i got $(wc -c </tmp/got$i) bytes: $(cmp /tmp/sent$i /tmp/got$i 2>&1)" >&2
  fi
done
echo "same=$same"
)sh";
  const CommandResult run =
      Docker({"run", "--rm", "--label", "berth.test=1", "--label", "berth.test.id=" + id_,
              "--network", "container:" + pause, busybox_tag_, script});

  // Then every client got back exactly what it sent
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(Trim(run.out), "same=20") << run.err;
  // And the relay still runs, and still stops at once with exit code 0
  ASSERT_TRUE(client_->InspectContainer(pause).running);
  const auto before = std::chrono::steady_clock::now();
  client_->StopContainer(pause, 10);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(2));
  const docker::ContainerState state = client_->InspectContainer(pause);
  EXPECT_EQ(state.status, "exited");
  EXPECT_EQ(state.exit_code, 0);
}

TEST_F(PauseImageRelayTest, WithoutARelayTheAddressIsStillLocalAndRefusesInsideTheNamespace) {
  // Given the pause program where Berth cannot serve the endpoints
  BuildBusybox();
  DockerOk({"network", "create", "--label", "berth.test=1", "--label", "berth.test.id=" + id_,
            network_});
  const std::string pause = StartPause({"local"}, "berth-pause: no-endpoints: not relayed");

  // When a container in its namespace looks up and connects to 169.254.170.2
  const CommandResult run = Docker(
      {"run", "--rm", "--label", "berth.test=1", "--label", "berth.test.id=" + id_, "--network",
       "container:" + pause, busybox_tag_,
       "ip route get 169.254.170.2; if echo x | nc -w 2 169.254.170.2 80; then echo reached; "
       "else echo refused; fi"});

  // Then the address is local to that namespace, and nothing answers there
  // (the connection is refused inside it, never sent to the host)
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out.rfind("local 169.254.170.2 dev lo", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("refused"), std::string::npos) << run.out << run.err;
  EXPECT_EQ(run.out.find("reached"), std::string::npos) << run.out;
  // And it stops at once with exit code 0
  client_->StopContainer(pause, 10);
  EXPECT_EQ(client_->InspectContainer(pause).exit_code, 0);
}

}  // namespace
}  // namespace berth::testing
