// Reconciler: the other engines of the fleet (preparing one, reading the
// fleet, checking that each answers) and the tasks that stop without Docker
// (their engine gone, or the local one unreachable before they started).

#include <nlohmann/json.hpp>

#include "docker_backend/pause_image.h"
#include "server/reconciler/managed_agents.h"
#include "server/reconciler/reconciler.h"
#include "server/util/log.h"
#include "storage/container_instance_store.h"
#include "storage/task_store.h"

namespace berth::reconciler {
namespace {

using nlohmann::json;

// Stores `task` (its document `doc`) as STOPPED without Docker: every
// container STOPPED, the stop times that are missing set to `now`.
void StoreStoppedWithoutDocker(storage::TaskStore& store, storage::TaskRecord& task, json& doc,
                               double now) {
  doc["desiredStatus"] = "STOPPED";
  doc["lastStatus"] = "STOPPED";
  if (!doc.contains("stoppingAt")) doc["stoppingAt"] = now;
  if (!doc.contains("executionStoppedAt")) doc["executionStoppedAt"] = now;
  doc["stoppedAt"] = now;
  for (auto& c : doc["containers"]) c["lastStatus"] = "STOPPED";
  SyncManagedAgents(doc, now);
  doc["version"] = doc.value("version", int64_t{1}) + 1;
  task.document = doc.dump();
  task.desired_status = "STOPPED";
  task.last_status = "STOPPED";
  task.stopped_at = now;
  store.Update(task);
}

}  // namespace

bool Reconciler::PrepareEngine(const engines::Engine& engine, docker::DockerApi& docker) {
  {
    std::lock_guard lock(engines_mutex_);
    if (prepared_engines_.contains(engine.endpoint)) return true;
  }
  MarkUsedDocker();
  try {
    docker::EnsurePauseImage(docker);
  } catch (const docker::DockerError& e) {
    log::Warn("reconciler: the engine at " + engine.endpoint + " is not ready: " + e.what());
    return false;
  }
  if (!engine.berth_address.empty() && options_.listen_on &&
      !options_.listen_on(engine.berth_address)) {
    log::Warn("reconciler: cannot listen on " + engine.berth_address + ", where the engine at " +
              engine.endpoint + " reaches Berth");
  }
  std::lock_guard lock(engines_mutex_);
  if (!prepared_engines_.insert(engine.endpoint).second) return true;
  if (options_.workers > 0 && options_.engine_client &&
      !engine_watchers_.contains(engine.endpoint)) {
    std::lock_guard pool(pool_mutex_);
    if (!pool_stopping_) {
      engine_watchers_.emplace(engine.endpoint, std::thread([this, endpoint = engine.endpoint] {
                                 WatchLoop(endpoint);
                               }));
    }
  }
  return true;
}

std::map<std::string, Reconciler::EngineInstance> Reconciler::OtherEngines() {
  std::vector<storage::ContainerInstanceRecord> instances;
  {
    auto lease = database_.Acquire();
    instances = storage::InstancesOfOtherEngines(lease.db());
  }
  std::map<std::string, EngineInstance> out;
  for (const auto& instance : instances) {
    const json doc = json::parse(instance.document, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) continue;
    out[instance.instance_id] = {
        engines::EngineOf(instance.engine, doc.value("attributes", json::array())),
        doc.value("ec2InstanceId", "")};
  }
  return out;
}

std::string Reconciler::PullHostFor(const engines::Engine& engine) const {
  if (engine.local() || engine.berth_address.empty()) return images_.registry_host();
  std::string port = options_.endpoint_port != 0 ? std::to_string(options_.endpoint_port) : "";
  if (port.empty()) {
    const std::string& host = images_.registry_host();
    const auto colon = host.rfind(':');
    if (colon != std::string::npos && host.find(']', colon) == std::string::npos) {
      port = host.substr(colon + 1);
    }
  }
  const bool v6 = engine.berth_address.find(':') != std::string::npos;
  const std::string address = v6 ? "[" + engine.berth_address + "]" : engine.berth_address;
  return port.empty() ? address : address + ":" + port;
}

void Reconciler::CheckEngines(const std::map<std::string, EngineInstance>& others,
                              const std::vector<storage::TaskRecord>& tasks, double now) {
  if (now - last_engine_check_ < options_.engine_check_seconds) return;
  last_engine_check_ = now;
  std::map<std::string, std::string> ec2_of_endpoint;
  for (const auto& [id, instance] : others) {
    ec2_of_endpoint.emplace(instance.engine.endpoint, instance.ec2_instance_id);
  }
  for (const auto& [endpoint, ec2_instance_id] : ec2_of_endpoint) {
    bool up = false;
    try {
      up = loop_clients_.For(endpoint).Ping();
    } catch (const docker::DockerError&) {
      up = false;
    }
    const auto down = engines_down_since_.find(endpoint);
    if (up) {
      if (down == engines_down_since_.end()) {
        // First seen this run: make sure its instances say so (once).
        if (engines_seen_up_.insert(endpoint).second) {
          auto lease = database_.Acquire();
          storage::SetEngineConnected(lease.db(), endpoint, true);
        }
        continue;
      }
      log::Info("reconciler: the engine at " + endpoint + " answers again");
      engines_down_since_.erase(down);
      {
        auto lease = database_.Acquire();
        storage::SetEngineConnected(lease.db(), endpoint, true);
      }
      last_sweep_ = 0;  // containers of tasks given up meanwhile go at once
      continue;
    }
    if (down == engines_down_since_.end()) {
      log::Warn("reconciler: the engine at " + endpoint + " does not answer");
      engines_down_since_[endpoint] = now;
      auto lease = database_.Acquire();
      storage::SetEngineConnected(lease.db(), endpoint, false);
      continue;
    }
    const double silent = now - down->second;
    if (silent < options_.engine_lost_seconds) continue;
    // Its tasks are given up: services start replacements elsewhere.
    std::map<std::string, std::string> reasons;
    for (const auto& task : tasks) {
      if (!task.container_instance_arn) continue;
      const auto slash = task.container_instance_arn->rfind('/');
      const auto instance = others.find(task.container_instance_arn->substr(slash + 1));
      if (instance == others.end() || instance->second.engine.endpoint != endpoint) continue;
      const std::string silence = "its Docker engine at " + endpoint + " has not answered for " +
                                  std::to_string(static_cast<int64_t>(silent)) + " s.";
      // A Fargate task has no instance of its own in the API: the wording
      // names the infrastructure, not an EC2 host.
      reasons[task.task_id] =
          task.launch_type == "FARGATE"
              ? "The Fargate infrastructure the task ran on is unreachable: " + silence
              : "Host EC2 (instance " + instance->second.ec2_instance_id +
                    ") is unreachable: " + silence;
    }
    if (!reasons.empty()) {
      const int stopped = StopWithoutEngine(reasons, "TerminationNotice");
      if (stopped > 0) {
        log::Warn("reconciler: gave up " + std::to_string(stopped) + " task(s) on the engine at " +
                  endpoint);
      }
    }
  }
}

int Reconciler::StopWithoutEngine(const std::map<std::string, std::string>& reason_by_task,
                                  const std::string& stop_code) {
  std::set<std::string> busy;
  {
    std::lock_guard lock(pool_mutex_);
    busy = in_flight_;
  }
  int stopped = 0;
  std::vector<storage::TaskRecord> changed;
  {
    auto lease = database_.Acquire();
    storage::Tx tx(lease.db());
    storage::TaskStore store(lease.db());
    const double now = clock_.Now();
    for (auto& task : store.Unfinished()) {
      const auto reason = reason_by_task.find(task.task_id);
      if (reason == reason_by_task.end() || busy.contains(task.task_id)) continue;
      json doc = json::parse(task.document);
      if (doc.value("desiredStatus", "RUNNING") == "RUNNING" || !doc.contains("stopCode")) {
        doc["stopCode"] = stop_code;
        doc["stoppedReason"] = reason->second;
      }
      StoreStoppedWithoutDocker(store, task, doc, now);
      changed.push_back(task);
      ++stopped;
    }
    tx.Commit();
  }
  if (options_.endpoints != nullptr) {
    for (const auto& task : changed) {
      // The credentials die with the task, and its listener closes.
      const auto listener = options_.endpoints->Forget(task.task_id);
      if (listener && options_.task_listeners.close) {
        options_.task_listeners.close(listener->host, listener->port);
      }
    }
  }
  if (task_observer_) {
    for (const auto& task : changed) task_observer_(task);
  }
  return stopped;
}

void Reconciler::FailUnreachable(const std::set<std::string>& task_ids,
                                 const std::string& message) {
  // Tasks that never got a container cannot start without Docker: after a
  // grace period they stop, saying why. Running tasks are left alone and
  // re-checked when the daemon is back.
  std::set<std::string> busy;
  {
    std::lock_guard lock(pool_mutex_);
    busy = in_flight_;
  }
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  storage::TaskStore store(lease.db());
  const double now = clock_.Now();
  for (auto& task : store.Unfinished()) {
    if (busy.contains(task.task_id) || !task_ids.contains(task.task_id)) continue;
    json runtime = json::parse(task.runtime);
    const bool untouched = !runtime.contains("containers") || runtime["containers"].empty() ||
                           !runtime.value("prepared", false);
    if (!untouched || now - task.created_at < options_.unreachable_grace_seconds) continue;
    json doc = json::parse(task.document);
    doc["stopCode"] = "TaskFailedToStart";
    doc["stoppedReason"] =
        "ResourceInitializationError: cannot reach the Docker daemon: " + message;
    StoreStoppedWithoutDocker(store, task, doc, now);
    if (task_observer_) task_observer_(task);
  }
  tx.Commit();
}

}  // namespace berth::reconciler
