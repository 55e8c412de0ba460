#pragma once

// Starts the real berth binary for an integration test: a fresh data
// directory, an ephemeral port on 127.0.0.1, and a clean stop at the end. Also
// runs AWS CLI commands against it.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/subprocess.h"

namespace berth::testing {

class BerthServer {
 public:
  // Starts berth with `extra_args`, using `data_dir` (a new temp dir when
  // empty) and `env` added to its environment. Waits until it answers
  // /_berth/health; throws on failure.
  explicit BerthServer(std::vector<std::string> extra_args = {}, std::string data_dir = "",
                       const std::map<std::string, std::string>& env = {});
  BerthServer(const BerthServer&) = delete;
  BerthServer& operator=(const BerthServer&) = delete;
  ~BerthServer();

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& data_dir() const { return data_dir_; }
  std::string Log() const;
  ChildProcess& process() { return *process_; }
  // Stops the server with SIGTERM; returns true if it exited cleanly (0).
  bool Stop();

 private:
  std::string data_dir_;
  bool own_data_dir_ = false;
  std::string log_path_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The AWS CLIs to test with: Debian's v2 (/usr/bin/aws) and the `aws` first in
// PATH when it is another one (awsclI v1 here). BERTH_TEST_AWS_CLIS (colon
// separated) overrides.
std::vector<std::string> AwsClis();

// Runs `<cli> <args> --endpoint-url <endpoint> --output json` with test
// credentials and region; parses stdout as JSON when it is JSON.
struct AwsResult {
  int exit_code = -1;
  nlohmann::json json;
  std::string out;
  std::string err;
};
AwsResult RunAws(const std::string& cli, const std::string& endpoint,
                 const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {});

// The walkthrough's login, verbatim and as one shell pipeline:
//   <cli> ecr get-login-password --region us-east-1 | docker login --username AWS
//     --password-stdin <registry_host>
// against `endpoint`, with docker's config in `docker_config` (a directory).
AwsResult RunLoginPipeline(const std::string& cli, const std::string& endpoint,
                           const std::string& registry_host, const std::string& docker_config);

// One HTTP exchange made with curl: the status, the body and the response
// header block (every block when redirects or 100 Continue came first).
struct HttpReply {
  int status = 0;
  std::string body;
  std::string headers;
  // The value of the last `name` header (case-insensitive), empty if none.
  std::string Header(const std::string& name) const;
};
// One request with curl; `extra` are additional curl arguments.
HttpReply Curl(const std::string& url, const std::vector<std::string>& extra = {});

// The berth binary under test (set by CMake).
std::string BerthBinary();
// The source tree root (set by CMake).
std::string SourceDir();

}  // namespace berth::testing
