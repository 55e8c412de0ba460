#pragma once

// What the parts of FakeDocker (fake_docker.cc, fake_docker_networks.cc,
// fake_docker_controls.cc) share beyond its public header: the records it
// keeps of containers and networks, IPv4 arithmetic and label filters.

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/fake_docker.h"

namespace berth::testing {
namespace fake_docker {

// An IPv4 subnet: base address and prefix length.
struct Cidr {
  std::uint32_t base = 0;
  int bits = 0;
  std::uint32_t Mask() const { return bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits); }
  bool Contains(std::uint32_t address) const { return (address & Mask()) == base; }
  bool Overlaps(const Cidr& other) const {
    const Cidr& wider = bits < other.bits ? *this : other;
    const Cidr& narrower = bits < other.bits ? other : *this;
    return wider.Contains(narrower.base);
  }
};

// "10.0.0.1" -> its value; nullopt when malformed.
std::optional<std::uint32_t> ParseIpv4(const std::string& text);
std::string FormatIpv4(std::uint32_t value);
// "172.18.0.0/16" (prefix of at most 30 bits); nullopt when malformed.
std::optional<Cidr> ParseCidr(const std::string& text);

// Whether `labels` carry every filter ("k=v", or "k" for any value).
inline bool HasLabels(const std::map<std::string, std::string>& labels,
                      const std::vector<std::string>& filters) {
  return std::all_of(filters.begin(), filters.end(), [&labels](const std::string& f) {
    const auto eq = f.find('=');
    const auto found = labels.find(f.substr(0, eq));
    return found != labels.end() && (eq == std::string::npos || found->second == f.substr(eq + 1));
  });
}

// Whether the container has a health check Docker runs (not "NONE").
inline bool HasHealthCheck(const docker::ContainerSpec& spec) {
  return spec.health_check && !spec.health_check->test.empty() &&
         spec.health_check->test.front() != "NONE";
}

// One message of a container's log, as Docker's json-file driver stores it.
struct LogEntry {
  std::int64_t timestamp_ns = 0;
  docker::LogSource source = docker::LogSource::kStdout;
  std::string text;  // without its newline
  bool partial = false;
};

}  // namespace fake_docker

// One container as the fake daemon records it.
struct FakeDocker::Container {
  std::string id;
  std::string name;
  docker::ContainerSpec spec;
  std::string image_id;
  FakeImageConfig image;
  std::string network_mode;  // as Docker stores it ("container:<full id>" when resolved)
  std::string status = "created";
  bool running = false;
  bool oom_killed = false;
  int exit_code = 0;
  std::string error;
  std::string started_at = kNever;
  std::string finished_at = kNever;
  std::string health;
  std::vector<docker::PortBinding> bound_ports;  // while running
  std::string network_id;                        // the bridge/user network while running
  std::string ip;                                // while running
  std::string output;                            // stdout and stderr, as written
  std::vector<fake_docker::LogEntry> log;        // its output as Docker stores it
  // Per stream (stdout, stderr): the text after its last newline, and the
  // stamp of the line Docker is cutting into partial messages (0: none).
  std::array<std::string, 2> unfinished;
  std::array<std::int64_t, 2> partial_stamp = {0, 0};
};

// One network as the fake daemon records it.
struct FakeDocker::Network {
  std::string id;
  std::string name;
  std::optional<fake_docker::Cidr> subnet;  // nullopt for host and none
  std::uint32_t gateway = 0;
  std::map<std::string, std::string> labels;
  bool predefined = false;
  std::map<std::uint32_t, std::string> used;  // address -> container id
};

}  // namespace berth::testing
