#include "server/ecs/task_documents.h"

#include <algorithm>

#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/util/crypto.h"

namespace berth::ecs {

using nlohmann::json;

Placement ChoosePlacement(const json& request, const json& cluster_document) {
  if (request.contains("launchType")) return {request.at("launchType").get<std::string>(), {}, ""};
  const json& strategy =
      request.contains("capacityProviderStrategy")
          ? request.at("capacityProviderStrategy")
          : cluster_document.value("defaultCapacityProviderStrategy", json::array());
  if (!strategy.empty()) {
    // The provider with a base runs first; otherwise the heaviest weight.
    const json* chosen = &strategy.front();
    for (const auto& item : strategy) {
      if (item.value("base", 0) > 0) {
        chosen = &item;
        break;
      }
      if (item.value("weight", 0) > chosen->value("weight", 0)) chosen = &item;
    }
    const std::string provider = chosen->at("capacityProvider").get<std::string>();
    if (provider == "FARGATE" || provider == "FARGATE_SPOT") return {"FARGATE", provider, ""};
    // A user (Auto Scaling group) provider must be associated with the
    // cluster; its tasks run on the cluster's container instances.
    const json associated = cluster_document.value("capacityProviders", json::array());
    if (std::find(associated.begin(), associated.end(), provider) == associated.end()) {
      throw InvalidParameterException(kProviderNotAssociated);
    }
    return {"EC2", provider, ""};
  }
  return {"EC2", {}, ""};
}

// The overrides as ECS echoes them: every container listed (with what was
// overridden), and an empty inferenceAcceleratorOverrides.
json EchoOverrides(const json& request, const json& containers) {
  json overrides = request.value("overrides", json::object());
  json given = overrides.value("containerOverrides", json::array());
  for (const auto& o : given) {
    if (!o.contains("name")) {
      throw InvalidParameterException("Container overrides must name the container.");
    }
    bool known = false;
    for (const auto& c : containers) known = known || c.at("name") == o.at("name");
    if (!known) {
      throw InvalidParameterException("Override for container named " +
                                      o.at("name").get<std::string>() +
                                      " is not a container in the TaskDefinition.");
    }
  }
  json echoed = json::array();
  for (const auto& c : containers) {
    json entry = {{"name", c.at("name")}};
    for (const auto& o : given) {
      if (o.at("name") == c.at("name")) entry.update(o);
    }
    echoed.push_back(std::move(entry));
  }
  overrides["containerOverrides"] = echoed;
  overrides["inferenceAcceleratorOverrides"] = json::array();
  return overrides;
}

void ValidateNetwork(const json& request, const json& task_definition) {
  const bool awsvpc = task_definition.value("networkMode", "") == "awsvpc";
  const bool configured = request.contains("networkConfiguration") &&
                          request.at("networkConfiguration").contains("awsvpcConfiguration");
  if (awsvpc && !configured) {
    throw InvalidParameterException(
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  if (!awsvpc && request.contains("networkConfiguration")) {
    throw InvalidParameterException(
        "Network Configuration is not valid for the given networkMode of this task definition.");
  }
  if (!configured) return;
  const json& vpc = request.at("networkConfiguration").at("awsvpcConfiguration");
  const json& subnets = vpc.at("subnets");
  if (subnets.empty()) throw InvalidParameterException("subnets can not be empty.");
  if (subnets.size() > 16) throw InvalidParameterException("subnets can have at most 16 items.");
  if (vpc.contains("securityGroups") && vpc.at("securityGroups").size() > 5) {
    throw InvalidParameterException("securityGroups can have at most 5 items.");
  }
}

json NewTaskDocument(const aws::RequestContext& context, const std::string& cluster,
                     const std::string& task_id, const json& td, const json& request,
                     const Placement& placement, const json& overrides) {
  const std::string task_arn = TaskArn(context, cluster, task_id);
  const bool awsvpc = td.value("networkMode", "") == "awsvpc";
  const bool fargate = placement.launch_type == "FARGATE";
  json task = {
      {"taskArn", task_arn},
      {"clusterArn", ClusterArn(context, cluster)},
      {"taskDefinitionArn", td.at("taskDefinitionArn")},
      {"group", request.value("group", "family:" + td.at("family").get<std::string>())},
      {"launchType", placement.launch_type},
      {"lastStatus", awsvpc ? "PROVISIONING" : "PENDING"},
      {"desiredStatus", "RUNNING"},
      {"healthStatus", "UNKNOWN"},
      {"createdAt", context.now},
      {"version", 1},
      {"enableExecuteCommand", request.value("enableExecuteCommand", false)},
      {"availabilityZone", context.region + "a"},
      {"overrides", overrides},
      {"attachments", json::array()},
      {"containers", json::array()},
  };
  if (placement.capacity_provider) task["capacityProviderName"] = *placement.capacity_provider;
  if (!placement.container_instance_arn.empty()) {
    task["containerInstanceArn"] = placement.container_instance_arn;
  }
  if (request.contains("startedBy")) task["startedBy"] = request.at("startedBy");
  const std::string cpu = overrides.value("cpu", td.value("cpu", ""));
  const std::string memory = overrides.value("memory", td.value("memory", ""));
  if (!cpu.empty()) task["cpu"] = cpu;
  if (!memory.empty()) task["memory"] = memory;
  if (fargate) {
    task["platformVersion"] = request.value("platformVersion", "LATEST") == "LATEST"
                                  ? "1.4.0"
                                  : request.at("platformVersion").get<std::string>();
    task["platformFamily"] = "Linux";
    task["ephemeralStorage"] = {{"sizeInGiB", 20}};
    task["attributes"] = json::array({{{"name", "ecs.cpu-architecture"}, {"value", "x86_64"}}});
  }
  if (awsvpc) {
    const json& vpc = request.at("networkConfiguration").at("awsvpcConfiguration");
    task["attachments"].push_back(
        {{"id", crypto::Uuid()},
         {"type", "ElasticNetworkInterface"},
         {"status", "PRECREATED"},
         {"details", json::array({{{"name", "subnetId"}, {"value", vpc.at("subnets").at(0)}}})}});
  }
  for (const auto& definition : td.at("containerDefinitions")) {
    json container = {
        {"containerArn", ContainerArn(context, cluster, task_id, crypto::Uuid())},
        {"taskArn", task_arn},
        {"name", definition.at("name")},
        {"image", definition.at("image")},
        {"lastStatus", "PENDING"},
        {"healthStatus", "UNKNOWN"},
        {"networkInterfaces", json::array()},
        {"cpu", std::to_string(definition.value("cpu", 0))},
    };
    if (definition.contains("memory")) {
      container["memory"] = std::to_string(definition.at("memory").get<int64_t>());
    }
    if (definition.contains("memoryReservation")) {
      container["memoryReservation"] =
          std::to_string(definition.at("memoryReservation").get<int64_t>());
    }
    // ECS Exec: the agent in the container starts with it (the reconciler
    // keeps it in step).
    if (task.at("enableExecuteCommand").get<bool>()) {
      container["managedAgents"] =
          json::array({{{"name", "ExecuteCommandAgent"}, {"lastStatus", "PENDING"}}});
    }
    task["containers"].push_back(std::move(container));
  }
  return task;
}

bool Compatible(const json& task_definition, const std::string& launch_type) {
  const json& list = task_definition.value("compatibilities", json());
  return list.is_array() && std::find(list.begin(), list.end(), launch_type) != list.end();
}

}  // namespace berth::ecs
