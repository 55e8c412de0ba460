#include "server/ecs/instance_placement.h"

#include <algorithm>
#include <utility>

#include "storage/container_instance_store.h"
#include "storage/ecs_settings_store.h"

namespace berth::ecs {
namespace {

using json = nlohmann::json;

// An instance as the cluster query language reads it: its ec2InstanceId and
// attributes (registered and custom).
json QueryDocument(const json& registered, const std::map<std::string, std::string>& attributes) {
  json document = {{"ec2InstanceId", registered.value("ec2InstanceId", "")},
                   {"attributes", json::array()}};
  for (const auto& [name, value] : attributes) {
    document["attributes"].push_back({{"name", name}, {"value", value}});
  }
  return document;
}

}  // namespace

InstancePlacer::InstancePlacer(storage::Db& db, const aws::RequestContext& context,
                               const std::string& cluster, PlacementRules rules, std::string group)
    : rules_(std::move(rules)) {
  const storage::Partition partition{context.account_id, context.region};
  std::map<std::string, size_t> by_arn;
  std::map<std::string, std::map<std::string, std::string>> custom;  // instance id -> attributes
  for (const auto& a : storage::EcsSettingsStore(db, partition).ListAttributes(cluster)) {
    custom[a.target_id][a.name] = a.value.value_or("");
  }
  for (const auto& record : storage::ContainerInstanceStore(db, partition).List(cluster, 0)) {
    if (record.status != "ACTIVE") continue;
    const json registered = json::parse(record.document);
    Candidate candidate;
    candidate.arn = ContainerInstanceArn(context, cluster, record.instance_id);
    candidate.resources = RegisteredResourcesOf(registered);
    for (const auto& a : registered.value("attributes", json::array())) {
      candidate.attributes[a.value("name", "")] = a.value("value", "");
    }
    for (const auto& [name, value] : custom[record.instance_id]) {
      candidate.attributes[name] = value;
    }
    if (!rules_.member_of.empty()) {
      const json document = QueryDocument(registered, candidate.attributes);
      const bool allowed =
          std::all_of(rules_.member_of.begin(), rules_.member_of.end(),
                      [&](const std::string& e) { return MatchesClusterQuery(e, document); });
      if (!allowed) candidate.refused = kMemberOfUnsatisfied;
    }
    by_arn[candidate.arn] = candidates_.size();
    candidates_.push_back(std::move(candidate));
  }
  if (candidates_.empty()) return;

  // What the cluster's unfinished EC2 tasks hold, per instance, in one pass.
  for (auto& [arn, used] : UsageByInstance(db, partition, cluster, group)) {
    const auto found = by_arn.find(arn);
    if (found == by_arn.end()) continue;
    Candidate& candidate = candidates_[found->second];
    candidate.used = std::move(used);
  }
}

std::optional<std::string> InstancePlacer::Place(const InstanceUsage& needs,
                                                 std::vector<json>& failures) {
  std::vector<json> reasons;
  std::vector<Candidate*> fitting;
  for (auto& candidate : candidates_) {
    std::optional<std::string> why;
    if (!candidate.refused.empty()) {
      why = candidate.refused;
    } else if (rules_.distinct_instance && candidate.used.group_tasks > 0) {
      why = kDistinctInstanceUnsatisfied;
    } else {
      why = PlacementFailure(candidate.resources, candidate.used, needs);
    }
    if (why) {
      reasons.push_back({{"arn", candidate.arn}, {"reason", *why}});
    } else {
      fitting.push_back(&candidate);
    }
  }
  if (fitting.empty()) {
    for (auto& reason : reasons) {
      if (std::find(failures.begin(), failures.end(), reason) == failures.end()) {
        failures.push_back(std::move(reason));
      }
    }
    return std::nullopt;
  }
  for (const auto& strategy : rules_.strategies) {
    if (fitting.size() == 1) break;
    fitting = Best(strategy, fitting, needs);
  }
  Candidate& chosen = *fitting.front();  // the oldest registration of the ties
  chosen.used.Add(needs);
  ++chosen.used.group_tasks;
  return chosen.arn;
}

std::vector<InstancePlacer::Candidate*> InstancePlacer::Best(
    const PlacementRules::Strategy& strategy, const std::vector<Candidate*>& fitting,
    const InstanceUsage& needs) {
  using Kind = PlacementRules::Strategy::Kind;
  if (strategy.kind == Kind::kRandom) {
    std::uniform_int_distribution<size_t> pick(0, fitting.size() - 1);
    return {fitting[pick(random_)]};
  }
  // A rank per candidate: the smallest wins.
  std::vector<int64_t> rank(fitting.size());
  if (strategy.kind == Kind::kBinpack) {
    // The least of the field left once the task is there.
    for (size_t i = 0; i < fitting.size(); ++i) {
      const Candidate& c = *fitting[i];
      rank[i] = strategy.field == "cpu" ? c.resources.cpu_units - c.used.cpu - needs.cpu
                                        : c.resources.memory_mib - c.used.memory - needs.memory;
    }
  } else if (strategy.field == "instanceId") {
    for (size_t i = 0; i < fitting.size(); ++i) rank[i] = fitting[i]->used.group_tasks;
  } else {
    // The attribute's value holding the fewest of the group's tasks, counted
    // over every instance the constraints allow (not only those with room).
    const std::string name = strategy.field.substr(std::string_view("attribute:").size());
    const auto value_of = [&name](const Candidate& c) {
      const auto found = c.attributes.find(name);
      return found == c.attributes.end() ? std::string() : found->second;
    };
    std::map<std::string, int64_t> per_value;
    for (const auto& c : candidates_) {
      if (c.refused.empty()) per_value[value_of(c)] += c.used.group_tasks;
    }
    for (size_t i = 0; i < fitting.size(); ++i) rank[i] = per_value[value_of(*fitting[i])];
  }
  const int64_t best = *std::min_element(rank.begin(), rank.end());
  std::vector<Candidate*> out;
  for (size_t i = 0; i < fitting.size(); ++i) {
    if (rank[i] == best) out.push_back(fitting[i]);
  }
  return out;
}

void InstancePlacer::Exclude(const std::string& arn) {
  std::erase_if(candidates_, [&](const Candidate& c) { return c.arn == arn; });
}

}  // namespace berth::ecs
