#include "server/ecs/service_spec.h"

#include "server/ecs/ecs_errors.h"
#include "server/ecs/task_definition_service.h"
#include "server/ecs/task_documents.h"
#include "server/util/crypto.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

// The Service Connect configuration checked against the task definition,
// and the resources ECS reports for it. `cluster_document` supplies the
// default namespace.
void CheckServiceConnect(const aws::RequestContext& context, const json& config, const json& td,
                         const json& cluster_document, json& echoed, json& resources,
                         std::optional<std::string>& service_namespace) {
  if (!config.is_object() || !config.value("enabled", false)) {
    echoed = config;
    return;
  }
  echoed = config;
  std::string ns = config.value("namespace", "");
  if (ns.empty()) {
    ns = cluster_document.value("serviceConnectDefaults", json::object()).value("namespace", "");
  }
  if (ns.empty()) {
    throw InvalidParameterException(
        "Service Connect requires a namespace: give serviceConnectConfiguration.namespace or "
        "set the cluster's serviceConnectDefaults.");
  }
  echoed["namespace"] = ns;
  service_namespace = ns;
  if (echoed.contains("logConfiguration") &&
      !echoed["logConfiguration"].contains("secretOptions")) {
    echoed["logConfiguration"]["secretOptions"] = json::array();
  }
  resources = json::array();
  for (const auto& s : config.value("services", json::array())) {
    const std::string port_name = s.value("portName", "");
    bool found = false;
    for (const auto& c : td.value("containerDefinitions", json::array())) {
      for (const auto& m : c.value("portMappings", json::array())) {
        found = found || m.value("name", "") == port_name;
      }
    }
    if (!found) {
      throw InvalidParameterException("The portName " + port_name +
                                      " does not match any portMappings name in the task "
                                      "definition.");
    }
    const std::string discovery = s.value("discoveryName", port_name);
    resources.push_back(
        {{"discoveryName", discovery},
         {"discoveryArn", "arn:aws:servicediscovery:" + context.region + ":" + context.account_id +
                              ":service/srv-" +
                              crypto::Sha256Hex(ns + "/" + discovery).substr(0, 16)}});
  }
}

}  // namespace

// The task definition a service or task set names, as it would run.
// Throws ClientException / InvalidParameterException with ECS's messages.
json ResolveTaskDefinition(storage::Db& db, const aws::RequestContext& context,
                           const std::string& reference) {
  if (reference.empty()) throw InvalidParameterException("Family should not be null or empty.");
  const auto td = FindTaskDefinition(db, context, reference);
  if (!td) throw ClientException("TaskDefinition not found.");
  if (td->value("status", "") != "ACTIVE") {
    throw InvalidParameterException("TaskDefinition is inactive");
  }
  return *td;
}

// awsvpcConfiguration as ECS echoes it: assignPublicIp filled in.
json EchoNetwork(json network) {
  if (network.is_object() && network.contains("awsvpcConfiguration")) {
    json& vpc = network["awsvpcConfiguration"];
    if (!vpc.contains("assignPublicIp")) vpc["assignPublicIp"] = "DISABLED";
    if (!vpc.contains("securityGroups")) vpc["securityGroups"] = json::array();
  }
  return network;
}

// What a deployment runs with, from the task definition and the service's
// (or task set's) launch settings.
DeploymentSpec SpecFor(const aws::RequestContext& context, const json& td, const json& settings,
                       const json& cluster_document,
                       std::optional<std::string>& service_namespace) {
  ValidateNetwork(settings, td);
  const Placement placement = ChoosePlacement(settings, cluster_document);
  if (placement.launch_type == "FARGATE" && !Compatible(td, "FARGATE")) {
    throw InvalidParameterException("Task definition does not support launch_type FARGATE.");
  }
  DeploymentSpec spec;
  spec.task_definition = td.at("taskDefinitionArn").get<std::string>();
  json& d = spec.document;
  d = json::object();
  if (settings.contains("capacityProviderStrategy")) {
    d["capacityProviderStrategy"] = settings.at("capacityProviderStrategy");
  } else if (placement.capacity_provider) {
    d["capacityProviderStrategy"] =
        cluster_document.value("defaultCapacityProviderStrategy", json::array());
  } else {
    d["launchType"] = placement.launch_type;
  }
  if (placement.launch_type == "FARGATE") {
    const std::string version = settings.value("platformVersion", "LATEST");
    d["platformVersion"] = version == "LATEST" ? "1.4.0" : version;
    d["platformFamily"] = "Linux";
  }
  if (settings.contains("networkConfiguration")) {
    d["networkConfiguration"] = EchoNetwork(settings.at("networkConfiguration"));
  }
  for (const char* key :
       {"volumeConfigurations", "vpcLatticeConfigurations", "loadBalancers", "serviceRegistries"}) {
    if (settings.contains(key)) d[key] = settings.at(key);
  }
  if (settings.contains("serviceConnectConfiguration")) {
    json echoed;
    json resources;
    CheckServiceConnect(context, settings.at("serviceConnectConfiguration"), td, cluster_document,
                        echoed, resources, service_namespace);
    d["serviceConnectConfiguration"] = echoed;
    if (resources.is_array() && !resources.empty()) d["serviceConnectResources"] = resources;
  }
  spec.container_images = json::array();
  for (const auto& c : td.at("containerDefinitions")) {
    spec.container_images.push_back({{"containerName", c.at("name")}, {"image", c.at("image")}});
  }
  return spec;
}

}  // namespace berth::ecs
