#pragma once

// ECS services as the API shows them: the Service, Deployment, TaskSet,
// ServiceDeployment and ServiceRevision shapes of botocore's ECS model,
// built from the stored records and the tasks' live counts. Counts are
// computed from the tasks on every read, so runningCount and pendingCount
// are always true.
//
// Thread-safety: functions over a leased Db; no state of their own.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "storage/service_history_store.h"
#include "storage/service_store.h"
#include "storage/sqlite/db.h"
#include "storage/task_store.h"

namespace berth::ecs {

// Everything DescribeServices shows of one service.
struct ServiceState {
  storage::ServiceRecord service;
  std::vector<storage::DeploymentRecord> deployments;  // not INACTIVE, newest first
  std::vector<storage::DeploymentTaskCounts> counts;
  std::vector<storage::ServiceEventRecord> events;
  int64_t active_instances = 0;  // DAEMON services: the cluster's ACTIVE container instances
};

ServiceState LoadServiceState(storage::Db& db, const storage::ServiceRecord& service);

// The Service shape; tags only when `tags` is set.
nlohmann::json ServiceJson(const aws::RequestContext& context, const ServiceState& state,
                           const nlohmann::json* tags = nullptr);

// A TaskSet of an EXTERNAL service.
nlohmann::json TaskSetJson(const aws::RequestContext& context, const ServiceState& state,
                           const storage::DeploymentRecord& task_set,
                           const nlohmann::json* tags = nullptr);

// A ServiceDeployment; its revision counts come from the service's tasks.
nlohmann::json ServiceDeploymentJson(const aws::RequestContext& context, const ServiceState& state,
                                     const storage::ServiceDeploymentRecord& deployment);
// The brief ListServiceDeployments returns.
nlohmann::json ServiceDeploymentBriefJson(const aws::RequestContext& context,
                                          const storage::ServiceRecord& service,
                                          const storage::ServiceDeploymentRecord& deployment);

// Running and pending tasks of one deployment.
storage::DeploymentTaskCounts CountsOf(const ServiceState& state, const std::string& deployment);

}  // namespace berth::ecs
