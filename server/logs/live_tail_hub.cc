#include "server/logs/live_tail_hub.h"

#include <algorithm>

namespace berth::logs {

const std::string* LiveTailFeed::Watched(int64_t group_id) const {
  const auto& ids = selection_.group_ids;
  const auto it = std::find(ids.begin(), ids.end(), group_id);
  if (it == ids.end()) return nullptr;
  return &selection_.group_identifiers[static_cast<size_t>(it - ids.begin())];
}

bool LiveTailFeed::WantsStream(std::string_view stream) const {
  if (!selection_.stream_names.empty()) {
    return std::find(selection_.stream_names.begin(), selection_.stream_names.end(), stream) !=
           selection_.stream_names.end();
  }
  if (!selection_.stream_prefixes.empty()) {
    return std::any_of(selection_.stream_prefixes.begin(), selection_.stream_prefixes.end(),
                       [&](const std::string& prefix) { return stream.starts_with(prefix); });
  }
  return true;
}

void LiveTailFeed::Offer(int64_t group_id, std::string_view stream,
                         std::span<const storage::NewLogEvent> events, int64_t ingestion_time) {
  const std::string* identifier = Watched(group_id);
  if (identifier == nullptr || !WantsStream(stream)) return;
  std::lock_guard lock(mutex_);
  for (const auto& event : events) {
    if (!pattern_.Matches(event.message)) continue;
    if (kept_.size() == capacity_) {
      sampled_ = true;
      continue;
    }
    kept_.push_back({*identifier, std::string(stream), event.timestamp, ingestion_time,
                     std::string(event.message)});
  }
}

LiveTailFeed::Taken LiveTailFeed::Take() {
  std::lock_guard lock(mutex_);
  Taken taken{std::move(kept_), sampled_};
  kept_.clear();
  sampled_ = false;
  return taken;
}

void LiveTailHub::Prune() {
  std::erase_if(feeds_, [](const std::weak_ptr<LiveTailFeed>& feed) { return feed.expired(); });
}

void LiveTailHub::Subscribe(const std::shared_ptr<LiveTailFeed>& feed) {
  std::lock_guard lock(mutex_);
  Prune();
  feeds_.push_back(feed);
}

void LiveTailHub::Publish(int64_t group_id, std::string_view stream,
                          std::span<const storage::NewLogEvent> events, int64_t ingestion_time) {
  std::lock_guard lock(mutex_);
  if (feeds_.empty()) return;
  Prune();
  for (const auto& weak : feeds_) {
    if (const auto feed = weak.lock()) feed->Offer(group_id, stream, events, ingestion_time);
  }
}

size_t LiveTailHub::FeedCount() {
  std::lock_guard lock(mutex_);
  Prune();
  return feeds_.size();
}

}  // namespace berth::logs
