// The ECS task operations of EcsApi: RunTask, StartTask, StopTask,
// DescribeTasks and ListTasks, which record desired state and return at once
// (the reconciler moves tasks forward), and the container instance ones the
// tasks are placed on.

#include "server/aws/json_params.h"
#include "server/ecs/ecs_api.h"
#include "server/ecs/ecs_errors.h"

namespace berth::ecs {
namespace {

using aws::OptionalString;
using nlohmann::json;

json TaskJson(const Task& task, bool with_tags) {
  json out = task.document;
  if (with_tags) out["tags"] = EcsTagsJson(task.tags);
  return out;
}

}  // namespace

json EcsApi::RunTask(const json& in, const Context& context) {
  const RunTaskResult result = services_.tasks.RunTask(context, in);
  json out = {{"tasks", json::array()}, {"failures", result.failures}};
  for (const auto& task : result.tasks) out["tasks"].push_back(TaskJson(task, !task.tags.empty()));
  return out;
}

json EcsApi::StartTask(const json& in, const Context& context) {
  const RunTaskResult result = services_.tasks.StartTask(context, in);
  json out = {{"tasks", json::array()}, {"failures", result.failures}};
  for (const auto& task : result.tasks) out["tasks"].push_back(TaskJson(task, !task.tags.empty()));
  return out;
}

json EcsApi::StopTask(const json& in, const Context& context) {
  const Task task =
      services_.tasks.StopTask(context, OptionalString(in, "cluster"),
                               aws::RequiredString(in, "task"), OptionalString(in, "reason"));
  return {{"task", TaskJson(task, false)}};
}

json EcsApi::DescribeTasks(const json& in, const Context& context) {
  const auto include = aws::StringList(in, "include");
  const bool with_tags = std::find(include.begin(), include.end(), "TAGS") != include.end();
  const DescribeTasksResult result = services_.tasks.DescribeTasks(
      context, OptionalString(in, "cluster"), aws::StringList(in, "tasks"));
  json out = {{"tasks", json::array()}, {"failures", json::array()}};
  for (const auto& task : result.tasks) out["tasks"].push_back(TaskJson(task, with_tags));
  for (const auto& arn : result.missing) {
    out["failures"].push_back({{"arn", arn}, {"reason", "MISSING"}});
  }
  return out;
}

json EcsApi::ListTasks(const json& in, const Context& context) {
  ListTasksQuery query;
  query.cluster = OptionalString(in, "cluster");
  query.family = OptionalString(in, "family");
  query.started_by = OptionalString(in, "startedBy");
  query.service_name = OptionalString(in, "serviceName");
  query.container_instance = OptionalString(in, "containerInstance");
  query.launch_type = OptionalString(in, "launchType");
  query.desired_status = OptionalString(in, "desiredStatus").value_or("RUNNING");
  query.token = OptionalString(in, "nextToken").value_or("");
  query.max_results = static_cast<size_t>(aws::OptionalInt(in, "maxResults").value_or(100));
  std::string next;
  json out = {{"taskArns", services_.tasks.ListTasks(context, query, next)}};
  if (!next.empty()) out["nextToken"] = next;
  return out;
}

json EcsApi::ListContainerInstances(const json& in, const Context& context) {
  std::string next;
  json out = {{"containerInstanceArns",
               services_.container_instances.List(
                   context, OptionalString(in, "cluster"), OptionalString(in, "filter"),
                   OptionalString(in, "status"), aws::OptionalInt(in, "maxResults").value_or(100),
                   OptionalString(in, "nextToken").value_or(""), next)}};
  if (!next.empty()) out["nextToken"] = next;
  return out;
}

json EcsApi::DescribeContainerInstances(const json& in, const Context& context) {
  const auto include = aws::StringList(in, "include");
  const auto has = [&](std::string_view field) {
    return std::find(include.begin(), include.end(), field) != include.end();
  };
  const DescribeContainerInstancesResult result = services_.container_instances.Describe(
      context, OptionalString(in, "cluster"), aws::StringList(in, "containerInstances"),
      has("TAGS"), has("CONTAINER_INSTANCE_HEALTH"));
  json out = {{"containerInstances", result.instances}, {"failures", json::array()}};
  for (const auto& arn : result.missing) {
    out["failures"].push_back({{"arn", arn}, {"reason", "MISSING"}});
  }
  return out;
}

}  // namespace berth::ecs
