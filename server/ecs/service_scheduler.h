#pragma once

// The ECS service scheduler, run at the start of every reconciler pass (the
// control plane, as on ECS, not the agent): for each service that is not
// INACTIVE it gathers the service, its deployments and tasks into a
// plan::Input, asks plan::PlanService what to do, and applies the answer in
// one transaction — new task records (placed and tagged as RunTask would),
// stops with ECS's codes and reasons, deployment and service deployment
// progress, events. The reconciler then drives the tasks it recorded.
//
// A pass looks only at the services that may have something to do: those
// whose tasks changed (TaskChanged, from the reconciler), all of them after
// an API call (MarkAllDirty), those whose plan asked to be woken by now
// (a grace period, a back-off, a protection ending), and every one at least
// every kFullPassSeconds.
//
// Thread-safety: Pass() from one thread at a time (the reconciler's loop);
// MarkAllDirty and TaskChanged from any thread.

#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "server/ecs/container_instance_service.h"
#include "server/util/clock.h"
#include "storage/database.h"
#include "storage/service_store.h"

namespace berth::ecs {

class ServiceScheduler {
 public:
  // STOPPED tasks count toward failures (and back-off) this long.
  static constexpr double kFailureMemorySeconds = 60 * 60;
  // Every service is looked at at least this often.
  static constexpr double kFullPassSeconds = 30;

  ServiceScheduler(storage::Database& database, HostResources host, const Clock& clock)
      : database_(database), host_(host), clock_(clock) {}

  // One pass over the live services that may have something to do. Returns
  // true when something changed (another pass should follow soon). Never
  // throws.
  bool Pass();
  // Desired state changed through the API: every service is due.
  void MarkAllDirty();
  // A task changed; its service (if any) is due.
  void TaskChanged(const storage::TaskRecord& task);

 private:
  // What the scheduler remembers of a service between passes.
  struct Memo {
    bool dirty = true;
    double wake_at = 0;  // 0: no timer
  };
  // Runs one service's pass; returns whether it changed anything, and when
  // its plan wants to run again (`wake_at`, 0 for never).
  bool PassService(const storage::ServiceKey& key, double& wake_at);
  static std::string KeyOf(const storage::Partition& partition, const std::string& cluster,
                           const std::string& name);

  storage::Database& database_;
  HostResources host_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Memo> memo_;  // guarded by mutex_
  bool all_dirty_ = true;             // guarded by mutex_
  double last_full_pass_ = 0;         // Pass() only
};

}  // namespace berth::ecs
