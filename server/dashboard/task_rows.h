#pragma once

// The tasks part of a dashboard snapshot: the rows (task_row.h) of one
// account and region's newest tasks, already as JSON text, and the task
// counts per cluster. It remembers what it made of each task: a task whose
// stored texts did not change is not parsed or serialized again, and a
// STOPPED task (whose record never changes again) is not even read, so a
// snapshot of a thousand stopped tasks costs one pass over their keys.
//
// Thread-safety: Collect() may be called from any thread (concurrent calls
// for one partition are correct, and only miss the remembered rows).

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/aws/request_context.h"
#include "server/dashboard/snapshot.h"
#include "server/ecs/ecs_service.h"

namespace berth::dashboard {

// The tasks of one snapshot.
struct CollectedTasks {
  // The rows, in RecentTasks order; each row also carries "v", a version
  // that changes whenever anything else in it may have.
  std::vector<TaskRowText> rows;
  bool more_unfinished = false;
  bool more_stopped = false;
  std::map<std::string, ecs::RecentTasks::Counts> by_cluster;
};

class TaskRowCollector {
 public:
  explicit TaskRowCollector(ecs::EcsServices& ecs) : ecs_(ecs) {}

  // The rows of the newest `max_unfinished` tasks not yet STOPPED and the
  // `max_stopped` most recently STOPPED ones of the context's partition.
  CollectedTasks Collect(const aws::RequestContext& context, size_t max_unfinished,
                         size_t max_stopped);

 private:
  struct CachedRow {
    size_t fingerprint = 0;                   // of the texts the row was made from
    bool stopped = false;                     // final: never read again
    std::shared_ptr<const std::string> json;  // shared with the snapshots
  };
  using RowCache = std::unordered_map<std::string, CachedRow>;  // by task id

  // Names of the containers of a task definition (by ARN) that log with
  // awslogs; revisions never change, so the answers are kept.
  std::vector<std::string> AwslogsContainers(const aws::RequestContext& context,
                                             const std::string& task_definition_arn);

  ecs::EcsServices& ecs_;
  std::mutex mutex_;
  std::map<std::string, RowCache> rows_by_partition_;                      // under mutex_
  std::map<std::string, std::vector<std::string>> awslogs_by_definition_;  // under mutex_
};

}  // namespace berth::dashboard
