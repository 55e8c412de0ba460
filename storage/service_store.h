#pragma once

// ECS services of one partition with their deployments and events, one
// typed function per query. A deployment is what ECS shows in a service's
// `deployments[]` and, for the EXTERNAL controller, a task set: one kind of
// record (ECS itself treats them alike).
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

// A service. `document` holds its configuration as the API echoes it
// (JSON); `scheduler` the scheduler's own notes about it (JSON).
struct ServiceRecord {
  Partition partition;
  std::string cluster;
  std::string name;
  std::string status;  // ACTIVE, DRAINING, INACTIVE
  int64_t desired_count = 0;
  std::string scheduling_strategy = "REPLICA";
  std::string controller = "ECS";  // ECS, EXTERNAL, CODE_DEPLOY
  std::optional<std::string> launch_type;
  std::optional<std::string> service_namespace;  // Service Connect
  double created_at = 0;
  double updated_at = 0;
  std::string document;
  std::string scheduler = "{}";
};

// One deployment (or task set) of a service. `document` holds what it runs
// with beyond the task definition (launch type or strategy, platform,
// network, Service Connect, scale, external id, ...) as JSON.
struct DeploymentRecord {
  std::string id;               // ecs-svc/<19 digits>
  std::string status;           // PRIMARY, ACTIVE, DRAINING, INACTIVE
  std::string task_definition;  // ARN
  int64_t desired_count = 0;
  int64_t failed_tasks = 0;
  std::optional<std::string> rollout_state;  // IN_PROGRESS, COMPLETED, FAILED
  std::optional<std::string> rollout_reason;
  double created_at = 0;
  double updated_at = 0;
  std::optional<std::string> service_deployment;  // the service deployment that made it
  std::string document = "{}";
};

struct ServiceEventRecord {
  std::string id;
  double created_at = 0;
  std::string message;
};

// A service's identity across clusters (ListServicesByNamespace, the
// scheduler's view).
struct ServiceKey {
  Partition partition;
  std::string cluster;
  std::string name;
};

// A cluster's services by status and launch type (DescribeClusters'
// statistics); services on a capacity provider count as Fargate.
struct ServiceCounts {
  int64_t active_ec2 = 0;
  int64_t active_fargate = 0;
  int64_t draining_ec2 = 0;
  int64_t draining_fargate = 0;
};

class ServiceStore {
 public:
  // Events kept per service (ECS shows the newest 100).
  static constexpr int64_t kMaxEvents = 100;

  ServiceStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  std::optional<ServiceRecord> Find(std::string_view cluster, std::string_view name);
  void Insert(const ServiceRecord& service);
  // Replaces the mutable columns (status, counts, document, notes, ...).
  void Update(const ServiceRecord& service);
  // Deletes the service with its deployments, events, service deployments
  // and revisions (an INACTIVE one whose name is taken again, or purged).
  void Remove(std::string_view cluster, std::string_view name);

  // Names of ACTIVE services of a cluster in name order after `after`.
  std::vector<std::string> ListActive(std::string_view cluster, std::string_view after,
                                      size_t limit, const std::optional<std::string>& launch_type,
                                      const std::optional<std::string>& scheduling_strategy);
  // ACTIVE services of any cluster in one Service Connect namespace, in
  // (cluster, name) order after `after` ("<cluster>/<name>").
  std::vector<ServiceKey> ListByNamespace(std::string_view service_namespace,
                                          std::string_view after, size_t limit);
  // Whether any service of the partition uses the namespace.
  bool NamespaceUsed(std::string_view service_namespace);
  // ACTIVE services of a cluster, and ACTIVE or DRAINING ones.
  int64_t CountActive(std::string_view cluster);
  int64_t CountLive(std::string_view cluster);
  ServiceCounts CountByLaunchType(std::string_view cluster);
  // The keys of every service that is not INACTIVE, in every partition
  // (the scheduler's pass).
  static std::vector<ServiceKey> LiveKeys(Db& db);
  // INACTIVE services last updated before `before`, in every partition.
  static std::vector<ServiceKey> InactiveBefore(Db& db, double before);

  // Deployments, newest first (INACTIVE ones included when asked).
  std::vector<DeploymentRecord> Deployments(std::string_view cluster, std::string_view service,
                                            bool include_inactive = false);
  std::optional<DeploymentRecord> FindDeployment(std::string_view cluster, std::string_view service,
                                                 std::string_view id);
  void PutDeployment(std::string_view cluster, std::string_view service,
                     const DeploymentRecord& deployment);

  // Appends an event, dropping the oldest beyond kMaxEvents.
  void AddEvent(std::string_view cluster, std::string_view service,
                const ServiceEventRecord& event);
  // Newest first.
  std::vector<ServiceEventRecord> Events(std::string_view cluster, std::string_view service,
                                         size_t limit = kMaxEvents);

 private:
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
