#pragma once

// Berth's start-up configuration: command-line flags, each with an
// environment-variable equivalent (flags win). Parsing validates every value
// and reports the first bad one in words a user can act on.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/util/log.h"

namespace berth {

// The event-loop threads Berth runs unless told: 1 on a machine with up to
// two cores, else 2. All storage work goes through one SQLite connection,
// and a second loop thread on two cores costs more than it gives (measured
// with RegisterTaskDefinition under wrk -c8 on 2 cores: 15,600-17,200
// requests/s at 59-64 us of CPU each with one thread, 9,600-11,400 at
// 135-163 us with two; p99/p50 2.4-2.8x against 3.2-4.5x).
unsigned DefaultThreads();

struct Config {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 4566;
  std::string data_dir;  // where berth.db and blobs live
  std::string account_id = "000000000000";
  std::string region = "us-east-1";
  std::string registry_host;  // host[:port] in repositoryUri; empty: localhost:<bound port>
  log::Level log_level = log::Level::kInfo;
  unsigned threads = DefaultThreads();  // HTTP event-loop threads
  unsigned max_connections = 1024;      // open connections served at once
  bool require_auth = false;            // registry answers 401 without a valid ECR token
  // Strict authentication: the JSON file of access keys whose SigV4
  // signatures are verified (see docs/strict-authentication.md); empty: any
  // credentials, no signature check.
  std::string credentials_file;
  // Every new ECS cluster gets the local Docker host as a container instance.
  bool register_local_instance = false;
  // Docker engines every new ECS cluster gets as container instances
  // (unix:///path or tcp://host:port).
  std::vector<std::string> engines;
};

// The outcome of parsing: a config to run with, or a message to print and the
// exit code to leave with (0 after --help/--version, 2 after a bad value).
struct ParseResult {
  std::optional<Config> config;
  std::string message;
  int exit_code = 0;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

ParseResult ParseConfig(const std::vector<std::string>& args, const EnvLookup& env);

// The --help text.
std::string Usage();

}  // namespace berth
