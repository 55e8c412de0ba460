#pragma once

// RFC 3339 UTC timestamps from epoch seconds ("2026-12-04T19:20:53.123Z"),
// as the ECS task metadata and credentials endpoints write them.
//
// Thread-safety: pure functions.

#include <string>

namespace berth {

// `fraction_digits` 0 (whole seconds) to 9.
std::string FormatRfc3339(double epoch_seconds, int fraction_digits = 3);

}  // namespace berth
