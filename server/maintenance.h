#pragma once

// Housekeeping on a background thread: every few minutes (and once at
// start), expire abandoned uploads, remove blobs nothing refers to, forget
// tasks that stopped, and services that went INACTIVE, more than an hour ago,
// and delete log events past their group's retention.
// Stops and joins on destruction.
//
// Thread-safety: owns its thread; the services it calls are thread-safe.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/ecr/image_service.h"
#include "server/ecr/upload_service.h"
#include "server/ecs/service_manager.h"
#include "server/ecs/task_service.h"
#include "server/logs/log_service.h"
#include "server/util/clock.h"

namespace berth {

class Maintenance {
 public:
  static constexpr int kPeriodSeconds = 300;
  // Blobs nothing refers to are kept this long (a push in progress uploads
  // layers before the manifest that refers to them).
  static constexpr double kOrphanGraceSeconds = 60 * 60;

  Maintenance(ecr::ImageService& images, ecr::UploadService& uploads, ecs::TaskService& tasks,
              ecs::ServiceManager& services, logs::LogService& logs, const Clock& clock);
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;
  ~Maintenance();

  // One round of housekeeping (also what the thread runs).
  void RunOnce();

 private:
  ecr::ImageService& images_;
  ecr::UploadService& uploads_;
  ecs::TaskService& tasks_;
  ecs::ServiceManager& services_;
  logs::LogService& logs_;
  const Clock& clock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace berth
