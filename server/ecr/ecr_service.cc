#include "server/ecr/ecr_service.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "server/aws/arn.h"
#include "server/aws/pagination.h"
#include "server/ecr/ecr_errors.h"
#include "server/ecr/lifecycle_policy.h"
#include "server/ecr/policy_document.h"
#include "server/util/crypto.h"
#include "storage/ecr_store.h"
#include "storage/image_store.h"
#include "storage/meta_store.h"
#include "storage/tag_store.h"

namespace berth::ecr {
namespace {

using nlohmann::json;
using storage::Partition;

constexpr std::string_view kTokenSecretKey = "ecr.token_secret";
constexpr std::string_view kRepositoryListing = "ecr.repositories";
constexpr std::string_view kDefaultScanning = R"({"scanType":"BASIC","rules":[]})";
constexpr std::string_view kDefaultReplication = R"({"rules":[]})";

// The token secret survives restarts so that issued tokens stay valid.
std::string LoadOrCreateSecret(storage::Database& database) {
  auto lease = database.Acquire();
  storage::MetaStore meta(lease.db());
  if (auto secret = meta.Get(kTokenSecretKey)) return *secret;
  std::string secret = crypto::RandomHex(64);
  meta.Set(kTokenSecretKey, secret);
  return secret;
}

std::optional<std::string> ExclusionsJson(const std::vector<MutabilityFilter>& exclusions) {
  if (exclusions.empty()) return std::nullopt;
  json list = json::array();
  for (const auto& e : exclusions) list.push_back({{"filterType", e.type}, {"filter", e.filter}});
  return list.dump();
}

std::vector<MutabilityFilter> ParseExclusions(const std::optional<std::string>& text) {
  std::vector<MutabilityFilter> out;
  if (!text) return out;
  for (const auto& e : json::parse(*text)) {
    out.push_back({e.at("filterType").get<std::string>(), e.at("filter").get<std::string>()});
  }
  return out;
}

// The AWS managed key (aws/ecr) of a registry, as ECR reports it for a
// repository encrypted with KMS and no key of its own: a key ARN whose uuid
// is the same for every repository of the account and region (derived from
// them, so it needs no storage).
std::string DefaultEcrKmsKey(const Partition& registry) {
  const std::string hex =
      crypto::Sha256Hex("berth aws/ecr key " + registry.account_id + " " + registry.region);
  // Shaped as a version 4 UUID, as KMS key ids are.
  const std::string uuid = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-4" + hex.substr(13, 3) +
                           "-" + std::string(1, "89ab"[hex[16] % 4]) + hex.substr(17, 3) + "-" +
                           hex.substr(20, 12);
  return aws::MakeArn("kms", registry.region, registry.account_id, "key/" + uuid);
}

bool IsWithExclusion(const std::string& mutability) {
  return mutability.ends_with("_WITH_EXCLUSION");
}

}  // namespace

void ValidateTags(const std::vector<storage::Tag>& tags) {
  std::set<std::string> seen;
  for (const auto& tag : tags) {
    if (tag.key.empty() || tag.key.size() > 128) {
      throw InvalidTagParameterException("Tag keys must be between 1 and 128 characters long");
    }
    if (tag.value.size() > 256) {
      throw InvalidTagParameterException("Tag values must be at most 256 characters long");
    }
    if (tag.key.starts_with("aws:")) {
      throw InvalidTagParameterException("Tag keys starting with 'aws:' are reserved for AWS use");
    }
    if (!seen.insert(tag.key).second) {
      throw InvalidTagParameterException("Duplicate tag key '" + tag.key + "' in the request");
    }
  }
}

void ValidateTagMutability(const std::string& mutability,
                           const std::vector<MutabilityFilter>& exclusions) {
  if (IsWithExclusion(mutability) && exclusions.empty()) {
    throw InvalidParameterAt("imageTagMutabilityExclusionFilters",
                             "imageTagMutabilityExclusionFilters must be specified when "
                             "imageTagMutability is " +
                                 mutability);
  }
  if (!IsWithExclusion(mutability) && !exclusions.empty()) {
    throw InvalidParameterAt("imageTagMutabilityExclusionFilters",
                             "imageTagMutabilityExclusionFilters can only be specified when "
                             "imageTagMutability is IMMUTABLE_WITH_EXCLUSION or "
                             "MUTABLE_WITH_EXCLUSION");
  }
}

EcrService::EcrService(storage::Database& database, EcrOptions options, ImageService& images)
    : database_(database), options_(std::move(options)), images_(images) {}

const TokenIssuer& EcrService::tokens() {
  std::call_once(tokens_once_, [this] { tokens_.emplace(LoadOrCreateSecret(database_)); });
  return *tokens_;
}

std::string EcrService::RepositoryUri(const std::string& name) const {
  return options_.registry_host + "/" + name;
}

std::string EcrService::RepositoryArn(const std::string& registry_id, const std::string& region,
                                      const std::string& name) const {
  return aws::MakeArn("ecr", region, registry_id, "repository/" + name);
}

Partition EcrService::Registry(const aws::RequestContext& context,
                               const std::optional<std::string>& registry_id) {
  return Partition{registry_id.value_or(context.account_id), context.region};
}

storage::RepositoryRecord EcrService::RequireRepository(storage::Db& db, const Partition& registry,
                                                        const std::string& name) {
  auto record = storage::EcrStore(db, registry).FindRepository(name);
  if (!record) throw RepositoryNotFoundException(name, registry.account_id);
  return std::move(*record);
}

Repository EcrService::Describe(const Partition& registry, storage::RepositoryRecord record) const {
  Repository repository;
  repository.exclusions = ParseExclusions(record.mutability_exclusions);
  repository.record = std::move(record);
  repository.registry_id = registry.account_id;
  repository.region = registry.region;
  return repository;
}

Repository EcrService::CreateRepository(const aws::RequestContext& context,
                                        const Partition& registry, const RepositorySpec& spec) {
  (void)context;
  ValidateTagMutability(spec.tag_mutability, spec.exclusions);
  ValidateTags(spec.tags);
  if (spec.tags.size() > kMaxTags) {
    throw TooManyTagsException("A repository can have at most 50 tags");
  }
  std::optional<std::string> kms_key = spec.kms_key;
  if (spec.encryption_type == "AES256" && kms_key) {
    throw InvalidParameterAt("encryptionConfiguration",
                             "kmsKey can only be specified when encryptionType is KMS or KMS_DSSE");
  }
  if (spec.encryption_type != "AES256" && !kms_key) kms_key = DefaultEcrKmsKey(registry);

  storage::RepositoryRecord record;
  record.name = spec.name;
  record.created_at = context.now;
  record.tag_mutability = spec.tag_mutability;
  record.mutability_exclusions = ExclusionsJson(spec.exclusions);
  record.scan_on_push = spec.scan_on_push;
  record.encryption_type = spec.encryption_type;
  record.kms_key = kms_key;

  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto id = storage::EcrStore(lease.db(), registry).InsertRepository(record);
  if (!id) throw RepositoryAlreadyExistsException(spec.name, registry.account_id);
  record.id = *id;
  const std::string arn = RepositoryArn(registry.account_id, registry.region, spec.name);
  storage::TagStore tag_store(lease.db());
  tag_store.RemoveAll(arn);  // a repository of this name may have been deleted before
  tag_store.Put(arn, spec.tags);
  tx.Commit();
  return Describe(registry, std::move(record));
}

std::vector<Repository> EcrService::DescribeRepositories(const Partition& registry,
                                                         const std::vector<std::string>& names) {
  auto lease = database_.Acquire();
  std::vector<Repository> out;
  std::set<std::string> seen;
  for (const auto& name : names) {
    if (!seen.insert(name).second) continue;
    out.push_back(Describe(registry, RequireRepository(lease.db(), registry, name)));
  }
  return out;
}

Page<Repository> EcrService::ListRepositories(const Partition& registry, const std::string& token,
                                              size_t max_results) {
  std::string after;
  if (!token.empty()) {
    auto key = aws::DecodePageToken(kRepositoryListing, token);
    if (!key) throw InvalidParameterAt("nextToken", "Invalid NextToken");
    after = std::move(*key);
  }
  auto lease = database_.Acquire();
  auto records = storage::EcrStore(lease.db(), registry).ListRepositories(after, max_results + 1);
  Page<Repository> page;
  if (records.size() > max_results) {
    records.resize(max_results);
    page.next = aws::EncodePageToken(kRepositoryListing, records.back().name);
  }
  for (auto& record : records) page.items.push_back(Describe(registry, std::move(record)));
  return page;
}

std::vector<std::string> EcrService::ListRepositoryNames(const Partition& registry,
                                                         const std::string& after, size_t limit) {
  auto lease = database_.Acquire();
  std::vector<std::string> names;
  for (auto& record : storage::EcrStore(lease.db(), registry).ListRepositories(after, limit)) {
    names.push_back(std::move(record.name));
  }
  return names;
}

Repository EcrService::DeleteRepository(const Partition& registry, const std::string& name,
                                        bool force) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  auto record = RequireRepository(lease.db(), registry, name);
  DoomedBlobs doomed;
  if (!force && storage::ImageStore(lease.db()).CountImages(record.id) > 0) {
    throw RepositoryNotEmptyException(name, registry.account_id);
  }
  images_.PurgeRepository(lease.db(), record.id, doomed);
  storage::EcrStore(lease.db(), registry).DeleteRepository(record.id);
  storage::TagStore(lease.db())
      .RemoveAll(RepositoryArn(registry.account_id, registry.region, name));
  tx.Commit();
  images_.RemoveFiles(doomed);
  return Describe(registry, std::move(record));
}

Repository EcrService::PutImageTagMutability(const Partition& registry, const std::string& name,
                                             const std::string& mutability,
                                             const std::vector<MutabilityFilter>& exclusions) {
  ValidateTagMutability(mutability, exclusions);
  auto lease = database_.Acquire();
  auto record = RequireRepository(lease.db(), registry, name);
  record.tag_mutability = mutability;
  record.mutability_exclusions = ExclusionsJson(exclusions);
  storage::EcrStore(lease.db(), registry)
      .UpdateTagMutability(record.id, mutability, record.mutability_exclusions);
  return Describe(registry, std::move(record));
}

Repository EcrService::PutImageScanningConfiguration(const Partition& registry,
                                                     const std::string& name, bool scan_on_push) {
  auto lease = database_.Acquire();
  auto record = RequireRepository(lease.db(), registry, name);
  record.scan_on_push = scan_on_push;
  storage::EcrStore(lease.db(), registry).UpdateScanOnPush(record.id, scan_on_push);
  return Describe(registry, std::move(record));
}

std::string EcrService::SetRepositoryPolicy(const Partition& registry, const std::string& name,
                                            const std::string& policy_text) {
  if (!IsValidResourcePolicy(policy_text)) {
    throw InvalidParameterAt("PolicyText", "Invalid repository policy provided");
  }
  auto lease = database_.Acquire();
  auto record = RequireRepository(lease.db(), registry, name);
  storage::EcrStore(lease.db(), registry).UpdatePolicy(record.id, policy_text);
  return policy_text;
}

std::string EcrService::GetRepositoryPolicy(const Partition& registry, const std::string& name) {
  auto lease = database_.Acquire();
  auto record = RequireRepository(lease.db(), registry, name);
  if (!record.policy_text) throw RepositoryPolicyNotFoundException(name, registry.account_id);
  return *record.policy_text;
}

std::string EcrService::DeleteRepositoryPolicy(const Partition& registry, const std::string& name) {
  auto lease = database_.Acquire();
  auto record = RequireRepository(lease.db(), registry, name);
  if (!record.policy_text) throw RepositoryPolicyNotFoundException(name, registry.account_id);
  storage::EcrStore(lease.db(), registry).UpdatePolicy(record.id, std::nullopt);
  return *record.policy_text;
}

std::string EcrService::PutLifecyclePolicy(const Partition& registry, const std::string& name,
                                           const std::string& policy_text) {
  try {
    ParseLifecyclePolicy(policy_text);
  } catch (const LifecyclePolicyError& e) {
    throw InvalidParameterAt("LifecyclePolicyText",
                             std::string("Lifecycle policy validation failure: ") + e.what());
  }
  auto lease = database_.Acquire();
  auto record = RequireRepository(lease.db(), registry, name);
  storage::EcrStore(lease.db(), registry).UpdateLifecyclePolicy(record.id, policy_text);
  return policy_text;
}

storage::RepositoryRecord EcrService::GetLifecyclePolicy(const Partition& registry,
                                                         const std::string& name) {
  auto lease = database_.Acquire();
  auto record = RequireRepository(lease.db(), registry, name);
  if (!record.lifecycle_policy) throw LifecyclePolicyNotFoundException(name, registry.account_id);
  return record;
}

storage::RepositoryRecord EcrService::DeleteLifecyclePolicy(const Partition& registry,
                                                            const std::string& name) {
  auto lease = database_.Acquire();
  auto record = RequireRepository(lease.db(), registry, name);
  if (!record.lifecycle_policy) throw LifecyclePolicyNotFoundException(name, registry.account_id);
  storage::EcrStore(lease.db(), registry).UpdateLifecyclePolicy(record.id, std::nullopt);
  return record;
}

Partition EcrService::RepositoryFromArn(const aws::RequestContext& context, const std::string& arn,
                                        std::string& name) const {
  // Repositories of another region (or partition) are not visible here.
  const auto parsed = aws::Arn::Parse(arn);
  if (!parsed || parsed->service != "ecr" || !parsed->resource.starts_with("repository/") ||
      parsed->resource.size() <= std::string_view("repository/").size() ||
      parsed->account_id.size() != 12 || parsed->region != context.region ||
      parsed->partition != aws::PartitionForRegion(context.region)) {
    throw InvalidParameterAt("resourceArn", "Invalid ARN: " + arn);
  }
  name = parsed->resource.substr(std::string_view("repository/").size());
  return Partition{parsed->account_id, parsed->region};
}

std::vector<storage::Tag> EcrService::ListTagsForResource(const aws::RequestContext& context,
                                                          const std::string& arn) {
  std::string name;
  const Partition registry = RepositoryFromArn(context, arn, name);
  auto lease = database_.Acquire();
  RequireRepository(lease.db(), registry, name);
  return storage::TagStore(lease.db())
      .List(RepositoryArn(registry.account_id, registry.region, name));
}

void EcrService::TagResource(const aws::RequestContext& context, const std::string& arn,
                             const std::vector<storage::Tag>& tags) {
  ValidateTags(tags);
  std::string name;
  const Partition registry = RepositoryFromArn(context, arn, name);
  const std::string canonical = RepositoryArn(registry.account_id, registry.region, name);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  RequireRepository(lease.db(), registry, name);
  storage::TagStore store(lease.db());
  store.Put(canonical, tags);
  if (store.Count(canonical) > kMaxTags) {
    throw TooManyTagsException("A repository can have at most 50 tags");  // Tx rolls back
  }
  tx.Commit();
}

void EcrService::UntagResource(const aws::RequestContext& context, const std::string& arn,
                               const std::vector<std::string>& keys) {
  std::string name;
  const Partition registry = RepositoryFromArn(context, arn, name);
  auto lease = database_.Acquire();
  RequireRepository(lease.db(), registry, name);
  storage::TagStore(lease.db())
      .Remove(RepositoryArn(registry.account_id, registry.region, name), keys);
}

std::string EcrService::PutRegistryPolicy(const Partition& registry, const std::string& text) {
  if (!IsValidResourcePolicy(text)) {
    throw InvalidParameterAt("PolicyText", "Invalid registry policy provided");
  }
  auto lease = database_.Acquire();
  storage::EcrStore(lease.db(), registry).UpdateRegistryPolicy(text);
  return text;
}

std::string EcrService::GetRegistryPolicy(const Partition& registry) {
  auto lease = database_.Acquire();
  auto record = storage::EcrStore(lease.db(), registry).GetRegistry();
  if (!record.policy_text) throw RegistryPolicyNotFoundException(registry.account_id);
  return *record.policy_text;
}

std::string EcrService::DeleteRegistryPolicy(const Partition& registry) {
  auto lease = database_.Acquire();
  storage::EcrStore store(lease.db(), registry);
  auto record = store.GetRegistry();
  if (!record.policy_text) throw RegistryPolicyNotFoundException(registry.account_id);
  store.UpdateRegistryPolicy(std::nullopt);
  return *record.policy_text;
}

json EcrService::GetScanningConfiguration(const Partition& registry) {
  auto lease = database_.Acquire();
  auto record = storage::EcrStore(lease.db(), registry).GetRegistry();
  return json::parse(record.scanning_configuration.value_or(std::string(kDefaultScanning)));
}

json EcrService::PutScanningConfiguration(const Partition& registry, const std::string& scan_type,
                                          const json& rules) {
  // Basic scanning scans on push or on request; continuous scanning needs the
  // enhanced (Inspector) scan type, which scans continuously or on push only.
  for (const auto& rule : rules) {
    const auto& frequency = rule.at("scanFrequency").get_ref<const std::string&>();
    if (scan_type == "BASIC" && frequency == "CONTINUOUS_SCAN") {
      throw ValidationException(
          "CONTINUOUS_SCAN scan frequency is only supported for the "
          "ENHANCED scan type");
    }
    if (scan_type == "ENHANCED" && frequency == "MANUAL") {
      throw ValidationException("MANUAL scan frequency is only supported for the BASIC scan type");
    }
  }
  json configuration = {{"scanType", scan_type},
                        {"rules", rules.is_array() ? rules : json::array()}};
  auto lease = database_.Acquire();
  storage::EcrStore(lease.db(), registry).UpdateScanningConfiguration(configuration.dump());
  return configuration;
}

json EcrService::GetReplicationConfiguration(const Partition& registry) {
  auto lease = database_.Acquire();
  auto record = storage::EcrStore(lease.db(), registry).GetRegistry();
  return json::parse(record.replication_configuration.value_or(std::string(kDefaultReplication)));
}

json EcrService::PutReplicationConfiguration(const Partition& registry, const json& configuration) {
  std::set<std::pair<std::string, std::string>> destinations;  // unique ones count
  for (const auto& rule : configuration.at("rules")) {
    for (const auto& destination : rule.at("destinations")) {
      const std::string region = destination.at("region");
      const std::string account = destination.at("registryId");
      destinations.emplace(region, account);
      if (region == registry.region && account == registry.account_id) {
        throw InvalidParameterAt("replicationConfiguration",
                                 "Replication destination cannot be the same as the source "
                                 "registry");
      }
    }
  }
  if (destinations.size() > 25) {
    throw InvalidParameterAt("replicationConfiguration",
                             "A replication configuration can have at most 25 destinations");
  }
  auto lease = database_.Acquire();
  storage::EcrStore(lease.db(), registry).UpdateReplicationConfiguration(configuration.dump());
  return configuration;
}

AuthorizationData EcrService::GetAuthorizationToken(const aws::RequestContext& context,
                                                    const std::string& registry_id) {
  AuthorizationData data;
  const std::string password =
      tokens().Issue(registry_id, context.region, static_cast<int64_t>(context.now),
                     data.expires_at, context.principal_arn);
  data.token = crypto::Base64Encode("AWS:" + password);
  data.proxy_endpoint = "https://" + options_.registry_host;
  return data;
}

}  // namespace berth::ecr
