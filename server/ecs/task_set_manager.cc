#include "server/ecs/task_set_manager.h"

#include <cmath>

#include "server/aws/arn.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "server/ecs/service_common.h"
#include "server/ecs/service_plan.h"
#include "server/ecs/service_spec.h"
#include "server/ecs/service_views.h"
#include "server/ecs/task_definition_service.h"
#include "server/ecs/task_documents.h"
#include "storage/client_token_store.h"
#include "storage/service_store.h"
#include "storage/tag_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

// The task-set management context: cluster and service, which must allow
// task sets.
struct Target {
  storage::ClusterRecord cluster;
  storage::ServiceRecord service;
};

Target TaskSetTarget(storage::Db& db, const aws::RequestContext& context,
                     const std::string& cluster, const std::string& service) {
  Target t{ActiveCluster(db, context, cluster), {}};
  t.service = ActiveService(db, context, t.cluster.name, service);
  if (t.service.controller != "EXTERNAL") {
    throw InvalidParameterException(
        "Amazon ECS only supports task set management on services configured to use external "
        "deployment controllers.");
  }
  return t;
}

// The task set id an identifier names ("ecs-svc/N" or a task-set ARN of
// this service); nullopt for anything else.
std::optional<std::string> TaskSetIdFrom(const aws::RequestContext& context,
                                         const storage::ServiceRecord& service,
                                         const std::string& text) {
  std::string id = text;
  if (text.starts_with("arn:")) {
    const auto arn = aws::Arn::Parse(text);
    const std::string prefix = "task-set/" + service.cluster + "/" + service.name + "/";
    if (!arn || arn->service != "ecs" || arn->account_id != context.account_id ||
        arn->region != context.region || !arn->resource.starts_with(prefix)) {
      return std::nullopt;
    }
    id = arn->resource.substr(prefix.size());
  }
  if (!id.starts_with("ecs-svc/") || id.size() < 9) return std::nullopt;
  return id;
}

storage::DeploymentRecord FindTaskSet(storage::Db& db, const aws::RequestContext& context,
                                      const storage::ServiceRecord& service,
                                      const std::string& identifier) {
  const auto id = TaskSetIdFrom(context, service, identifier);
  if (!id) throw InvalidParameterException("Task Set Identifier is invalid");
  auto d = storage::ServiceStore(db, service.partition)
               .FindDeployment(service.cluster, service.name, *id);
  if (!d || d->status == "INACTIVE") throw TaskSetNotFoundException();
  return *d;
}

json ReadScale(const json& scale) {
  const double value = scale.value("value", 0.0);
  if (value < 0 || value > 100 || std::isnan(value)) {
    throw InvalidParameterException("The scale value must be between 0 and 100.");
  }
  return {{"value", value}, {"unit", scale.value("unit", "PERCENT")}};
}

json SetJson(storage::Db& db, const aws::RequestContext& context,
             const storage::ServiceRecord& service, const storage::DeploymentRecord& set,
             bool with_tags = false) {
  const ServiceState state = LoadServiceState(db, service);
  json tags;
  if (with_tags) {
    tags = EcsTagsJson(
        storage::TagStore(db).List(TaskSetArn(context, service.cluster, service.name, set.id)));
  }
  return TaskSetJson(context, state, set, with_tags ? &tags : nullptr);
}

}  // namespace

json TaskSetManager::CreateTaskSet(const aws::RequestContext& context, const json& request) {
  if (request.contains("launchType") && request.contains("capacityProviderStrategy")) {
    throw InvalidParameterException(
        "Specifying both a launch type and capacity provider strategy is not supported. Remove "
        "one and try again.");
  }
  const json scale = ReadScale(request.value("scale", json::object()));
  const std::vector<storage::Tag> tags = ReadEcsTags(request);
  ValidateTags(tags);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const Target t = TaskSetTarget(lease.db(), context, request.at("cluster"), request.at("service"));
  storage::ServiceStore store(lease.db(), PartitionOf(context));
  storage::ClientTokenStore tokens(lease.db(), PartitionOf(context));
  const std::string token = request.value("clientToken", "");
  const std::string fingerprint = RequestFingerprint(request);
  if (!token.empty()) {
    if (const auto previous = tokens.Find("CreateTaskSet", token)) {
      if (previous->request_hash != fingerprint) {
        throw InvalidParameterException(
            "The clientToken was already used with different parameters.");
      }
      if (auto set = store.FindDeployment(t.service.cluster, t.service.name, previous->result)) {
        return SetJson(lease.db(), context, t.service, *set, true);
      }
    }
  }
  if (store.Deployments(t.service.cluster, t.service.name).size() >= kMaxTaskSets) {
    throw InvalidParameterException(
        "5 deployments exist on the service. Unable to create new TaskSet since this exceeds the "
        "maximum limit.");
  }
  const json td =
      ResolveTaskDefinition(lease.db(), context, request.at("taskDefinition").get<std::string>());
  // Task sets take no Service Connect configuration (the model has none).
  std::optional<std::string> service_namespace;
  json settings = request;
  settings.erase("serviceConnectConfiguration");
  DeploymentSpec spec =
      SpecFor(context, td, settings, json::parse(t.cluster.document), service_namespace);
  json& d = spec.document;
  if (!d.contains("loadBalancers")) d["loadBalancers"] = json::array();
  if (!d.contains("serviceRegistries")) d["serviceRegistries"] = json::array();
  d["scale"] = scale;
  if (request.contains("externalId")) d["externalId"] = request.at("externalId");
  d["stabilityStatusAt"] = context.now;
  storage::DeploymentRecord set =
      RecordDeployment(lease.db(), context, t.service, spec, "ACTIVE", /*task_set=*/true);
  set.desired_count = plan::ScaledCount(t.service.desired_count, scale.at("value").get<double>());
  store.PutDeployment(t.service.cluster, t.service.name, set);
  if (!tags.empty()) {
    storage::TagStore(lease.db())
        .Put(TaskSetArn(context, t.service.cluster, t.service.name, set.id), tags);
  }
  if (!token.empty()) tokens.Insert("CreateTaskSet", token, {fingerprint, set.id}, context.now);
  json out = SetJson(lease.db(), context, t.service, set, !tags.empty());
  tx.Commit();
  Wake();
  return out;
}

json TaskSetManager::UpdateTaskSet(const aws::RequestContext& context, const std::string& cluster,
                                   const std::string& service, const std::string& task_set,
                                   const json& scale_given) {
  const json scale = ReadScale(scale_given);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const Target t = TaskSetTarget(lease.db(), context, cluster, service);
  storage::DeploymentRecord set = FindTaskSet(lease.db(), context, t.service, task_set);
  json document = json::parse(set.document);
  document["scale"] = scale;
  document["steady"] = false;
  document["stabilityStatusAt"] = context.now;
  set.document = document.dump();
  set.desired_count = plan::ScaledCount(t.service.desired_count, scale.at("value").get<double>());
  set.updated_at = context.now;
  storage::ServiceStore(lease.db(), PartitionOf(context))
      .PutDeployment(t.service.cluster, t.service.name, set);
  json out = SetJson(lease.db(), context, t.service, set);
  tx.Commit();
  Wake();
  return out;
}

json TaskSetManager::DeleteTaskSet(const aws::RequestContext& context, const std::string& cluster,
                                   const std::string& service, const std::string& task_set,
                                   bool force) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const Target t = TaskSetTarget(lease.db(), context, cluster, service);
  storage::DeploymentRecord set = FindTaskSet(lease.db(), context, t.service, task_set);
  if (set.status == "PRIMARY" && !force) {
    throw InvalidParameterException("Primary TaskSet cannot be deleted");
  }
  const json document = json::parse(set.document);
  if (!force && document.value("scale", json::object()).value("value", 0.0) > 0) {
    throw InvalidParameterException(
        "The task set cannot be deleted while it is scaled above 0. Scale it to 0 or use force.");
  }
  if (set.status != "DRAINING") {
    set.status = "DRAINING";
    set.updated_at = context.now;
    json changed = document;
    changed["steady"] = false;
    changed["stabilityStatusAt"] = context.now;
    set.document = changed.dump();
    storage::ServiceStore(lease.db(), PartitionOf(context))
        .PutDeployment(t.service.cluster, t.service.name, set);
  }
  json out = SetJson(lease.db(), context, t.service, set);
  tx.Commit();
  Wake();
  return out;
}

DescribeTaskSetsResult TaskSetManager::DescribeTaskSets(const aws::RequestContext& context,
                                                        const std::string& cluster,
                                                        const std::string& service,
                                                        const std::vector<std::string>& task_sets,
                                                        bool include_tags) {
  if (task_sets.empty()) throw InvalidParameterException("TaskSets cannot be empty.");
  auto lease = database_.Acquire();
  const Target t = TaskSetTarget(lease.db(), context, cluster, service);
  storage::ServiceStore store(lease.db(), PartitionOf(context));
  DescribeTaskSetsResult result;
  for (const auto& identifier : task_sets) {
    const auto id = TaskSetIdFrom(context, t.service, identifier);
    if (!id) throw InvalidParameterException("Task Set Identifier is invalid");
    const auto set = store.FindDeployment(t.service.cluster, t.service.name, *id);
    if (!set || set->status == "INACTIVE") {
      result.failures.push_back(
          {{"arn", TaskSetArn(context, t.service.cluster, t.service.name, *id)},
           {"reason", "MISSING"}});
      continue;
    }
    result.task_sets.push_back(SetJson(lease.db(), context, t.service, *set, include_tags));
  }
  return result;
}

json TaskSetManager::UpdateServicePrimaryTaskSet(const aws::RequestContext& context,
                                                 const std::string& cluster,
                                                 const std::string& service,
                                                 const std::string& task_set) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  Target t = TaskSetTarget(lease.db(), context, cluster, service);
  storage::ServiceStore store(lease.db(), PartitionOf(context));
  storage::DeploymentRecord set = FindTaskSet(lease.db(), context, t.service, task_set);
  if (set.status == "DRAINING") {
    throw InvalidParameterException("A DRAINING task set cannot become the primary task set.");
  }
  for (auto other : store.Deployments(t.service.cluster, t.service.name)) {
    if (other.id == set.id || other.status != "PRIMARY") continue;
    other.status = "ACTIVE";
    other.updated_at = context.now;
    store.PutDeployment(t.service.cluster, t.service.name, other);
  }
  set.status = "PRIMARY";
  set.updated_at = context.now;
  store.PutDeployment(t.service.cluster, t.service.name, set);
  // The primary set's settings are the service's.
  json document = json::parse(t.service.document);
  const json set_document = json::parse(set.document);
  document["taskDefinition"] = set.task_definition;
  for (const char* key :
       {"launchType", "capacityProviderStrategy", "platformVersion", "platformFamily",
        "networkConfiguration", "loadBalancers", "serviceRegistries"}) {
    if (set_document.contains(key)) {
      document[key] = set_document.at(key);
    } else {
      document.erase(key);
    }
  }
  t.service.document = document.dump();
  t.service.updated_at = context.now;
  if (set_document.contains("launchType")) {
    t.service.launch_type = set_document.at("launchType").get<std::string>();
  }
  store.Update(t.service);
  json out = SetJson(lease.db(), context, t.service, set);
  tx.Commit();
  Wake();
  return out;
}

}  // namespace berth::ecs
