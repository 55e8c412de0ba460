#pragma once

// ECS tasks as the API sees them: RunTask (and StartTask, which names the
// container instance) validates and records a task in
// its first state (PROVISIONING for awsvpc, PENDING otherwise) and returns at
// once, as ECS does; StopTask records the wish to stop. Nothing here talks to
// Docker: the reconciler (woken through the waker) makes it so, and writes
// back what it observes.
//
// Thread-safety: every method may be called from any thread.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "server/ecs/cluster_service.h"
#include "server/ecs/container_instance_service.h"
#include "server/ecs/task_definition_service.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecs {

// A task as DescribeTasks reports it.
struct Task {
  nlohmann::json document;
  std::vector<storage::Tag> tags;
};

struct RunTaskResult {
  std::vector<Task> tasks;
  std::vector<nlohmann::json> failures;
};

struct DescribeTasksResult {
  std::vector<Task> tasks;
  std::vector<std::string> missing;  // identifiers as requested
};

// A partition's newest tasks, for an overview (Berth's dashboard).
struct RecentTasks {
  // Each task as DescribeTasks reports it (without tags) and Berth's local
  // record of it (runtime: containers, resolved images, notes on what it
  // could not honour), as the JSON text stored, so that an overview that
  // keeps what it made of a task parses only tasks whose text changed.
  // Those not yet STOPPED come first, newest first, then the STOPPED ones,
  // most recently stopped first. A STOPPED task the caller said it already
  // has (a STOPPED task's record never changes again) comes without texts
  // (`known`), and is not even read.
  struct Entry {
    std::string task_id;
    bool stopped = false;
    bool known = false;
    std::string document;
    std::string runtime;
  };
  std::vector<Entry> tasks;
  bool more_unfinished = false;  // tasks not yet STOPPED were left out
  bool more_stopped = false;     // STOPPED tasks were left out
  // Every task of the partition, left out or not, counted per cluster as
  // DescribeClusters counts them: RUNNING, and PROVISIONING, PENDING or
  // ACTIVATING.
  struct Counts {
    int64_t running = 0;
    int64_t pending = 0;
  };
  std::map<std::string, Counts> by_cluster;
};

// ListTasks filters, as the API received them.
struct ListTasksQuery {
  std::optional<std::string> cluster;
  std::optional<std::string> family;
  std::optional<std::string> started_by;
  std::optional<std::string> service_name;
  std::optional<std::string> container_instance;
  std::optional<std::string> launch_type;
  std::string desired_status = "RUNNING";
  std::string token;
  size_t max_results = 100;
};

class TaskService {
 public:
  // STOPPED tasks stay describable this long (the tasks-stopped waiter and
  // tests rely on it), then are purged.
  static constexpr double kStoppedRetentionSeconds = 60 * 60;

  // `host`: the resources of the container instance non-Fargate tasks are
  // placed on (the local Docker host).
  TaskService(storage::Database& database, TaskDefinitionService& task_definitions,
              HostResources host)
      : database_(database), task_definitions_(task_definitions), host_(host) {}

  // Called after every change of desired state (wakes the reconciler).
  void SetWaker(std::function<void()> waker) { waker_ = std::move(waker); }

  // `request` is a RunTaskRequest checked against the model. Throws
  // ClusterNotFoundException, ClientException, InvalidParameterException,
  // ConflictException.
  RunTaskResult RunTask(const aws::RequestContext& context, const nlohmann::json& request);
  // `request` is a StartTaskRequest: one task on each named container
  // instance (the cluster's own; others are failures with reason MISSING).
  RunTaskResult StartTask(const aws::RequestContext& context, const nlohmann::json& request);
  // Throws InvalidParameterException ("The referenced task was not found.").
  Task StopTask(const aws::RequestContext& context, const std::optional<std::string>& cluster,
                const std::string& task, const std::optional<std::string>& reason);
  // Throws InvalidParameterException ("The referenced task was not found.")
  // unless the task (id or ARN) is one of the cluster's.
  void RequireTask(const aws::RequestContext& context, const std::string& cluster,
                   const std::string& task);
  DescribeTasksResult DescribeTasks(const aws::RequestContext& context,
                                    const std::optional<std::string>& cluster,
                                    const std::vector<std::string>& tasks);
  // Task ARNs of one page; `next` is empty on the last page.
  std::vector<std::string> ListTasks(const aws::RequestContext& context,
                                     const ListTasksQuery& query, std::string& next);

  // The newest `max_unfinished` tasks not yet STOPPED and the `max_stopped`
  // most recently STOPPED ones of a partition, every cluster. Reads the
  // documents in short leases of a few dozen tasks, so that API requests
  // wait at most that long (a task that changes meanwhile is read as it is
  // then; one purged meanwhile is left out). Implemented in task_overview.cc.
  // `have_stopped(task_id)`: whether the caller already has that STOPPED
  // task (then it is not read); may be empty.
  RecentTasks Recent(const storage::Partition& partition, size_t max_unfinished, size_t max_stopped,
                     const std::function<bool(const std::string&)>& have_stopped = {});

  // Removes tasks STOPPED longer than the retention (with their tags).
  size_t PurgeStopped(double now);

 private:
  enum class LaunchKind { kRun, kStart };
  RunTaskResult Launch(const aws::RequestContext& context, const nlohmann::json& request,
                       LaunchKind kind);
  void Wake() const {
    if (waker_) waker_();
  }

  storage::Database& database_;
  TaskDefinitionService& task_definitions_;
  HostResources host_;
  std::function<void()> waker_;
};

// The task id a task parameter names (a bare id or a task ARN of this
// account and region, long or short format); nullopt when malformed.
std::optional<std::string> TaskIdFrom(const aws::RequestContext& context, std::string_view text);

}  // namespace berth::ecs
