#pragma once

// Task sets of services with the EXTERNAL deployment controller
// (CreateTaskSet, UpdateTaskSet, DeleteTaskSet, DescribeTaskSets,
// UpdateServicePrimaryTaskSet): each is a deployment record that the service
// scheduler keeps at its computed desired count — ceil(service desiredCount
// × scale / 100) — with real tasks, as ../shared/reference/
// ecs-services-advanced.md §1 describes.
//
// Thread-safety: every method may be called from any thread.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "storage/database.h"

namespace berth::ecs {

struct DescribeTaskSetsResult {
  std::vector<nlohmann::json> task_sets;
  std::vector<nlohmann::json> failures;
};

class TaskSetManager {
 public:
  // Task sets a service may have at once (ECS's limit).
  static constexpr size_t kMaxTaskSets = 5;

  explicit TaskSetManager(storage::Database& database) : database_(database) {}
  void SetWaker(std::function<void()> waker) { waker_ = std::move(waker); }

  // `request` is a CreateTaskSetRequest checked against the model.
  nlohmann::json CreateTaskSet(const aws::RequestContext& context, const nlohmann::json& request);
  nlohmann::json UpdateTaskSet(const aws::RequestContext& context, const std::string& cluster,
                               const std::string& service, const std::string& task_set,
                               const nlohmann::json& scale);
  nlohmann::json DeleteTaskSet(const aws::RequestContext& context, const std::string& cluster,
                               const std::string& service, const std::string& task_set, bool force);
  DescribeTaskSetsResult DescribeTaskSets(const aws::RequestContext& context,
                                          const std::string& cluster, const std::string& service,
                                          const std::vector<std::string>& task_sets,
                                          bool include_tags);
  nlohmann::json UpdateServicePrimaryTaskSet(const aws::RequestContext& context,
                                             const std::string& cluster, const std::string& service,
                                             const std::string& task_set);

 private:
  void Wake() const {
    if (waker_) waker_();
  }

  storage::Database& database_;
  std::function<void()> waker_;
};

}  // namespace berth::ecs
