#pragma once

// The pieces of a new ECS task that RunTask, StartTask and the service
// scheduler share: where it is placed (launch type, capacity provider), the
// overrides as ECS echoes them, the network configuration rules, and the
// first Task document (PROVISIONING for awsvpc, PENDING otherwise, every
// container PENDING).
//
// Thread-safety: pure functions.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"

namespace berth::ecs {

inline constexpr const char* kProviderNotAssociated =
    "The specified capacity provider strategy cannot contain a capacity provider that is not "
    "associated with the cluster. Associate the capacity provider with the cluster or specify a "
    "valid capacity provider and try again.";

// The launch type and capacity provider a task runs with.
struct Placement {
  std::string launch_type;
  std::optional<std::string> capacity_provider;
  std::string container_instance_arn;  // every launch type but FARGATE: the instance it is on
};

// launchType, or the first provider of the request's (else the cluster's)
// capacityProviderStrategy, else EC2. FARGATE and FARGATE_SPOT run as
// Fargate; a user provider runs EC2 tasks (on the cluster's container
// instances) and must be associated with the cluster, else
// InvalidParameterException (kProviderNotAssociated).
Placement ChoosePlacement(const nlohmann::json& request, const nlohmann::json& cluster_document);

// The overrides as ECS echoes them: every container listed (with what was
// overridden), and an empty inferenceAcceleratorOverrides. Throws
// InvalidParameterException for an override of no container.
nlohmann::json EchoOverrides(const nlohmann::json& request, const nlohmann::json& containers);

// The awsvpc rules of RunTask and CreateService: a configuration exactly when
// the definition uses awsvpc, with 1-16 subnets and at most 5 security
// groups. Throws InvalidParameterException with ECS's messages.
void ValidateNetwork(const nlohmann::json& request, const nlohmann::json& task_definition);

// The first document of a task. `request` carries group, startedBy,
// networkConfiguration, platformVersion and enableExecuteCommand as RunTask
// names them.
nlohmann::json NewTaskDocument(const aws::RequestContext& context, const std::string& cluster,
                               const std::string& task_id, const nlohmann::json& td,
                               const nlohmann::json& request, const Placement& placement,
                               const nlohmann::json& overrides);

// Whether the task definition lists `launch_type` in its compatibilities.
bool Compatible(const nlohmann::json& task_definition, const std::string& launch_type);

}  // namespace berth::ecs
