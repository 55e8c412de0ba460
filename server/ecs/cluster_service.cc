#include "server/ecs/cluster_service.h"

#include <algorithm>
#include <set>

#include "server/aws/pagination.h"
#include "server/ecs/capacity_provider_service.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "storage/cluster_store.h"
#include "storage/container_instance_store.h"
#include "storage/tag_store.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;
using storage::Partition;

constexpr std::string_view kClusterListing = "ecs.clusters";

bool IsBuiltInCapacityProvider(const json& name) {
  return name == "FARGATE" || name == "FARGATE_SPOT";
}

void Apply(json& document, const ClusterChanges& changes) {
  if (changes.settings) {
    // Settings are merged by name: a new value replaces the old one.
    json& settings = document["settings"];
    for (const auto& setting : *changes.settings) {
      auto it = std::find_if(settings.begin(), settings.end(), [&](const json& s) {
        return s.value("name", "") == setting.value("name", "");
      });
      if (it != settings.end()) {
        *it = setting;
      } else {
        settings.push_back(setting);
      }
    }
  }
  if (changes.configuration) document["configuration"] = *changes.configuration;
  if (changes.capacity_providers) document["capacityProviders"] = *changes.capacity_providers;
  if (changes.default_strategy)
    document["defaultCapacityProviderStrategy"] = *changes.default_strategy;
  if (changes.service_connect_defaults) {
    document["serviceConnectDefaults"] = *changes.service_connect_defaults;
  }
}

}  // namespace

void ValidateClusterDocument(const json& document, const std::set<std::string>& user_providers) {
  for (const auto& setting : document.at("settings")) {
    if (setting.value("name", "") != "containerInsights") {
      throw InvalidParameterException("A cluster setting name must be containerInsights.");
    }
    const json& value = setting.contains("value") ? setting.at("value") : json();
    if (value != "enabled" && value != "disabled" && value != "enhanced") {
      throw InvalidParameterException("Invalid setting value '" +
                                      (value.is_string() ? value.get<std::string>() : "") +
                                      "' for containerInsights. Valid values are enabled, "
                                      "enhanced and disabled.");
    }
  }
  const json& providers = document.at("capacityProviders");
  for (const auto& provider : providers) {
    if (!IsBuiltInCapacityProvider(provider) &&
        !user_providers.contains(provider.get<std::string>())) {
      throw InvalidParameterException("The specified capacity provider '" +
                                      provider.get<std::string>() + "' does not exist.");
    }
  }
  std::vector<std::string> seen;
  int with_base = 0;
  for (const auto& item : document.at("defaultCapacityProviderStrategy")) {
    const std::string name = item.at("capacityProvider").get<std::string>();
    if (std::find(providers.begin(), providers.end(), name) == providers.end()) {
      throw InvalidParameterException(
          "The specified capacity provider strategy cannot contain a capacity provider that is "
          "not associated with the cluster. Associate the capacity provider with the cluster or "
          "specify a valid capacity provider and try again.");
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      throw InvalidParameterException("The capacity provider strategy contains '" + name +
                                      "' more than once.");
    }
    seen.push_back(name);
    if (item.value("base", 0) > 0) ++with_base;
  }
  if (with_base > 1) {
    throw InvalidParameterException(
        "Only one capacity provider in a capacity provider strategy can have a base defined.");
  }
}

Cluster ClusterService::Load(storage::Db& db, const aws::RequestContext& context,
                             const storage::ClusterRecord& record) {
  Cluster cluster;
  cluster.name = record.name;
  cluster.status = record.status;
  cluster.document = json::parse(record.document);
  cluster.tags = storage::TagStore(db).List(ClusterArn(context, record.name));
  storage::TaskStore tasks(db);
  const Partition partition = PartitionOf(context);
  cluster.tasks = tasks.CountActive(partition, record.name);
  cluster.running_tasks = cluster.tasks.running_fargate + cluster.tasks.running_ec2;
  cluster.pending_tasks = cluster.tasks.pending_fargate + cluster.tasks.pending_ec2;
  cluster.services = storage::ServiceStore(db, partition).CountByLaunchType(record.name);
  cluster.active_services = cluster.services.active_ec2 + cluster.services.active_fargate;
  cluster.registered_instances =
      record.status == "ACTIVE"
          ? storage::ContainerInstanceStore(db, partition).CountRegistered(record.name)
          : 0;
  return cluster;
}

Cluster ClusterService::Create(const aws::RequestContext& context, const std::string& name,
                               const ClusterChanges& changes,
                               const std::vector<storage::Tag>& tags) {
  if (!IsEcsName(name)) {
    throw InvalidParameterException(
        "Cluster name can contain up to 255 letters (uppercase and lowercase), numbers, "
        "underscores, and hyphens.");
  }
  ValidateTags(tags);
  // Container Insights follows the account's setting unless the request says.
  const std::string insights = settings_.Effective(context, "containerInsights");
  json document = {
      {"settings", json::array({{{"name", "containerInsights"}, {"value", insights}}})},
      {"capacityProviders", json::array()},
      {"defaultCapacityProviderStrategy", json::array()}};
  Apply(document, changes);

  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  ValidateClusterDocument(document, ActiveUserCapacityProviders(lease.db(), context));
  storage::ClusterStore store(lease.db(), PartitionOf(context));
  if (auto existing = store.Find(name); existing && existing->status == "ACTIVE") {
    return Load(lease.db(), context, *existing);
  }
  storage::ClusterRecord record{name, "ACTIVE", context.now, document.dump()};
  store.Upsert(record);
  const std::string arn = ClusterArn(context, name);
  storage::TagStore tag_store(lease.db());
  tag_store.RemoveAll(arn);
  tag_store.Put(arn, tags);
  tx.Commit();
  return Load(lease.db(), context, record);
}

std::vector<Cluster> ClusterService::Describe(const aws::RequestContext& context,
                                              const std::vector<std::string>& identifiers,
                                              std::vector<std::string>& missing) {
  auto lease = database_.Acquire();
  storage::ClusterStore store(lease.db(), PartitionOf(context));
  std::vector<Cluster> clusters;
  for (const auto& identifier : identifiers) {
    const auto name = ClusterNameFrom(context, identifier);
    const auto record = name ? store.Find(*name) : std::nullopt;
    if (!record) {
      missing.push_back(identifier.starts_with("arn:") ? identifier
                                                       : ClusterArn(context, identifier));
      continue;
    }
    clusters.push_back(Load(lease.db(), context, *record));
  }
  return clusters;
}

std::vector<std::string> ClusterService::List(const aws::RequestContext& context,
                                              const std::string& token, size_t max_results,
                                              std::string& next) {
  std::string after;
  if (!token.empty()) {
    auto key = aws::DecodePageToken(kClusterListing, token);
    if (!key) throw InvalidParameterException("Invalid nextToken.");
    after = std::move(*key);
  }
  auto lease = database_.Acquire();
  // Deleted clusters stay listed (as INACTIVE) for an hour, as on AWS.
  auto names = storage::ClusterStore(lease.db(), PartitionOf(context))
                   .ListNames(after, max_results + 1, context.now - kInactiveClusterSeconds);
  if (names.size() > max_results) {
    names.resize(max_results);
    next = aws::EncodePageToken(kClusterListing, names.back());
  }
  std::vector<std::string> arns;
  for (const auto& name : names) arns.push_back(ClusterArn(context, name));
  return arns;
}

std::string ClusterService::RequireActive(storage::Db& db, const aws::RequestContext& context,
                                          const std::optional<std::string>& identifier) {
  const auto name = ClusterNameFrom(context, identifier.value_or(std::string(kDefaultCluster)));
  if (!name) throw ClusterNotFoundException();
  const auto record = storage::ClusterStore(db, PartitionOf(context)).Find(*name);
  if (!record) throw ClusterNotFoundException();
  if (record->status != "ACTIVE") throw ClusterInactiveException();
  return *name;
}

std::string ClusterService::EnsureActive(const aws::RequestContext& context,
                                         const std::optional<std::string>& identifier) {
  auto lease = database_.Acquire();
  return RequireActive(lease.db(), context, identifier);
}

Cluster ClusterService::Delete(const aws::RequestContext& context, const std::string& identifier) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const std::string name = RequireActive(lease.db(), context, identifier);
  if (storage::ServiceStore(lease.db(), PartitionOf(context)).CountLive(name) > 0) {
    throw ClusterContainsServicesException();
  }
  if (storage::TaskStore(lease.db()).CountUnfinished(PartitionOf(context), name) > 0) {
    throw ClusterContainsTasksException();
  }
  // Instances registered through the API keep the cluster; the local host
  // Berth registered itself (--register-local-instance) leaves with it.
  storage::ContainerInstanceStore instances(lease.db(), PartitionOf(context));
  for (auto& instance : instances.List(name, context.now)) {
    if (instance.status == "INACTIVE") continue;
    if (!json::parse(instance.document).value("berth.registeredByBerth", false)) {
      throw AwsError("ClusterContainsContainerInstancesException",
                     "The Cluster cannot be deleted while Container Instances are active.");
    }
  }
  for (auto& instance : instances.List(name, context.now)) {
    if (instance.status == "INACTIVE") continue;
    instance.status = "INACTIVE";
    instance.deregistered_at = context.now;
    instances.Update(instance);
  }
  storage::ClusterStore store(lease.db(), PartitionOf(context));
  store.MarkInactive(name, context.now);
  tx.Commit();
  return Load(lease.db(), context, *store.Find(name));
}

Cluster ClusterService::Update(const aws::RequestContext& context, const std::string& identifier,
                               const ClusterChanges& changes) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const std::string name = RequireActive(lease.db(), context, identifier);
  storage::ClusterStore store(lease.db(), PartitionOf(context));
  json document = json::parse(store.Find(name)->document);
  Apply(document, changes);
  ValidateClusterDocument(document, ActiveUserCapacityProviders(lease.db(), context));
  store.UpdateDocument(name, document.dump());
  tx.Commit();
  return Load(lease.db(), context, *store.Find(name));
}

}  // namespace berth::ecs
