#include "server/dashboard/task_row.h"

#include <algorithm>

namespace berth::dashboard {
namespace {

using nlohmann::json;

std::string PortUrl(const json& binding) {
  const std::string ip = binding.value("bindIP", "");
  const std::string host =
      ip.find(':') != std::string::npos && ip != "::" ? "[" + ip + "]" : "127.0.0.1";
  return "http://" + host + ":" + std::to_string(binding.value("hostPort", 0)) + "/";
}

json Ports(const json& container) {
  json ports = json::array();
  const auto bindings = container.find("networkBindings");
  if (bindings == container.end() || !bindings->is_array()) return ports;
  for (const auto& b : *bindings) {
    if (!b.is_object() || b.value("hostPort", 0) <= 0) continue;
    json port = {{"containerPort", b.value("containerPort", 0)},
                 {"hostPort", b.value("hostPort", 0)},
                 {"protocol", b.value("protocol", "tcp")}};
    if (port["protocol"] == "tcp") port["url"] = PortUrl(b);
    ports.push_back(std::move(port));
  }
  return ports;
}

json ContainerRow(const json& container, const std::vector<std::string>& awslogs_containers) {
  json row = json::object();
  const std::string name = container.value("name", "");
  row["name"] = name;
  CopyMember(container, "image", row);
  CopyMember(container, "lastStatus", row);
  CopyMember(container, "exitCode", row);
  CopyMember(container, "reason", row);
  if (container.contains("healthStatus")) row["health"] = container.at("healthStatus");
  row["ports"] = Ports(container);
  row["awslogs"] = std::find(awslogs_containers.begin(), awslogs_containers.end(), name) !=
                   awslogs_containers.end();
  return row;
}

}  // namespace

void CopyMember(const json& document, const char* key, json& out) {
  const auto it = document.find(key);
  if (it != document.end() && !it->is_null()) out[key] = *it;
}

std::string ArnName(const std::string& arn) {
  const size_t slash = arn.rfind('/');
  return slash == std::string::npos ? arn : arn.substr(slash + 1);
}

json TaskRow(const json& document, const json& runtime,
             const std::vector<std::string>& awslogs_containers) {
  json row = json::object();
  row["id"] = ArnName(document.value("taskArn", ""));
  row["cluster"] = ArnName(document.value("clusterArn", ""));
  // ".../task-definition/web:3" → family "web", revision 3.
  const std::string definition = ArnName(document.value("taskDefinitionArn", ""));
  const size_t colon = definition.rfind(':');
  row["family"] = definition.substr(0, colon);
  if (colon != std::string::npos) row["revision"] = definition.substr(colon + 1);
  for (const char* key :
       {"group", "startedBy", "launchType", "lastStatus", "desiredStatus", "createdAt", "startedAt",
        "stoppingAt", "stoppedAt", "stopCode", "stoppedReason", "cpu", "memory"}) {
    CopyMember(document, key, row);
  }
  if (document.contains("healthStatus")) row["health"] = document.at("healthStatus");
  const json notes = runtime.is_object() ? runtime.value("notes", json::array()) : json::array();
  row["notHonoured"] = notes.is_array() ? notes.size() : 0;
  json containers = json::array();
  if (const auto it = document.find("containers"); it != document.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (c.is_object()) containers.push_back(ContainerRow(c, awslogs_containers));
    }
  }
  row["containers"] = std::move(containers);
  return row;
}

}  // namespace berth::dashboard
