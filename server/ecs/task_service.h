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
  DescribeTasksResult DescribeTasks(const aws::RequestContext& context,
                                    const std::optional<std::string>& cluster,
                                    const std::vector<std::string>& tasks);
  // Task ARNs of one page; `next` is empty on the last page.
  std::vector<std::string> ListTasks(const aws::RequestContext& context,
                                     const ListTasksQuery& query, std::string& next);

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
