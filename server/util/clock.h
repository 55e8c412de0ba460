#pragma once

// The source of "now" for everything that stamps AWS timestamps. Tests inject
// a fixed clock; production uses the system clock.
//
// Thread-safety: Now() may be called from any thread.

namespace berth {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch, with millisecond precision (AWS style).
  virtual double Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  double Now() const override;
};

}  // namespace berth
