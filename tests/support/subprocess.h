#pragma once

// Runs external programs for integration tests: one-shot commands with their
// output captured, and long-running children (the berth server) stopped on
// destruction. POSIX only.

#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace berth::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH) with `env` added to the environment and
// `input` on stdin; waits at most `timeout_seconds`, then kills it.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& input = "", int timeout_seconds = 120);

// RunCommand for a `docker ...` command line. A `docker build` whose legacy
// builder lost one of its own intermediate images ("unable to find image
// sha256:...", seen in CI with other tests building and pruning at the same
// time) is run again, at most twice more.
CommandResult RunDockerCommand(const std::vector<std::string>& argv,
                               const std::map<std::string, std::string>& env = {},
                               const std::string& input = "", int timeout_seconds = 120);

// True when `program` is found in PATH.
bool ProgramExists(const std::string& program);

// A child process running in the background; killed (SIGTERM, then SIGKILL)
// when the object goes away. stdout and stderr go to `log_path`.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& log_path);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Sends `signal` and waits up to `timeout_seconds` for the exit; returns
  // the exit status as from waitpid, or nullopt if it did not exit.
  std::optional<int> Stop(int signal, int timeout_seconds = 10);
  bool Running();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace berth::testing
