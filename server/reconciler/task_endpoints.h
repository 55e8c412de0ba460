#pragma once

// Which task a request to the task endpoints belongs to: the metadata
// endpoint's id (one per container, in ECS_CONTAINER_METADATA_URI_V4) and
// the task-role credentials id (in AWS_CONTAINER_CREDENTIALS_RELATIVE_URI),
// each mapped to the task (and container) it was made for. The reconciler
// registers a task's ids whenever it steps the task (so a restarted Berth
// knows them again after its first pass) and forgets them once the task has
// STOPPED: credentials die with the task. The metadata handler
// (server/metadata/) looks ids up here and answers only requests that also
// come from the task: from the task's own address, or, for a task on
// another Docker engine (whose requests reach Berth from that engine's
// address), on the port of the listener Berth opened for that task alone.
//
// Thread-safety: every method may be called from any thread.

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "server/util/engine_attributes.h"
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
  // A task on another engine: the listener its relay connects to (host and
  // port), and the engine. 0 and engines::kLocal for the local engine's tasks.
  std::string arrival_host;
  uint16_t arrival_port = 0;
  std::string engine = std::string(engines::kLocal);
};

// What an id leads to.
struct TaskEndpointTarget {
  storage::Partition partition;
  std::string cluster;
  std::string task_id;
  std::string source_address;
  std::string container;  // empty for a credentials id
  uint16_t arrival_port = 0;
  std::string engine = std::string(engines::kLocal);
};

// Where requests from a task's relay arrive.
struct ArrivalListener {
  std::string host;
  uint16_t port = 0;

  auto operator<=>(const ArrivalListener&) const = default;
};

// How Berth listens for one task on another engine: such a task reaches the
// endpoints through a listener of its own, on the address where its engine
// reaches Berth (its requests come from the engine's address, so the port
// they arrive on tells the task). `open` listens at host:port (port 0: a
// free one) and returns the port (0: it cannot); `close` stops.
struct TaskListeners {
  std::function<uint16_t(const std::string& host, uint16_t port)> open = {};
  std::function<void(const std::string& host, uint16_t port)> close = {};
};

class TaskEndpoints {
 public:
  // Replaces what was known of the task.
  void Register(const TaskEndpointIds& ids);
  // Returns the listener of a task on another engine, for the caller to
  // close.
  std::optional<ArrivalListener> Forget(const std::string& task_id);
  // Forgets every task (Berth's reset); returns the listeners of tasks on
  // other engines, for the caller to close.
  std::vector<ArrivalListener> ForgetAll();

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
