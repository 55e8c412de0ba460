#pragma once

// ECS clusters: creation (the `default` cluster included), settings,
// configuration, capacity providers, deletion to INACTIVE, listing. Cluster
// attributes are stored as one AWS-shaped JSON document per cluster.
//
// Thread-safety: every method may be called from any thread.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "server/ecs/account_settings.h"
#include "storage/database.h"
#include "storage/records.h"
#include "storage/service_store.h"
#include "storage/task_store.h"

namespace berth::ecs {

// A cluster as the API reports it.
struct Cluster {
  std::string name;
  std::string status;
  nlohmann::json document;  // settings, configuration, capacityProviders, ...
  std::vector<storage::Tag> tags;
  int64_t running_tasks = 0;
  int64_t pending_tasks = 0;
  storage::TaskCounts tasks;  // the same, by launch type
  int64_t active_services = 0;
  storage::ServiceCounts services;   // by status and launch type
  int64_t registered_instances = 0;  // ACTIVE and DRAINING container instances
};

// What CreateCluster, UpdateCluster and friends may set; absent members are
// left as they are.
struct ClusterChanges {
  std::optional<nlohmann::json> settings;
  std::optional<nlohmann::json> configuration;
  std::optional<nlohmann::json> capacity_providers;
  std::optional<nlohmann::json> default_strategy;
  std::optional<nlohmann::json> service_connect_defaults;
};

class ClusterService {
 public:
  // A deleted (INACTIVE) cluster stays in ListClusters this long.
  static constexpr double kInactiveClusterSeconds = 60 * 60;

  ClusterService(storage::Database& database, AccountSettingsService& settings)
      : database_(database), settings_(settings) {}

  // Creates the cluster, or returns the ACTIVE one of that name unchanged.
  Cluster Create(const aws::RequestContext& context, const std::string& name,
                 const ClusterChanges& changes, const std::vector<storage::Tag>& tags);
  // Each identifier (name or ARN) found, ACTIVE or INACTIVE; the rest are
  // returned in `missing` as the ARN to report.
  std::vector<Cluster> Describe(const aws::RequestContext& context,
                                const std::vector<std::string>& identifiers,
                                std::vector<std::string>& missing);
  // ARNs of ACTIVE clusters and of those deleted within the last hour, one
  // page; `next` is the token for the next.
  std::vector<std::string> List(const aws::RequestContext& context, const std::string& token,
                                size_t max_results, std::string& next);
  Cluster Delete(const aws::RequestContext& context, const std::string& identifier);
  Cluster Update(const aws::RequestContext& context, const std::string& identifier,
                 const ClusterChanges& changes);

  // As RequireActive, under its own database lease.
  std::string EnsureActive(const aws::RequestContext& context,
                           const std::optional<std::string>& identifier);
  // The name of an ACTIVE cluster the parameter names (default when empty);
  // ClusterNotFoundException otherwise.
  std::string RequireActive(storage::Db& db, const aws::RequestContext& context,
                            const std::optional<std::string>& identifier);

 private:
  Cluster Load(storage::Db& db, const aws::RequestContext& context,
               const storage::ClusterRecord& record);
  storage::Database& database_;
  AccountSettingsService& settings_;  // the account's containerInsights default
};

// Checks settings, capacity providers (built in, or among `user_providers`)
// and the default strategy of a cluster document. Throws
// InvalidParameterException.
void ValidateClusterDocument(const nlohmann::json& document,
                             const std::set<std::string>& user_providers);

}  // namespace berth::ecs
