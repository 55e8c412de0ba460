// Bad input at start: an address Berth cannot listen on, a data directory it
// cannot use, a volume it cannot write. Each gives one clear line on stderr
// and a non-zero exit, and leaves nothing half-started — for the bare binary
// and for Berth's image. A Docker socket that is not mounted into the
// container is the honest task failure Berth gives without Docker.

#include <filesystem>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "tests/integration/berth_image_fixture.h"
#include "tests/integration/ecs_task_helpers.h"

namespace berth::testing {
namespace {

// Expects `r` to have exited with `exit_code` after exactly one line on
// stderr, which contains `message`.
void ExpectOneLine(const CommandResult& r, int exit_code, const std::string& message) {
  EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
  const std::vector<std::string> lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_NE(lines[0].find(message), std::string::npos) << "wanted: " << message << "\n" << r.err;
}

// A socket listening on 127.0.0.1 (an ephemeral port) while the object lives.
class BusyPort {
 public:
  BusyPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), size) == 0 && listen(fd_, 1) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  BusyPort(const BusyPort&) = delete;
  BusyPort& operator=(const BusyPort&) = delete;
  ~BusyPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// The bare binary.
class StartFailureTest : public ::testing::Test {
 protected:
  CommandResult Berth(const std::vector<std::string>& args, const std::string& as_user = "") {
    std::vector<std::string> argv;
    if (!as_user.empty()) {
      argv = {"setpriv", "--reuid=" + as_user, "--regid=" + as_user, "--clear-groups"};
    }
    argv.push_back(BerthBinary());
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, {}, "", 30);
  }
  TempDir work_;
};

TEST_F(StartFailureTest, AnAddressBerthCannotServeOnStopsItBeforeItTouchesTheDataDir) {
  const std::string data = work_.path() + "/data";
  // 192.0.2.1 (TEST-NET-1, RFC 5737) is on no interface of this machine.
  ExpectOneLine(Berth({"--listen", "192.0.2.1:4566", "--data-dir", data}), 1,
                "berth cannot start: cannot listen on 192.0.2.1:4566: ");
  EXPECT_FALSE(std::filesystem::exists(data)) << "the data directory was made";

  const BusyPort busy;
  ASSERT_NE(busy.port(), 0);
  const std::string address = "127.0.0.1:" + std::to_string(busy.port());
  ExpectOneLine(Berth({"--listen", address, "--data-dir", data}), 1,
                "cannot listen on " + address + ": Address already in use");
  EXPECT_FALSE(std::filesystem::exists(data)) << "the data directory was made";

  ExpectOneLine(Berth({"--listen", "nope", "--data-dir", data}), 2,
                "berth: invalid --listen 'nope': expected HOST:PORT");
  EXPECT_FALSE(std::filesystem::exists(data));
}

TEST_F(StartFailureTest, ADataDirBerthCannotUseStopsItWithOneLine) {
  const std::string file = work_.path() + "/a-file";
  WriteFile(file, "not a directory\n");
  ExpectOneLine(Berth({"--listen", "127.0.0.1:0", "--data-dir", file}), 1,
                "cannot create data directory " + file + ": ");
  ExpectOneLine(Berth({"--listen", "127.0.0.1:0", "--data-dir", file + "/data"}), 1,
                "cannot create data directory " + file + "/data: Not a directory");

  // A directory Berth's user cannot write (root ignores the mode: run as nobody).
  const std::filesystem::path locked = work_.path() + "/locked";
  std::filesystem::create_directories(locked);
  std::filesystem::permissions(work_.path(), std::filesystem::perms::all,
                               std::filesystem::perm_options::add);
  const bool root = geteuid() == 0;
  if (!root)
    std::filesystem::permissions(locked, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::remove);
  const std::string user = root ? "65534" : "";
  ExpectOneLine(Berth({"--listen", "127.0.0.1:0", "--data-dir", locked.string()}, user), 1,
                "data directory " + locked.string() + " is not writable: Permission denied");
  EXPECT_TRUE(std::filesystem::is_empty(locked));
  ExpectOneLine(
      Berth({"--listen", "127.0.0.1:0", "--data-dir", (locked / "new").string()}, user), 1,
      "cannot create data directory " + (locked / "new").string() + ": Permission denied");
  std::filesystem::permissions(locked, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
}

// Berth's image: the same failures inside the container, through `docker run`
// as docker-compose.yml runs it (host network, the data volume).
class ImageStartFailureTest : public BerthImageFixture {
 protected:
  CommandResult Run(const std::vector<std::string>& docker_args,
                    const std::vector<std::string>& berth_args = {}) {
    std::vector<std::string> args = {"run",  "--rm",    "--network",
                                     "host", "--label", "berth.test.id=" + id_};
    args.insert(args.end(), docker_args.begin(), docker_args.end());
    args.push_back(image_);
    args.insert(args.end(), berth_args.begin(), berth_args.end());
    return Docker(args, "", 60);
  }
};

TEST_F(ImageStartFailureTest, BadInputStopsTheContainerWithOneLine) {
  const std::string listen = "BERTH_LISTEN=127.0.0.1:" + std::to_string(port_);
  ExpectOneLine(Run({}, {"--listen", "nope"}), 2,
                "berth: invalid --listen 'nope': expected HOST:PORT");
  ExpectOneLine(Run({"-e", "BERTH_LISTEN=127.0.0.1:notaport"}), 2,
                "berth: invalid BERTH_LISTEN='127.0.0.1:notaport': expected HOST:PORT");

  // An address the host does not have: nothing is written to the volume.
  const std::string volume = "berth-test-" + id_ + "-data";
  DockerOk({"volume", "create", "--label", "berth.test.id=" + id_, volume});
  ExpectOneLine(Run({"-v", volume + ":/var/lib/berth"}, {"--listen", "192.0.2.1:4566"}), 1,
                "berth cannot start: cannot listen on 192.0.2.1:4566: ");
  // (the image has no shell: a static busybox from the host lists the volume)
  EXPECT_EQ(DockerOk({"run", "--rm", "-v", volume + ":/data", "-v", "/bin/busybox:/busybox:ro",
                      "--entrypoint", "/busybox", image_, "ls", "-A", "/data"}),
            "");

  // A volume Berth cannot write: mounted read-only, or owned by another user.
  ExpectOneLine(Run({"-e", listen, "-v", volume + ":/var/lib/berth:ro"}), 1,
                "data directory /var/lib/berth is not writable: Read-only file system");
  ExpectOneLine(Run({"-e", listen, "--user", "65534:65534", "-v", volume + ":/var/lib/berth"}), 1,
                "data directory /var/lib/berth is not writable: Permission denied");
  // A data directory that is a file.
  ExpectOneLine(Run({"-e", listen}, {"--data-dir", "/usr/local/bin/berth"}), 1,
                "cannot create data directory /usr/local/bin/berth: ");
}

TEST_F(ImageStartFailureTest, WithoutTheDockerSocketTasksFailHonestly) {
  // docker-compose.yml without its socket line: Berth serves the API and
  // says why tasks cannot run.
  const std::string berth =
      Trim(DockerOk({"run", "-d", "--network", "host", "--label", "berth.test.id=" + id_, "-e",
                     "BERTH_LISTEN=127.0.0.1:" + std::to_string(port_), image_}));
  ASSERT_TRUE(WaitHealthy()) << Docker({"logs", berth}).err;
  Register(FargateTd("nosocket", json::array({Container("main", "busybox:latest", kIdle)})));
  Aws({"ecs", "create-cluster", "--cluster-name", "nosocket"});
  const std::string arn =
      Aws({"ecs", "run-task", "--cluster", "nosocket", "--task-definition", "nosocket",
           "--launch-type", "FARGATE", "--network-configuration",
           R"({"awsvpcConfiguration":{"subnets":["subnet-0berth"]}})"})["tasks"][0]
          .value("taskArn", "");
  const json stopped = WaitStatus("nosocket", arn, "STOPPED", 45);
  EXPECT_EQ(stopped["stopCode"], "TaskFailedToStart");
  EXPECT_TRUE(stopped.value("stoppedReason", "")
                  .starts_with("ResourceInitializationError: cannot reach the Docker daemon"))
      << stopped.dump(2);
  EXPECT_TRUE(IsRunning(berth)) << "berth must keep serving without Docker";
}

}  // namespace
}  // namespace berth::testing
