// TaskDriver's network steps: the pause container that holds an awsvpc
// task's network namespace (and, through the pause program's relay, the
// task's own 169.254.170.2 for the metadata and credentials endpoints), the
// endpoint ids the task's containers get, and the context every container
// is translated with.

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <thread>

#include "server/reconciler/task_driver.h"
#include "server/util/crypto.h"

namespace berth::reconciler {
namespace {

using nlohmann::json;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace

bool TaskDriver::EnsurePause() {
  if (runtime_.contains("pause") && runtime_["pause"].contains("ip")) return true;
  const std::string family = td_.at("family").get<std::string>();
  const int64_t revision = td_.at("revision").get<int64_t>();
  const TaskContext context = Context("awsvpc");
  const TaskNetwork network = env_.network_for(task_);
  // The pause program always gives the namespace its own 169.254.170.2
  // (before any app container starts, so nothing sent there can reach the
  // host's), and relays it to Berth on the network's gateway when Berth can
  // listen there; otherwise (`local`) a connection there is refused inside
  // the namespace. On another engine the "gateway" is where that engine
  // reaches Berth, and the relay connects to a listener of the task's own
  // there: requests from that engine's tasks all come from its address.
  const bool remote = env_.engine != engines::kLocal;
  bool relay = env_.endpoints != nullptr && env_.endpoint_port != 0 && env_.listen_on &&
               !network.gateway.empty() && network.gateway.find(':') == std::string::npos &&
               env_.listen_on(network.gateway);
  uint16_t relay_port = env_.endpoint_port;
  if (relay && remote) {
    relay_port = OpenArrivalListener(network.gateway);
    relay = relay_port != 0;
  }
  // If Docker becomes unreachable from here on, the listener just opened is
  // closed again rather than left open with nothing that knows it (a pause
  // container already made carries its port as a label, and adopting it
  // opens the listener again).
  const CloseListenerOnThrow close_on_throw(*this, relay && remote);
  const auto build = [&](bool ephemeral) {
    docker::ContainerSpec spec;
    spec.name = DockerName(family, revision, "internalecspause", runtime_.at("suffix"));
    spec.image = env_.pause_image;
    spec.labels = TaskLabels(context, family, revision, "~internal~ecs~pause", "pause");
    if (relay && remote) {
      spec.labels[kArrivalLabel] = network.gateway + ":" + std::to_string(relay_port);
    }
    spec.network_mode = network.name;
    spec.command =
        relay ? std::vector<std::string>{"relay", network.gateway, std::to_string(relay_port)}
              : std::vector<std::string>{"local"};
    spec.cap_add = {"NET_ADMIN"};  // for the address only: the app containers do not get it
    for (const auto& alias : runtime_.value("aliases", json::array())) {
      spec.network_aliases.push_back(alias.get<std::string>());
    }
    for (const auto& d : td_.at("containerDefinitions")) {
      for (const auto& m : d.value("portMappings", json::array())) {
        if (!m.contains("containerPort")) continue;
        docker::PortBinding b;
        b.container_port = m.at("containerPort").get<int>();
        b.protocol = m.value("protocol", "tcp");
        b.host_port = ephemeral ? 0 : m.value("hostPort", b.container_port);
        b.host_ip = env_.publish_address;
        spec.ports.push_back(b);
      }
    }
    return spec;
  };
  std::string id = runtime_.contains("pause") ? runtime_["pause"].value("id", "") : "";
  bool ephemeral = runtime_.value("ephemeralPorts", false);
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (id.empty()) id = env_.docker.CreateContainer(build(ephemeral));
      runtime_["pause"] = {{"id", id}};
      env_.docker.StartContainer(id);
      break;
    } catch (const docker::DockerError& e) {
      if (e.unreachable()) throw;
      const std::string message = e.what();
      env_.docker.RemoveContainer(id);
      id.clear();
      runtime_.erase("pause");
      if (!ephemeral && (Contains(message, "port is already allocated") ||
                         Contains(message, "address already in use"))) {
        // The host port is taken: publish on an ephemeral port instead.
        ephemeral = true;
        runtime_["ephemeralPorts"] = true;
        continue;
      }
      Fail("TaskFailedToStart", "ResourceInitializationError: " + message);
      return false;
    }
  }
  bool offered = relay;
  std::string why;
  switch (AwaitRelay(id, why)) {
    case RelayState::kReady:
      break;
    case RelayState::kUnavailable:
      offered = false;
      CloseArrivalListener();
      if (relay) {
        AddNote("the task metadata and credentials endpoints (169.254.170.2) are not offered: " +
                why);
      }
      break;
    case RelayState::kFailed:
      return false;
  }
  const docker::ContainerState pause = env_.docker.InspectContainer(id);
  json ports = json::array();
  for (const auto& p : pause.ports) {
    ports.push_back({{"containerPort", p.container_port},
                     {"hostPort", p.host_port},
                     {"protocol", p.protocol},
                     {"bindIP", p.host_ip}});
  }
  runtime_["pause"] = {
      {"id", id}, {"ip", pause.ip_address}, {"ports", ports}, {"gateway", network.gateway}};
  if (offered) {
    json ids = json::object();
    for (const auto& d : td_.at("containerDefinitions")) {
      ids[d.at("name").get<std::string>()] = NewEndpointId(task_.task_id);
    }
    runtime_["endpointIds"] = ids;
    const json& overrides = doc_.value("overrides", json::object());
    const std::string role = overrides.value("taskRoleArn", td_.value("taskRoleArn", ""));
    if (!role.empty()) {
      runtime_["credentialsId"] = NewCredentialsId();
      runtime_["taskRoleArn"] = role;
    }
  } else if (!relay) {
    const std::string not_offered =
        "the task metadata and credentials endpoints (169.254.170.2) are not offered: ";
    if (network.gateway.empty() || !env_.listen_on || env_.endpoints == nullptr) {
      AddNote(not_offered + "Berth cannot serve them on this Docker host");
    } else if (remote) {
      AddNote(not_offered + "Berth cannot listen for the task on " + network.gateway +
              ", where its Docker engine reaches Berth (an IPv4 address is needed)");
    } else {
      AddNote(not_offered + "Berth cannot listen on " + network.gateway +
              ", the gateway of the task's network");
    }
  }

  // The ENI is attached: its details, and connectivity.
  const std::string digits = crypto::Sha256Hex(task_.task_id);
  const std::string mac = "0e:" + digits.substr(0, 2) + ":" + digits.substr(2, 2) + ":" +
                          digits.substr(4, 2) + ":" + digits.substr(6, 2) + ":" +
                          digits.substr(8, 2);
  std::string dns = "ip-" + pause.ip_address;
  std::replace(dns.begin(), dns.end(), '.', '-');
  dns += "." + task_.partition.region + ".compute.internal";
  for (auto& attachment : doc_["attachments"]) {
    if (attachment.value("type", "") != "ElasticNetworkInterface") continue;
    attachment["status"] = "ATTACHED";
    json details = json::array();
    for (const auto& d : attachment.value("details", json::array())) {
      if (d.value("name", "") == "subnetId") details.push_back(d);
    }
    details.push_back({{"name", "networkInterfaceId"}, {"value", "eni-" + digits.substr(0, 17)}});
    details.push_back({{"name", "macAddress"}, {"value", mac}});
    details.push_back({{"name", "privateDnsName"}, {"value", dns}});
    details.push_back({{"name", "privateIPv4Address"}, {"value", pause.ip_address}});
    attachment["details"] = details;
    for (auto& c : doc_["containers"]) {
      c["networkInterfaces"] = json::array(
          {{{"attachmentId", attachment.at("id")}, {"privateIpv4Address", pause.ip_address}}});
    }
  }
  doc_["connectivity"] = "CONNECTED";
  doc_["connectivityAt"] = Now();
  SetLastStatus("PENDING");
  Publish();
  return true;
}

TaskDriver::RelayState TaskDriver::AwaitRelay(const std::string& pause_id, std::string& why) {
  // The program prints its line within microseconds of starting; allow the
  // daemon a few seconds before giving up.
  constexpr int kPatienceMs = 5000;
  constexpr std::string_view kUnavailable = "berth-pause: no-endpoints: ";
  int waited_ms = 0;
  for (int pause_ms = 1;; pause_ms = std::min(pause_ms * 2, 50)) {
    const std::string output = env_.docker.ContainerOutput(pause_id);
    if (Contains(output, "berth-pause: ready")) return RelayState::kReady;
    if (const size_t at = output.find(kUnavailable); at != std::string::npos) {
      why = output.substr(at + kUnavailable.size());
      why = why.substr(0, why.find('\n'));
      return RelayState::kUnavailable;
    }
    if (!env_.docker.InspectContainer(pause_id).running || waited_ms >= kPatienceMs) {
      std::string reason = output.empty() ? "no answer from the pause container" : output;
      while (!reason.empty() && reason.back() == '\n') reason.pop_back();
      Fail("TaskFailedToStart",
           "ResourceInitializationError: failed to set up the task endpoints address "
           "169.254.170.2 in the task's network namespace: " +
               reason);
      return RelayState::kFailed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    waited_ms += pause_ms;
  }
}

TaskContext TaskDriver::Context(const std::string& network_mode) {
  TaskContext context{doc_.at("taskArn").get<std::string>(),
                      task_.task_id,
                      task_.cluster,
                      task_.partition.region,
                      doc_.value("launchType", "EC2"),
                      network_mode,
                      env_.instance_id,
                      runtime_.contains("pause") ? runtime_["pause"].value("id", "") : "",
                      "",
                      {}};
  if (runtime_.contains("endpointIds")) {
    for (const auto& [name, id] : runtime_["endpointIds"].items()) {
      context.endpoint_ids[name] = id.get<std::string>();
    }
  }
  context.credentials_id = runtime_.value("credentialsId", "");
  context.publish_address = env_.publish_address;
  const std::string gateway = runtime_.contains("pause") ? runtime_["pause"].value("gateway", "")
                                                         : runtime_.value("gateway", "");
  if (network_mode == "host") {
    context.berth_url = env_.host_berth_url;
  } else if (!gateway.empty() && env_.endpoint_port != 0 && env_.listen_on &&
             env_.listen_on(gateway)) {
    context.berth_url = "http://" + gateway + ":" + std::to_string(env_.endpoint_port);
  }
  return context;
}

void TaskDriver::RegisterEndpoints() {
  if (env_.endpoints == nullptr) return;
  if (doc_.value("lastStatus", "") == "STOPPED") {
    env_.endpoints->Forget(task_.task_id);  // the credentials die with the task
    CloseArrivalListener();
    return;
  }
  if (!runtime_.contains("endpointIds") || !runtime_.contains("pause")) return;
  TaskEndpointIds ids;
  ids.partition = task_.partition;
  ids.cluster = task_.cluster;
  ids.task_id = task_.task_id;
  ids.source_address = runtime_["pause"].value("ip", "");
  ids.credentials_id = runtime_.value("credentialsId", "");
  for (const auto& [name, id] : runtime_["endpointIds"].items()) {
    ids.endpoint_ids[name] = id.get<std::string>();
  }
  ids.engine = env_.engine;
  if (runtime_.contains("arrival")) {
    // After a restart, the task's own listener opens again at its port.
    const std::string host = runtime_["arrival"].value("host", "");
    const uint16_t port = runtime_["arrival"].value("port", uint16_t{0});
    if (OpenArrivalListener(host) != port) {
      AddNote(
          "the task metadata and credentials endpoints (169.254.170.2) are no longer "
          "offered: Berth cannot listen again on " +
          host + ":" + std::to_string(port) + ", where the task's relay connects");
      env_.endpoints->Forget(task_.task_id);
      return;
    }
    ids.arrival_host = host;
    ids.arrival_port = port;
  }
  env_.endpoints->Register(ids);
  // After a restart, listen again where the task's relay connects.
  const std::string gateway = runtime_["pause"].value("gateway", "");
  if (!gateway.empty() && env_.listen_on) env_.listen_on(gateway);
}

TaskDriver::CloseListenerOnThrow::~CloseListenerOnThrow() {
  if (!armed_ || std::uncaught_exceptions() <= unwinding_) return;
  try {
    driver_.CloseArrivalListener();
  } catch (...) {  // NOLINT(bugprone-empty-catch): the first error is the one to report
  }
}

uint16_t TaskDriver::OpenArrivalListener(const std::string& host) {
  if (!env_.task_listeners.open) return 0;
  const json known = runtime_.value("arrival", json::object());
  const uint16_t had = known.value("host", "") == host ? known.value("port", uint16_t{0}) : 0;
  const uint16_t port = env_.task_listeners.open(host, had);
  if (port != 0) {
    runtime_["arrival"] = {{"host", host}, {"port", port}};
  } else if (had == 0) {
    runtime_.erase("arrival");
  }
  return port;
}

void TaskDriver::CloseArrivalListener() {
  if (!runtime_.contains("arrival")) return;
  const std::string host = runtime_["arrival"].value("host", "");
  const uint16_t port = runtime_["arrival"].value("port", uint16_t{0});
  if (env_.task_listeners.close && port != 0) env_.task_listeners.close(host, port);
  runtime_.erase("arrival");
}

void TaskDriver::AddNote(const std::string& text) {
  json& notes = runtime_["notes"];
  if (!notes.is_array()) notes = json::array();
  if (std::find(notes.begin(), notes.end(), text) == notes.end()) notes.push_back(text);
}

}  // namespace berth::reconciler
