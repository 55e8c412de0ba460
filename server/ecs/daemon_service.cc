// DaemonService's daemons, deployments and revisions. Stored documents are
// the AWS shapes plus a "berth" member with what only Berth needs (never
// shown): a daemon's cluster, name and current revision and deployment ids;
// a revision's capacity providers and task definition key; a deployment's
// daemon, target revision id and whether it drains (DeleteDaemon).

#include "server/ecs/daemon_service.h"

#include <algorithm>
#include <cmath>

#include "server/aws/arn.h"
#include "server/aws/json_params.h"
#include "server/aws/pagination.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "server/ecs/service_common.h"
#include "storage/ecs_document_store.h"
#include "storage/tag_store.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;
using storage::EcsDocumentStore;

// A daemon ARN's cluster and name (this account and region only).
struct DaemonKey {
  std::string cluster;
  std::string name;
  std::string Key() const { return cluster + "/" + name; }
};

std::optional<std::vector<std::string>> ArnParts(const aws::RequestContext& context,
                                                 std::string_view text, std::string_view type,
                                                 size_t parts) {
  const auto arn = aws::Arn::Parse(text);
  if (!arn || arn->service != "ecs" || arn->account_id != context.account_id ||
      arn->region != context.region) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  std::string_view rest = arn->resource;
  while (true) {
    const size_t slash = rest.find('/');
    out.emplace_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (out.size() != parts + 1 || out.front() != type) return std::nullopt;
  out.erase(out.begin());
  return out;
}

DaemonKey ParseDaemonArn(const aws::RequestContext& context, const std::string& text) {
  const auto parts = ArnParts(context, text, "daemon", 2);
  if (!parts) throw InvalidParameterException("Invalid daemon ARN: " + text);
  return {(*parts)[0], (*parts)[1]};
}

// The document without Berth's own member.
json Shown(json document) {
  document.erase("berth");
  return document;
}

json LoadDaemon(EcsDocumentStore& store, const DaemonKey& key) {
  const auto found = store.Find(EcsDocumentStore::kDaemon, key.Key(), "");
  if (!found) throw DaemonNotFoundException();
  return json::parse(found->document);
}

// How many of the daemon's tasks run, per revision id.
std::map<std::string, int64_t> RunningByRevision(storage::Db& db,
                                                 const aws::RequestContext& context,
                                                 const DaemonKey& key) {
  std::map<std::string, int64_t> counts;
  const std::string group = DaemonTaskGroup(key.name);
  for (const auto& task : storage::TaskStore(db).UnfinishedIn(PartitionOf(context), key.cluster)) {
    if (task.group.value_or("") != group || task.last_status != "RUNNING") continue;
    ++counts[task.deployment_id.value_or("")];
  }
  return counts;
}

// The capacity providers of a revision with the running count: every task
// is counted under the first provider (Berth's instances belong to no
// particular one).
json ProvidersWithCounts(const json& providers, int64_t running, const char* count_name) {
  json out = json::array();
  for (const auto& arn : providers) {
    out.push_back({{"arn", arn}, {count_name, out.empty() ? running : 0}});
  }
  return out;
}

json DeploymentConfigurationOf(const json& request) {
  json config = request.value("deploymentConfiguration", json::object());
  if (!config.contains("drainPercent")) config["drainPercent"] = 25.0;
  if (!config.contains("bakeTimeInMinutes")) config["bakeTimeInMinutes"] = 0;
  json alarms = config.value("alarms", json::object());
  if (!alarms.contains("enable")) alarms["enable"] = false;
  if (!alarms.contains("alarmNames")) alarms["alarmNames"] = json::array();
  config["alarms"] = alarms;
  return config;
}

void CheckProviders(const json& request) {
  if (request.value("capacityProviderArns", json::array()).empty()) {
    throw InvalidParameterException("capacityProviderArns must contain at least one entry.");
  }
}

}  // namespace

std::string DaemonService::Deploy(storage::Db& db, const aws::RequestContext& context,
                                  const std::string& cluster, const std::string& name,
                                  const json& request, const json& definition) {
  EcsDocumentStore store(db, PartitionOf(context));
  const std::string key = cluster + "/" + name;
  const std::string revision_id = RevisionIdOf(NewDeploymentId());
  const std::string deployment_id = NewServiceDeploymentId();
  const std::string daemon_arn = DaemonArn(context, cluster, name);
  const json& shown_td = definition.at("daemonTaskDefinition");
  json images = json::array();
  for (const auto& c : shown_td.at("containerDefinitions")) {
    images.push_back({{"containerName", c.value("name", "")}, {"image", c.value("image", "")}});
  }
  const json revision = {
      {"daemonRevisionArn", DaemonRevisionArn(context, cluster, name, revision_id)},
      {"clusterArn", ClusterArn(context, cluster)},
      {"daemonArn", daemon_arn},
      {"daemonTaskDefinitionArn", shown_td.at("daemonTaskDefinitionArn")},
      {"createdAt", context.now},
      {"containerImages", images},
      {"propagateTags", request.value("propagateTags", "NONE")},
      {"enableECSManagedTags", request.value("enableECSManagedTags", false)},
      {"enableExecuteCommand", request.value("enableExecuteCommand", false)},
      {"berth",
       {{"capacityProviderArns", request.at("capacityProviderArns")},
        {"family", shown_td.at("family")},
        {"revision", shown_td.at("revision")}}}};
  store.Put(EcsDocumentStore::kRevision, key, revision_id, context.now, revision.dump());

  // The deployment it replaces stops; its revision is the source.
  json sources = json::array();
  if (const auto daemon = store.Find(EcsDocumentStore::kDaemon, key, "")) {
    const json doc = json::parse(daemon->document);
    const json berth = doc.value("berth", json::object());
    if (berth.contains("revisionId")) {
      sources.push_back({{"arn", DaemonRevisionArn(context, cluster, name,
                                                   berth.at("revisionId").get<std::string>())}});
    }
    if (auto previous = store.Find(EcsDocumentStore::kDeployment, key,
                                   berth.value("deploymentId", std::string()))) {
      json p = json::parse(previous->document);
      const std::string status = p.value("status", "");
      if (status == "PENDING" || status == "IN_PROGRESS") {
        p["status"] = "STOPPED";
        p["statusReason"] = "A newer deployment of the daemon replaced this deployment.";
        p["stoppedAt"] = context.now;
        store.Put(EcsDocumentStore::kDeployment, key, previous->id, previous->created_at, p.dump());
      }
    }
  }
  const json config = DeploymentConfigurationOf(request);
  const json deployment = {
      {"daemonDeploymentArn", DaemonDeploymentArn(context, cluster, name, deployment_id)},
      {"clusterArn", ClusterArn(context, cluster)},
      {"status", "PENDING"},
      {"targetDaemonRevision", {{"arn", revision.at("daemonRevisionArn")}}},
      {"sourceDaemonRevisions", sources},
      {"circuitBreaker", {{"failureCount", 0}, {"status", "DISABLED"}, {"threshold", 0}}},
      {"alarms",
       {{"status", config["alarms"]["enable"].get<bool>() ? "MONITORING" : "DISABLED"},
        {"alarmNames", config["alarms"]["alarmNames"]},
        {"triggeredAlarmNames", json::array()}}},
      {"deploymentConfiguration", config},
      {"createdAt", context.now},
      {"berth", {{"daemonArn", daemon_arn}, {"revisionId", revision_id}, {"draining", false}}}};
  store.Put(EcsDocumentStore::kDeployment, key, deployment_id, context.now, deployment.dump());
  return deployment_id;
}

json DaemonService::Create(const aws::RequestContext& context, const json& request) {
  const std::string name = aws::RequiredString(request, "daemonName");
  if (!IsEcsName(name)) {
    throw InvalidParameterException(
        "Daemon name must be 1-255 characters: letters, numbers, hyphens and underscores.");
  }
  CheckProviders(request);
  const std::vector<storage::Tag> tags = ReadEcsTags(request);
  ValidateTags(tags);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const std::string cluster =
      clusters_.RequireActive(lease.db(), context, aws::OptionalString(request, "clusterArn"));
  const json definition = FindActiveDaemonTaskDefinition(
      lease.db(), context, aws::RequiredString(request, "daemonTaskDefinitionArn"));
  EcsDocumentStore store(lease.db(), PartitionOf(context));
  const std::string key = cluster + "/" + name;
  if (store.Find(EcsDocumentStore::kDaemon, key, "")) {
    throw InvalidParameterException("Creation of daemon was not idempotent.");
  }
  const std::string deployment_id = Deploy(lease.db(), context, cluster, name, request, definition);
  const std::string arn = DaemonArn(context, cluster, name);
  const json deployment =
      json::parse(store.Find(EcsDocumentStore::kDeployment, key, deployment_id)->document);
  const json daemon = {{"daemonArn", arn},
                       {"clusterArn", ClusterArn(context, cluster)},
                       {"status", "ACTIVE"},
                       {"deploymentArn", deployment.at("daemonDeploymentArn")},
                       {"createdAt", context.now},
                       {"updatedAt", context.now},
                       {"berth",
                        {{"cluster", cluster},
                         {"name", name},
                         {"deploymentId", deployment_id},
                         {"revisionId", deployment["berth"]["revisionId"]},
                         {"capacityProviderArns", request.at("capacityProviderArns")}}}};
  store.Put(EcsDocumentStore::kDaemon, key, "", context.now, daemon.dump());
  if (!tags.empty()) storage::TagStore(lease.db()).Put(arn, tags);
  tx.Commit();
  Wake();
  return {{"daemonArn", arn},
          {"status", "ACTIVE"},
          {"createdAt", context.now},
          {"deploymentArn", daemon.at("deploymentArn")}};
}

json DaemonService::Update(const aws::RequestContext& context, const json& request) {
  const DaemonKey key = ParseDaemonArn(context, aws::RequiredString(request, "daemonArn"));
  CheckProviders(request);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  EcsDocumentStore store(lease.db(), PartitionOf(context));
  json daemon = LoadDaemon(store, key);
  if (daemon.value("status", "") != "ACTIVE") throw DaemonNotActiveException();
  const json definition = FindActiveDaemonTaskDefinition(
      lease.db(), context, aws::RequiredString(request, "daemonTaskDefinitionArn"));
  const std::string deployment_id =
      Deploy(lease.db(), context, key.cluster, key.name, request, definition);
  const json deployment =
      json::parse(store.Find(EcsDocumentStore::kDeployment, key.Key(), deployment_id)->document);
  daemon["deploymentArn"] = deployment.at("daemonDeploymentArn");
  daemon["updatedAt"] = context.now;
  daemon["berth"]["deploymentId"] = deployment_id;
  daemon["berth"]["revisionId"] = deployment["berth"]["revisionId"];
  daemon["berth"]["capacityProviderArns"] = request.at("capacityProviderArns");
  store.Put(EcsDocumentStore::kDaemon, key.Key(), "", daemon.value("createdAt", context.now),
            daemon.dump());
  tx.Commit();
  Wake();
  return {{"daemonArn", daemon.at("daemonArn")},
          {"status", daemon.at("status")},
          {"createdAt", daemon.at("createdAt")},
          {"updatedAt", context.now},
          {"deploymentArn", daemon.at("deploymentArn")}};
}

json DaemonService::Delete(const aws::RequestContext& context, const std::string& daemon_arn) {
  const DaemonKey key = ParseDaemonArn(context, daemon_arn);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  EcsDocumentStore store(lease.db(), PartitionOf(context));
  json daemon = LoadDaemon(store, key);
  if (daemon.value("status", "") != "ACTIVE") throw DaemonNotActiveException();
  json& berth = daemon["berth"];
  const std::string deployment_id = NewServiceDeploymentId();
  // The running deployment stops; the draining one has no target.
  if (auto previous = store.Find(EcsDocumentStore::kDeployment, key.Key(),
                                 berth.value("deploymentId", std::string()))) {
    json p = json::parse(previous->document);
    const std::string status = p.value("status", "");
    if (status == "PENDING" || status == "IN_PROGRESS") {
      p["status"] = "STOPPED";
      p["statusReason"] = "The daemon was deleted.";
      p["stoppedAt"] = context.now;
      store.Put(EcsDocumentStore::kDeployment, key.Key(), previous->id, previous->created_at,
                p.dump());
    }
  }
  const json deployment = {
      {"daemonDeploymentArn", DaemonDeploymentArn(context, key.cluster, key.name, deployment_id)},
      {"clusterArn", ClusterArn(context, key.cluster)},
      {"status", "IN_PROGRESS"},
      {"sourceDaemonRevisions",
       {{{"arn", DaemonRevisionArn(context, key.cluster, key.name,
                                   berth.value("revisionId", std::string()))}}}},
      {"circuitBreaker", {{"failureCount", 0}, {"status", "DISABLED"}, {"threshold", 0}}},
      {"createdAt", context.now},
      {"startedAt", context.now},
      {"berth", {{"daemonArn", daemon.at("daemonArn")}, {"draining", true}}}};
  store.Put(EcsDocumentStore::kDeployment, key.Key(), deployment_id, context.now,
            deployment.dump());
  daemon["status"] = "DELETE_IN_PROGRESS";
  daemon["updatedAt"] = context.now;
  daemon["deploymentArn"] = deployment.at("daemonDeploymentArn");
  berth["deploymentId"] = deployment_id;
  store.Put(EcsDocumentStore::kDaemon, key.Key(), "", daemon.value("createdAt", context.now),
            daemon.dump());
  tx.Commit();
  Wake();
  return {{"daemonArn", daemon.at("daemonArn")},
          {"status", "DELETE_IN_PROGRESS"},
          {"createdAt", daemon.at("createdAt")},
          {"updatedAt", context.now},
          {"deploymentArn", daemon.at("deploymentArn")}};
}

json DaemonService::Describe(const aws::RequestContext& context, const std::string& daemon_arn) {
  const DaemonKey key = ParseDaemonArn(context, daemon_arn);
  auto lease = database_.Acquire();
  EcsDocumentStore store(lease.db(), PartitionOf(context));
  const json daemon = LoadDaemon(store, key);
  const auto running = RunningByRevision(lease.db(), context, key);
  // The revisions that run tasks, and the one being deployed.
  std::vector<std::string> revisions;
  for (const auto& [id, count] : running) revisions.push_back(id);
  const std::string current = daemon["berth"].value("revisionId", std::string());
  if (daemon.value("status", "") == "ACTIVE" &&
      std::find(revisions.begin(), revisions.end(), current) == revisions.end()) {
    revisions.push_back(current);
  }
  json out = Shown(daemon);
  out["currentRevisions"] = json::array();
  for (const auto& id : revisions) {
    const auto revision = store.Find(EcsDocumentStore::kRevision, key.Key(), id);
    if (!revision) continue;
    const json doc = json::parse(revision->document);
    const int64_t count = running.contains(id) ? running.at(id) : 0;
    out["currentRevisions"].push_back(
        {{"arn", doc.at("daemonRevisionArn")},
         {"capacityProviders",
          ProvidersWithCounts(doc["berth"]["capacityProviderArns"], count, "runningCount")},
         {"totalRunningCount", count}});
  }
  return {{"daemon", out}};
}

json DaemonService::List(const aws::RequestContext& context, const json& request) {
  const int64_t max_results = aws::OptionalInt(request, "maxResults").value_or(100);
  if (max_results < 1 || max_results > 100) {
    throw InvalidParameterException("maxResults must be between 1 and 100.");
  }
  auto lease = database_.Acquire();
  std::string prefix;
  if (const auto cluster = aws::OptionalString(request, "clusterArn")) {
    prefix = clusters_.RequireActive(lease.db(), context, cluster) + "/";
  }
  const std::vector<std::string> providers = aws::StringList(request, "capacityProviderArns");
  std::vector<json> rows;
  for (const auto& o : EcsDocumentStore(lease.db(), PartitionOf(context))
                           .List(EcsDocumentStore::kDaemon, std::nullopt, prefix)) {
    const json doc = json::parse(o.document);
    if (!providers.empty()) {
      const json mine = doc["berth"].value("capacityProviderArns", json::array());
      const bool any = std::any_of(providers.begin(), providers.end(), [&](const std::string& p) {
        return std::find(mine.begin(), mine.end(), p) != mine.end();
      });
      if (!any) continue;
    }
    rows.push_back({{"daemonArn", doc.at("daemonArn")},
                    {"status", doc.at("status")},
                    {"createdAt", doc.at("createdAt")},
                    {"updatedAt", doc.at("updatedAt")}});
  }
  size_t start = 0;
  if (const auto token = aws::OptionalString(request, "nextToken")) {
    const auto resume = aws::DecodePageToken("daemons", *token);
    if (!resume) throw InvalidParameterException("Invalid nextToken.");
    start = static_cast<size_t>(std::stoull(*resume));
  }
  json out = {{"daemonSummariesList", json::array()}};
  const size_t end = std::min(rows.size(), start + static_cast<size_t>(max_results));
  for (size_t i = start; i < end; ++i) out["daemonSummariesList"].push_back(rows[i]);
  if (end < rows.size()) out["nextToken"] = aws::EncodePageToken("daemons", std::to_string(end));
  return out;
}

}  // namespace berth::ecs
