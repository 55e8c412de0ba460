#pragma once

// The one loop that makes Docker match the ECS tasks Berth has recorded
// (kubernetes' sample-controller and the ECS agent's task manager, in small).
// Each pass first runs the control plane (the ECS service scheduler, which
// records tasks to start and to stop), then reads the unfinished tasks and
// hands every task that is due to a TaskDriver step. Steps of different
// tasks run concurrently on a small pool of workers, each with its own
// Docker client; one task's steps never overlap. A step holds no database
// lease while it calls Docker and writes back what it observed in short
// transactions. API handlers only record desired state and Poke() the loop.
//
// When is a task due: at once after a change of desired state; every
// `busy_period` while it moves (starting, stopping); and only every
// `steady_resync_seconds` while it just runs, because Docker's event stream
// (followed on a thread of its own) wakes the loop the moment one of
// Berth's containers starts, dies or changes health. After a restart the
// same passes adopt Berth's containers again through their labels, and
// containers of tasks Berth no longer knows are removed.
//
// Thread-safety: Start/Poke/Stop/RemoveAll from any thread; ReconcileOnce
// runs on the loop's thread (tests call it directly instead of Start(); with
// `workers == 0` every step runs inside it, in order).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "docker_backend/docker_api.h"
#include "server/reconciler/engine_clients.h"
#include "server/reconciler/image_resolver.h"
#include "server/reconciler/log_collector.h"
#include "server/reconciler/log_sink.h"
#include "server/reconciler/task_driver.h"
#include "server/reconciler/task_endpoints.h"
#include "server/util/clock.h"
#include "server/util/engine_attributes.h"
#include "storage/database.h"
#include "storage/task_store.h"

namespace berth::reconciler {

struct ReconcilerOptions {
  std::string instance_id;  // labels this Berth's containers (one per data dir)
  std::string pause_image;
  // A task whose containers cannot be created because Docker cannot be
  // reached fails after this long.
  double unreachable_grace_seconds = 15;
  // How often a moving task is looked at, and the loop runs while one is.
  std::chrono::milliseconds busy_period{250};
  // How often the loop runs when nothing moves (the control plane's timers).
  std::chrono::milliseconds idle_period{2000};
  // How often a task that just runs is inspected without an event.
  double steady_resync_seconds = 15;
  // Concurrent task steps. 0: steps run on the caller of ReconcileOnce.
  int workers = 0;
  // The task endpoints (see DriverEnvironment): not offered without
  // `endpoints`, a port and `listen_on`.
  TaskEndpoints* endpoints = nullptr;
  uint16_t endpoint_port = 0;
  std::function<bool(const std::string& host)> listen_on = {};
  // Listeners of tasks on other engines (see TaskListeners).
  TaskListeners task_listeners = {};
  std::string host_berth_url = {};
  // Clients of the other engines of the fleet (container instances that
  // stand for an engine other than the local one); without it, tasks placed
  // on those cannot run.
  EngineClientFactory engine_client = {};
  // How often the other engines are pinged, and how long one may not answer
  // before the tasks on it are given up as STOPPED (services replace them
  // elsewhere).
  double engine_check_seconds = 5;
  double engine_lost_seconds = 30;
};

// Makes a Docker client for one worker thread.
using DockerClientFactory = std::function<std::unique_ptr<docker::DockerApi>()>;

class Reconciler {
 public:
  // `docker` serves the loop's thread; `make_client` one client per worker
  // (and the event watcher); it may be empty when `options.workers == 0`.
  Reconciler(storage::Database& database, docker::DockerApi& docker,
             DockerClientFactory make_client, const ImageResolver& images,
             std::function<std::string(const storage::Partition&)> registry_password,
             const Clock& clock, ReconcilerOptions options);
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;
  ~Reconciler();

  // The control plane's pass, run at the start of every pass before tasks
  // are driven; returns true when it wants another pass soon. It must not
  // throw. Set before Start().
  void SetControlPlane(std::function<bool()> pass) { control_plane_ = std::move(pass); }
  // Told of every task this reconciler stores (after the write), from
  // whichever thread stored it. It must not throw. Set before Start().
  void SetTaskObserver(std::function<void(const storage::TaskRecord&)> observer) {
    task_observer_ = std::move(observer);
  }
  // Where the output of awslogs containers goes (Berth's CloudWatch Logs):
  // with a sink (and a client factory for the collector threads) Berth
  // makes their groups and streams before they start, collects their
  // output (log_collector.h) and stores all of it before their task is
  // STOPPED; without, awslogs is noted as not honoured. Set before Start().
  void SetLogSink(LogSink* sink, LogCollectorOptions options = {});

  void Start();
  // Asks for a pass now (after desired state changed).
  void Poke();
  // Stops the loop, the workers and the watcher, and joins them;
  // containers keep running (adopted on the next start).
  void Stop();

  // One pass. Returns true when tasks are still moving. Never throws.
  bool ReconcileOnce();
  // Removes every container, task volume and network of this Berth (POST
  // /_berth/reset).
  void RemoveAll();

 private:
  // A task to step, by its key, and the engine it runs on.
  struct TaskRef {
    storage::Partition partition;
    std::string cluster;
    std::string task_id;
    engines::Engine engine = {};
  };

  bool PrepareDocker();
  // The first step on another engine loads the pause image there, listens
  // where the engine reaches Berth and watches its events; false when the
  // engine is not ready yet.
  bool PrepareEngine(const engines::Engine& engine, docker::DockerApi& docker);
  // An instance of another engine.
  struct EngineInstance {
    engines::Engine engine;
    std::string ec2_instance_id;
  };
  // The instances of other engines, by instance id.
  std::map<std::string, EngineInstance> OtherEngines();
  // Pings the other engines (every engine_check_seconds): records whether
  // each answers in its instances (agentConnected), and gives up the tasks
  // of one that has not answered for engine_lost_seconds.
  void CheckEngines(const std::map<std::string, EngineInstance>& others,
                    const std::vector<storage::TaskRecord>& tasks, double now);
  // Stores the tasks of `task_ids` as STOPPED without touching Docker (their
  // engine is gone), with `stop_code` and `reason`; returns how many.
  int StopWithoutEngine(const std::map<std::string, std::string>& reason_by_task,
                        const std::string& stop_code);
  // Berth's registry as `engine` reaches it (host:port).
  std::string PullHostFor(const engines::Engine& engine) const;
  // Records (in the meta table) that this data dir's Berth used Docker.
  void MarkUsedDocker();
  // The cluster's Docker network (made on first use; thread-safe).
  TaskNetwork NetworkFor(docker::DockerApi& docker, const engines::Engine& engine,
                         const storage::TaskRecord& task);
  // Stores the task, keeping a stop recorded meanwhile (by StopTask or the
  // scheduler); `task` comes back with it.
  void WriteBack(storage::TaskRecord& task);
  // One step of one task (read fresh), on `docker`; then the task's next due
  // time.
  void RunStep(const TaskRef& ref, EngineClients& clients);
  void Finished(const std::string& task_id, double next_due, bool changed);
  // Removes containers, task volumes and networks of tasks (and clusters)
  // Berth no longer has, on one engine, and adds the ids of the containers
  // it keeps there to `existing`; false when they could not be listed.
  bool SweepOrphans(docker::DockerApi& docker, const std::string& endpoint,
                    std::set<std::string>& existing);
  bool TaskKnown(const std::string& task_arn);
  // The task's lastStatus; nullopt when Berth no longer has it.
  std::optional<std::string> TaskLastStatus(const std::string& task_arn);
  // Stops the tasks of `task_ids` that never got a container, once past the
  // grace period.
  void FailUnreachable(const std::set<std::string>& task_ids, const std::string& message);
  // Stops a task whose step failed on a fault of Berth's own.
  void FailInternal(const storage::TaskRecord& task, docker::DockerApi& docker,
                    const std::string& message);

  void StartWorkers();
  void WorkerLoop();
  // Follows one engine's events (a thread per engine).
  void WatchLoop(const std::string& endpoint);
  void MarkDue(const std::string& task_arn);

  storage::Database& database_;
  docker::DockerApi& docker_;
  DockerClientFactory make_client_;
  const ImageResolver& images_;
  std::function<std::string(const storage::Partition&)> registry_password_;
  const Clock& clock_;
  ReconcilerOptions options_;
  std::function<bool()> control_plane_;
  std::function<void(const storage::TaskRecord&)> task_observer_;
  // Where awslogs output goes, and its collector (when there is a sink).
  LogSink* log_sink_ = nullptr;
  std::unique_ptr<LogCollector> logs_;
  const double started_at_;    // tasks recorded before it may have unrecorded containers
  bool docker_ready_ = false;  // pause image loaded (loop thread only)
  double last_sweep_ = 0;      // loop thread only
  // Other engines that do not answer, since when (loop thread only).
  std::map<std::string, double> engines_down_since_;
  // Other engines seen answering this run (their instances say so).
  std::set<std::string> engines_seen_up_;
  double last_engine_check_ = 0;           // loop thread only
  std::atomic<bool> used_docker_ = false;  // this data dir's Berth used Docker
  // The loop thread's clients of the other engines (sweeps, resets).
  EngineClients loop_clients_;

  // Steps hold it shared; RemoveAll exclusively (no step runs during a reset).
  std::shared_mutex docker_mutex_;
  std::mutex networks_mutex_;
  // Made this run, with their gateways, by engine and name; guarded by
  // networks_mutex_.
  std::map<std::string, std::string> networks_;
  // Networks unused at the last sweep (removed if still so at the next).
  std::set<std::string> idle_networks_;  // guarded by networks_mutex_

  // The loop.
  std::mutex mutex_;
  std::condition_variable wake_;
  bool poked_ = false;     // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
  double next_wake_ = 0;  // loop thread only: the earliest due time

  // The workers and what they own.
  std::mutex pool_mutex_;
  std::condition_variable pool_wake_;
  std::deque<TaskRef> queue_;        // guarded by pool_mutex_
  std::set<std::string> in_flight_;  // task ids queued or stepping; pool_mutex_
  // When each task is next due, and the desired status it had when last
  // dispatched (a change, by StopTask or the scheduler, makes it due at
  // once).
  struct Due {
    double at = 0;
    std::string desired;
  };
  std::map<std::string, Due> next_due_;  // by task id; pool_mutex_
  bool pool_stopping_ = false;           // guarded by pool_mutex_
  std::vector<std::thread> workers_;
  std::thread watcher_;  // the local engine's events
  // The other engines prepared this run, and their event watchers; guarded
  // by engines_mutex_.
  std::mutex engines_mutex_;
  std::set<std::string> prepared_engines_;
  std::map<std::string, std::thread> engine_watchers_;
};

}  // namespace berth::reconciler
