#include "server/ecs/container_instance_service.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <unordered_map>

#include "server/aws/arn.h"
#include "server/aws/pagination.h"
#include "server/ecs/cluster_query.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "server/util/crypto.h"
#include "server/util/engine_attributes.h"
#include "storage/cluster_store.h"
#include "storage/ecs_settings_store.h"
#include "storage/tag_store.h"
#include "storage/task_definition_store.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;
using storage::Partition;

constexpr std::string_view kListing = "ecs.container-instances";
// The ports the ECS agent reserves on every instance (SSH, Docker, agent).
const std::vector<std::string> kReservedPorts = {"22", "2375", "2376", "51678", "51679"};

json IntegerResource(const char* name, int64_t value) {
  return {{"name", name},
          {"type", "INTEGER"},
          {"doubleValue", 0.0},
          {"longValue", 0},
          {"integerValue", value}};
}

json PortsResource(const char* name, const std::vector<std::string>& ports) {
  return {{"name", name},   {"type", "STRINGSET"}, {"doubleValue", 0.0},
          {"longValue", 0}, {"integerValue", 0},   {"stringSetValue", ports}};
}

int64_t ToInt(const json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (!value.is_string()) return 0;
  int64_t out = 0;
  for (const char c : value.get_ref<const std::string&>()) {
    if (c < '0' || c > '9') return 0;
    out = out * 10 + (c - '0');
  }
  return out;
}

}  // namespace

bool MatchesClusterQuery(std::string_view expression, const json& instance) {
  return MatchesClusterQuery(ClusterQuery::Parse(expression), instance);
}

bool MatchesClusterQuery(const ClusterQuery& query, const json& instance) {
  return query.Matches(
      [&instance](const ClusterQuery::Comparison& c) -> std::optional<std::string_view> {
        if (c.subject == ClusterQuery::Comparison::Subject::kEc2InstanceId) {
          const auto found = instance.find("ec2InstanceId");
          if (found == instance.end()) return std::string_view();
          return std::string_view(found->get_ref<const std::string&>());
        }
        // The last attribute of that name (a custom one follows the
        // registered one it replaces); "" when it has no value.
        std::optional<std::string_view> actual;
        const auto attributes = instance.find("attributes");
        if (attributes == instance.end()) return actual;
        for (const auto& a : *attributes) {
          const auto name = a.find("name");
          if (name == a.end() || name->get_ref<const std::string&>() != c.name) continue;
          const auto value = a.find("value");
          actual = value == a.end() ? std::string_view()
                                    : std::string_view(value->get_ref<const std::string&>());
        }
        return actual;
      });
}

HostResources HostResources::OfThisMachine() {
  HostResources host;
  host.cpu_units = static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency())) * 1024;
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  host.memory_mib =
      pages > 0 && page_size > 0 ? static_cast<int64_t>(pages) * page_size / (1024 * 1024) : 1024;
  return host;
}

json LocalInstanceRegistration(const aws::RequestContext& context, const HostResources& host) {
  json attributes = json::array();
  for (const auto& [name, value] : BuiltInInstanceAttributes(context)) {
    json a = {{"name", name}};
    if (value) a["value"] = *value;
    attributes.push_back(std::move(a));
  }
  return {{"registeredResources",
           json::array({IntegerResource("CPU", host.cpu_units),
                        IntegerResource("MEMORY", host.memory_mib),
                        PortsResource("PORTS", kReservedPorts), PortsResource("PORTS_UDP", {})})},
          {"attributes", attributes},
          {"versionInfo", {{"agentVersion", "1.89.2"}, {"agentHash", "berth-" BERTH_VERSION}}}};
}

json EngineInstanceRegistration(const aws::RequestContext& context, const std::string& endpoint,
                                const EngineFacts& facts) {
  HostResources host;
  host.cpu_units = std::max<int64_t>(1, facts.cpus) * 1024;
  host.memory_mib = std::max<int64_t>(1, facts.memory_bytes / (1024 * 1024));
  json registered = LocalInstanceRegistration(context, host);
  // ECS names the 64-bit ARM architecture arm64; Docker says aarch64.
  const std::string architecture = facts.architecture == "aarch64" ? "arm64" : facts.architecture;
  const std::string host_address = engines::TcpHostOf(endpoint).value_or("127.0.0.1");
  for (auto& a : registered["attributes"]) {
    const std::string name = a.value("name", "");
    if (name == "ecs.os-type" && !facts.os_type.empty()) a["value"] = facts.os_type;
    if (name == "ecs.os-family" && facts.os_type == "windows") a["value"] = "WINDOWS_SERVER";
    if (name == "ecs.cpu-architecture" && !architecture.empty()) a["value"] = architecture;
  }
  auto& attributes = registered["attributes"];
  attributes.push_back({{"name", engines::kDockerHostAttribute}, {"value", endpoint}});
  attributes.push_back({{"name", engines::kHostAddressAttribute}, {"value", host_address}});
  if (!facts.local_address.empty()) {
    attributes.push_back(
        {{"name", engines::kBerthAddressAttribute}, {"value", facts.local_address}});
  }
  return registered;
}

std::vector<std::pair<std::string, std::optional<std::string>>> BuiltInInstanceAttributes(
    const aws::RequestContext& context) {
  std::vector<std::pair<std::string, std::optional<std::string>>> out = {
      {"ecs.os-type", "linux"},
      {"ecs.os-family", "LINUX"},
      {"ecs.cpu-architecture", "x86_64"},
      {"ecs.availability-zone", context.region + "a"},
      {"ecs.instance-type", "berth.local"},
      {"ecs.ami-id", "ami-0000000000berth00"},
  };
  for (const char* capability :
       {"com.amazonaws.ecs.capability.docker-remote-api.1.17",
        "com.amazonaws.ecs.capability.docker-remote-api.1.24",
        "com.amazonaws.ecs.capability.docker-remote-api.1.41",
        "com.amazonaws.ecs.capability.ecr-auth", "com.amazonaws.ecs.capability.task-iam-role",
        "ecs.capability.task-eni", "ecs.capability.container-health-check",
        "ecs.capability.container-ordering", "ecs.capability.docker-plugin.local"}) {
    out.emplace_back(capability, std::nullopt);
  }
  return out;
}

void InstanceUsage::Add(const InstanceUsage& other) {
  cpu += other.cpu;
  memory += other.memory;
  tcp_ports.insert(other.tcp_ports.begin(), other.tcp_ports.end());
  udp_ports.insert(other.udp_ports.begin(), other.udp_ports.end());
}

InstanceUsage NeedsOf(const json& td, const json& overrides) {
  InstanceUsage needs;
  needs.cpu = ToInt(overrides.value("cpu", td.value("cpu", json())));
  needs.memory = ToInt(overrides.value("memory", td.value("memory", json())));
  const bool task_cpu = needs.cpu > 0;
  const bool task_memory = needs.memory > 0;
  const std::string mode = td.value("networkMode", "bridge");
  for (const auto& c : td.value("containerDefinitions", json::array())) {
    json container_override = json::object();
    for (const auto& o : overrides.value("containerOverrides", json::array())) {
      if (o.value("name", "") == c.value("name", "")) container_override = o;
    }
    if (!task_cpu) needs.cpu += ToInt(container_override.value("cpu", c.value("cpu", json(0))));
    if (!task_memory) {
      const int64_t m = ToInt(container_override.value("memory", c.value("memory", json(0))));
      needs.memory += m > 0 ? m
                            : ToInt(container_override.value(
                                  "memoryReservation", c.value("memoryReservation", json(0))));
    }
    if (mode != "bridge" && mode != "host") continue;  // awsvpc: ports of the task's own ENI
    for (const auto& m : c.value("portMappings", json::array())) {
      const int64_t port =
          mode == "host" ? m.value("containerPort", int64_t{0}) : m.value("hostPort", int64_t{0});
      if (port <= 0) continue;  // dynamic
      (m.value("protocol", "tcp") == "udp" ? needs.udp_ports : needs.tcp_ports)
          .insert(std::to_string(port));
    }
  }
  return needs;
}

namespace {

// What an unfinished task holds, from what never changes once it is
// recorded: the instance it went on (its containerInstanceArn), and what its
// task definition revision with its overrides needs (nullopt: that revision
// was not stored when read).
struct TaskFootprint {
  std::string instance_arn;
  std::optional<InstanceUsage> needs;
};

// The footprints of the unfinished tasks of the clusters UsageByInstance read
// lately, so that each task's document and task definition are parsed once,
// not at every placement. Keyed by connection, partition and cluster, then
// task id; a pass keeps only the tasks it saw (a task whose RunTask rolled
// back is never seen again: task ids are random). Whether a task's
// definition is still stored is read at every pass.
// Thread-safety: any thread (a mutex; a pass takes its cluster's map out and
// puts back what it saw).
class TaskFootprints {
 public:
  static TaskFootprints& Shared() {
    static TaskFootprints* footprints = new TaskFootprints();  // never destroyed
    return *footprints;
  }
  using Map = std::unordered_map<std::string, TaskFootprint>;
  using Key = std::tuple<const storage::Db*, std::string, std::string, std::string>;

  Map Take(const Key& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = entries_.find(key);
    if (found == entries_.end()) return {};
    Map out = std::move(found->second.tasks);
    entries_.erase(found);
    return out;
  }
  void Put(const Key& key, Map tasks) {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry& entry = entries_[key];
    entry.tasks = std::move(tasks);
    entry.last_used = ++uses_;
    while (entries_.size() > kMaxClusters) {
      entries_.erase(std::min_element(
          entries_.begin(), entries_.end(),
          [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; }));
    }
  }

 private:
  static constexpr size_t kMaxClusters = 16;
  struct Entry {
    Map tasks;
    uint64_t last_used = 0;
  };
  std::mutex mutex_;
  std::map<Key, Entry> entries_;  // guarded by mutex_
  uint64_t uses_ = 0;             // guarded by mutex_
};

}  // namespace

std::map<std::string, InstanceUsage> UsageByInstance(storage::Db& db, const Partition& partition,
                                                     const std::string& cluster,
                                                     const std::string& group) {
  std::map<std::string, InstanceUsage> usage;
  storage::TaskStore tasks(db);
  const TaskFootprints::Key key{&db, partition.account_id, partition.region, cluster};
  TaskFootprints::Map known = TaskFootprints::Shared().Take(key);
  TaskFootprints::Map seen;
  storage::TaskDefinitionStore definitions(db, partition);
  std::map<std::pair<std::string, int64_t>, json> definition_cache;  // by revision
  for (auto& task : tasks.UnfinishedKeysIn(partition, cluster)) {
    if (task.launch_type.value_or("EC2") == "FARGATE") continue;
    auto found = known.find(task.task_id);
    // A footprint read while the definition was gone is read again.
    if (found != known.end() && task.definition_exists && !found->second.needs) {
      known.erase(found);
      found = known.end();
    }
    if (found == known.end()) {
      const auto record = tasks.Find(partition, cluster, task.task_id);
      if (!record) continue;
      const json document = json::parse(record->document);
      TaskFootprint footprint;
      footprint.instance_arn = document.value("containerInstanceArn", "");
      auto [cached, fresh] = definition_cache.try_emplace({task.family, task.revision});
      if (fresh) {
        const auto definition = definitions.Find(task.family, task.revision);
        if (definition) cached->second = json::parse(definition->document);
      }
      if (!cached->second.is_null()) {
        footprint.needs = NeedsOf(cached->second, document.value("overrides", json::object()));
      }
      found = known.emplace(task.task_id, std::move(footprint)).first;
    }
    const TaskFootprint& footprint = found->second;
    if (!footprint.instance_arn.empty()) {
      InstanceUsage& used = usage[footprint.instance_arn];
      if (task.last_status == "RUNNING") ++used.running_tasks;
      if (task.last_status == "PENDING" || task.last_status == "PROVISIONING") {
        ++used.pending_tasks;
      }
      if (!group.empty() && task.group == group) ++used.group_tasks;
      if (task.definition_exists && footprint.needs) used.Add(*footprint.needs);
    }
    seen.emplace(task.task_id, std::move(found->second));
  }
  TaskFootprints::Shared().Put(key, std::move(seen));
  return usage;
}

HostResources RegisteredResourcesOf(const json& registered) {
  HostResources resources;
  for (const auto& r : registered.value("registeredResources", json::array())) {
    if (r.value("name", "") == "CPU") resources.cpu_units = r.value("integerValue", int64_t{0});
    if (r.value("name", "") == "MEMORY") resources.memory_mib = r.value("integerValue", int64_t{0});
  }
  return resources;
}

std::optional<std::string> PlacementFailure(const HostResources& host, const InstanceUsage& used,
                                            const InstanceUsage& needs) {
  if (used.cpu + needs.cpu > host.cpu_units) return "RESOURCE:CPU";
  if (used.memory + needs.memory > host.memory_mib) return "RESOURCE:MEMORY";
  const auto clash = [](const std::set<std::string>& a, const std::set<std::string>& b) {
    return std::any_of(b.begin(), b.end(), [&](const std::string& p) {
      return a.contains(p) ||
             std::find(kReservedPorts.begin(), kReservedPorts.end(), p) != kReservedPorts.end();
    });
  };
  if (clash(used.tcp_ports, needs.tcp_ports)) return "RESOURCE:PORTS";
  if (std::any_of(needs.udp_ports.begin(), needs.udp_ports.end(),
                  [&](const std::string& p) { return used.udp_ports.contains(p); })) {
    return "RESOURCE:PORTS_UDP";
  }
  return std::nullopt;
}

std::string ContainerInstanceArn(const aws::RequestContext& context, std::string_view cluster,
                                 std::string_view instance_id) {
  return aws::MakeArn(
      "ecs", context.region, context.account_id,
      "container-instance/" + std::string(cluster) + "/" + std::string(instance_id));
}

std::optional<storage::ContainerInstanceRecord> ResolveContainerInstance(
    storage::Db& db, const aws::RequestContext& context, const std::string& cluster,
    std::string_view text) {
  std::string id(text);
  if (text.starts_with("arn:")) {
    const auto arn = aws::Arn::Parse(text);
    if (!arn || arn->partition != aws::PartitionForRegion(context.region) ||
        arn->service != "ecs" || arn->account_id != context.account_id ||
        arn->region != context.region) {
      return std::nullopt;
    }
    // Long format (container-instance/<cluster>/<id>) or short (container-instance/<id>).
    const std::string long_prefix = "container-instance/" + cluster + "/";
    if (arn->resource.starts_with(long_prefix)) {
      id = arn->resource.substr(long_prefix.size());
    } else if (arn->resource.starts_with("container-instance/") &&
               arn->resource.find('/', 19) == std::string::npos) {
      id = arn->resource.substr(19);
    } else {
      return std::nullopt;
    }
  }
  auto record = storage::ContainerInstanceStore(db, PartitionOf(context)).Find(cluster, id);
  if (!record) return std::nullopt;
  if (record->status == "INACTIVE" &&
      record->deregistered_at.value_or(0) <= context.now - kInactiveInstanceSeconds) {
    return std::nullopt;
  }
  return record;
}

ContainerInstanceService::ClusterFacts ContainerInstanceService::FactsOf(
    storage::Db& db, const aws::RequestContext& context, const std::string& cluster) {
  const Partition partition = PartitionOf(context);
  return {UsageByInstance(db, partition, cluster),
          storage::EcsSettingsStore(db, partition).ListAttributes(cluster)};
}

json ContainerInstanceService::Document(storage::Db& db, const aws::RequestContext& context,
                                        const storage::ContainerInstanceRecord& record,
                                        bool with_tags, bool with_health,
                                        const ClusterFacts* facts) {
  const Partition partition = PartitionOf(context);
  const std::string arn = ContainerInstanceArn(context, record.cluster, record.instance_id);
  const json registered = json::parse(record.document);
  const HostResources resources = RegisteredResourcesOf(registered);
  const ClusterFacts own = facts == nullptr ? FactsOf(db, context, record.cluster) : ClusterFacts{};
  const ClusterFacts& cluster_facts = facts == nullptr ? own : *facts;
  const auto usage = cluster_facts.usage.find(arn);
  const InstanceUsage used = usage == cluster_facts.usage.end() ? InstanceUsage{} : usage->second;
  std::vector<std::string> tcp;
  std::vector<std::string> udp;
  for (const auto& r : registered.at("registeredResources")) {
    const auto ports = r.value("stringSetValue", std::vector<std::string>{});
    if (r.value("name", "") == "PORTS") tcp = ports;
    if (r.value("name", "") == "PORTS_UDP") udp = ports;
  }
  tcp.insert(tcp.end(), used.tcp_ports.begin(), used.tcp_ports.end());
  udp.insert(udp.end(), used.udp_ports.begin(), used.udp_ports.end());

  json attributes = registered.value("attributes", json::array());
  for (const auto& custom : cluster_facts.attributes) {
    if (custom.target_id != record.instance_id) continue;
    json a = {{"name", custom.name}};
    if (custom.value) a["value"] = *custom.value;
    attributes.push_back(std::move(a));
  }

  json out = {
      {"containerInstanceArn", arn},
      {"ec2InstanceId", registered.at("ec2InstanceId")},
      {"version", registered.value("version", 1)},
      {"versionInfo", registered.value("versionInfo", json::object())},
      {"registeredResources", registered.at("registeredResources")},
      {"remainingResources",
       json::array(
           {IntegerResource("CPU", std::max<int64_t>(0, resources.cpu_units - used.cpu)),
            IntegerResource("MEMORY", std::max<int64_t>(0, resources.memory_mib - used.memory)),
            PortsResource("PORTS", tcp), PortsResource("PORTS_UDP", udp)})},
      {"status", record.status},
      // The agent of an INACTIVE instance is no longer connected; nor is
      // that of an instance whose engine Berth does not reach.
      {"agentConnected", record.status != "INACTIVE" && registered.value("agentConnected", true)},
      {"runningTasksCount", used.running_tasks},
      {"pendingTasksCount", used.pending_tasks},
      {"attributes", attributes},
      {"registeredAt", record.registered_at},
      {"attachments", json::array()},
      {"tags", json::array()},
  };
  if (registered.contains("capacityProviderName")) {
    out["capacityProviderName"] = registered.at("capacityProviderName");
  }
  if (with_tags) {
    json tags = json::array();
    for (const auto& t : storage::TagStore(db).List(arn)) {
      tags.push_back({{"key", t.key}, {"value", t.value}});
    }
    out["tags"] = tags;
  }
  if (with_health) {
    out["healthStatus"] = {
        {"overallStatus", "OK"},
        {"details", json::array({{{"type", "CONTAINER_RUNTIME"},
                                  {"status", "OK"},
                                  {"lastUpdated", record.registered_at},
                                  {"lastStatusChange", record.registered_at}}})}};
  }
  return out;
}

std::vector<std::string> ContainerInstanceService::List(
    const aws::RequestContext& context, const std::optional<std::string>& cluster,
    const std::optional<std::string>& filter, const std::optional<std::string>& status,
    int64_t max_results, const std::string& token, std::string& next) {
  if (max_results < 1 || max_results > 100) {
    throw InvalidParameterException("maxResults must be between 1 and 100.");
  }
  std::string after;
  if (!token.empty()) {
    auto key = aws::DecodePageToken(kListing, token);
    if (!key) throw InvalidParameterException("Invalid nextToken.");
    after = std::move(*key);
  }
  auto lease = database_.Acquire();
  const std::string name = clusters_.RequireActive(lease.db(), context, cluster);
  next.clear();
  std::vector<std::string> arns;
  std::string last_id;
  // Pages follow the instance ids, read from the store a chunk at a time
  // (one more than a page without a filter, to know whether another follows).
  storage::ContainerInstanceStore store(lease.db(), PartitionOf(context));
  const int64_t chunk = filter ? 256 : max_results + 1;
  // A filter reads each instance's document: the cluster's usage and
  // attributes are read once for all of them.
  std::optional<ClusterFacts> facts;
  if (filter) facts = FactsOf(lease.db(), context, name);
  std::optional<ClusterQuery> query;  // parsed at the first instance it is asked about
  std::string cursor = after;
  for (;;) {
    const auto records =
        store.ListPage(name, context.now - kInactiveInstanceSeconds, status, cursor, chunk);
    for (const auto& record : records) {
      cursor = record.instance_id;
      if (filter) {
        if (!query) query = ClusterQuery::Parse(*filter);
        if (!MatchesClusterQuery(*query,
                                 Document(lease.db(), context, record, false, false, &*facts))) {
          continue;
        }
      }
      if (arns.size() == static_cast<size_t>(max_results)) {
        next = aws::EncodePageToken(kListing, last_id);
        return arns;
      }
      arns.push_back(ContainerInstanceArn(context, name, record.instance_id));
      last_id = record.instance_id;
    }
    if (static_cast<int64_t>(records.size()) < chunk) break;
  }
  return arns;
}

DescribeContainerInstancesResult ContainerInstanceService::Describe(
    const aws::RequestContext& context, const std::optional<std::string>& cluster,
    const std::vector<std::string>& identifiers, bool with_tags, bool with_health) {
  if (identifiers.empty()) throw ClientException("Container instance cannot be empty.");
  if (identifiers.size() > 100) {
    throw InvalidParameterException("containerInstances can have at most 100 items.");
  }
  auto lease = database_.Acquire();
  const std::string name = clusters_.RequireActive(lease.db(), context, cluster);
  DescribeContainerInstancesResult result;
  const ClusterFacts facts = FactsOf(lease.db(), context, name);
  std::set<std::string> described;
  for (const auto& identifier : identifiers) {
    const auto record = ResolveContainerInstance(lease.db(), context, name, identifier);
    if (!record) {
      result.missing.push_back(identifier);
      continue;
    }
    if (!described.insert(record->instance_id).second) continue;  // named twice
    result.instances.push_back(
        Document(lease.db(), context, *record, with_tags, with_health, &facts));
  }
  return result;
}

}  // namespace berth::ecs
