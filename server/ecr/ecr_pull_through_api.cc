// The ECR API's pull-through cache rule and repository creation template
// operations: read the (model-validated) input, call PullThroughRules or
// CreationTemplates, shape the reply as the model's output shapes say.

#include "server/aws/json_params.h"
#include "server/aws/pagination.h"
#include "server/ecr/creation_templates.h"
#include "server/ecr/ecr_api.h"
#include "server/ecr/ecr_errors.h"
#include "server/ecr/pull_through_rules.h"

namespace berth::ecr {
namespace {

using aws::OptionalInt;
using aws::OptionalString;
using aws::RequiredString;
using aws::StringList;
using nlohmann::json;
using storage::Partition;
using storage::PullThroughRuleRecord;

constexpr size_t kDefaultPage = 100;
constexpr std::string_view kRuleListing = "ecr.DescribePullThroughCacheRules";
constexpr std::string_view kTemplateListing = "ecr.DescribeRepositoryCreationTemplates";

// The members every rule reply has; the caller adds the op's own.
json RuleJson(const PullThroughRuleRecord& r, const Partition& registry) {
  json out = {{"ecrRepositoryPrefix", r.prefix}, {"registryId", registry.account_id}};
  if (r.credential_arn) out["credentialArn"] = *r.credential_arn;
  if (r.custom_role_arn) out["customRoleArn"] = *r.custom_role_arn;
  if (r.upstream_prefix) out["upstreamRepositoryPrefix"] = *r.upstream_prefix;
  return out;
}

// A page of `items` (ordered by key) after the token's key.
template <class T, class Key>
std::vector<T> Paginate(std::vector<T> items, const json& in, std::string_view listing, Key key,
                        json& out) {
  std::string after;
  if (const auto token = OptionalString(in, "nextToken")) {
    const auto decoded = aws::DecodePageToken(listing, *token);
    if (!decoded) throw InvalidParameterException("Invalid parameter: nextToken is not valid");
    after = *decoded;
  }
  const auto max = static_cast<size_t>(OptionalInt(in, "maxResults").value_or(kDefaultPage));
  std::vector<T> page;
  for (auto& item : items) {
    if (!after.empty() && key(item) <= after) continue;
    if (page.size() == max) {
      out["nextToken"] = aws::EncodePageToken(listing, key(page.back()));
      break;
    }
    page.push_back(std::move(item));
  }
  return page;
}

}  // namespace

namespace {
PullThroughRules& Rules(PullThroughRules* rules) {
  if (rules == nullptr) throw ServerException("pull-through cache rules are not available");
  return *rules;
}
CreationTemplates& Templates(CreationTemplates* templates) {
  if (templates == nullptr) throw ServerException("creation templates are not available");
  return *templates;
}
Partition Own(const aws::RequestContext& context) { return {context.account_id, context.region}; }
}  // namespace

json EcrApi::CreatePullThroughCacheRule(const Json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  PullThroughRuleSpec spec;
  spec.prefix = RequiredString(in, "ecrRepositoryPrefix");
  spec.upstream_url = RequiredString(in, "upstreamRegistryUrl");
  spec.upstream_registry = OptionalString(in, "upstreamRegistry");
  spec.credential_arn = OptionalString(in, "credentialArn");
  spec.custom_role_arn = OptionalString(in, "customRoleArn");
  spec.upstream_prefix = OptionalString(in, "upstreamRepositoryPrefix");
  const auto rule = Rules(pull_through_).Create(registry, spec, context.now);
  json out = RuleJson(rule, registry);
  out["upstreamRegistryUrl"] = rule.upstream_url;
  out["upstreamRegistry"] = rule.upstream_registry;
  out["createdAt"] = rule.created_at;
  return out;
}

json EcrApi::DescribePullThroughCacheRules(const Json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  json out = json::object();
  auto rules = Rules(pull_through_).Describe(registry, StringList(in, "ecrRepositoryPrefixes"));
  const auto page = Paginate(
      std::move(rules), in, kRuleListing, [](const PullThroughRuleRecord& r) { return r.prefix; },
      out);
  json list = json::array();
  for (const auto& rule : page) {
    json item = RuleJson(rule, registry);
    item["upstreamRegistryUrl"] = rule.upstream_url;
    item["upstreamRegistry"] = rule.upstream_registry;
    item["createdAt"] = rule.created_at;
    item["updatedAt"] = rule.updated_at;
    list.push_back(std::move(item));
  }
  out["pullThroughCacheRules"] = std::move(list);
  return out;
}

json EcrApi::UpdatePullThroughCacheRule(const Json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const auto rule = Rules(pull_through_)
                        .Update(registry, RequiredString(in, "ecrRepositoryPrefix"),
                                OptionalString(in, "credentialArn"),
                                OptionalString(in, "customRoleArn"), context.now);
  json out = RuleJson(rule, registry);
  out["updatedAt"] = rule.updated_at;
  return out;
}

json EcrApi::DeletePullThroughCacheRule(const Json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const auto rule =
      Rules(pull_through_).Delete(registry, RequiredString(in, "ecrRepositoryPrefix"));
  json out = RuleJson(rule, registry);
  out["upstreamRegistryUrl"] = rule.upstream_url;
  out["createdAt"] = rule.created_at;
  return out;
}

json EcrApi::ValidatePullThroughCacheRule(const Json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const RuleValidation result =
      Rules(pull_through_).Validate(registry, RequiredString(in, "ecrRepositoryPrefix"));
  json out = RuleJson(result.rule, registry);
  out["upstreamRegistryUrl"] = result.rule.upstream_url;
  out["isValid"] = result.valid;
  if (!result.failure.empty()) out["failure"] = result.failure;
  return out;
}

json EcrApi::CreateRepositoryCreationTemplate(const Json& in, const Context& context) {
  const Partition registry = Own(context);
  return {{"registryId", registry.account_id},
          {"repositoryCreationTemplate", Templates(templates_).Create(registry, in, context.now)}};
}

json EcrApi::DescribeRepositoryCreationTemplates(const Json& in, const Context& context) {
  const Partition registry = Own(context);
  json out = {{"registryId", registry.account_id}};
  auto all = Templates(templates_).Describe(registry, StringList(in, "prefixes"));
  const auto page = Paginate(
      std::move(all), in, kTemplateListing,
      [](const json& t) { return t.at("prefix").get<std::string>(); }, out);
  out["repositoryCreationTemplates"] = page;
  return out;
}

json EcrApi::UpdateRepositoryCreationTemplate(const Json& in, const Context& context) {
  const Partition registry = Own(context);
  return {{"registryId", registry.account_id},
          {"repositoryCreationTemplate", Templates(templates_).Update(registry, in, context.now)}};
}

json EcrApi::DeleteRepositoryCreationTemplate(const Json& in, const Context& context) {
  const Partition registry = Own(context);
  return {{"registryId", registry.account_id},
          {"repositoryCreationTemplate",
           Templates(templates_).Delete(registry, RequiredString(in, "prefix"))}};
}

}  // namespace berth::ecr
