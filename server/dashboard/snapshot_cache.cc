#include "server/dashboard/snapshot_cache.h"

#include <cstdio>
#include <functional>
#include <string_view>
#include <utility>

namespace berth::dashboard {
namespace {

constexpr size_t kMaxEntries = 16;
// Snapshots kept per partition besides the current one: a page that missed
// more than this many changes gets the whole snapshot again.
constexpr size_t kHistory = 8;

std::string ContentTag(const Snapshot& snapshot) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016zx", snapshot.ContentHash());
  return "\"" + std::string(hex) + "-" + std::to_string(snapshot.tasks.size()) + "\"";
}

}  // namespace

SnapshotCache::SnapshotCache(VersionSource version, Builder build,
                             std::chrono::milliseconds min_interval)
    : version_(std::move(version)), build_(std::move(build)), min_interval_(min_interval) {}

int64_t SnapshotCache::builds() const {
  std::lock_guard lock(mutex_);
  return builds_;
}

SnapshotCache::Result SnapshotCache::Answer(const Entry& entry,
                                            std::optional<std::string_view> if_none_match) {
  Result result{if_none_match == entry.etag, entry.etag, entry.snapshot, nullptr};
  if (!result.not_modified && if_none_match) {
    for (const auto& [etag, snapshot] : entry.history) {
      if (etag == *if_none_match) result.base = snapshot;
    }
  }
  return result;
}

void SnapshotCache::Evict(const std::string& keep) {
  if (entries_.size() < kMaxEntries) return;
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->first != keep && !it->second.building ? entries_.erase(it) : std::next(it);
  }
}

SnapshotCache::Result SnapshotCache::Get(const storage::Partition& partition,
                                         std::optional<std::string_view> if_none_match) {
  const std::string key = partition.account_id + "|" + partition.region;
  const int64_t version = version_();
  std::unique_lock lock(mutex_);
  if (!entries_.contains(key)) Evict(key);
  Entry* entry = &entries_[key];
  while (true) {
    const bool fresh = entry->snapshot != nullptr &&
                       (entry->version == version || entry->building ||
                        std::chrono::steady_clock::now() - entry->built_at < min_interval_);
    if (fresh) {
      return Answer(*entry, if_none_match);
    }
    if (!entry->building) break;
    built_.wait(lock);  // the first build of this partition is under way
    entry = &entries_[key];
  }
  entry->building = true;
  lock.unlock();
  std::shared_ptr<const Snapshot> built;
  try {
    built = std::make_shared<const Snapshot>(build_(partition));
  } catch (...) {
    lock.lock();
    entries_[key].building = false;
    built_.notify_all();
    throw;
  }
  lock.lock();
  entry = &entries_[key];
  entry->version = version;
  // The ETag names the content, not the version: a write that changes
  // nothing the snapshot shows (a tag, a log line of another task) still
  // answers 304, and the page does no work at all.
  std::string etag = ContentTag(*built);
  if (etag != entry->etag) {
    if (entry->snapshot) entry->history.emplace_back(std::move(entry->etag), entry->snapshot);
    if (entry->history.size() > kHistory) entry->history.pop_front();
    entry->etag = std::move(etag);
    entry->snapshot = std::move(built);
  }
  entry->built_at = std::chrono::steady_clock::now();
  entry->building = false;
  ++builds_;
  built_.notify_all();
  return Answer(*entry, if_none_match);
}

}  // namespace berth::dashboard
