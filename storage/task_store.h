#pragma once

// ECS tasks, one typed function per query. The API writes desired state here;
// the reconciler reads the unfinished tasks of every partition and writes
// back what it observed.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

struct TaskRecord {
  Partition partition;
  std::string cluster;
  std::string task_id;  // 32 lowercase hex
  std::string family;
  int64_t revision = 0;
  std::string desired_status;  // RUNNING or STOPPED
  std::string last_status;
  std::optional<std::string> launch_type;
  std::optional<std::string> started_by;
  std::optional<std::string> group;
  double created_at = 0;
  std::optional<double> stopped_at;
  std::string document;  // the AWS Task shape, JSON
  std::string runtime;   // Berth's local record, JSON
  // Service tasks: the service and the deployment (or task set) that runs it.
  std::optional<std::string> service_name;
  std::optional<std::string> deployment_id;
  // The instance the task was placed on (its document's
  // containerInstanceArn, or, for a Fargate task, the instance whose engine
  // Berth runs it on: its runtime's fargateHost), read by UnfinishedKeys
  // only (which also reads launch_type).
  std::optional<std::string> container_instance_arn;
};

// Which tasks ListTasks wants.
struct TaskFilter {
  std::string cluster;
  std::string desired_status = "RUNNING";
  std::optional<std::string> family;
  std::optional<std::string> started_by;
  std::optional<std::string> launch_type;
  std::optional<std::string> group;
  std::optional<std::string> service_name;
  // Only tasks placed on this container instance.
  std::optional<std::string> container_instance_arn;
};

// How many tasks of one deployment run and how many are on their way.
struct DeploymentTaskCounts {
  std::string deployment_id;
  int64_t running = 0;  // lastStatus RUNNING
  int64_t pending = 0;  // desired RUNNING, lastStatus before RUNNING
};

// A cluster's running and pending tasks (PROVISIONING, PENDING and
// ACTIVATING), split between Fargate and the container instance.
struct TaskCounts {
  int64_t running_fargate = 0;
  int64_t running_ec2 = 0;
  int64_t pending_fargate = 0;
  int64_t pending_ec2 = 0;
};

class TaskStore {
 public:
  explicit TaskStore(Db& db) : db_(db) {}

  void Insert(const TaskRecord& task);
  std::optional<TaskRecord> Find(const Partition& partition, std::string_view cluster,
                                 std::string_view task_id);
  // The task with this id in any partition or cluster (ids are random).
  std::optional<TaskRecord> FindById(std::string_view task_id);
  // Replaces the task's mutable columns and documents.
  void Update(const TaskRecord& task);
  // Task ids in order after `after` (exclusive).
  std::vector<std::string> List(const Partition& partition, const TaskFilter& filter,
                                std::string_view after, size_t limit);
  // Every task not yet STOPPED, in every partition (the reconciler's view).
  std::vector<TaskRecord> Unfinished();
  // The same without the documents: keys, statuses and created_at only (the
  // reconciler's pass, which reads each task afresh when it steps it).
  std::vector<TaskRecord> UnfinishedKeys();
  // Keys, statuses and times (no documents) of every task of a partition,
  // in no particular order, read in one pass that never touches the
  // documents' overflow pages. For overviews that then pick the tasks they
  // show and read those documents a few at a time.
  std::vector<TaskRecord> KeysIn(const Partition& partition);
  // The tasks of one cluster not yet STOPPED, oldest first.
  std::vector<TaskRecord> UnfinishedIn(const Partition& partition, std::string_view cluster);
  // The same without their documents (no JSON read), in no order: what
  // placement counts per instance.
  struct UnfinishedKey {
    std::string task_id;
    std::string family;
    int64_t revision = 0;
    std::string last_status;
    std::optional<std::string> launch_type;
    std::optional<std::string> group;
    bool definition_exists = false;  // its task definition revision is still stored
  };
  std::vector<UnfinishedKey> UnfinishedKeysIn(const Partition& partition, std::string_view cluster);
  TaskCounts CountActive(const Partition& partition, std::string_view cluster);
  // The tasks of one service that are not STOPPED, or stopped at or after
  // `stopped_since`, oldest first.
  std::vector<TaskRecord> OfService(const Partition& partition, std::string_view cluster,
                                    std::string_view service, double stopped_since);
  // Running and pending tasks of a service, per deployment.
  std::vector<DeploymentTaskCounts> CountByDeployment(const Partition& partition,
                                                      std::string_view cluster,
                                                      std::string_view service);
  // Tasks of a cluster that are not yet STOPPED (DeleteCluster refuses them).
  int64_t CountUnfinished(const Partition& partition, std::string_view cluster);
  // Tasks that use one task definition revision and are not yet STOPPED.
  int64_t CountUsing(const Partition& partition, std::string_view family, int64_t revision);
  // Removes STOPPED tasks that stopped before `before`; returns their ARN keys
  // as (partition, cluster, task id) for removing their tags.
  std::vector<TaskRecord> PurgeStopped(double before);

  // RunTask idempotency.
  std::optional<std::pair<std::string, std::string>> FindToken(const Partition& partition,
                                                               std::string_view token);
  void InsertToken(const Partition& partition, std::string_view token,
                   std::string_view request_hash, std::string_view task_arns, double now);

 private:
  Db& db_;
};

}  // namespace berth::storage
