#include "server/ecs/ecs_names.h"

#include <algorithm>
#include <cctype>

#include "server/aws/arn.h"
#include "server/util/crypto.h"

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

std::string ServiceArn(const aws::RequestContext& context, std::string_view cluster,
                       std::string_view name) {
  return aws::MakeArn("ecs", context.region, context.account_id,
                      "service/" + std::string(cluster) + "/" + std::string(name));
}

std::string TaskSetArn(const aws::RequestContext& context, std::string_view cluster,
                       std::string_view service, std::string_view task_set_id) {
  return aws::MakeArn("ecs", context.region, context.account_id,
                      "task-set/" + std::string(cluster) + "/" + std::string(service) + "/" +
                          std::string(task_set_id));
}

std::string ServiceDeploymentArn(const aws::RequestContext& context, std::string_view cluster,
                                 std::string_view service, std::string_view id) {
  return aws::MakeArn("ecs", context.region, context.account_id,
                      "service-deployment/" + std::string(cluster) + "/" + std::string(service) +
                          "/" + std::string(id));
}

std::string ServiceRevisionArn(const aws::RequestContext& context, std::string_view cluster,
                               std::string_view service, std::string_view id) {
  return aws::MakeArn("ecs", context.region, context.account_id,
                      "service-revision/" + std::string(cluster) + "/" + std::string(service) +
                          "/" + std::string(id));
}

std::string ServiceLinkedRoleArn(const aws::RequestContext& context) {
  return "arn:" + aws::PartitionForRegion(context.region) + ":iam::" + context.account_id +
         ":role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS";
}

std::string NewDeploymentId() {
  // 19 digits, the first not 0 (a positive 63-bit number, as ECS's are).
  const std::string bytes = crypto::RandomBytes(19);
  std::string digits;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    digits += static_cast<char>('0' + (i == 0 ? 1 + b % 9 : b % 10));
  }
  return "ecs-svc/" + digits;
}

std::string NewServiceDeploymentId() {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string bytes = crypto::RandomBytes(21);
  std::string id;
  for (const char c : bytes) id += kAlphabet[static_cast<unsigned char>(c) % kAlphabet.size()];
  return id;
}

std::string RevisionIdOf(std::string_view deployment_id) {
  const auto slash = deployment_id.rfind('/');
  return std::string(slash == std::string_view::npos ? deployment_id
                                                     : deployment_id.substr(slash + 1));
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
