// EcsApi: the operations of container instances' lifecycle, of the ECS agent
// (poll endpoint discovery and state-change submissions) and of capacity
// providers.

#include "server/aws/json_params.h"
#include "server/ecs/ecs_api.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/task_service.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

using aws::OptionalString;
using aws::RequiredString;
using nlohmann::json;
using Context = aws::RequestContext;

// What ECS acknowledges agent submissions with.
constexpr std::string_view kAcknowledgment = "ACK";

}  // namespace

json EcsApi::RegisterContainerInstance(const json& in, const Context& context) {
  return {{"containerInstance", services_.container_instances.Register(context, in)}};
}

json EcsApi::DeregisterContainerInstance(const json& in, const Context& context) {
  return {{"containerInstance",
           services_.container_instances.Deregister(
               context, OptionalString(in, "cluster"), RequiredString(in, "containerInstance"),
               aws::OptionalBool(in, "force").value_or(false))}};
}

json EcsApi::UpdateContainerInstancesState(const json& in, const Context& context) {
  const auto result = services_.container_instances.UpdateState(
      context, OptionalString(in, "cluster"), aws::StringList(in, "containerInstances"),
      RequiredString(in, "status"));
  return {{"containerInstances", result.instances}, {"failures", result.failures}};
}

json EcsApi::UpdateContainerAgent(const json& in, const Context& context) {
  return {{"containerInstance",
           services_.container_instances.UpdateAgent(context, OptionalString(in, "cluster"),
                                                     RequiredString(in, "containerInstance"))}};
}

json EcsApi::DiscoverPollEndpoint(const json& in, const Context& context) {
  // Berth is every endpoint an agent talks to: ACS, TCS and Service Connect.
  if (aws::Has(in, "cluster")) {
    services_.clusters.EnsureActive(context, OptionalString(in, "cluster"));
  }
  const std::string url = services_.endpoint_url + "/";
  return {{"endpoint", url}, {"telemetryEndpoint", url}, {"serviceConnectEndpoint", url}};
}

json EcsApi::SubmitTaskStateChange(const json& in, const Context& context) {
  const std::string cluster =
      services_.clusters.EnsureActive(context, OptionalString(in, "cluster"));
  if (const auto task = OptionalString(in, "task")) {
    // The task must be one of the cluster's (Berth's own reconciler is the
    // agent of every instance: its observations stay what DescribeTasks shows).
    services_.tasks.RequireTask(context, cluster, *task);
  }
  return {{"acknowledgment", kAcknowledgment}};
}

json EcsApi::SubmitContainerStateChange(const json& in, const Context& context) {
  const std::string cluster =
      services_.clusters.EnsureActive(context, OptionalString(in, "cluster"));
  if (const auto task = OptionalString(in, "task")) {
    services_.tasks.RequireTask(context, cluster, *task);
  }
  return {{"acknowledgment", kAcknowledgment}};
}

json EcsApi::SubmitAttachmentStateChanges(const json& in, const Context& context) {
  services_.clusters.EnsureActive(context, OptionalString(in, "cluster"));
  if (in.at("attachments").empty()) {
    throw InvalidParameterException("Attachments cannot be empty.");
  }
  return {{"acknowledgment", kAcknowledgment}};
}

json EcsApi::CreateCapacityProvider(const json& in, const Context& context) {
  if (aws::Has(in, "cluster")) {
    throw InvalidParameterException(
        "Berth emulates Auto Scaling group capacity providers, which belong to the account: "
        "cluster must not be specified.");
  }
  return {{"capacityProvider", services_.capacity_providers.Create(context, in)}};
}

json EcsApi::UpdateCapacityProvider(const json& in, const Context& context) {
  return {{"capacityProvider", services_.capacity_providers.Update(context, in)}};
}

json EcsApi::DeleteCapacityProvider(const json& in, const Context& context) {
  return {{"capacityProvider",
           services_.capacity_providers.Delete(context, RequiredString(in, "capacityProvider"))}};
}

}  // namespace berth::ecs
