#pragma once

// JSON text of a nlohmann::json value, byte for byte what
// `value.dump(-1, ' ', false, handler)` gives, faster: strings of printable
// ASCII (nearly all of Berth's) are copied whole instead of character by
// character, and numbers are written with std::to_chars. What the fast path
// does not cover (a string with bytes of 0x80 and above, a floating-point
// number, binary values) goes through nlohmann's own serializer, so UTF-8
// checks and number formats stay exactly nlohmann's.
//
// Thread-safety: a pure function.

#include <string>

#include <nlohmann/json.hpp>

namespace berth::util {

// Appends `value` as compact JSON to `out`. With `strict`, bytes that are
// not UTF-8 throw nlohmann's type_error (as dump() does); otherwise they
// become U+FFFD (error_handler_t::replace).
void AppendCompactJson(const nlohmann::json& value, std::string& out, bool strict = true);

inline std::string CompactJson(const nlohmann::json& value, bool strict = true) {
  std::string out;
  AppendCompactJson(value, out, strict);
  return out;
}

}  // namespace berth::util
