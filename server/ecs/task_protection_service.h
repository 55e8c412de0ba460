#pragma once

// Task scale-in protection (GetTaskProtection, UpdateTaskProtection): a
// protected service task is never chosen by the scheduler for scale-in or a
// deployment's replacement until its protection is removed or expires
// (ECS clears it by itself at expiry). Standalone tasks cannot be protected.
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

struct TaskProtectionResult {
  std::vector<nlohmann::json> protected_tasks;  // ProtectedTask shapes
  std::vector<nlohmann::json> failures;
};

class TaskProtectionService {
 public:
  static constexpr int64_t kDefaultMinutes = 120;
  static constexpr int64_t kMaxMinutes = 2880;

  explicit TaskProtectionService(storage::Database& database) : database_(database) {}
  void SetWaker(std::function<void()> waker) { waker_ = std::move(waker); }

  TaskProtectionResult Update(const aws::RequestContext& context, const std::string& cluster,
                              const std::vector<std::string>& tasks, bool enabled,
                              std::optional<int64_t> expires_in_minutes);
  // `tasks` empty: every protected task of the cluster.
  TaskProtectionResult Get(const aws::RequestContext& context, const std::string& cluster,
                           const std::vector<std::string>& tasks);

 private:
  void Wake() const {
    if (waker_) waker_();
  }

  storage::Database& database_;
  std::function<void()> waker_;
};

}  // namespace berth::ecs
