#include "server/reconciler/reconciler.h"

#include <exception>
#include <optional>

#include <nlohmann/json.hpp>

#include "docker_backend/pause_image.h"
#include "server/reconciler/task_driver.h"
#include "server/util/log.h"
#include "storage/meta_store.h"
#include "storage/task_definition_store.h"
#include "storage/task_store.h"

namespace berth::reconciler {
namespace {

using nlohmann::json;

constexpr double kSweepPeriodSeconds = 30;
// Set in the meta table once this data dir's Berth has used Docker.
constexpr const char* kUsedDockerKey = "reconciler.used-docker";

}  // namespace

Reconciler::Reconciler(storage::Database& database, docker::DockerApi& docker,
                       const ImageResolver& images,
                       std::function<std::string(const storage::Partition&)> registry_password,
                       const Clock& clock, ReconcilerOptions options)
    : database_(database),
      docker_(docker),
      images_(images),
      registry_password_(std::move(registry_password)),
      clock_(clock),
      options_(std::move(options)),
      network_name_("berth-" + options_.instance_id) {
  auto lease = database_.Acquire();
  used_docker_ = storage::MetaStore(lease.db()).Get(kUsedDockerKey).has_value();
}

Reconciler::~Reconciler() { Stop(); }

void Reconciler::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      poked_ = false;
      lock.unlock();
      const bool busy = ReconcileOnce();
      lock.lock();
      wake_.wait_for(lock, busy ? options_.busy_period : options_.idle_period,
                     [this] { return stopping_ || poked_; });
    }
  });
}

void Reconciler::Poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_all();
}

void Reconciler::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Reconciler::MarkUsedDocker() {
  if (used_docker_) return;
  auto lease = database_.Acquire();
  storage::MetaStore(lease.db()).Set(kUsedDockerKey, "1");
  used_docker_ = true;
}

bool Reconciler::PrepareDocker() {
  if (docker_ready_) return true;
  MarkUsedDocker();
  try {
    docker::EnsurePauseImage(docker_);
    docker_.CreateNetwork(network_name_, "", "",
                          {{docker::kManagedLabel, "1"}, {"berth.instance", options_.instance_id}});
    docker_ready_ = true;
  } catch (const docker::DockerError& e) {
    log::Warn(std::string("reconciler: Docker is not ready: ") + e.what());
  }
  return docker_ready_;
}

void Reconciler::FailUnreachable(const std::string& message) {
  // Tasks that never got a container cannot start without Docker: after a
  // grace period they stop, saying why. Running tasks are left alone and
  // re-checked when the daemon is back.
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  storage::TaskStore store(lease.db());
  const double now = clock_.Now();
  for (auto& task : store.Unfinished()) {
    json runtime = json::parse(task.runtime);
    const bool untouched = !runtime.contains("containers") || runtime["containers"].empty() ||
                           !runtime.value("prepared", false);
    if (!untouched || now - task.created_at < options_.unreachable_grace_seconds) continue;
    json doc = json::parse(task.document);
    doc["desiredStatus"] = "STOPPED";
    doc["lastStatus"] = "STOPPED";
    doc["stopCode"] = "TaskFailedToStart";
    doc["stoppedReason"] =
        "ResourceInitializationError: cannot reach the Docker daemon: " + message;
    if (!doc.contains("stoppingAt")) doc["stoppingAt"] = now;
    doc["stoppedAt"] = now;
    doc["executionStoppedAt"] = now;
    for (auto& c : doc["containers"]) c["lastStatus"] = "STOPPED";
    doc["version"] = doc.value("version", int64_t{1}) + 1;
    task.document = doc.dump();
    task.desired_status = "STOPPED";
    task.last_status = "STOPPED";
    task.stopped_at = now;
    store.Update(task);
  }
  tx.Commit();
}

void Reconciler::FailInternal(storage::TaskRecord& task, const std::string& message) {
  // A fault of Berth's own (never the user's input alone) must not leave the
  // task stuck: the first one stops it, saying why; one while it stops
  // removes its containers and ends it.
  try {
    auto lease = database_.Acquire();
    storage::Tx tx(lease.db());
    storage::TaskStore store(lease.db());
    auto fresh = store.Find(task.partition, task.cluster, task.task_id);
    if (!fresh || fresh->last_status == "STOPPED") return;
    json doc = json::parse(fresh->document);
    const double now = clock_.Now();
    const std::string reason = "InternalError: Berth could not drive this task: " + message;
    if (doc.value("desiredStatus", "RUNNING") == "RUNNING") {
      doc["desiredStatus"] = "STOPPED";
      doc["stopCode"] = "TaskFailedToStart";
      doc["stoppedReason"] = reason.substr(0, 1024);
      doc["stoppingAt"] = now;
      fresh->desired_status = "STOPPED";
    } else {
      for (const auto& c :
           docker_.ListContainers({"com.amazonaws.ecs.task-arn=" + doc.value("taskArn", ""),
                                   "berth.instance=" + options_.instance_id})) {
        docker_.RemoveContainer(c.id);
      }
      doc["lastStatus"] = "STOPPED";
      if (!doc.contains("executionStoppedAt")) doc["executionStoppedAt"] = now;
      doc["stoppedAt"] = now;
      for (auto& c : doc["containers"]) c["lastStatus"] = "STOPPED";
      fresh->last_status = "STOPPED";
      fresh->stopped_at = now;
    }
    doc["version"] = doc.value("version", int64_t{1}) + 1;
    fresh->document = doc.dump();
    store.Update(*fresh);
    tx.Commit();
  } catch (const std::exception& e) {
    log::Error("reconciler: could not stop task " + task.task_id + ": " + e.what());
  }
}

void Reconciler::WriteBack(storage::TaskRecord& task) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  storage::TaskStore store(lease.db());
  const auto fresh = store.Find(task.partition, task.cluster, task.task_id);
  if (!fresh) return;  // reset or purged meanwhile
  // StopTask may have run while this pass worked: keep its decision.
  if (fresh->desired_status == "STOPPED" && task.desired_status != "STOPPED") {
    json ours = json::parse(task.document);
    const json theirs = json::parse(fresh->document);
    for (const char* key : {"desiredStatus", "stopCode", "stoppedReason", "stoppingAt"}) {
      if (theirs.contains(key)) ours[key] = theirs[key];
    }
    ours["version"] =
        std::max(ours.value("version", int64_t{1}), theirs.value("version", int64_t{1})) + 1;
    task.document = ours.dump();
    task.desired_status = "STOPPED";
    Poke();
  }
  store.Update(task);
  tx.Commit();
}

bool Reconciler::ReconcileOnce() {
  std::lock_guard docker_lock(docker_mutex_);
  bool busy = false;
  try {
    std::vector<storage::TaskRecord> tasks;
    {
      auto lease = database_.Acquire();
      tasks = storage::TaskStore(lease.db()).Unfinished();
    }
    const double now = clock_.Now();
    // Sweeps look for Berth's leftovers, which exist only once it has used
    // Docker (a Berth that never ran a task never loads the Docker client).
    const bool sweep_due = now - last_sweep_ >= kSweepPeriodSeconds && used_docker_;
    if (tasks.empty() && !sweep_due) return false;
    if (!docker_.Ping()) {
      if (!tasks.empty()) FailUnreachable("the daemon does not answer");
      docker_ready_ = false;
      return !tasks.empty();
    }
    // The pause image and the task network are made when a task needs them.
    if (!tasks.empty() && !PrepareDocker()) return true;
    DriverEnvironment env{docker_,
                          images_,
                          registry_password_,
                          options_.instance_id,
                          network_name_,
                          options_.pause_image,
                          now};
    for (auto& task : tasks) {
      try {
        std::optional<storage::TaskDefinitionRecord> definition;
        {
          auto lease = database_.Acquire();
          definition = storage::TaskDefinitionStore(lease.db(), task.partition)
                           .Find(task.family, task.revision);
        }
        if (!definition) continue;
        json td = json::parse(definition->document);
        td["revision"] = task.revision;
        env.now = clock_.Now();
        TaskDriver driver(env, task, td);
        if (driver.Step()) WriteBack(task);
        if (task.last_status != "STOPPED") busy = true;
      } catch (const docker::DockerError& e) {
        log::Warn("reconciler: task " + task.task_id + ": " + e.what());
        busy = true;
      } catch (const std::exception& e) {  // one task's failure never stops the loop
        log::Error("reconciler: task " + task.task_id + ": " + e.what());
        FailInternal(task, e.what());
        busy = true;
      }
    }
    if (sweep_due) {
      SweepOrphans();
      last_sweep_ = now;
    }
  } catch (const std::exception& e) {
    log::Error(std::string("reconciler pass failed: ") + e.what());
  }
  return busy;
}

namespace {

// The (partition, cluster, task id) an ECS task ARN names:
// arn:aws:ecs:<region>:<account>:task/<cluster>/<id>.
struct TaskKey {
  storage::Partition partition;
  std::string cluster;
  std::string task_id;
};

std::optional<TaskKey> ParseTaskArn(const std::string& text) {
  const auto parts_end = text.find(":task/");
  if (parts_end == std::string::npos) return std::nullopt;
  std::string head = text.substr(0, parts_end);
  if (head.rfind(':') == std::string::npos) return std::nullopt;
  const std::string account = head.substr(head.rfind(':') + 1);
  head.resize(head.rfind(':'));
  if (head.rfind(':') == std::string::npos) return std::nullopt;
  const std::string region = head.substr(head.rfind(':') + 1);
  const std::string rest = text.substr(parts_end + 6);
  const auto slash = rest.find('/');
  if (slash == std::string::npos) return std::nullopt;
  return TaskKey{{account, region}, rest.substr(0, slash), rest.substr(slash + 1)};
}

}  // namespace

bool Reconciler::TaskKnown(const std::string& task_arn) {
  const auto key = ParseTaskArn(task_arn);
  if (!key) return false;
  auto lease = database_.Acquire();
  return storage::TaskStore(lease.db())
      .Find(key->partition, key->cluster, key->task_id)
      .has_value();
}

void Reconciler::SweepOrphans() {
  const std::string mine = "berth.instance=" + options_.instance_id;
  try {
    for (const auto& c : docker_.ListContainers({mine})) {
      const auto arn = c.labels.find(docker::kTaskArnLabel);
      if (arn == c.labels.end() || TaskKnown(arn->second)) continue;
      log::Info("reconciler: removing container " + c.name + " of a task Berth no longer has");
      docker_.RemoveContainer(c.id);
    }
    // Task volumes go once their task is gone (its containers first).
    for (const auto& v : docker_.ListVolumes({mine})) {
      const auto arn = v.labels.find(docker::kTaskArnLabel);
      if (arn == v.labels.end() || TaskKnown(arn->second)) continue;
      try {
        docker_.RemoveVolume(v.name);
      } catch (const docker::DockerError& e) {
        if (e.unreachable()) throw;
        log::Debug("reconciler: volume " + v.name + " not removed yet: " + e.what());
      }
    }
  } catch (const docker::DockerError& e) {
    log::Warn(std::string("reconciler: orphan sweep failed: ") + e.what());
  }
}

void Reconciler::RemoveAll() {
  std::lock_guard docker_lock(docker_mutex_);
  if (!used_docker_) return;  // nothing of Berth's can be there
  try {
    const std::string mine = "berth.instance=" + options_.instance_id;
    for (const auto& c : docker_.ListContainers({mine})) docker_.RemoveContainer(c.id);
    for (const auto& v : docker_.ListVolumes({mine})) docker_.RemoveVolume(v.name);
    docker_.RemoveNetwork(network_name_);
    docker_ready_ = false;
  } catch (const docker::DockerError& e) {
    log::Warn(std::string("reset: could not remove Berth's containers: ") + e.what());
  }
}

}  // namespace berth::reconciler
