#include "server/reconciler/managed_agents.h"

#include <string>

namespace berth::reconciler {

using nlohmann::json;

void SyncManagedAgents(json& task_document, double now) {
  if (!task_document.value("enableExecuteCommand", false)) return;
  if (!task_document.contains("containers")) return;
  for (auto& container : task_document["containers"]) {
    json& agents = container["managedAgents"];
    if (!agents.is_array()) agents = json::array();
    json* agent = nullptr;
    for (auto& a : agents) {
      if (a.value("name", "") == kExecuteCommandAgent) agent = &a;
    }
    if (agent == nullptr) {
      agents.push_back({{"name", kExecuteCommandAgent}, {"lastStatus", "PENDING"}});
      agent = &agents.back();
    }
    const std::string container_status = container.value("lastStatus", "PENDING");
    const std::string agent_status = agent->value("lastStatus", "PENDING");
    if (container_status == "STOPPED") {
      (*agent)["lastStatus"] = "STOPPED";
    } else if (container_status == "RUNNING" && agent_status != "RUNNING") {
      (*agent)["lastStatus"] = "RUNNING";
      (*agent)["lastStartedAt"] = now;
    }
  }
}

}  // namespace berth::reconciler
