#include "server/ecs/service_deployment_service.h"

#include <algorithm>
#include <limits>

#include "server/aws/arn.h"
#include "server/aws/pagination.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/service_common.h"
#include "server/ecs/service_views.h"
#include "storage/service_history_store.h"
#include "storage/service_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

constexpr std::string_view kListing = "ecs.service-deployments";

// The (cluster, service, id) of a service-deployment or service-revision
// ARN of this account and region.
struct HistoryKey {
  std::string cluster;
  std::string service;
  std::string id;
};

std::optional<HistoryKey> ParseHistoryArn(const aws::RequestContext& context,
                                          const std::string& text, std::string_view kind) {
  const auto arn = aws::Arn::Parse(text);
  if (!arn || arn->service != "ecs" || arn->account_id != context.account_id ||
      arn->region != context.region) {
    return std::nullopt;
  }
  const std::string prefix = std::string(kind) + "/";
  if (!arn->resource.starts_with(prefix)) return std::nullopt;
  const std::string rest = arn->resource.substr(prefix.size());
  const auto first = rest.find('/');
  const auto last = rest.rfind('/');
  if (first == std::string::npos || first == last) return std::nullopt;
  return HistoryKey{rest.substr(0, first), rest.substr(first + 1, last - first - 1),
                    rest.substr(last + 1)};
}

bool Finished(const std::string& status) {
  return status == "SUCCESSFUL" || status == "STOPPED" || status == "ROLLBACK_SUCCESSFUL" ||
         status == "ROLLBACK_FAILED";
}

}  // namespace

std::vector<json> ServiceDeploymentService::List(const aws::RequestContext& context,
                                                 const ListServiceDeploymentsQuery& query,
                                                 std::string& next) {
  if (query.max_results < 1 || query.max_results > 100) {
    throw InvalidParameterException("maxResults must be between 1 and 100.");
  }
  size_t offset = 0;
  if (!query.token.empty()) {
    const auto key = aws::DecodePageToken(kListing, query.token);
    if (!key || key->empty() ||
        !std::all_of(key->begin(), key->end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw InvalidParameterException("Invalid nextToken.");
    }
    offset = std::stoul(*key);
  }
  auto lease = database_.Acquire();
  const storage::ClusterRecord cluster = ActiveCluster(lease.db(), context, query.cluster);
  const storage::ServiceRecord service =
      FindService(lease.db(), context, cluster.name, query.service);
  const auto all =
      storage::ServiceHistoryStore(lease.db(), PartitionOf(context))
          .Deployments(cluster.name, service.name, query.created_after.value_or(-1),
                       query.created_before.value_or(std::numeric_limits<double>::max()));
  std::vector<json> page;
  size_t index = 0;
  for (const auto& sd : all) {
    if (!query.statuses.empty() && std::find(query.statuses.begin(), query.statuses.end(),
                                             sd.status) == query.statuses.end()) {
      continue;
    }
    if (index++ < offset) continue;
    if (page.size() == query.max_results) {
      next = aws::EncodePageToken(kListing, std::to_string(offset + page.size()));
      break;
    }
    page.push_back(ServiceDeploymentBriefJson(context, service, sd));
  }
  return page;
}

DescribeResult ServiceDeploymentService::DescribeDeployments(const aws::RequestContext& context,
                                                             const std::vector<std::string>& arns) {
  if (arns.empty()) throw InvalidParameterException("serviceDeploymentArns cannot be empty.");
  if (arns.size() > 20) {
    throw InvalidParameterException("serviceDeploymentArns can have at most 20 items.");
  }
  auto lease = database_.Acquire();
  storage::ServiceStore services(lease.db(), PartitionOf(context));
  storage::ServiceHistoryStore history(lease.db(), PartitionOf(context));
  DescribeResult result;
  for (const auto& arn : arns) {
    const auto key = ParseHistoryArn(context, arn, "service-deployment");
    const auto service = key ? services.Find(key->cluster, key->service) : std::nullopt;
    const auto sd =
        service ? history.FindDeployment(key->cluster, key->service, key->id) : std::nullopt;
    if (!sd) {
      result.failures.push_back({{"arn", arn}, {"reason", "MISSING"}});
      continue;
    }
    result.items.push_back(
        ServiceDeploymentJson(context, LoadServiceState(lease.db(), *service), *sd));
  }
  return result;
}

DescribeResult ServiceDeploymentService::DescribeRevisions(const aws::RequestContext& context,
                                                           const std::vector<std::string>& arns) {
  if (arns.empty()) throw InvalidParameterException("serviceRevisionArns cannot be empty.");
  if (arns.size() > 20) {
    throw InvalidParameterException("serviceRevisionArns can have at most 20 items.");
  }
  auto lease = database_.Acquire();
  storage::ServiceHistoryStore history(lease.db(), PartitionOf(context));
  DescribeResult result;
  for (const auto& arn : arns) {
    const auto key = ParseHistoryArn(context, arn, "service-revision");
    const auto revision =
        key ? history.FindRevision(key->cluster, key->service, key->id) : std::nullopt;
    if (!revision) {
      result.failures.push_back({{"arn", arn}, {"reason", "MISSING"}});
      continue;
    }
    result.items.push_back(json::parse(revision->document));
  }
  return result;
}

std::string ServiceDeploymentService::Stop(const aws::RequestContext& context,
                                           const std::string& arn, const std::string& stop_type) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto key = ParseHistoryArn(context, arn, "service-deployment");
  if (!key) throw ServiceDeploymentNotFoundException();
  storage::ServiceHistoryStore history(lease.db(), PartitionOf(context));
  auto sd = history.FindDeployment(key->cluster, key->service, key->id);
  if (!sd) throw ServiceDeploymentNotFoundException();
  if (Finished(sd->status)) {
    throw aws::AwsError("ConflictException", "The service deployment is already " + sd->status +
                                                 " and cannot be stopped.")
        .With("resourceIds", json::array({arn}));
  }
  if (sd->status != "PENDING" && sd->status != "IN_PROGRESS") return arn;  // already stopping
  storage::ServiceStore services(lease.db(), PartitionOf(context));
  std::optional<storage::DeploymentRecord> deployment;
  for (const auto& d : services.Deployments(key->cluster, key->service)) {
    if (d.service_deployment == sd->id) deployment = d;
  }
  json doc = json::parse(sd->document);
  doc["updatedAt"] = context.now;
  if (stop_type == "ABORT") {
    // The deployment stops where it is: no more of its tasks start.
    sd->status = "STOPPED";
    doc["stoppedAt"] = context.now;
    doc["statusReason"] = "The service deployment was stopped by StopServiceDeployment.";
    if (deployment) {
      deployment->rollout_state = "FAILED";
      deployment->rollout_reason = "ECS deployment " + deployment->id + " stopped.";
      deployment->updated_at = context.now;
      services.PutDeployment(key->cluster, key->service, *deployment);
    }
  } else {
    sd->status = "ROLLBACK_REQUESTED";
    doc["rollbackRequested"] = true;
    if (deployment && deployment->status == "PRIMARY") {
      json d_doc = json::parse(deployment->document);
      d_doc["rollbackRequested"] = true;
      deployment->document = d_doc.dump();
      services.PutDeployment(key->cluster, key->service, *deployment);
    }
  }
  sd->document = doc.dump();
  history.PutDeployment(*sd);
  tx.Commit();
  Wake();
  return arn;
}

std::string ServiceDeploymentService::Continue(const aws::RequestContext& context,
                                               const std::string& arn, const std::string& hook_id,
                                               const std::string& action) {
  (void)action;
  auto lease = database_.Acquire();
  const auto key = ParseHistoryArn(context, arn, "service-deployment");
  if (!key) throw ServiceDeploymentNotFoundException();
  const auto sd = storage::ServiceHistoryStore(lease.db(), PartitionOf(context))
                      .FindDeployment(key->cluster, key->service, key->id);
  if (!sd) throw ServiceDeploymentNotFoundException();
  // Rolling deployments have no lifecycle hooks: none ever waits for action.
  throw InvalidParameterException("The lifecycle hook " + hook_id +
                                  " is not awaiting action in this service deployment.");
}

}  // namespace berth::ecs
