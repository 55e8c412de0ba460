// LogService's events: PutLogEvents' acceptance rules, GetLogEvents' pages
// over one stream (f/ and b/ tokens) and FilterLogEvents' interleaved pages
// over a group.

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "server/aws/pagination.h"
#include "server/logs/filter_pattern.h"
#include "server/logs/log_service.h"
#include "server/logs/logs_errors.h"

namespace berth::logs {
namespace {

using storage::EventPosition;
using storage::LogStore;

// More streams than any group here holds: "all of them".
constexpr size_t kNoStreamLimit = 10'000'000;

std::string FilterListing(int64_t group_id) { return "logs.filter/" + std::to_string(group_id); }

std::string PositionKey(const EventPosition& p) {
  return std::to_string(p.timestamp) + "/" + std::to_string(p.seq);
}

std::optional<EventPosition> ParsePositionKey(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  EventPosition p;
  const auto [end1, ec1] = std::from_chars(key.data(), key.data() + slash, p.timestamp);
  const auto [end2, ec2] = std::from_chars(key.data() + slash + 1, key.data() + key.size(), p.seq);
  if (ec1 != std::errc() || end1 != key.data() + slash || ec2 != std::errc() ||
      end2 != key.data() + key.size()) {
    return std::nullopt;
  }
  return p;
}

// The events of a sorted batch that PutLogEvents stores: [begin, end).
struct Accepted {
  size_t begin = 0;
  size_t end = 0;
};

// Checks sizes and order (the whole call fails) and finds the rejected
// prefix and suffix (the rest is stored).
Accepted Classify(const std::vector<InputEvent>& events, const storage::LogGroupRecord& group,
                  int64_t now, PutResult& result) {
  size_t too_old = 0;
  size_t expired = 0;
  size_t too_new = events.size();
  const int64_t oldest = now - kMaxAgeMillis;
  const int64_t cutoff = RetentionCutoff(group, now);
  for (size_t i = 0; i < events.size(); ++i) {
    const int64_t t = events[i].timestamp;
    if (t < oldest) too_old = i + 1;
    if (group.retention_days && t < cutoff) expired = i + 1;
    if (t > now + kMaxFutureMillis && too_new == events.size()) too_new = i;
  }
  if (too_old > 0) result.too_old_end = static_cast<int64_t>(too_old);
  if (expired > 0) result.expired_end = static_cast<int64_t>(expired);
  if (too_new < events.size()) result.too_new_start = static_cast<int64_t>(too_new);
  const size_t begin = std::max(too_old, expired);
  return {begin, std::max(begin, too_new)};
}

void CheckBatch(const std::vector<InputEvent>& events) {
  int64_t batch = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const int64_t bytes = static_cast<int64_t>(events[i].message.size()) + kEventOverheadBytes;
    if (bytes > kMaxEventBytes) {
      throw InvalidParameterException("Log event too large: " + std::to_string(bytes) +
                                      " bytes exceeds limit of " + std::to_string(kMaxEventBytes));
    }
    batch += bytes;
  }
  if (batch > kMaxBatchBytes) {
    throw InvalidParameterException("Upload too large: " + std::to_string(batch) +
                                    " bytes exceeds limit of " + std::to_string(kMaxBatchBytes));
  }
  for (size_t i = 1; i < events.size(); ++i) {
    if (events[i].timestamp < events[i - 1].timestamp) {
      throw InvalidParameterException(
          "Log events in a single PutLogEvents request must be in chronological order.");
    }
  }
}

}  // namespace

PutResult LogService::PutLogEvents(const Context& context, const std::string& group,
                                   const std::string& stream,
                                   const std::vector<InputEvent>& events) {
  CheckBatch(events);
  const int64_t now = Millis(context.now);
  auto lease = database_.Acquire();
  const LogGroup found = RequireGroup(lease.db(), {{context.account_id, context.region}, group});
  LogStore store(lease.db());
  const auto record = store.FindStream(found.record.id, stream);
  if (!record) throw LogStreamNotFound();

  PutResult result;
  const Accepted accepted = Classify(events, found.record, now, result);
  const int64_t counter = SequenceCounter(record->sequence_token.value_or(""));
  if (accepted.begin == accepted.end) {
    result.next_sequence_token = record->sequence_token.value_or(SequenceToken(record->id, 0));
    return result;
  }
  if (events[accepted.end - 1].timestamp - events[accepted.begin].timestamp > kMaxBatchSpanMillis) {
    throw InvalidParameterException(
        "The batch of log events in a single PutLogEvents request cannot span more than 24 "
        "hours.");
  }
  std::vector<storage::NewLogEvent> batch;
  batch.reserve(accepted.end - accepted.begin);
  for (size_t i = accepted.begin; i < accepted.end; ++i) {
    batch.push_back({events[i].timestamp, events[i].message});
  }
  result.next_sequence_token = SequenceToken(record->id, counter + 1);
  storage::Tx tx(lease.db());
  store.AppendEvents(found.record.id, record->id, batch, now, result.next_sequence_token);
  tx.Commit();
  live_tail_hub_.Publish(found.record.id, stream, batch, now);
  return result;
}

GetEventsPage LogService::GetLogEvents(const Context& context, const GetEventsQuery& query) {
  const int64_t now = Millis(context.now);
  auto lease = database_.Acquire();
  const LogGroup group = RequireGroup(lease.db(), query.group);
  LogStore store(lease.db());
  const auto stream = store.FindStream(group.record.id, query.stream);
  if (!stream) throw LogStreamNotFound();

  storage::EventWindow window;
  window.from = std::max(query.start_time.value_or(0), RetentionCutoff(group.record, now));
  if (query.end_time) window.to = *query.end_time;
  StreamToken from{query.start_from_head, stream->id, {window.from, 0}};
  if (query.next_token) {
    const auto token = DecodeStreamToken(*query.next_token);
    if (!token || token->stream_id != stream->id) throw InvalidNextToken();
    from = *token;
  } else if (!query.start_from_head) {
    from.position = {kEndOfTime, 0};  // the newest page
  }
  GetEventsPage page;
  page.events = store.StreamPage(stream->id, window, from.position, from.forward, query.limit,
                                 kMaxPageBytes, kEventOverheadBytes);
  if (page.events.empty()) {
    // Nothing more this way: the same token back. Without a token there is
    // nothing in the window at all; both tokens then wait at its start.
    if (!query.next_token) from.position = {window.from, 0};
    page.next_forward_token = EncodeStreamToken({true, stream->id, from.position});
    page.next_backward_token = EncodeStreamToken({false, stream->id, from.position});
    if (query.next_token) {
      (from.forward ? page.next_forward_token : page.next_backward_token) = *query.next_token;
    }
    return page;
  }
  const auto& first = page.events.front();
  const auto& last = page.events.back();
  page.next_forward_token = EncodeStreamToken({true, stream->id, {last.timestamp, last.seq + 1}});
  page.next_backward_token = EncodeStreamToken({false, stream->id, {first.timestamp, first.seq}});
  return page;
}

Page<FilteredEvent> LogService::FilterLogEvents(const Context& context,
                                                const FilterEventsQuery& query) {
  if (!query.stream_names.empty() && query.stream_prefix) {
    throw InvalidParameterException(
        "logStreamNames and logStreamNamePrefix cannot be specified together.");
  }
  std::optional<FilterPattern> pattern;
  try {
    pattern.emplace(FilterPattern::Parse(query.filter_pattern));
  } catch (const InvalidFilterPattern& e) {
    throw InvalidParameterException(e.what());
  }
  const int64_t now = Millis(context.now);
  auto lease = database_.Acquire();
  const LogGroup group = RequireGroup(lease.db(), query.group);
  LogStore store(lease.db());

  // The streams searched, by id (names that do not exist are ignored).
  std::unordered_map<int64_t, std::string> streams;
  for (auto& s :
       store.ListStreams(group.record.id, storage::StreamOrder::kName, false,
                         query.stream_prefix.value_or(""), std::nullopt, kNoStreamLimit)) {
    const bool named = query.stream_names.empty() ||
                       std::find(query.stream_names.begin(), query.stream_names.end(), s.name) !=
                           query.stream_names.end();
    if (named) streams.emplace(s.id, std::move(s.name));
  }

  storage::EventWindow window;
  window.from = std::max(query.start_time.value_or(0), RetentionCutoff(group.record, now));
  if (query.end_time) window.to = *query.end_time == INT64_MAX ? INT64_MAX : *query.end_time + 1;
  const std::string listing = FilterListing(group.record.id);
  EventPosition after{window.from, 0};
  if (query.next_token) {
    const auto key = aws::DecodePageToken(listing, *query.next_token);
    const auto position = key ? ParsePositionKey(*key) : std::nullopt;
    if (!position) throw InvalidNextToken();
    after = *position;
  }

  Page<FilteredEvent> page;
  if (streams.empty()) return page;
  size_t scanned = 0;
  size_t bytes = 0;
  bool more = false;
  EventPosition done = after;  // every event up to here has been looked at
  store.ScanGroupEvents(group.record.id, window, after, [&](const storage::LogEventRecord& e) {
    if (++scanned > kFilterScanBudget) {
      more = true;
      return false;
    }
    const auto stream = streams.find(e.stream_id);
    if (stream != streams.end() && pattern->Matches(e.message)) {
      bytes += e.message.size() + static_cast<size_t>(kEventOverheadBytes);
      if (page.items.size() == query.limit || (bytes > kMaxPageBytes && !page.items.empty())) {
        more = true;
        return false;
      }
      page.items.push_back({stream->second, e});
    }
    done = {e.timestamp, e.seq};
    return true;
  });
  if (more) page.next_token = aws::EncodePageToken(listing, PositionKey(done));
  return page;
}

}  // namespace berth::logs
