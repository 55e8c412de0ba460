#pragma once

// Which task a request to the task endpoints belongs to: the metadata
// endpoint's id (one per container, in ECS_CONTAINER_METADATA_URI_V4) and
// the task-role credentials id (in AWS_CONTAINER_CREDENTIALS_RELATIVE_URI),
// each mapped to the task (and container) it was made for. The reconciler
// registers a task's ids whenever it steps the task (so a restarted Berth
// knows them again after its first pass) and forgets them once the task has
// STOPPED: credentials die with the task. The metadata handler
// (server/metadata/) looks ids up here and answers only requests that also
// come from the task's own address.
//
// Thread-safety: every method may be called from any thread.

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>

#include "storage/records.h"

namespace berth::reconciler {

// The ids Berth gives a task's containers, and the address requests from
// the task come from.
struct TaskEndpointIds {
  storage::Partition partition;
  std::string cluster;
  std::string task_id;
  std::string source_address;                       // the task's IP on its network
  std::map<std::string, std::string> endpoint_ids;  // container name → endpoint id
  std::string credentials_id;                       // empty without a task role
};

// What an id leads to.
struct TaskEndpointTarget {
  storage::Partition partition;
  std::string cluster;
  std::string task_id;
  std::string source_address;
  std::string container;  // empty for a credentials id
};

class TaskEndpoints {
 public:
  // Replaces what was known of the task.
  void Register(const TaskEndpointIds& ids);
  void Forget(const std::string& task_id);

  std::optional<TaskEndpointTarget> ByEndpointId(const std::string& endpoint_id) const;
  std::optional<TaskEndpointTarget> ByCredentialsId(const std::string& credentials_id) const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, TaskEndpointIds> tasks_;           // by task id
  std::map<std::string, TaskEndpointTarget> endpoints_;    // by endpoint id
  std::map<std::string, TaskEndpointTarget> credentials_;  // by credentials id
};

// A fresh endpoint id for a container of `task_id`: Fargate's form,
// "<task id>-<number>".
std::string NewEndpointId(const std::string& task_id);
// A fresh credentials id: a UUID from the kernel's CSPRNG (unguessable).
std::string NewCredentialsId();

}  // namespace berth::reconciler
