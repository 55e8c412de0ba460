#pragma once

// The daemon scheduler, run with the service scheduler at the start of
// every reconciler pass (ECS's control plane): for each daemon it keeps one
// task of the daemon's current revision on every container instance of its
// cluster, as a DAEMON service keeps one per instance.
//   - an instance without a live daemon task gets one (a task that stopped,
//     for any reason, is replaced; a newly registered instance gets its
//     task);
//   - tasks of older revisions are stopped drainPercent of the instances at
//     a time (at least one), and replaced once stopped;
//   - tasks on instances that left the cluster are stopped;
//   - a DRAINING instance gets no daemon task; the one it has stops (reason
//     plan::kDrainingReason) once no service task on it is left unstopped,
//     so the daemon serves them to the end (containers-roadmap#128);
//   - the deployment is IN_PROGRESS once it starts or stops a task and
//     SUCCESSFUL when every instance runs its revision and nothing else;
//   - a deleted daemon (DELETE_IN_PROGRESS) stops all its tasks, then its
//     draining deployment is SUCCESSFUL and the daemon is gone;
//   - a daemon task definition revision DELETE_IN_PROGRESS becomes DELETED
//     once no daemon runs it.
// New tasks are task records placed on the instance (launch type
// MANAGED_INSTANCES, group daemon:<name>, startedBy the deployment id); the
// reconciler runs them in Docker from the revision's runnable definition.
//
// Thread-safety: Pass() from one thread at a time (the reconciler's loop).

#include <nlohmann/json.hpp>

#include "server/ecs/container_instance_service.h"
#include "server/util/clock.h"
#include "storage/database.h"

namespace berth::ecs {

class DaemonScheduler {
 public:
  DaemonScheduler(storage::Database& database, ContainerInstanceService& instances,
                  const Clock& clock)
      : database_(database), instances_(instances), clock_(clock) {}

  // One pass over every daemon. Returns true when something changed. Never
  // throws.
  bool Pass();

 private:
  storage::Database& database_;
  ContainerInstanceService& instances_;
  const Clock& clock_;
};

}  // namespace berth::ecs
