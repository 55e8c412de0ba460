#include "server/ecs/task_protection_service.h"

#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/service_common.h"
#include "server/ecs/task_service.h"
#include "storage/service_store.h"
#include "storage/task_protection_store.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

json Failure(const std::string& arn, const std::string& reason, const std::string& detail) {
  return {{"arn", arn}, {"reason", reason}, {"detail", detail}};
}

}  // namespace

TaskProtectionResult TaskProtectionService::Update(const aws::RequestContext& context,
                                                   const std::string& cluster_param,
                                                   const std::vector<std::string>& tasks,
                                                   bool enabled,
                                                   std::optional<int64_t> expires_in_minutes) {
  if (tasks.empty()) throw InvalidParameterException("Tasks cannot be empty.");
  if (tasks.size() > 10) throw InvalidParameterException("tasks can have at most 10 items.");
  const int64_t minutes = expires_in_minutes.value_or(kDefaultMinutes);
  if (minutes < 1 || minutes > kMaxMinutes) {
    throw InvalidParameterException("expiresInMinutes must be between 1 and 2880.");
  }
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const storage::ClusterRecord cluster = ActiveCluster(lease.db(), context, cluster_param);
  storage::TaskStore task_store(lease.db());
  storage::TaskProtectionStore protection(lease.db(), PartitionOf(context));
  storage::ServiceStore services(lease.db(), PartitionOf(context));
  TaskProtectionResult result;
  for (const auto& identifier : tasks) {
    const auto id = TaskIdFrom(context, identifier);
    const auto task = id ? task_store.Find(PartitionOf(context), cluster.name, *id) : std::nullopt;
    if (!task) {
      result.failures.push_back(
          Failure(identifier, "MISSING", "The task was not found in the cluster."));
      continue;
    }
    const std::string arn = TaskArn(context, cluster.name, task->task_id);
    if (!task->service_name || task->last_status == "STOPPED") {
      result.failures.push_back(Failure(arn, "TASK_NOT_VALID",
                                        task->service_name
                                            ? "The task is stopped."
                                            : "Only tasks started by a service can be protected."));
      continue;
    }
    if (!enabled) {
      protection.Unprotect(cluster.name, task->task_id);
      result.protected_tasks.push_back({{"taskArn", arn}, {"protectionEnabled", false}});
      continue;
    }
    // More protected tasks than the service wants would block deployments.
    const auto service = services.Find(cluster.name, *task->service_name);
    int64_t protected_count = 0;
    bool already = false;
    for (const auto& other :
         task_store.OfService(PartitionOf(context), cluster.name, *task->service_name, 1e300)) {
      const auto until = protection.ExpiresAt(cluster.name, other.task_id);
      if (until && *until > context.now) {
        ++protected_count;
        already = already || other.task_id == task->task_id;
      }
    }
    if (!already && service && protected_count + 1 > service->desired_count) {
      result.failures.push_back(Failure(arn, "DEPLOYMENT_BLOCKED",
                                        "The service would have more protected tasks than its "
                                        "desired count."));
      continue;
    }
    const double expires = context.now + static_cast<double>(minutes) * 60;
    protection.Protect(cluster.name, task->task_id, expires);
    result.protected_tasks.push_back(
        {{"taskArn", arn}, {"protectionEnabled", true}, {"expirationDate", expires}});
  }
  tx.Commit();
  Wake();
  return result;
}

TaskProtectionResult TaskProtectionService::Get(const aws::RequestContext& context,
                                                const std::string& cluster_param,
                                                const std::vector<std::string>& tasks) {
  if (tasks.size() > 100) throw InvalidParameterException("tasks can have at most 100 items.");
  auto lease = database_.Acquire();
  const storage::ClusterRecord cluster = ActiveCluster(lease.db(), context, cluster_param);
  storage::TaskStore task_store(lease.db());
  storage::TaskProtectionStore protection(lease.db(), PartitionOf(context));
  TaskProtectionResult result;
  const auto report = [&](const storage::TaskRecord& task) {
    const std::string arn = TaskArn(context, cluster.name, task.task_id);
    const auto until = protection.ExpiresAt(cluster.name, task.task_id);
    if (until && *until > context.now) {
      result.protected_tasks.push_back(
          {{"taskArn", arn}, {"protectionEnabled", true}, {"expirationDate", *until}});
    } else {
      result.protected_tasks.push_back({{"taskArn", arn}, {"protectionEnabled", false}});
    }
  };
  if (tasks.empty()) {
    for (const auto& task : task_store.UnfinishedIn(PartitionOf(context), cluster.name)) {
      const auto until = protection.ExpiresAt(cluster.name, task.task_id);
      if (task.service_name && until && *until > context.now) report(task);
    }
    return result;
  }
  for (const auto& identifier : tasks) {
    const auto id = TaskIdFrom(context, identifier);
    const auto task = id ? task_store.Find(PartitionOf(context), cluster.name, *id) : std::nullopt;
    if (!task) {
      result.failures.push_back(
          Failure(identifier, "MISSING", "The task was not found in the cluster."));
      continue;
    }
    if (!task->service_name) {
      result.failures.push_back(Failure(TaskArn(context, cluster.name, task->task_id),
                                        "TASK_NOT_VALID",
                                        "Only tasks started by a service can be protected."));
      continue;
    }
    report(*task);
  }
  return result;
}

}  // namespace berth::ecs
