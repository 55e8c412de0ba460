#include "server/reconciler/engine_tls.h"

#include <nlohmann/json.hpp>

#include "server/util/engine_attributes.h"
#include "storage/container_instance_store.h"

namespace berth::reconciler {

std::string EngineCertPath(storage::Database& database, const std::string& endpoint) {
  std::vector<storage::ContainerInstanceRecord> instances;
  {
    auto lease = database.Acquire();
    instances = storage::InstancesOfOtherEngines(lease.db());
  }
  // Oldest first: the newest of those not INACTIVE wins, else the newest.
  const storage::ContainerInstanceRecord* chosen = nullptr;
  for (const auto& instance : instances) {
    if (instance.engine != endpoint) continue;
    if (chosen == nullptr || instance.status != "INACTIVE" || chosen->status == "INACTIVE") {
      chosen = &instance;
    }
  }
  if (chosen == nullptr) return "";
  const auto document = nlohmann::json::parse(chosen->document, nullptr, false);
  if (!document.is_object()) return "";
  return engines::EngineOf(chosen->engine, document.value("attributes", nlohmann::json::array()))
      .cert_path;
}

docker::DockerEndpoint EngineEndpoint(storage::Database& database, const std::string& endpoint,
                                      const std::optional<docker::DockerTls>& fallback) {
  const std::string cert_path = EngineCertPath(database, endpoint);
  if (cert_path.empty()) return docker::DockerEndpoint::FromDockerHost(endpoint, fallback);
  return docker::DockerEndpoint::FromDockerHost(
      endpoint, docker::DockerTls::FromDirectory(cert_path, "berth.docker-cert-path"));
}

}  // namespace berth::reconciler
