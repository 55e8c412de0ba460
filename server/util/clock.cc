#include "server/util/clock.h"

#include <chrono>
#include <cmath>

namespace berth {

double SystemClock::Now() const {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return static_cast<double>(ms) / 1000.0;
}

}  // namespace berth
