#pragma once

// Which Docker engine a Fargate task runs on. ECS runs Fargate tasks on
// AWS's capacity, never on a cluster's container instances; Berth has only
// the engines its clusters' instances stand for (the local one, or others
// of the fleet), so it spreads a cluster's Fargate tasks over them itself:
// over availability zones first (the zone where the task's group has the
// fewest tasks), then onto the engine with the most free memory (then CPU)
// beside what runs there, the oldest registration breaking the last ties.
// Only ACTIVE instances whose engine answers (agentConnected) take them.
// Fargate never fails for capacity: a task goes on the best engine even
// when it is full. A cluster without such instances runs them on the local
// engine.
//
// The choice is Berth's own: it is kept in the task's runtime record
// (kFargateHostKey, the instance's ARN), where the reconciler reads which
// engine to drive; the task's API document never shows it (a Fargate task
// has no containerInstanceArn), and the instances' API figures
// (remainingResources, runningTasksCount) count EC2 tasks only.
//
// Thread-safety: one thread (it reads through the caller's Db).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "storage/sqlite/db.h"

namespace berth::ecs {

// The runtime member naming a Fargate task's host instance.
inline constexpr const char* kFargateHostKey = "fargateHost";

class FargateHosts {
 public:
  // Reads the cluster's ACTIVE connected instances and what its unfinished
  // tasks hold on each; `group` is the task group ("service:<name>", …).
  FargateHosts(storage::Db& db, const aws::RequestContext& context, const std::string& cluster,
               std::string group);

  // The instance ARN a task needing `cpu` units and `memory_mib` runs on
  // (then counted there), or nullopt: the local engine.
  std::optional<std::string> Next(int64_t cpu, int64_t memory_mib);

 private:
  struct Host {
    std::string arn;
    std::string zone;
    int64_t free_cpu = 0;
    int64_t free_memory = 0;
  };
  std::string group_;
  std::vector<Host> hosts_;                 // oldest registration first
  std::map<std::string, int64_t> in_zone_;  // the group's tasks, by zone
};

// A Fargate task's task-level CPU units and memory (MiB), from its task
// document (which holds its overrides' values, else its task definition's);
// 0 when unset.
std::pair<int64_t, int64_t> FargateSizeOf(const nlohmann::json& task_document);

}  // namespace berth::ecs
