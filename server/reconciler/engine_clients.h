#pragma once

// The Docker clients one thread of the reconciler uses: the local engine's,
// and one for each other engine of the fleet, made on first use. A client
// serves one thread at a time, so every worker (and the loop) has its own
// set.
//
// Thread-safety: one thread at a time.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "docker_backend/docker_api.h"

namespace berth::reconciler {

// Makes a client of the engine at `endpoint` (unix:///..., tcp://...).
// Throws std::invalid_argument for an endpoint it cannot serve.
using EngineClientFactory =
    std::function<std::unique_ptr<docker::DockerApi>(const std::string& endpoint)>;

class EngineClients {
 public:
  EngineClients(docker::DockerApi& local, EngineClientFactory make)
      : local_(local), make_(std::move(make)) {}

  // The client of `endpoint` ("local": the engine Berth runs on). Throws
  // docker::DockerError (unreachable) when no client can be made for it.
  docker::DockerApi& For(const std::string& endpoint);

 private:
  docker::DockerApi& local_;
  EngineClientFactory make_;
  std::map<std::string, std::unique_ptr<docker::DockerApi>> others_;
};

}  // namespace berth::reconciler
