#include "server/reconciler/engine_clients.h"

#include <stdexcept>

#include "server/util/engine_attributes.h"

namespace berth::reconciler {

docker::DockerApi& EngineClients::For(const std::string& endpoint) {
  if (endpoint == engines::kLocal) return local_;
  if (const auto known = others_.find(endpoint); known != others_.end()) return *known->second;
  if (!make_) throw docker::DockerError(0, "Berth has no client for the engine at " + endpoint);
  std::unique_ptr<docker::DockerApi> client;
  try {
    client = make_(endpoint);
  } catch (const std::invalid_argument& e) {
    throw docker::DockerError(0, "cannot reach the engine at " + endpoint + ": " + e.what());
  }
  return *others_.emplace(endpoint, std::move(client)).first->second;
}

}  // namespace berth::reconciler
