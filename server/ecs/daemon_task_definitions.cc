// DaemonService's daemon task definitions, and the daemon ARNs. A revision
// is stored as {"daemonTaskDefinition": <the DescribeDaemonTaskDefinition
// shape>}, and beside it (kind runnable) the same containers as a normalised
// bridge-mode task definition, which the reconciler runs daemon tasks from.

#include <algorithm>
#include <charconv>

#include "server/aws/arn.h"
#include "server/aws/json_params.h"
#include "server/aws/pagination.h"
#include "server/ecs/daemon_service.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "server/ecs/service_common.h"
#include "server/ecs/task_definition_rules.h"
#include "storage/ecs_document_store.h"
#include "storage/tag_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;
using storage::EcsDocumentStore;

struct Reference {
  std::string family;
  std::optional<int64_t> revision;
};

// family, family:revision or a daemon-task-definition ARN of this account
// and region.
std::optional<Reference> ParseReference(const aws::RequestContext& context, std::string_view text) {
  std::string owned(text);
  if (text.starts_with("arn:")) {
    const auto arn = aws::Arn::Parse(text);
    static constexpr std::string_view kPrefix = "daemon-task-definition/";
    if (!arn || arn->service != "ecs" || arn->account_id != context.account_id ||
        arn->region != context.region || !arn->resource.starts_with(kPrefix)) {
      return std::nullopt;
    }
    owned = arn->resource.substr(kPrefix.size());
    if (owned.find(':') == std::string::npos) return std::nullopt;
  }
  const std::string_view rest = owned;
  Reference out;
  const size_t colon = rest.find(':');
  out.family = std::string(rest.substr(0, colon));
  if (!IsEcsName(out.family)) return std::nullopt;
  if (colon != std::string_view::npos) {
    const std::string_view digits = rest.substr(colon + 1);
    int64_t revision = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), revision);
    if (ec != std::errc() || end != digits.data() + digits.size() || revision < 1) {
      return std::nullopt;
    }
    out.revision = revision;
  }
  return out;
}

// The stored revision a reference names (bare family: the latest ACTIVE).
std::optional<json> FindRevision(storage::Db& db, const aws::RequestContext& context,
                                 const Reference& ref) {
  EcsDocumentStore store(db, PartitionOf(context));
  if (ref.revision) {
    const auto found =
        store.Find(EcsDocumentStore::kTaskDefinition, ref.family, DaemonRevisionKey(*ref.revision));
    if (!found) return std::nullopt;
    return json::parse(found->document);
  }
  const auto all = store.List(EcsDocumentStore::kTaskDefinition, ref.family);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    json doc = json::parse(it->document);
    if (doc["daemonTaskDefinition"].value("status", "") == "ACTIVE") return doc;
  }
  return std::nullopt;
}

// The request's containers as a task definition the task rules accept.
json RunnableOf(const json& request) {
  json td = {{"family", request.at("family")},
             {"networkMode", "bridge"},
             {"containerDefinitions", request.at("containerDefinitions")}};
  for (const char* key : {"taskRoleArn", "executionRoleArn", "cpu", "memory", "volumes"}) {
    if (request.contains(key)) td[key] = request.at(key);
  }
  return NormaliseTaskDefinition(td);
}

}  // namespace

std::string DaemonArn(const aws::RequestContext& context, std::string_view cluster,
                      std::string_view name) {
  return aws::MakeArn("ecs", context.region, context.account_id,
                      "daemon/" + std::string(cluster) + "/" + std::string(name));
}

std::string DaemonDeploymentArn(const aws::RequestContext& context, std::string_view cluster,
                                std::string_view name, std::string_view id) {
  return aws::MakeArn("ecs", context.region, context.account_id,
                      "daemon-deployment/" + std::string(cluster) + "/" + std::string(name) + "/" +
                          std::string(id));
}

std::string DaemonRevisionArn(const aws::RequestContext& context, std::string_view cluster,
                              std::string_view name, std::string_view id) {
  return aws::MakeArn(
      "ecs", context.region, context.account_id,
      "daemon-revision/" + std::string(cluster) + "/" + std::string(name) + "/" + std::string(id));
}

std::string DaemonTaskDefinitionArn(const aws::RequestContext& context, std::string_view family,
                                    int64_t revision) {
  return aws::MakeArn(
      "ecs", context.region, context.account_id,
      "daemon-task-definition/" + std::string(family) + ":" + std::to_string(revision));
}

std::string DaemonRevisionKey(int64_t revision) { return EcsDocumentStore::RevisionKey(revision); }

std::string DaemonTaskGroup(std::string_view daemon_name) {
  return "daemon:" + std::string(daemon_name);
}

json FindActiveDaemonTaskDefinition(storage::Db& db, const aws::RequestContext& context,
                                    const std::string& reference) {
  const auto ref = ParseReference(context, reference);
  std::optional<json> found;
  if (ref) found = FindRevision(db, context, *ref);
  if (!found || (*found)["daemonTaskDefinition"].value("status", "") != "ACTIVE") {
    throw InvalidParameterException("The specified daemon task definition " + reference +
                                    " does not exist or is not ACTIVE.");
  }
  return *found;
}

std::optional<json> DaemonRunnableDefinition(storage::Db& db, const storage::Partition& partition,
                                             const std::string& family, int64_t revision) {
  const auto found = EcsDocumentStore(db, partition)
                         .Find(EcsDocumentStore::kRunnable, family, DaemonRevisionKey(revision));
  if (!found) return std::nullopt;
  return json::parse(found->document);
}

std::string DaemonService::RegisterTaskDefinition(const aws::RequestContext& context,
                                                  const json& request) {
  const json runnable = RunnableOf(request);  // ClientException as RegisterTaskDefinition
  const std::vector<storage::Tag> tags = ReadEcsTags(request);
  ValidateTags(tags);
  const std::string family = request.at("family").get<std::string>();
  // What DescribeDaemonTaskDefinition shows: the request, with each
  // container's essential made explicit.
  json shown = request;
  shown.erase("tags");
  for (auto& container : shown["containerDefinitions"]) {
    if (!container.contains("essential")) container["essential"] = true;
  }
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  EcsDocumentStore store(lease.db(), PartitionOf(context));
  const auto existing = store.List(EcsDocumentStore::kTaskDefinition, family);
  int64_t revision = 1;
  if (!existing.empty()) {
    revision =
        json::parse(existing.back().document)["daemonTaskDefinition"].value("revision", 0) + 1;
  }
  const std::string arn = DaemonTaskDefinitionArn(context, family, revision);
  shown["daemonTaskDefinitionArn"] = arn;
  shown["revision"] = revision;
  shown["status"] = "ACTIVE";
  shown["registeredAt"] = context.now;
  shown["registeredBy"] = RootPrincipalArn(context);
  json run = runnable;
  run["taskDefinitionArn"] = arn;
  run["revision"] = revision;
  const json document = {{"daemonTaskDefinition", shown}};
  store.Put(EcsDocumentStore::kTaskDefinition, family, DaemonRevisionKey(revision), context.now,
            document.dump());
  store.Put(EcsDocumentStore::kRunnable, family, DaemonRevisionKey(revision), context.now,
            run.dump());
  if (!tags.empty()) storage::TagStore(lease.db()).Put(arn, tags);
  tx.Commit();
  return arn;
}

json DaemonService::DescribeTaskDefinition(const aws::RequestContext& context,
                                           const std::string& reference) {
  const auto ref = ParseReference(context, reference);
  if (!ref) throw ClientException("Unable to describe daemon task definition.");
  auto lease = database_.Acquire();
  const auto found = FindRevision(lease.db(), context, *ref);
  if (!found) throw ClientException("Unable to describe daemon task definition.");
  return found->at("daemonTaskDefinition");
}

std::string DaemonService::DeleteTaskDefinition(const aws::RequestContext& context,
                                                const std::string& reference) {
  const auto ref = ParseReference(context, reference);
  if (!ref || !ref->revision) {
    throw ClientException(
        "The specified daemon task definition identifier is invalid. Specify a valid name or "
        "ARN and revision (family:revision).");
  }
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  auto found = FindRevision(lease.db(), context, *ref);
  if (!found) throw ClientException("The specified daemon task definition does not exist.");
  json& shown = (*found)["daemonTaskDefinition"];
  if (shown.value("status", "") != "ACTIVE") {
    throw ClientException("The specified daemon task definition is not ACTIVE.");
  }
  shown["status"] = "DELETE_IN_PROGRESS";
  shown["deleteRequestedAt"] = context.now;
  EcsDocumentStore(lease.db(), PartitionOf(context))
      .Put(EcsDocumentStore::kTaskDefinition, ref->family, DaemonRevisionKey(*ref->revision),
           context.now, found->dump());
  tx.Commit();
  Wake();  // the scheduler finishes the deletion once no daemon uses it
  return shown.at("daemonTaskDefinitionArn").get<std::string>();
}

json DaemonService::ListTaskDefinitions(const aws::RequestContext& context, const json& request) {
  const std::string status = aws::OptionalString(request, "status").value_or("ACTIVE");
  const auto family = aws::OptionalString(request, "family");
  const std::string prefix = aws::OptionalString(request, "familyPrefix").value_or("");
  const bool last_only = aws::OptionalString(request, "revision").value_or("") == "LAST_REGISTERED";
  const bool descending = aws::OptionalString(request, "sort").value_or("ASC") == "DESC";
  const int64_t max_results = aws::OptionalInt(request, "maxResults").value_or(100);
  if (max_results < 1 || max_results > 100) {
    throw InvalidParameterException("maxResults must be between 1 and 100.");
  }
  std::vector<json> rows;
  {
    auto lease = database_.Acquire();
    const auto all = EcsDocumentStore(lease.db(), PartitionOf(context))
                         .List(EcsDocumentStore::kTaskDefinition, family, prefix);
    for (size_t i = 0; i < all.size(); ++i) {
      const bool last_of_family = i + 1 == all.size() || all[i + 1].name != all[i].name;
      if (last_only && !last_of_family) continue;
      const json shown = json::parse(all[i].document)["daemonTaskDefinition"];
      const std::string s = shown.value("status", "");
      if (s == "DELETED" || (status != "ALL" && s != status)) continue;
      json row = {{"arn", shown.at("daemonTaskDefinitionArn")},
                  {"registeredAt", shown.at("registeredAt")},
                  {"registeredBy", shown.at("registeredBy")},
                  {"status", s}};
      if (shown.contains("deleteRequestedAt"))
        row["deleteRequestedAt"] = shown["deleteRequestedAt"];
      rows.push_back(std::move(row));
    }
  }
  if (descending) std::reverse(rows.begin(), rows.end());
  size_t start = 0;
  if (const auto token = aws::OptionalString(request, "nextToken")) {
    const auto resume = aws::DecodePageToken("daemon-task-definitions", *token);
    if (!resume) throw InvalidParameterException("Invalid nextToken.");
    start = static_cast<size_t>(std::stoull(*resume));
  }
  json out = {{"daemonTaskDefinitions", json::array()}};
  const size_t end = std::min(rows.size(), start + static_cast<size_t>(max_results));
  for (size_t i = start; i < end; ++i) out["daemonTaskDefinitions"].push_back(rows[i]);
  if (end < rows.size()) {
    out["nextToken"] = aws::EncodePageToken("daemon-task-definitions", std::to_string(end));
  }
  return out;
}

}  // namespace berth::ecs
