#include "server/ecs/instance_placement.h"

#include <algorithm>
#include <utility>

namespace berth::ecs {

using nlohmann::json;

InstancePlacer::InstancePlacer(storage::Db& db, const aws::RequestContext& context,
                               const std::string& cluster, PlacementRules rules, std::string group)
    : InstancePlacer(FleetViews::Shared().Get(db, context, cluster), db, context, cluster,
                     std::move(rules), group) {}

InstancePlacer::InstancePlacer(std::shared_ptr<const FleetView> view, storage::Db& db,
                               const aws::RequestContext& context, const std::string& cluster,
                               PlacementRules rules, const std::string& group)
    : rules_(std::move(rules)), view_(std::move(view)) {
  const auto& instances = view_->instances();
  if (instances.empty()) return;
  // Whether each instance satisfies every memberOf expression.
  std::vector<bool> allowed(instances.size(), true);
  for (const auto& expression : rules_.member_of) {
    const std::vector<bool> matching = view_->Matching(ClusterQuery::Parse(expression));
    for (size_t i = 0; i < allowed.size(); ++i) allowed[i] = allowed[i] && matching[i];
  }
  candidates_.resize(instances.size());
  for (size_t i = 0; i < instances.size(); ++i) {
    Candidate& candidate = candidates_[i];
    candidate.instance = static_cast<uint32_t>(i);
    if (!instances[i].agent_connected) {
      // ECS places nothing on an instance whose agent is disconnected.
      candidate.refused = kAgentDisconnected;
    } else if (!allowed[i]) {
      candidate.refused = kMemberOfUnsatisfied;
    }
  }

  // What the cluster's unfinished EC2 tasks hold, per instance, in one pass.
  const storage::Partition partition{context.account_id, context.region};
  for (auto& [arn, used] : UsageByInstance(db, partition, cluster, group)) {
    const auto found = view_->IndexOf(arn);
    if (!found) continue;
    candidates_[*found].usage = static_cast<int32_t>(usages_.size());
    usages_.push_back(std::move(used));
  }
}

const InstanceUsage& InstancePlacer::UsedOf(const Candidate& candidate) const {
  static const InstanceUsage kNothing;
  return candidate.usage < 0 ? kNothing : usages_[static_cast<size_t>(candidate.usage)];
}

std::optional<std::string> InstancePlacer::Refusal(const Candidate& candidate,
                                                   const InstanceUsage& needs) const {
  if (candidate.refused != nullptr) return candidate.refused;
  const InstanceUsage& used = UsedOf(candidate);
  if (rules_.distinct_instance && used.group_tasks > 0) return kDistinctInstanceUnsatisfied;
  return PlacementFailure(view_->instances()[candidate.instance].resources, used, needs);
}

std::optional<std::string> InstancePlacer::Place(const InstanceUsage& needs,
                                                 std::vector<json>& failures) {
  std::vector<Candidate*> fitting;
  for (auto& candidate : candidates_) {
    if (candidate.refused != nullptr) continue;
    if (!Refusal(candidate, needs)) fitting.push_back(&candidate);
  }
  if (fitting.empty()) {
    // One {arn, reason} per instance, each once.
    for (const auto& candidate : candidates_) {
      json reason = {{"arn", view_->instances()[candidate.instance].arn},
                     {"reason", *Refusal(candidate, needs)}};
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
  if (chosen.usage < 0) {
    chosen.usage = static_cast<int32_t>(usages_.size());
    usages_.emplace_back();
  }
  InstanceUsage& used = usages_[static_cast<size_t>(chosen.usage)];
  used.Add(needs);
  ++used.group_tasks;
  return view_->instances()[chosen.instance].arn;
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
    const bool cpu = strategy.field == "cpu";
    for (size_t i = 0; i < fitting.size(); ++i) {
      const Candidate& c = *fitting[i];
      const HostResources& resources = view_->instances()[c.instance].resources;
      const InstanceUsage& used = UsedOf(c);
      rank[i] = cpu ? resources.cpu_units - used.cpu - needs.cpu
                    : resources.memory_mib - used.memory - needs.memory;
    }
  } else if (strategy.field == "instanceId") {
    for (size_t i = 0; i < fitting.size(); ++i) rank[i] = UsedOf(*fitting[i]).group_tasks;
  } else {
    // The attribute's value holding the fewest of the group's tasks, counted
    // over every instance the constraints allow (not only those with room).
    // An instance without the attribute counts as having it empty.
    const FleetView::Column* column = view_->ColumnOf(
        std::string_view(strategy.field).substr(std::string_view("attribute:").size()));
    if (column == nullptr) return fitting;  // every instance has it empty: all tie
    const auto value_of = [column](const Candidate& c) {
      return std::max<uint32_t>(column->of_instance[c.instance], 1);  // none: ""
    };
    std::vector<int64_t> per_value(column->values.size());
    for (const auto& c : candidates_) {
      if (c.refused == nullptr && c.usage >= 0) per_value[value_of(c)] += UsedOf(c).group_tasks;
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
  std::erase_if(candidates_,
                [&](const Candidate& c) { return view_->instances()[c.instance].arn == arn; });
}

}  // namespace berth::ecs
