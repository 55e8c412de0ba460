#include "server/reconciler/task_driver.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>
#include <thread>

#include "server/reconciler/container_spec.h"
#include "server/reconciler/env_files.h"
#include "server/reconciler/managed_agents.h"
#include "server/util/crypto.h"
#include "server/util/log.h"

namespace berth::reconciler {
namespace {

using nlohmann::json;

constexpr size_t kMaxReason = 1024;
// The exit code the ECS agent reports for a container it abandons because a
// dependency can never be met (it never ran).
constexpr int kAbandonedExitCode = 143;

std::string Truncate(std::string text) {
  if (text.size() > kMaxReason) text.resize(kMaxReason);
  return text;
}

// The order of lastStatus values; a task never moves back.
int Rank(std::string_view status) {
  static constexpr std::string_view kOrder[] = {"PROVISIONING",   "PENDING",      "ACTIVATING",
                                                "RUNNING",        "DEACTIVATING", "STOPPING",
                                                "DEPROVISIONING", "STOPPED"};
  for (int i = 0; i < 8; ++i) {
    if (kOrder[i] == status) return i;
  }
  return 0;
}

std::string HealthStatus(std::string_view docker_health, bool has_check) {
  if (!has_check) return "UNKNOWN";
  if (docker_health == "healthy") return "HEALTHY";
  if (docker_health == "unhealthy") return "UNHEALTHY";
  return "UNKNOWN";
}

}  // namespace

TaskDriver::TaskDriver(DriverEnvironment& env, storage::TaskRecord& task, const json& td)
    : env_(env),
      task_(task),
      td_(td),
      stored_document_(task.document),
      stored_runtime_(task.runtime) {
  doc_ = json::parse(task_.document);
  runtime_ = json::parse(task_.runtime);
  if (!runtime_.is_object()) runtime_ = json::object();
  if (!runtime_.contains("suffix")) runtime_["suffix"] = crypto::RandomHex(20);
  if (!runtime_.contains("containers")) runtime_["containers"] = json::object();
}

bool TaskDriver::Step() {
  if (doc_.value("lastStatus", "") == "STOPPED") return false;

  // After a restart (or a crash between create and record), find the
  // task's containers by label.
  bool missing = task_.created_at < env_.adopt_before;
  if (missing) {
    missing = false;
    for (const auto& d : td_.at("containerDefinitions")) {
      missing = missing || !Runtime(d.at("name").get<std::string>()).contains("id");
    }
  }
  if (missing) {
    for (const auto& c : env_.docker.ListContainers(
             {"com.amazonaws.ecs.task-arn=" + doc_.at("taskArn").get<std::string>(),
              "berth.instance=" + env_.instance_id})) {
      const auto role = c.labels.find(docker::kRoleLabel);
      if (role != c.labels.end() && role->second == "pause") {
        if (!runtime_.contains("pause")) runtime_["pause"] = {{"id", c.id}};
        const auto arrival = c.labels.find(kArrivalLabel);
        if (arrival != c.labels.end() && !runtime_.contains("arrival")) {
          const auto colon = arrival->second.rfind(':');
          int port = 0;
          if (colon != std::string::npos) {
            std::from_chars(arrival->second.data() + colon + 1,
                            arrival->second.data() + arrival->second.size(), port);
          }
          if (port > 0 && port < 65536) {
            runtime_["arrival"] = {{"host", arrival->second.substr(0, colon)}, {"port", port}};
          }
        }
        continue;
      }
      const auto name = c.labels.find(docker::kContainerNameLabel);
      if (name == c.labels.end()) continue;
      json& rt = Runtime(name->second);
      if (!rt.contains("id")) {
        rt["id"] = c.id;
        rt["started"] = c.state != "created";
      }
    }
  }

  if (DesiredRunning()) {
    Advance();
  } else {
    StopAll();
  }
  RegisterEndpoints();
  Sync();
  return task_.document != stored_document_ || task_.runtime != stored_runtime_;
}

void TaskDriver::Sync() {
  SyncManagedAgents(doc_, Now());
  task_.document = doc_.dump();
  task_.runtime = runtime_.dump();
  task_.desired_status = doc_.value("desiredStatus", "RUNNING");
  task_.last_status = doc_.value("lastStatus", "PENDING");
  if (task_.last_status == "STOPPED" && !task_.stopped_at) {
    task_.stopped_at = doc_.value("stoppedAt", Now());
  }
}

void TaskDriver::Publish() {
  Sync();
  if (!env_.publish || (task_.document == stored_document_ && task_.runtime == stored_runtime_)) {
    return;
  }
  env_.publish(task_);
  doc_ = json::parse(task_.document);
  stored_document_ = task_.document;
  stored_runtime_ = task_.runtime;
}

bool TaskDriver::Settled() const {
  const std::string last = doc_.value("lastStatus", "");
  if (last == "STOPPED") return true;
  if (last != "RUNNING" || !DesiredRunning()) return false;
  for (const auto& [name, rt] : runtime_.at("containers").items()) {
    if (!rt.value("started", false) && !rt.value("abandoned", false)) return false;
  }
  return true;
}

json& TaskDriver::ContainerDoc(const std::string& name) {
  for (auto& c : doc_.at("containers")) {
    if (c.at("name") == name) return c;
  }
  throw std::runtime_error("task has no container " + name);
}

json& TaskDriver::Runtime(const std::string& name) {
  json& containers = runtime_["containers"];
  if (!containers.contains(name)) containers[name] = json::object();
  return containers[name];
}

const json& TaskDriver::Definition(const std::string& name) const {
  for (const auto& d : td_.at("containerDefinitions")) {
    if (d.at("name") == name) return d;
  }
  throw std::runtime_error("task definition has no container " + name);
}

bool TaskDriver::IsEssential(const std::string& name) const {
  return Definition(name).value("essential", true);
}

int TaskDriver::StopTimeout(const std::string& name) const {
  return Definition(name).value("stopTimeout", kDefaultStopTimeoutSeconds);
}

void TaskDriver::SetLastStatus(const std::string& status) {
  const std::string last = doc_.value("lastStatus", "PROVISIONING");
  if (Rank(status) > Rank(last)) {
    log::Info("task " + task_.task_id + ": " + last + " -> " + status);
    doc_["lastStatus"] = status;
    Touch();
  }
}

void TaskDriver::Touch() { doc_["version"] = doc_.value("version", int64_t{1}) + 1; }

void TaskDriver::Fail(const std::string& stop_code, const std::string& reason,
                      const std::string& container) {
  if (doc_.value("desiredStatus", "") != "STOPPED") {
    log::Info("task " + task_.task_id + " stops (" + stop_code + "): " + reason);
    doc_["desiredStatus"] = "STOPPED";
    doc_["stopCode"] = stop_code;
    doc_["stoppedReason"] = Truncate(reason);
    doc_["stoppingAt"] = Now();
    Touch();
  }
  if (!container.empty()) {
    json& c = ContainerDoc(container);
    c["reason"] = Truncate(reason);
    c["lastStatus"] = "STOPPED";
    Runtime(container)["abandoned"] = true;
  }
}

void TaskDriver::Advance() {
  // The network namespace first (connectivity), then the pulls, then the
  // containers, as on Fargate.
  if (td_.value("networkMode", "") == "awsvpc" && !EnsurePause()) return StopAll();
  if (!Prepare()) return StopAll();
  if (!DesiredRunning()) return StopAll();  // a stop arrived while images were pulled
  if (!CreateAndStartReady()) return StopAll();
  Observe();
  CheckDependencyFailures();
  CheckEssentialExit();
  if (doc_.value("desiredStatus", "") == "RUNNING") {
    MaybeRunning();
  } else {
    StopAll();
  }
}

bool TaskDriver::Prepare() {
  if (runtime_.value("prepared", false)) return true;
  if (!doc_.contains("pullStartedAt")) doc_["pullStartedAt"] = Now();
  bool published = false;
  for (const auto& d : td_.at("containerDefinitions")) {
    const std::string name = d.at("name").get<std::string>();
    const ResolvedImage image =
        env_.images.Resolve(d.at("image").get<std::string>(), task_.partition);
    try {
      if (!env_.docker.ImageExists(image.reference)) {
        if (!published) {
          Publish();  // a pull may take a while: show that it started
          published = true;
        }
        std::string auth;
        if (image.berth_registry) {
          auth = RegistryAuthHeader("AWS", env_.registry_password(*image.berth_registry),
                                    env_.images.pull_host());
        }
        env_.docker.PullImage(image.reference, auth);
      }
    } catch (const docker::DockerError& e) {
      if (e.unreachable()) throw;
      Fail("TaskFailedToStart", std::string("CannotPullContainerError: ") + e.what(), name);
      return false;
    }
    Runtime(name)["image"] = image.reference;
  }
  doc_["pullStoppedAt"] = Now();
  runtime_["prepared"] = true;
  // After a pull (which may have been long), take up a stop asked for
  // meanwhile before any container is made.
  if (published) Publish();
  return true;
}

bool TaskDriver::DependenciesMet(const std::string& name, bool& impossible, std::string& why) {
  impossible = false;
  bool met = true;
  for (const auto& dep : Definition(name).value("dependsOn", json::array())) {
    const std::string target = dep.at("containerName").get<std::string>();
    const std::string condition = dep.at("condition").get<std::string>();
    const json& rt = Runtime(target);
    const std::string state = rt.value("state", "");
    const bool started = rt.value("started", false);
    if (rt.value("abandoned", false)) {
      impossible = true;
      why = "container " + target + " never started";
      return false;
    }
    const int timeout = Definition(target).value("startTimeout", 0);
    const bool timed_out = timeout > 0 && started && state != "exited" &&
                           Now() - rt.value("startedAt", Now()) > timeout;
    if (condition == "START") {
      met = met && started && (state == "running" || state == "exited");
    } else if (condition == "COMPLETE") {
      met = met && state == "exited";
      if (timed_out) {
        impossible = true;
        why = "container " + target + " did not complete within its startTimeout";
      }
    } else if (condition == "SUCCESS") {
      if (state == "exited" && rt.value("exitCode", 0) != 0) {
        impossible = true;
        why = "container " + target + " exited with " + std::to_string(rt.value("exitCode", 0)) +
              " instead of succeeding";
      }
      met = met && state == "exited" && rt.value("exitCode", 0) == 0;
      if (timed_out) {
        impossible = true;
        why = "container " + target + " did not succeed within its startTimeout";
      }
    } else if (condition == "HEALTHY") {
      met = met && rt.value("health", "") == "healthy";
      if (state == "exited" || rt.value("health", "") == "unhealthy" || timed_out) {
        impossible = true;
        why = "container " + target + " did not become healthy";
      }
    }
    if (impossible) return false;
  }
  return met;
}

bool TaskDriver::CreateAndStartReady() {
  const std::string family = td_.at("family").get<std::string>();
  const int64_t revision = td_.at("revision").get<int64_t>();
  const std::string mode = td_.value("networkMode", "bridge");
  if (mode == "bridge") {
    for (const auto& d : td_.at("containerDefinitions")) {
      if (Runtime(d.at("name").get<std::string>()).contains("id")) continue;
      const TaskNetwork network = env_.network_for(task_);  // only needed to create one
      runtime_["network"] = network.name;
      runtime_["gateway"] = network.gateway;
      break;
    }
  }
  if (mode != "awsvpc") {
    AddNote(mode == "bridge"
                ? "the task metadata and credentials endpoints (169.254.170.2) are offered to "
                  "awsvpc tasks only: Berth gives the address to the task's own network "
                  "namespace, which its pause container holds"
                : "the task metadata and credentials endpoints (169.254.170.2) are not offered "
                  "in " +
                      mode + " network mode: Berth never adds that address to the host");
  }
  TaskContext context = Context(mode);
  context.collect_awslogs = env_.logs != nullptr;
  if (mode == "bridge") {
    context.network_name = runtime_.value("network", "");
    for (const auto& alias : runtime_.value("aliases", json::array())) {
      context.network_aliases.push_back(alias.get<std::string>());
    }
  }
  // Create every container up front (so their ids are known), in order.
  for (const auto& d : td_.at("containerDefinitions")) {
    const std::string name = d.at("name").get<std::string>();
    json& rt = Runtime(name);
    if (rt.contains("id")) continue;
    if (!PrepareLog(d, rt)) return false;
    std::vector<std::pair<std::string, std::string>> file_environment;
    const std::string env_error =
        ReadEnvironmentFiles(d, OverrideFor(doc_.at("overrides"), d.at("name")), file_environment);
    if (!env_error.empty()) {
      Fail("TaskFailedToStart",
           "ResourceInitializationError: failed to read env files: " + env_error, name);
      return false;
    }
    TranslatedContainer t =
        TranslateContainer(td_, d, doc_.at("overrides"), context,
                           rt.value("image", d.at("image").get<std::string>()), file_environment);
    t.spec.name = DockerName(family, revision, name, runtime_.at("suffix"));
    try {
      rt["id"] = env_.docker.CreateContainer(t.spec);
    } catch (const docker::DockerError& e) {
      if (e.unreachable()) throw;
      Fail("TaskFailedToStart", std::string("CannotCreateContainerError: ") + e.what(), name);
      return false;
    }
    if (!PrepareLog(d, rt)) return false;  // a stream named after the container
    for (const auto& n : t.notes) AddNote(n);
  }
  // Start whatever may start now.
  for (const auto& d : td_.at("containerDefinitions")) {
    const std::string name = d.at("name").get<std::string>();
    json& rt = Runtime(name);
    if (rt.value("started", false) || rt.value("abandoned", false)) continue;
    bool impossible = false;
    std::string why;
    if (!DependenciesMet(name, impossible, why)) {
      if (impossible) {
        json& c = ContainerDoc(name);
        c["lastStatus"] = "STOPPED";
        c["exitCode"] = kAbandonedExitCode;
        c["reason"] = Truncate("CannotStartContainerError: dependency graph: " + why);
        rt["abandoned"] = true;
        if (IsEssential(name)) {
          Fail("TaskFailedToStart", "CannotStartContainerError: dependency graph: " + why);
          return false;
        }
      }
      continue;
    }
    try {
      env_.docker.StartContainer(rt.at("id").get<std::string>());
    } catch (const docker::DockerError& e) {
      if (e.unreachable()) throw;
      Fail("TaskFailedToStart", std::string("CannotStartContainerError: ") + e.what(), name);
      return false;
    }
    rt["started"] = true;
    rt["startedAt"] = Now();
  }
  FollowLogs();
  return true;
}

void TaskDriver::Observe() {
  const std::string mode = td_.value("networkMode", "bridge");
  // The pause container holds an awsvpc task's network; the ECS agent
  // treats it as essential.
  if (mode == "awsvpc" && runtime_.contains("pause") && runtime_["pause"].contains("ip") &&
      !runtime_["pause"].value("exited", false)) {
    bool alive = false;
    try {
      alive = env_.docker.InspectContainer(runtime_["pause"].at("id").get<std::string>()).running;
    } catch (const docker::DockerError& e) {
      if (e.unreachable()) throw;
    }
    if (!alive) runtime_["pause"]["exited"] = true;
  }
  for (const auto& d : td_.at("containerDefinitions")) {
    const std::string name = d.at("name").get<std::string>();
    json& rt = Runtime(name);
    if (!rt.value("started", false) || !rt.contains("id")) continue;
    json& c = ContainerDoc(name);
    docker::ContainerState s;
    try {
      s = env_.docker.InspectContainer(rt.at("id").get<std::string>());
    } catch (const docker::DockerError& e) {
      if (e.unreachable()) throw;
      // Removed behind Berth's back: it is gone, with no exit status.
      rt["state"] = "exited";
      rt["exitCode"] = 137;
      c["lastStatus"] = "STOPPED";
      c["reason"] = Truncate(std::string("CannotInspectContainerError: ") + e.what());
      continue;
    }
    const bool exited = !s.running && s.status != "created";
    rt["state"] = s.running ? "running" : exited ? "exited" : s.status;
    rt["health"] = s.health;
    // For the task metadata endpoint.
    rt["imageId"] = s.image_id;
    rt["dockerStartedAt"] = s.started_at;
    if (exited) rt["dockerFinishedAt"] = s.finished_at;
    c["runtimeId"] = s.id;
    c["lastStatus"] = s.running ? "RUNNING" : exited ? "STOPPED" : "PENDING";
    c["healthStatus"] = HealthStatus(s.health, d.contains("healthCheck"));
    if (exited) {
      rt["exitCode"] = s.exit_code;
      c["exitCode"] = s.exit_code;
      if (s.oom_killed) c["reason"] = "OutOfMemoryError: Container killed due to memory usage";
    }
    // Where the container answers on this host.
    json bindings = json::array();
    if (mode == "awsvpc") {
      for (const auto& p : runtime_["pause"].value("ports", json::array())) {
        for (const auto& m : d.value("portMappings", json::array())) {
          if (m.value("containerPort", -1) == p.at("containerPort") &&
              m.value("protocol", "tcp") == p.at("protocol")) {
            bindings.push_back(p);
          }
        }
      }
    } else if (mode == "host") {
      for (const auto& m : d.value("portMappings", json::array())) {
        if (!m.contains("containerPort")) continue;
        bindings.push_back({{"bindIP", "0.0.0.0"},
                            {"containerPort", m.at("containerPort")},
                            {"hostPort", m.at("containerPort")},
                            {"protocol", m.value("protocol", "tcp")}});
      }
    } else if (s.running) {
      for (const auto& p : s.ports) {
        if (p.host_port == 0) continue;
        bindings.push_back({{"bindIP", p.host_ip.empty() ? "0.0.0.0" : p.host_ip},
                            {"containerPort", p.container_port},
                            {"hostPort", p.host_port},
                            {"protocol", p.protocol}});
      }
    }
    if (s.running || !c.contains("networkBindings")) c["networkBindings"] = bindings;
  }
  // The task's health follows its essential containers that have a health
  // check: any UNHEALTHY, else any UNKNOWN, else HEALTHY; UNKNOWN when none
  // has one (ECS's rule).
  std::string health = "UNKNOWN";
  bool checked = false;
  for (const auto& d : td_.at("containerDefinitions")) {
    if (!d.value("essential", true) || !d.contains("healthCheck")) continue;
    const std::string h =
        ContainerDoc(d.at("name").get<std::string>()).value("healthStatus", "UNKNOWN");
    if (!checked) health = "HEALTHY";
    checked = true;
    if (h == "UNHEALTHY") health = "UNHEALTHY";
    if (h == "UNKNOWN" && health != "UNHEALTHY") health = "UNKNOWN";
  }
  doc_["healthStatus"] = health;
}

void TaskDriver::CheckDependencyFailures() {
  for (const auto& d : td_.at("containerDefinitions")) {
    const std::string name = d.at("name").get<std::string>();
    json& rt = Runtime(name);
    if (rt.value("started", false) || rt.value("abandoned", false)) continue;
    bool impossible = false;
    std::string why;
    DependenciesMet(name, impossible, why);
    if (!impossible) continue;
    json& c = ContainerDoc(name);
    c["lastStatus"] = "STOPPED";
    c["exitCode"] = kAbandonedExitCode;
    c["reason"] = Truncate("CannotStartContainerError: dependency graph: " + why);
    rt["abandoned"] = true;
    if (IsEssential(name))
      Fail("TaskFailedToStart", "CannotStartContainerError: dependency graph: " + why);
  }
}

void TaskDriver::CheckEssentialExit() {
  const bool pause_exited = runtime_.contains("pause") && runtime_["pause"].value("exited", false);
  for (const auto& d : td_.at("containerDefinitions")) {
    const std::string name = d.at("name").get<std::string>();
    const bool exited = Runtime(name).value("state", "") == "exited";
    if (!pause_exited && (!d.value("essential", true) || !exited)) continue;
    if (!doc_.contains("executionStoppedAt")) doc_["executionStoppedAt"] = Now();
    if (doc_.value("desiredStatus", "") == "RUNNING") {
      doc_["desiredStatus"] = "STOPPED";
      doc_["stopCode"] = "EssentialContainerExited";
      doc_["stoppedReason"] = "Essential container in task exited";
      doc_["stoppingAt"] = Now();
      Touch();
    }
  }
}

void TaskDriver::MaybeRunning() {
  if (Rank(doc_.value("lastStatus", "")) >= Rank("RUNNING")) return;
  for (const auto& d : td_.at("containerDefinitions")) {
    const json& rt = Runtime(d.at("name").get<std::string>());
    const std::string state = rt.value("state", "");
    if (rt.value("abandoned", false)) continue;
    if (!rt.value("started", false) || (state != "running" && state != "exited")) return;
  }
  SetLastStatus("RUNNING");
  if (!doc_.contains("startedAt")) doc_["startedAt"] = Now();
}

void TaskDriver::StopAll() {
  Observe();
  FollowLogs();
  if (Rank(doc_.value("lastStatus", "")) < Rank("STOPPING")) SetLastStatus("STOPPING");
  // Stop in reverse dependency order: a container waits until everything
  // that depends on it has exited.
  bool all_exited = true;
  for (const auto& d : td_.at("containerDefinitions")) {
    const std::string name = d.at("name").get<std::string>();
    json& rt = Runtime(name);
    json& c = ContainerDoc(name);
    if (!rt.value("started", false)) {
      c["lastStatus"] = "STOPPED";
      continue;
    }
    if (rt.value("state", "") == "exited") continue;
    all_exited = false;
    bool dependents_running = false;
    for (const auto& other : td_.at("containerDefinitions")) {
      for (const auto& dep : other.value("dependsOn", json::array())) {
        if (dep.at("containerName") != name) continue;
        const json& ort = Runtime(other.at("name").get<std::string>());
        dependents_running = dependents_running ||
                             (ort.value("started", false) && ort.value("state", "") != "exited");
      }
    }
    if (dependents_running) continue;
    const std::string id = rt.at("id").get<std::string>();
    if (!rt.contains("stopSignalledAt")) {
      env_.docker.KillContainer(id, "SIGTERM");
      rt["stopSignalledAt"] = Now();
    } else if (!rt.value("killed", false) &&
               Now() - rt.at("stopSignalledAt").get<double>() >= StopTimeout(name)) {
      env_.docker.KillContainer(id, "SIGKILL");
      rt["killed"] = true;
    }
  }
  if (all_exited) FinishStopping();
}

void TaskDriver::FinishStopping() {
  if (!doc_.contains("executionStoppedAt")) doc_["executionStoppedAt"] = Now();
  if (!LogsDrained()) return;  // every line readable once the task is STOPPED
  if (runtime_.contains("pause") && runtime_["pause"].contains("id")) {
    // The network goes last: the task is seen DEPROVISIONING meanwhile.
    SetLastStatus("DEPROVISIONING");
    for (auto& attachment : doc_["attachments"]) attachment["status"] = "DETACHING";
    Publish();
    env_.docker.KillContainer(runtime_["pause"].at("id").get<std::string>(), "SIGKILL");
    for (auto& attachment : doc_["attachments"]) attachment["status"] = "DELETED";
  }
  for (auto& c : doc_["containers"]) c["lastStatus"] = "STOPPED";
  doc_["stoppedAt"] = Now();
  SetLastStatus("STOPPED");
}

}  // namespace berth::reconciler
