#include "server/maintenance.h"

#include <chrono>
#include <exception>
#include <string>

#include "server/util/log.h"

namespace berth {

Maintenance::Maintenance(ecr::ImageService& images, ecr::UploadService& uploads,
                         ecs::TaskService& tasks, ecs::ServiceManager& services,
                         logs::LogService& logs, const Clock& clock)
    : images_(images),
      uploads_(uploads),
      tasks_(tasks),
      services_(services),
      logs_(logs),
      clock_(clock) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      RunOnce();
      lock.lock();
      wake_.wait_for(lock, std::chrono::seconds(kPeriodSeconds), [this] { return stopping_; });
    }
  });
}

Maintenance::~Maintenance() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Maintenance::RunOnce() {
  try {
    const double now = clock_.Now();
    const size_t uploads = uploads_.ExpireStale(now);
    const size_t blobs = images_.CollectOrphans(now - kOrphanGraceSeconds);
    tasks_.PurgeStopped(now);
    services_.PurgeInactive(now);
    const int64_t expired = logs_.PurgeExpired();
    if (expired > 0) {
      log::Info("maintenance: deleted " + std::to_string(expired) + " expired log events");
    }
    if (uploads + blobs > 0) {
      log::Info("maintenance: expired " + std::to_string(uploads) + " uploads, removed " +
                std::to_string(blobs) + " unreferenced blobs");
    }
  } catch (const std::exception& e) {  // a thread entry point catches everything
    log::Error(std::string("maintenance failed: ") + e.what());
  }
}

}  // namespace berth
