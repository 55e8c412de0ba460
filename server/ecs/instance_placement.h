#pragma once

// Where EC2 tasks go: onto a cluster's ACTIVE container instances (DRAINING
// and INACTIVE ones take no new tasks), the oldest registration first where
// the task fits beside what the instance already holds. Used by RunTask and
// by the service scheduler.
//
// Thread-safety: one thread (it reads through the caller's Db).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "server/ecs/container_instance_service.h"
#include "storage/sqlite/db.h"

namespace berth::ecs {

class InstancePlacer {
 public:
  // Reads the cluster's ACTIVE instances and what their tasks hold.
  InstancePlacer(storage::Db& db, const aws::RequestContext& context, const std::string& cluster);

  // No ACTIVE instance: ECS answers "No Container Instances were found in
  // your cluster."
  bool empty() const { return candidates_.empty(); }

  // The ARN of the instance a task needing `needs` goes on (its usage then
  // counts there), or nullopt; then `failures` gets one {arn, reason} per
  // instance (not repeated), as RunTask reports them.
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
    InstanceUsage used;
  };
  std::vector<Candidate> candidates_;
};

// The message RunTask throws (InvalidParameterException) when a cluster has
// no ACTIVE container instance for an EC2 task.
inline constexpr const char* kNoContainerInstances =
    "No Container Instances were found in your cluster.";

}  // namespace berth::ecs
