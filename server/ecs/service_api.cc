// The ECS service operations of EcsApi: services, their task sets, service
// deployments and revisions, and task scale-in protection. Each records
// desired state through its service and returns at once; the service
// scheduler, run by the reconciler, makes tasks follow.

#include <algorithm>

#include "server/aws/json_params.h"
#include "server/ecs/ecs_api.h"
#include "server/ecs/ecs_errors.h"

namespace berth::ecs {
namespace {

using aws::OptionalString;
using aws::RequiredString;
using nlohmann::json;

bool IncludesTags(const json& in) {
  const auto include = aws::StringList(in, "include");
  return std::find(include.begin(), include.end(), "TAGS") != include.end();
}

json Array(const std::vector<json>& items) {
  json out = json::array();
  for (const auto& item : items) out.push_back(item);
  return out;
}

}  // namespace

json EcsApi::CreateService(const json& in, const Context& context) {
  return {{"service", services_.services.CreateService(context, in)}};
}

json EcsApi::UpdateService(const json& in, const Context& context) {
  return {{"service", services_.services.UpdateService(context, in)}};
}

json EcsApi::DeleteService(const json& in, const Context& context) {
  return {{"service", services_.services.DeleteService(
                          context, OptionalString(in, "cluster"), RequiredString(in, "service"),
                          aws::OptionalBool(in, "force").value_or(false))}};
}

json EcsApi::DescribeServices(const json& in, const Context& context) {
  const DescribeServicesResult result = services_.services.DescribeServices(
      context, OptionalString(in, "cluster"), aws::StringList(in, "services"), IncludesTags(in));
  return {{"services", Array(result.services)}, {"failures", Array(result.failures)}};
}

json EcsApi::ListServices(const json& in, const Context& context) {
  ListServicesQuery query;
  query.cluster = OptionalString(in, "cluster");
  query.launch_type = OptionalString(in, "launchType");
  query.scheduling_strategy = OptionalString(in, "schedulingStrategy");
  query.token = OptionalString(in, "nextToken").value_or("");
  query.max_results = static_cast<size_t>(aws::OptionalInt(in, "maxResults").value_or(10));
  if (OptionalString(in, "resourceManagementType").value_or("CUSTOMER") == "ECS") {
    // The services ECS manages: Express gateway services.
    return {{"serviceArns", services_.express.ListServiceArns(context, query.cluster)}};
  }
  std::string next;
  json out = {{"serviceArns", services_.services.ListServices(context, query, next)}};
  if (!next.empty()) out["nextToken"] = next;
  return out;
}

json EcsApi::ListServicesByNamespace(const json& in, const Context& context) {
  std::string next;
  json out = {
      {"serviceArns",
       services_.services.ListServicesByNamespace(
           context, RequiredString(in, "namespace"), OptionalString(in, "nextToken").value_or(""),
           static_cast<size_t>(aws::OptionalInt(in, "maxResults").value_or(10)), next)}};
  if (!next.empty()) out["nextToken"] = next;
  return out;
}

json EcsApi::CreateTaskSet(const json& in, const Context& context) {
  return {{"taskSet", services_.task_sets.CreateTaskSet(context, in)}};
}

json EcsApi::UpdateTaskSet(const json& in, const Context& context) {
  return {{"taskSet", services_.task_sets.UpdateTaskSet(
                          context, RequiredString(in, "cluster"), RequiredString(in, "service"),
                          RequiredString(in, "taskSet"), in.at("scale"))}};
}

json EcsApi::DeleteTaskSet(const json& in, const Context& context) {
  return {{"taskSet",
           services_.task_sets.DeleteTaskSet(
               context, RequiredString(in, "cluster"), RequiredString(in, "service"),
               RequiredString(in, "taskSet"), aws::OptionalBool(in, "force").value_or(false))}};
}

json EcsApi::DescribeTaskSets(const json& in, const Context& context) {
  const DescribeTaskSetsResult result = services_.task_sets.DescribeTaskSets(
      context, RequiredString(in, "cluster"), RequiredString(in, "service"),
      aws::StringList(in, "taskSets"), IncludesTags(in));
  return {{"taskSets", Array(result.task_sets)}, {"failures", Array(result.failures)}};
}

json EcsApi::UpdateServicePrimaryTaskSet(const json& in, const Context& context) {
  return {{"taskSet", services_.task_sets.UpdateServicePrimaryTaskSet(
                          context, RequiredString(in, "cluster"), RequiredString(in, "service"),
                          RequiredString(in, "primaryTaskSet"))}};
}

json EcsApi::ListServiceDeployments(const json& in, const Context& context) {
  ListServiceDeploymentsQuery query;
  query.cluster = OptionalString(in, "cluster");
  query.service = RequiredString(in, "service");
  query.statuses = aws::StringList(in, "status");
  if (in.contains("createdAt")) {
    const json& created = in.at("createdAt");
    if (created.contains("after")) query.created_after = created.at("after").get<double>();
    if (created.contains("before")) query.created_before = created.at("before").get<double>();
  }
  query.token = OptionalString(in, "nextToken").value_or("");
  query.max_results = static_cast<size_t>(aws::OptionalInt(in, "maxResults").value_or(20));
  std::string next;
  json out = {
      {"serviceDeployments", Array(services_.service_deployments.List(context, query, next))}};
  if (!next.empty()) out["nextToken"] = next;
  return out;
}

json EcsApi::DescribeServiceDeployments(const json& in, const Context& context) {
  const DescribeResult result = services_.service_deployments.DescribeDeployments(
      context, aws::StringList(in, "serviceDeploymentArns"));
  return {{"serviceDeployments", Array(result.items)}, {"failures", Array(result.failures)}};
}

json EcsApi::DescribeServiceRevisions(const json& in, const Context& context) {
  const DescribeResult result = services_.service_deployments.DescribeRevisions(
      context, aws::StringList(in, "serviceRevisionArns"));
  return {{"serviceRevisions", Array(result.items)}, {"failures", Array(result.failures)}};
}

json EcsApi::StopServiceDeployment(const json& in, const Context& context) {
  return {{"serviceDeploymentArn", services_.service_deployments.Stop(
                                       context, RequiredString(in, "serviceDeploymentArn"),
                                       OptionalString(in, "stopType").value_or("ROLLBACK"))}};
}

json EcsApi::ContinueServiceDeployment(const json& in, const Context& context) {
  return {{"serviceDeploymentArn",
           services_.service_deployments.Continue(
               context, RequiredString(in, "serviceDeploymentArn"), RequiredString(in, "hookId"),
               OptionalString(in, "action").value_or("CONTINUE"))}};
}

json EcsApi::GetTaskProtection(const json& in, const Context& context) {
  const TaskProtectionResult result = services_.protection.Get(
      context, RequiredString(in, "cluster"), aws::StringList(in, "tasks"));
  return {{"protectedTasks", Array(result.protected_tasks)}, {"failures", Array(result.failures)}};
}

json EcsApi::UpdateTaskProtection(const json& in, const Context& context) {
  const TaskProtectionResult result = services_.protection.Update(
      context, RequiredString(in, "cluster"), aws::StringList(in, "tasks"),
      in.at("protectionEnabled").get<bool>(), aws::OptionalInt(in, "expiresInMinutes"));
  return {{"protectedTasks", Array(result.protected_tasks)}, {"failures", Array(result.failures)}};
}

}  // namespace berth::ecs
