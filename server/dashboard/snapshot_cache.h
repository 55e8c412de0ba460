#pragma once

// Serves each account and region's dashboard snapshot (snapshot.h) with an
// ETag, building it again only when Berth's state has changed since (the
// version source, Database::ChangeCount: one counter read). An unchanged
// state answers "not modified" without building anything, so a page that
// polls every second costs next to nothing while nothing happens. The ETag
// is a hash of the content, so a change that alters nothing the snapshot
// shows still answers "not modified" (after a build).
//
// At most one build runs per account and region; meanwhile other callers get
// the previous text at once (or wait for the first). A partition is rebuilt
// at most once per `min_interval`, however many pages poll it, so a state
// that changes all the time (a chatty awslogs container) cannot make the
// dashboard take more than its share of the CPU from the API.
//
// The last few snapshots of each partition are kept by ETag, so that a page
// polling with an older ETag can be sent only what changed since
// (Snapshot::DeltaFrom) instead of the whole snapshot again.
//
// Thread-safety: Get() may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "server/dashboard/snapshot.h"
#include "storage/records.h"

namespace berth::dashboard {

class SnapshotCache {
 public:
  using VersionSource = std::function<int64_t()>;
  using Builder = std::function<Snapshot(const storage::Partition&)>;

  SnapshotCache(VersionSource version, Builder build, std::chrono::milliseconds min_interval);

  struct Result {
    bool not_modified = false;  // the caller's ETag is current: send 304
    std::string etag;
    std::shared_ptr<const Snapshot> snapshot;  // the current one (also when not modified)
    // The snapshot the caller's ETag names, when it is an older one still
    // kept: what a delta is made from.
    std::shared_ptr<const Snapshot> base;
  };
  // The snapshot of `partition`; `if_none_match` is the ETag the caller has.
  // Throws what the builder throws (nothing is cached then).
  Result Get(const storage::Partition& partition, std::optional<std::string_view> if_none_match);

  // How many snapshots were built (for tests).
  int64_t builds() const;

 private:
  struct Entry {
    int64_t version = -1;
    std::string etag;
    std::shared_ptr<const Snapshot> snapshot;
    // Older snapshots by ETag, oldest first (at most kHistory).
    std::deque<std::pair<std::string, std::shared_ptr<const Snapshot>>> history;
    std::chrono::steady_clock::time_point built_at;
    bool building = false;
  };
  static Result Answer(const Entry& entry, std::optional<std::string_view> if_none_match);
  // Forgets idle entries when there are too many partitions.
  void Evict(const std::string& keep);

  const VersionSource version_;
  const Builder build_;
  const std::chrono::milliseconds min_interval_;
  mutable std::mutex mutex_;
  std::condition_variable built_;
  std::map<std::string, Entry> entries_;  // by "account|region", under mutex_
  int64_t builds_ = 0;                    // under mutex_
};

}  // namespace berth::dashboard
