// FakeDocker's core: the DockerApi calls on containers (create, start, stop,
// kill, remove, inspect, list), volumes, and the clock and ids it reports.

#include "tests/fakes/fake_docker.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "server/util/crypto.h"
#include "tests/fakes/fake_docker_internals.h"
#include "tests/fakes/fake_docker_references.h"

namespace berth::testing {

using crypto::Sha256Hex;
using docker::ContainerSpec;
using docker::ContainerState;
using docker::ContainerSummary;
using docker::DockerError;
using docker::PortBinding;
using fake_docker::HasHealthCheck;
using fake_docker::HasLabels;
using fake_docker::IsHex;
using fake_docker::NormalizeReference;
using fake_docker::ParseCidr;
using fake_docker::ParseIpv4;

namespace {

constexpr std::int64_t kEpochSeconds = 1767225600;  // 2026-01-01T00:00:00Z
constexpr int kFirstEphemeralPort = 32768;
constexpr int kLastEphemeralPort = 60999;

// Linux signal numbers by name ("SIGTERM", "TERM") or number ("15"); 0 when
// Docker would refuse it.
int SignalNumber(const std::string& signal) {
  static const std::map<std::string, int> kSignals = {
      {"HUP", 1},   {"INT", 2},   {"QUIT", 3},    {"ILL", 4},   {"TRAP", 5},    {"ABRT", 6},
      {"IOT", 6},   {"BUS", 7},   {"FPE", 8},     {"KILL", 9},  {"USR1", 10},   {"SEGV", 11},
      {"USR2", 12}, {"PIPE", 13}, {"ALRM", 14},   {"TERM", 15}, {"STKFLT", 16}, {"CHLD", 17},
      {"CONT", 18}, {"STOP", 19}, {"TSTP", 20},   {"TTIN", 21}, {"TTOU", 22},   {"URG", 23},
      {"XCPU", 24}, {"XFSZ", 25}, {"VTALRM", 26}, {"PROF", 27}, {"WINCH", 28},  {"IO", 29},
      {"POLL", 29}, {"PWR", 30},  {"SYS", 31}};
  if (!signal.empty() &&
      std::all_of(signal.begin(), signal.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const int number = signal.size() <= 2 ? std::stoi(signal) : 0;
    return number >= 1 && number <= 64 ? number : 0;
  }
  std::string name = signal;
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  if (name.starts_with("SIG")) name.erase(0, 3);
  const auto it = kSignals.find(name);
  return it == kSignals.end() ? 0 : it->second;
}

// Signals whose default action is to do nothing (or to stop, which Docker
// does not model as an exit).
bool IgnoredByDefault(int number) {
  return number == 17 || number == 18 || number == 19 || number == 20 || number == 21 ||
         number == 22 || number == 23 || number == 28;
}

}  // namespace

// --- DockerCall / StartFailure -------------------------------------------------

std::string DockerCall::ToString() const {
  std::string out = method + "(";
  for (std::size_t i = 0; i < args.size(); ++i) out += (i == 0 ? "" : ", ") + args[i];
  return out + ")";
}

std::ostream& operator<<(std::ostream& out, const DockerCall& call) {
  return out << call.ToString();
}

StartFailure StartFailure::ExecNotFound(const std::string& path) {
  return {400,
          "failed to create shim task: OCI runtime create failed: runc create failed: unable to "
          "start container process: exec: \"" +
              path + "\": stat " + path + ": no such file or directory: unknown",
          127};
}

FakeDocker::FakeDocker() {
  for (const char* name : {"bridge", "host", "none"}) {
    auto network = std::make_unique<Network>();
    network->id = NewId(std::string("network:") + name);
    network->name = name;
    network->predefined = true;
    if (network->name == "bridge") {
      network->subnet = ParseCidr("172.17.0.0/16");
      network->gateway = network->subnet->base + 1;
    }
    networks_.push_back(std::move(network));
  }
}

FakeDocker::~FakeDocker() = default;

std::string FakeDocker::NewId(const std::string& kind) {
  return Sha256Hex("fake-docker:" + kind + ":" + std::to_string(++ids_));
}

std::string FakeDocker::Tick() {
  const std::time_t seconds = static_cast<std::time_t>(kEpochSeconds + ++now_);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

void FakeDocker::Record(const std::string& method, std::vector<std::string> args) {
  calls_.push_back({method, std::move(args)});
  if (unreachable_) throw Unreachable();
  for (auto it = failures_.lower_bound(method); it != failures_.end() && it->first == method;
       ++it) {
    const DockerError error = it->second.error;
    if (it->second.remaining > 0 && --it->second.remaining == 0) failures_.erase(it);
    throw error;
  }
}

const FakeDocker::Container* FakeDocker::FindContainer(const std::string& id_or_name) const {
  const std::string key = id_or_name.starts_with("/") ? id_or_name.substr(1) : id_or_name;
  if (key.empty()) return nullptr;
  for (const auto& c : containers_) {
    if (c->id == key) return c.get();
  }
  for (const auto& c : containers_) {
    if (c->name == key) return c.get();
  }
  if (!IsHex(key)) return nullptr;
  const Container* found = nullptr;
  for (const auto& c : containers_) {
    if (c->id.starts_with(key)) {
      if (found != nullptr) return nullptr;  // ambiguous
      found = c.get();
    }
  }
  return found;
}

FakeDocker::Container* FakeDocker::FindContainer(const std::string& id_or_name) {
  return const_cast<Container*>(std::as_const(*this).FindContainer(id_or_name));
}

FakeDocker::Container& FakeDocker::MustFindContainer(const std::string& id_or_name) {
  Container* c = FindContainer(id_or_name);
  if (c == nullptr) throw DockerError(404, "No such container: " + id_or_name);
  return *c;
}

ContainerScript FakeDocker::ScriptFor(const Container& container) const {
  if (const auto it = scripts_.find(container.name); it != scripts_.end()) return it->second;
  const auto it = image_scripts_.find(NormalizeReference(container.spec.image));
  return it == image_scripts_.end() ? ContainerScript{} : it->second;
}

void FakeDocker::Release(Container& c) {
  for (const auto& p : c.bound_ports) {
    bound_host_ports_.erase(p.host_ip + ":" + std::to_string(p.host_port) + "/" + p.protocol);
  }
  c.bound_ports.clear();
  if (Network* network = FindNetwork(c.network_id); network != nullptr && !c.ip.empty()) {
    if (const auto address = ParseIpv4(c.ip)) network->used.erase(*address);
  }
  c.network_id.clear();
  c.ip.clear();
}

void FakeDocker::Exit(Container& c, int exit_code, bool oom) {
  c.running = false;
  c.status = "exited";
  c.exit_code = exit_code;
  c.oom_killed = oom;
  c.finished_at = Tick();
  // Docker reports a stopped container that had a health check as
  // "unhealthy" (reference §3.4).
  if (!c.health.empty()) c.health = "unhealthy";
  Release(c);
  CloseOutput(c);
  if (oom) Emit(c, "oom");
  Emit(c, "die", {{"exitCode", std::to_string(exit_code)}});
}

void FakeDocker::Emit(const Container& c, const std::string& action,
                      std::map<std::string, std::string> extra) {
  docker::ContainerEvent event{action, c.id, c.image.labels};
  for (const auto& [k, v] : c.spec.labels) event.attributes[k] = v;
  event.attributes["name"] = c.name;
  event.attributes["image"] = c.spec.image;
  for (auto& [k, v] : extra) event.attributes[k] = std::move(v);
  events_.push_back(std::move(event));
  events_changed_.notify_all();
}

void FakeDocker::WatchContainerEvents(
    const std::vector<std::string>& labels,
    const std::function<void(const docker::ContainerEvent&)>& on_event,
    const std::function<bool()>& keep_going) {
  std::unique_lock lock(mutex_);
  Record("WatchContainerEvents", labels);
  size_t next = events_.size();  // no replay of what came before
  while (true) {
    lock.unlock();
    if (!keep_going()) return;
    lock.lock();
    events_changed_.wait_for(lock, std::chrono::milliseconds(50));
    if (unreachable_) throw Unreachable();
    std::vector<docker::ContainerEvent> batch;
    for (; next < events_.size(); ++next) {
      if (fake_docker::HasLabels(events_[next].attributes, labels)) batch.push_back(events_[next]);
    }
    lock.unlock();
    for (const auto& event : batch) on_event(event);
    lock.lock();
  }
}

void FakeDocker::Validate(const ContainerSpec& spec) const {
  static const std::regex kName("^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  if (!spec.name.empty() && !std::regex_match(spec.name, kName)) {
    throw DockerError(400, "Invalid container name (" + spec.name +
                               "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  if (spec.network_mode.starts_with("container:")) {
    if (!spec.hostname.empty()) {
      throw DockerError(400, "conflicting options: hostname and the network mode");
    }
    if (!spec.dns.empty()) throw DockerError(400, "conflicting options: dns and the network mode");
    if (!spec.extra_hosts.empty()) {
      throw DockerError(400, "conflicting options: custom host-to-IP mapping and the network mode");
    }
    if (!spec.ports.empty()) {
      throw DockerError(400,
                        "conflicting options: port publishing and the container type network mode");
    }
  }
  if (const auto& h = spec.health_check) {
    constexpr std::int64_t kMillisecond = 1000000;
    if (h->interval_ns != 0 && h->interval_ns < kMillisecond) {
      throw DockerError(400, "Interval in Healthcheck cannot be less than 1ms");
    }
    if (h->timeout_ns != 0 && h->timeout_ns < kMillisecond) {
      throw DockerError(400, "Timeout in Healthcheck cannot be less than 1ms");
    }
    if (h->retries < 0) throw DockerError(400, "Retries in Healthcheck cannot be negative");
    if (h->start_period_ns != 0 && h->start_period_ns < kMillisecond) {
      throw DockerError(400, "StartPeriod in Healthcheck cannot be less than 1ms");
    }
  }
  constexpr std::int64_t kMinimumMemory = 6 * 1024 * 1024;
  if (spec.memory_bytes > 0 && spec.memory_bytes < kMinimumMemory) {
    throw DockerError(400, "Minimum memory limit allowed is 6MB");
  }
  if (spec.memory_bytes > 0 && spec.memory_reservation_bytes > spec.memory_bytes) {
    throw DockerError(400,
                      "Minimum memory limit can not be less than memory reservation limit, see "
                      "usage");
  }
}

// --- DockerApi ----------------------------------------------------------------------

bool FakeDocker::Ping() {
  const std::lock_guard lock(mutex_);
  try {
    Record("Ping", {});
  } catch (const DockerError&) {
    return false;  // as CurlDockerClient: Ping never throws
  }
  return true;
}

docker::EngineInfo FakeDocker::Info() {
  const std::lock_guard lock(mutex_);
  Record("Info", {});
  return info_;
}

std::string FakeDocker::CreateContainer(const ContainerSpec& spec) {
  const std::lock_guard lock(mutex_);
  Record("CreateContainer", {spec.name});
  Validate(spec);
  std::string network_mode = spec.network_mode.empty() ? "bridge" : spec.network_mode;
  if (network_mode.starts_with("container:")) {
    if (const Container* target = FindContainer(network_mode.substr(10)); target != nullptr) {
      network_mode = "container:" + target->id;
    }
  } else if (network_mode != "host" && network_mode != "none" &&
             FindNetwork(network_mode) == nullptr) {
    throw DockerError(404, "network " + network_mode + " not found");
  }
  const Image* image = FindImage(spec.image);
  if (image == nullptr) throw DockerError(404, "No such image: " + NormalizeReference(spec.image));
  const bool has_entrypoint =
      spec.entrypoint ? !spec.entrypoint->empty() : !image->config.entrypoint.empty();
  const bool has_command =
      spec.command ? !spec.command->empty() : (!spec.entrypoint && !image->config.cmd.empty());
  if (!has_entrypoint && !has_command) throw DockerError(400, "No command specified");
  if (const Container* existing = FindContainer(spec.name);
      existing != nullptr && !spec.name.empty() && existing->name == spec.name) {
    return existing->id;  // 409 in Docker; the DockerApi answer is the existing id
  }
  for (const auto& v : spec.volumes) {
    if (!volumes_.contains(v.source)) volumes_[v.source] = v.labels;  // made on first use
  }
  auto c = std::make_unique<Container>();
  c->id = NewId("container");
  c->name = spec.name.empty() ? "fake_container_" + std::to_string(ids_) : spec.name;
  if (c->name.starts_with("/")) c->name.erase(0, 1);
  c->spec = spec;
  c->image_id = image->id;
  c->image = image->config;
  c->network_mode = network_mode;
  const std::string id = c->id;
  containers_.push_back(std::move(c));
  return id;
}

void FakeDocker::StartContainer(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Record("StartContainer", {id});
  Container& c = MustFindContainer(id);
  if (c.running) return;  // 304
  const ContainerScript script = ScriptFor(c);
  // A failed start leaves the status as it was, with the error recorded.
  const auto fail = [&c](int status, const std::string& message, int exit_code) {
    c.error = message;
    c.exit_code = exit_code;
    return DockerError(status, message);
  };
  if (script.start_failure) {
    throw fail(script.start_failure->http_status, script.start_failure->message,
               script.start_failure->exit_code);
  }
  std::string network_id;
  std::string ip;
  std::vector<PortBinding> ports;
  const std::string& mode = c.network_mode;
  if (mode.starts_with("container:")) {
    const Container* target = FindContainer(mode.substr(10));
    if (target == nullptr) throw fail(404, "No such container: " + mode.substr(10), 128);
    if (!target->running) {
      throw fail(409, "cannot join network of a non running container: " + target->id, 128);
    }
  } else if (mode != "host" && mode != "none") {
    Network* network = FindNetwork(mode);
    if (network == nullptr) throw fail(404, "network " + mode + " not found", 128);
    const std::string fixed = c.spec.network_ip.value_or("");
    if (!fixed.empty() && network->name == "bridge") {
      throw fail(400, "user specified IP address is supported on user defined networks only", 128);
    }
    // Fixed host ports first: a conflict leaves nothing allocated.
    for (const PortBinding& p : c.spec.ports) {
      const std::string host_ip = p.host_ip.empty() ? "0.0.0.0" : p.host_ip;
      if (p.host_port > 0 && bound_host_ports_.contains(
                                 host_ip + ":" + std::to_string(p.host_port) + "/" + p.protocol)) {
        throw fail(500,
                   "driver failed programming external connectivity on endpoint " + c.name + " (" +
                       NewId("endpoint") + "): Bind for " + host_ip + ":" +
                       std::to_string(p.host_port) + " failed: port is already allocated",
                   128);
      }
    }
    try {
      ip = AllocateAddress(*network, fixed, c.id);
    } catch (const DockerError& e) {
      throw fail(e.http_status(), e.what(), 128);
    }
    network_id = network->id;
    for (const PortBinding& p : c.spec.ports) {
      PortBinding bound = p;
      if (bound.host_ip.empty()) bound.host_ip = "0.0.0.0";
      if (bound.host_port == 0) {
        // Docker picks a new ephemeral port on every start.
        do {
          bound.host_port = next_host_port_;
          next_host_port_ =
              next_host_port_ == kLastEphemeralPort ? kFirstEphemeralPort : next_host_port_ + 1;
        } while (bound_host_ports_.contains(bound.host_ip + ":" + std::to_string(bound.host_port) +
                                            "/" + bound.protocol));
      }
      bound_host_ports_.insert(bound.host_ip + ":" + std::to_string(bound.host_port) + "/" +
                               bound.protocol);
      ports.push_back(bound);
    }
  }
  c.running = true;
  c.status = "running";
  c.exit_code = 0;
  c.oom_killed = false;
  c.error.clear();
  c.started_at = Tick();
  c.network_id = network_id;
  c.ip = ip;
  c.bound_ports = ports;
  c.health = HasHealthCheck(c.spec) ? script.health_on_start : "";
  Emit(c, "start");
  const auto& entrypoint = c.spec.entrypoint.value_or(c.image.entrypoint);
  if (entrypoint == std::vector<std::string>{"/pause"} && c.spec.command &&
      !c.spec.command->empty() &&
      (c.spec.command->front() == "relay" || c.spec.command->front() == "local")) {
    // Berth's pause program in relay or local mode (pause/pause.c): it needs
    // CAP_NET_ADMIN to give the namespace its 169.254.170.2.
    if (std::find(c.spec.cap_add.begin(), c.spec.cap_add.end(), "NET_ADMIN") ==
        c.spec.cap_add.end()) {
      AppendOutput(c, docker::LogSource::kStderr,
                   "berth-pause: adding 169.254.170.2 to lo was refused (no CAP_NET_ADMIN)\n",
                   std::nullopt);
      Exit(c, 3, /*oom=*/false);
      return;
    }
    // A script that ends the program at once stands for a failed set-up, one
    // with output of its own for what the program printed instead.
    if (!script.exit_on_start && !script.oom_on_start && script.output.empty()) {
      AppendOutput(c, docker::LogSource::kStdout,
                   c.spec.command->front() == "relay" ? "berth-pause: ready\n"
                                                      : "berth-pause: no-endpoints: not relayed\n",
                   std::nullopt);
    }
  }
  for (const auto& [source, text] : script.output) AppendOutput(c, source, text, std::nullopt);
  if (script.oom_on_start) {
    Exit(c, 137, /*oom=*/true);
  } else if (script.exit_on_start) {
    Exit(c, *script.exit_on_start, /*oom=*/false);
  }
}

void FakeDocker::StopContainer(const std::string& id, int timeout_seconds) {
  const std::lock_guard lock(mutex_);
  Record("StopContainer", {id, std::to_string(timeout_seconds)});
  Container* c = FindContainer(id);
  if (c == nullptr || !c->running) return;  // 404 / 304
  const ContainerScript script = ScriptFor(*c);
  Exit(*c, script.ignores_stop_signal ? 137 : script.stop_exit_code, /*oom=*/false);
}

void FakeDocker::KillContainer(const std::string& id, const std::string& signal) {
  const std::lock_guard lock(mutex_);
  Record("KillContainer", {id, signal});
  const int number = SignalNumber(signal);
  if (number == 0) throw DockerError(400, "Invalid signal: " + signal);
  Container* c = FindContainer(id);
  if (c == nullptr || !c->running) return;  // 404 / 409
  Emit(*c, "kill", {{"signal", std::to_string(number)}});
  const ContainerScript script = ScriptFor(*c);
  constexpr int kSigKill = 9;
  if (number == kSigKill) {
    Exit(*c, 137, /*oom=*/false);
  } else if (!IgnoredByDefault(number) && !script.ignores_stop_signal) {
    Exit(*c, script.stop_exit_code, /*oom=*/false);
  }
}

void FakeDocker::RemoveContainer(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Record("RemoveContainer", {id});
  Container* c = FindContainer(id);
  if (c == nullptr) return;                      // 404
  if (c->running) Exit(*c, 137, /*oom=*/false);  // force=1 kills it
  Emit(*c, "destroy");
  std::erase_if(containers_, [c](const auto& p) { return p.get() == c; });
}

ContainerState FakeDocker::InspectContainer(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Record("InspectContainer", {id});
  const Container& c = MustFindContainer(id);
  ContainerState s;
  s.id = c.id;
  s.name = c.name;
  s.status = c.status;
  s.running = c.running;
  s.oom_killed = c.oom_killed;
  s.exit_code = c.exit_code;
  s.error = c.error;
  s.started_at = c.started_at;
  s.finished_at = c.finished_at;
  s.health = c.health;
  s.image_id = c.image_id;
  s.labels = c.image.labels;
  for (const auto& [k, v] : c.spec.labels) s.labels[k] = v;
  s.env = c.spec.env;
  for (const std::string& entry : c.image.env) {
    const std::string key = entry.substr(0, entry.find('='));
    const bool overridden = std::any_of(s.env.begin(), s.env.end(), [&key](const std::string& e) {
      return e.substr(0, e.find('=')) == key;
    });
    if (!overridden) s.env.push_back(entry);
  }
  s.ports = c.bound_ports;
  s.tty = c.spec.tty;
  s.ip_address = c.ip;
  if (!c.ip.empty()) {
    for (const auto& network : networks_) {
      if (network->id == c.network_id) s.gateway = fake_docker::FormatIpv4(network->gateway);
    }
  }
  return s;
}

std::string FakeDocker::ContainerOutput(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Record("ContainerOutput", {id});
  return MustFindContainer(id).output;
}

std::string FakeDocker::ContainerStats(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Record("ContainerStats", {id});
  const Container& c = MustFindContainer(id);
  // Docker's shape with the fake's fixed numbers; a container that is not
  // running reads zero, as Docker's does.
  const long long usage = c.running ? 123456789 : 0;
  return nlohmann::json{
      {"read", c.running ? Tick() : "0001-01-01T00:00:00Z"},
      {"preread", "0001-01-01T00:00:00Z"},
      {"id", c.id},
      {"name", "/" + c.name},
      {"pids_stats", {{"current", c.running ? 1 : 0}}},
      {"cpu_stats",
       {{"cpu_usage", {{"total_usage", usage}}},
        {"system_cpu_usage", c.running ? 987654321000 : 0},
        {"online_cpus", 2}}},
      {"precpu_stats", {{"cpu_usage", {{"total_usage", 0}}}}},
      {"memory_stats", {{"usage", c.running ? 5242880 : 0}, {"limit", 536870912}}},
      {"networks",
       {{"eth0", {{"rx_bytes", c.running ? 1296 : 0}, {"tx_bytes", c.running ? 648 : 0}}}}}}
      .dump();
}

std::vector<ContainerSummary> FakeDocker::ListContainers(const std::vector<std::string>& labels) {
  const std::lock_guard lock(mutex_);
  Record("ListContainers", labels);
  std::vector<ContainerSummary> out;
  for (auto it = containers_.rbegin(); it != containers_.rend(); ++it) {  // newest first
    const Container& c = **it;
    std::map<std::string, std::string> merged = c.image.labels;
    for (const auto& [k, v] : c.spec.labels) merged[k] = v;
    if (HasLabels(merged, labels)) out.push_back({c.id, c.name, c.status, merged});
  }
  return out;
}

std::vector<docker::VolumeSummary> FakeDocker::ListVolumes(const std::vector<std::string>& labels) {
  const std::lock_guard lock(mutex_);
  Record("ListVolumes", labels);
  std::vector<docker::VolumeSummary> out;
  for (const auto& [name, volume_labels] : volumes_) {
    if (HasLabels(volume_labels, labels)) out.push_back({name, volume_labels});
  }
  return out;
}

void FakeDocker::RemoveVolume(const std::string& name) {
  const std::lock_guard lock(mutex_);
  Record("RemoveVolume", {name});
  if (!volumes_.contains(name)) return;  // 404
  std::vector<std::string> users;
  for (const auto& c : containers_) {
    for (const auto& v : c->spec.volumes) {
      if (v.source == name) users.push_back(c->id);
    }
  }
  if (!users.empty()) {
    std::string list;
    for (const auto& id : users) list += (list.empty() ? "" : " ") + id;
    throw DockerError(409, "remove " + name + ": volume is in use - [" + list + "]");
  }
  volumes_.erase(name);
}

}  // namespace berth::testing
