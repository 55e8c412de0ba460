#pragma once

// The task endpoints ECS gives every container at 169.254.170.2, served by
// Berth for the requests the task's pause container relays (see
// docker_backend/pause/pause.c): the task metadata endpoint v4 and v3
// (`/v4/<id>`, `/task`, `/taskWithTags`, `/stats`, `/task/stats`), the
// task-role credentials (`/v2/credentials/<id>`, legacy `/v1/credentials?id=`)
// and the agent's task-protection API (`/api/<id>/task-protection/v1/state`).
// Shapes and error bodies follow ../shared/reference/ecs-semantics.md §3 and
// ecs-services-advanced.md §4.3.
//
// A request is answered only for the task it comes from: its id must be one
// Berth gave the task, and it must arrive from the task's own address, or,
// for a task on another Docker engine, on the port of the listener Berth
// opened for that task alone (anything else is "not found", never another
// task's data).
//
// Thread-safety: Handle() may run on every server thread at once.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "docker_backend/docker_api.h"
#include "server/ecs/task_protection_service.h"
#include "server/http/message.h"
#include "server/metadata/task_credentials.h"
#include "server/metadata/task_metadata.h"
#include "server/reconciler/reconciler.h"
#include "server/reconciler/task_endpoints.h"
#include "server/util/clock.h"
#include "storage/database.h"

namespace berth::metadata {

class MetadataHandler {
 public:
  MetadataHandler(storage::Database& database, const reconciler::TaskEndpoints& endpoints,
                  const TaskCredentials& credentials, ecs::TaskProtectionService& protection,
                  reconciler::EngineClientFactory make_docker, const Clock& clock);

  // Whether `path` is one of the task endpoints' (never a registry path:
  // `/v2/credentials/<id>` has one segment where the registry has three).
  static bool Serves(std::string_view path);
  // Whether serving `path` asks the Docker engine (the stats endpoints).
  static bool MayWait(std::string_view path) { return path.ends_with("/stats"); }

  // Never throws.
  http::Response Handle(const http::Request& request);

 private:
  struct Found;  // the task a request belongs to, read fresh

  http::Response Metadata(const http::Request& request, Version version, std::string_view rest);
  http::Response Credentials(const http::Request& request, const std::string& id, bool v2);
  http::Response Protection(const http::Request& request, std::string_view rest);
  // The task, parsed (shared with other requests while it is unchanged).
  std::shared_ptr<const Found> Load(const reconciler::TaskEndpointTarget& target);

  // Docker stats of `docker_id` with precpu_stats/preread (and, for v4,
  // network_rate_stats) from the previous sample Berth took of it.
  // `engine`: the task's (see TaskEndpointTarget).
  nlohmann::json Stats(const std::string& engine, const std::string& docker_id, Version version);
  std::unique_ptr<docker::DockerApi> TakeDocker(const std::string& engine);
  void ReturnDocker(const std::string& engine, std::unique_ptr<docker::DockerApi> docker);

  storage::Database& database_;
  const reconciler::TaskEndpoints& endpoints_;
  const TaskCredentials& credentials_;
  ecs::TaskProtectionService& protection_;
  reconciler::EngineClientFactory make_docker_;  // of the engine a task runs on
  const Clock& clock_;

  std::mutex mutex_;
  // Clients not in use, by engine.
  std::map<std::string, std::vector<std::unique_ptr<docker::DockerApi>>>
      idle_docker_;  // guarded by mutex_
  struct Sample {
    double at = 0;  // when Berth took it
    nlohmann::json cpu_stats;
    std::string read;
    double rx_bytes = 0;
    double tx_bytes = 0;
  };
  std::map<std::string, Sample> samples_;                      // by Docker id; guarded by mutex_
  std::map<std::string, std::shared_ptr<const Found>> tasks_;  // by task id; mutex_
  // By account|region|family|revision; guarded by mutex_.
  std::map<std::string, std::shared_ptr<const nlohmann::json>> definitions_;
};

}  // namespace berth::metadata
