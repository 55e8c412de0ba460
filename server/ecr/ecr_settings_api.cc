// The ECR JSON API's registry account surface: account settings, the
// signing configuration, pull-time update exclusions and the per-repository
// scanning configuration (RegistrySettings holds the rules).

#include "server/aws/json_params.h"
#include "server/ecr/ecr_api.h"
#include "server/ecr/registry_settings.h"

namespace berth::ecr {
namespace {

using aws::Has;
using aws::OptionalString;
using aws::RequiredString;
using nlohmann::json;
using storage::Partition;

constexpr size_t kDefaultExclusionPage = 100;

// These operations take no registryId: they act on the caller's registry.
Partition CallerRegistry(const aws::RequestContext& context) {
  return EcrService::Registry(context, std::nullopt);
}

// The SigningConfiguration members the model defines, nothing else.
json ReadSigningConfiguration(const json& in) {
  json rules = json::array();
  for (const auto& rule : in.at("signingConfiguration").at("rules")) {
    json out = {{"signingProfileArn", rule.at("signingProfileArn")}};
    if (Has(rule, "repositoryFilters")) {
      json filters = json::array();
      for (const auto& f : rule.at("repositoryFilters")) {
        filters.push_back({{"filter", f.at("filter")}, {"filterType", f.at("filterType")}});
      }
      out["repositoryFilters"] = std::move(filters);
    }
    rules.push_back(std::move(out));
  }
  return {{"rules", std::move(rules)}};
}

}  // namespace

json EcrApi::GetAccountSetting(const json& in, const Context& context) {
  const std::string name = RequiredString(in, "name");
  return {{"name", name},
          {"value",
           RegistrySettings(service_.database()).GetAccountSetting(CallerRegistry(context), name)}};
}

json EcrApi::PutAccountSetting(const json& in, const Context& context) {
  const std::string name = RequiredString(in, "name");
  return {{"name", name},
          {"value",
           RegistrySettings(service_.database())
               .PutAccountSetting(CallerRegistry(context), name, RequiredString(in, "value"))}};
}

json EcrApi::PutSigningConfiguration(const json& in, const Context& context) {
  return {{"signingConfiguration",
           RegistrySettings(service_.database())
               .PutSigningConfiguration(CallerRegistry(context), ReadSigningConfiguration(in))}};
}

json EcrApi::GetSigningConfiguration(const json& in, const Context& context) {
  (void)in;
  const Partition registry = CallerRegistry(context);
  return {{"registryId", registry.account_id},
          {"signingConfiguration",
           RegistrySettings(service_.database()).GetSigningConfiguration(registry)}};
}

json EcrApi::DeleteSigningConfiguration(const json& in, const Context& context) {
  (void)in;
  const Partition registry = CallerRegistry(context);
  return {{"registryId", registry.account_id},
          {"signingConfiguration",
           RegistrySettings(service_.database()).DeleteSigningConfiguration(registry)}};
}

json EcrApi::RegisterPullTimeUpdateExclusion(const json& in, const Context& context) {
  const std::string principal = RequiredString(in, "principalArn");
  const double created =
      RegistrySettings(service_.database())
          .RegisterPullTimeUpdateExclusion(CallerRegistry(context), principal, context.now);
  return {{"principalArn", principal}, {"createdAt", created}};
}

json EcrApi::DeregisterPullTimeUpdateExclusion(const json& in, const Context& context) {
  const std::string principal = RequiredString(in, "principalArn");
  RegistrySettings(service_.database())
      .DeregisterPullTimeUpdateExclusion(CallerRegistry(context), principal);
  return {{"principalArn", principal}};
}

json EcrApi::ListPullTimeUpdateExclusions(const json& in, const Context& context) {
  const auto max = static_cast<size_t>(
      aws::OptionalInt(in, "maxResults").value_or(static_cast<int64_t>(kDefaultExclusionPage)));
  const ExclusionPage page =
      RegistrySettings(service_.database())
          .ListPullTimeUpdateExclusions(CallerRegistry(context),
                                        OptionalString(in, "nextToken").value_or(""), max);
  json out = {{"pullTimeUpdateExclusions", page.principals}};
  if (!page.next.empty()) out["nextToken"] = page.next;
  return out;
}

json EcrApi::BatchGetRepositoryScanningConfiguration(const json& in, const Context& context) {
  const Partition registry = CallerRegistry(context);
  json configurations = json::array();
  json failures = json::array();
  for (const auto& r :
       RegistrySettings(service_.database())
           .RepositoryScanningConfigurations(registry, aws::StringList(in, "repositoryNames"))) {
    if (!r.found) {
      failures.push_back({{"repositoryName", r.name},
                          {"failureCode", "REPOSITORY_NOT_FOUND"},
                          {"failureReason", "REPOSITORY_NOT_FOUND"}});
      continue;
    }
    json applied = json::array();
    if (r.filter) applied.push_back({{"filter", *r.filter}, {"filterType", "WILDCARD"}});
    configurations.push_back(
        {{"repositoryArn", service_.RepositoryArn(registry.account_id, registry.region, r.name)},
         {"repositoryName", r.name},
         {"scanOnPush", r.scan_on_push},
         {"scanFrequency", r.frequency},
         {"appliedScanFilters", std::move(applied)}});
  }
  return {{"scanningConfigurations", std::move(configurations)}, {"failures", std::move(failures)}};
}

}  // namespace berth::ecr
