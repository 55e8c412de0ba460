#include "server/util/time_format.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace berth {

std::string FormatRfc3339(double epoch_seconds, int fraction_digits) {
  if (fraction_digits < 0) fraction_digits = 0;
  if (fraction_digits > 9) fraction_digits = 9;
  double whole = std::floor(epoch_seconds);
  long long fraction = std::llround((epoch_seconds - whole) * std::pow(10.0, fraction_digits));
  if (fraction >= static_cast<long long>(std::pow(10.0, fraction_digits))) {  // rounded up
    whole += 1;
    fraction = 0;
  }
  const std::time_t seconds = static_cast<std::time_t>(whole);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[40];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out = stamp;
  if (fraction_digits > 0) {
    char digits[32];
    std::snprintf(digits, sizeof(digits), ".%0*lld", fraction_digits, fraction);
    out += digits;
  }
  return out + "Z";
}

}  // namespace berth
