#include "server/ecr/pull_through_rules.h"

#include <algorithm>
#include <regex>
#include <stdexcept>

#include "server/ecr/ecr_errors.h"
#include "server/ecr/pull_through_errors.h"

namespace berth::ecr {
namespace {

using storage::Partition;
using storage::PullThroughRuleRecord;
using storage::PullThroughStore;

// upstreamRegistry -> how its URL looks, and whether it needs a secret.
struct UpstreamKind {
  const char* name;
  const char* url_pattern;
  bool needs_secret;
};
constexpr UpstreamKind kUpstreams[] = {
    {"ecr", R"(\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com)", false},
    {"ecr-public", R"(public\.ecr\.aws)", false},
    {"quay", R"(quay\.io)", false},
    {"k8s", R"(registry\.k8s\.io)", false},
    {"docker-hub", R"(registry-1\.docker\.io)", true},
    {"github-container-registry", R"(ghcr\.io)", true},
    {"azure-container-registry", R"([a-z0-9-]+\.azurecr\.io)", true},
    {"gitlab-container-registry", R"(registry\.gitlab\.com)", true},
    {"chainguard", R"(cgr\.dev)", true},
};

std::string HostOf(std::string url) {
  for (const char* scheme : {"https://", "http://"}) {
    if (url.starts_with(scheme)) url = url.substr(std::string(scheme).size());
  }
  while (url.ends_with("/")) url.pop_back();
  return url;
}

const UpstreamKind* KindOfUrl(const std::string& url) {
  const std::string host = HostOf(url);
  for (const auto& kind : kUpstreams) {
    if (std::regex_match(host, std::regex(kind.url_pattern))) return &kind;
  }
  return nullptr;
}

}  // namespace

PullThroughOptions PullThroughOptionsFromEnv(
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  PullThroughOptions options;
  options.secrets_file = env("BERTH_SECRETS_FILE").value_or("");
  const std::string endpoints = env("BERTH_UPSTREAM_ENDPOINTS").value_or("");
  size_t start = 0;
  while (start < endpoints.size()) {
    const auto comma = endpoints.find(',', start);
    const std::string item =
        endpoints.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? endpoints.size() : comma + 1;
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      throw std::invalid_argument("BERTH_UPSTREAM_ENDPOINTS: '" + item +
                                  "' is not host=http(s)://address[:port]");
    }
    options.upstream_endpoints[item.substr(0, eq)] = item.substr(eq + 1);
  }
  if (const auto refresh = env("BERTH_PULL_THROUGH_REFRESH_SECONDS")) {
    try {
      options.refresh_seconds = std::stod(*refresh);
    } catch (const std::exception&) {
      throw std::invalid_argument("BERTH_PULL_THROUGH_REFRESH_SECONDS: not a number: " + *refresh);
    }
  }
  return options;
}

std::string NormalizePrefix(const std::string& prefix) {
  std::string out = prefix;
  while (out.ends_with("/")) out.pop_back();
  return out;
}

bool PrefixCovers(const std::string& prefix, const std::string& name) {
  if (prefix == "ROOT") return true;
  const std::string p = NormalizePrefix(prefix);
  return name.size() > p.size() + 1 && name.starts_with(p + "/");
}

PullThroughRuleRecord PullThroughRules::Create(const Partition& registry,
                                               const PullThroughRuleSpec& spec, double now) {
  const UpstreamKind* kind = KindOfUrl(spec.upstream_url);
  if (kind == nullptr) {
    throw UnsupportedUpstreamRegistryException(
        "The upstream registry URL " + spec.upstream_url +
        " is invalid. Specify a valid upstream registry URL and try again");
  }
  if (spec.upstream_registry && *spec.upstream_registry != kind->name) {
    throw UnsupportedUpstreamRegistryException(
        "The upstream registry URL " + spec.upstream_url +
        " does not belong to upstream registry " + *spec.upstream_registry +
        ". Specify a valid upstream registry URL and try again");
  }
  if (kind->needs_secret && !spec.credential_arn) {
    throw UnsupportedUpstreamRegistryException(
        "The specified upstream registry requires authentication. Specify a valid Secrets "
        "Manager ARN for credentialArn and try again");
  }
  if (spec.upstream_prefix && *spec.upstream_prefix != "ROOT" && spec.prefix == "ROOT") {
    throw InvalidParameterException(
        "Invalid parameter: upstreamRepositoryPrefix can only be set when ecrRepositoryPrefix is "
        "not ROOT");
  }
  if (spec.credential_arn) {
    if (spec.credential_arn->find(":" + registry.region + ":" + registry.account_id + ":") ==
        std::string::npos) {
      throw InvalidParameterException(
          "Invalid parameter: the secret in credentialArn must be in the same account and region "
          "as the pull through cache rule");
    }
    RequireSecret(*spec.credential_arn);
  }
  PullThroughRuleRecord record;
  record.prefix = spec.prefix;
  record.upstream_url = spec.upstream_url;
  record.upstream_registry = kind->name;
  record.credential_arn = spec.credential_arn;
  record.custom_role_arn = spec.custom_role_arn;
  record.upstream_prefix = spec.upstream_prefix;
  if (!record.upstream_prefix && spec.prefix != "ROOT") record.upstream_prefix = "ROOT";
  record.created_at = now;
  record.updated_at = now;
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  PullThroughStore store(lease.db(), registry);
  if (store.FindRule(spec.prefix)) {
    throw PullThroughCacheRuleAlreadyExistsException(spec.prefix, registry.account_id);
  }
  if (store.CountRules() >= kMaxRules) {
    throw LimitExceededException(
        "The operation did not succeed because it would have exceeded a service limit for your "
        "account: at most 50 pull through cache rules per registry");
  }
  store.InsertRule(record);
  tx.Commit();
  return record;
}

std::vector<PullThroughRuleRecord> PullThroughRules::Describe(
    const Partition& registry, const std::vector<std::string>& prefixes) {
  auto lease = database_.Acquire();
  PullThroughStore store(lease.db(), registry);
  if (prefixes.empty()) return store.ListRules();
  std::vector<PullThroughRuleRecord> out;
  for (const auto& prefix : prefixes) {
    auto rule = store.FindRule(prefix);
    if (!rule) throw PullThroughCacheRuleNotFoundException(prefix, registry.account_id);
    const bool seen = std::any_of(out.begin(), out.end(),
                                  [&](const auto& r) { return r.prefix == rule->prefix; });
    if (!seen) out.push_back(std::move(*rule));
  }
  return out;
}

PullThroughRuleRecord PullThroughRules::Update(const Partition& registry, const std::string& prefix,
                                               const std::optional<std::string>& credential_arn,
                                               const std::optional<std::string>& custom_role_arn,
                                               double now) {
  if (!credential_arn && !custom_role_arn) {
    throw InvalidParameterException(
        "Invalid input: Please set either credential arn or role arn to update the credentials");
  }
  {
    auto lease = database_.Acquire();
    if (!PullThroughStore(lease.db(), registry).FindRule(prefix)) {
      throw PullThroughCacheRuleNotFoundException(prefix, registry.account_id);
    }
  }
  if (credential_arn) RequireSecret(*credential_arn);
  auto lease = database_.Acquire();
  PullThroughStore store(lease.db(), registry);
  auto rule = store.FindRule(prefix);
  if (!rule) throw PullThroughCacheRuleNotFoundException(prefix, registry.account_id);
  if (credential_arn) rule->credential_arn = credential_arn;
  if (custom_role_arn) rule->custom_role_arn = custom_role_arn;
  rule->updated_at = now;
  store.UpdateRuleCredentials(prefix, rule->credential_arn, rule->custom_role_arn, now);
  return std::move(*rule);
}

PullThroughRuleRecord PullThroughRules::Delete(const Partition& registry,
                                               const std::string& prefix) {
  auto lease = database_.Acquire();
  PullThroughStore store(lease.db(), registry);
  auto rule = store.FindRule(prefix);
  if (!rule) throw PullThroughCacheRuleNotFoundException(prefix, registry.account_id);
  // Cached repositories and images stay; only future caching stops.
  store.DeleteRule(prefix);
  return std::move(*rule);
}

RuleValidation PullThroughRules::Validate(const Partition& registry, const std::string& prefix) {
  RuleValidation out;
  {
    auto lease = database_.Acquire();
    auto rule = PullThroughStore(lease.db(), registry).FindRule(prefix);
    if (!rule) throw PullThroughCacheRuleNotFoundException(prefix, registry.account_id);
    out.rule = std::move(*rule);
  }
  upstream::Endpoint endpoint = EndpointFor(out.rule);
  if (out.rule.credential_arn) {
    const SecretLookup secret = secrets_.Lookup(*out.rule.credential_arn);
    if (secret.status != SecretLookup::Status::kFound) {
      out.failure = "Unable to retrieve the secret: " + secret.detail;
      return out;
    }
    endpoint.credentials = secret.credentials;
  }
  try {
    client_.Check(endpoint);
    out.valid = true;
  } catch (const upstream::UpstreamError& e) {
    switch (e.kind()) {
      case upstream::UpstreamError::Kind::kUnauthorized:
        out.failure =
            "The authentication to the upstream registry failed. Verify that the "
            "credentials provided in the pull through cache rule are correct: " +
            std::string(e.what());
        break;
      case upstream::UpstreamError::Kind::kUnreachable:
        out.failure = "Unable to connect to the upstream registry: " + std::string(e.what());
        break;
      default:
        out.failure = "The upstream registry answered unexpectedly: " + std::string(e.what());
    }
  }
  return out;
}

std::optional<UpstreamSource> PullThroughRules::SourceFor(const Partition& registry,
                                                          const std::string& name) {
  std::vector<PullThroughRuleRecord> rules;
  {
    auto lease = database_.Acquire();
    rules = PullThroughStore(lease.db(), registry).ListRules();
  }
  const PullThroughRuleRecord* best = nullptr;
  for (const auto& rule : rules) {
    if (rule.prefix == "ROOT" || !PrefixCovers(rule.prefix, name)) continue;
    if (best == nullptr ||
        NormalizePrefix(rule.prefix).size() > NormalizePrefix(best->prefix).size()) {
      best = &rule;
    }
  }
  if (best == nullptr) {
    for (const auto& rule : rules) {
      if (rule.prefix == "ROOT") best = &rule;
    }
  }
  if (best == nullptr) return std::nullopt;
  UpstreamSource source;
  source.rule = *best;
  const std::string rest =
      best->prefix == "ROOT" ? name : name.substr(NormalizePrefix(best->prefix).size() + 1);
  const std::string upstream_prefix = NormalizePrefix(best->upstream_prefix.value_or("ROOT"));
  source.repository = upstream_prefix == "ROOT" ? rest : upstream_prefix + "/" + rest;
  source.endpoint = EndpointFor(*best);
  if (best->credential_arn) {
    const SecretLookup secret = secrets_.Lookup(*best->credential_arn);
    if (secret.status == SecretLookup::Status::kFound) {
      source.endpoint.credentials = secret.credentials;
    } else {
      source.credential_problem = secret.detail;
    }
  }
  return source;
}

upstream::Endpoint PullThroughRules::EndpointFor(const PullThroughRuleRecord& rule) const {
  const std::string host = HostOf(rule.upstream_url);
  const auto it = options_.upstream_endpoints.find(host);
  upstream::Endpoint endpoint;
  endpoint.base_url = it != options_.upstream_endpoints.end() ? it->second : "https://" + host;
  while (endpoint.base_url.ends_with("/")) endpoint.base_url.pop_back();
  return endpoint;
}

void PullThroughRules::RequireSecret(const std::string& arn) const {
  const SecretLookup secret = secrets_.Lookup(arn);
  switch (secret.status) {
    case SecretLookup::Status::kFound:
      return;
    case SecretLookup::Status::kNoFile:
      throw UnableToAccessSecretException("The secret " + arn +
                                          " could not be accessed: " + secret.detail);
    case SecretLookup::Status::kNotFound:
      throw SecretNotFoundException(arn);
    case SecretLookup::Status::kUndecryptable:
      throw UnableToDecryptSecretValueException("The secret " + arn +
                                                " could not be read: " + secret.detail);
  }
}

}  // namespace berth::ecr
