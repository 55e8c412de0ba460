// NetnsEngine (tests/support/netns_engine.h), the extra Docker engine in a network namespace of
// its own: its containers answer on the engine's address through the veth, it reaches the host's
// end of the veth and nothing else, two engines live side by side, and nothing of one is left
// once it is destroyed, even after its daemon was killed under running containers.
//
// The tests need root and the host's engine (it builds the busybox image loaded into each
// engine); they fail, never skip, without them.

#include "tests/support/netns_engine.h"

#include <algorithm>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <netinet/in.h>
#include <set>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/util/crypto.h"
#include "tests/support/berth_server.h"
#include "tests/support/busybox_image.h"
#include "tests/support/free_port.h"
#include "tests/support/text_files.h"

namespace berth::testing {
namespace {

class NetnsEngineTest : public ::testing::Test {
 protected:
  using Clock = std::chrono::steady_clock;
  using json = nlohmann::json;

  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "NetnsEngine needs root: it creates network namespaces";
    const CommandResult info =
        RunCommand({"docker", "info", "--format", "{{.ServerVersion}}"}, {}, "", 60);
    ASSERT_EQ(info.exit_code, 0) << "`docker info` failed; the host's engine builds the test "
                                    "image:\n"
                                 << info.err;
  }

  void TearDown() override {
    for (const auto& tag : tags_) RunCommand({"docker", "rmi", "-f", tag}, {}, "", 120);
    const CommandResult images = RunCommand(
        {"docker", "images", "-aq", "--filter", "label=berth.test.id=" + id_}, {}, "", 60);
    EXPECT_EQ(images.out, "") << "images of this test left in the host's engine";
  }

  // A busybox image built FROM scratch in the host's engine, offline: /bin/busybox and /bin/sh
  // (the shell runs every applet), /www/index.html = `page`, and as its command a SIGTERM-aware
  // httpd on port 8080. Returns its tag.
  std::string BuildImage(const std::string& page) {
    const std::string tag = "berth-test-netns-" + id_ + "-" + std::to_string(tags_.size());
    const std::filesystem::path context = std::filesystem::path(work_.path()) / ("ctx-" + tag);
    WriteBusyboxImageContext(context, id_, page, 8080);
    tags_.push_back(tag);
    const CommandResult built = RunDockerCommand(
        {"docker", "build", "-q", "--force-rm", "-t", tag, context.string()}, {}, "", 300);
    EXPECT_EQ(built.exit_code, 0) << built.out << built.err;
    return tag;
  }

  // Runs `args` in `engine` and expects success; returns stdout.
  static std::string DockerOk(const NetnsEngine& engine, const std::vector<std::string>& args) {
    const CommandResult r = engine.Docker(args);
    EXPECT_EQ(r.exit_code, 0) << "docker " << Join(args) << "in " << engine.name()
                              << "\nstdout: " << r.out << "\nstderr: " << r.err;
    return Trim(r.out);
  }

  // GETs `url` from the host until it answers 200 (at most `seconds`).
  static HttpReply Fetch(const std::string& url, double seconds = 20) {
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    HttpReply reply;
    do {
      reply = Curl(url, {"--noproxy", "*", "--max-time", "5"});
      if (reply.status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (Clock::now() < deadline);
    return reply;
  }

  static double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

  // An IPv4 address of the host other than its end of any veth and loopback: that of the device
  // of its default route when it has one.
  static std::string OtherHostAddress() {
    const json routes = json::parse(
        RunCommand({"ip", "-j", "-4", "route", "show", "default"}, {}, "", 30).out, nullptr, false);
    std::string device;
    if (routes.is_array() && !routes.empty()) device = routes[0].value("dev", "");
    const json links =
        json::parse(RunCommand({"ip", "-j", "-4", "addr", "show"}, {}, "", 30).out, nullptr, false);
    for (const auto& link : links.is_array() ? links : json::array()) {
      const std::string name = link.value("ifname", "");
      if (name == "lo" || name.starts_with("beng") || (!device.empty() && name != device)) continue;
      for (const auto& address : link.value("addr_info", json::array())) {
        if (address.contains("local")) return address["local"].get<std::string>();
      }
    }
    return "";
  }

  // --- What is left of an engine, looked for without NetnsEngine's help ------------------------

  static bool IsZombie(const std::filesystem::path& process) {
    const std::string stat_line = ReadFile(process / "stat");
    const auto close = stat_line.rfind(')');
    return close != std::string::npos && close + 2 < stat_line.size() &&
           stat_line[close + 2] == 'Z';
  }

  // One line per netns, veth, mount, process, cgroup or directory of the engine still there.
  static std::vector<std::string> LeftoversOf(const std::string& name, const std::string& directory,
                                              const std::string& veth) {
    std::vector<std::string> left;
    for (const auto& line : Lines(RunCommand({"ip", "netns", "list"}, {}, "", 30).out)) {
      if (line.substr(0, line.find(' ')) == name) left.push_back("netns " + line);
    }
    if (RunCommand({"ip", "link", "show", veth}, {}, "", 30).exit_code == 0) {
      left.push_back("veth " + veth);
    }
    for (const auto& line : Lines(ReadFile("/proc/self/mountinfo"))) {
      std::istringstream fields(line);
      std::string id, parent, device, root, point;
      fields >> id >> parent >> device >> root >> point;
      if (point == directory || point.starts_with(directory + "/")) left.push_back("mount " + line);
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
      const std::string pid = entry.path().filename().string();
      if (pid.find_first_not_of("0123456789") != std::string::npos || IsZombie(entry.path())) {
        continue;
      }
      std::string cmdline = ReadFile(entry.path() / "cmdline");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      const std::string cgroup = ReadFile(entry.path() / "cgroup");
      if (cmdline.find(directory) != std::string::npos ||
          (" " + cmdline).find(" " + name + " ") != std::string::npos ||
          cgroup.find("/" + name + "/") != std::string::npos ||
          cgroup.find("/" + name + "\n") != std::string::npos) {
        left.push_back("process " + pid + ": " + cmdline);
      }
    }
    for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
      if (std::filesystem::exists(hierarchy.path() / name)) {
        left.push_back("cgroup " + (hierarchy.path() / name).string());
      }
    }
    if (std::filesystem::exists("/sys/fs/cgroup/" + name)) left.push_back("cgroup " + name);
    if (std::filesystem::exists(directory)) left.push_back("directory " + directory);
    return left;
  }

  // The live processes in the engine's cgroup parent: its containers'.
  static int ContainerProcessesOf(const std::string& name) {
    int count = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
      const std::string cgroup = ReadFile(entry.path() / "cgroup");
      if (cgroup.find("/" + name + "/") != std::string::npos && !IsZombie(entry.path())) ++count;
    }
    return count;
  }

  const std::string id_ = crypto::RandomHex(8);
  TempDir work_;
  std::vector<std::string> tags_;
};

TEST_F(NetnsEngineTest, ARunningContainerAnswersOnThePublishedPortThroughTheVeth) {
  const auto started = Clock::now();
  NetnsEngine engine;
  ASSERT_TRUE(engine.ready()) << engine.failure();
  std::cout << engine.name() << " ready in " << Seconds(Clock::now() - started) << " s at "
            << engine.engine_address() << " (host end " << engine.host_address() << ", "
            << engine.host_veth() << ")\n";
  const std::string page = "served by a container of " + engine.name() + " " + id_ + "\n";
  const std::string image = BuildImage(page);
  const CommandResult loaded = engine.LoadFromHost(image);
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;

  DockerOk(engine, {"run", "-d", "-p", engine.engine_address() + ":8080:8080", image});
  const HttpReply reply = Fetch("http://" + engine.engine_address() + ":8080/");
  EXPECT_EQ(reply.status, 200) << reply.headers;
  EXPECT_EQ(reply.body, page);

  // The daemon on its TCP endpoint, to curl and to the docker CLI.
  const HttpReply ping = Curl("http://" + engine.engine_address() + ":2375/_ping",
                              {"--noproxy", "*", "--max-time", "10"});
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(ping.body, "OK");
  const CommandResult remote =
      RunCommand({"docker", "-H", engine.tcp_endpoint(), "ps", "-q"}, {}, "", 60);
  EXPECT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_EQ(Lines(remote.out).size(), 1u) << remote.out;
}

TEST_F(NetnsEngineTest, AContainerReachesTheHostsEndOfTheVethAndNothingBeyond) {
  NetnsEngine engine;
  ASSERT_TRUE(engine.ready()) << engine.failure();
  const std::string image = BuildImage("unused\n");
  const CommandResult loaded = engine.LoadFromHost(image);
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;

  // A page on the host, on every address of it.
  const std::string page = "served by the host " + id_ + "\n";
  const std::filesystem::path www = std::filesystem::path(work_.path()) / "host-www";
  std::filesystem::create_directories(www);
  WriteFile(www / "index.html", page);
  const std::string port = std::to_string(FreePort(INADDR_ANY));
  ChildProcess server({"busybox", "httpd", "-f", "-p", port, "-h", www.string()}, {},
                      work_.path() + "/httpd.log");
  ASSERT_EQ(Fetch("http://127.0.0.1:" + port + "/").status, 200) << "the host's httpd";

  const auto get = [&](const std::string& address) {
    return engine.Docker({"run", "--rm", image, "sh", "-c",
                          "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 " + address + " " + port},
                         60);
  };
  const CommandResult near = get(engine.host_address());
  EXPECT_EQ(near.exit_code, 0) << near.err;
  EXPECT_NE(near.out.find(page), std::string::npos) << near.out;

  const std::string other = OtherHostAddress();
  ASSERT_FALSE(other.empty()) << "the host has no other IPv4 address";
  const CommandResult beyond = get(other);
  EXPECT_NE(beyond.exit_code, 0) << "reached " << other << ":\n" << beyond.out;
  EXPECT_EQ(beyond.out.find(page), std::string::npos);

  // No default route: the /30 of the veth and the engine's own bridge only.
  const json routes = json::parse(
      RunCommand({"ip", "-n", engine.name(), "-j", "-4", "route"}, {}, "", 30).out, nullptr, false);
  ASSERT_TRUE(routes.is_array());
  for (const auto& route : routes) {
    EXPECT_NE(route.value("dst", ""), "default") << route.dump();
    EXPECT_TRUE(route.value("dev", "") == "eth0" || route.value("dev", "") == "docker0")
        << route.dump();
  }
}

TEST_F(NetnsEngineTest, NothingIsLeftAfterAKilledDaemon) {
  std::string name, directory, veth;
  {
    NetnsEngine engine;
    name = engine.name();
    directory = engine.directory();
    veth = engine.host_veth();
    ASSERT_TRUE(engine.ready()) << engine.failure();
    const std::string image = BuildImage("killed\n");
    const CommandResult loaded = engine.LoadFromHost(image);
    ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
    DockerOk(engine, {"run", "-d", "-p", engine.engine_address() + ":8080:8080", image});
    DockerOk(engine, {"run", "-d", image, "busybox", "sleep", "100000"});
    ASSERT_EQ(Fetch("http://" + engine.engine_address() + ":8080/").status, 200);

    engine.KillDaemon();
    EXPECT_FALSE(engine.ready());
    EXPECT_NE(engine.Docker({"ps"}, 20).exit_code, 0) << "dockerd still answers";
    // As after a crash, the containers live on in their shims: sh and httpd, and sleep.
    EXPECT_EQ(ContainerProcessesOf(name), 3);
    EXPECT_FALSE(LeftoversOf(name, directory, veth).empty());
  }
  EXPECT_EQ(LeftoversOf(name, directory, veth), std::vector<std::string>{});
}

TEST_F(NetnsEngineTest, RestartAfterAKilledDaemonServesAgainOnTheSameRoots) {
  NetnsEngine engine;
  ASSERT_TRUE(engine.ready()) << engine.failure();
  const std::string page = "after the restart " + id_ + "\n";
  const std::string image = BuildImage(page);
  const CommandResult loaded = engine.LoadFromHost(image);
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  const std::string container = DockerOk(engine, {"run", "-d", "--restart", "always", "-p",
                                                  engine.engine_address() + ":8080:8080", image});

  engine.KillDaemon();
  ASSERT_TRUE(engine.Restart()) << engine.failure();
  // The same data root: the image and the container are still known, and the container, to be
  // restarted always, runs again.
  EXPECT_FALSE(DockerOk(engine, {"images", "-q", image}).empty());
  const HttpReply reply = Fetch("http://" + engine.engine_address() + ":8080/", 30);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, page);
  EXPECT_EQ(DockerOk(engine, {"inspect", "--format", "{{.State.Running}}", container}), "true");
}

TEST_F(NetnsEngineTest, TwoEnginesAtOnceGetDistinctAddressesAndBothWork) {
  NetnsEngine first;
  NetnsEngine second;
  ASSERT_TRUE(first.ready()) << first.failure();
  ASSERT_TRUE(second.ready()) << second.failure();
  EXPECT_NE(first.name(), second.name());
  EXPECT_NE(first.directory(), second.directory());
  EXPECT_NE(first.host_veth(), second.host_veth());
  const std::set<std::string> addresses = {first.host_address(), first.engine_address(),
                                           second.host_address(), second.engine_address()};
  EXPECT_EQ(addresses.size(), 4u);

  // Their bridges and the networks they create are their own, and not the host engine's.
  std::vector<std::string> subnets;
  for (const NetnsEngine* engine : {&first, &second}) {
    const std::string format = "{{range .IPAM.Config}}{{.Subnet}}{{end}}";
    subnets.push_back(DockerOk(*engine, {"network", "inspect", "--format", format, "bridge"}));
    DockerOk(*engine, {"network", "create", "net-" + id_});
    subnets.push_back(DockerOk(*engine, {"network", "inspect", "--format", format, "net-" + id_}));
  }
  EXPECT_EQ(std::set<std::string>(subnets.begin(), subnets.end()).size(), 4u) << Join(subnets);
  const CommandResult host_networks =
      RunCommand({"sh", "-c",
                  "docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' "
                  "$(docker network ls -q)"},
                 {}, "", 60);
  for (const auto& subnet : subnets) {
    EXPECT_EQ(host_networks.out.find(subnet), std::string::npos) << subnet;
  }

  // Both serve a page of their own at their own address.
  const std::string image = BuildImage("unused\n");
  for (const NetnsEngine* engine : {&first, &second}) {
    const CommandResult loaded = engine->LoadFromHost(image);
    ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
    DockerOk(*engine,
             {"run", "-d", "-p", engine->engine_address() + ":8080:8080", image, "sh", "-c",
              "echo " + engine->name() + " > /www/index.html; httpd -f -p 8080 -h /www"});
  }
  for (const NetnsEngine* engine : {&first, &second}) {
    const HttpReply reply = Fetch("http://" + engine->engine_address() + ":8080/");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body, engine->name() + "\n");
  }
}

TEST_F(NetnsEngineTest, RemoveLeftoversClearsTheEngineOfADeadProcess) {
  const std::string image = BuildImage("orphaned\n");
  // Close-on-exec: the child's dockerd must not hold the pipe open.
  int channel[2];
  ASSERT_EQ(pipe2(channel, O_CLOEXEC), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A test process with an engine and a running container, which then waits to be killed.
    close(channel[0]);
    NetnsEngine engine;
    std::string report;
    if (!engine.ready()) {
      report = "not ready: " + engine.failure();
    } else if (const CommandResult r = engine.LoadFromHost(image); r.exit_code != 0) {
      report = "not loaded: " + r.err;
    } else if (const CommandResult run = engine.Docker({"run", "-d", image}); run.exit_code != 0) {
      report = "not run: " + run.err;
    } else {
      report = engine.name() + "\n" + engine.directory() + "\n" + engine.host_veth() + "\n";
    }
    const ssize_t written = write(channel[1], report.data(), report.size());
    close(channel[1]);
    if (written == static_cast<ssize_t>(report.size())) pause();
    _exit(1);
  }
  close(channel[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t n; (n = read(channel[0], buffer, sizeof(buffer))) > 0;) {
    report.append(buffer, static_cast<size_t>(n));
  }
  close(channel[0]);
  const std::vector<std::string> parts = Lines(report);
  const bool reported = parts.size() == 3 && !LeftoversOf(parts[0], parts[1], parts[2]).empty();
  // Killed as by a test runner's timeout: no destructor runs, the engine lives on, orphaned.
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(reported) << report;

  // (Another test process starting an engine now may remove it first: as good.)
  NetnsEngine::RemoveLeftovers();
  EXPECT_EQ(LeftoversOf(parts[0], parts[1], parts[2]), std::vector<std::string>{});
}

}  // namespace
}  // namespace berth::testing
