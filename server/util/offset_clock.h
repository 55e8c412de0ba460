#pragma once

// A clock running a fixed offset ahead of (or behind) another. Berth's
// production clock is the system clock offset by BERTH_CLOCK_OFFSET_SECONDS
// (a test-only knob: integration tests restart Berth on the same data
// directory with the clock moved on, to see age-based lifecycle rules fire).
//
// Thread-safety: as the base clock (Now() from any thread).

#include "server/util/clock.h"

namespace berth {

class OffsetClock final : public Clock {
 public:
  OffsetClock(const Clock& base, double offset_seconds) : base_(base), offset_(offset_seconds) {}
  double Now() const override { return base_.Now() + offset_; }

 private:
  const Clock& base_;
  const double offset_;
};

}  // namespace berth
