#include "server/ecs/fargate_hosts.h"

#include <algorithm>
#include <exception>
#include <tuple>

#include "server/ecs/container_instance_service.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/fleet_view.h"
#include "server/ecs/task_definition_rules.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

int64_t Units(const json& document, const char* member,
              std::string (*normalise)(std::string_view)) {
  const std::string value = document.value(member, "");
  if (value.empty()) return 0;
  try {
    return std::stoll(normalise(value));
  } catch (const std::exception&) {
    return 0;  // stored documents were checked when made; never fail a placement on one
  }
}

}  // namespace

std::pair<int64_t, int64_t> FargateSizeOf(const json& task_document) {
  return {Units(task_document, "cpu", NormaliseTaskCpu),
          Units(task_document, "memory", NormaliseTaskMemory)};
}

FargateHosts::FargateHosts(storage::Db& db, const aws::RequestContext& context,
                           const std::string& cluster, std::string group)
    : group_(std::move(group)) {
  const storage::Partition partition = PartitionOf(context);
  // The instances as placement keeps them (FleetView): read again only
  // when the cluster's instances or attributes changed.
  const auto view = FleetViews::Shared().Get(db, context, cluster);
  const FleetView::Column* zones = view->ColumnOf("ecs.availability-zone");
  std::map<std::string, size_t> by_arn;
  for (size_t i = 0; i < view->instances().size(); ++i) {
    const FleetView::Instance& instance = view->instances()[i];
    if (!instance.agent_connected) continue;
    Host host;
    host.arn = instance.arn;
    host.free_cpu = instance.resources.cpu_units;
    host.free_memory = instance.resources.memory_mib;
    if (zones != nullptr) host.zone = std::string(zones->ValueOf(i).value_or(""));
    by_arn[host.arn] = hosts_.size();
    hosts_.push_back(std::move(host));
  }
  if (hosts_.empty()) return;
  // What the cluster's EC2 tasks hold on each, and its Fargate tasks.
  for (const auto& [arn, used] : UsageByInstance(db, partition, cluster, "")) {
    const auto found = by_arn.find(arn);
    if (found == by_arn.end()) continue;
    hosts_[found->second].free_cpu -= used.cpu;
    hosts_[found->second].free_memory -= used.memory;
  }
  for (const auto& task : storage::TaskStore(db).UnfinishedIn(partition, cluster)) {
    if (task.launch_type.value_or("EC2") != "FARGATE") continue;
    const json runtime = json::parse(task.runtime, nullptr, false);
    if (!runtime.is_object()) continue;
    const auto found = by_arn.find(runtime.value(kFargateHostKey, ""));
    if (found == by_arn.end()) continue;
    Host& host = hosts_[found->second];
    const auto [cpu, memory] = FargateSizeOf(json::parse(task.document));
    host.free_cpu -= cpu;
    host.free_memory -= memory;
    if (!group_.empty() && task.group == group_) ++in_zone_[host.zone];
  }
}

std::optional<std::string> FargateHosts::Next(int64_t cpu, int64_t memory_mib) {
  if (hosts_.empty()) return std::nullopt;
  // The zone where the group has the fewest tasks, then the most free
  // memory, then CPU; the first (oldest) of equals.
  const auto rank = [this](const Host& h) {
    const auto n = in_zone_.find(h.zone);
    return std::make_tuple(n == in_zone_.end() ? 0 : n->second, -h.free_memory, -h.free_cpu);
  };
  Host* best = &hosts_.front();
  for (auto& host : hosts_) {
    if (rank(host) < rank(*best)) best = &host;
  }
  best->free_cpu -= cpu;
  best->free_memory -= memory_mib;
  ++in_zone_[best->zone];
  return best->arn;
}

}  // namespace berth::ecs
