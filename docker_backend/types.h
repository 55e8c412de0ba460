#pragma once

// Plain values that cross the DockerApi seam. nlohmann/json stays inside the
// client; callers see these structs.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::docker {

// Labels Berth puts on everything it creates, so that actual state can be
// rebuilt from Docker after a restart (and cleaned up by label).
inline constexpr const char* kManagedLabel = "berth.managed";  // "1"
inline constexpr const char* kTaskArnLabel = "com.amazonaws.ecs.task-arn";
inline constexpr const char* kContainerNameLabel = "com.amazonaws.ecs.container-name";
inline constexpr const char* kClusterLabel = "com.amazonaws.ecs.cluster";
inline constexpr const char* kFamilyLabel = "com.amazonaws.ecs.task-definition-family";
inline constexpr const char* kRevisionLabel = "com.amazonaws.ecs.task-definition-version";
inline constexpr const char* kRoleLabel = "berth.role";  // "pause" or "app"

// A published port.
struct PortBinding {
  int container_port = 0;
  std::string protocol = "tcp";
  std::string host_ip = "127.0.0.1";
  int host_port = 0;  // 0: let Docker pick
};

struct Ulimit {
  std::string name;
  int64_t soft = 0;
  int64_t hard = 0;
};

struct HealthCheck {
  std::vector<std::string> test;  // ["CMD-SHELL", "..."] or ["CMD", ...]
  int64_t interval_ns = 0;
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int retries = 0;
};

// A named volume mounted into a container; the daemon creates it on first
// use, with `labels` (so Berth finds its task volumes again).
struct VolumeMount {
  std::string source;  // the volume name
  std::string target;  // the path inside the container
  bool read_only = false;
  std::map<std::string, std::string> labels;
};

// Everything Berth sets when creating a container.
struct ContainerSpec {
  std::string name;
  std::string image;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> command;
  std::vector<std::string> env;  // "K=V"
  std::string working_dir;
  std::string user;
  std::string hostname;
  std::map<std::string, std::string> labels;
  std::vector<PortBinding> ports;
  std::string network_mode;  // "bridge", "host", "none", "container:<id>", or a network name
  std::optional<std::string> network_ip;  // fixed address on `network_mode`
  // Names other containers on `network_mode` (a user-defined network) resolve
  // to this one through Docker's DNS; several containers may share one.
  std::vector<std::string> network_aliases;
  int64_t memory_bytes = 0;
  int64_t memory_reservation_bytes = 0;
  int64_t cpu_shares = 0;
  int64_t nano_cpus = 0;
  std::vector<Ulimit> ulimits;
  std::optional<HealthCheck> health_check;
  std::optional<int> stop_timeout_seconds;
  std::vector<std::string> binds;        // "src:dst[:ro]"
  std::vector<VolumeMount> volumes;      // named volumes, made on first use
  std::vector<std::string> extra_hosts;  // "host:ip"
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  bool readonly_rootfs = false;
  bool privileged = false;
  bool init = false;
  bool tty = false;
  bool open_stdin = false;
  int64_t shm_size_bytes = 0;
  std::map<std::string, std::string> sysctls;
  std::map<std::string, std::string> tmpfs;  // path -> options
  // Docker's logging driver (HostConfig.LogConfig) and its options; the
  // daemon's default when empty.
  std::string log_driver;
  std::map<std::string, std::string> log_options;
};

// What inspecting a container tells Berth.
struct ContainerState {
  std::string id;
  std::string name;
  std::string status;  // created, running, exited, ...
  bool running = false;
  bool oom_killed = false;
  int exit_code = 0;
  std::string error;
  std::string started_at;  // RFC 3339, "0001-01-01T00:00:00Z" when never
  std::string finished_at;
  std::string health;  // "", "starting", "healthy", "unhealthy"
  std::string image_id;
  std::map<std::string, std::string> labels;  // the image's, overlaid by the container's
  std::vector<std::string> env;               // "K=V": the container's, then the image's
  std::vector<PortBinding> ports;  // as bound (host ports filled in); empty unless running
  std::string ip_address;          // on its first network; empty unless running
  std::string gateway;             // that network's gateway (the host's side)
  bool tty = false;                // it has a pseudo-terminal (its output is one raw stream)
};

// A network found by listing.
struct NetworkSummary {
  std::string id;
  std::string name;
  std::string gateway;  // its (first) IPv4 gateway, the host's side
  std::map<std::string, std::string> labels;
};

// Something that happened to a container, as Docker's event stream reports
// it: `action` is "start", "die", "oom", "kill", "health_status: healthy",
// ...; `attributes` carry the container's labels (and Docker's own "name",
// "image" and, for "die", "exitCode").
struct ContainerEvent {
  std::string action;
  std::string id;
  std::map<std::string, std::string> attributes;
};

// Which of a container's outputs a line came from.
enum class LogSource { kStdout, kStderr };

// One message of a container's output as Docker's logs endpoint returns it
// with timestamps (reference docker-engine-api.md §3.6): normally a line.
// Docker cuts a line longer than 16 KiB into messages of 16 KiB, all with
// the timestamp of the first; all but the last are `partial`, and so is a
// last line the process never ended with a newline.
struct LogLine {
  int64_t timestamp_ns = 0;  // when dockerd read it, in Unix nanoseconds
  LogSource source = LogSource::kStdout;
  std::string_view text;  // without its newline; valid only during the callback
  bool partial = false;   // no newline: the next line of `source` continues it
};

// A volume found by listing.
struct VolumeSummary {
  std::string name;
  std::map<std::string, std::string> labels;
};

// What a daemon says of its host (GET /info): what an ECS agent registers
// as its instance's resources and attributes.
struct EngineInfo {
  std::string name;            // the host's name
  std::string server_version;  // e.g. "20.10.24"
  std::string os_type;         // "linux", "windows"
  std::string architecture;    // as the daemon names it: "x86_64", "aarch64"
  int64_t cpus = 0;
  int64_t memory_bytes = 0;
};

// A container found by listing.
struct ContainerSummary {
  std::string id;
  std::string name;
  std::string state;  // created, running, exited
  std::map<std::string, std::string> labels;
};

}  // namespace berth::docker
