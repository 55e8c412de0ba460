#pragma once

// The one loop that makes Docker match the ECS tasks Berth has recorded
// (kubernetes' sample-controller and the ECS agent's task manager, in small):
// each pass reads the unfinished tasks in a short read, moves each one step
// with a TaskDriver (Docker calls, no database lease held), and writes back
// what it observed in a short transaction. API handlers only record desired
// state and Poke() it. A periodic resync catches containers that changed on
// their own; after a restart the same passes adopt Berth's containers again
// through their labels, and containers of tasks Berth no longer knows are
// removed.
//
// Thread-safety: Start/Poke/Stop from any thread; ReconcileOnce runs on the
// loop's thread (tests call it directly instead of Start()).

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "docker_backend/docker_api.h"
#include "server/reconciler/image_resolver.h"
#include "server/util/clock.h"
#include "storage/database.h"
#include "storage/task_store.h"

namespace berth::reconciler {

struct ReconcilerOptions {
  std::string instance_id;  // labels this Berth's containers (one per data dir)
  std::string pause_image;
  // A task whose containers cannot be created because Docker cannot be
  // reached fails after this long.
  double unreachable_grace_seconds = 15;
  // How often a pass runs without being poked (faster while tasks move).
  std::chrono::milliseconds busy_period{500};
  std::chrono::milliseconds idle_period{5000};
};

class Reconciler {
 public:
  Reconciler(storage::Database& database, docker::DockerApi& docker, const ImageResolver& images,
             std::function<std::string(const storage::Partition&)> registry_password,
             const Clock& clock, ReconcilerOptions options);
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;
  ~Reconciler();

  void Start();
  // Asks for a pass now (after desired state changed).
  void Poke();
  // Stops the loop and joins it; containers keep running (adopted on the
  // next start).
  void Stop();

  // One pass. Returns true when tasks are still moving. Never throws.
  bool ReconcileOnce();
  // Removes every container and the network of this Berth (POST /_berth/reset).
  void RemoveAll();

 private:
  bool PrepareDocker();
  // Records (in the meta table) that this data dir's Berth used Docker.
  void MarkUsedDocker();
  void WriteBack(storage::TaskRecord& task);
  // Removes containers and task volumes of tasks Berth no longer has.
  void SweepOrphans();
  bool TaskKnown(const std::string& task_arn);
  void FailUnreachable(const std::string& message);
  // Stops a task whose step failed on a fault of Berth's own.
  void FailInternal(storage::TaskRecord& task, const std::string& message);

  storage::Database& database_;
  docker::DockerApi& docker_;
  const ImageResolver& images_;
  std::function<std::string(const storage::Partition&)> registry_password_;
  const Clock& clock_;
  ReconcilerOptions options_;
  std::string network_name_;
  bool docker_ready_ = false;  // pause image loaded, network made (loop thread only)
  double last_sweep_ = 0;      // loop thread only
  bool used_docker_ = false;   // this data dir's Berth used Docker; under docker_mutex_

  std::mutex docker_mutex_;  // one Docker user at a time (loop and reset)
  std::mutex mutex_;
  std::condition_variable wake_;
  bool poked_ = false;     // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace berth::reconciler
