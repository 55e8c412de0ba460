#include "server/ecr/creation_templates.h"

#include <algorithm>

#include "server/aws/arn.h"
#include "server/aws/aws_error.h"
#include "server/ecr/ecr_errors.h"
#include "server/ecr/lifecycle_policy.h"
#include "server/ecr/policy_document.h"
#include "server/ecr/pull_through_errors.h"
#include "server/ecr/pull_through_rules.h"
#include "storage/pull_through_store.h"

namespace berth::ecr {
namespace {

using nlohmann::json;
using storage::Partition;
using storage::PullThroughStore;

constexpr const char* kSettings[] = {"description",
                                     "encryptionConfiguration",
                                     "resourceTags",
                                     "imageTagMutability",
                                     "imageTagMutabilityExclusionFilters",
                                     "repositoryPolicy",
                                     "lifecyclePolicy",
                                     "appliedFor",
                                     "customRoleArn"};

std::vector<MutabilityFilter> Exclusions(const json& doc) {
  std::vector<MutabilityFilter> out;
  for (const auto& f : doc.value("imageTagMutabilityExclusionFilters", json::array())) {
    out.push_back({f.value("filterType", ""), f.value("filter", "")});
  }
  return out;
}

std::vector<storage::Tag> Tags(const json& doc) {
  std::vector<storage::Tag> out;
  for (const auto& t : doc.value("resourceTags", json::array())) {
    out.push_back({t.value("Key", ""), t.value("Value", "")});
  }
  return out;
}

// Checks a whole template document as ECR does; throws its errors.
void ValidateTemplate(json& doc) {
  const json applied = doc.value("appliedFor", json::array());
  if (applied.empty()) {
    throw aws::AwsError("InvalidParameterException",
                        "Invalid parameter at 'appliedFor' failed to satisfy constraint: 'Member "
                        "must contain at least one of PULL_THROUGH_CACHE, REPLICATION, "
                        "CREATE_ON_PUSH'");
  }
  std::vector<std::string> unique;
  for (const auto& a : applied) {
    if (std::find(unique.begin(), unique.end(), a.get<std::string>()) == unique.end()) {
      unique.push_back(a.get<std::string>());
    }
  }
  doc["appliedFor"] = unique;
  if (!doc.contains("imageTagMutability")) doc["imageTagMutability"] = "MUTABLE";
  ValidateTagMutability(doc["imageTagMutability"].get<std::string>(), Exclusions(doc));
  ValidateTags(Tags(doc));
  if (!doc.contains("encryptionConfiguration")) {
    doc["encryptionConfiguration"] = {{"encryptionType", "AES256"}};
  }
  const json& enc = doc["encryptionConfiguration"];
  if (enc.value("encryptionType", "AES256") == "AES256" && enc.contains("kmsKey") &&
      !enc["kmsKey"].get<std::string>().empty()) {
    throw InvalidParameterAt("encryptionConfiguration",
                             "kmsKey can only be specified when encryptionType is KMS or KMS_DSSE");
  }
  const std::string policy = doc.value("repositoryPolicy", "");
  if (!policy.empty() && !IsValidResourcePolicy(policy)) {
    throw InvalidParameterAt("repositoryPolicy", "Invalid repository policy provided");
  }
  const std::string lifecycle = doc.value("lifecyclePolicy", "");
  if (!lifecycle.empty()) {
    try {
      ParseLifecyclePolicy(lifecycle);
    } catch (const LifecyclePolicyError& e) {
      throw InvalidParameterAt("lifecyclePolicy",
                               std::string("Lifecycle policy validation failure: ") + e.what());
    }
  }
}

json Output(const storage::CreationTemplateRecord& record) {
  json doc = json::parse(record.document);
  doc["prefix"] = record.prefix;
  doc["createdAt"] = record.created_at;
  doc["updatedAt"] = record.updated_at;
  return doc;
}

}  // namespace

json CreationTemplates::Create(const Partition& registry, const json& in, double now) {
  json doc = json::object();
  for (const char* key : kSettings) {
    if (in.contains(key) && !in[key].is_null()) doc[key] = in[key];
  }
  ValidateTemplate(doc);
  const std::string prefix = in.at("prefix").get<std::string>();
  auto lease = database_.Acquire();
  PullThroughStore store(lease.db(), registry);
  storage::CreationTemplateRecord record{prefix, doc.dump(), now, now};
  if (!store.InsertTemplate(record)) {
    throw TemplateAlreadyExistsException(prefix, registry.account_id);
  }
  return Output(record);
}

std::vector<json> CreationTemplates::Describe(const Partition& registry,
                                              const std::vector<std::string>& prefixes) {
  auto lease = database_.Acquire();
  PullThroughStore store(lease.db(), registry);
  std::vector<json> out;
  for (const auto& record : store.ListTemplates()) {
    if (!prefixes.empty() &&
        std::find(prefixes.begin(), prefixes.end(), record.prefix) == prefixes.end()) {
      continue;
    }
    out.push_back(Output(record));
  }
  return out;
}

json CreationTemplates::Update(const Partition& registry, const json& in, double now) {
  const std::string prefix = in.at("prefix").get<std::string>();
  auto lease = database_.Acquire();
  PullThroughStore store(lease.db(), registry);
  auto record = store.FindTemplate(prefix);
  if (!record) throw TemplateNotFoundException(prefix, registry.account_id);
  json doc = json::parse(record->document);
  for (const char* key : kSettings) {
    if (in.contains(key) && !in[key].is_null()) doc[key] = in[key];
  }
  // Filters belong to the *_WITH_EXCLUSION settings only.
  const std::string mutability = doc.value("imageTagMutability", "MUTABLE");
  if ((mutability == "MUTABLE" || mutability == "IMMUTABLE") &&
      !in.contains("imageTagMutabilityExclusionFilters")) {
    doc.erase("imageTagMutabilityExclusionFilters");
  }
  ValidateTemplate(doc);
  record->document = doc.dump();
  record->updated_at = now;
  store.UpdateTemplate(prefix, record->document, now);
  return Output(*record);
}

json CreationTemplates::Delete(const Partition& registry, const std::string& prefix) {
  auto lease = database_.Acquire();
  PullThroughStore store(lease.db(), registry);
  auto record = store.FindTemplate(prefix);
  if (!record) throw TemplateNotFoundException(prefix, registry.account_id);
  store.DeleteTemplate(prefix);
  return Output(*record);
}

std::optional<json> CreationTemplates::Match(const Partition& registry, const std::string& name,
                                             std::string_view applied_for) {
  std::vector<storage::CreationTemplateRecord> records;
  {
    auto lease = database_.Acquire();
    records = PullThroughStore(lease.db(), registry).ListTemplates();
  }
  const storage::CreationTemplateRecord* best = nullptr;
  const storage::CreationTemplateRecord* root = nullptr;
  for (const auto& record : records) {
    const json doc = json::parse(record.document);
    const json applied = doc.value("appliedFor", json::array());
    if (std::find(applied.begin(), applied.end(), std::string(applied_for)) == applied.end())
      continue;
    if (record.prefix == "ROOT") {
      root = &record;
    } else if (PrefixCovers(record.prefix, name) &&
               (best == nullptr ||
                NormalizePrefix(record.prefix).size() > NormalizePrefix(best->prefix).size())) {
      best = &record;
    }
  }
  if (best == nullptr) best = root;
  if (best == nullptr) return std::nullopt;
  return Output(*best);
}

bool CreationTemplates::CreateFromTemplate(const Partition& registry, const std::string& name,
                                           std::string_view applied_for, double now) {
  const auto doc = Match(registry, name, applied_for);
  if (!doc && applied_for != kPullThroughCache) return false;
  RepositorySpec spec;
  spec.name = name;
  std::string policy;
  std::string lifecycle;
  if (doc) {
    spec.tag_mutability = doc->value("imageTagMutability", "MUTABLE");
    spec.exclusions = Exclusions(*doc);
    const json enc = doc->value("encryptionConfiguration", json::object());
    spec.encryption_type = enc.value("encryptionType", "AES256");
    if (enc.contains("kmsKey") && !enc["kmsKey"].get<std::string>().empty()) {
      spec.kms_key = enc["kmsKey"].get<std::string>();
    }
    spec.tags = Tags(*doc);
    policy = doc->value("repositoryPolicy", "");
    lifecycle = doc->value("lifecyclePolicy", "");
    // ECR creates such repositories with the template's role; without one
    // "the repository creation will fail".
    const bool needs_role = !spec.tags.empty() || spec.encryption_type != "AES256";
    if (needs_role && doc->value("customRoleArn", "").empty()) {
      throw TemplateCreationError(
          "the repository creation template '" + doc->value("prefix", "") +
          "' sets resource tags or KMS encryption but has no customRoleArn");
    }
  }
  aws::RequestContext context;
  context.account_id = registry.account_id;
  context.region = registry.region;
  context.now = now;
  try {
    ecr_.CreateRepository(context, registry, spec);
  } catch (const aws::AwsError& e) {
    if (e.type() == "RepositoryAlreadyExistsException") return true;  // a concurrent creation
    throw TemplateCreationError(e.what());
  }
  try {
    if (!policy.empty()) ecr_.SetRepositoryPolicy(registry, name, policy);
    if (!lifecycle.empty()) ecr_.PutLifecyclePolicy(registry, name, lifecycle);
  } catch (const aws::AwsError& e) {
    throw TemplateCreationError(e.what());
  }
  return true;
}

}  // namespace berth::ecr
