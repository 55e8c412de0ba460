#include "server/ecs/service_common.h"

#include "server/aws/arn.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/service_plan.h"
#include "server/util/crypto.h"
#include "storage/cluster_store.h"
#include "storage/service_history_store.h"

namespace berth::ecs {

using nlohmann::json;

storage::ClusterRecord ActiveCluster(storage::Db& db, const aws::RequestContext& context,
                                     const std::optional<std::string>& cluster) {
  const auto name = ClusterNameFrom(context, cluster.value_or(std::string(kDefaultCluster)));
  const auto record =
      name ? storage::ClusterStore(db, PartitionOf(context)).Find(*name) : std::nullopt;
  if (!record) throw ClusterNotFoundException();
  if (record->status != "ACTIVE") throw ClusterInactiveException();
  return *record;
}

std::optional<std::string> ServiceNameFrom(const aws::RequestContext& context,
                                           std::string_view name_or_arn) {
  if (!name_or_arn.starts_with("arn:")) {
    if (!IsEcsName(name_or_arn)) return std::nullopt;
    return std::string(name_or_arn);
  }
  const auto arn = aws::Arn::Parse(name_or_arn);
  if (!arn || arn->service != "ecs" || !arn->resource.starts_with("service/") ||
      arn->account_id != context.account_id || arn->region != context.region) {
    return std::nullopt;
  }
  const std::string& resource = arn->resource;
  std::string name = resource.substr(resource.rfind('/') + 1);
  if (!IsEcsName(name)) return std::nullopt;
  return name;
}

storage::ServiceRecord FindService(storage::Db& db, const aws::RequestContext& context,
                                   const std::string& cluster, const std::string& identifier) {
  const auto name = ServiceNameFrom(context, identifier);
  const auto service =
      name ? storage::ServiceStore(db, PartitionOf(context)).Find(cluster, *name) : std::nullopt;
  if (!service) throw ServiceNotFoundException();
  return *service;
}

storage::ServiceRecord ActiveService(storage::Db& db, const aws::RequestContext& context,
                                     const std::string& cluster, const std::string& identifier) {
  storage::ServiceRecord service = FindService(db, context, cluster, identifier);
  if (service.status != "ACTIVE") throw ServiceNotActiveException();
  return service;
}

json DeploymentConfiguration(const json& given, const std::string& scheduling_strategy,
                             const json& previous) {
  const bool daemon = scheduling_strategy == "DAEMON";
  json config = previous.is_object()
                    ? previous
                    : json{{"deploymentCircuitBreaker", {{"enable", false}, {"rollback", false}}},
                           {"maximumPercent", daemon ? 100 : 200},
                           {"minimumHealthyPercent", daemon ? 0 : 100}};
  if (given.is_object()) {
    for (const auto& [key, value] : given.items()) config[key] = value;
  }
  const int64_t maximum = config.value("maximumPercent", int64_t{200});
  const int64_t minimum = config.value("minimumHealthyPercent", int64_t{100});
  if (daemon && maximum > 100) {
    throw InvalidParameterException(
        "The daemon scheduling strategy does not support values above 100 for maximumPercent on "
        "a deployment configuration. Change the maximumPercent value to 100, and try again");
  }
  if (minimum < 0 || minimum > 100) {
    throw InvalidParameterException("minimumHealthyPercent must be between 0 and 100.");
  }
  if (maximum < 0) throw InvalidParameterException("maximumPercent must not be negative.");
  if (config.contains("bakeTimeInMinutes")) {
    const int64_t bake = config.at("bakeTimeInMinutes").get<int64_t>();
    if (bake < 0 || bake > 1440) {
      throw InvalidParameterException("bakeTimeInMinutes must be between 0 and 1440.");
    }
  }
  return config;
}

namespace {

// The summary of a revision as service deployments list it.
json RevisionSummary(const aws::RequestContext& context, const storage::ServiceRecord& service,
                     const std::string& deployment_id) {
  return {{"arn",
           ServiceRevisionArn(context, service.cluster, service.name, RevisionIdOf(deployment_id))},
          {"requestedTaskCount", 0},
          {"runningTaskCount", 0},
          {"pendingTaskCount", 0}};
}

}  // namespace

storage::DeploymentRecord RecordDeployment(storage::Db& db, const aws::RequestContext& context,
                                           const storage::ServiceRecord& service,
                                           const DeploymentSpec& spec, const std::string& status,
                                           bool task_set) {
  storage::ServiceStore services(db, PartitionOf(context));
  storage::DeploymentRecord d;
  d.id = NewDeploymentId();
  d.status = status;
  d.task_definition = spec.task_definition;
  d.created_at = context.now;
  d.updated_at = context.now;
  d.document = spec.document.dump();
  if (!task_set) {
    d.rollout_state = "IN_PROGRESS";
    d.rollout_reason = "ECS deployment " + d.id + " in progress.";
  }

  // The revision: what this deployment runs, immutable.
  const json service_document = json::parse(service.document);
  json revision = {
      {"serviceRevisionArn",
       ServiceRevisionArn(context, service.cluster, service.name, RevisionIdOf(d.id))},
      {"serviceArn", ServiceArn(context, service.cluster, service.name)},
      {"clusterArn", ClusterArn(context, service.cluster)},
      {"taskDefinition", spec.task_definition},
      {"loadBalancers", spec.document.value("loadBalancers", service_document.value(
                                                                 "loadBalancers", json::array()))},
      {"serviceRegistries",
       spec.document.value("serviceRegistries",
                           service_document.value("serviceRegistries", json::array()))},
      {"containerImages", spec.container_images},
      {"guardDutyEnabled", false},
      {"serviceConnectConfiguration",
       spec.document.value("serviceConnectConfiguration", json{{"enabled", false}})},
      {"createdAt", context.now},
  };
  for (const char* key : {"launchType", "capacityProviderStrategy", "platformVersion",
                          "platformFamily", "networkConfiguration", "volumeConfigurations",
                          "vpcLatticeConfigurations", "fargateEphemeralStorage"}) {
    if (spec.document.contains(key)) revision[key] = spec.document.at(key);
  }
  storage::ServiceHistoryStore history(db, PartitionOf(context));
  history.PutRevision(
      {service.cluster, service.name, RevisionIdOf(d.id), context.now, revision.dump()});

  if (!task_set) {
    // The service deployment that carries it out.
    json sources = json::array();
    for (const auto& other : services.Deployments(service.cluster, service.name)) {
      sources.push_back(RevisionSummary(context, service, other.id));
    }
    const json config = service_document.value("deploymentConfiguration", json::object());
    const json breaker = config.value("deploymentCircuitBreaker", json::object());
    const json alarms = config.value("alarms", json::object());
    json sd = {
        {"sourceServiceRevisions", sources},
        {"targetServiceRevision", RevisionIdOf(d.id)},
        {"deploymentConfiguration", config},
        {"deploymentCircuitBreaker",
         {{"status", breaker.value("enable", false) ? "MONITORING" : "DISABLED"},
          {"failureCount", 0},
          {"threshold", plan::BreakerThreshold(service.desired_count)}}},
        {"alarms", alarms.value("enable", false)
                       ? json{{"status", "MONITORING"},
                              {"alarmNames", alarms.value("alarmNames", json::array())}}
                       : json{{"status", "DISABLED"}}},
        {"updatedAt", context.now},
    };
    const std::string sd_id = NewServiceDeploymentId();
    history.PutDeployment(
        {service.cluster, service.name, sd_id, "PENDING", context.now, sd.dump()});
    d.service_deployment = sd_id;
  }
  services.PutDeployment(service.cluster, service.name, d);
  return d;
}

void SupersedeDeployments(storage::Db& db, const aws::RequestContext& context,
                          const storage::ServiceRecord& service, const std::string& new_primary) {
  storage::ServiceStore services(db, PartitionOf(context));
  storage::ServiceHistoryStore history(db, PartitionOf(context));
  for (auto d : services.Deployments(service.cluster, service.name)) {
    if (d.id == new_primary || d.status != "PRIMARY") continue;
    d.status = "ACTIVE";
    d.updated_at = context.now;
    services.PutDeployment(service.cluster, service.name, d);
    if (!d.service_deployment) continue;
    auto sd = history.FindDeployment(service.cluster, service.name, *d.service_deployment);
    if (!sd || (sd->status != "PENDING" && sd->status != "IN_PROGRESS")) continue;
    json document = json::parse(sd->document);
    sd->status = "STOPPED";
    document["statusReason"] = "A newer service deployment replaced this one.";
    document["stoppedAt"] = context.now;
    document["updatedAt"] = context.now;
    sd->document = document.dump();
    history.PutDeployment(*sd);
  }
}

std::string RequestFingerprint(json request) {
  request.erase("clientToken");
  return crypto::Sha256Hex(request.dump());
}

}  // namespace berth::ecs
