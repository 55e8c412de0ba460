#pragma once

// Where the collected output of a container ends, so that a Berth killed
// at any moment resumes exactly there: no line stored twice, none lost.
//
// Docker's logs endpoint can only start at an instant (`since`, inclusive)
// and stamps lines in nanoseconds, but several lines may carry the same
// stamp (the 16 KiB pieces of a long line all do), and stdout and stderr
// are stamped by two readers, so their lines may be stored slightly out of
// stamp order. A cursor therefore says: ask for the lines stamped at or
// after `since_ns`, and skip the first `skip` of them, which are stored
// already. `since_ns` is the stamp of the last stored line less a slack
// (kReorderSlack), so that a line stored after it but stamped a little
// earlier is still asked for; `skip` counts the stored lines stamped at or
// after `since_ns`. This is exact as long as Docker stores no line more
// than kReorderSlack out of stamp order.
//
// Thread-safety: values; a CursorTracker belongs to one thread.

#include <cstdint>
#include <deque>
#include <string>

namespace berth::reconciler {

// How far out of stamp order Docker may store lines (its two stream
// readers race for microseconds).
inline constexpr int64_t kReorderSlackNanos = 10'000'000;

struct LogCursor {
  int64_t since_ns = 0;  // ask for the lines stamped at or after this
  int64_t skip = 0;      // of which the first `skip` are stored already

  // "1:<since_ns>:<skip>"; the empty text means "from the start".
  std::string ToString() const;
  // The cursor of ToString(); the start for "" or text it did not write.
  static LogCursor Parse(const std::string& text);
  friend bool operator==(const LogCursor&, const LogCursor&) = default;
};

// Follows the lines one reading of a container's log delivers (stored
// ones being skipped too) and tells the cursor just after any of them.
class CursorTracker {
 public:
  // Notes the next line read, stamped `timestamp_ns`; returns its number
  // (0, 1, ... in reading order).
  uint64_t Read(int64_t timestamp_ns);
  // The cursor just after line `line` (already Read; lines read after it do
  // not count). Calls must come with growing `line`s: older lines are
  // forgotten.
  LogCursor After(uint64_t line);

 private:
  struct Stamp {
    uint64_t line;
    int64_t timestamp_ns;
  };
  std::deque<Stamp> recent_;  // lines a later cursor may still count
  uint64_t next_line_ = 0;
};

}  // namespace berth::reconciler
