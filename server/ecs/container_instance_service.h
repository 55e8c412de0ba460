#pragma once

// ECS container instances as records: each is registered (through
// RegisterContainerInstance, as an ECS agent registers its host, or by Berth
// itself for the local Docker host when --register-local-instance is on),
// names the Docker engine it stands for ("local" today), may be DRAINING,
// and is deregistered to INACTIVE (describable for an hour after). A new
// cluster has none: EC2 tasks need one. Counts and remaining resources
// follow from the tasks placed on each instance.
//
// Thread-safety: every method may be called from any thread.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "server/ecs/cluster_query.h"
#include "server/ecs/cluster_service.h"
#include "storage/container_instance_store.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecs {

// arn:...:container-instance/<cluster>/<id>
std::string ContainerInstanceArn(const aws::RequestContext& context, std::string_view cluster,
                                 std::string_view instance_id);
// The instance a parameter (bare id or ARN of this account, region and
// cluster, long or short format) names, whatever its status (an INACTIVE one
// only within the hour it stays describable); nullopt when none.
std::optional<storage::ContainerInstanceRecord> ResolveContainerInstance(
    storage::Db& db, const aws::RequestContext& context, const std::string& cluster,
    std::string_view text);

// The Docker engine name of the host Berth runs on.
inline constexpr std::string_view kLocalEngine = "local";
// The member of a registration document that marks an instance Berth
// registered itself (--register-local-instance): DeleteCluster deregisters
// it instead of refusing.
inline constexpr std::string_view kRegisteredByBerth = "berth.registeredByBerth";
// Deregistered instances stay describable this long.
inline constexpr double kInactiveInstanceSeconds = 60 * 60;

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
  int64_t group_tasks = 0;  // of the task group UsageByInstance was asked about
  void Add(const InstanceUsage& other);
};

// What one task of `task_definition` with `overrides` needs.
InstanceUsage NeedsOf(const nlohmann::json& task_definition, const nlohmann::json& overrides);
// What the cluster's unfinished tasks hold of each instance, by ARN, in one
// pass over them (each task definition read once); with `group`, the
// group's tasks on each instance are counted in `group_tasks`.
std::map<std::string, InstanceUsage> UsageByInstance(storage::Db& db,
                                                     const storage::Partition& partition,
                                                     const std::string& cluster,
                                                     const std::string& group = "");
// An instance's registered CPU and memory (its registeredResources).
HostResources RegisteredResourcesOf(const nlohmann::json& registered_document);
// Why a task needing `needs` does not fit beside `used` on `host`, as ECS's
// placement failure reasons (RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS,
// RESOURCE:PORTS_UDP); nullopt when it fits.
std::optional<std::string> PlacementFailure(const HostResources& host, const InstanceUsage& used,
                                            const InstanceUsage& needs);

// What Berth learns of another Docker engine an instance registers for (see
// server/util/engine_attributes.h).
struct EngineFacts {
  int64_t cpus = 0;
  int64_t memory_bytes = 0;
  std::string os_type;       // "linux"
  std::string architecture;  // as the daemon says: "x86_64", "aarch64"
  // Where Berth's connections to the engine leave from ("" but for tcp://).
  std::string local_address;
};
// Asks the engine at an endpoint; throws std::exception saying why when it
// does not answer.
// `cert_path`: the directory of the engine's own TLS files; "" for Berth's
// setting.
using EngineProber =
    std::function<EngineFacts(const std::string& endpoint, const std::string& cert_path)>;

struct DescribeContainerInstancesResult {
  std::vector<nlohmann::json> instances;  // ContainerInstance shapes
  std::vector<std::string> missing;       // as requested
};

struct UpdateContainerInstancesStateResult {
  std::vector<nlohmann::json> instances;  // those updated, as ContainerInstance shapes
  std::vector<nlohmann::json> failures;   // {arn, reason}
};

class ContainerInstanceService {
 public:
  ContainerInstanceService(storage::Database& database, ClusterService& clusters,
                           HostResources host = HostResources::OfThisMachine())
      : database_(database), clusters_(clusters), host_(host) {}

  // Called after tasks were told to stop (wakes the reconciler).
  void SetWaker(std::function<void()> waker) { waker_ = std::move(waker); }
  // How registrations of other engines are checked; without one they are
  // refused. Set before use.
  void SetEngineProber(EngineProber prober) { prober_ = std::move(prober); }

  // `request` is a RegisterContainerInstanceRequest checked against the
  // model. Registers a new instance of the local engine (resources default to
  // the host's), or re-registers the one `containerInstanceArn` names. With
  // the attribute berth.docker-host, the instance stands for that engine
  // instead: its resources and os/architecture attributes are the engine's
  // (asked at once), and berth.host-address / berth.berth-address get their
  // defaults. Throws ClusterNotFoundException, InvalidParameterException
  // (also when that engine does not answer).
  nlohmann::json Register(const aws::RequestContext& context, const nlohmann::json& request);
  // Registers the local Docker host in the cluster unless an ACTIVE or
  // DRAINING instance of the local engine is there already (what an ECS agent
  // configured with ECS_CLUSTER does when it starts). Idempotent.
  void RegisterLocal(const aws::RequestContext& context, const std::string& cluster);
  // The same for the engine at `endpoint` (berth --engine); an engine that
  // does not answer is left out, with a warning in the log.
  void RegisterEngine(const aws::RequestContext& context, const std::string& cluster,
                      const std::string& endpoint);
  // Without `force`, an instance with tasks not yet STOPPED fails with
  // InvalidParameterException ("Found running tasks on the instance.");
  // with it, those tasks are told to stop. The instance becomes INACTIVE.
  nlohmann::json Deregister(const aws::RequestContext& context,
                            const std::optional<std::string>& cluster, const std::string& instance,
                            bool force);
  // ACTIVE or DRAINING; unknown (or INACTIVE) instances are failures.
  UpdateContainerInstancesStateResult UpdateState(const aws::RequestContext& context,
                                                  const std::optional<std::string>& cluster,
                                                  const std::vector<std::string>& instances,
                                                  const std::string& status);
  // Berth's instances run Berth's own agent, always its newest version:
  // NoUpdateAvailableException (after checking the instance exists).
  nlohmann::json UpdateAgent(const aws::RequestContext& context,
                             const std::optional<std::string>& cluster,
                             const std::string& instance);

  // ARNs of the cluster's instances matching `filter` (ECS's cluster query
  // language: attribute:<name> exists | == | != | in [...], and
  // ec2InstanceId == | != | in, joined by `and`/`or`) and `status` (all but
  // INACTIVE when absent).
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
  // What Document reads for a whole cluster, read once for a request that
  // builds many documents.
  struct ClusterFacts {
    std::map<std::string, InstanceUsage> usage;  // by instance ARN
    std::vector<storage::AttributeRecord> attributes;
  };
  static ClusterFacts FactsOf(storage::Db& db, const aws::RequestContext& context,
                              const std::string& cluster);
  nlohmann::json Document(storage::Db& db, const aws::RequestContext& context,
                          const storage::ContainerInstanceRecord& record, bool with_tags,
                          bool with_health, const ClusterFacts* facts = nullptr);
  storage::ContainerInstanceRecord RequireInstance(storage::Db& db,
                                                   const aws::RequestContext& context,
                                                   const std::string& cluster,
                                                   const std::string& instance);
  // Returns the new instance's id.
  std::string Insert(storage::Db& db, const aws::RequestContext& context,
                     const std::string& cluster, const nlohmann::json& registered,
                     const std::vector<storage::Tag>& tags, const std::string& engine);

  storage::Database& database_;
  ClusterService& clusters_;
  HostResources host_;
  std::function<void()> waker_;
  EngineProber prober_;
};

// The documents an instance registers with: the local host's (resources of
// `host`, the built-in attributes).
nlohmann::json LocalInstanceRegistration(const aws::RequestContext& context,
                                         const HostResources& host);
// The documents an instance of the engine at `endpoint` registers with: the
// engine's resources and os/architecture, and where it and Berth reach each
// other (berth.host-address, berth.berth-address).
nlohmann::json EngineInstanceRegistration(const aws::RequestContext& context,
                                          const std::string& endpoint, const EngineFacts& facts);

// Whether an instance (its ec2InstanceId and attributes) matches a cluster
// query language expression. Throws InvalidParameterException when the
// expression is malformed or uses what Berth does not evaluate.
bool MatchesClusterQuery(std::string_view expression, const nlohmann::json& instance);
// The same for an expression parsed already.
bool MatchesClusterQuery(const ClusterQuery& query, const nlohmann::json& instance);

}  // namespace berth::ecs
