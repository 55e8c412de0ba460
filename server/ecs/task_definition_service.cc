#include "server/ecs/task_definition_service.h"

#include <charconv>
#include <utility>

#include "server/aws/arn.h"
#include "server/aws/pagination.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "server/ecs/task_definition_rules.h"
#include "server/util/compact_json.h"
#include "storage/tag_store.h"
#include "storage/task_definition_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;
using storage::TaskDefinitionRecord;
using storage::TaskDefinitionStore;

constexpr size_t kMaxDefinitionPageSize = 100;
constexpr size_t kMaxDeleteReferences = 10;

// Page-token listings; a token from one is refused by the others.
constexpr std::string_view kAscendingListing = "ecs.task-definitions.asc";
constexpr std::string_view kDescendingListing = "ecs.task-definitions.desc";
constexpr std::string_view kFamilyListing = "ecs.task-definition-families";

// Reasons DeleteTaskDefinitions reports in failures[] (as real ECS words them).
constexpr const char* kInvalidIdentifierReason =
    "The specified task definition identifier is invalid. Specify a valid name or ARN and try "
    "again.";
constexpr const char* kMissingReason =
    "The specified task definition does not exist. Specify a valid account, family, revision and "
    "try again.";
constexpr const char* kActiveReason =
    "The specified task definition is still in ACTIVE status. Please deregister the target and "
    "try again.";

// A task definition reference (family, family:revision or ARN), parsed.
struct Reference {
  std::string family;
  std::optional<int64_t> revision;
  bool foreign = false;  // an ARN of another account or region
};

std::optional<int64_t> ParseRevision(std::string_view digits) {
  int64_t revision = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), revision);
  if (ec != std::errc() || end != digits.data() + digits.size() || revision <= 0) {
    return std::nullopt;
  }
  return revision;
}

// nullopt when `text` is no well-formed reference.
std::optional<Reference> ParseReference(const aws::RequestContext& context, std::string_view text) {
  Reference reference;
  std::string resource;
  if (text.starts_with("arn:")) {
    const auto arn = aws::Arn::Parse(text);
    if (!arn || arn->partition != aws::PartitionForRegion(context.region) ||
        arn->service != "ecs" || !arn->resource.starts_with("task-definition/")) {
      return std::nullopt;
    }
    reference.foreign = arn->account_id != context.account_id || arn->region != context.region;
    resource = arn->resource.substr(16);
    text = resource;
  }
  const auto colon = text.find(':');
  reference.family = std::string(text.substr(0, colon));
  if (!IsEcsName(reference.family)) return std::nullopt;
  if (colon != std::string_view::npos) {
    reference.revision = ParseRevision(text.substr(colon + 1));
    if (!reference.revision) return std::nullopt;
  }
  return reference;
}

// The document the API serves: the stored one plus status and timestamps.
json ServedDocument(json document, const TaskDefinitionRecord& record) {
  document["status"] = record.status;
  document["registeredAt"] = record.registered_at;
  if (record.deregistered_at) document["deregisteredAt"] = *record.deregistered_at;
  if (record.delete_requested_at) document["deleteRequestedAt"] = *record.delete_requested_at;
  return document;
}

json ServedDocument(const TaskDefinitionRecord& record) {
  return ServedDocument(json::parse(record.document), record);
}

TaskDefinition Load(storage::Db& db, const aws::RequestContext& context,
                    const TaskDefinitionRecord& record) {
  const std::string arn = TaskDefinitionArn(context, record.family, record.revision);
  return TaskDefinition{ServedDocument(record), storage::TagStore(db).List(arn)};
}

std::vector<storage::Tag> RequestTags(const json& request) {
  std::vector<storage::Tag> tags;
  const auto it = request.find("tags");
  if (it == request.end() || it->is_null()) return tags;
  for (const auto& tag : *it) tags.push_back({tag.value("key", ""), tag.value("value", "")});
  return tags;
}

void CheckPageSize(size_t max_results) {
  if (max_results < 1 || max_results > kMaxDefinitionPageSize) {
    throw InvalidParameterException("maxResults must be between 1 and 100.");
  }
}

AwsError InvalidToken() { return InvalidParameterException("Invalid nextToken."); }

std::string EncodeRevisionKey(std::string_view listing, const storage::RevisionKey& key) {
  return aws::EncodePageToken(listing, key.family + ":" + std::to_string(key.revision));
}

storage::RevisionKey DecodeRevisionKey(std::string_view listing, const std::string& token) {
  const auto key = aws::DecodePageToken(listing, token);
  if (!key) throw InvalidToken();
  const auto colon = key->rfind(':');
  if (colon == std::string::npos) throw InvalidToken();
  storage::RevisionKey resume{key->substr(0, colon), 0};
  const auto revision = ParseRevision(std::string_view(*key).substr(colon + 1));
  if (!IsEcsName(resume.family) || !revision) throw InvalidToken();
  resume.revision = *revision;
  return resume;
}

TaskDefinitionStore::FamilyFilter FamilyFilterOf(const std::string& status) {
  if (status == "ACTIVE") return TaskDefinitionStore::FamilyFilter::kActive;
  if (status == "INACTIVE") return TaskDefinitionStore::FamilyFilter::kInactive;
  if (status == "ALL") return TaskDefinitionStore::FamilyFilter::kAll;
  throw InvalidParameterException("status must be one of ACTIVE, INACTIVE or ALL.");
}

}  // namespace

TaskDefinition TaskDefinitionService::Register(const aws::RequestContext& context,
                                               const json& request) {
  json document = NormaliseTaskDefinition(request);
  const std::vector<storage::Tag> tags = RequestTags(request);
  ValidateTags(tags);
  const std::string family = document.at("family").get<std::string>();
  document["registeredBy"] = RootPrincipalArn(context);
  // Serialised before the lease, whose span every writer waits for: the two
  // members the revision decides go in front once it is known. (Readers parse
  // the stored text; the order of its members does not matter.)
  const std::string members = util::CompactJson(document);
  TaskDefinitionRecord record;
  record.family = family;
  record.status = "ACTIVE";
  record.registered_at = context.now;
  std::string arn;
  {
    auto lease = database_.Acquire();
    storage::Tx tx(lease.db());
    TaskDefinitionStore store(lease.db(), PartitionOf(context));
    record.revision = store.NextRevision(family);
    arn = TaskDefinitionArn(context, family, record.revision);
    record.document = R"({"revision":)" + std::to_string(record.revision) +
                      R"(,"taskDefinitionArn":)" + json(arn).dump() + "," + members.substr(1);
    store.Insert(record);
    storage::TagStore(lease.db()).Put(arn, tags);
    tx.Commit();
  }
  // The reply is the document just stored: no need to parse it back.
  document["taskDefinitionArn"] = std::move(arn);
  document["revision"] = record.revision;
  return TaskDefinition{ServedDocument(std::move(document), record), tags};
}

std::optional<json> FindTaskDefinition(storage::Db& db, const aws::RequestContext& context,
                                       const std::string& reference) {
  const auto parsed = ParseReference(context, reference);
  if (!parsed || parsed->foreign) return std::nullopt;
  TaskDefinitionStore store(db, PartitionOf(context));
  const auto record = parsed->revision ? store.Find(parsed->family, *parsed->revision)
                                       : store.FindLatestActive(parsed->family);
  if (!record) return std::nullopt;
  return ServedDocument(*record);
}

TaskDefinition TaskDefinitionService::Describe(const aws::RequestContext& context,
                                               const std::string& reference) {
  const auto parsed = ParseReference(context, reference);
  if (!parsed) {
    // family:<not a number> is a malformed revision, not a missing one (an
    // ARN without a resource part is neither).
    const bool arn = reference.starts_with("arn:");
    const size_t slash = reference.find('/');
    const std::string_view text = arn && slash == std::string::npos
                                      ? std::string_view()
                                      : std::string_view(reference).substr(arn ? slash + 1 : 0);
    const auto colon = text.find(':');
    if (colon != std::string_view::npos && IsEcsName(text.substr(0, colon))) {
      const std::string number(text.substr(colon + 1));
      if (!ParseRevision(number)) {
        throw InvalidParameterException("Invalid revision number. Number: " + number);
      }
    }
  }
  if (!parsed || parsed->foreign) throw ClientException("Unable to describe task definition.");
  auto lease = database_.Acquire();
  TaskDefinitionStore store(lease.db(), PartitionOf(context));
  const auto record = parsed->revision ? store.Find(parsed->family, *parsed->revision)
                                       : store.FindLatestActive(parsed->family);
  if (!record) throw ClientException("Unable to describe task definition.");
  return Load(lease.db(), context, *record);
}

NamePage TaskDefinitionService::List(const aws::RequestContext& context,
                                     const std::optional<std::string>& family,
                                     const std::string& status, bool descending,
                                     const std::string& token, size_t max_results) {
  CheckPageSize(max_results);
  const std::string_view listing = descending ? kDescendingListing : kAscendingListing;
  std::optional<storage::RevisionKey> after;
  if (!token.empty()) after = DecodeRevisionKey(listing, token);
  // A token of a listing of another family does not resume this one.
  if (family && after && after->family != *family) throw InvalidToken();
  auto lease = database_.Acquire();
  TaskDefinitionStore store(lease.db(), PartitionOf(context));
  // One row beyond the page says whether another page follows.
  const auto keys =
      family ? store.ListFamilyRevisions(
                   status, *family, descending,
                   after ? std::optional<int64_t>(after->revision) : std::nullopt, max_results + 1)
             : store.List(status, std::nullopt, descending, after, max_results + 1);
  NamePage page;
  for (size_t i = 0; i < keys.size() && i < max_results; ++i) {
    page.items.push_back(TaskDefinitionArn(context, keys[i].family, keys[i].revision));
  }
  if (keys.size() > max_results) page.next = EncodeRevisionKey(listing, keys[max_results - 1]);
  return page;
}

NamePage TaskDefinitionService::ListFamilies(const aws::RequestContext& context,
                                             const std::string& prefix, const std::string& status,
                                             const std::string& token, size_t max_results) {
  CheckPageSize(max_results);
  const auto filter = FamilyFilterOf(status);
  std::string after;
  if (!token.empty()) {
    const auto key = aws::DecodePageToken(kFamilyListing, token);
    if (!key || !IsEcsName(*key)) throw InvalidToken();
    after = *key;
  }
  NamePage page;
  // No family can start with characters families may not contain.
  if (!prefix.empty() && !IsEcsName(prefix)) return page;
  auto lease = database_.Acquire();
  auto families = TaskDefinitionStore(lease.db(), PartitionOf(context))
                      .ListFamilies(prefix, filter, after, max_results + 1);
  if (families.size() > max_results) {
    families.resize(max_results);
    page.next = aws::EncodePageToken(kFamilyListing, families.back());
  }
  page.items = std::move(families);
  return page;
}

TaskDefinition TaskDefinitionService::Deregister(const aws::RequestContext& context,
                                                 const std::string& reference) {
  const auto parsed = ParseReference(context, reference);
  if (parsed && !parsed->foreign && !parsed->revision) {
    throw ClientException("Revision is missing.");
  }
  if (!parsed || parsed->foreign) {
    throw ClientException("The specified task definition does not exist.");
  }
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  TaskDefinitionStore store(lease.db(), PartitionOf(context));
  auto record = store.Find(parsed->family, *parsed->revision);
  if (!record) throw ClientException("The specified task definition does not exist.");
  if (record->status == "ACTIVE") {
    record->status = "INACTIVE";
    record->deregistered_at = context.now;
    store.UpdateStatus(record->family, record->revision, record->status, record->deregistered_at,
                       record->delete_requested_at);
  }
  tx.Commit();
  return Load(lease.db(), context, *record);
}

std::vector<DeleteOutcome> TaskDefinitionService::Delete(
    const aws::RequestContext& context, const std::vector<std::string>& references) {
  if (references.empty() || references.size() > kMaxDeleteReferences) {
    throw InvalidParameterException("taskDefinitions must contain between 1 and 10 references.");
  }
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  TaskDefinitionStore store(lease.db(), PartitionOf(context));
  std::vector<DeleteOutcome> outcomes;
  for (const auto& reference : references) {
    DeleteOutcome outcome;
    outcome.arn = reference;
    const auto parsed = ParseReference(context, reference);
    if (!parsed || !parsed->revision) {
      outcome.reason = kInvalidIdentifierReason;
      outcomes.push_back(std::move(outcome));
      continue;
    }
    auto record = parsed->foreign ? std::nullopt : store.Find(parsed->family, *parsed->revision);
    if (!record) {
      outcome.reason = kMissingReason;
    } else if (record->status == "ACTIVE") {
      outcome.reason = kActiveReason;
    } else {
      // INACTIVE moves on; DELETE_IN_PROGRESS stays as it is.
      if (record->status == "INACTIVE") {
        record->status = "DELETE_IN_PROGRESS";
        record->delete_requested_at = context.now;
        store.UpdateStatus(record->family, record->revision, record->status,
                           record->deregistered_at, record->delete_requested_at);
      }
      outcome.task_definition = ServedDocument(*record);
    }
    outcomes.push_back(std::move(outcome));
  }
  tx.Commit();
  return outcomes;
}

}  // namespace berth::ecs
