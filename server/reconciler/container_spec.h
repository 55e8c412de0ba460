#pragma once

// Task definition → Docker: turns one container definition of a task (with
// the task's overrides) into the docker::ContainerSpec to create, following
// ../shared/reference/ecs-semantics.md §2.2. Every field Berth cannot honour
// on a local Docker host is named in `notes`, never silently dropped.
//
// Thread-safety: pure functions.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "docker_backend/types.h"

namespace berth::reconciler {

// What the translation needs to know about the task beyond its definition.
struct TaskContext {
  std::string task_arn;
  std::string task_id;
  std::string cluster;
  std::string region;
  std::string launch_type;   // EC2, FARGATE, ...
  std::string network_mode;  // awsvpc, bridge, host, none
  std::string instance_id;   // this Berth's label value
  std::string pause_id;      // awsvpc: the container whose namespace to join
  // bridge: the Docker network to join (the cluster's; "bridge" when empty).
  std::string network_name;
  // bridge: the DNS names the task's containers that publish ports answer
  // to on that network (a service's name and Service Connect aliases).
  std::vector<std::string> network_aliases;
  // The task endpoints at 169.254.170.2 (empty when not offered): each
  // container's metadata endpoint id, and the task role's credentials id
  // (empty without a task role).
  std::map<std::string, std::string> endpoint_ids = {};
  std::string credentials_id = {};
  // Berth's API as the task's containers reach it (AWS_ENDPOINT_URL); empty
  // when they cannot.
  std::string berth_url = {};
  // Berth collects awslogs output into its CloudWatch Logs (log_collector.h);
  // when false, awslogs is noted as not honoured.
  bool collect_awslogs = false;
  // Where published ports are bound: an address of the engine's host.
  std::string publish_address = "127.0.0.1";
};

// Where ECS puts the task endpoints, inside the task's network namespace.
inline constexpr const char* kTaskEndpointBase = "http://169.254.170.2";

struct TranslatedContainer {
  docker::ContainerSpec spec;
  std::vector<std::string> notes;  // fields not honoured, with why
};

// `definition` is one containerDefinitions entry, `task_definition` the
// whole document, `overrides` the task's echoed overrides, `image` the image
// reference to run (already resolved).
// `file_environment` holds the variables of its local environment files
// (env_files.h); `environment` entries take precedence over them.
TranslatedContainer TranslateContainer(
    const nlohmann::json& task_definition, const nlohmann::json& definition,
    const nlohmann::json& overrides, const TaskContext& task, const std::string& image,
    const std::vector<std::pair<std::string, std::string>>& file_environment = {});

// The override entry of `overrides` (the task's) for container `name`, or an
// empty object.
nlohmann::json OverrideFor(const nlohmann::json& overrides, const nlohmann::json& name);

// The Docker name ECS's agent would use: ecs-<family>-<revision>-<name>-<20 hex>
// (the container name keeps only [A-Za-z0-9-]).
std::string DockerName(const std::string& family, int64_t revision, const std::string& name,
                       const std::string& suffix);

// The Docker volume of a task-scoped volume: ecs-<task id>-<volume name>.
std::string TaskVolumeName(const std::string& task_id, const std::string& volume);

// The labels every container of the task carries (ECS's and Berth's).
std::map<std::string, std::string> TaskLabels(const TaskContext& task, const std::string& family,
                                              int64_t revision, const std::string& container,
                                              const std::string& role);

}  // namespace berth::reconciler
