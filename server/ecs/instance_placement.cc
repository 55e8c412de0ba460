#include "server/ecs/instance_placement.h"

#include <algorithm>

#include "storage/container_instance_store.h"

namespace berth::ecs {

InstancePlacer::InstancePlacer(storage::Db& db, const aws::RequestContext& context,
                               const std::string& cluster) {
  const storage::Partition partition{context.account_id, context.region};
  for (const auto& record : storage::ContainerInstanceStore(db, partition).List(cluster, 0)) {
    if (record.status != "ACTIVE") continue;
    const std::string arn = ContainerInstanceArn(context, cluster, record.instance_id);
    candidates_.push_back({arn, RegisteredResourcesOf(nlohmann::json::parse(record.document)),
                           UsageOf(db, partition, cluster, arn)});
  }
}

std::optional<std::string> InstancePlacer::Place(const InstanceUsage& needs,
                                                 std::vector<nlohmann::json>& failures) {
  std::vector<nlohmann::json> reasons;
  for (auto& candidate : candidates_) {
    if (const auto why = PlacementFailure(candidate.resources, candidate.used, needs)) {
      reasons.push_back({{"arn", candidate.arn}, {"reason", *why}});
      continue;
    }
    candidate.used.Add(needs);
    return candidate.arn;
  }
  for (auto& reason : reasons) {
    if (std::find(failures.begin(), failures.end(), reason) == failures.end()) {
      failures.push_back(std::move(reason));
    }
  }
  return std::nullopt;
}

void InstancePlacer::Exclude(const std::string& arn) {
  std::erase_if(candidates_, [&](const Candidate& c) { return c.arn == arn; });
}

}  // namespace berth::ecs
