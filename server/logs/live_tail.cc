// Live Tail: LogService::StartLiveTail (the checks the model cannot express,
// then a session subscribed to the hub) and the session's cadence.

#include "server/logs/live_tail.h"

#include <algorithm>
#include <cmath>

#include "server/logs/log_service.h"
#include "server/logs/logs_errors.h"
#include "server/util/crypto.h"

namespace berth::logs {
namespace {

using nlohmann::json;
using StreamEvent = aws::StreamEvent;

// A poll this close before an update is due sends it (timers and the clock's
// millisecond steps do not quite agree).
constexpr double kEarlySeconds = 0.05;

double Seconds(std::chrono::milliseconds duration) {
  return static_cast<double>(duration.count()) / 1000.0;
}

std::string DurationText(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 3'600'000 == 0) {
    const auto hours = ms / 3'600'000;
    return std::to_string(hours) + (hours == 1 ? " hour" : " hours");
  }
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " seconds";
  return std::to_string(ms) + " milliseconds";
}

StreamEvent Exception(std::string type, const std::string& message) {
  return {StreamEvent::Kind::kException, std::move(type), json{{"message", message}}};
}

}  // namespace

LiveTailSession::LiveTailSession(json session_start, std::shared_ptr<LiveTailFeed> feed,
                                 const Clock& clock, const LiveTailOptions& options)
    : session_start_(std::move(session_start)),
      feed_(std::move(feed)),
      clock_(clock),
      options_(options),
      started_(clock.Now()) {}

StreamEvent LiveTailSession::Update() {
  LiveTailFeed::Taken taken = feed_->Take();
  json results = json::array();
  for (auto& event : taken.events) {
    results.push_back({{"logStreamName", std::move(event.stream)},
                       {"logGroupIdentifier", std::move(event.group_identifier)},
                       {"message", std::move(event.message)},
                       {"timestamp", event.timestamp},
                       {"ingestionTime", event.ingestion_time}});
  }
  return {StreamEvent::Kind::kEvent, "sessionUpdate",
          json{{"sessionMetadata", {{"sampled", taken.sampled}}},
               {"sessionResults", std::move(results)}}};
}

aws::EventSource::Batch LiveTailSession::Poll() {
  Batch batch;
  const double now = clock_.Now();
  const double ends_at = started_ + Seconds(options_.timeout);
  if (!start_sent_) {
    start_sent_ = true;
    last_update_ = now;
    batch.events.push_back({StreamEvent::Kind::kEvent, "sessionStart", session_start_});
  } else if (now >= ends_at) {
    batch.events.push_back(Update());  // what arrived until the end
    batch.events.push_back(
        Exception("SessionTimeoutException",
                  "The Live Tail session timed out after " + DurationText(options_.timeout) + "."));
    batch.done = true;
    return batch;
  } else if (now + kEarlySeconds >= last_update_ + Seconds(options_.interval) ||
             now < last_update_) {  // (the clock went back)
    batch.events.push_back(Update());
    last_update_ = now;
  }
  const double next = std::min(last_update_ + Seconds(options_.interval), ends_at) - now;
  batch.next_in = std::chrono::milliseconds(std::max<int64_t>(1, std::llround(next * 1000)));
  return batch;
}

std::vector<StreamEvent> LiveTailSession::Shutdown() {
  return {Exception("SessionStreamingException",
                    "Berth is shutting down; the Live Tail session has ended.")};
}

std::unique_ptr<LiveTailSession> LogService::StartLiveTail(const Context& context,
                                                           const LiveTailQuery& query) {
  // The texts of these two are Berth's (AWS's are not on record).
  if (!query.stream_names.empty() && !query.stream_prefixes.empty()) {
    throw InvalidParameterException(
        "logStreamNames and logStreamNamePrefixes cannot be specified together.");
  }
  if ((!query.stream_names.empty() || !query.stream_prefixes.empty()) &&
      query.group_identifiers.size() != 1) {
    throw InvalidParameterException(
        "logStreamNames and logStreamNamePrefixes can be specified only with exactly one log "
        "group in logGroupIdentifiers.");
  }
  std::optional<FilterPattern> pattern;
  try {
    pattern.emplace(FilterPattern::Parse(query.filter_pattern.value_or("")));
  } catch (const InvalidFilterPattern& e) {
    throw InvalidParameterException(e.what());
  }

  LiveTailSelection selection;
  selection.stream_names = query.stream_names;
  selection.stream_prefixes = query.stream_prefixes;
  {
    auto lease = database_.Acquire();
    for (const auto& identifier : query.group_identifiers) {
      const auto ref = ParseGroupIdentifier(identifier, context);
      if (!ref) {
        if (identifier.starts_with("arn:")) {
          throw InvalidParameterException("Invalid log group identifier: " + identifier);
        }
        throw LogGroupNotFound();  // no group can have such a name
      }
      const LogGroup group = RequireGroup(lease.db(), *ref);
      if (std::find(selection.group_ids.begin(), selection.group_ids.end(), group.record.id) ==
          selection.group_ids.end()) {
        selection.group_ids.push_back(group.record.id);
        selection.group_identifiers.push_back(identifier);
      }
    }
  }
  // From here on the session hears of every event committed.
  auto feed = std::make_shared<LiveTailFeed>(std::move(selection), std::move(*pattern),
                                             live_tail_options_.max_events_per_update);
  live_tail_hub_.Subscribe(feed);

  json start = {{"requestId", context.request_id},
                {"sessionId", crypto::Uuid()},
                {"logGroupIdentifiers", query.group_identifiers}};
  if (!query.stream_names.empty()) start["logStreamNames"] = query.stream_names;
  if (!query.stream_prefixes.empty()) start["logStreamNamePrefixes"] = query.stream_prefixes;
  if (query.filter_pattern) start["logEventFilterPattern"] = *query.filter_pattern;
  return std::make_unique<LiveTailSession>(std::move(start), std::move(feed), clock_,
                                           live_tail_options_);
}

}  // namespace berth::logs
