#pragma once

// The container instance of each ACTIVE cluster: the local Docker host, on
// which Berth runs every task that is not Fargate. ECS places EC2 tasks on
// registered instances; Berth has exactly one per cluster, registered when
// the cluster was created, so that StartTask, ListContainerInstances,
// DescribeContainerInstances, the containerInstance filter of ListTasks and
// custom attributes work as on a cluster with one EC2 instance. The instance
// is derived, not stored: its id follows from the cluster (a cluster made
// again gets a new one), its counts and remaining resources from the tasks.
//
// Thread-safety: every method may be called from any thread.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "server/ecs/cluster_service.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecs {

// The id (32 hex) of a cluster's container instance.
std::string ContainerInstanceId(const storage::Partition& partition,
                                const storage::ClusterRecord& cluster);
// arn:...:container-instance/<cluster>/<id>
std::string ContainerInstanceArn(const aws::RequestContext& context, std::string_view cluster,
                                 std::string_view instance_id);
// The container instance id a parameter (bare id or ARN of this account,
// region and cluster) names, when it is the cluster's instance.
std::optional<std::string> ResolveContainerInstance(const aws::RequestContext& context,
                                                    const storage::Partition& partition,
                                                    const storage::ClusterRecord& cluster,
                                                    std::string_view text);

// The attributes every instance has (name, value), as the ECS agent
// registers them for a Linux x86_64 host.
std::vector<std::pair<std::string, std::optional<std::string>>> BuiltInInstanceAttributes(
    const aws::RequestContext& context);

// The host's registered resources (CPU units and MiB of memory).
struct HostResources {
  int64_t cpu_units = 0;
  int64_t memory_mib = 0;
  static HostResources OfThisMachine();
};

// What tasks hold of an instance (task-level cpu/memory, else the sum of
// their containers': memory, else memoryReservation; static host ports of
// bridge and host tasks), and how many run or wait on it.
struct InstanceUsage {
  int64_t cpu = 0;
  int64_t memory = 0;
  std::set<std::string> tcp_ports;
  std::set<std::string> udp_ports;
  int64_t running_tasks = 0;
  int64_t pending_tasks = 0;
  void Add(const InstanceUsage& other);
};

// What one task of `task_definition` with `overrides` needs.
InstanceUsage NeedsOf(const nlohmann::json& task_definition, const nlohmann::json& overrides);
// What the cluster's unfinished non-Fargate tasks hold.
InstanceUsage UsageOf(storage::Db& db, const storage::Partition& partition,
                      const std::string& cluster);
// Why a task needing `needs` does not fit beside `used` on `host`, as ECS's
// placement failure reasons (RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS,
// RESOURCE:PORTS_UDP); nullopt when it fits.
std::optional<std::string> PlacementFailure(const HostResources& host, const InstanceUsage& used,
                                            const InstanceUsage& needs);

struct DescribeContainerInstancesResult {
  std::vector<nlohmann::json> instances;  // ContainerInstance shapes
  std::vector<std::string> missing;       // as requested
};

class ContainerInstanceService {
 public:
  ContainerInstanceService(storage::Database& database, ClusterService& clusters,
                           HostResources host = HostResources::OfThisMachine())
      : database_(database), clusters_(clusters), host_(host) {}

  // ARNs of the cluster's instances matching `filter` (ECS's cluster query
  // language: attribute:<name> exists | == | != | in [...], and
  // ec2InstanceId == | != | in, joined by `and`/`or`) and `status`.
  std::vector<std::string> List(const aws::RequestContext& context,
                                const std::optional<std::string>& cluster,
                                const std::optional<std::string>& filter,
                                const std::optional<std::string>& status, int64_t max_results,
                                const std::string& token, std::string& next);
  const HostResources& host() const { return host_; }
  DescribeContainerInstancesResult Describe(const aws::RequestContext& context,
                                            const std::optional<std::string>& cluster,
                                            const std::vector<std::string>& identifiers,
                                            bool with_tags, bool with_health);

 private:
  nlohmann::json Document(storage::Db& db, const aws::RequestContext& context,
                          const storage::ClusterRecord& cluster, bool with_tags, bool with_health);

  storage::Database& database_;
  ClusterService& clusters_;
  HostResources host_;
};

// Whether an instance (its ec2InstanceId and attributes) matches a cluster
// query language expression. Throws InvalidParameterException when the
// expression is malformed or uses what Berth does not evaluate.
bool MatchesClusterQuery(std::string_view expression, const nlohmann::json& instance);

}  // namespace berth::ecs
