#pragma once

// Percent-decoding of URL paths and query strings, shared by the registry
// (query parameters), SigV4 (canonical queries) and the dashboard.

#include <string>
#include <string_view>

namespace berth::util {

// The value of a hexadecimal digit, or -1 when `c` is not one.
int HexDigitValue(char c);

// Decodes every well-formed %XX; a '%' not followed by two hex digits stays as
// it is. With `plus_is_space` (form encoding) '+' becomes ' ', else it stays.
std::string PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace berth::util
