#pragma once

// CloudWatch Logs Live Tail (StartLiveTail): its input, and the session that
// serves its event stream. The session sends `sessionStart` at once, then a
// `sessionUpdate` every interval (1 s) with the matching events ingested
// since the previous one (from its LiveTailFeed; an empty list when none),
// at most 500 with `sampled` true when more matched, and ends with a
// SessionTimeoutException after 3 hours. LogService::StartLiveTail (in
// live_tail.cc) checks the input and opens sessions.
//
// Thread-safety: a session is polled from one thread at a time; its feed
// is filled from any.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/event_stream_body.h"
#include "server/logs/live_tail_hub.h"
#include "server/util/clock.h"

namespace berth::logs {

struct LiveTailOptions {
  std::chrono::milliseconds timeout = std::chrono::hours(3);
  std::chrono::milliseconds interval = std::chrono::seconds(1);
  size_t max_events_per_update = 500;
};

// StartLiveTail's input (already checked against the model).
struct LiveTailQuery {
  std::vector<std::string> group_identifiers;  // names or ARNs
  std::vector<std::string> stream_names;
  std::vector<std::string> stream_prefixes;
  std::optional<std::string> filter_pattern;
};

// One Live Tail session: the events its stream sends, in AWS's cadence,
// from what its feed has gathered.
class LiveTailSession final : public aws::EventSource {
 public:
  // `session_start` is the sessionStart event's payload.
  LiveTailSession(nlohmann::json session_start, std::shared_ptr<LiveTailFeed> feed,
                  const Clock& clock, const LiveTailOptions& options);
  LiveTailSession(const LiveTailSession&) = delete;
  LiveTailSession& operator=(const LiveTailSession&) = delete;

  Batch Poll() override;
  // Berth is stopping: a SessionStreamingException says so.
  std::vector<aws::StreamEvent> Shutdown() override;

 private:
  aws::StreamEvent Update();

  nlohmann::json session_start_;
  const std::shared_ptr<LiveTailFeed> feed_;
  const Clock& clock_;
  const LiveTailOptions options_;
  const double started_;    // epoch seconds
  double last_update_ = 0;  // epoch seconds of the last sessionUpdate
  bool start_sent_ = false;
};

}  // namespace berth::logs
