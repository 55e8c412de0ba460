#include "server/reconciler/task_endpoints.h"

#include <mutex>

#include "server/util/crypto.h"

namespace berth::reconciler {

void TaskEndpoints::Register(const TaskEndpointIds& ids) {
  std::unique_lock lock(mutex_);
  const auto known = tasks_.find(ids.task_id);
  if (known != tasks_.end()) {
    if (known->second.source_address == ids.source_address &&
        known->second.endpoint_ids == ids.endpoint_ids &&
        known->second.credentials_id == ids.credentials_id &&
        known->second.arrival_port == ids.arrival_port && known->second.engine == ids.engine) {
      return;  // the usual case: nothing changed since the last step
    }
    for (const auto& [container, id] : known->second.endpoint_ids) endpoints_.erase(id);
    credentials_.erase(known->second.credentials_id);
  }
  TaskEndpointTarget target{ids.partition,    ids.cluster, ids.task_id, ids.source_address, "",
                            ids.arrival_port, ids.engine};
  for (const auto& [container, id] : ids.endpoint_ids) {
    target.container = container;
    endpoints_[id] = target;
  }
  if (!ids.credentials_id.empty()) {
    target.container.clear();
    credentials_[ids.credentials_id] = target;
  }
  tasks_[ids.task_id] = ids;
}

std::optional<ArrivalListener> TaskEndpoints::Forget(const std::string& task_id) {
  std::unique_lock lock(mutex_);
  const auto known = tasks_.find(task_id);
  if (known == tasks_.end()) return std::nullopt;
  for (const auto& [container, id] : known->second.endpoint_ids) endpoints_.erase(id);
  credentials_.erase(known->second.credentials_id);
  std::optional<ArrivalListener> listener;
  if (known->second.arrival_port != 0) {
    listener = ArrivalListener{known->second.arrival_host, known->second.arrival_port};
  }
  tasks_.erase(known);
  return listener;
}

std::vector<ArrivalListener> TaskEndpoints::ForgetAll() {
  std::unique_lock lock(mutex_);
  std::vector<ArrivalListener> out;
  for (const auto& [task_id, ids] : tasks_) {
    if (ids.arrival_port != 0) out.push_back({ids.arrival_host, ids.arrival_port});
  }
  tasks_.clear();
  endpoints_.clear();
  credentials_.clear();
  return out;
}

std::optional<TaskEndpointTarget> TaskEndpoints::ByEndpointId(
    const std::string& endpoint_id) const {
  std::shared_lock lock(mutex_);
  const auto it = endpoints_.find(endpoint_id);
  if (it == endpoints_.end()) return std::nullopt;
  return it->second;
}

std::optional<TaskEndpointTarget> TaskEndpoints::ByCredentialsId(
    const std::string& credentials_id) const {
  std::shared_lock lock(mutex_);
  const auto it = credentials_.find(credentials_id);
  if (it == credentials_.end()) return std::nullopt;
  return it->second;
}

std::string NewEndpointId(const std::string& task_id) {
  // Ten decimal digits from random bits.
  const std::string hex = crypto::RandomHex(8);
  const unsigned long long value = std::stoull(hex, nullptr, 16) % 10'000'000'000ULL;
  std::string digits = std::to_string(value);
  digits.insert(0, 10 - digits.size(), '0');
  return task_id + "-" + digits;
}

std::string NewCredentialsId() { return crypto::Uuid(); }

}  // namespace berth::reconciler
