#pragma once

// ECS identifiers: ARNs of clusters, task definitions and capacity
// providers, and reading a name-or-ARN parameter back to the name.

#include <optional>
#include <string>
#include <string_view>

#include "server/aws/request_context.h"
#include "storage/records.h"

namespace berth::ecs {

inline constexpr std::string_view kDefaultCluster = "default";

// The account and region a request acts in.
inline storage::Partition PartitionOf(const aws::RequestContext& context) {
  return storage::Partition{context.account_id, context.region};
}

std::string ClusterArn(const aws::RequestContext& context, std::string_view name);
std::string TaskDefinitionArn(const aws::RequestContext& context, std::string_view family,
                              int64_t revision);
// arn:...:task/<cluster>/<task id> (the long ARN format).
std::string TaskArn(const aws::RequestContext& context, std::string_view cluster,
                    std::string_view task_id);
std::string TaskArn(const std::string& account_id, const std::string& region,
                    std::string_view cluster, std::string_view task_id);
// arn:...:container/<cluster>/<task id>/<container uuid>
std::string ContainerArn(const aws::RequestContext& context, std::string_view cluster,
                         std::string_view task_id, std::string_view container_id);
std::string CapacityProviderArn(const aws::RequestContext& context, std::string_view name);
// arn:...:service/<cluster>/<name>
std::string ServiceArn(const aws::RequestContext& context, std::string_view cluster,
                       std::string_view name);
// arn:...:task-set/<cluster>/<service>/<ecs-svc/N>
std::string TaskSetArn(const aws::RequestContext& context, std::string_view cluster,
                       std::string_view service, std::string_view task_set_id);
// arn:...:service-deployment/<cluster>/<service>/<id>
std::string ServiceDeploymentArn(const aws::RequestContext& context, std::string_view cluster,
                                 std::string_view service, std::string_view id);
// arn:...:service-revision/<cluster>/<service>/<id>
std::string ServiceRevisionArn(const aws::RequestContext& context, std::string_view cluster,
                               std::string_view service, std::string_view id);
// The service-linked role ECS reports as a service's roleArn.
std::string ServiceLinkedRoleArn(const aws::RequestContext& context);
// A new deployment (or task set) id: ecs-svc/<19 decimal digits>.
std::string NewDeploymentId();
// A new service deployment id: 21 characters of [A-Za-z0-9_-].
std::string NewServiceDeploymentId();
// The revision id of a deployment id: its digits.
std::string RevisionIdOf(std::string_view deployment_id);

// The principal a caller acts as (Berth has no IAM: the account root).
std::string RootPrincipalArn(const aws::RequestContext& context);

// The cluster name a `cluster` parameter names: a bare name, or a cluster ARN
// of this account and region. nullopt for anything else.
std::optional<std::string> ClusterNameFrom(const aws::RequestContext& context,
                                           std::string_view name_or_arn);

// True for names of 1-255 letters, digits, hyphens and underscores (clusters,
// families, containers, services).
bool IsEcsName(std::string_view name);

}  // namespace berth::ecs
