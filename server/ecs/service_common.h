#pragma once

// What the ECS service operations share: finding a cluster and a service
// from a name or ARN, the deployment configuration with ECS's defaults and
// rules, and making a deployment (with its service deployment and service
// revision) from a service's configuration.
//
// Thread-safety: functions over a leased Db; no state of their own.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "server/ecs/ecs_names.h"
#include "storage/records.h"
#include "storage/service_store.h"
#include "storage/sqlite/db.h"

namespace berth::ecs {

// The cluster a `cluster` parameter names (default when absent), which must
// exist and be ACTIVE. Throws ClusterNotFoundException.
storage::ClusterRecord ActiveCluster(storage::Db& db, const aws::RequestContext& context,
                                     const std::optional<std::string>& cluster);

// The service name a `service` parameter names: a bare name, or a service
// ARN (long `service/<cluster>/<name>` or short `service/<name>` format) of
// this account and region. nullopt when malformed.
std::optional<std::string> ServiceNameFrom(const aws::RequestContext& context,
                                           std::string_view name_or_arn);

// The service, which must exist. Throws ServiceNotFoundException.
storage::ServiceRecord FindService(storage::Db& db, const aws::RequestContext& context,
                                   const std::string& cluster, const std::string& identifier);
// The same, which must also be ACTIVE. Throws ServiceNotFoundException,
// ServiceNotActiveException.
storage::ServiceRecord ActiveService(storage::Db& db, const aws::RequestContext& context,
                                     const std::string& cluster, const std::string& identifier);

// `given` (a DeploymentConfiguration, maybe empty) over ECS's defaults for
// the scheduling strategy; `previous` (UpdateService) supplies what is not
// given. Throws InvalidParameterException for values ECS refuses.
nlohmann::json DeploymentConfiguration(const nlohmann::json& given,
                                       const std::string& scheduling_strategy,
                                       const nlohmann::json& previous = nlohmann::json());

// What a new deployment runs: the task definition (full ARN) and how.
struct DeploymentSpec {
  std::string task_definition;             // ARN
  nlohmann::json document;                 // launchType/strategy, platform, network, ...
  nlohmann::json container_images;         // [{containerName, image}] for the revision
  std::optional<std::string> external_id;  // task sets
};

// Records a new deployment of a service: the DeploymentRecord (status
// `status`: PRIMARY for the ECS controller, ACTIVE for a new task set), its
// service revision (id = the deployment's digits) and, for the ECS
// controller, a service deployment (PENDING) whose sources are the other
// live deployments. Returns the deployment.
storage::DeploymentRecord RecordDeployment(storage::Db& db, const aws::RequestContext& context,
                                           const storage::ServiceRecord& service,
                                           const DeploymentSpec& spec, const std::string& status,
                                           bool task_set);

// The other deployments of an ECS-controller service stop being PRIMARY
// (they drain), and an unfinished service deployment of theirs is STOPPED:
// a newer one replaced it.
void SupersedeDeployments(storage::Db& db, const aws::RequestContext& context,
                          const storage::ServiceRecord& service, const std::string& new_primary);

// A hash of a request without its clientToken, for idempotency checks.
std::string RequestFingerprint(nlohmann::json request);

}  // namespace berth::ecs
