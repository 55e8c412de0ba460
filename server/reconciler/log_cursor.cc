#include "server/reconciler/log_cursor.h"

#include <cstdio>

namespace berth::reconciler {
namespace {

// Lines kept for later cursors at most (a bound on memory should Docker
// ever stamp lines far out of order).
constexpr size_t kMaxRecent = 1 << 20;

}  // namespace

std::string LogCursor::ToString() const {
  return "1:" + std::to_string(since_ns) + ":" + std::to_string(skip);
}

LogCursor LogCursor::Parse(const std::string& text) {
  long long since = 0;
  long long skip = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "1:%lld:%lld%c", &since, &skip, &tail) != 2 || skip < 0) {
    return {};
  }
  return {static_cast<int64_t>(since), static_cast<int64_t>(skip)};
}

uint64_t CursorTracker::Read(int64_t timestamp_ns) {
  recent_.push_back({next_line_, timestamp_ns});
  return next_line_++;
}

LogCursor CursorTracker::After(uint64_t line) {
  if (recent_.empty() || line < recent_.front().line || line >= next_line_) return {};
  const size_t last = static_cast<size_t>(line - recent_.front().line);
  LogCursor cursor{recent_[last].timestamp_ns - kReorderSlackNanos, 0};
  // Count the lines up to `line` stamped at or after `since_ns`. A line
  // stamped more than the slack before that ends the search: nothing read
  // before it can be stamped after `since_ns`.
  for (size_t i = last + 1; i-- > 0;) {
    const int64_t stamp = recent_[i].timestamp_ns;
    if (stamp >= cursor.since_ns) {
      ++cursor.skip;
    } else if (stamp < cursor.since_ns - kReorderSlackNanos) {
      break;
    }
  }
  // Later cursors start no earlier than about this one: forget what they
  // cannot count.
  while (!recent_.empty() && recent_.front().line < line &&
         (recent_.front().timestamp_ns < cursor.since_ns - kReorderSlackNanos ||
          recent_.size() > kMaxRecent)) {
    recent_.pop_front();
  }
  return cursor;
}

}  // namespace berth::reconciler
