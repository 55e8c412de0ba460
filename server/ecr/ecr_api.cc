#include "server/ecr/ecr_api.h"

#include <algorithm>

#include "server/aws/json_params.h"
#include "server/ecr/ecr_errors.h"
#include "server/ecr/lifecycle_service.h"

namespace berth::ecr {
namespace {

using aws::Has;
using aws::OptionalBool;
using aws::OptionalString;
using aws::RequiredString;
using nlohmann::json;
using storage::Partition;

constexpr size_t kRepositoryPageSize = 100;

std::vector<storage::Tag> ReadTags(const json& in) {
  std::vector<storage::Tag> tags;
  if (!Has(in, "tags")) return tags;
  for (const auto& tag : in.at("tags")) {
    tags.push_back({tag.at("Key").get<std::string>(), tag.at("Value").get<std::string>()});
  }
  return tags;
}

json TagsJson(const std::vector<storage::Tag>& tags) {
  json list = json::array();
  for (const auto& tag : tags) list.push_back({{"Key", tag.key}, {"Value", tag.value}});
  return list;
}

std::vector<MutabilityFilter> ReadExclusions(const json& in) {
  std::vector<MutabilityFilter> filters;
  if (!Has(in, "imageTagMutabilityExclusionFilters")) return filters;
  for (const auto& f : in.at("imageTagMutabilityExclusionFilters")) {
    filters.push_back({f.at("filterType").get<std::string>(), f.at("filter").get<std::string>()});
  }
  return filters;
}

json ExclusionsJson(const std::vector<MutabilityFilter>& filters) {
  json list = json::array();
  for (const auto& f : filters) list.push_back({{"filterType", f.type}, {"filter", f.filter}});
  return list;
}

}  // namespace

Partition EcrApi::RegistryOf(const Json& in, const Context& context) {
  return EcrService::Registry(context, OptionalString(in, "registryId"));
}

const std::array<aws::OperationRow<EcrApi>, 58> EcrApi::kOperations = {{
    {"BatchCheckLayerAvailability", &EcrApi::BatchCheckLayerAvailability},
    {"BatchDeleteImage", &EcrApi::BatchDeleteImage},
    {"BatchGetImage", &EcrApi::BatchGetImage},
    {"BatchGetRepositoryScanningConfiguration", &EcrApi::BatchGetRepositoryScanningConfiguration},
    {"CompleteLayerUpload", &EcrApi::CompleteLayerUpload},
    {"CreatePullThroughCacheRule", &EcrApi::CreatePullThroughCacheRule},
    {"CreateRepository", &EcrApi::CreateRepository},
    {"CreateRepositoryCreationTemplate", &EcrApi::CreateRepositoryCreationTemplate},
    {"DeleteLifecyclePolicy", &EcrApi::DeleteLifecyclePolicy},
    {"DeletePullThroughCacheRule", &EcrApi::DeletePullThroughCacheRule},
    {"DeleteRegistryPolicy", &EcrApi::DeleteRegistryPolicy},
    {"DeleteRepository", &EcrApi::DeleteRepository},
    {"DeleteRepositoryCreationTemplate", &EcrApi::DeleteRepositoryCreationTemplate},
    {"DeleteRepositoryPolicy", &EcrApi::DeleteRepositoryPolicy},
    {"DeleteSigningConfiguration", &EcrApi::DeleteSigningConfiguration},
    {"DeregisterPullTimeUpdateExclusion", &EcrApi::DeregisterPullTimeUpdateExclusion},
    {"DescribeImageReplicationStatus", &EcrApi::DescribeImageReplicationStatus},
    {"DescribeImageScanFindings", &EcrApi::DescribeImageScanFindings},
    {"DescribeImageSigningStatus", &EcrApi::DescribeImageSigningStatus},
    {"DescribeImages", &EcrApi::DescribeImages},
    {"DescribePullThroughCacheRules", &EcrApi::DescribePullThroughCacheRules},
    {"DescribeRegistry", &EcrApi::DescribeRegistry},
    {"DescribeRepositories", &EcrApi::DescribeRepositories},
    {"DescribeRepositoryCreationTemplates", &EcrApi::DescribeRepositoryCreationTemplates},
    {"GetAccountSetting", &EcrApi::GetAccountSetting},
    {"GetAuthorizationToken", &EcrApi::GetAuthorizationToken},
    {"GetDownloadUrlForLayer", &EcrApi::GetDownloadUrlForLayer},
    {"GetLifecyclePolicy", &EcrApi::GetLifecyclePolicy},
    {"GetLifecyclePolicyPreview", &EcrApi::GetLifecyclePolicyPreview},
    {"GetRegistryPolicy", &EcrApi::GetRegistryPolicy},
    {"GetRegistryScanningConfiguration", &EcrApi::GetRegistryScanningConfiguration},
    {"GetRepositoryPolicy", &EcrApi::GetRepositoryPolicy},
    {"GetSigningConfiguration", &EcrApi::GetSigningConfiguration},
    {"InitiateLayerUpload", &EcrApi::InitiateLayerUpload},
    {"ListImageReferrers", &EcrApi::ListImageReferrers},
    {"ListImages", &EcrApi::ListImages},
    {"ListPullTimeUpdateExclusions", &EcrApi::ListPullTimeUpdateExclusions},
    {"ListTagsForResource", &EcrApi::ListTagsForResource},
    {"PutAccountSetting", &EcrApi::PutAccountSetting},
    {"PutImage", &EcrApi::PutImage},
    {"PutImageScanningConfiguration", &EcrApi::PutImageScanningConfiguration},
    {"PutImageTagMutability", &EcrApi::PutImageTagMutability},
    {"PutLifecyclePolicy", &EcrApi::PutLifecyclePolicy},
    {"PutRegistryPolicy", &EcrApi::PutRegistryPolicy},
    {"PutRegistryScanningConfiguration", &EcrApi::PutRegistryScanningConfiguration},
    {"PutReplicationConfiguration", &EcrApi::PutReplicationConfiguration},
    {"PutSigningConfiguration", &EcrApi::PutSigningConfiguration},
    {"RegisterPullTimeUpdateExclusion", &EcrApi::RegisterPullTimeUpdateExclusion},
    {"SetRepositoryPolicy", &EcrApi::SetRepositoryPolicy},
    {"StartImageScan", &EcrApi::StartImageScan},
    {"StartLifecyclePolicyPreview", &EcrApi::StartLifecyclePolicyPreview},
    {"TagResource", &EcrApi::TagResource},
    {"UntagResource", &EcrApi::UntagResource},
    {"UpdateImageStorageClass", &EcrApi::UpdateImageStorageClass},
    {"UpdatePullThroughCacheRule", &EcrApi::UpdatePullThroughCacheRule},
    {"UpdateRepositoryCreationTemplate", &EcrApi::UpdateRepositoryCreationTemplate},
    {"UploadLayerPart", &EcrApi::UploadLayerPart},
    {"ValidatePullThroughCacheRule", &EcrApi::ValidatePullThroughCacheRule},
}};

const aws::ServiceModel& EcrApi::Model() const { return aws::model::EcrModel(); }

bool EcrApi::Implements(std::string_view operation) const {
  return aws::FindOperationRow(kOperations, operation) != nullptr;
}

bool EcrApi::MayWait(std::string_view operation) const {
  return operation == "BatchGetImage" || operation == "GetDownloadUrlForLayer" ||
         operation == "ValidatePullThroughCacheRule" || operation == "PutImage" ||
         operation == "CompleteLayerUpload";
}

std::vector<std::string_view> EcrApi::OperationNames() {
  std::vector<std::string_view> names;
  for (const auto& row : kOperations) names.push_back(row.name);
  return names;
}

json EcrApi::Invoke(std::string_view operation, const json& input, const Context& context) {
  const auto* row = aws::FindOperationRow(kOperations, operation);
  return (this->*(row->handler))(input, context);
}

aws::AwsError EcrApi::ValidationError(const aws::OperationModel& operation,
                                      const aws::ValidationIssue& issue) const {
  // Operations that declare ValidationException use the Coral wording; the
  // older ones answer InvalidParameterException in ECR's own wording.
  const auto& errors = operation.errors;
  if (std::find(errors.begin(), errors.end(), "ValidationException") != errors.end()) {
    return ValidationException(aws::CoralValidationMessage(issue));
  }
  return InvalidParameterException(aws::EcrValidationMessage(issue));
}

namespace {

json RepositoryJson(const EcrService& service, const Repository& r) {
  json out = {
      {"repositoryArn", service.RepositoryArn(r.registry_id, r.region, r.record.name)},
      {"registryId", r.registry_id},
      {"repositoryName", r.record.name},
      {"repositoryUri", service.RepositoryUri(r.record.name)},
      {"createdAt", r.record.created_at},
      {"imageTagMutability", r.record.tag_mutability},
      {"imageScanningConfiguration", {{"scanOnPush", r.record.scan_on_push}}},
  };
  if (!r.exclusions.empty())
    out["imageTagMutabilityExclusionFilters"] = ExclusionsJson(r.exclusions);
  json encryption = {{"encryptionType", r.record.encryption_type}};
  if (r.record.kms_key) encryption["kmsKey"] = *r.record.kms_key;
  out["encryptionConfiguration"] = std::move(encryption);
  return out;
}

}  // namespace

json EcrApi::CreateRepository(const json& in, const Context& context) {
  RepositorySpec spec;
  spec.name = RequiredString(in, "repositoryName");
  spec.tag_mutability = OptionalString(in, "imageTagMutability").value_or("MUTABLE");
  spec.exclusions = ReadExclusions(in);
  if (Has(in, "imageScanningConfiguration")) {
    spec.scan_on_push =
        OptionalBool(in.at("imageScanningConfiguration"), "scanOnPush").value_or(false);
  }
  if (Has(in, "encryptionConfiguration")) {
    const auto& encryption = in.at("encryptionConfiguration");
    spec.encryption_type = RequiredString(encryption, "encryptionType");
    spec.kms_key = OptionalString(encryption, "kmsKey");
  }
  spec.tags = ReadTags(in);
  const Repository repository = service_.CreateRepository(context, RegistryOf(in, context), spec);
  return {{"repository", RepositoryJson(service_, repository)}};
}

json EcrApi::DescribeRepositories(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  json repositories = json::array();
  json out;
  if (Has(in, "repositoryNames")) {
    if (Has(in, "maxResults")) {
      throw InvalidParameterAt("maxResults",
                               "maxResults can not be specified together with "
                               "repositoryNames");
    }
    for (const auto& r :
         service_.DescribeRepositories(registry, aws::StringList(in, "repositoryNames"))) {
      repositories.push_back(RepositoryJson(service_, r));
    }
  } else {
    const auto max =
        static_cast<size_t>(aws::OptionalInt(in, "maxResults").value_or(kRepositoryPageSize));
    auto page =
        service_.ListRepositories(registry, OptionalString(in, "nextToken").value_or(""), max);
    for (const auto& r : page.items) repositories.push_back(RepositoryJson(service_, r));
    if (!page.next.empty()) out["nextToken"] = page.next;
  }
  out["repositories"] = std::move(repositories);
  return out;
}

json EcrApi::DeleteRepository(const json& in, const Context& context) {
  const Repository repository =
      service_.DeleteRepository(RegistryOf(in, context), RequiredString(in, "repositoryName"),
                                OptionalBool(in, "force").value_or(false));
  return {{"repository", RepositoryJson(service_, repository)}};
}

json EcrApi::PutImageTagMutability(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const Repository r =
      service_.PutImageTagMutability(registry, RequiredString(in, "repositoryName"),
                                     RequiredString(in, "imageTagMutability"), ReadExclusions(in));
  json out = {{"registryId", registry.account_id},
              {"repositoryName", r.record.name},
              {"imageTagMutability", r.record.tag_mutability}};
  if (!r.exclusions.empty())
    out["imageTagMutabilityExclusionFilters"] = ExclusionsJson(r.exclusions);
  return out;
}

json EcrApi::PutImageScanningConfiguration(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const bool scan_on_push =
      OptionalBool(in.at("imageScanningConfiguration"), "scanOnPush").value_or(false);
  const Repository r = service_.PutImageScanningConfiguration(
      registry, RequiredString(in, "repositoryName"), scan_on_push);
  return {{"registryId", registry.account_id},
          {"repositoryName", r.record.name},
          {"imageScanningConfiguration", {{"scanOnPush", r.record.scan_on_push}}}};
}

json EcrApi::SetRepositoryPolicy(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const std::string text =
      service_.SetRepositoryPolicy(registry, name, RequiredString(in, "policyText"));
  return {{"registryId", registry.account_id}, {"repositoryName", name}, {"policyText", text}};
}

json EcrApi::GetRepositoryPolicy(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  return {{"registryId", registry.account_id},
          {"repositoryName", name},
          {"policyText", service_.GetRepositoryPolicy(registry, name)}};
}

json EcrApi::DeleteRepositoryPolicy(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  return {{"registryId", registry.account_id},
          {"repositoryName", name},
          {"policyText", service_.DeleteRepositoryPolicy(registry, name)}};
}

json EcrApi::PutLifecyclePolicy(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const std::string text =
      service_.PutLifecyclePolicy(registry, name, RequiredString(in, "lifecyclePolicyText"));
  if (lifecycle_ != nullptr) lifecycle_->Poke(registry, name);  // evaluate the new policy soon
  return {
      {"registryId", registry.account_id}, {"repositoryName", name}, {"lifecyclePolicyText", text}};
}

namespace {

json LifecycleJson(const Partition& registry, const storage::RepositoryRecord& r) {
  json out = {{"registryId", registry.account_id},
              {"repositoryName", r.name},
              {"lifecyclePolicyText", r.lifecycle_policy.value_or("")}};
  // ECR reports the epoch (0) for a policy it has not evaluated yet.
  out["lastEvaluatedAt"] = r.lifecycle_evaluated_at.value_or(0.0);
  return out;
}

}  // namespace

json EcrApi::GetLifecyclePolicy(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  return LifecycleJson(registry,
                       service_.GetLifecyclePolicy(registry, RequiredString(in, "repositoryName")));
}

json EcrApi::DeleteLifecyclePolicy(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  return LifecycleJson(
      registry, service_.DeleteLifecyclePolicy(registry, RequiredString(in, "repositoryName")));
}

json EcrApi::ListTagsForResource(const json& in, const Context& context) {
  return {
      {"tags", TagsJson(service_.ListTagsForResource(context, RequiredString(in, "resourceArn")))}};
}

json EcrApi::TagResource(const json& in, const Context& context) {
  service_.TagResource(context, RequiredString(in, "resourceArn"), ReadTags(in));
  return json::object();
}

json EcrApi::UntagResource(const json& in, const Context& context) {
  service_.UntagResource(context, RequiredString(in, "resourceArn"),
                         aws::StringList(in, "tagKeys"));
  return json::object();
}

json EcrApi::PutRegistryPolicy(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  return {{"registryId", registry.account_id},
          {"policyText", service_.PutRegistryPolicy(registry, RequiredString(in, "policyText"))}};
}

json EcrApi::GetRegistryPolicy(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  return {{"registryId", registry.account_id},
          {"policyText", service_.GetRegistryPolicy(registry)}};
}

json EcrApi::DeleteRegistryPolicy(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  return {{"registryId", registry.account_id},
          {"policyText", service_.DeleteRegistryPolicy(registry)}};
}

json EcrApi::DescribeRegistry(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  return {{"registryId", registry.account_id},
          {"replicationConfiguration", service_.GetReplicationConfiguration(registry)}};
}

json EcrApi::GetRegistryScanningConfiguration(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  return {{"registryId", registry.account_id},
          {"scanningConfiguration", service_.GetScanningConfiguration(registry)}};
}

json EcrApi::PutRegistryScanningConfiguration(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  json rules = json::array();
  if (Has(in, "rules")) {
    for (const auto& rule : in.at("rules")) {
      json filters = json::array();
      for (const auto& f : rule.at("repositoryFilters")) {
        filters.push_back({{"filter", f.at("filter")}, {"filterType", f.at("filterType")}});
      }
      rules.push_back(
          {{"scanFrequency", rule.at("scanFrequency")}, {"repositoryFilters", filters}});
    }
  }
  const std::string scan_type = OptionalString(in, "scanType").value_or("BASIC");
  return {{"registryScanningConfiguration",
           service_.PutScanningConfiguration(registry, scan_type, rules)}};
}

json EcrApi::PutReplicationConfiguration(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  json rules = json::array();
  for (const auto& rule : in.at("replicationConfiguration").at("rules")) {
    json destinations = json::array();
    for (const auto& d : rule.at("destinations")) {
      destinations.push_back({{"region", d.at("region")}, {"registryId", d.at("registryId")}});
    }
    json out_rule = {{"destinations", destinations}};
    if (Has(rule, "repositoryFilters")) {
      json filters = json::array();
      for (const auto& f : rule.at("repositoryFilters")) {
        filters.push_back({{"filter", f.at("filter")}, {"filterType", f.at("filterType")}});
      }
      out_rule["repositoryFilters"] = filters;
    }
    rules.push_back(std::move(out_rule));
  }
  return {{"replicationConfiguration",
           service_.PutReplicationConfiguration(registry, {{"rules", rules}})}};
}

json EcrApi::GetAuthorizationToken(const json& in, const Context& context) {
  std::vector<std::string> registries = aws::StringList(in, "registryIds");
  if (registries.empty()) registries.push_back(context.account_id);
  json data = json::array();
  for (const auto& registry : registries) {
    const AuthorizationData d = service_.GetAuthorizationToken(context, registry);
    data.push_back({{"authorizationToken", d.token},
                    {"expiresAt", d.expires_at},
                    {"proxyEndpoint", d.proxy_endpoint}});
  }
  return {{"authorizationData", data}};
}

}  // namespace berth::ecr
