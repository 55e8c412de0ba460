#include "server/ecs/capacity_provider_service.h"

#include <algorithm>
#include <cctype>

#include "server/aws/arn.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "server/ecs/service_common.h"
#include "storage/cluster_store.h"
#include "storage/container_instance_store.h"
#include "storage/tag_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;
using storage::Partition;

bool IsBuiltIn(std::string_view name) { return name == "FARGATE" || name == "FARGATE_SPOT"; }

// Names starting with aws, ecs or fargate (any case) are reserved.
bool IsReservedName(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.starts_with("aws") || lower.starts_with("ecs") || lower.starts_with("fargate");
}

json BuiltInProvider(const aws::RequestContext& context, const std::string& name) {
  return {{"capacityProviderArn", CapacityProviderArn(context, name)},
          {"name", name},
          {"status", "ACTIVE"},
          {"type", name}};
}

// What ECS fills in for an Auto Scaling group provider.
json WithDefaults(json provider) {
  json scaling = provider.value("managedScaling", json::object());
  if (!scaling.contains("status")) scaling["status"] = "DISABLED";
  if (!scaling.contains("targetCapacity")) scaling["targetCapacity"] = 100;
  if (!scaling.contains("minimumScalingStepSize")) scaling["minimumScalingStepSize"] = 1;
  if (!scaling.contains("maximumScalingStepSize")) scaling["maximumScalingStepSize"] = 10000;
  if (!scaling.contains("instanceWarmupPeriod")) scaling["instanceWarmupPeriod"] = 300;
  provider["managedScaling"] = scaling;
  if (!provider.contains("managedTerminationProtection")) {
    provider["managedTerminationProtection"] = "DISABLED";
  }
  if (!provider.contains("managedDraining")) provider["managedDraining"] = "ENABLED";
  return provider;
}

void ValidateScaling(const json& provider) {
  const json scaling = provider.value("managedScaling", json::object());
  const int64_t target = scaling.value("targetCapacity", int64_t{100});
  if (target < 1 || target > 100) {
    throw InvalidParameterException("The target capacity must be between 1 and 100.");
  }
  if (scaling.value("minimumScalingStepSize", int64_t{1}) >
      scaling.value("maximumScalingStepSize", int64_t{10000})) {
    throw InvalidParameterException(
        "The minimum scaling step size cannot be greater than the maximum scaling step size.");
  }
}

json WithTags(storage::Db& db, json provider) {
  provider["tags"] = EcsTagsJson(
      storage::TagStore(db).List(provider.at("capacityProviderArn").get<std::string>()));
  return provider;
}

}  // namespace

std::optional<std::string> CapacityProviderNameFrom(const aws::RequestContext& context,
                                                    const std::string& identifier) {
  if (!identifier.starts_with("arn:")) return identifier;
  const auto arn = aws::Arn::Parse(identifier);
  if (!arn || arn->partition != aws::PartitionForRegion(context.region) || arn->service != "ecs" ||
      arn->account_id != context.account_id || arn->region != context.region ||
      !arn->resource.starts_with("capacity-provider/")) {
    return std::nullopt;
  }
  return arn->resource.substr(18);
}

std::set<std::string> ActiveUserCapacityProviders(storage::Db& db,
                                                  const aws::RequestContext& context) {
  std::set<std::string> names;
  for (const auto& p : storage::CapacityProviderStore(db, PartitionOf(context)).List()) {
    if (p.status == "ACTIVE") names.insert(p.name);
  }
  return names;
}

json CapacityProviderService::Create(const aws::RequestContext& context, const json& request) {
  const std::string name = request.at("name").get<std::string>();
  if (!IsEcsName(name) || IsReservedName(name)) {
    throw ClientException(
        "The specified capacity provider name is invalid. Up to 255 characters are allowed, "
        "including letters (upper and lowercase), numbers, underscores, and hyphens. The name "
        "cannot be prefixed with \"aws\", \"ecs\", or \"fargate\". Specify a valid name and try "
        "again.");
  }
  if (!request.contains("autoScalingGroupProvider")) {
    throw InvalidParameterException(
        "Berth emulates Auto Scaling group capacity providers: autoScalingGroupProvider must be "
        "specified.");
  }
  const json asg = request.at("autoScalingGroupProvider");
  ValidateScaling(asg);
  const auto asg_arn = aws::Arn::Parse(asg.at("autoScalingGroupArn").get<std::string>());
  if (!asg_arn || asg_arn->service != "autoscaling") {
    throw ClientException("The specified Auto Scaling group ARN is invalid.");
  }
  const std::vector<storage::Tag> tags = ReadEcsTags(request);
  ValidateTags(tags);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  storage::CapacityProviderStore store(lease.db(), PartitionOf(context));
  if (const auto existing = store.Find(name); existing && existing->status == "ACTIVE") {
    throw ClientException(
        "The specified capacity provider already exists. To change the configuration of an "
        "existing capacity provider, update the capacity provider.");
  }
  for (const auto& p : store.List()) {
    if (p.status == "ACTIVE" &&
        json::parse(p.document).at("autoScalingGroupProvider").at("autoScalingGroupArn") ==
            asg.at("autoScalingGroupArn")) {
      throw ClientException(
          "The specified Auto Scaling group is already in use by another capacity provider.");
    }
  }
  const std::string arn = CapacityProviderArn(context, name);
  const json provider = {{"capacityProviderArn", arn},
                         {"name", name},
                         {"status", "ACTIVE"},
                         {"autoScalingGroupProvider", WithDefaults(asg)},
                         {"type", "EC2_AUTOSCALING"}};
  store.Upsert({name, "ACTIVE", context.now, provider.dump()});
  storage::TagStore tag_store(lease.db());
  tag_store.RemoveAll(arn);
  tag_store.Put(arn, tags);
  json out = WithTags(lease.db(), provider);
  tx.Commit();
  return out;
}

json CapacityProviderService::Update(const aws::RequestContext& context, const json& request) {
  const std::string name = request.at("name").get<std::string>();
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  storage::CapacityProviderStore store(lease.db(), PartitionOf(context));
  auto record = store.Find(name);
  if (IsBuiltIn(name) || !record || record->status != "ACTIVE") {
    throw ClientException(
        "The specified capacity provider does not exist. Specify a valid name or "
        "ARN and try again.");
  }
  json provider = json::parse(record->document);
  if (request.contains("autoScalingGroupProvider")) {
    json& asg = provider["autoScalingGroupProvider"];
    const json& update = request.at("autoScalingGroupProvider");
    if (update.contains("managedScaling")) {
      for (const auto& [key, value] : update.at("managedScaling").items()) {
        asg["managedScaling"][key] = value;
      }
    }
    for (const char* key : {"managedTerminationProtection", "managedDraining"}) {
      if (update.contains(key)) asg[key] = update.at(key);
    }
    ValidateScaling(asg);
  }
  provider["updateStatus"] = "UPDATE_COMPLETE";
  record->document = provider.dump();
  store.Upsert(*record);
  json out = WithTags(lease.db(), provider);
  tx.Commit();
  return out;
}

json CapacityProviderService::Delete(const aws::RequestContext& context,
                                     const std::string& identifier) {
  const auto name = CapacityProviderNameFrom(context, identifier);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  storage::CapacityProviderStore store(lease.db(), PartitionOf(context));
  if (name && IsBuiltIn(*name)) {
    throw InvalidParameterException(
        "The FARGATE and FARGATE_SPOT capacity providers are "
        "reserved and cannot be deleted.");
  }
  auto record = name ? store.Find(*name) : std::nullopt;
  if (!record || record->status != "ACTIVE") {
    throw ClientException(
        "The specified capacity provider does not exist. Specify a valid name or "
        "ARN and try again.");
  }
  // In use: associated with an ACTIVE cluster (strategies of services and
  // tasks can only name providers associated with their cluster).
  for (const auto& cluster_name :
       storage::ClusterStore(lease.db(), PartitionOf(context)).ListActiveNames("", 100000)) {
    const auto cluster = storage::ClusterStore(lease.db(), PartitionOf(context)).Find(cluster_name);
    const json associated =
        json::parse(cluster->document).value("capacityProviders", json::array());
    if (std::find(associated.begin(), associated.end(), *name) != associated.end()) {
      throw ClientException(
          "The specified capacity provider is in use and cannot be removed. Disassociate it "
          "from cluster " +
          cluster_name + " and try again.");
    }
  }
  json provider = json::parse(record->document);
  provider["status"] = "INACTIVE";
  provider["updateStatus"] = "DELETE_COMPLETE";
  record->status = "INACTIVE";
  record->document = provider.dump();
  store.Upsert(*record);
  json out = WithTags(lease.db(), provider);
  tx.Commit();
  return out;
}

DescribeCapacityProvidersResult CapacityProviderService::Describe(
    const aws::RequestContext& context, const std::vector<std::string>& names, bool all,
    bool with_tags) {
  auto lease = database_.Acquire();
  storage::CapacityProviderStore store(lease.db(), PartitionOf(context));
  DescribeCapacityProvidersResult result;
  const auto add = [&](json provider) {
    if (with_tags) {
      provider = WithTags(lease.db(), std::move(provider));
    } else {
      provider.erase("tags");
    }
    result.providers.push_back(std::move(provider));
  };
  if (all) {
    for (const char* name : {"FARGATE", "FARGATE_SPOT"}) add(BuiltInProvider(context, name));
    for (const auto& record : store.List()) {
      if (record.status == "ACTIVE") add(json::parse(record.document));
    }
    return result;
  }
  for (const auto& identifier : names) {
    const auto name = CapacityProviderNameFrom(context, identifier);
    const auto missing = [&] {
      result.missing.push_back(
          identifier.starts_with("arn:") ? identifier : CapacityProviderArn(context, identifier));
    };
    if (!name) {
      missing();
    } else if (IsBuiltIn(*name)) {
      add(BuiltInProvider(context, *name));
    } else if (const auto record = store.Find(*name)) {
      add(json::parse(record->document));
    } else {
      missing();
    }
  }
  return result;
}

}  // namespace berth::ecs
