#pragma once

// ECR's rules over the stored state: repositories and their settings,
// policies, registry-wide settings and registry tokens. Validates what the
// botocore model cannot express and throws ECR's named errors; storage calls
// happen under one database lease per operation.
//
// Thread-safety: every method may be called from any thread.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "server/ecr/auth_token.h"
#include "server/ecr/image_service.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecr {

struct EcrOptions {
  std::string registry_host;  // host[:port] of Berth's registry, as in repositoryUri
};

// A tag-mutability exclusion filter (filterType is always WILDCARD today).
struct MutabilityFilter {
  std::string type;
  std::string filter;
};

// Everything CreateRepository may set.
struct RepositorySpec {
  std::string name;
  std::string tag_mutability = "MUTABLE";
  std::vector<MutabilityFilter> exclusions;
  bool scan_on_push = false;
  std::string encryption_type = "AES256";
  std::optional<std::string> kms_key;
  std::vector<storage::Tag> tags;
};

// A repository as the API reports it: its record plus where it lives.
struct Repository {
  storage::RepositoryRecord record;
  std::string registry_id;
  std::string region;
  std::vector<MutabilityFilter> exclusions;
};

// One page of a listing; `next` is empty on the last page.
template <class T>
struct Page {
  std::vector<T> items;
  std::string next;
};

struct AuthorizationData {
  std::string token;  // base64("AWS:" + password)
  int64_t expires_at = 0;
  std::string proxy_endpoint;
};

class EcrService {
 public:
  static constexpr size_t kMaxTags = 50;

  EcrService(storage::Database& database, EcrOptions options, ImageService& images);

  const std::string& registry_host() const { return options_.registry_host; }
  // The database, for the registry-wide features kept in their own services
  // (replication statuses, account settings, signing, exclusions).
  storage::Database& database() { return database_; }
  // The images of this registry (the ECR image and layer operations use it
  // and, through it, the attached UploadService).
  ImageService& images() { return images_; }
  // The issuer of registry passwords. Its secret is created on first use
  // (not at start-up, which stays write-free) and kept in the database.
  const TokenIssuer& tokens();
  // "<registry host>/<name>"
  std::string RepositoryUri(const std::string& name) const;
  std::string RepositoryArn(const std::string& registry_id, const std::string& region,
                            const std::string& name) const;

  // The registry (account) a call acts on: registryId when given, else the
  // caller's account.
  static storage::Partition Registry(const aws::RequestContext& context,
                                     const std::optional<std::string>& registry_id);

  Repository CreateRepository(const aws::RequestContext& context,
                              const storage::Partition& registry, const RepositorySpec& spec);
  // The named repositories (all must exist), or a page of all of them.
  std::vector<Repository> DescribeRepositories(const storage::Partition& registry,
                                               const std::vector<std::string>& names);
  Page<Repository> ListRepositories(const storage::Partition& registry, const std::string& token,
                                    size_t max_results);
  // Repository names in order after `after` (the registry's _catalog).
  std::vector<std::string> ListRepositoryNames(const storage::Partition& registry,
                                               const std::string& after, size_t limit);
  Repository DeleteRepository(const storage::Partition& registry, const std::string& name,
                              bool force);

  Repository PutImageTagMutability(const storage::Partition& registry, const std::string& name,
                                   const std::string& mutability,
                                   const std::vector<MutabilityFilter>& exclusions);
  Repository PutImageScanningConfiguration(const storage::Partition& registry,
                                           const std::string& name, bool scan_on_push);

  std::string SetRepositoryPolicy(const storage::Partition& registry, const std::string& name,
                                  const std::string& policy_text);
  std::string GetRepositoryPolicy(const storage::Partition& registry, const std::string& name);
  std::string DeleteRepositoryPolicy(const storage::Partition& registry, const std::string& name);

  std::string PutLifecyclePolicy(const storage::Partition& registry, const std::string& name,
                                 const std::string& policy_text);
  // The stored policy and when it was last evaluated.
  storage::RepositoryRecord GetLifecyclePolicy(const storage::Partition& registry,
                                               const std::string& name);
  storage::RepositoryRecord DeleteLifecyclePolicy(const storage::Partition& registry,
                                                  const std::string& name);

  // Tags of the repository an ARN names; InvalidParameterException for an
  // ARN that is not an ECR repository ARN of the caller's partition and
  // region (the account may be any registry, as with registryId).
  std::vector<storage::Tag> ListTagsForResource(const aws::RequestContext& context,
                                                const std::string& arn);
  void TagResource(const aws::RequestContext& context, const std::string& arn,
                   const std::vector<storage::Tag>& tags);
  void UntagResource(const aws::RequestContext& context, const std::string& arn,
                     const std::vector<std::string>& keys);

  std::string PutRegistryPolicy(const storage::Partition& registry, const std::string& text);
  std::string GetRegistryPolicy(const storage::Partition& registry);
  std::string DeleteRegistryPolicy(const storage::Partition& registry);
  // Stored registry documents as JSON text, with the defaults of a registry
  // that never set them.
  nlohmann::json GetScanningConfiguration(const storage::Partition& registry);
  // Validates and stores {scanType, rules}; returns what was stored.
  nlohmann::json PutScanningConfiguration(const storage::Partition& registry,
                                          const std::string& scan_type,
                                          const nlohmann::json& rules);
  nlohmann::json GetReplicationConfiguration(const storage::Partition& registry);
  // Validates and stores a ReplicationConfiguration document.
  nlohmann::json PutReplicationConfiguration(const storage::Partition& registry,
                                             const nlohmann::json& configuration);

  AuthorizationData GetAuthorizationToken(const aws::RequestContext& context,
                                          const std::string& registry_id);

 private:
  storage::RepositoryRecord RequireRepository(storage::Db& db, const storage::Partition& registry,
                                              const std::string& name);
  Repository Describe(const storage::Partition& registry, storage::RepositoryRecord record) const;
  storage::Partition RepositoryFromArn(const aws::RequestContext& context, const std::string& arn,
                                       std::string& name) const;

  storage::Database& database_;
  EcrOptions options_;
  ImageService& images_;
  std::once_flag tokens_once_;
  std::optional<TokenIssuer> tokens_;
};

// Checks tags as ECR does (key 1-128 characters, not starting with "aws:",
// value at most 256, no key twice). Throws InvalidTagParameterException.
void ValidateTags(const std::vector<storage::Tag>& tags);
// Checks the mutability setting and its exclusion filters belong together.
// Throws InvalidParameterException.
void ValidateTagMutability(const std::string& mutability,
                           const std::vector<MutabilityFilter>& exclusions);

}  // namespace berth::ecr
