#include "server/ecs/service_manager.h"

#include <algorithm>

#include "server/aws/pagination.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "server/ecs/placement_rules.h"
#include "server/ecs/service_common.h"
#include "server/ecs/service_spec.h"
#include "server/ecs/service_views.h"
#include "server/ecs/task_definition_service.h"
#include "server/ecs/task_documents.h"
#include "server/util/crypto.h"
#include "storage/client_token_store.h"
#include "storage/service_history_store.h"
#include "storage/service_store.h"
#include "storage/tag_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

constexpr std::string_view kServiceListing = "ecs.services";
constexpr std::string_view kNamespaceListing = "ecs.services-by-namespace";

void ValidateLaunchChoice(const json& request) {
  if (request.contains("launchType") && request.contains("capacityProviderStrategy")) {
    throw InvalidParameterException(
        "Specifying both a launch type and capacity provider strategy is not supported. Remove "
        "one and try again.");
  }
}

void ValidateDesiredCount(const json& request, const std::string& strategy) {
  if (!request.contains("desiredCount")) return;
  if (strategy == "DAEMON") {
    throw InvalidParameterException(
        "The daemon scheduling strategy does not support a desired count for services. Remove "
        "the desired count value and try again");
  }
  if (request.at("desiredCount").get<int64_t>() < 0) {
    throw InvalidParameterException("The desired count must be 0 or greater.");
  }
}

void ValidateDaemon(const json& request, const std::string& controller) {
  if (request.contains("placementStrategy") && !request.at("placementStrategy").empty()) {
    throw InvalidParameterException(
        "The daemon scheduling strategy does not support placement strategies. Remove the "
        "placement strategy and try again");
  }
  if (request.contains("capacityProviderStrategy")) {
    throw InvalidParameterException(
        "Specifying a capacity provider strategy is not supported when you create a service "
        "using the DAEMON scheduling strategy.");
  }
  if (request.value("launchType", "") == "FARGATE") {
    throw InvalidParameterException(
        "The daemon scheduling strategy is not supported with the FARGATE launch type.");
  }
  if (controller != "ECS") {
    throw InvalidParameterException(
        "The daemon scheduling strategy is only supported with the ECS deployment controller.");
  }
}

// The service's own configuration, as DescribeServices echoes it.
json ServiceDocument(const aws::RequestContext& context, const json& request,
                     const DeploymentSpec* spec, const std::string& strategy,
                     const std::string& controller, const json& deployment_configuration) {
  json d = {
      {"loadBalancers", request.value("loadBalancers", json::array())},
      {"serviceRegistries", request.value("serviceRegistries", json::array())},
      {"deploymentConfiguration", deployment_configuration},
      {"roleArn", ServiceLinkedRoleArn(context)},
      {"placementConstraints", request.value("placementConstraints", json::array())},
      {"placementStrategy", request.value("placementStrategy", json::array())},
      {"healthCheckGracePeriodSeconds", request.value("healthCheckGracePeriodSeconds", 0)},
      {"schedulingStrategy", strategy},
      {"deploymentController", {{"type", controller}}},
      {"createdBy", RootPrincipalArn(context)},
      {"enableECSManagedTags", request.value("enableECSManagedTags", false)},
      {"propagateTags", request.value("propagateTags", "NONE")},
      {"enableExecuteCommand", request.value("enableExecuteCommand", false)},
  };
  if (request.contains("availabilityZoneRebalancing")) {
    d["availabilityZoneRebalancing"] = request.at("availabilityZoneRebalancing");
  }
  if (spec != nullptr) {
    d["taskDefinition"] = spec->task_definition;
    for (const char* key : {"launchType", "capacityProviderStrategy", "networkConfiguration"}) {
      if (spec->document.contains(key)) d[key] = spec->document.at(key);
    }
    if (spec->document.contains("platformVersion")) {
      d["platformVersion"] = request.value("platformVersion", "LATEST");
      d["platformFamily"] = "Linux";
    }
  } else if (request.contains("launchType")) {
    d["launchType"] = request.at("launchType");
  }
  return d;
}

}  // namespace

json ServiceManager::CreateService(const aws::RequestContext& context, const json& request) {
  const std::string name = request.at("serviceName").get<std::string>();
  if (!IsEcsName(name)) {
    throw InvalidParameterException(
        "Service names can have up to 255 letters (uppercase and lowercase), numbers, hyphens, "
        "and underscores.");
  }
  const std::string strategy = request.value("schedulingStrategy", "REPLICA");
  const std::string controller =
      request.value("deploymentController", json::object()).value("type", "ECS");
  ValidateLaunchChoice(request);
  ValidateDesiredCount(request, strategy);
  if (strategy == "DAEMON") ValidateDaemon(request, controller);
  PlacementRules::From(request, json::object());  // throws on a bad constraint or strategy
  if (controller == "EXTERNAL") {
    if (request.contains("taskDefinition")) {
      if (request.at("taskDefinition").get<std::string>().empty()) {
        throw InvalidParameterException("Family should not be null or empty.");
      }
      throw InvalidParameterException("TaskDefinition must be blank.");
    }
  } else if (!request.contains("taskDefinition")) {
    throw InvalidParameterException("TaskDefinition must be specified.");
  }
  if (request.contains("serviceConnectConfiguration") && controller != "ECS" &&
      request.at("serviceConnectConfiguration").value("enabled", false)) {
    throw InvalidParameterException(
        "Service Connect is only supported with the ECS deployment controller.");
  }
  const json deployment_configuration =
      DeploymentConfiguration(request.value("deploymentConfiguration", json()), strategy);
  std::vector<storage::Tag> tags = ReadEcsTags(request);
  ValidateTags(tags);

  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const storage::ClusterRecord cluster =
      ActiveCluster(lease.db(), context,
                    request.contains("cluster")
                        ? std::optional<std::string>(request.at("cluster").get<std::string>())
                        : std::nullopt);
  const json cluster_document = json::parse(cluster.document);
  storage::ServiceStore store(lease.db(), PartitionOf(context));
  storage::ClientTokenStore tokens(lease.db(), PartitionOf(context));
  const std::string fingerprint = RequestFingerprint(request);
  const std::string token = request.value("clientToken", "");
  if (!token.empty()) {
    if (const auto previous = tokens.Find("CreateService", token)) {
      if (previous->request_hash != fingerprint) {
        throw InvalidParameterException(
            "The clientToken was already used with different parameters.");
      }
      if (auto existing = store.Find(cluster.name, previous->result)) {
        const std::string arn = ServiceArn(context, existing->cluster, existing->name);
        const json tag_list = EcsTagsJson(storage::TagStore(lease.db()).List(arn));
        return ServiceJson(context, LoadServiceState(lease.db(), *existing),
                           tag_list.empty() ? nullptr : &tag_list);
      }
    }
  }
  if (const auto existing = store.Find(cluster.name, name)) {
    if (existing->status == "ACTIVE") {
      throw InvalidParameterException("Creation of service was not idempotent.");
    }
    if (existing->status == "DRAINING") {
      throw InvalidParameterException("Unable to Start a service that is still Draining.");
    }
    // An INACTIVE service of that name is forgotten: the name is free again.
    store.Remove(cluster.name, name);
    storage::TagStore(lease.db()).RemoveAll(ServiceArn(context, cluster.name, name));
  }

  std::optional<DeploymentSpec> spec;
  std::optional<std::string> service_namespace;
  if (controller != "EXTERNAL") {
    const json td =
        ResolveTaskDefinition(lease.db(), context, request.at("taskDefinition").get<std::string>());
    spec = SpecFor(context, td, request, cluster_document, service_namespace);
  }

  storage::ServiceRecord service;
  service.partition = PartitionOf(context);
  service.cluster = cluster.name;
  service.name = name;
  service.status = "ACTIVE";
  service.desired_count = strategy == "DAEMON" ? 1 : request.value("desiredCount", int64_t{0});
  service.scheduling_strategy = strategy;
  service.controller = controller;
  if (spec && spec->document.contains("launchType")) {
    service.launch_type = spec->document.at("launchType").get<std::string>();
  } else if (request.contains("launchType")) {
    service.launch_type = request.at("launchType").get<std::string>();
  }
  service.service_namespace = service_namespace;
  service.created_at = context.now;
  service.updated_at = context.now;
  service.document = ServiceDocument(context, request, spec ? &*spec : nullptr, strategy,
                                     controller, deployment_configuration)
                         .dump();
  store.Insert(service);
  const std::string arn = ServiceArn(context, cluster.name, name);
  if (!tags.empty()) storage::TagStore(lease.db()).Put(arn, tags);

  if (controller == "ECS") {
    RecordDeployment(lease.db(), context, service, *spec, "PRIMARY", /*task_set=*/false);
  } else if (controller == "CODE_DEPLOY") {
    // CodeDeploy's first task set: the service's definition at full scale.
    spec->document["scale"] = {{"value", 100.0}, {"unit", "PERCENT"}};
    spec->document["startedBy"] = "CODE_DEPLOY";
    RecordDeployment(lease.db(), context, service, *spec, "PRIMARY", /*task_set=*/true);
  }
  if (!token.empty()) tokens.Insert("CreateService", token, {fingerprint, name}, context.now);
  const json tag_list = EcsTagsJson(tags);
  json out = ServiceJson(context, LoadServiceState(lease.db(), service),
                         tags.empty() ? nullptr : &tag_list);
  tx.Commit();
  Wake();
  return out;
}

json ServiceManager::UpdateService(const aws::RequestContext& context, const json& request) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const storage::ClusterRecord cluster =
      ActiveCluster(lease.db(), context,
                    request.contains("cluster")
                        ? std::optional<std::string>(request.at("cluster").get<std::string>())
                        : std::nullopt);
  storage::ServiceRecord service =
      ActiveService(lease.db(), context, cluster.name, request.at("service").get<std::string>());
  json document = json::parse(service.document);
  const std::string& controller = service.controller;
  ValidateDesiredCount(request, service.scheduling_strategy);
  if (controller != "ECS") {
    // Task sets (or CodeDeploy) deploy these services.
    const char* what = nullptr;
    if (request.contains("taskDefinition")) what = "task definition";
    if (request.contains("networkConfiguration")) what = "network parameters";
    if (request.contains("capacityProviderStrategy") || request.contains("platformVersion") ||
        request.value("forceNewDeployment", false) || request.contains("loadBalancers") ||
        request.contains("serviceRegistries") || request.contains("serviceConnectConfiguration")) {
      what = what != nullptr ? what : "deployment parameters";
    }
    if (what != nullptr) {
      throw InvalidParameterException(
          std::string("Unable to update ") + what + " on services with a " + controller +
          " deployment controller. " +
          (controller == "CODE_DEPLOY" ? "Use AWS CodeDeploy to trigger a new deployment."
                                       : "Use task sets to deploy."));
    }
    if (controller == "EXTERNAL" && request.contains("deploymentConfiguration")) {
      throw InvalidParameterException(
          "Unable to update the deployment configuration on services with a EXTERNAL deployment "
          "controller.");
    }
  }
  if (request.contains("deploymentController") &&
      request.at("deploymentController").value("type", controller) != controller) {
    throw InvalidParameterException(
        "Berth does not change the deployment controller of an existing service; create a new "
        "service instead.");
  }

  // Settings that take effect without a deployment.
  if (request.contains("desiredCount")) {
    service.desired_count = request.at("desiredCount").get<int64_t>();
  }
  if (request.contains("deploymentConfiguration")) {
    document["deploymentConfiguration"] =
        DeploymentConfiguration(request.at("deploymentConfiguration"), service.scheduling_strategy,
                                document["deploymentConfiguration"]);
  }
  PlacementRules::From(request, json::object());  // throws on a bad constraint or strategy
  for (const char* key : {"placementConstraints", "placementStrategy",
                          "healthCheckGracePeriodSeconds", "enableExecuteCommand",
                          "enableECSManagedTags", "propagateTags", "availabilityZoneRebalancing"}) {
    if (request.contains(key)) document[key] = request.at(key);
  }
  if (service.scheduling_strategy == "DAEMON" && request.contains("placementStrategy") &&
      !request.at("placementStrategy").empty()) {
    ValidateDaemon(request, controller);
  }

  // Settings that need a new deployment (ECS controller).
  if (controller == "ECS") {
    storage::ServiceStore store(lease.db(), PartitionOf(context));
    std::optional<storage::DeploymentRecord> primary;
    for (const auto& d : store.Deployments(service.cluster, service.name)) {
      if (d.status == "PRIMARY") primary = d;
    }
    const json primary_document = primary ? json::parse(primary->document) : json::object();
    // The launch settings as they are, overlaid with the request's.
    json settings = json::object();
    for (const char* key : {"networkConfiguration", "capacityProviderStrategy", "launchType",
                            "loadBalancers", "serviceRegistries", "serviceConnectConfiguration",
                            "volumeConfigurations", "vpcLatticeConfigurations"}) {
      if (primary_document.contains(key)) settings[key] = primary_document.at(key);
    }
    if (document.contains("platformVersion"))
      settings["platformVersion"] = document["platformVersion"];
    bool changed = request.value("forceNewDeployment", false);
    for (const char* key : {"networkConfiguration", "capacityProviderStrategy", "platformVersion",
                            "loadBalancers", "serviceRegistries", "serviceConnectConfiguration",
                            "volumeConfigurations", "vpcLatticeConfigurations"}) {
      if (!request.contains(key)) continue;
      json given = request.at(key);
      if (std::string_view(key) == "networkConfiguration") given = EchoNetwork(given);
      if (settings.value(key, json()) != given) changed = true;
      settings[key] = request.at(key);
    }
    if (request.contains("capacityProviderStrategy")) settings.erase("launchType");
    std::string td_reference =
        request.value("taskDefinition", document.value("taskDefinition", std::string()));
    if (request.contains("taskDefinition")) {
      const json td = ResolveTaskDefinition(lease.db(), context, td_reference);
      if (td.at("taskDefinitionArn") != document.value("taskDefinition", json())) changed = true;
    }
    if (changed) {
      const json td = ResolveTaskDefinition(lease.db(), context, td_reference);
      std::optional<std::string> service_namespace = service.service_namespace;
      const DeploymentSpec spec =
          SpecFor(context, td, settings, json::parse(cluster.document), service_namespace);
      document["taskDefinition"] = spec.task_definition;
      for (const char* key : {"launchType", "capacityProviderStrategy", "networkConfiguration"}) {
        if (spec.document.contains(key)) {
          document[key] = spec.document.at(key);
        } else {
          document.erase(key);
        }
      }
      if (request.contains("loadBalancers")) document["loadBalancers"] = request["loadBalancers"];
      if (request.contains("serviceRegistries")) {
        document["serviceRegistries"] = request["serviceRegistries"];
      }
      if (request.contains("platformVersion"))
        document["platformVersion"] = request["platformVersion"];
      service.service_namespace = service_namespace;
      service.launch_type = spec.document.contains("launchType")
                                ? std::optional<std::string>(spec.document.at("launchType"))
                                : std::nullopt;
      service.document = document.dump();
      const auto deployment =
          RecordDeployment(lease.db(), context, service, spec, "PRIMARY", /*task_set=*/false);
      SupersedeDeployments(lease.db(), context, service, deployment.id);
    }
  }
  service.document = document.dump();
  service.updated_at = context.now;
  storage::ServiceStore(lease.db(), PartitionOf(context)).Update(service);
  json out = ServiceJson(context, LoadServiceState(lease.db(), service));
  tx.Commit();
  Wake();
  return out;
}

json ServiceManager::DeleteService(const aws::RequestContext& context,
                                   const std::optional<std::string>& cluster_param,
                                   const std::string& identifier, bool force) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const storage::ClusterRecord cluster = ActiveCluster(lease.db(), context, cluster_param);
  storage::ServiceRecord service = FindService(lease.db(), context, cluster.name, identifier);
  if (service.status == "INACTIVE") throw ServiceNotFoundException();
  if (service.status == "ACTIVE") {
    if (service.scheduling_strategy == "REPLICA" && service.desired_count > 0 && !force) {
      throw InvalidParameterException("The service cannot be stopped while it is scaled above 0.");
    }
    service.status = "DRAINING";
    service.desired_count = 0;
    service.updated_at = context.now;
    storage::ServiceStore(lease.db(), PartitionOf(context)).Update(service);
  }
  json out = ServiceJson(context, LoadServiceState(lease.db(), service));
  tx.Commit();
  Wake();
  return out;
}

DescribeServicesResult ServiceManager::DescribeServices(
    const aws::RequestContext& context, const std::optional<std::string>& cluster_param,
    const std::vector<std::string>& services, bool include_tags) {
  if (services.empty()) throw InvalidParameterException("Services cannot be empty.");
  if (services.size() > 10) {
    throw InvalidParameterException("services can have at most 10 items.");
  }
  auto lease = database_.Acquire();
  const storage::ClusterRecord cluster = ActiveCluster(lease.db(), context, cluster_param);
  storage::ServiceStore store(lease.db(), PartitionOf(context));
  DescribeServicesResult result;
  for (const auto& identifier : services) {
    const auto name = ServiceNameFrom(context, identifier);
    const auto service = name ? store.Find(cluster.name, *name) : std::nullopt;
    if (!service) {
      result.failures.push_back(
          {{"arn", name ? ServiceArn(context, cluster.name, *name) : identifier},
           {"reason", "MISSING"}});
      continue;
    }
    json tags;
    if (include_tags) {
      tags = EcsTagsJson(
          storage::TagStore(lease.db()).List(ServiceArn(context, service->cluster, service->name)));
    }
    result.services.push_back(ServiceJson(context, LoadServiceState(lease.db(), *service),
                                          include_tags ? &tags : nullptr));
  }
  return result;
}

std::vector<std::string> ServiceManager::ListServices(const aws::RequestContext& context,
                                                      const ListServicesQuery& query,
                                                      std::string& next) {
  if (query.max_results < 1 || query.max_results > 100) {
    throw InvalidParameterException("maxResults must be between 1 and 100.");
  }
  std::string after;
  if (!query.token.empty()) {
    auto key = aws::DecodePageToken(kServiceListing, query.token);
    if (!key) throw InvalidParameterException("Invalid nextToken.");
    after = std::move(*key);
  }
  auto lease = database_.Acquire();
  const storage::ClusterRecord cluster = ActiveCluster(lease.db(), context, query.cluster);
  auto names = storage::ServiceStore(lease.db(), PartitionOf(context))
                   .ListActive(cluster.name, after, query.max_results + 1, query.launch_type,
                               query.scheduling_strategy);
  if (names.size() > query.max_results) {
    names.resize(query.max_results);
    next = aws::EncodePageToken(kServiceListing, names.back());
  }
  std::vector<std::string> arns;
  for (const auto& name : names) arns.push_back(ServiceArn(context, cluster.name, name));
  return arns;
}

std::vector<std::string> ServiceManager::ListServicesByNamespace(
    const aws::RequestContext& context, const std::string& service_namespace,
    const std::string& token, size_t max_results, std::string& next) {
  if (max_results < 1 || max_results > 100) {
    throw InvalidParameterException("maxResults must be between 1 and 100.");
  }
  std::string after;
  if (!token.empty()) {
    auto key = aws::DecodePageToken(kNamespaceListing, token);
    if (!key) throw InvalidParameterException("Invalid nextToken.");
    after = std::move(*key);
  }
  auto lease = database_.Acquire();
  storage::ServiceStore store(lease.db(), PartitionOf(context));
  // Berth has no Cloud Map: the namespaces it knows are those services and
  // clusters name.
  if (!store.NamespaceUsed(service_namespace)) throw NamespaceNotFoundException();
  auto keys = store.ListByNamespace(service_namespace, after, max_results + 1);
  if (keys.size() > max_results) {
    keys.resize(max_results);
    next = aws::EncodePageToken(kNamespaceListing, keys.back().cluster + "/" + keys.back().name);
  }
  std::vector<std::string> arns;
  for (const auto& key : keys) arns.push_back(ServiceArn(context, key.cluster, key.name));
  return arns;
}

size_t ServiceManager::PurgeInactive(double now) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto keys =
      storage::ServiceStore::InactiveBefore(lease.db(), now - kInactiveRetentionSeconds);
  for (const auto& key : keys) {
    storage::ServiceStore(lease.db(), key.partition).Remove(key.cluster, key.name);
    aws::RequestContext context{key.partition.account_id, key.partition.region, "", "", now};
    storage::TagStore(lease.db()).RemoveAll(ServiceArn(context, key.cluster, key.name));
  }
  tx.Commit();
  return keys.size();
}

}  // namespace berth::ecs
