#pragma once

// Where EC2 tasks go: onto a cluster's ACTIVE container instances (DRAINING
// and INACTIVE ones take no new tasks) where the task fits beside what the
// instance already holds and that its placement constraints allow
// (PlacementRules); among those, its placement strategies choose in order,
// each breaking the previous one's ties, and the oldest registration breaks
// the last ties. Used by RunTask and by the service scheduler. The instances
// come from the cluster's FleetView (in memory, rebuilt only when they
// changed); what their tasks hold is read per placer.
//
// Thread-safety: one thread (it reads through the caller's Db).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "server/ecs/container_instance_service.h"
#include "server/ecs/fleet_view.h"
#include "server/ecs/placement_rules.h"
#include "storage/sqlite/db.h"

namespace berth::ecs {

class InstancePlacer {
 public:
  // Reads the cluster's ACTIVE instances, what their tasks hold and how many
  // tasks of `group` (the task group: "family:<name>", "service:<name>", …)
  // each runs, in one pass over the cluster's unfinished tasks.
  InstancePlacer(storage::Db& db, const aws::RequestContext& context, const std::string& cluster,
                 PlacementRules rules = {}, std::string group = "");
  // The same over a view of the caller's (`view` must be of `cluster` as
  // `db` holds it): for the bench, which times a view built afresh.
  InstancePlacer(std::shared_ptr<const FleetView> view, storage::Db& db,
                 const aws::RequestContext& context, const std::string& cluster,
                 PlacementRules rules = {}, const std::string& group = "");

  // No ACTIVE instance: ECS answers "No Container Instances were found in
  // your cluster."
  bool empty() const { return candidates_.empty(); }

  // The ARN of the instance a task needing `needs` goes on (its usage and
  // group count then count there), or nullopt; then `failures` gets one
  // {arn, reason} per instance (not repeated), as RunTask reports them.
  std::optional<std::string> Place(const InstanceUsage& needs,
                                   std::vector<nlohmann::json>& failures);
  // Takes an instance out of the candidates (a DAEMON service's instance
  // that has its task already).
  void Exclude(const std::string& arn);
  // How many ACTIVE instances are candidates.
  size_t size() const { return candidates_.size(); }

 private:
  // Small, as there is one per instance per placement: what tasks hold of
  // it is kept apart, for the few instances that have any.
  struct Candidate {
    uint32_t instance = 0;  // in view_
    int32_t usage = -1;     // in usages_; -1: nothing (group_tasks: the task group's)
    // Why the instance takes nothing whatever the task (its agent is
    // disconnected, or the memberOf constraints refuse it); null: it may.
    const char* refused = nullptr;
  };
  const InstanceUsage& UsedOf(const Candidate& candidate) const;
  // Why `candidate` cannot take the task; nullopt when it can.
  std::optional<std::string> Refusal(const Candidate& candidate, const InstanceUsage& needs) const;
  // The candidates among `fitting` that `strategy` ranks first.
  std::vector<Candidate*> Best(const PlacementRules::Strategy& strategy,
                               const std::vector<Candidate*>& fitting, const InstanceUsage& needs);

  PlacementRules rules_;
  std::shared_ptr<const FleetView> view_;
  std::vector<Candidate> candidates_;
  std::vector<InstanceUsage> usages_;
  std::mt19937 random_{std::random_device{}()};
};

// The message RunTask throws (InvalidParameterException) when a cluster has
// no ACTIVE container instance for an EC2 task.
inline constexpr const char* kNoContainerInstances =
    "No Container Instances were found in your cluster.";
// The failure reasons of an instance a placement constraint refuses
// [unverified: the texts ECS's service events quote].
inline constexpr const char* kMemberOfUnsatisfied = "MemberOf placement constraint unsatisfied.";
inline constexpr const char* kDistinctInstanceUnsatisfied =
    "DistinctInstance placement constraint unsatisfied.";
// The failure reason of an instance whose agent is disconnected (ECS's API
// failure reason AGENT): Berth does not reach its engine.
inline constexpr const char* kAgentDisconnected = "AGENT";

}  // namespace berth::ecs
