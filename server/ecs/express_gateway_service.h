#pragma once

// ECS Express Gateway Services ("Express Mode"): a handful of inputs (an
// image, its port, roles, size) become an ordinary ECS service that runs
// for real. On AWS, ECS also builds a load balancer and an HTTPS URL
// (https://<name>.ecs.<region>.on.aws/); locally the service's one task
// publishes the primary container's port on a host port Berth picks once
// (kept across updates), and the endpoint is http://127.0.0.1:<port>/.
//
// Create registers a task definition (family = service name, bridge mode,
// the port published, awslogs when asked) and creates a REPLICA service of
// one task (minimumHealthyPercent 0 / maximumPercent 100, so a new
// revision replaces the task on the same port); Update registers a new
// revision and updates the service (a new service deployment and
// revision); Delete deletes the service (DRAINING, then INACTIVE). The
// Express configuration (roles, primary container, scaling target, health
// check path, the host port) is kept beside the service.
//
// Thread-safety: every method may be called from any thread.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "server/ecs/cluster_service.h"
#include "server/ecs/service_manager.h"
#include "server/ecs/task_definition_service.h"
#include "storage/database.h"

namespace berth::ecs {

class ExpressGatewayService {
 public:
  ExpressGatewayService(storage::Database& database, ClusterService& clusters,
                        TaskDefinitionService& task_definitions, ServiceManager& services)
      : database_(database),
        clusters_(clusters),
        task_definitions_(task_definitions),
        services_(services) {}

  // Replies as the API's output shapes ({service: ...}).
  nlohmann::json Create(const aws::RequestContext& context, const nlohmann::json& request);
  nlohmann::json Update(const aws::RequestContext& context, const nlohmann::json& request);
  nlohmann::json Delete(const aws::RequestContext& context, const std::string& service_arn);
  nlohmann::json Describe(const aws::RequestContext& context, const std::string& service_arn,
                          bool with_tags);
  // ARNs of the cluster's (default: default) ACTIVE Express services, for
  // ListServices --resource-management-type ECS.
  std::vector<std::string> ListServiceArns(const aws::RequestContext& context,
                                           const std::optional<std::string>& cluster);

 private:
  storage::Database& database_;
  ClusterService& clusters_;
  TaskDefinitionService& task_definitions_;
  ServiceManager& services_;
};

}  // namespace berth::ecs
