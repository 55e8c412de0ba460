#include "server/ecs/task_definition_rules.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

// The least memory Docker gives a container, and the port range.
constexpr int64_t kMinContainerMemoryMib = 6;
constexpr int64_t kMaxPort = 65535;
// The ephemeral storage range, in GiB.
constexpr int64_t kMinEphemeralGib = 21;
constexpr int64_t kMaxEphemeralGib = 200;
// Task-level cpu units ECS accepts on EC2.
constexpr int64_t kMinTaskCpu = 128;
constexpr int64_t kMaxTaskCpu = 196608;
// Fargate's container start/stop timeout range, in seconds.
constexpr int64_t kMinFargateTimeout = 2;
constexpr int64_t kMaxFargateTimeout = 120;
constexpr size_t kMaxImageLength = 255;

// Messages real ECS uses (reference section 4.2, [observed]).
constexpr const char* kCpuMessage =
    "Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of "
    "the Amazon ECS Developer Guide.";
constexpr const char* kMemoryMessage =
    "Invalid 'memory' setting for task. For more information, see the Troubleshooting section "
    "of the Amazon ECS Developer Guide.";
constexpr const char* kFargateNetworkModeMessage =
    "Fargate only supports network mode \u2018awsvpc\u2019.";
constexpr const char* kSuccessTargetEssentialMessage =
    "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container";

// ---------------------------------------------------------------------------
// Reading members: a member set to JSON null counts as absent.

bool Present(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

std::string StringOr(const json& object, const char* key, const std::string& fallback) {
  return Present(object, key) ? object.at(key).get<std::string>() : fallback;
}

std::optional<int64_t> IntMember(const json& object, const char* key) {
  if (!Present(object, key)) return std::nullopt;
  return object.at(key).get<int64_t>();
}

bool NonEmptyList(const json& object, const char* key) {
  return Present(object, key) && object.at(key).is_array() && !object.at(key).empty();
}

// The list member, or an empty array when it is absent.
const json& ListOrEmpty(const json& object, const char* key) {
  static const json kEmpty = json::array();
  return Present(object, key) ? object.at(key) : kEmpty;
}

// "Invalid setting for container '<name>'. <detail>", the shape of ECS's
// observed per-container messages.
AwsError ContainerError(const std::string& name, const std::string& detail) {
  return ClientException("Invalid setting for container '" + name + "'. " + detail);
}

// ---------------------------------------------------------------------------
// Task cpu / memory units.

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

int64_t ParseDigits(std::string_view digits) {
  int64_t value = 0;
  for (const char c : digits) value = value * 10 + (c - '0');
  return value;
}

// A plain decimal integer (at most 9 digits), or nullopt.
std::optional<int64_t> ParseInteger(std::string_view text) {
  if (!AllDigits(text) || text.size() > 9) return std::nullopt;
  return ParseDigits(text);
}

// "<digits>[.<digits>]" times 1024, when that is a whole number; else nullopt.
std::optional<int64_t> ParseTimes1024(std::string_view text) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (!AllDigits(whole) || whole.size() > 9) return std::nullopt;
  if (dot != std::string_view::npos && (!AllDigits(fraction) || fraction.size() > 6)) {
    return std::nullopt;
  }
  int64_t scale = 1;
  for (size_t i = 0; i < fraction.size(); ++i) scale *= 10;
  const int64_t numerator =
      ParseDigits(whole) * scale + (fraction.empty() ? 0 : ParseDigits(fraction));
  if ((numerator * 1024) % scale != 0) return std::nullopt;
  return numerator * 1024 / scale;
}

// `text` as units: a plain integer, or a number followed by `unit` (any case,
// optional spaces), scaled by 1024.
std::optional<int64_t> ParseUnits(std::string_view text, std::string_view unit) {
  text = Trim(text);
  if (auto plain = ParseInteger(text)) return plain;
  if (text.size() <= unit.size()) return std::nullopt;
  const std::string_view suffix = text.substr(text.size() - unit.size());
  const bool unit_matches =
      std::equal(suffix.begin(), suffix.end(), unit.begin(),
                 [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  if (!unit_matches) return std::nullopt;
  return ParseTimes1024(Trim(text.substr(0, text.size() - unit.size())));
}

// ---------------------------------------------------------------------------
// Images.

// The registry host of an image reference, or "" for Docker Hub images.
std::string_view RegistryHost(std::string_view image) {
  const auto slash = image.find('/');
  if (slash == std::string_view::npos) return {};
  const std::string_view first = image.substr(0, slash);
  if (first.find('.') == std::string_view::npos && first.find(':') == std::string_view::npos &&
      first != "localhost") {
    return {};
  }
  return first;
}

bool IsValidImage(std::string_view image) {
  return !image.empty() && image.size() <= kMaxImageLength &&
         std::all_of(image.begin(), image.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
                  c == ':' || c == '.' || c == '/' || c == '#' || c == '@';
         });
}

// ---------------------------------------------------------------------------
// Fargate.

// Task memory (MiB) Fargate offers for one cpu size: min..max in `step`s.
struct FargateSize {
  int64_t cpu;
  int64_t min_memory;
  int64_t max_memory;
  int64_t step;
};

// The Fargate task size table (reference 4.2); 256 units is special-cased.
constexpr std::array<FargateSize, 6> kFargateSizes = {{
    {512, 1024, 4096, 1024},
    {1024, 2048, 8192, 1024},
    {2048, 4096, 16384, 1024},
    {4096, 8192, 30720, 1024},
    {8192, 16384, 61440, 4096},
    {16384, 32768, 122880, 8192},
}};

bool IsFargateCpu(int64_t cpu) {
  return cpu == 256 || std::any_of(kFargateSizes.begin(), kFargateSizes.end(),
                                   [cpu](const FargateSize& s) { return s.cpu == cpu; });
}

bool RequiresFargate(const json& td) {
  for (const auto& compatibility : ListOrEmpty(td, "requiresCompatibilities")) {
    if (compatibility == "FARGATE") return true;
  }
  return false;
}

std::string NetworkMode(const json& td) { return StringOr(td, "networkMode", ""); }

// The Fargate rules on task-level settings (network mode and size): the
// message of the first one `td` breaks, or nullopt.
std::optional<std::string> FargateTaskLevelViolation(const json& td) {
  if (NetworkMode(td) != "awsvpc") return kFargateNetworkModeMessage;
  if (!Present(td, "cpu")) return "Fargate requires that 'cpu' be defined at the task level.";
  if (!Present(td, "memory")) return "Fargate requires that 'memory' be defined at the task level.";
  const int64_t cpu = std::stoll(td.at("cpu").get<std::string>());
  const int64_t memory = std::stoll(td.at("memory").get<std::string>());
  if (!IsFargateCpu(cpu)) return kCpuMessage;
  if (!IsFargateTaskSize(cpu, memory)) return "No Fargate configuration exists for given values.";
  return std::nullopt;
}

std::string LogDriver(const json& container) {
  if (!Present(container, "logConfiguration")) return "";
  return StringOr(container.at("logConfiguration"), "logDriver", "");
}

// The Fargate rules on features (volumes, privileges, timeouts, roles, sizes
// of containers): the message of the first one `td` breaks, or nullopt.
// Expects the task-level rules to hold.
std::optional<std::string> FargateFeatureViolation(const json& td) {
  for (const auto& volume : ListOrEmpty(td, "volumes")) {
    const std::string name = StringOr(volume, "name", "");
    if (Present(volume, "host") && Present(volume.at("host"), "sourcePath")) {
      return "Fargate does not support host volumes with a 'sourcePath' (volume '" + name + "').";
    }
    if (Present(volume, "dockerVolumeConfiguration")) {
      return "Fargate does not support 'dockerVolumeConfiguration' (volume '" + name + "').";
    }
  }
  if (StringOr(td, "pidMode", "") == "host") {
    return "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value "
           "for pidMode is 'task'.";
  }
  if (Present(td, "ipcMode")) return "Fargate does not support 'ipcMode'.";
  const bool has_execution_role = Present(td, "executionRoleArn");
  int64_t container_memory = 0;
  int64_t container_cpu = 0;
  for (const auto& container : td.at("containerDefinitions")) {
    const std::string name = container.at("name").get<std::string>();
    const std::string prefix = "Invalid setting for container '" + name + "'. ";
    if (container.value("privileged", false)) {
      return prefix + "Fargate does not support privileged containers.";
    }
    if (Present(container, "linuxParameters") &&
        NonEmptyList(container.at("linuxParameters"), "devices")) {
      return prefix + "Fargate does not support 'linuxParameters.devices'.";
    }
    for (const char* timeout : {"startTimeout", "stopTimeout"}) {
      const auto seconds = IntMember(container, timeout);
      if (seconds && (*seconds < kMinFargateTimeout || *seconds > kMaxFargateTimeout)) {
        return prefix + "On Fargate, '" + timeout + "' must be between 2 and 120 seconds.";
      }
    }
    if (LogDriver(container) == "awslogs" && !has_execution_role) {
      return "Fargate requires task definition to have execution role ARN to support log driver "
             "awslogs.";
    }
    if (IsAwsEcrImage(container.at("image").get<std::string>()) && !has_execution_role) {
      return "Fargate requires task definition to have execution role ARN to support ECR images.";
    }
    container_memory += IntMember(container, "memory").value_or(0);
    container_cpu += IntMember(container, "cpu").value_or(0);
  }
  const int64_t task_memory = std::stoll(td.at("memory").get<std::string>());
  const int64_t task_cpu = std::stoll(td.at("cpu").get<std::string>());
  if (container_memory > task_memory) {
    return "The sum of the containers' 'memory' values (" + std::to_string(container_memory) +
           " MiB) exceeds the task's 'memory' (" + std::to_string(task_memory) + " MiB).";
  }
  if (container_cpu > task_cpu) {
    return "The sum of the containers' 'cpu' values (" + std::to_string(container_cpu) +
           ") exceeds the task's 'cpu' (" + std::to_string(task_cpu) + ").";
  }
  return std::nullopt;
}

std::optional<std::string> FargateViolation(const json& td) {
  if (auto violation = FargateTaskLevelViolation(td)) return violation;
  return FargateFeatureViolation(td);
}

// ---------------------------------------------------------------------------
// The rules, in the order they run.

void CheckFamily(const json& request) {
  const std::string family = StringOr(request, "family", "");
  if (family.empty()) throw ClientException("Family can not be blank.");
  if (!IsEcsName(family)) throw ClientException("Family contains invalid characters.");
}

void CheckContainerIdentities(const json& containers) {
  if (containers.empty()) throw ClientException("Container list cannot be empty.");
  if (containers.size() > kMaxContainersPerTaskDefinition) {
    throw ClientException("Too many containers: a task definition can have at most " +
                          std::to_string(kMaxContainersPerTaskDefinition) + " containers.");
  }
  std::set<std::string> names;
  for (const auto& container : containers) {
    const std::string name = StringOr(container, "name", "");
    if (name.empty()) throw ClientException("Container.name should not be null or empty.");
    if (!IsEcsName(name)) throw ClientException("Container.name contains invalid characters.");
    const std::string image = StringOr(container, "image", "");
    if (image.empty()) throw ClientException("Container.image should not be null or empty.");
    if (!IsValidImage(image)) throw ClientException("Container.image contains invalid characters.");
    if (!names.insert(name).second) {
      throw ClientException("Container names must be unique within a Task Definition.");
    }
  }
}

// Materialises `essential` (true when absent) and requires one essential.
void NormaliseEssential(json& containers) {
  bool any_essential = false;
  for (auto& container : containers) {
    if (!Present(container, "essential")) container["essential"] = true;
    any_essential = any_essential || container.at("essential").get<bool>();
  }
  if (!any_essential) {
    throw ClientException("Task definition doesn't have any essential container.");
  }
}

void NormaliseTaskSize(json& td) {
  if (Present(td, "cpu")) td["cpu"] = NormaliseTaskCpu(td.at("cpu").get<std::string>());
  if (Present(td, "memory")) td["memory"] = NormaliseTaskMemory(td.at("memory").get<std::string>());
}

void CheckContainerMemory(const json& td) {
  const bool task_memory = Present(td, "memory");
  for (const auto& container : td.at("containerDefinitions")) {
    const std::string name = container.at("name").get<std::string>();
    const auto memory = IntMember(container, "memory");
    const auto reservation = IntMember(container, "memoryReservation");
    if (!task_memory && !memory && !reservation) {
      throw ContainerError(name,
                           "At least one of 'memory' or 'memoryReservation' must be specified.");
    }
    // Docker (20.10+) keeps at least 6 MiB for a container.
    if (memory && *memory < kMinContainerMemoryMib) {
      throw ContainerError(name, "The 'memory' setting must be at least 6 MiB.");
    }
    if (reservation && *reservation < kMinContainerMemoryMib) {
      throw ContainerError(name, "The 'memoryReservation' setting must be at least 6 MiB.");
    }
    if (const auto cpu = IntMember(container, "cpu"); cpu && *cpu < 0) {
      throw ContainerError(name, "The 'cpu' setting must not be negative.");
    }
    if (memory && reservation && *memory < *reservation) {
      throw ContainerError(name, "'memory' must be greater than or equal to 'memoryReservation'.");
    }
  }
}

void CheckEphemeralStorage(const json& td) {
  if (!Present(td, "ephemeralStorage")) return;
  const auto size = IntMember(td.at("ephemeralStorage"), "sizeInGiB");
  if (!size || *size < kMinEphemeralGib || *size > kMaxEphemeralGib) {
    throw ClientException(
        "Invalid 'ephemeralStorage' setting for task. The 'sizeInGiB' must be "
        "between 21 and 200.");
  }
}

// Network-mode rules, and port mappings normalised: protocol "tcp" when
// absent, hostPort = containerPort (awsvpc, host) or 0 (bridge) when absent.
void NormalisePorts(json& td) {
  const std::string mode = NetworkMode(td);
  const std::string effective_mode = mode.empty() ? "bridge" : mode;
  const bool same_ports = mode == "awsvpc" || mode == "host";
  // (hostPort, protocol) -> container, to catch two containers on one port.
  std::map<std::pair<int64_t, std::string>, std::string> task_ports;
  for (auto& container : td.at("containerDefinitions")) {
    const std::string name = container.at("name").get<std::string>();
    if (mode == "none" && NonEmptyList(container, "portMappings")) {
      throw ContainerError(name, "Port mappings are not supported when networkMode=none.");
    }
    if (NonEmptyList(container, "links") && effective_mode != "bridge") {
      throw ContainerError(name, "'links' are not supported when networkMode=" + mode + ".");
    }
    if (mode == "awsvpc" && Present(container, "hostname")) {
      throw ContainerError(name, "'hostname' is not supported when networkMode=awsvpc.");
    }
    if (mode == "awsvpc" && NonEmptyList(container, "extraHosts")) {
      throw ContainerError(name, "'extraHosts' is not supported when networkMode=awsvpc.");
    }
    if (!Present(container, "portMappings")) continue;
    std::set<std::pair<int64_t, std::string>> container_ports;
    for (auto& mapping : container.at("portMappings")) {
      if (!Present(mapping, "protocol")) mapping["protocol"] = "tcp";
      const auto container_port = IntMember(mapping, "containerPort");
      if (!container_port) continue;  // a containerPortRange mapping
      if (*container_port < 1 || *container_port > kMaxPort) {
        throw ContainerError(name, "'containerPort' must be between 1 and 65535.");
      }
      if (const auto host_port = IntMember(mapping, "hostPort");
          host_port && (*host_port < 0 || *host_port > kMaxPort)) {
        throw ContainerError(name, "'hostPort' must be between 0 and 65535.");
      }
      const std::string protocol = mapping.at("protocol").get<std::string>();
      if (same_ports) {
        if (!Present(mapping, "hostPort")) mapping["hostPort"] = *container_port;
        if (mapping.at("hostPort").get<int64_t>() != *container_port) {
          throw ClientException(
              "When networkMode=" + mode +
              ", the host ports and container ports in port mappings must match.");
        }
      } else if (!Present(mapping, "hostPort")) {
        mapping["hostPort"] = 0;
      }
      if (!container_ports.emplace(*container_port, protocol).second) {
        throw ContainerError(name, "Container port " + std::to_string(*container_port) + "/" +
                                       protocol + " is mapped more than once.");
      }
      if (same_ports) {
        const auto [it, inserted] =
            task_ports.emplace(std::make_pair(*container_port, protocol), name);
        if (!inserted) {
          throw ClientException("When networkMode=" + mode + ", containers '" + it->second +
                                "' and '" + name + "' cannot both use port " +
                                std::to_string(*container_port) + "/" + protocol + ".");
        }
      }
    }
  }
}

void CheckVolumes(const json& td) {
  std::set<std::string> volumes;
  for (const auto& volume : ListOrEmpty(td, "volumes")) {
    if (!Present(volume, "name")) continue;
    if (!volumes.insert(volume.at("name").get<std::string>()).second) {
      throw ClientException("Volume names must be unique within a Task Definition.");
    }
  }
  for (const auto& container : td.at("containerDefinitions")) {
    for (const auto& mount : ListOrEmpty(container, "mountPoints")) {
      if (!Present(mount, "sourceVolume")) continue;
      const std::string source = mount.at("sourceVolume").get<std::string>();
      if (volumes.count(source) == 0) {
        throw ContainerError(container.at("name").get<std::string>(),
                             "The mount point's sourceVolume '" + source +
                                 "' does not name a volume of the task definition.");
      }
    }
  }
}

// Depth-first search for a dependency cycle; `state`: 0 new, 1 on the path,
// 2 done. Returns the name of a container on a cycle, or "".
std::string FindCycle(const std::string& name, const std::map<std::string, const json*>& containers,
                      std::map<std::string, int>& state) {
  state[name] = 1;
  for (const auto& dependency : ListOrEmpty(*containers.at(name), "dependsOn")) {
    const std::string target = dependency.at("containerName").get<std::string>();
    if (state[target] == 1) return target;
    if (state[target] == 0) {
      if (auto cycle = FindCycle(target, containers, state); !cycle.empty()) return cycle;
    }
  }
  state[name] = 2;
  return "";
}

void CheckDependencies(const json& td) {
  std::map<std::string, const json*> containers;
  for (const auto& container : td.at("containerDefinitions")) {
    containers[container.at("name").get<std::string>()] = &container;
  }
  for (const auto& [name, container] : containers) {
    for (const auto& dependency : ListOrEmpty(*container, "dependsOn")) {
      const std::string target = dependency.at("containerName").get<std::string>();
      const std::string condition = StringOr(dependency, "condition", "");
      if (target == name) throw ContainerError(name, "A container cannot depend on itself.");
      const auto it = containers.find(target);
      if (it == containers.end()) {
        throw ContainerError(name, "The dependency container '" + target + "' does not exist.");
      }
      const json& target_container = *it->second;
      if ((condition == "SUCCESS" || condition == "COMPLETE") &&
          target_container.at("essential").get<bool>()) {
        throw ClientException(kSuccessTargetEssentialMessage);
      }
      if (condition == "HEALTHY" && !Present(target_container, "healthCheck")) {
        throw ClientException(
            "A dependency container with HEALTHY condition must have a healthCheck (container '" +
            target + "').");
      }
    }
  }
  std::map<std::string, int> state;
  for (const auto& [name, container] : containers) {
    if (state[name] != 0) continue;
    if (auto cycle = FindCycle(name, containers, state); !cycle.empty()) {
      throw ClientException(
          "The container dependencies (dependsOn) contain a cycle through container '" + cycle +
          "'.");
    }
  }
}

// A healthCheck member's allowed range and unit, per the botocore model.
struct HealthCheckRange {
  const char* member;
  int64_t min;
  int64_t max;
  const char* unit;
};

constexpr std::array<HealthCheckRange, 4> kHealthCheckRanges = {{
    {"interval", 5, 300, " seconds"},
    {"timeout", 2, 60, " seconds"},
    {"retries", 1, 10, ""},
    {"startPeriod", 0, 300, " seconds"},
}};

void CheckHealthChecks(const json& td) {
  for (const auto& container : td.at("containerDefinitions")) {
    if (!Present(container, "healthCheck")) continue;
    const json& check = container.at("healthCheck");
    for (const auto& range : kHealthCheckRanges) {
      const auto value = IntMember(check, range.member);
      if (value && (*value < range.min || *value > range.max)) {
        throw ContainerError(container.at("name").get<std::string>(),
                             std::string("healthCheck.") + range.member + " must be between " +
                                 std::to_string(range.min) + " and " + std::to_string(range.max) +
                                 range.unit + ".");
      }
    }
  }
}

// Container members ECS always echoes: cpu 0 and empty lists when absent.
void NormaliseContainerDefaults(json& containers) {
  for (auto& container : containers) {
    if (!Present(container, "cpu")) container["cpu"] = 0;
    for (const char* list :
         {"portMappings", "environment", "mountPoints", "volumesFrom", "systemControls"}) {
      if (!Present(container, list)) container[list] = json::array();
    }
  }
}

json Compatibilities(const json& td) {
  if (NetworkMode(td) != "awsvpc") return json::array({"EXTERNAL", "EC2"});
  if (FargateViolation(td)) return json::array({"EC2"});
  return json::array({"EC2", "FARGATE"});
}

// The agent capabilities the definition needs, in a fixed order.
json RequiresAttributes(const json& td) {
  bool ecr_image = false;
  bool awslogs = false;
  bool health_check = false;
  bool ordering = false;
  std::set<std::string> drivers;
  for (const auto& container : td.at("containerDefinitions")) {
    ecr_image = ecr_image || IsEcrImage(container.at("image").get<std::string>());
    const std::string driver = LogDriver(container);
    if (!driver.empty()) drivers.insert(driver);
    awslogs = awslogs || driver == "awslogs";
    health_check = health_check || Present(container, "healthCheck");
    ordering = ordering || NonEmptyList(container, "dependsOn");
  }
  const bool execution_role = Present(td, "executionRoleArn");
  std::vector<std::string> names;
  if (ecr_image) names.emplace_back("com.amazonaws.ecs.capability.ecr-auth");
  if (Present(td, "taskRoleArn")) names.emplace_back("com.amazonaws.ecs.capability.task-iam-role");
  if (ecr_image && execution_role) names.emplace_back("ecs.capability.execution-role-ecr-pull");
  for (const auto& driver : drivers) {
    names.push_back("com.amazonaws.ecs.capability.logging-driver." + driver);
  }
  if (awslogs) {
    names.emplace_back("com.amazonaws.ecs.capability.docker-remote-api.1.19");
    if (execution_role) names.emplace_back("ecs.capability.execution-role-awslogs");
  }
  if (NetworkMode(td) == "awsvpc") names.emplace_back("ecs.capability.task-eni");
  if (health_check) names.emplace_back("ecs.capability.container-health-check");
  if (ordering) names.emplace_back("ecs.capability.container-ordering");
  json attributes = json::array();
  for (const auto& name : names) attributes.push_back({{"name", name}});
  return attributes;
}

}  // namespace

std::string NormaliseTaskCpu(std::string_view value) {
  const auto units = ParseUnits(value, "vcpu");
  if (!units || *units < kMinTaskCpu || *units > kMaxTaskCpu) throw ClientException(kCpuMessage);
  return std::to_string(*units);
}

std::string NormaliseTaskMemory(std::string_view value) {
  const auto mib = ParseUnits(value, "gb");
  if (!mib || *mib < kMinContainerMemoryMib) throw ClientException(kMemoryMessage);
  return std::to_string(*mib);
}

bool IsFargateTaskSize(int64_t cpu, int64_t memory) {
  if (cpu == 256) return memory == 512 || memory == 1024 || memory == 2048;
  return std::any_of(kFargateSizes.begin(), kFargateSizes.end(), [&](const FargateSize& s) {
    return s.cpu == cpu && memory >= s.min_memory && memory <= s.max_memory &&
           (memory - s.min_memory) % s.step == 0;
  });
}

bool IsAwsEcrImage(std::string_view image) {
  // <12 digits>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository...>,
  // read by hand: every registration checks each container's image, and a
  // std::regex took 2 % of RegisterTaskDefinition's CPU.
  const size_t slash = image.find('/');
  if (slash == std::string_view::npos || slash + 1 == image.size()) return false;
  std::string_view host = image.substr(0, slash);
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (host.size() < 12 || !std::all_of(host.begin(), host.begin() + 12, digit)) return false;
  host.remove_prefix(12);
  const auto take = [&host](std::string_view prefix) {
    if (!host.starts_with(prefix)) return false;
    host.remove_prefix(prefix.size());
    return true;
  };
  if (!take(".dkr.ecr")) return false;
  take("-fips");
  if (!take(".")) return false;
  if (host.ends_with(".amazonaws.com.cn")) {
    host.remove_suffix(std::string_view(".amazonaws.com.cn").size());
  } else if (host.ends_with(".amazonaws.com")) {
    host.remove_suffix(std::string_view(".amazonaws.com").size());
  } else {
    return false;
  }
  return !host.empty() && std::all_of(host.begin(), host.end(), [&](char c) {
    return digit(c) || (c >= 'a' && c <= 'z') || c == '-';
  });
}

bool IsEcrImage(std::string_view image) {
  return IsAwsEcrImage(image) || RegistryHost(image).find(':') != std::string_view::npos;
}

json NormaliseTaskDefinition(const json& request) {
  CheckFamily(request);
  json td = request;
  td.erase("tags");
  if (!Present(td, "containerDefinitions")) td["containerDefinitions"] = json::array();
  json& containers = td.at("containerDefinitions");
  CheckContainerIdentities(containers);
  NormaliseEssential(containers);
  NormaliseTaskSize(td);
  const bool fargate = RequiresFargate(td);
  if (fargate) {
    if (auto violation = FargateTaskLevelViolation(td)) throw ClientException(*violation);
  }
  CheckContainerMemory(td);
  CheckEphemeralStorage(td);
  NormalisePorts(td);
  CheckVolumes(td);
  CheckDependencies(td);
  CheckHealthChecks(td);
  if (fargate) {
    if (auto violation = FargateFeatureViolation(td)) throw ClientException(*violation);
  }
  NormaliseContainerDefaults(containers);
  if (!Present(td, "volumes")) td["volumes"] = json::array();
  // An EFS volume without rootDirectory mounts the file system's root.
  for (auto& volume : td["volumes"]) {
    if (Present(volume, "efsVolumeConfiguration") &&
        !Present(volume.at("efsVolumeConfiguration"), "rootDirectory")) {
      volume["efsVolumeConfiguration"]["rootDirectory"] = "/";
    }
  }
  if (!Present(td, "placementConstraints")) td["placementConstraints"] = json::array();
  td["compatibilities"] = Compatibilities(td);
  td["requiresAttributes"] = RequiresAttributes(td);
  return td;
}

}  // namespace berth::ecs
