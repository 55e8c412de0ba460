#pragma once

// One reading of one container's log, from Docker's messages to the
// batches LogSink::Append stores, each with the cursor that goes with it
// (log_cursor.h). The collector (log_collector.h) feeds it from a
// StreamLogs call; it does no I/O itself, so tests drive it line by line.
//
// On the way:
//   1. lines the resumed cursor says are stored already are skipped;
//   2. Docker's 16 KiB pieces are joined back into lines (per stream), and
//      cut at kMaxEventBytes as the awslogs driver's own reader would;
//   3. lines become events (awslogs.h EventAssembler: multiline grouping);
//   4. events wait in a batch until it is due: flush_events events,
//      flush_bytes bytes (26 more per event, as PutLogEvents counts), or
//      flush_period after its first event.
// A batch only holds events whose lines are all complete and come before
// any line still held back (an unfinished long line, a multiline event
// waiting for more, an event of one stream waiting behind an unfinished
// line of the other), and its cursor points just after the last of those
// lines. So whatever instant Berth is killed at, the stored events and the
// stored cursor agree, and the next reading starts where they end.
//
// Thread-safety: one pipeline per reading, used by one thread.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "docker_backend/types.h"
#include "server/reconciler/awslogs.h"
#include "server/reconciler/log_cursor.h"
#include "server/reconciler/log_sink.h"

namespace berth::reconciler {

struct LogPipelineLimits {
  std::chrono::milliseconds flush_period{200};
  size_t flush_bytes = 1024 * 1024;
  size_t flush_events = 10000;
  // Events that must wait behind a line held back (see above) are stored
  // anyway past this many bytes; a Berth killed just then may store them
  // twice.
  size_t max_waiting_bytes = 8 * 1024 * 1024;
};

class LogPipeline {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // What to store next.
  struct Batch {
    std::vector<LogEvent> events;
    std::string cursor;  // LogCursor::ToString() just after them
  };

  // `resume` is where the stored events end (LogCursor::Parse of the
  // stored cursor); the reading must start at its `since_ns`. Throws
  // std::regex_error for a bad multiline pattern.
  LogPipeline(const AwslogsSettings& settings, LogCursor resume, LogPipelineLimits limits = {});
  LogPipeline(const LogPipeline&) = delete;
  LogPipeline& operator=(const LogPipeline&) = delete;

  // The next message of the reading, taken at `now`.
  void Take(const docker::LogLine& line, TimePoint now);
  // Ends a multiline event that has waited its flush interval.
  void Tick(TimePoint now);
  // The reading ended for good (the container stopped): every line held
  // back becomes events.
  void Finish();
  // Whether the batch should be stored now (count, bytes or age).
  bool Due(TimePoint now) const;
  // The events that may be stored now, and the cursor after them; nullopt
  // when neither events nor the cursor moved since the last batch.
  std::optional<Batch> TakeBatch();

 private:
  // A line of one stream being joined from Docker's pieces.
  struct Joining {
    bool active = false;
    std::string text;
    int64_t timestamp_ns = 0;
    uint64_t first_line = 0;
    uint64_t last_line = 0;
  };
  // Hands a whole line (lines first..through of the reading) to the
  // assembler; tags the events it completes.
  void Feed(std::string_view text, int64_t timestamp_ns, uint64_t first, uint64_t through);
  void Keep(std::vector<LogEvent>& events, uint64_t first, uint64_t through);

  AwslogsSettings settings_;
  LogPipelineLimits limits_;
  std::optional<std::regex> pattern_;
  EventAssembler assembler_;
  CursorTracker tracker_;
  std::string last_cursor_;            // of the last batch (or the resumed one)
  std::optional<uint64_t> last_safe_;  // the line it points after
  int64_t skip_ = 0;                   // stored lines still to skip
  std::optional<uint64_t> last_line_;
  std::array<Joining, 2> joining_;  // stdout, stderr
  // The multiline event the assembler holds: its lines and since when.
  uint64_t held_first_ = 0;
  uint64_t held_through_ = 0;
  TimePoint held_since_{};
  TimePoint now_{};
  // The batch: events with the first and last line each is made of.
  struct Tagged {
    LogEvent event;
    uint64_t first;
    uint64_t through;
  };
  std::vector<Tagged> batch_;
  size_t batch_bytes_ = 0;
  TimePoint batch_since_{};
};

}  // namespace berth::reconciler
