#pragma once

// Which TLS files Berth reaches an engine of the fleet with: the directory
// its instance names in berth.docker-cert-path (server/util/
// engine_attributes.h), else Berth's own setting (DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH, as the docker CLI reads them). Looked up in the stored
// instances each time a client of the engine is made (rarely: clients are
// kept), so a registration with other files takes effect for new clients.
//
// Thread-safety: any thread (each call leases its own connection).

#include <optional>
#include <string>

#include "docker_backend/curl_docker_client.h"
#include "storage/database.h"

namespace berth::reconciler {

// The berth.docker-cert-path of the newest instance of `endpoint` (one not
// INACTIVE when there is any); "" when it names none.
std::string EngineCertPath(storage::Database& database, const std::string& endpoint);

// Where and how to reach `endpoint`: with its own TLS files when its
// instance names them, else with `fallback`. Throws std::invalid_argument
// for an endpoint it cannot serve or a file that cannot be read.
docker::DockerEndpoint EngineEndpoint(storage::Database& database, const std::string& endpoint,
                                      const std::optional<docker::DockerTls>& fallback);

}  // namespace berth::reconciler
