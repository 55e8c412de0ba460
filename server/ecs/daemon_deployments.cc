// DaemonService's read side of deployments and revisions:
// DescribeDaemonDeployments (with the instance counts of the target
// revision as the daemon's tasks show them now), ListDaemonDeployments and
// DescribeDaemonRevisions.

#include <algorithm>

#include "server/aws/arn.h"
#include "server/aws/json_params.h"
#include "server/aws/pagination.h"
#include "server/ecs/daemon_service.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/service_common.h"
#include "storage/ecs_document_store.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;
using storage::EcsDocumentStore;

// <type>/<cluster>/<name>/<id> of an ARN of this account and region.
struct ChildKey {
  std::string cluster;
  std::string name;
  std::string id;
};

std::optional<ChildKey> ParseChildArn(const aws::RequestContext& context, std::string_view text,
                                      std::string_view type) {
  const auto arn = aws::Arn::Parse(text);
  if (!arn || arn->service != "ecs" || arn->account_id != context.account_id ||
      arn->region != context.region || !arn->resource.starts_with(std::string(type) + "/")) {
    return std::nullopt;
  }
  const std::string rest = arn->resource.substr(type.size() + 1);
  const size_t first = rest.find('/');
  const size_t second = first == std::string::npos ? first : rest.find('/', first + 1);
  if (second == std::string::npos || rest.find('/', second + 1) != std::string::npos) {
    return std::nullopt;
  }
  return ChildKey{rest.substr(0, first), rest.substr(first + 1, second - first - 1),
                  rest.substr(second + 1)};
}

// Instances running (and draining) the daemon's tasks of one revision.
struct InstanceCounts {
  int64_t running = 0;
  int64_t draining = 0;
};

InstanceCounts CountInstances(storage::Db& db, const aws::RequestContext& context,
                              const ChildKey& key, const std::string& revision_id) {
  InstanceCounts counts;
  const std::string group = DaemonTaskGroup(key.name);
  for (const auto& task : storage::TaskStore(db).UnfinishedIn(PartitionOf(context), key.cluster)) {
    if (task.group.value_or("") != group || task.deployment_id.value_or("") != revision_id) {
      continue;
    }
    if (task.desired_status == "STOPPED") {
      ++counts.draining;
    } else if (task.last_status == "RUNNING") {
      ++counts.running;
    }
  }
  return counts;
}

void CheckArnCount(const std::vector<std::string>& arns, const char* member) {
  if (arns.empty() || arns.size() > 20) {
    throw InvalidParameterException(std::string(member) + " must contain between 1 and 20 ARNs.");
  }
}

json Missing(const std::string& arn) { return {{"arn", arn}, {"reason", "MISSING"}}; }

}  // namespace

json DaemonService::DescribeDeployments(const aws::RequestContext& context,
                                        const std::vector<std::string>& arns) {
  CheckArnCount(arns, "daemonDeploymentArns");
  json out = {{"daemonDeployments", json::array()}, {"failures", json::array()}};
  auto lease = database_.Acquire();
  EcsDocumentStore store(lease.db(), PartitionOf(context));
  for (const auto& arn : arns) {
    const auto key = ParseChildArn(context, arn, "daemon-deployment");
    const auto found =
        key ? store.Find(EcsDocumentStore::kDeployment, key->cluster + "/" + key->name, key->id)
            : std::nullopt;
    if (!found) {
      out["failures"].push_back(Missing(arn));
      continue;
    }
    json doc = json::parse(found->document);
    const json berth = doc["berth"];
    doc.erase("berth");
    if (doc.contains("targetDaemonRevision")) {
      const auto revision_object =
          store.Find(EcsDocumentStore::kRevision, key->cluster + "/" + key->name,
                     berth.value("revisionId", std::string()));
      const json revision =
          revision_object ? json::parse(revision_object->document) : json::object();
      const InstanceCounts counts =
          CountInstances(lease.db(), context, *key, berth.value("revisionId", std::string()));
      json providers = json::array();
      for (const auto& p :
           revision.value("berth", json::object()).value("capacityProviderArns", json::array())) {
        const bool first = providers.empty();
        providers.push_back({{"arn", p},
                             {"runningInstanceCount", first ? counts.running : 0},
                             {"drainingInstanceCount", first ? counts.draining : 0}});
      }
      json& target = doc["targetDaemonRevision"];
      target["capacityProviders"] = providers;
      target["totalRunningInstanceCount"] = counts.running;
      target["totalDrainingInstanceCount"] = counts.draining;
    }
    out["daemonDeployments"].push_back(doc);
  }
  return out;
}

json DaemonService::ListDeployments(const aws::RequestContext& context, const json& request) {
  const auto arn = aws::RequiredString(request, "daemonArn");
  const auto parsed = aws::Arn::Parse(arn);
  if (!parsed || !parsed->resource.starts_with("daemon/")) {
    throw InvalidParameterException("Invalid daemon ARN: " + arn);
  }
  const std::string key = parsed->resource.substr(7);
  const int64_t max_results = aws::OptionalInt(request, "maxResults").value_or(20);
  if (max_results < 1 || max_results > 100) {
    throw InvalidParameterException("maxResults must be between 1 and 100.");
  }
  const std::vector<std::string> statuses = aws::StringList(request, "status");
  const json created = request.value("createdAt", json::object());
  std::vector<std::pair<double, json>> rows;
  {
    auto lease = database_.Acquire();
    EcsDocumentStore store(lease.db(), PartitionOf(context));
    if (!store.Find(EcsDocumentStore::kDaemon, key, "") &&
        store.List(EcsDocumentStore::kDeployment, key).empty()) {
      throw DaemonNotFoundException();
    }
    for (const auto& o : store.List(EcsDocumentStore::kDeployment, key)) {
      const json doc = json::parse(o.document);
      const std::string status = doc.value("status", "");
      if (!statuses.empty() &&
          std::find(statuses.begin(), statuses.end(), status) == statuses.end()) {
        continue;
      }
      if (created.contains("before") && o.created_at >= created["before"].get<double>()) continue;
      if (created.contains("after") && o.created_at <= created["after"].get<double>()) continue;
      json row = {{"daemonDeploymentArn", doc.at("daemonDeploymentArn")},
                  {"daemonArn", doc["berth"].at("daemonArn")},
                  {"clusterArn", doc.at("clusterArn")},
                  {"status", status},
                  {"createdAt", doc.at("createdAt")}};
      if (doc.contains("targetDaemonRevision")) {
        row["targetDaemonRevisionArn"] = doc["targetDaemonRevision"].at("arn");
      }
      for (const char* k : {"statusReason", "startedAt", "stoppedAt", "finishedAt"}) {
        if (doc.contains(k)) row[k] = doc.at(k);
      }
      rows.emplace_back(o.created_at, std::move(row));
    }
  }
  // Newest first.
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  size_t start = 0;
  if (const auto token = aws::OptionalString(request, "nextToken")) {
    const auto resume = aws::DecodePageToken("daemon-deployments", *token);
    if (!resume) throw InvalidParameterException("Invalid nextToken.");
    start = static_cast<size_t>(std::stoull(*resume));
  }
  json out = {{"daemonDeployments", json::array()}};
  const size_t end = std::min(rows.size(), start + static_cast<size_t>(max_results));
  for (size_t i = start; i < end; ++i) out["daemonDeployments"].push_back(rows[i].second);
  if (end < rows.size()) {
    out["nextToken"] = aws::EncodePageToken("daemon-deployments", std::to_string(end));
  }
  return out;
}

json DaemonService::DescribeRevisions(const aws::RequestContext& context,
                                      const std::vector<std::string>& arns) {
  CheckArnCount(arns, "daemonRevisionArns");
  json out = {{"daemonRevisions", json::array()}, {"failures", json::array()}};
  auto lease = database_.Acquire();
  EcsDocumentStore store(lease.db(), PartitionOf(context));
  for (const auto& arn : arns) {
    const auto key = ParseChildArn(context, arn, "daemon-revision");
    const auto found =
        key ? store.Find(EcsDocumentStore::kRevision, key->cluster + "/" + key->name, key->id)
            : std::nullopt;
    if (!found) {
      out["failures"].push_back(Missing(arn));
      continue;
    }
    json doc = json::parse(found->document);
    doc.erase("berth");
    out["daemonRevisions"].push_back(doc);
  }
  return out;
}

}  // namespace berth::ecs
