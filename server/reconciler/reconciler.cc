#include "server/reconciler/reconciler.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <optional>

#include <nlohmann/json.hpp>

#include "docker_backend/pause_image.h"
#include "server/reconciler/managed_agents.h"
#include "server/reconciler/task_driver.h"
#include "server/util/crypto.h"
#include "server/util/log.h"
#include "storage/cluster_store.h"
#include "storage/ecs_document_store.h"
#include "storage/meta_store.h"
#include "storage/task_definition_store.h"
#include "storage/task_store.h"

namespace berth::reconciler {
namespace {

// Says so in the log when one step of a task took long: a step waits on
// Docker (a pull, a stop's grace period), and a worker held that long is
// the first thing to know when tasks start late.
struct SlowStepWarning {
  static constexpr std::chrono::seconds kSlow{10};
  const std::string& task_id;
  std::chrono::steady_clock::time_point began;
  ~SlowStepWarning() {
    const auto took = std::chrono::steady_clock::now() - began;
    if (took < kSlow) return;
    log::Warn("reconciler: a step of task " + task_id + " took " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(took).count()) +
              " s");
  }
};

using nlohmann::json;

constexpr double kSweepPeriodSeconds = 30;
// Set in the meta table once this data dir's Berth has used Docker.
constexpr const char* kUsedDockerKey = "reconciler.used-docker";
// Labels of the networks Berth makes, one per cluster.
constexpr const char* kClusterLabel = "berth.cluster";
constexpr const char* kPartitionLabel = "berth.partition";

std::string PartitionKey(const storage::Partition& partition) {
  return partition.account_id + "/" + partition.region;
}

// The cluster's Docker network: readable (the cluster name) and unique per
// Berth, account, region and cluster.
std::string ClusterNetworkName(const std::string& instance_id, const storage::TaskRecord& task) {
  const std::string key = instance_id + "/" + PartitionKey(task.partition) + "/" + task.cluster;
  return "berth-" + task.cluster.substr(0, 40) + "-" + crypto::Sha256Hex(key).substr(0, 10);
}

// The task id at the end of a task ARN (arn:...:task/<cluster>/<id>).
std::string TaskIdOf(const std::string& task_arn) {
  const auto slash = task_arn.rfind('/');
  return slash == std::string::npos ? "" : task_arn.substr(slash + 1);
}

double Seconds(std::chrono::milliseconds period) {
  return static_cast<double>(period.count()) / 1000.0;
}

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

Reconciler::Reconciler(storage::Database& database, docker::DockerApi& docker,
                       DockerClientFactory make_client, const ImageResolver& images,
                       std::function<std::string(const storage::Partition&)> registry_password,
                       const Clock& clock, ReconcilerOptions options)
    : database_(database),
      docker_(docker),
      make_client_(std::move(make_client)),
      images_(images),
      registry_password_(std::move(registry_password)),
      clock_(clock),
      options_(std::move(options)),
      started_at_(clock.Now()),
      loop_clients_(docker, options_.engine_client) {
  if (!make_client_) options_.workers = 0;
  auto lease = database_.Acquire();
  used_docker_ = storage::MetaStore(lease.db()).Get(kUsedDockerKey).has_value();
}

Reconciler::~Reconciler() { Stop(); }

void Reconciler::SetLogSink(LogSink* sink, LogCollectorOptions options) {
  log_sink_ = sink;
  logs_.reset();
  if (sink == nullptr || !make_client_) return;
  logs_ = std::make_unique<LogCollector>(
      *sink,
      [this](const std::string& engine) -> std::unique_ptr<docker::DockerApi> {
        if (engine == engines::kLocal) return make_client_();
        if (!options_.engine_client) {
          throw docker::DockerError(0, "no client of the Docker engine at " + engine);
        }
        return options_.engine_client(engine);
      },
      options);
  // A stopped task whose output is all stored can become STOPPED now.
  logs_->SetOnDrained([this](const std::string& task_arn) { MarkDue(task_arn); });
}

void Reconciler::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      poked_ = false;
      lock.unlock();
      const bool busy = ReconcileOnce();
      lock.lock();
      auto wait = busy ? options_.busy_period : options_.idle_period;
      if (next_wake_ > 0) {
        // Come back when the next task is due.
        const auto until = std::chrono::milliseconds(
            static_cast<int64_t>(std::max(0.0, next_wake_ - clock_.Now()) * 1000) + 1);
        wait = std::min(wait, until);
      }
      wake_.wait_for(lock, wait, [this] { return stopping_ || poked_; });
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
  {
    std::lock_guard lock(pool_mutex_);
    pool_stopping_ = true;
    queue_.clear();
  }
  pool_wake_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
  if (watcher_.joinable()) watcher_.join();
  {
    std::lock_guard lock(engines_mutex_);
    for (auto& [endpoint, watcher] : engine_watchers_) {
      if (watcher.joinable()) watcher.join();
    }
    engine_watchers_.clear();
    prepared_engines_.clear();
  }
  if (logs_) logs_->Stop();  // what is complete is stored; the next Berth reads on
}

void Reconciler::StartWorkers() {
  if (!workers_.empty() || options_.workers <= 0) return;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  watcher_ = std::thread([this] { WatchLoop(std::string(engines::kLocal)); });
}

void Reconciler::WorkerLoop() {
  std::unique_ptr<docker::DockerApi> client;
  try {
    client = make_client_();
  } catch (const std::exception& e) {
    log::Error(std::string("reconciler: cannot make a Docker client: ") + e.what());
    return;
  }
  EngineClients clients(*client, options_.engine_client);
  std::unique_lock lock(pool_mutex_);
  while (true) {
    pool_wake_.wait(lock, [this] { return pool_stopping_ || !queue_.empty(); });
    if (pool_stopping_) return;
    const TaskRef ref = queue_.front();
    queue_.pop_front();
    lock.unlock();
    {
      std::shared_lock docker_lock(docker_mutex_);
      RunStep(ref, clients);
    }
    lock.lock();
  }
}

void Reconciler::WatchLoop(const std::string& endpoint) {
  std::unique_ptr<docker::DockerApi> client;
  try {
    client = endpoint == engines::kLocal ? make_client_() : options_.engine_client(endpoint);
  } catch (const std::exception& e) {
    log::Error("reconciler: cannot make a Docker client for " + endpoint + ": " + e.what());
    return;
  }
  const auto going = [this] {
    std::lock_guard lock(pool_mutex_);
    return !pool_stopping_;
  };
  while (going()) {
    try {
      client->WatchContainerEvents(
          {"berth.instance=" + options_.instance_id},
          [this](const docker::ContainerEvent& event) {
            // What the task's next step must see: a death, an OOM kill, a
            // health change, a removal.
            const std::string& a = event.action;
            if (a != "die" && a != "oom" && a != "destroy" && !a.starts_with("health_status")) {
              return;
            }
            const auto arn = event.attributes.find(docker::kTaskArnLabel);
            if (arn != event.attributes.end()) MarkDue(arn->second);
          },
          going);
    } catch (const std::exception& e) {
      log::Debug("reconciler: Docker events of " + endpoint + ": " + e.what());
      // The daemon went away: resyncs cover the gap; try again shortly.
      std::unique_lock lock(pool_mutex_);
      pool_wake_.wait_for(lock, std::chrono::seconds(1), [this] { return pool_stopping_; });
    }
  }
}

void Reconciler::MarkDue(const std::string& task_arn) {
  const std::string id = TaskIdOf(task_arn);
  if (id.empty()) return;
  {
    std::lock_guard lock(pool_mutex_);
    const auto due = next_due_.find(id);
    if (due == next_due_.end()) return;  // not a task this Berth drives now
    due->second.at = 0;
  }
  Poke();
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
    docker_ready_ = true;
  } catch (const docker::DockerError& e) {
    log::Warn(std::string("reconciler: Docker is not ready: ") + e.what());
  }
  return docker_ready_;
}

TaskNetwork Reconciler::NetworkFor(docker::DockerApi& docker, const engines::Engine& engine,
                                   const storage::TaskRecord& task) {
  const std::string name = ClusterNetworkName(options_.instance_id, task);
  const std::string key = engine.endpoint + " " + name;
  std::lock_guard lock(networks_mutex_);
  if (const auto known = networks_.find(key); known != networks_.end()) {
    return {name, known->second};
  }
  const std::map<std::string, std::string> labels = {
      {docker::kManagedLabel, "1"},
      {"berth.instance", options_.instance_id},
      {kClusterLabel, task.cluster},
      {kPartitionLabel, PartitionKey(task.partition)}};
  docker.CreateNetwork(name, "", "", labels);
  // Its gateway (the host's address on it), where the task endpoints are
  // served.
  std::string gateway;
  std::vector<std::string> filter;
  for (const auto& [k, v] : labels) filter.push_back(k + "=" + v);
  for (const auto& n : docker.ListNetworks(filter)) {
    if (n.name == name) gateway = n.gateway;
  }
  // Another engine's tasks reach Berth where that engine does, not on the
  // gateway (the engine's host, not Berth's).
  if (!engine.local()) gateway = engine.berth_address;
  networks_[key] = gateway;
  return {name, gateway};
}

void Reconciler::FailInternal(const storage::TaskRecord& task, docker::DockerApi& docker,
                              const std::string& message) {
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
           docker.ListContainers({"com.amazonaws.ecs.task-arn=" + doc.value("taskArn", ""),
                                  "berth.instance=" + options_.instance_id})) {
        if (logs_) logs_->Forget({c.id});
        docker.RemoveContainer(c.id);
      }
      doc["lastStatus"] = "STOPPED";
      if (!doc.contains("executionStoppedAt")) doc["executionStoppedAt"] = now;
      doc["stoppedAt"] = now;
      for (auto& c : doc["containers"]) c["lastStatus"] = "STOPPED";
      SyncManagedAgents(doc, now);
      fresh->last_status = "STOPPED";
      fresh->stopped_at = now;
    }
    doc["version"] = doc.value("version", int64_t{1}) + 1;
    fresh->document = doc.dump();
    store.Update(*fresh);
    tx.Commit();
    if (task_observer_) task_observer_(*fresh);
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
  // StopTask (or the scheduler) may have asked for a stop while this step
  // worked: keep that decision.
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
  }
  store.Update(task);
  tx.Commit();
  if (task_observer_) task_observer_(task);
}

void Reconciler::RunStep(const TaskRef& ref, EngineClients& clients) {
  const SlowStepWarning slow{ref.task_id, std::chrono::steady_clock::now()};
  double next = clock_.Now() + Seconds(options_.busy_period);
  bool changed = false;
  std::optional<storage::TaskRecord> task;
  docker::DockerApi* engine_client = nullptr;
  try {
    docker::DockerApi& docker = *(engine_client = &clients.For(ref.engine.endpoint));
    if (!ref.engine.local() && !PrepareEngine(ref.engine, docker)) {
      Finished(ref.task_id, next, false);
      return;
    }
    std::optional<storage::TaskDefinitionRecord> definition;
    {
      auto lease = database_.Acquire();
      task = storage::TaskStore(lease.db()).Find(ref.partition, ref.cluster, ref.task_id);
      if (task && task->group.value_or("").starts_with("daemon:")) {
        // A daemon's task runs from its daemon task definition.
        if (auto runnable = storage::EcsDocumentStore(lease.db(), task->partition)
                                .Find(storage::EcsDocumentStore::kRunnable, task->family,
                                      storage::EcsDocumentStore::RevisionKey(task->revision))) {
          definition = storage::TaskDefinitionRecord{};
          definition->document = runnable->document;
        }
      } else if (task) {
        definition = storage::TaskDefinitionStore(lease.db(), task->partition)
                         .Find(task->family, task->revision);
      }
    }
    if (!task || task->last_status == "STOPPED" || !definition) {
      Finished(ref.task_id, -1, false);
      return;
    }
    json td = json::parse(definition->document);
    td["revision"] = task->revision;
    const ImageResolver engine_images =
        ref.engine.local() ? images_ : images_.PulledThrough(PullHostFor(ref.engine));
    DriverEnvironment env{docker,
                          engine_images,
                          registry_password_,
                          options_.instance_id,
                          options_.pause_image,
                          clock_,
                          [this, &docker, &ref](const storage::TaskRecord& t) {
                            return NetworkFor(docker, ref.engine, t);
                          },
                          [this, &changed](storage::TaskRecord& t) {
                            WriteBack(t);
                            changed = true;
                          },
                          started_at_,
                          options_.endpoints,
                          options_.endpoint_port,
                          options_.listen_on,
                          options_.host_berth_url};
    env.task_listeners = options_.task_listeners;
    env.log_sink = log_sink_;
    env.logs = logs_.get();
    env.engine = ref.engine.endpoint;
    env.publish_address = ref.engine.host_address;
    TaskDriver driver(env, *task, td);
    if (driver.Step()) {
      WriteBack(*task);
      changed = true;
    }
    if (task->last_status == "STOPPED") {
      next = -1;
    } else if (driver.Settled()) {
      next = clock_.Now() + options_.steady_resync_seconds;
    }
  } catch (const docker::DockerError& e) {
    log::Warn("reconciler: task " + ref.task_id + ": " + e.what());
  } catch (const std::exception& e) {  // one task's failure never stops the loop
    log::Error("reconciler: task " + ref.task_id + ": " + e.what());
    if (task && engine_client != nullptr) FailInternal(*task, *engine_client, e.what());
    changed = true;
  }
  Finished(ref.task_id, next, changed);
}

void Reconciler::Finished(const std::string& task_id, double next_due, bool changed) {
  {
    std::lock_guard lock(pool_mutex_);
    in_flight_.erase(task_id);
    if (next_due < 0) {
      next_due_.erase(task_id);
    } else {
      next_due_[task_id].at = next_due;
    }
  }
  // The scheduler (and the next step) see what changed at once.
  if (changed && options_.workers > 0) Poke();
}

bool Reconciler::ReconcileOnce() {
  bool busy = false;
  if (control_plane_) busy = control_plane_();
  std::shared_lock docker_lock(docker_mutex_);
  double earliest = 0;
  try {
    std::vector<storage::TaskRecord> tasks;
    {
      auto lease = database_.Acquire();
      tasks = storage::TaskStore(lease.db()).UnfinishedKeys();
    }
    const double now = clock_.Now();
    // Sweeps look for Berth's leftovers, which exist only once it has used
    // Docker (a Berth that never ran a task never loads the Docker client).
    const bool sweep_due = now - last_sweep_ >= kSweepPeriodSeconds && used_docker_;
    if (tasks.empty() && !sweep_due) {
      next_wake_ = 0;
      return busy;
    }
    // Which engine each task runs on: the local one, unless its instance
    // stands for another (read after the tasks: an instance is stored before
    // any task placed on it).
    const std::map<std::string, EngineInstance> others = OtherEngines();
    const auto engine_of = [&others](const storage::TaskRecord& task) {
      if (!task.container_instance_arn) return engines::Engine{};
      const auto slash = task.container_instance_arn->rfind('/');
      const auto found =
          others.find(slash == std::string::npos ? *task.container_instance_arn
                                                 : task.container_instance_arn->substr(slash + 1));
      return found == others.end() ? engines::Engine{} : found->second.engine;
    };
    if (!others.empty()) CheckEngines(others, tasks, now);
    std::set<std::string> local_tasks;
    for (const auto& task : tasks) {
      if (engine_of(task).local()) local_tasks.insert(task.task_id);
    }
    bool local_ready = docker_ready_;
    bool local_up = false;
    if (!local_tasks.empty() || sweep_due) {
      local_up = docker_.Ping();
      if (!local_up) {
        if (!local_tasks.empty()) FailUnreachable(local_tasks, "the daemon does not answer");
        docker_ready_ = false;
        local_ready = false;
        if (!local_tasks.empty()) busy = true;
      } else {
        // The pause image is loaded when a task needs it.
        local_ready = local_tasks.empty() ? true : PrepareDocker();
        if (!local_ready) busy = true;
      }
    }
    if (!tasks.empty()) StartWorkers();
    std::vector<TaskRef> inline_steps;
    {
      std::lock_guard lock(pool_mutex_);
      std::set<std::string> live;
      for (const auto& task : tasks) {
        live.insert(task.task_id);
        if (in_flight_.contains(task.task_id)) {
          busy = true;
          continue;
        }
        engines::Engine engine = engine_of(task);
        if (engine.local() && !local_ready) continue;  // the local engine is not there yet
        if (engines_down_since_.contains(engine.endpoint)) continue;  // nor is this one
        Due& due = next_due_[task.task_id];
        if (due.at > now && due.desired == task.desired_status) {
          if (earliest == 0 || due.at < earliest) earliest = due.at;
          continue;
        }
        due.desired = task.desired_status;
        in_flight_.insert(task.task_id);
        TaskRef ref{task.partition, task.cluster, task.task_id, std::move(engine)};
        if (options_.workers > 0) {
          queue_.push_back(std::move(ref));
          busy = true;
        } else {
          inline_steps.push_back(std::move(ref));
        }
      }
      std::erase_if(next_due_, [&live](const auto& entry) { return !live.contains(entry.first); });
    }
    pool_wake_.notify_all();
    for (const auto& ref : inline_steps) {
      RunStep(ref, loop_clients_);
      std::lock_guard lock(pool_mutex_);
      const auto due = next_due_.find(ref.task_id);
      if (due != next_due_.end()) {
        if (due->second.at - now <= Seconds(options_.busy_period) + 1e-6) busy = true;
        if (earliest == 0 || due->second.at < earliest) earliest = due->second.at;
      }
    }
    if (sweep_due) {
      // awslogs cursors of containers gone from every engine are dropped,
      // only when every engine's containers were listed (a container of an
      // engine not listed keeps its cursor). The cursors are read before
      // any listing, so that a container made meanwhile keeps its own.
      const auto cursors = logs_ ? logs_->StoredCursors() : std::vector<std::string>{};
      std::set<std::string> existing;
      bool all_listed = local_up && SweepOrphans(docker_, std::string(engines::kLocal), existing);
      std::set<std::string> swept;
      for (const auto& [id, instance] : others) {
        const engines::Engine& engine = instance.engine;
        if (!swept.insert(engine.endpoint).second) continue;
        if (engines_down_since_.contains(engine.endpoint)) {
          all_listed = false;
          continue;
        }
        try {
          all_listed =
              SweepOrphans(loop_clients_.For(engine.endpoint), engine.endpoint, existing) &&
              all_listed;
        } catch (const docker::DockerError& e) {
          all_listed = false;
          log::Debug("reconciler: no sweep of " + engine.endpoint + ": " + e.what());
        }
      }
      if (logs_ && all_listed) logs_->ForgetMissing(cursors, existing);
      last_sweep_ = now;
    }
  } catch (const std::exception& e) {
    log::Error(std::string("reconciler pass failed: ") + e.what());
  }
  next_wake_ = earliest;
  return busy;
}

bool Reconciler::TaskKnown(const std::string& task_arn) {
  return TaskLastStatus(task_arn).has_value();
}

std::optional<std::string> Reconciler::TaskLastStatus(const std::string& task_arn) {
  const auto key = ParseTaskArn(task_arn);
  if (!key) return std::nullopt;
  auto lease = database_.Acquire();
  const auto task = storage::TaskStore(lease.db()).Find(key->partition, key->cluster, key->task_id);
  if (!task) return std::nullopt;
  return task->last_status;
}

bool Reconciler::SweepOrphans(docker::DockerApi& docker, const std::string& endpoint,
                              std::set<std::string>& existing) {
  const std::string mine = "berth.instance=" + options_.instance_id;
  bool listed = false;
  try {
    const bool local = endpoint == engines::kLocal;
    const auto containers = docker.ListContainers({mine});
    for (const auto& c : containers) existing.insert(c.id);
    listed = true;
    for (const auto& c : containers) {
      const auto arn = c.labels.find(docker::kTaskArnLabel);
      if (arn == c.labels.end()) continue;
      const auto last_status = TaskLastStatus(arn->second);
      // On another engine, a container still running for a task given up
      // while that engine did not answer: its task was replaced.
      const bool given_up = !local && last_status == "STOPPED" && c.state == "running";
      if (last_status && !given_up) continue;
      log::Info("reconciler: removing container " + c.name +
                (given_up ? " of a task given up while its engine did not answer"
                          : " of a task Berth no longer has"));
      if (logs_) logs_->Forget({c.id});
      docker.RemoveContainer(c.id);
    }
    // Task volumes go once their task is gone (its containers first).
    for (const auto& v : docker.ListVolumes({mine})) {
      const auto arn = v.labels.find(docker::kTaskArnLabel);
      if (arn == v.labels.end() || TaskKnown(arn->second)) continue;
      try {
        docker.RemoveVolume(v.name);
      } catch (const docker::DockerError& e) {
        if (e.unreachable()) throw;
        log::Debug("reconciler: volume " + v.name + " not removed yet: " + e.what());
      }
    }
    // A cluster's network goes when the cluster has had no unfinished task
    // for two sweeps in a row (a task recorded meanwhile finds it again).
    std::set<std::string> in_use;
    {
      auto lease = database_.Acquire();
      for (const auto& task : storage::TaskStore(lease.db()).UnfinishedKeys()) {
        in_use.insert(PartitionKey(task.partition) + "/" + task.cluster);
      }
    }
    std::lock_guard lock(networks_mutex_);
    std::set<std::string> idle;
    for (const auto& n : docker.ListNetworks({mine})) {
      const auto cluster = n.labels.find(kClusterLabel);
      const auto partition = n.labels.find(kPartitionLabel);
      const bool used = cluster != n.labels.end() && partition != n.labels.end() &&
                        in_use.contains(partition->second + "/" + cluster->second);
      if (used) continue;
      const std::string key = endpoint + " " + n.name;
      if (!idle_networks_.contains(key)) {
        idle.insert(key);
        continue;
      }
      try {
        docker.RemoveNetwork(n.id);
        networks_.erase(key);
      } catch (const docker::DockerError& e) {
        if (e.unreachable()) throw;
        log::Debug("reconciler: network " + n.name + " not removed yet: " + e.what());
      }
    }
    // This engine's idle networks replace those it had at the last sweep.
    std::erase_if(idle_networks_,
                  [&endpoint](const std::string& key) { return key.starts_with(endpoint + " "); });
    idle_networks_.merge(idle);
  } catch (const docker::DockerError& e) {
    log::Warn("reconciler: orphan sweep of " + endpoint + " failed: " + e.what());
  }
  return listed;
}

void Reconciler::RemoveAll() {
  std::unique_lock docker_lock(docker_mutex_);
  if (options_.endpoints != nullptr) {
    // The tasks go, and the listeners of those on other engines with them.
    for (const auto& listener : options_.endpoints->ForgetAll()) {
      if (options_.task_listeners.close) {
        options_.task_listeners.close(listener.host, listener.port);
      }
    }
  }
  if (!used_docker_) return;  // nothing of Berth's can be there
  std::vector<std::string> endpoints = {std::string(engines::kLocal)};
  try {
    for (const auto& [id, instance] : OtherEngines()) {
      const std::string& endpoint = instance.engine.endpoint;
      if (std::find(endpoints.begin(), endpoints.end(), endpoint) == endpoints.end()) {
        endpoints.push_back(endpoint);
      }
    }
  } catch (const std::exception& e) {
    log::Warn(std::string("reset: cannot read the fleet: ") + e.what());
  }
  const std::string mine = "berth.instance=" + options_.instance_id;
  for (const auto& endpoint : endpoints) {
    try {
      docker::DockerApi& docker = loop_clients_.For(endpoint);
      const auto containers = docker.ListContainers({mine});
      if (logs_) {
        std::vector<std::string> ids;
        for (const auto& c : containers) ids.push_back(c.id);
        logs_->Forget(ids);
      }
      for (const auto& c : containers) docker.RemoveContainer(c.id);
      for (const auto& v : docker.ListVolumes({mine})) docker.RemoveVolume(v.name);
      for (const auto& n : docker.ListNetworks({mine})) docker.RemoveNetwork(n.id);
    } catch (const docker::DockerError& e) {
      log::Warn("reset: could not remove Berth's containers on " + endpoint + ": " + e.what());
    }
  }
  std::lock_guard lock(networks_mutex_);
  networks_.clear();
  idle_networks_.clear();
  docker_ready_ = false;
  std::lock_guard engines(engines_mutex_);
  // Watchers keep following their engines; the pause image is loaded again.
  prepared_engines_.clear();
}

}  // namespace berth::reconciler
