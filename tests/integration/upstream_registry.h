#pragma once

// A real upstream registry for pull-through cache tests: Debian's
// docker-registry (distribution 2.8) on a free loopback port, with its own
// config file and storage in a temporary directory, optionally behind
// htpasswd (bcrypt) Basic authentication. Stopped on destruction or Stop().

#include <chrono>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "tests/support/berth_server.h"
#include "tests/support/free_port.h"
#include "tests/support/subprocess.h"

namespace berth::testing {

class UpstreamRegistry {
 public:
  static constexpr const char* kBinary = "/usr/bin/docker-registry";

  // `storage` is the directory blobs live in (several registries may share
  // one); `user`/`password` turn on htpasswd authentication.
  UpstreamRegistry(const std::string& storage, const std::string& user = "",
                   const std::string& password = "") {
    port_ = FreePort();
    if (port_ == 0) throw std::runtime_error("no free port");
    const std::string config = dir_.path() + "/config.yml";
    std::ofstream out(config);
    out << "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
        << storage << "\nhttp:\n  addr: 127.0.0.1:" << port_ << "\n  secret: berth-test\n";
    if (!user.empty()) {
      // bcrypt (the only scheme distribution accepts) with the lowest cost.
      const CommandResult hash = RunCommand(
          {"python3", "-W", "ignore", "-c",
           "import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, "
           "rounds=16)))",
           password});
      if (hash.exit_code != 0) throw std::runtime_error("cannot hash the password: " + hash.err);
      std::ofstream(dir_.path() + "/htpasswd") << user << ":" << hash.out;
      out << "auth:\n  htpasswd:\n    realm: berth-test\n    path: " << dir_.path()
          << "/htpasswd\n";
    }
    out.close();
    process_ = std::make_unique<ChildProcess>(std::vector<std::string>{kBinary, "serve", config},
                                              std::map<std::string, std::string>{},
                                              dir_.path() + "/registry.log");
    for (int i = 0; i < 100; ++i) {
      const HttpReply reply = Curl(url() + "/v2/");
      if (reply.status == 200 || reply.status == 401) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("docker-registry did not start on port " + std::to_string(port_));
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  void Stop() { process_.reset(); }

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace berth::testing
