#include "tests/support/netns_engine.h"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <set>
#include <signal.h>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/support/berth_server.h"
#include "tests/support/text_files.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kPrefix = "berth-eng-";
const std::string kNetnsDir = "/run/netns/";
// Not $TMPDIR: the unix socket's path must fit in 108 bytes.
const std::string kTempRoot = "/tmp";
// The engine's end of the veth, inside its netns.
const std::string kEngineVeth = "eth0";
// Each slot has a /30 for the veth, a /24 for the bridge and a /20 address pool.
constexpr uint32_t kSlots = 256;
constexpr int kStartSeconds = 60;
constexpr int kStopSeconds = 15;
constexpr int kCommandSeconds = 30;
constexpr int kKillSeconds = 10;

// --- Names --------------------------------------------------------------------------------------

// The engines of this process that are not removed yet, and the counter their names end with.
struct Registry {
  std::mutex mutex;
  std::set<std::string> live;
  int next = 0;
};

Registry& Engines() {
  static Registry registry;
  return registry;
}

// A new "berth-eng-<pid>-<n>", registered as live; `number` is n.
std::string NewName(int& number) {
  Registry& engines = Engines();
  std::lock_guard lock(engines.mutex);
  number = engines.next++;
  const std::string name = kPrefix + std::to_string(getpid()) + "-" + std::to_string(number);
  engines.live.insert(name);
  return name;
}

void Forget(const std::string& name) {
  Registry& engines = Engines();
  std::lock_guard lock(engines.mutex);
  engines.live.erase(name);
}

// The pid in "berth-eng-<pid>-<n>"; 0 when `name` is not of that form.
pid_t OwnerOf(const std::string& name) {
  if (!name.starts_with(kPrefix)) return 0;
  const std::string rest = name.substr(kPrefix.size());
  const auto dash = rest.find('-');
  if (dash == 0 || dash == std::string::npos || dash + 1 == rest.size()) return 0;
  const auto digits = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  if (!digits(rest.substr(0, dash)) || !digits(rest.substr(dash + 1))) return 0;
  return static_cast<pid_t>(std::atol(rest.substr(0, dash).c_str()));
}

// True when the process that made engine `name` is gone: a dead pid, or this process's pid
// (reused) for an engine this process did not make.
bool IsLeftover(const std::string& name) {
  const pid_t owner = OwnerOf(name);
  if (owner <= 0) return false;
  if (owner == getpid()) {
    Registry& engines = Engines();
    std::lock_guard lock(engines.mutex);
    return engines.live.count(name) == 0;
  }
  return kill(owner, 0) != 0 && errno == ESRCH;
}

// The engine a directory "/tmp/berth-eng-<pid>-<n>-XXXXXX" belongs to ("" if none).
std::string NameOfDirectory(const std::string& file_name) {
  const size_t suffix = 7;  // "-XXXXXX" from mkdtemp
  if (!file_name.starts_with(kPrefix) || file_name.size() <= kPrefix.size() + suffix) return "";
  if (file_name[file_name.size() - suffix] != '-') return "";
  return file_name.substr(0, file_name.size() - suffix);
}

std::vector<std::string> DirectoriesOf(const std::string& name) {
  std::vector<std::string> directories;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kTempRoot, ec)) {
    if (NameOfDirectory(entry.path().filename().string()) == name) {
      directories.push_back(entry.path().string());
    }
  }
  return directories;
}

std::string Describe(const std::vector<std::string>& argv, const CommandResult& result) {
  return "`" + Trim(Join(argv)) + "` failed (exit " + std::to_string(result.exit_code) +
         "): " + Trim(result.err + result.out);
}

// --- Addresses ----------------------------------------------------------------------------------

struct Prefix {
  uint32_t base = 0;
  int length = 32;
};

constexpr uint32_t Octets(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

std::string Ipv4(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 255) + "." +
         std::to_string((address >> 8) & 255) + "." + std::to_string(address & 255);
}

std::optional<Prefix> ParsePrefix(const std::string& text) {
  const auto slash = text.find('/');
  in_addr address{};
  if (inet_pton(AF_INET, text.substr(0, slash).c_str(), &address) != 1) return std::nullopt;
  const int length = slash == std::string::npos ? 32 : std::atoi(text.c_str() + slash + 1);
  return Prefix{ntohl(address.s_addr), length};
}

bool Overlap(const Prefix& a, const Prefix& b) {
  const int length = std::min(a.length, b.length);
  const uint32_t mask = length <= 0 ? 0 : ~uint32_t{0} << (32 - length);
  return (a.base & mask) == (b.base & mask);
}

// Slot s: the veth's /30 in 10.231.2.0-10.231.5.255 (10.231.1.x is for engines made by hand).
Prefix VethOf(uint32_t slot) { return {Octets(10, 231, 2 + slot / 64, 4 * (slot % 64)), 30}; }
// The engine's docker0: 10.232.<s>.1/24.
std::string BridgeOf(uint32_t slot) { return Ipv4(Octets(10, 232, slot, 1)) + "/24"; }
// The pool its networks come from: a /20 in 10.240.0.0/12, sixteen /24 networks.
std::string PoolOf(uint32_t slot) {
  return Ipv4(Octets(10, 240 + slot / 16, (slot % 16) * 16, 0)) + "/20";
}

// The host's IPv4 routes of /16 or longer: a slot whose /30 overlaps one is in use. (A broader
// route, such as a VPN's 10.0.0.0/8, is only narrowed by the /30 for its four addresses.)
std::vector<Prefix> HostRoutes() {
  const CommandResult r =
      RunCommand({"ip", "-j", "-4", "route", "show", "table", "all"}, {}, "", kCommandSeconds);
  const nlohmann::json routes = nlohmann::json::parse(r.out, nullptr, false);
  std::vector<Prefix> prefixes;
  if (!routes.is_array()) return prefixes;
  for (const auto& route : routes) {
    const auto prefix = ParsePrefix(route.value("dst", ""));
    if (prefix && prefix->length >= 16) prefixes.push_back(*prefix);
  }
  return prefixes;
}

// --- Processes ----------------------------------------------------------------------------------

struct ProcessInfo {
  pid_t pid = 0;
  pid_t parent = 0;
  char state = '?';
  dev_t net_device = 0;
  ino_t net_inode = 0;
  std::vector<std::string> args;
  std::vector<std::string> cgroups;  // the paths of /proc/<pid>/cgroup
};

std::vector<std::string> SplitNul(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, '\0')) parts.push_back(part);
  return parts;
}

std::optional<ProcessInfo> ReadProcess(const fs::path& directory) {
  ProcessInfo p;
  p.pid = static_cast<pid_t>(std::atol(directory.filename().c_str()));
  const std::string stat_line = ReadFile(directory / "stat");
  const auto close = stat_line.rfind(')');
  if (close == std::string::npos || close + 2 >= stat_line.size()) return std::nullopt;
  std::istringstream rest(stat_line.substr(close + 2));
  rest >> p.state >> p.parent;
  struct stat ns {};
  if (stat((directory / "ns" / "net").c_str(), &ns) == 0) {
    p.net_device = ns.st_dev;
    p.net_inode = ns.st_ino;
  }
  p.args = SplitNul(ReadFile(directory / "cmdline"));
  for (const auto& line : Lines(ReadFile(directory / "cgroup"))) {
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second != std::string::npos) p.cgroups.push_back(line.substr(second + 1));
  }
  return p;
}

std::vector<ProcessInfo> ListProcesses() {
  std::vector<ProcessInfo> processes;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string file_name = entry.path().filename().string();
    if (!std::all_of(file_name.begin(), file_name.end(),
                     [](unsigned char c) { return std::isdigit(c); })) {
      continue;
    }
    if (auto p = ReadProcess(entry.path())) processes.push_back(std::move(*p));
  }
  return processes;
}

// True when `pid` runs (a zombie does not) with `directory` in its command line.
bool RunsIn(pid_t pid, const std::string& directory) {
  const auto p = ReadProcess(fs::path("/proc") / std::to_string(pid));
  if (!p || p->state == 'Z' || p->state == 'X') return false;
  return std::any_of(p->args.begin(), p->args.end(), [&](const std::string& arg) {
    return arg.find(directory) != std::string::npos;
  });
}

// The pid in `pid_file`, 0 when none.
pid_t PidIn(const std::string& pid_file) {
  return static_cast<pid_t>(std::atol(Trim(ReadFile(pid_file)).c_str()));
}

// What identifies one engine's processes, mounts, cgroups and devices.
struct EngineParts {
  std::string name;                      // never empty
  std::vector<std::string> directories;  // never empty strings
  std::string host_veth;                 // "" when unknown
};

std::optional<struct stat> NetnsOf(const std::string& name) {
  struct stat engine {};
  struct stat own {};
  if (stat((kNetnsDir + name).c_str(), &engine) != 0) return std::nullopt;
  // Never the test's own namespace: that would be every process of the host.
  if (stat("/proc/self/ns/net", &own) == 0 && own.st_dev == engine.st_dev &&
      own.st_ino == engine.st_ino) {
    return std::nullopt;
  }
  return engine;
}

bool HasComponent(const std::string& path, const std::string& component) {
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (part == component) return true;
  }
  return false;
}

// In the engine's netns (dockerd, containerd, docker-proxy, the shims), in its cgroup parent
// (the containers), or naming its directory or containerd namespace (the shims, after the
// netns is gone).
bool BelongsTo(const ProcessInfo& p, const EngineParts& engine,
               const std::optional<struct stat>& netns) {
  if (netns && p.net_device == netns->st_dev && p.net_inode == netns->st_ino) return true;
  for (const auto& cgroup : p.cgroups) {
    if (HasComponent(cgroup, engine.name)) return true;
  }
  for (const auto& arg : p.args) {
    if (arg == engine.name) return true;
    for (const auto& directory : engine.directories) {
      if (arg == directory || arg.find(directory + "/") != std::string::npos) return true;
    }
  }
  return false;
}

// The live processes of the engine and all their descendants.
std::set<pid_t> ProcessesOf(const EngineParts& engine) {
  const auto netns = NetnsOf(engine.name);
  const std::vector<ProcessInfo> processes = ListProcesses();
  std::multimap<pid_t, pid_t> children;
  std::vector<pid_t> pending;
  for (const auto& p : processes) {
    children.emplace(p.parent, p.pid);
    if (BelongsTo(p, engine, netns)) pending.push_back(p.pid);
  }
  std::set<pid_t> found;
  while (!pending.empty()) {
    const pid_t pid = pending.back();
    pending.pop_back();
    if (!found.insert(pid).second) continue;
    const auto [begin, end] = children.equal_range(pid);
    for (auto it = begin; it != end; ++it) pending.push_back(it->second);
  }
  std::set<pid_t> live;
  for (const auto& p : processes) {
    const bool dead = p.state == 'Z' || p.state == 'X';
    if (found.count(p.pid) != 0 && !dead && p.pid != 1 && p.pid != getpid()) live.insert(p.pid);
  }
  return live;
}

// --- Cgroups and mounts -------------------------------------------------------------------------

struct Mount {
  std::string point;
  std::string type;
};

// "\040" and the like, as /proc/self/mountinfo escapes them.
std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && std::isdigit(text[i + 1])) {
      out.push_back(static_cast<char>(std::strtol(text.substr(i + 1, 3).c_str(), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::vector<Mount> Mounts() {
  std::vector<Mount> mounts;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point;
    fields >> id >> parent >> device >> root >> point;
    std::string type;
    const auto dash = line.find(" - ");
    if (dash != std::string::npos) std::istringstream(line.substr(dash + 3)) >> type;
    mounts.push_back({Unescape(point), type});
  }
  return mounts;
}

std::vector<std::string> MountPointsUnder(const std::string& directory) {
  std::vector<std::string> points;
  for (const auto& mount : Mounts()) {
    if (mount.point == directory || mount.point.starts_with(directory + "/")) {
      points.push_back(mount.point);
    }
  }
  return points;
}

// Unmounts everything under `directory`, deepest first, lazily when busy; returns what is left.
std::vector<std::string> UnmountUnder(const std::string& directory) {
  for (int round = 0; round < 10; ++round) {
    std::vector<std::string> points = MountPointsUnder(directory);
    if (points.empty()) break;
    std::sort(points.begin(), points.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const auto& point : points) {
      if (umount2(point.c_str(), 0) != 0) umount2(point.c_str(), MNT_DETACH);
    }
  }
  return MountPointsUnder(directory);
}

// The mount points of the cgroup hierarchies: v1 controllers, the v2 tree, or both.
std::vector<std::string> CgroupRoots() {
  std::vector<std::string> roots;
  for (const auto& mount : Mounts()) {
    if (mount.type == "cgroup" || mount.type == "cgroup2") roots.push_back(mount.point);
  }
  return roots;
}

// Every cgroup directory of the engine's cgroup parent, deepest first.
std::vector<fs::path> CgroupsOf(const std::string& name) {
  std::vector<fs::path> directories;
  for (const auto& root : CgroupRoots()) {
    const fs::path top = fs::path(root) / name;
    std::error_code ec;
    if (!fs::is_directory(top, ec)) continue;
    directories.push_back(top);
    for (const auto& entry : fs::recursive_directory_iterator(top, ec)) {
      if (entry.is_directory(ec)) directories.push_back(entry.path());
    }
  }
  std::sort(directories.begin(), directories.end(), [](const fs::path& a, const fs::path& b) {
    return a.string().size() > b.string().size();
  });
  return directories;
}

// Paused containers take SIGKILL only once thawed.
void ThawCgroups(const std::string& name) {
  for (const auto& directory : CgroupsOf(name)) {
    if (fs::exists(directory / "freezer.state")) WriteFile(directory / "freezer.state", "THAWED");
    if (fs::exists(directory / "cgroup.freeze")) WriteFile(directory / "cgroup.freeze", "0");
  }
}

// SIGKILLs the engine's processes until none is left (at most kKillSeconds); returns those left.
std::set<pid_t> KillProcesses(const EngineParts& engine) {
  const auto deadline = Clock::now() + std::chrono::seconds(kKillSeconds);
  while (true) {
    const std::set<pid_t> left = ProcessesOf(engine);
    if (left.empty() || Clock::now() >= deadline) return left;
    ThawCgroups(engine.name);
    for (const pid_t pid : left) kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Removes the engine's cgroups (retrying while the last exits are reaped); returns those left.
std::vector<std::string> RemoveCgroups(const std::string& name) {
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (true) {
    std::vector<std::string> left;
    for (const auto& directory : CgroupsOf(name)) {
      if (rmdir(directory.c_str()) != 0 && errno != ENOENT) left.push_back(directory.string());
    }
    if (left.empty() || Clock::now() >= deadline) return left;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// --- Devices and namespaces ---------------------------------------------------------------------

bool DeviceExists(const std::string& device) {
  std::error_code ec;
  return !device.empty() && fs::exists("/sys/class/net/" + device, ec);
}

// The host's network devices by alias (the host's end of each engine's veth has the engine's
// name as its alias).
std::map<std::string, std::string> DevicesByAlias() {
  std::map<std::string, std::string> devices;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/class/net", ec)) {
    const std::string alias = Trim(ReadFile(entry.path() / "ifalias"));
    if (!alias.empty()) devices[alias] = entry.path().filename().string();
  }
  return devices;
}

bool NetnsExists(const std::string& name) {
  std::error_code ec;
  return fs::exists(kNetnsDir + name, ec);
}

// Removes all of one engine but its dockerd (stopped before); returns what could not be removed.
std::vector<std::string> RemoveEngine(EngineParts engine) {
  std::vector<std::string> problems;
  if (engine.name.empty()) return problems;
  std::erase(engine.directories, std::string());
  if (const std::set<pid_t> left = KillProcesses(engine); !left.empty()) {
    std::string pids;
    for (const pid_t pid : left) pids += " " + std::to_string(pid);
    problems.push_back("processes still alive after SIGKILL:" + pids);
  }
  for (const auto& directory : engine.directories) {
    for (const auto& point : UnmountUnder(directory)) problems.push_back("still mounted: " + point);
  }
  for (const auto& cgroup : RemoveCgroups(engine.name)) {
    problems.push_back("cgroup not removed: " + cgroup);
  }
  // The veth before the netns: deleting it removes both ends at once, whereas a deleted netns
  // (and the veth in it) goes away in the kernel's own time.
  std::set<std::string> veths;
  if (!engine.host_veth.empty()) veths.insert(engine.host_veth);
  if (const auto devices = DevicesByAlias(); devices.count(engine.name) != 0) {
    veths.insert(devices.at(engine.name));
  }
  for (const auto& veth : veths) {
    if (!DeviceExists(veth)) continue;
    const std::vector<std::string> argv = {"ip", "link", "del", veth};
    const CommandResult r = RunCommand(argv, {}, "", kCommandSeconds);
    if (DeviceExists(veth)) problems.push_back(Describe(argv, r));
  }
  if (NetnsExists(engine.name)) {
    const std::vector<std::string> argv = {"ip", "netns", "del", engine.name};
    const CommandResult r = RunCommand(argv, {}, "", kCommandSeconds);
    if (NetnsExists(engine.name)) problems.push_back(Describe(argv, r));
  }
  for (const auto& directory : engine.directories) {
    // Another test process may be removing the same leftovers at the same time (both saw its
    // owner dead): remove_all then fails on an entry the other one took (ENOENT) while the
    // directory is still there. Again until it is gone.
    std::error_code ec;
    const auto deadline = Clock::now() + std::chrono::seconds(kCommandSeconds);
    for (;;) {
      ec.clear();
      fs::remove_all(directory, ec);
      if (!fs::exists(directory) || Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (fs::exists(directory)) {
      problems.push_back("not removed: " + directory + ": " + ec.message());
    }
  }
  return problems;
}

void Report(const std::string& name, const std::vector<std::string>& problems) {
  for (const auto& problem : problems) {
    std::cerr << "NetnsEngine " << name << ": " << problem << "\n";
  }
}

}  // namespace

// --- NetnsEngine --------------------------------------------------------------------------------

NetnsEngine::NetnsEngine(std::vector<std::string> insecure_registries, bool tls)
    : insecure_registries_(std::move(insecure_registries)), tls_(tls) {
  RemoveLeftovers();
  ready_ = Create() && (!tls_ || MakeCertificates()) && StartDaemon();
}

NetnsEngine::~NetnsEngine() {
  RemoveContainers();
  StopDaemon();
  if (name_.empty()) return;
  Report(name_, RemoveEngine({name_, {directory_}, host_veth_}));
  Forget(name_);
}

bool NetnsEngine::Create() {
  name_ = NewName(number_);
  std::string pattern = kTempRoot + "/" + name_ + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    failure_ = "mkdtemp " + pattern + ": " + std::strerror(errno);
    return false;
  }
  directory_ = pattern;
  // Never the machine's /etc/docker/daemon.json.
  WriteFile(directory_ + "/daemon.json", "{}\n");
  return Step({"ip", "netns", "add", name_}) && ClaimSlot() && ConfigureAddresses();
}

// Slots are tried from one chosen by the pid and counter; creating the host's end of the veth,
// named after the slot, is what claims it (it fails when another engine has it).
bool NetnsEngine::ClaimSlot() {
  const std::vector<Prefix> routes = HostRoutes();
  const auto first = static_cast<uint32_t>(getpid() * 4 + number_) % kSlots;
  for (uint32_t i = 0; i < kSlots; ++i) {
    const uint32_t slot = (first + i) % kSlots;
    const Prefix veth = VethOf(slot);
    if (std::any_of(routes.begin(), routes.end(),
                    [&](const Prefix& route) { return Overlap(route, veth); })) {
      continue;
    }
    const std::string device = "beng" + std::to_string(slot) + "h";
    const std::vector<std::string> argv = {"ip",   "link", "add",       device,  "type", "veth",
                                           "peer", "name", kEngineVeth, "netns", name_};
    const CommandResult r = RunCommand(argv, {}, "", kCommandSeconds);
    if (r.exit_code != 0 && r.err.find("File exists") != std::string::npos) continue;
    if (r.exit_code != 0) {
      failure_ = Describe(argv, r);
      return false;
    }
    host_veth_ = device;
    host_address_ = Ipv4(veth.base + 1);
    engine_address_ = Ipv4(veth.base + 2);
    bridge_ip_ = BridgeOf(slot);
    address_pool_ = PoolOf(slot);
    return Step({"ip", "link", "set", host_veth_, "alias", name_});
  }
  failure_ = "no free slot: every /30 in 10.231.2.0-10.231.5.255 is in use";
  return false;
}

// Addresses on both ends, and no route in the netns but the /30's own.
bool NetnsEngine::ConfigureAddresses() {
  return Step({"ip", "addr", "add", host_address_ + "/30", "dev", host_veth_}) &&
         Step({"ip", "link", "set", host_veth_, "up"}) &&
         Step({"ip", "-n", name_, "addr", "add", engine_address_ + "/30", "dev", kEngineVeth}) &&
         Step({"ip", "-n", name_, "link", "set", kEngineVeth, "up"}) &&
         Step({"ip", "-n", name_, "link", "set", "lo", "up"});
}

// nsenter --net, not `ip netns exec`: that remounts /sys for the daemon, which then finds no
// cgroups. Only the network is the engine's own; its mounts and processes are the host's.
bool NetnsEngine::StartDaemon() {
  RemoveStalePidFiles();
  {
    std::ofstream log(log_path(), std::ios::app);
    log << "--- NetnsEngine: starting dockerd\n";
  }
  std::vector<std::string> argv = {
      "nsenter", "--net=" + kNetnsDir + name_, "dockerd", "--config-file",
      directory_ + "/daemon.json", "--data-root", directory_ + "/data", "--exec-root",
      directory_ + "/exec", "--pidfile", directory_ + "/docker.pid", "-H", unix_endpoint(), "-H",
      tcp_endpoint(), "--bip", bridge_ip_, "--default-address-pool",
      "base=" + address_pool_ + ",size=24",
      // A cgroup parent and a containerd namespace of its own: its containers can be told from
      // the host engine's by their cgroup, its shims by their command line.
      "--cgroup-parent", "/" + name_, "--exec-opt", "native.cgroupdriver=cgroupfs",
      "--containerd-namespace", name_, "--containerd-plugins-namespace", name_ + "-plugins"};
  for (const auto& registry : insecure_registries_) {
    argv.insert(argv.end(), {"--insecure-registry", registry});
  }
  if (tls_) {
    const std::string tls = directory_ + "/tls/";
    argv.insert(argv.end(), {"--tlsverify", "--tlscacert", tls + "ca.pem", "--tlscert",
                             tls + "server-cert.pem", "--tlskey", tls + "server-key.pem"});
  } else {
    argv.push_back("--tls=false");  // without it, a daemon on plain TCP waits 15 s at start-up
  }
  // A proxy in the test's environment would send pulls from the host's end elsewhere.
  const std::map<std::string, std::string> no_proxy = {
      {"HTTP_PROXY", ""}, {"HTTPS_PROXY", ""}, {"http_proxy", ""}, {"https_proxy", ""}};
  try {
    daemon_ = std::make_unique<ChildProcess>(argv, no_proxy, log_path());
  } catch (const std::exception& e) {
    failure_ = std::string("could not start dockerd: ") + e.what();
    return false;
  }
  return WaitUntilAnswering();
}

bool NetnsEngine::WaitUntilAnswering() {
  const auto deadline = Clock::now() + std::chrono::seconds(kStartSeconds);
  const std::string socket = directory_ + "/docker.sock";
  while (true) {
    if (!daemon_->Running()) {
      failure_ = "dockerd exited at start-up";
      return false;
    }
    const HttpReply local =
        Curl("http://localhost/_ping", {"--unix-socket", socket, "--max-time", "2"});
    const std::string client = client_cert_path() + "/";
    const HttpReply remote =
        tls_ ? Curl("https://" + engine_address_ + ":2376/_ping",
                    {"--noproxy", "*", "--max-time", "2", "--cacert", client + "ca.pem", "--cert",
                     client + "cert.pem", "--key", client + "key.pem"})
             : Curl("http://" + engine_address_ + ":2375/_ping",
                    {"--noproxy", "*", "--max-time", "2"});
    if (local.status == 200 && remote.status == 200) return true;
    if (Clock::now() >= deadline) {
      failure_ = "dockerd did not answer /_ping on " + unix_endpoint() + " and " + tcp_endpoint() +
                 " within " + std::to_string(kStartSeconds) + " s";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void NetnsEngine::StopDaemon() {
  if (!daemon_) return;
  if (!daemon_->Stop(SIGTERM, kStopSeconds)) daemon_->Stop(SIGKILL, 5);
  daemon_.reset();
}

// Faster than letting dockerd stop them: it gives each 15 s to end on SIGTERM.
void NetnsEngine::RemoveContainers() const {
  if (!daemon_ || !ready_) return;
  const std::vector<std::string> ids = Lines(Docker({"ps", "-aq"}, kCommandSeconds).out);
  if (ids.empty()) return;
  std::vector<std::string> args = {"rm", "-f", "-v"};
  args.insert(args.end(), ids.begin(), ids.end());
  Docker(args, 60);
}

bool NetnsEngine::Step(const std::vector<std::string>& argv) {
  const CommandResult r = RunCommand(argv, {}, "", kCommandSeconds);
  if (r.exit_code == 0) return true;
  failure_ = Describe(argv, r);
  return false;
}

std::string NetnsEngine::failure() const {
  if (ready_) return "";
  if (directory_.empty()) return failure_;
  const std::string log = ReadFile(log_path());
  return failure_ + "\n--- the end of " + log_path() + ":\n" +
         log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
}

std::string NetnsEngine::unix_endpoint() const { return "unix://" + directory_ + "/docker.sock"; }

std::string NetnsEngine::tcp_endpoint() const {
  return "tcp://" + engine_address_ + (tls_ ? ":2376" : ":2375");
}

bool NetnsEngine::MakeCertificates() {
  const std::string tls = directory_ + "/tls/";
  const std::string client = client_cert_path() + "/";
  std::filesystem::create_directories(client);
  // Extensions as Docker's "Protect the Docker daemon socket" guide makes them: the engine's
  // certificate names its address, the client's is for client authentication.
  WriteFile(tls + "server.ext",
            "subjectAltName = IP:" + engine_address_ + "\nextendedKeyUsage = serverAuth\n");
  WriteFile(tls + "client.ext", "extendedKeyUsage = clientAuth\n");
  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
       "/CN=berth-test-ca", "-keyout", tls + "ca-key.pem", "-out", tls + "ca.pem"},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + engine_address_,
       "-keyout", tls + "server-key.pem", "-out", tls + "server.csr"},
      {"openssl", "x509", "-req", "-in", tls + "server.csr", "-CA", tls + "ca.pem", "-CAkey",
       tls + "ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", tls + "server.ext", "-out",
       tls + "server-cert.pem"},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=berth-test-client",
       "-keyout", client + "key.pem", "-out", tls + "client.csr"},
      {"openssl", "x509", "-req", "-in", tls + "client.csr", "-CA", tls + "ca.pem", "-CAkey",
       tls + "ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", tls + "client.ext", "-out",
       client + "cert.pem"},
      {"cp", tls + "ca.pem", client + "ca.pem"}};
  for (const auto& step : steps) {
    if (!Step(step)) return false;
  }
  return true;
}

CommandResult NetnsEngine::Docker(const std::vector<std::string>& args, int timeout_seconds) const {
  std::vector<std::string> argv = {"docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunDockerCommand(argv, {{"DOCKER_HOST", unix_endpoint()}}, "", timeout_seconds);
}

CommandResult NetnsEngine::LoadFromHost(const std::string& image) const {
  static std::atomic<int> loads{0};
  const std::string archive = directory_ + "/load-" + std::to_string(++loads) + ".tar";
  CommandResult result = RunCommand({"docker", "save", "-o", archive, image}, {}, "", 300);
  if (result.exit_code != 0) {
    result.err = "docker save " + image + " (the host's engine) failed: " + result.err;
  } else {
    result = Docker({"load", "-q", "-i", archive}, 300);
    if (result.exit_code != 0) result.err = "docker load into " + name_ + " failed: " + result.err;
  }
  std::error_code ignored;
  fs::remove(archive, ignored);
  return result;
}

void NetnsEngine::KillDaemon() {
  ready_ = false;
  if (!daemon_) return;
  daemon_->Stop(SIGKILL, 10);
  daemon_.reset();
  // Its containerd is signalled by the kernel when dockerd dies; it ends within milliseconds.
  const pid_t containerd = PidIn(ContainerdPidFile());
  const auto deadline = Clock::now() + std::chrono::seconds(kKillSeconds);
  while (containerd > 0 && RunsIn(containerd, directory_) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (containerd > 0 && RunsIn(containerd, directory_)) kill(containerd, SIGKILL);
  RemoveStalePidFiles();
}

// dockerd takes the process in a pid file for a running one as long as it exists, even as a
// zombie: a restarted dockerd would wait for a dead containerd (the orphan is reaped by pid 1,
// which can take seconds) and give up. Removes the pid files of dead processes.
void NetnsEngine::RemoveStalePidFiles() const {
  for (const auto& pid_file : {directory_ + "/docker.pid", ContainerdPidFile()}) {
    const pid_t pid = PidIn(pid_file);
    std::error_code ignored;
    if (pid <= 0 || !RunsIn(pid, directory_)) fs::remove(pid_file, ignored);
  }
}

std::string NetnsEngine::ContainerdPidFile() const {
  return directory_ + "/exec/containerd/containerd.pid";
}

bool NetnsEngine::Restart() {
  StopDaemon();
  ready_ = false;
  if (host_veth_.empty() || !NetnsExists(name_)) return false;  // never created: failure_ says
  failure_.clear();
  ready_ = StartDaemon();
  return ready_;
}

void NetnsEngine::RemoveLeftovers() {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kNetnsDir, ec)) {
    names.insert(entry.path().filename().string());
  }
  for (const auto& entry : fs::directory_iterator(kTempRoot, ec)) {
    names.insert(NameOfDirectory(entry.path().filename().string()));
  }
  for (const auto& [alias, device] : DevicesByAlias()) names.insert(alias);
  for (const auto& root : CgroupRoots()) {
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      names.insert(entry.path().filename().string());
    }
  }
  for (const auto& name : names) {
    if (!IsLeftover(name)) continue;
    Report(name, RemoveEngine({name, DirectoriesOf(name), ""}));
  }
}

}  // namespace berth::testing
