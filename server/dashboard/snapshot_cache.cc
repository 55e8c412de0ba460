#include "server/dashboard/snapshot_cache.h"

#include <cstdio>
#include <functional>
#include <string_view>
#include <utility>

namespace berth::dashboard {
namespace {

constexpr size_t kMaxEntries = 16;

std::string ContentTag(std::string_view body) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016zx", std::hash<std::string_view>{}(body));
  return "\"" + std::string(hex) + "-" + std::to_string(body.size()) + "\"";
}

}  // namespace

SnapshotCache::SnapshotCache(VersionSource version, Builder build,
                             std::chrono::milliseconds min_interval)
    : version_(std::move(version)), build_(std::move(build)), min_interval_(min_interval) {}

int64_t SnapshotCache::builds() const {
  std::lock_guard lock(mutex_);
  return builds_;
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
    const bool fresh = entry->body != nullptr &&
                       (entry->version == version || entry->building ||
                        std::chrono::steady_clock::now() - entry->built_at < min_interval_);
    if (fresh) {
      return {if_none_match == entry->etag, entry->etag, entry->body};
    }
    if (!entry->building) break;
    built_.wait(lock);  // the first build of this partition is under way
    entry = &entries_[key];
  }
  entry->building = true;
  lock.unlock();
  std::string body;
  try {
    body = build_(partition);
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
  entry->etag = ContentTag(body);
  entry->body = std::make_shared<const std::string>(std::move(body));
  entry->built_at = std::chrono::steady_clock::now();
  entry->building = false;
  ++builds_;
  built_.notify_all();
  return {if_none_match == entry->etag, entry->etag, entry->body};
}

}  // namespace berth::dashboard
