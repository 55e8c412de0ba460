#pragma once

// Moves one ECS task toward its desired status on Docker, one level-triggered
// step at a time, and records what it sees in the task's AWS document:
//   desired RUNNING: pull images, start the task's network namespace (the
//     pause container, awsvpc), create and start containers as their
//     dependsOn conditions allow, watch them; an essential container that
//     exits stops the task;
//   desired STOPPED: signal containers in reverse dependency order (SIGTERM,
//     then SIGKILL after stopTimeout), then tear down the namespace.
// awslogs containers (task_driver_logs.cc) get their log group and stream
// before they can start, their output collected from their start, and the
// task becomes STOPPED only once all of it is stored.
// lastStatus only moves forward (PROVISIONING → PENDING → RUNNING →
// STOPPING → DEPROVISIONING → STOPPED), and every timestamp is read from the
// clock when its event happens (connectivityAt when the network namespace
// is up, pullStartedAt/pullStoppedAt around the pulls, startedAt when every
// container is seen running, executionStoppedAt when an essential container
// is seen exited, stoppedAt at the end). A step takes the task as far as it
// can go without waiting on a container; where a client may watch the task
// in between (PENDING while images pull, DEPROVISIONING while the namespace
// goes), it publishes the task mid-step, and takes up a stop requested
// meanwhile. Anything slow is re-checked on a later step.
//
// Thread-safety: one driver per task at a time; drivers of different tasks
// may run concurrently, each with its own DockerApi client.

#include <exception>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "docker_backend/docker_api.h"
#include "server/reconciler/container_spec.h"
#include "server/reconciler/image_resolver.h"
#include "server/reconciler/log_collector.h"
#include "server/reconciler/log_sink.h"
#include "server/reconciler/task_endpoints.h"
#include "server/util/clock.h"
#include "server/util/engine_attributes.h"
#include "storage/records.h"
#include "storage/task_store.h"

namespace berth::reconciler {

// A cluster's Docker network, and its gateway (the host's address on it).
struct TaskNetwork {
  std::string name;
  std::string gateway;
};

// What a task's driver works with: Docker, time, where images come from,
// and how it writes the task back mid-step.
struct DriverEnvironment {
  docker::DockerApi& docker;
  const ImageResolver& images;
  // A registry password for Berth's registry in a partition.
  std::function<std::string(const storage::Partition&)> registry_password;
  std::string instance_id;  // this Berth's berth.instance label
  std::string pause_image;
  const Clock& clock;
  // The Docker network the task's cluster uses (made on first use). Throws
  // docker::DockerError.
  std::function<TaskNetwork(const storage::TaskRecord&)> network_for;
  // Stores the task now, folding in a stop the API or the scheduler asked
  // for meanwhile (the record comes back with it). May be empty (tests).
  std::function<void(storage::TaskRecord&)> publish;
  // Tasks recorded before this instant may have containers a previous Berth
  // made and never recorded (it stopped between create and record): their
  // first step looks for them by label. Newer tasks have none.
  double adopt_before = 0;
  // The task endpoints (metadata, credentials) at 169.254.170.2: where the
  // ids are registered (nullptr: not offered), Berth's port, and how Berth
  // starts listening on a network's gateway (true when it does).
  TaskEndpoints* endpoints = nullptr;
  uint16_t endpoint_port = 0;
  std::function<bool(const std::string& host)> listen_on = {};
  // Berth's API as a host-network container reaches it; may be empty.
  std::string host_berth_url = {};
  // Listeners of tasks on other engines (see TaskListeners).
  TaskListeners task_listeners = {};
  // awslogs: where the groups and streams are made (nullptr: awslogs is not
  // honoured) and who collects the containers' output.
  LogSink* log_sink = nullptr;
  LogCollector* logs = nullptr;
  // The engine the task runs on (engines::kLocal, or another's endpoint).
  std::string engine = std::string(engines::kLocal);
  // The address of the engine's host where published ports are bound (and
  // reported in networkBindings).
  std::string publish_address = "127.0.0.1";
};

// The label on the pause container of a task on another engine naming the
// listener its relay connects to ("<ipv4>:<port>"), so that a Berth that
// stopped before recording it still knows it.
inline constexpr const char* kArrivalLabel = "berth.arrival";

// Stops running containers after this long without their own stopTimeout
// (the ECS agent's default).
inline constexpr int kDefaultStopTimeoutSeconds = 30;

class TaskDriver {
 public:
  // `task` is the stored task (document and runtime are JSON text);
  // `task_definition` the TaskDefinition document it runs.
  TaskDriver(DriverEnvironment& env, storage::TaskRecord& task,
             const nlohmann::json& task_definition);

  // One step. Returns true when the task changed since it was last stored
  // (and must be written back). Throws docker::DockerError when the daemon
  // cannot be reached.
  bool Step();
  // After Step: true when the task only needs watching (RUNNING, every
  // container started or given up, no stop pending), or has STOPPED.
  bool Settled() const;

 private:
  using json = nlohmann::json;

  double Now() const { return env_.clock.Now(); }
  // The document and runtime into the record.
  void Sync();
  // Sync, then store the task now (see DriverEnvironment::publish).
  void Publish();
  bool DesiredRunning() const { return doc_.value("desiredStatus", "RUNNING") == "RUNNING"; }

  void Advance();
  void StopAll();
  bool Prepare();
  bool EnsurePause();
  // Waits (briefly) for the pause program to give the namespace its
  // 169.254.170.2: ready; unavailable (the address is local but the
  // endpoints cannot be relayed; `why` says why); or failed (the task is
  // failed).
  enum class RelayState { kReady, kUnavailable, kFailed };
  RelayState AwaitRelay(const std::string& pause_id, std::string& why);
  // The task context the containers are translated with.
  TaskContext Context(const std::string& network_mode);
  // Gives the task's containers their endpoint ids (once) and keeps the
  // directory current; forgets them once the task has stopped.
  void RegisterEndpoints();
  // A task on another engine: the listener of its own its relay connects to
  // (runtime "arrival": host and port, kept for a restart), opened at `host`
  // (again at the port it had, if any); its port, or 0 when it cannot be.
  uint16_t OpenArrivalListener(const std::string& host);
  void CloseArrivalListener();
  // Closes the task's listener when the scope is left by an exception (and
  // `armed`): what EnsurePause opened must not outlive a step that failed.
  class CloseListenerOnThrow {
   public:
    CloseListenerOnThrow(TaskDriver& driver, bool armed) : driver_(driver), armed_(armed) {}
    CloseListenerOnThrow(const CloseListenerOnThrow&) = delete;
    CloseListenerOnThrow& operator=(const CloseListenerOnThrow&) = delete;
    ~CloseListenerOnThrow();

   private:
    TaskDriver& driver_;
    bool armed_;
    int unwinding_ = std::uncaught_exceptions();
  };
  // Records a field or feature Berth does not honour for this task.
  void AddNote(const std::string& text);
  // awslogs (awslogs.h): the container's settings (nullopt: not awslogs, or
  // not honoured); its group and stream made before it can start (false,
  // with the task failed, when they cannot be); its output followed once
  // started; and all of it stored before the task is STOPPED (false while
  // the collector is still at it).
  std::optional<AwslogsSettings> Awslogs(const json& definition, const std::string& container_id);
  bool PrepareLog(const json& definition, json& runtime);
  void FollowLogs();
  bool LogsDrained();
  bool CreateAndStartReady();
  void Observe();
  void CheckDependencyFailures();
  void CheckEssentialExit();
  void MaybeRunning();
  void FinishStopping();
  // The task fails to start: STOPPED is desired, with ECS's code and reason.
  void Fail(const std::string& stop_code, const std::string& reason,
            const std::string& container = "");
  void SetLastStatus(const std::string& status);
  void Touch();

  json& ContainerDoc(const std::string& name);
  json& Runtime(const std::string& name);
  const json& Definition(const std::string& name) const;
  bool IsEssential(const std::string& name) const;
  // Whether `name`'s dependsOn conditions hold now; sets `impossible` when
  // they never can.
  bool DependenciesMet(const std::string& name, bool& impossible, std::string& why);
  int StopTimeout(const std::string& name) const;

  DriverEnvironment& env_;
  storage::TaskRecord& task_;
  const json& td_;
  json doc_;
  json runtime_;
  // What was last stored (the step's input, or the last publish).
  std::string stored_document_;
  std::string stored_runtime_;
};

}  // namespace berth::reconciler
