#include "server/ecs/container_instance_service.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <thread>
#include <unistd.h>

#include "server/aws/arn.h"
#include "server/aws/pagination.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "server/util/crypto.h"
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

// --- The cluster query language, as far as one local instance needs it ----

// Splits an expression into words, keeping [..] lists and quoted values whole.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i])) != 0) {
      ++i;
      continue;
    }
    size_t end = i;
    if (text[i] == '[') {
      end = text.find(']', i);
      if (end == std::string_view::npos)
        throw InvalidParameterException("Invalid filter: missing ].");
      ++end;
    } else if (text[i] == '"' || text[i] == '\'') {
      end = text.find(text[i], i + 1);
      if (end == std::string_view::npos)
        throw InvalidParameterException("Invalid filter: unclosed quote.");
      ++end;
    } else {
      while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end])) == 0) ++end;
    }
    words.emplace_back(text.substr(i, end - i));
    i = end;
  }
  return words;
}

std::string Unquote(std::string word) {
  if (word.size() >= 2 && (word.front() == '"' || word.front() == '\'') &&
      word.back() == word.front()) {
    return word.substr(1, word.size() - 2);
  }
  return word;
}

std::vector<std::string> ListValues(const std::string& word) {
  if (word.size() < 2 || word.front() != '[' || word.back() != ']') {
    throw InvalidParameterException("Invalid filter: 'in' needs a [list].");
  }
  std::vector<std::string> values;
  std::string current;
  for (const char c : word.substr(1, word.size() - 2)) {
    if (c == ',') {
      values.push_back(Unquote(current));
      current.clear();
    } else if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      current += c;
    }
  }
  if (!current.empty()) values.push_back(Unquote(current));
  return values;
}

// One comparison, starting at words[at]; advances `at` past it.
bool Comparison(const std::vector<std::string>& words, size_t& at, const json& instance) {
  const std::string subject = words.at(at++);
  std::optional<std::string> actual;
  if (subject.starts_with("attribute:")) {
    const std::string name = subject.substr(10);
    for (const auto& a : instance.value("attributes", json::array())) {
      if (a.value("name", "") == name) actual = a.value("value", "");
    }
  } else if (subject == "ec2InstanceId") {
    actual = instance.value("ec2InstanceId", "");
  } else {
    throw InvalidParameterException(
        "Berth evaluates cluster query expressions on attribute:<name> "
        "and ec2InstanceId only, not '" +
        subject + "'.");
  }
  if (at >= words.size())
    throw InvalidParameterException("Invalid filter: '" + subject + "' needs an operator.");
  const std::string op = words.at(at++);
  if (op == "exists") return actual.has_value();
  if (op == "!exists" || op == "not_exists") return !actual.has_value();
  if (at >= words.size())
    throw InvalidParameterException("Invalid filter: '" + op + "' needs a value.");
  const std::string operand = words.at(at++);
  if (op == "==") return actual && *actual == Unquote(operand);
  if (op == "!=") return !actual || *actual != Unquote(operand);
  if (op == "in" || op == "not_in") {
    const auto values = ListValues(operand);
    const bool in = actual && std::find(values.begin(), values.end(), *actual) != values.end();
    return op == "in" ? in : !in;
  }
  throw InvalidParameterException("Invalid filter: unknown operator '" + op + "'.");
}

}  // namespace

bool MatchesClusterQuery(std::string_view expression, const json& instance) {
  const std::vector<std::string> words = Words(expression);
  if (words.empty()) return true;
  // `and` binds tighter than `or`: a disjunction of conjunctions.
  size_t at = 0;
  bool any = false;
  bool all = true;
  while (true) {
    all = Comparison(words, at, instance) && all;
    if (at >= words.size()) break;
    const std::string joiner = words.at(at++);
    if (at >= words.size())
      throw InvalidParameterException("Invalid filter: '" + joiner + "' needs an expression.");
    if (joiner == "or" || joiner == "||") {
      any = any || all;
      all = true;
    } else if (joiner != "and" && joiner != "&&") {
      throw InvalidParameterException("Invalid filter: expected 'and' or 'or', not '" + joiner +
                                      "'.");
    }
  }
  return any || all;
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

std::map<std::string, InstanceUsage> UsageByInstance(storage::Db& db, const Partition& partition,
                                                     const std::string& cluster,
                                                     const std::string& group) {
  std::map<std::string, InstanceUsage> usage;
  storage::TaskDefinitionStore definitions(db, partition);
  std::map<std::pair<std::string, int64_t>, json> needs_cache;  // task definitions, by revision
  for (const auto& task : storage::TaskStore(db).UnfinishedIn(partition, cluster)) {
    if (task.launch_type.value_or("EC2") == "FARGATE") continue;
    const json document = json::parse(task.document);
    const std::string arn = document.value("containerInstanceArn", "");
    if (arn.empty()) continue;
    InstanceUsage& used = usage[arn];
    if (task.last_status == "RUNNING") ++used.running_tasks;
    if (task.last_status == "PENDING" || task.last_status == "PROVISIONING") ++used.pending_tasks;
    if (!group.empty() && task.group == group) ++used.group_tasks;
    auto [cached, fresh] = needs_cache.try_emplace({task.family, task.revision});
    if (fresh) {
      const auto definition = definitions.Find(task.family, task.revision);
      if (definition) cached->second = json::parse(definition->document);
    }
    if (cached->second.is_null()) continue;
    used.Add(NeedsOf(cached->second, document.value("overrides", json::object())));
  }
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
      // The agent of an INACTIVE instance is no longer connected.
      {"agentConnected", record.status != "INACTIVE"},
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
  // Pages follow the instance ids.
  auto records = storage::ContainerInstanceStore(lease.db(), PartitionOf(context))
                     .List(name, context.now - kInactiveInstanceSeconds);
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a.instance_id < b.instance_id; });
  // A filter reads each instance's document: the cluster's usage and
  // attributes are read once for all of them.
  std::optional<ClusterFacts> facts;
  if (filter) facts = FactsOf(lease.db(), context, name);
  for (const auto& record : records) {
    // Without a status filter, every instance but the INACTIVE ones.
    if (status ? record.status != *status : record.status == "INACTIVE") continue;
    if (!after.empty() && record.instance_id <= after) continue;
    if (filter && !MatchesClusterQuery(
                      *filter, Document(lease.db(), context, record, false, false, &*facts))) {
      continue;
    }
    if (arns.size() == static_cast<size_t>(max_results)) {
      next = aws::EncodePageToken(kListing, last_id);
      break;
    }
    arns.push_back(ContainerInstanceArn(context, name, record.instance_id));
    last_id = record.instance_id;
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
