#pragma once

// What a new deployment (or task set) of a service runs, worked out from a
// task definition and launch settings as ECS does: the definition resolved
// (a bare family is its latest ACTIVE revision), the network rules of
// RunTask, the placement (launch type or capacity provider), Fargate's
// platform, and Service Connect checked against the definition's named
// ports.
//
// Thread-safety: functions over a leased Db; no state of their own.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "server/ecs/service_common.h"
#include "storage/sqlite/db.h"

namespace berth::ecs {

// The task definition `reference` names, as DescribeTaskDefinition serves
// it. Throws InvalidParameterException ("Family should not be null or
// empty.", "TaskDefinition is inactive") or ClientException ("TaskDefinition
// not found.").
nlohmann::json ResolveTaskDefinition(storage::Db& db, const aws::RequestContext& context,
                                     const std::string& reference);

// awsvpcConfiguration as ECS echoes it: assignPublicIp and securityGroups
// filled in.
nlohmann::json EchoNetwork(nlohmann::json network);

// What a deployment runs with. `settings` carries the request's
// launchType / capacityProviderStrategy, platformVersion,
// networkConfiguration, loadBalancers, serviceRegistries,
// serviceConnectConfiguration, volumeConfigurations and
// vpcLatticeConfigurations; `cluster_document` supplies the default
// capacity provider strategy and Service Connect namespace, which is set in
// `service_namespace`. Throws InvalidParameterException with ECS's messages.
DeploymentSpec SpecFor(const aws::RequestContext& context, const nlohmann::json& td,
                       const nlohmann::json& settings, const nlohmann::json& cluster_document,
                       std::optional<std::string>& service_namespace);

}  // namespace berth::ecs
