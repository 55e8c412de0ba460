#pragma once

// How Live Tail sessions hear of new events without reading the event table:
// every write of events (PutLogEvents, and the awslogs collector through
// LogService's sink) is published here once committed, and each open
// session's LiveTailFeed keeps the matching ones (its groups, streams and
// filter pattern) until the session takes them, at most `capacity` at a time
// (more than that marks the batch as sampled and drops the rest, as Live Tail
// samples above 500 events per update).
//
// The hub holds feeds weakly: a session that ends just lets its feed go, and
// the hub forgets it on its next publish or subscribe.
//
// Thread-safety: every member of both classes may be called from any thread.

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/logs/filter_pattern.h"
#include "storage/log_store.h"

namespace berth::logs {

// One event as a Live Tail session reports it.
struct LiveTailEvent {
  std::string group_identifier;  // the group as the session named it
  std::string stream;
  int64_t timestamp = 0;
  int64_t ingestion_time = 0;
  std::string message;
};

// Which events a session wants.
struct LiveTailSelection {
  // The group ids watched and, in the same order, how the session named them.
  std::vector<int64_t> group_ids;
  std::vector<std::string> group_identifiers;
  // At most one of these is non-empty (exact names, or name prefixes).
  std::vector<std::string> stream_names;
  std::vector<std::string> stream_prefixes;
};

// One session's inbox: the wanted events of the writes published since the
// session last took them (bounded by `capacity`).
class LiveTailFeed {
 public:
  LiveTailFeed(LiveTailSelection selection, FilterPattern pattern, size_t capacity)
      : selection_(std::move(selection)), pattern_(std::move(pattern)), capacity_(capacity) {}
  LiveTailFeed(const LiveTailFeed&) = delete;
  LiveTailFeed& operator=(const LiveTailFeed&) = delete;

  // Keeps the events of this write that the session wants.
  void Offer(int64_t group_id, std::string_view stream,
             std::span<const storage::NewLogEvent> events, int64_t ingestion_time);

  // The events kept since the last call, in arrival order, and whether some
  // were dropped for the capacity.
  struct Taken {
    std::vector<LiveTailEvent> events;
    bool sampled = false;
  };
  Taken Take();

 private:
  // The identifier the session named `group_id` by; nullptr when not watched.
  const std::string* Watched(int64_t group_id) const;
  bool WantsStream(std::string_view stream) const;

  const LiveTailSelection selection_;
  const FilterPattern pattern_;
  const size_t capacity_;
  std::mutex mutex_;
  std::vector<LiveTailEvent> kept_;  // guarded by mutex_
  bool sampled_ = false;             // guarded by mutex_
};

// Where LogService publishes committed writes; it hands them to every live
// feed.
class LiveTailHub {
 public:
  LiveTailHub() = default;
  LiveTailHub(const LiveTailHub&) = delete;
  LiveTailHub& operator=(const LiveTailHub&) = delete;

  // Sends the events published from now on to `feed`, for as long as it
  // lives.
  void Subscribe(const std::shared_ptr<LiveTailFeed>& feed);
  // Offers events just committed to `stream` of group `group_id` to every
  // live feed.
  void Publish(int64_t group_id, std::string_view stream,
               std::span<const storage::NewLogEvent> events, int64_t ingestion_time);
  // How many feeds are alive (for tests).
  size_t FeedCount();

 private:
  // Forgets the feeds whose sessions have ended. Call with mutex_ held.
  void Prune();

  std::mutex mutex_;
  std::vector<std::weak_ptr<LiveTailFeed>> feeds_;  // guarded by mutex_
};

}  // namespace berth::logs
