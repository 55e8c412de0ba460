#pragma once

// Moves one ECS task toward its desired status on Docker, one level-triggered
// step at a time, and records what it sees in the task's AWS document:
//   desired RUNNING: pull images, start the task's network namespace (the
//     pause container, awsvpc), create and start containers as their
//     dependsOn conditions allow, watch them; an essential container that
//     exits stops the task;
//   desired STOPPED: signal containers in reverse dependency order (SIGTERM,
//     then SIGKILL after stopTimeout), then tear down the namespace.
// lastStatus only moves forward (PROVISIONING → PENDING → RUNNING →
// STOPPING → DEPROVISIONING → STOPPED). A step never waits on a container;
// anything slow is re-checked on the next pass.
//
// Thread-safety: one driver per task per pass, on the reconciler's thread.

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "docker_backend/docker_api.h"
#include "server/reconciler/image_resolver.h"
#include "storage/records.h"
#include "storage/task_store.h"

namespace berth::reconciler {

// What every task's driver shares: Docker, time, where images come from.
struct DriverEnvironment {
  docker::DockerApi& docker;
  const ImageResolver& images;
  // A registry password for Berth's registry in a partition.
  std::function<std::string(const storage::Partition&)> registry_password;
  std::string instance_id;   // this Berth's berth.instance label
  std::string network_name;  // the Docker network of awsvpc tasks
  std::string pause_image;
  double now = 0;
};

// Stops running containers after this long without their own stopTimeout
// (the ECS agent's default).
inline constexpr int kDefaultStopTimeoutSeconds = 30;

class TaskDriver {
 public:
  // `task` is the stored task (document and runtime are JSON text);
  // `task_definition` the TaskDefinition document it runs.
  TaskDriver(DriverEnvironment& env, storage::TaskRecord& task,
             const nlohmann::json& task_definition);

  // One step. Returns true when the task changed (and must be written back).
  // Throws docker::DockerError when the daemon cannot be reached.
  bool Step();

 private:
  using json = nlohmann::json;

  void Advance();
  void StopAll();
  bool Prepare();
  bool EnsurePause();
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
  bool changed_ = false;
};

}  // namespace berth::reconciler
