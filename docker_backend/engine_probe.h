#pragma once

// What Berth learns of a Docker engine it is asked to drive as a container
// instance: the host's facts as the daemon reports them, and the address
// Berth's own connections to a tcp:// engine leave from (where that engine
// can reach Berth back, on a routed or bridged network).

#include <optional>
#include <string>

#include "docker_backend/curl_docker_client.h"
#include "docker_backend/types.h"

namespace berth::docker {

struct EngineProbe {
  EngineInfo info;
  // The local address toward the engine's host; empty for a unix:// engine.
  std::string local_address;
};

// Asks the engine at `endpoint` (unix:///path or tcp://host:port; over
// `tls` when given and the endpoint is tcp://). Throws std::invalid_argument
// for another form, and DockerError when the engine does not answer.
EngineProbe ProbeEngine(const std::string& endpoint,
                        const std::optional<DockerTls>& tls = std::nullopt);

// The local address the kernel would send from to reach `host` (a name or
// an address); empty when there is no route. Sends nothing.
std::string LocalAddressToward(const std::string& host);

}  // namespace berth::docker
