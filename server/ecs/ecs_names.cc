#include "server/ecs/ecs_names.h"

#include <algorithm>
#include <cctype>

#include "server/aws/arn.h"

namespace berth::ecs {

std::string ClusterArn(const aws::RequestContext& context, std::string_view name) {
  return aws::MakeArn("ecs", context.region, context.account_id, "cluster/" + std::string(name));
}

std::string TaskDefinitionArn(const aws::RequestContext& context, std::string_view family,
                              int64_t revision) {
  return aws::MakeArn("ecs", context.region, context.account_id,
                      "task-definition/" + std::string(family) + ":" + std::to_string(revision));
}

std::string TaskArn(const std::string& account_id, const std::string& region,
                    std::string_view cluster, std::string_view task_id) {
  return aws::MakeArn("ecs", region, account_id,
                      "task/" + std::string(cluster) + "/" + std::string(task_id));
}

std::string TaskArn(const aws::RequestContext& context, std::string_view cluster,
                    std::string_view task_id) {
  return TaskArn(context.account_id, context.region, cluster, task_id);
}

std::string ContainerArn(const aws::RequestContext& context, std::string_view cluster,
                         std::string_view task_id, std::string_view container_id) {
  return aws::MakeArn("ecs", context.region, context.account_id,
                      "container/" + std::string(cluster) + "/" + std::string(task_id) + "/" +
                          std::string(container_id));
}

std::string CapacityProviderArn(const aws::RequestContext& context, std::string_view name) {
  return aws::MakeArn("ecs", context.region, context.account_id,
                      "capacity-provider/" + std::string(name));
}

std::string RootPrincipalArn(const aws::RequestContext& context) {
  return "arn:" + aws::PartitionForRegion(context.region) + ":iam::" + context.account_id + ":root";
}

std::optional<std::string> ClusterNameFrom(const aws::RequestContext& context,
                                           std::string_view name_or_arn) {
  if (!name_or_arn.starts_with("arn:")) {
    if (!IsEcsName(name_or_arn)) return std::nullopt;
    return std::string(name_or_arn);
  }
  const auto arn = aws::Arn::Parse(name_or_arn);
  if (!arn || arn->partition != aws::PartitionForRegion(context.region) || arn->service != "ecs" ||
      !arn->resource.starts_with("cluster/") || arn->account_id != context.account_id ||
      arn->region != context.region) {
    return std::nullopt;
  }
  std::string name = arn->resource.substr(8);
  if (!IsEcsName(name)) return std::nullopt;
  return name;
}

bool IsEcsName(std::string_view name) {
  return !name.empty() && name.size() <= 255 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
}

}  // namespace berth::ecs
