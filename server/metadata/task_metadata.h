#pragma once

// The documents of the ECS task metadata endpoint (v4 and v3), built from
// what Berth stores of a task: its DescribeTasks document, the reconciler's
// runtime record (Docker ids, the pause container's address and ports,
// endpoint ids) and the task definition. Shapes follow the ECS agent's
// handlers (../shared/reference/ecs-semantics.md §3.2–3.3): PascalCase keys,
// RFC 3339 times, Revision as a string, Limits.CPU in vCPUs for the task.
//
// Thread-safety: pure functions.

#include <string>

#include <nlohmann/json.hpp>

namespace berth::metadata {

// Everything stored of one task.
struct TaskView {
  nlohmann::json document;         // the DescribeTasks task
  nlohmann::json runtime;          // the reconciler's record
  nlohmann::json task_definition;  // the TaskDefinition it runs
};

enum class Version { kV3, kV4 };

// The container object for container `name` (the base path).
nlohmann::json ContainerMetadata(const TaskView& task, const std::string& name, Version version);
// The task object (`/task`); `tags` (the task's, as a key → value object)
// are added as TaskTags when not null (`/taskWithTags`).
nlohmann::json TaskMetadata(const TaskView& task, Version version, double now,
                            const nlohmann::json& tags = nullptr);

// The Docker container id of container `name` ("" before it exists).
std::string DockerIdOf(const TaskView& task, const std::string& name);

}  // namespace berth::metadata
