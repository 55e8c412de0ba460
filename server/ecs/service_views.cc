#include "server/ecs/service_views.h"

#include <algorithm>
#include <limits>

#include "server/ecs/ecs_names.h"
#include "server/ecs/service_common.h"
#include "storage/container_instance_store.h"

namespace berth::ecs {

using nlohmann::json;

ServiceState LoadServiceState(storage::Db& db, const storage::ServiceRecord& service) {
  storage::ServiceStore services(db, service.partition);
  ServiceState state;
  state.service = service;
  state.deployments = services.Deployments(service.cluster, service.name);
  // The PRIMARY first, then the others newest first (as ECS lists them).
  std::stable_sort(
      state.deployments.begin(), state.deployments.end(),
      [](const auto& a, const auto& b) { return a.status == "PRIMARY" && b.status != "PRIMARY"; });
  state.counts =
      storage::TaskStore(db).CountByDeployment(service.partition, service.cluster, service.name);
  state.events = services.Events(service.cluster, service.name);
  if (service.scheduling_strategy == "DAEMON") {
    for (const auto& instance : storage::ContainerInstanceStore(db, service.partition)
                                    .List(service.cluster, std::numeric_limits<double>::max())) {
      if (instance.status == "ACTIVE") ++state.active_instances;
    }
  }
  return state;
}

storage::DeploymentTaskCounts CountsOf(const ServiceState& state, const std::string& deployment) {
  for (const auto& c : state.counts) {
    if (c.deployment_id == deployment) return c;
  }
  return {deployment, 0, 0};
}

namespace {

// Members of a deployment's stored document that its Deployment shows.
constexpr const char* kDeploymentMembers[] = {
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "platformFamily",
    "networkConfiguration",
    "serviceConnectConfiguration",
    "serviceConnectResources",
    "volumeConfigurations",
    "fargateEphemeralStorage",
    "vpcLatticeConfigurations",
};

json DeploymentJson(const ServiceState& state, const storage::DeploymentRecord& d) {
  const auto counts = CountsOf(state, d.id);
  const json document = json::parse(d.document);
  json out = {
      {"id", d.id},
      {"status", d.status},
      {"taskDefinition", d.task_definition},
      {"desiredCount", d.desired_count},
      {"pendingCount", counts.pending},
      {"runningCount", counts.running},
      {"failedTasks", d.failed_tasks},
      {"createdAt", d.created_at},
      {"updatedAt", d.updated_at},
  };
  for (const char* key : kDeploymentMembers) {
    if (document.contains(key)) out[key] = document.at(key);
  }
  if (d.rollout_state) out["rolloutState"] = *d.rollout_state;
  if (d.rollout_reason) out["rolloutStateReason"] = *d.rollout_reason;
  return out;
}

}  // namespace

json TaskSetJson(const aws::RequestContext& context, const ServiceState& state,
                 const storage::DeploymentRecord& d, const json* tags) {
  const storage::ServiceRecord& s = state.service;
  const auto counts = CountsOf(state, d.id);
  const json document = json::parse(d.document);
  json out = {
      {"id", d.id},
      {"taskSetArn", TaskSetArn(context, s.cluster, s.name, d.id)},
      {"serviceArn", ServiceArn(context, s.cluster, s.name)},
      {"clusterArn", ClusterArn(context, s.cluster)},
      {"status", d.status},
      {"taskDefinition", d.task_definition},
      {"computedDesiredCount", d.desired_count},
      {"pendingCount", counts.pending},
      {"runningCount", counts.running},
      {"createdAt", d.created_at},
      {"updatedAt", d.updated_at},
      {"loadBalancers", document.value("loadBalancers", json::array())},
      {"serviceRegistries", document.value("serviceRegistries", json::array())},
      {"scale", document.value("scale", json{{"value", 0.0}, {"unit", "PERCENT"}})},
      {"stabilityStatus", document.value("steady", false) ? "STEADY_STATE" : "STABILIZING"},
      {"stabilityStatusAt", document.value("stabilityStatusAt", d.updated_at)},
  };
  for (const char* key :
       {"launchType", "capacityProviderStrategy", "platformVersion", "platformFamily",
        "networkConfiguration", "externalId", "startedBy", "fargateEphemeralStorage"}) {
    if (document.contains(key)) out[key] = document.at(key);
  }
  if (tags != nullptr) out["tags"] = *tags;
  return out;
}

json ServiceJson(const aws::RequestContext& context, const ServiceState& state, const json* tags) {
  const storage::ServiceRecord& s = state.service;
  json out = json::parse(s.document);
  out["serviceArn"] = ServiceArn(context, s.cluster, s.name);
  out["serviceName"] = s.name;
  out["clusterArn"] = ClusterArn(context, s.cluster);
  out["status"] = s.status;
  // DAEMON services: one task per ACTIVE container instance.
  out["desiredCount"] = s.scheduling_strategy != "DAEMON" ? s.desired_count
                        : s.status == "ACTIVE"            ? state.active_instances
                                                          : 0;
  int64_t running = 0;
  int64_t pending = 0;
  for (const auto& c : state.counts) {
    running += c.running;
    pending += c.pending;
  }
  out["runningCount"] = running;
  out["pendingCount"] = pending;
  out["createdAt"] = s.created_at;
  json events = json::array();
  for (const auto& e : state.events) {
    events.push_back({{"id", e.id}, {"createdAt", e.created_at}, {"message", e.message}});
  }
  out["events"] = events;
  if (s.controller == "ECS") {
    json deployments = json::array();
    json revisions = json::array();
    for (const auto& d : state.deployments) {
      deployments.push_back(DeploymentJson(state, d));
      const auto counts = CountsOf(state, d.id);
      revisions.push_back(
          {{"arn", ServiceRevisionArn(context, s.cluster, s.name, RevisionIdOf(d.id))},
           {"requestedTaskCount", d.desired_count},
           {"runningTaskCount", counts.running},
           {"pendingTaskCount", counts.pending}});
      if (d.status == "PRIMARY" && d.service_deployment) {
        out["currentServiceDeployment"] =
            ServiceDeploymentArn(context, s.cluster, s.name, *d.service_deployment);
      }
    }
    out["deployments"] = deployments;
    out["currentServiceRevisions"] = revisions;
  } else {
    json sets = json::array();
    for (const auto& d : state.deployments) sets.push_back(TaskSetJson(context, state, d));
    out["taskSets"] = sets;
  }
  if (tags != nullptr) out["tags"] = *tags;
  return out;
}

namespace {

// A revision summary with the counts of the deployment that runs it now.
json RevisionSummaryJson(const aws::RequestContext& context, const ServiceState& state,
                         const std::string& revision_id) {
  const storage::ServiceRecord& s = state.service;
  json out = {{"arn", ServiceRevisionArn(context, s.cluster, s.name, revision_id)},
              {"requestedTaskCount", 0},
              {"runningTaskCount", 0},
              {"pendingTaskCount", 0}};
  for (const auto& d : state.deployments) {
    if (RevisionIdOf(d.id) != revision_id) continue;
    const auto counts = CountsOf(state, d.id);
    out["requestedTaskCount"] = d.desired_count;
    out["runningTaskCount"] = counts.running;
    out["pendingTaskCount"] = counts.pending;
  }
  return out;
}

}  // namespace

json ServiceDeploymentJson(const aws::RequestContext& context, const ServiceState& state,
                           const storage::ServiceDeploymentRecord& sd) {
  const storage::ServiceRecord& s = state.service;
  const json document = json::parse(sd.document);
  json sources = json::array();
  for (const auto& source : document.value("sourceServiceRevisions", json::array())) {
    const std::string arn = source.value("arn", "");
    sources.push_back(RevisionSummaryJson(context, state, arn.substr(arn.rfind('/') + 1)));
  }
  json out = {
      {"serviceDeploymentArn", ServiceDeploymentArn(context, s.cluster, s.name, sd.id)},
      {"serviceArn", ServiceArn(context, s.cluster, s.name)},
      {"clusterArn", ClusterArn(context, s.cluster)},
      {"createdAt", sd.created_at},
      {"status", sd.status},
      {"sourceServiceRevisions", sources},
      {"targetServiceRevision",
       RevisionSummaryJson(context, state, document.value("targetServiceRevision", ""))},
  };
  for (const char* key : {"startedAt", "finishedAt", "stoppedAt", "updatedAt", "statusReason",
                          "deploymentConfiguration", "deploymentCircuitBreaker", "alarms",
                          "rollback", "lifecycleStage", "lifecycleHookDetails"}) {
    if (document.contains(key)) out[key] = document.at(key);
  }
  return out;
}

json ServiceDeploymentBriefJson(const aws::RequestContext& context,
                                const storage::ServiceRecord& service,
                                const storage::ServiceDeploymentRecord& sd) {
  const json document = json::parse(sd.document);
  json out = {
      {"serviceDeploymentArn", ServiceDeploymentArn(context, service.cluster, service.name, sd.id)},
      {"serviceArn", ServiceArn(context, service.cluster, service.name)},
      {"clusterArn", ClusterArn(context, service.cluster)},
      {"createdAt", sd.created_at},
      {"targetServiceRevisionArn", ServiceRevisionArn(context, service.cluster, service.name,
                                                      document.value("targetServiceRevision", ""))},
      {"status", sd.status},
  };
  for (const char* key : {"startedAt", "finishedAt", "statusReason"}) {
    if (document.contains(key)) out[key] = document.at(key);
  }
  return out;
}

}  // namespace berth::ecs
