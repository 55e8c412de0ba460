#pragma once

// ECR pull-through cache rules: their rules (prefixes, the upstream
// registry table, required credentials, the 50-rule quota), storage per
// registry, and what the pull path needs of them: the rule covering a
// repository name, the upstream repository it maps to, and the endpoint
// and credentials to reach it. Upstream hosts can be redirected (offline
// use and tests): `upstream_endpoints` maps a host such as
// "registry-1.docker.io" to a base URL such as "http://127.0.0.1:5001";
// other hosts are reached over https.
//
// Thread-safety: every method may be called from any thread.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "server/ecr/secrets_file.h"
#include "storage/database.h"
#include "storage/pull_through_store.h"
#include "storage/records.h"
#include "upstream/registry_client.h"

namespace berth::ecr {

struct PullThroughOptions {
  std::string secrets_file;                               // see SecretsFile
  std::map<std::string, std::string> upstream_endpoints;  // host -> base URL
  double refresh_seconds = 24 * 3600;                     // tag re-check interval
};

// The options from the environment (docs/issue11-pullthrough.md):
//   BERTH_SECRETS_FILE                  the secrets file (SecretsFile)
//   BERTH_UPSTREAM_ENDPOINTS            "host=base-url,..." redirections
//   BERTH_PULL_THROUGH_REFRESH_SECONDS  the tag re-check interval
// Throws std::invalid_argument for a malformed value.
PullThroughOptions PullThroughOptionsFromEnv(
    const std::function<std::optional<std::string>(const std::string&)>& env);

// CreatePullThroughCacheRule's input.
struct PullThroughRuleSpec {
  std::string prefix;
  std::string upstream_url;
  std::optional<std::string> upstream_registry;
  std::optional<std::string> credential_arn;
  std::optional<std::string> custom_role_arn;
  std::optional<std::string> upstream_prefix;
};

// ValidatePullThroughCacheRule's outcome.
struct RuleValidation {
  storage::PullThroughRuleRecord rule;
  bool valid = false;
  std::string failure;
};

// The rule that covers a repository name, and where its images come from.
struct UpstreamSource {
  storage::PullThroughRuleRecord rule;
  std::string repository;  // the upstream repository name
  upstream::Endpoint endpoint;
  std::string credential_problem;  // why the rule's secret could not be read, if it could not
};

class PullThroughRules {
 public:
  static constexpr int64_t kMaxRules = 50;

  PullThroughRules(storage::Database& database, upstream::RegistryClient& client,
                   PullThroughOptions options)
      : database_(database),
        client_(client),
        options_(std::move(options)),
        secrets_(options_.secrets_file) {}

  upstream::RegistryClient& client() { return client_; }
  double refresh_seconds() const { return options_.refresh_seconds; }

  // Each throws ECR's errors (see pull_through_errors.h).
  storage::PullThroughRuleRecord Create(const storage::Partition& registry,
                                        const PullThroughRuleSpec& spec, double now);
  // The named rules (PullThroughCacheRuleNotFoundException for an unknown
  // one), or all of them.
  std::vector<storage::PullThroughRuleRecord> Describe(const storage::Partition& registry,
                                                       const std::vector<std::string>& prefixes);
  storage::PullThroughRuleRecord Update(const storage::Partition& registry,
                                        const std::string& prefix,
                                        const std::optional<std::string>& credential_arn,
                                        const std::optional<std::string>& custom_role_arn,
                                        double now);
  storage::PullThroughRuleRecord Delete(const storage::Partition& registry,
                                        const std::string& prefix);
  // Reads the secret and authenticates with the upstream; never throws for
  // a failure to do so (isValid false with the reason).
  RuleValidation Validate(const storage::Partition& registry, const std::string& prefix);

  // The rule covering `name` (longest prefix, ROOT last), or nullopt.
  std::optional<UpstreamSource> SourceFor(const storage::Partition& registry,
                                          const std::string& name);

 private:
  upstream::Endpoint EndpointFor(const storage::PullThroughRuleRecord& rule) const;
  // Throws SecretNotFoundException / UnableToDecryptSecretValueException.
  void RequireSecret(const std::string& arn) const;

  storage::Database& database_;
  upstream::RegistryClient& client_;
  PullThroughOptions options_;
  SecretsFile secrets_;
};

// "ecr-public/" -> "ecr-public": the prefix without its optional slash.
std::string NormalizePrefix(const std::string& prefix);
// Whether the repository `name` lies under `prefix` (ROOT covers every name).
bool PrefixCovers(const std::string& prefix, const std::string& name);

}  // namespace berth::ecr
