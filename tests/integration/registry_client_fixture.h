#pragma once

// A fixture for tests that drive the real registry clients (docker, skopeo)
// and the AWS CLI against a real berth on an ephemeral port, with
// `localhost:<port>` as the registry host.
//
// Every image, container and network a test makes carries the labels
// berth.test=1 and berth.test.id=<this test's id> (the id keeps tests that
// run in parallel from pruning each other's images), and TearDown removes
// them by label. Each test has its own DOCKER_CONFIG, so credentials from
// `docker login` never leak between tests. The tests fail, never skip, when
// the docker daemon or a client is missing: CI provides them.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/util/crypto.h"
#include "tests/support/berth_server.h"
#include "tests/support/text_files.h"

namespace berth::testing {

class RegistryClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const CommandResult info =
        RunCommand({"docker", "info", "--format", "{{.ServerVersion}}"}, {}, "", 60);
    docker_ready_ = info.exit_code == 0;
    ASSERT_EQ(info.exit_code, 0) << "`docker info` failed; these tests need a running dockerd "
                                    "(CI starts one):\n"
                                 << info.err;
    const auto clis = AwsClis();
    ASSERT_FALSE(clis.empty()) << "no AWS CLI installed (./dev install installs it)";
    aws_cli_ = clis.front();
    StartBerth();
  }

  void TearDown() override {
    if (!docker_ready_) return;
    const std::string label = "label=berth.test.id=" + id_;
    const CommandResult containers = Docker({"ps", "-aq", "--filter", label});
    for (const auto& container : Lines(containers.out)) Docker({"rm", "-f", container});
    for (const auto& tag : tags_) Docker({"rmi", "-f", tag});
    const CommandResult pruned =
        Prune({"image", "prune", "-a", "-f", "--filter", "label=berth.test=1", "--filter", label});
    EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
    Prune({"network", "prune", "-f", "--filter", "label=berth.test=1", "--filter", label});
    // Nothing of this test is left behind.
    EXPECT_EQ(Docker({"images", "-aq", "--filter", label}).out, "");
    EXPECT_EQ(Docker({"ps", "-aq", "--filter", label}).out, "");
  }

  // A docker prune command, retried while the daemon runs another test's
  // prune (it refuses concurrent ones).
  CommandResult Prune(const std::vector<std::string>& args) {
    CommandResult r;
    for (int attempt = 0; attempt < 100; ++attempt) {
      r = Docker(args);
      if (r.exit_code == 0 || r.err.find("already running") == std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }

  // (Re)starts berth, on `data_dir` when given (else a fresh one).
  void StartBerth(const std::vector<std::string>& args = {}, const std::string& data_dir = "") {
    server_.reset();
    server_ = std::make_unique<BerthServer>(args, data_dir);
  }

  std::string host() const { return "localhost:" + std::to_string(server_->port()); }
  // http://127.0.0.1:<port> + path, for curl.
  std::string Url(const std::string& path) const { return server_->endpoint() + path; }

  // Runs docker with this test's DOCKER_CONFIG.
  CommandResult Docker(const std::vector<std::string>& args, const std::string& input = "",
                       int timeout_seconds = 300) {
    std::vector<std::string> argv = {"docker"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunDockerCommand(argv, {{"DOCKER_CONFIG", docker_config_.path()}}, input,
                            timeout_seconds);
  }
  // Runs docker and expects success; returns stdout.
  std::string DockerOk(const std::vector<std::string>& args, const std::string& input = "") {
    const CommandResult r = Docker(args, input);
    EXPECT_EQ(r.exit_code, 0) << "docker " << Join(args) << "\nstdout: " << r.out
                              << "\nstderr: " << r.err << "\nberth log:\n"
                              << server_->Log();
    return r.out;
  }

  // Runs skopeo (never reading the user's registries.conf credentials).
  CommandResult Skopeo(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"skopeo"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, {{"REGISTRY_AUTH_FILE", docker_config_.path() + "/skopeo-auth.json"}},
                      "", 300);
  }
  std::string SkopeoOk(const std::vector<std::string>& args) {
    const CommandResult r = Skopeo(args);
    EXPECT_EQ(r.exit_code, 0) << "skopeo " << Join(args) << "\nstdout: " << r.out
                              << "\nstderr: " << r.err << "\nberth log:\n"
                              << server_->Log();
    return r.out;
  }

  // Runs the AWS CLI against berth and expects success.
  nlohmann::json Aws(const std::vector<std::string>& args) {
    const AwsResult r = RunAws(aws_cli_, server_->endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << "aws " << Join(args) << "\nstderr: " << r.err;
    return r.json;
  }

  // `aws ecr get-login-password --region us-east-1`.
  std::string LoginPassword() {
    const AwsResult r = RunAws(aws_cli_, server_->endpoint(),
                               {"ecr", "get-login-password", "--region", "us-east-1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Trim(r.out);
  }

  // `aws ecr get-login-password | docker login --username AWS
  // --password-stdin localhost:<port>`: returns docker's exit code.
  int DockerLogin() {
    const CommandResult r =
        Docker({"login", "--username", "AWS", "--password-stdin", host()}, LoginPassword());
    EXPECT_NE(r.out.find("Login Succeeded"), std::string::npos) << r.out << r.err;
    return r.exit_code;
  }

  // Builds an image FROM scratch: Debian's busybox-static serving `page`
  // with httpd on port 80, plus `extra_layers` small files (one layer
  // each). Tags it `tag`; every image and intermediate carries the labels.
  void BuildImage(const std::string& tag, const std::string& page, int extra_layers = 0) {
    const std::filesystem::path context = std::filesystem::path(work_.path()) / ("ctx-" + tag_id());
    std::filesystem::create_directories(context);
    std::filesystem::copy_file("/bin/busybox", context / "busybox",
                               std::filesystem::copy_options::overwrite_existing);
    WriteFile(context / "index.html", page);
    std::string dockerfile = "FROM scratch\nLABEL berth.test=1 berth.test.id=" + id_ + "\n" +
                             "COPY busybox /bin/busybox\nCOPY index.html /www/index.html\n";
    for (int i = 0; i < extra_layers; ++i) {
      const std::string name = "extra-" + std::to_string(i) + ".txt";
      WriteFile(context / name, "extra layer " + std::to_string(i) + " of " + tag + "\n");
      dockerfile += "COPY " + name + " /www/" + name + "\n";
    }
    dockerfile +=
        "EXPOSE 80\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"80\", "
        "\"-h\", \"/www\"]\n";
    WriteFile(context / "Dockerfile", dockerfile);
    tags_.push_back(tag);
    DockerOk({"build", "--force-rm", "-t", tag, context.string()});
  }

  // `docker tag`, remembering the new name for TearDown.
  void Tag(const std::string& source, const std::string& target) {
    tags_.push_back(target);
    DockerOk({"tag", source, target});
  }

  // `docker push`; returns the digest docker printed ("<tag>: digest: ...").
  std::string Push(const std::string& image, std::string* output = nullptr) {
    const std::string out = DockerOk({"push", image});
    if (output != nullptr) *output = out;
    static const std::regex kDigest(R"(digest: (sha256:[0-9a-f]{64}) size: \d+)");
    std::smatch match;
    EXPECT_TRUE(std::regex_search(out, match, kDigest)) << out;
    return match.empty() ? "" : match[1].str();
  }

  // `docker pull`; returns the digest docker printed.
  std::string Pull(const std::string& image) {
    tags_.push_back(image);
    const std::string out = DockerOk({"pull", image});
    static const std::regex kDigest(R"(Digest: (sha256:[0-9a-f]{64}))");
    std::smatch match;
    EXPECT_TRUE(std::regex_search(out, match, kDigest)) << out;
    return match.empty() ? "" : match[1].str();
  }

  // Runs `image` detached with port 80 published on 127.0.0.1 and returns
  // what its web server answers for `path`.
  std::string RunAndFetch(const std::string& image, const std::string& path = "/index.html") {
    const std::string container =
        Trim(DockerOk({"run", "-d", "--label", "berth.test=1", "--label", "berth.test.id=" + id_,
                       "-p", "127.0.0.1::80", image}));
    const std::string port = Trim(DockerOk({"port", container, "80/tcp"}));
    const std::string address = port.substr(0, port.find('\n'));
    HttpReply reply;
    for (int attempt = 0; attempt < 100; ++attempt) {
      reply = Curl("http://" + address + path);
      if (reply.status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(reply.status, 200) << "container " << container << " at " << address << "\n"
                                 << Docker({"logs", container}).err;
    Docker({"rm", "-f", container});
    return reply.body;
  }

  // A manifest as the registry serves it, with every modern media type
  // accepted.
  HttpReply GetManifest(const std::string& repository, const std::string& reference,
                        const std::vector<std::string>& auth = {}) {
    std::vector<std::string> args = {
        "-H", "Accept: application/vnd.docker.distribution.manifest.v2+json",
        "-H", "Accept: application/vnd.docker.distribution.manifest.list.v2+json",
        "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
        "-H", "Accept: application/vnd.oci.image.index.v1+json"};
    args.insert(args.end(), auth.begin(), auth.end());
    return Curl(Url("/v2/" + repository + "/manifests/" + reference), args);
  }

  // Every file under <data>/blobs holds exactly the bytes its name says
  // (blobs/<algorithm>/<ab>/<hex>); returns how many were checked.
  static size_t ExpectBlobsIntact(const std::string& data_dir) {
    size_t checked = 0;
    const std::filesystem::path root = std::filesystem::path(data_dir) / "blobs";
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (!entry.is_regular_file()) continue;
      const std::filesystem::path relative = std::filesystem::relative(entry.path(), root);
      const std::string algorithm = relative.begin()->string();
      const std::string hex = entry.path().filename().string();
      EXPECT_TRUE(algorithm == "sha256" || algorithm == "sha512") << relative;
      EXPECT_EQ(entry.path().parent_path().filename().string(), hex.substr(0, 2)) << relative;
      const auto actual = crypto::HashFileHex(
          entry.path().string(), algorithm == "sha512" ? crypto::Hasher::Algorithm::kSha512
                                                       : crypto::Hasher::Algorithm::kSha256);
      EXPECT_EQ(actual.value_or("unreadable"), hex) << "corrupt blob file " << relative;
      ++checked;
    }
    return checked;
  }

  // A name unique to this test, for local image names.
  std::string tag_id() { return "berth-test-" + id_ + "-" + std::to_string(++names_); }

  const std::string id_ = crypto::RandomHex(12);
  TempDir docker_config_;
  TempDir work_;
  std::string aws_cli_;
  std::vector<std::string> tags_;
  std::unique_ptr<BerthServer> server_;
  int names_ = 0;
  bool docker_ready_ = false;
};

}  // namespace berth::testing
