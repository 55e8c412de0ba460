#pragma once

// The managed agents ECS reports on each container of a task run with
// enableExecuteCommand: one `ExecuteCommandAgent` entry that follows its
// container (PENDING until the container runs, then RUNNING with
// lastStartedAt, STOPPED once the container stopped). Berth has no SSM agent
// in the container; ExecuteCommand goes through `docker exec`, which works
// exactly while the container runs, so the container's state is the agent's.
//
// Thread-safety: pure functions on the caller's document.

#include <nlohmann/json.hpp>

namespace berth::reconciler {

inline constexpr const char* kExecuteCommandAgent = "ExecuteCommandAgent";

// Brings every container's managedAgents of a task document in step with
// the container's lastStatus (`now` stamps lastStartedAt). Tasks without
// enableExecuteCommand get none. Idempotent.
void SyncManagedAgents(nlohmann::json& task_document, double now);

}  // namespace berth::reconciler
