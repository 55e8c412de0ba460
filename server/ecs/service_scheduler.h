#pragma once

// The ECS service scheduler, run at the start of every reconciler pass (the
// control plane, as on ECS, not the agent): for each service that is not
// INACTIVE it gathers the service, its deployments and tasks into a
// plan::Input, asks plan::PlanService what to do, and applies the answer in
// one transaction — new task records (placed and tagged as RunTask would),
// stops with ECS's codes and reasons, deployment and service deployment
// progress, events. The reconciler then drives the tasks it recorded.
//
// Thread-safety: Pass() from one thread at a time (the reconciler's loop).

#include <map>
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

  ServiceScheduler(storage::Database& database, HostResources host, const Clock& clock)
      : database_(database), host_(host), clock_(clock) {}

  // One pass over every live service. Returns true when something changed
  // (another pass should follow soon). Never throws.
  bool Pass();

 private:
  bool PassService(const storage::ServiceKey& key);

  storage::Database& database_;
  HostResources host_;
  const Clock& clock_;
};

}  // namespace berth::ecs
