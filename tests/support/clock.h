#pragma once

// The wall clock in the units the Logs API speaks.

#include <chrono>
#include <cstdint>

namespace berth::testing {

// Milliseconds since the epoch, now.
inline int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace berth::testing
