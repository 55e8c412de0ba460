#pragma once

// What the dashboard reads and does, in terms of Berth's own services (the
// same functions the AWS APIs call; no SQL here):
//   - the accounts and regions that hold anything;
//   - a snapshot of one account and region: ECR repositories and their
//     images, ECS clusters, services (deployments, latest events) and tasks
//     (as task_row.h shapes them);
//   - the last lines of a task's awslogs containers, read through LogService;
//   - stopping a task through TaskService::StopTask, as the StopTask API.
// Sizes are bounded by SnapshotLimits, and every read takes the database for
// one short lease (tasks a few dozen at a time), so building a snapshot never
// keeps API requests waiting long; task rows are remembered between
// snapshots (TaskRowCollector).
//
// Thread-safety: every method may be called from any thread.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/dashboard/snapshot.h"
#include "server/dashboard/task_rows.h"
#include "server/ecr/ecr_service.h"
#include "server/ecs/ecs_service.h"
#include "server/logs/log_service.h"
#include "server/util/clock.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::dashboard {

// What one snapshot includes at most.
struct SnapshotLimits {
  size_t unfinished_tasks = 2000;  // tasks not yet STOPPED, newest first
  size_t stopped_tasks = 1000;     // STOPPED tasks, most recently stopped first
  size_t repositories = 500;
  size_t images = 2000;  // across all repositories
  size_t clusters = 100;
  size_t services = 500;  // across all clusters
  size_t events_per_service = 5;
  size_t log_lines = 20;  // per awslogs container (TaskLogs)
};

// The reason StopTask records for tasks stopped from the dashboard.
inline constexpr const char* kStopReason = "Stopped from the Berth dashboard";

class DashboardState {
 public:
  DashboardState(storage::Database& database, ecr::EcrService& ecr, ecs::EcsServices& ecs,
                 logs::LogService& logs, const Clock& clock, SnapshotLimits limits = {});

  // Accounts and regions with repositories, clusters, task definitions or
  // log groups, ordered.
  std::vector<storage::Partition> Partitions();

  // The state of one account and region (as snapshot.h parts), with the
  // members of `extra` (an object) added; as one JSON object:
  //   {account, region, limits, truncated: {...}, errors: [...],
  //    repositories: [{name, uri, createdAt, tagMutability, imagesTruncated,
  //                    images: [{digest, tags, size, pushedAt, lastPulledAt,
  //                              mediaType}]}],
  //    clusters: [{name, status, runningTasks, pendingTasks, activeServices}],
  //    services: [{cluster, serviceName, status, desiredCount, runningCount,
  //                pendingCount, launchType, taskDefinition, deployments,
  //                events}],
  //    tasks: [TaskRow…]}
  // Images are newest first within their repository. Cluster counts come
  // from the same pass over the tasks (DescribeClusters' rule), not from
  // DescribeClusters.
  Snapshot Build(const storage::Partition& partition,
                 const nlohmann::json& extra = nlohmann::json::object());

  // {task, containers: [{name, group, stream, lines: [{timestamp, message}],
  // error?}]} for each awslogs container of the task (at most
  // limits.log_lines each, oldest first); nullopt when the task is unknown.
  std::optional<nlohmann::json> TaskLogs(const storage::Partition& partition,
                                         const std::string& cluster, const std::string& task_id);

  // StopTask with kStopReason; returns the task's row. Throws aws::AwsError
  // as the StopTask API would (unknown cluster or task, ...).
  nlohmann::json StopTask(const storage::Partition& partition, const std::string& cluster,
                          const std::string& task_id);

  const SnapshotLimits& limits() const { return limits_; }

 private:
  aws::RequestContext Context(const storage::Partition& partition) const;
  nlohmann::json Repositories(const storage::Partition& partition, bool& truncated);
  nlohmann::json Clusters(const aws::RequestContext& context, const CollectedTasks& tasks,
                          bool& truncated);
  nlohmann::json Services(const aws::RequestContext& context, nlohmann::json& clusters,
                          bool& truncated);

  storage::Database& database_;
  ecr::EcrService& ecr_;
  ecs::EcsServices& ecs_;
  logs::LogService& logs_;
  const Clock& clock_;
  const SnapshotLimits limits_;
  TaskRowCollector task_rows_;
};

}  // namespace berth::dashboard
