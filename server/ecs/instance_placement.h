#pragma once

// Where EC2 tasks go: onto a cluster's ACTIVE container instances (DRAINING
// and INACTIVE ones take no new tasks) where the task fits beside what the
// instance already holds and that its placement constraints allow
// (PlacementRules); among those, its placement strategies choose in order,
// each breaking the previous one's ties, and the oldest registration breaks
// the last ties. Used by RunTask and by the service scheduler.
//
// Thread-safety: one thread (it reads through the caller's Db).

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "server/ecs/container_instance_service.h"
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
  struct Candidate {
    std::string arn;
    HostResources resources;
    InstanceUsage used;                             // group_tasks: the task group's
    std::map<std::string, std::string> attributes;  // name -> value ("" when none)
    // Why the memberOf constraints refuse it (empty: they allow it).
    std::string refused;
  };
  // The candidates among `fitting` that `strategy` ranks first.
  std::vector<Candidate*> Best(const PlacementRules::Strategy& strategy,
                               const std::vector<Candidate*>& fitting, const InstanceUsage& needs);

  PlacementRules rules_;
  std::vector<Candidate> candidates_;
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

}  // namespace berth::ecs
