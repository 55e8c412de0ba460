#pragma once

// The text of a JSON response body, one way for every endpoint.

#include <string>

#include <nlohmann/json.hpp>

#include "server/util/compact_json.h"

namespace berth::util {

// `value` as compact JSON. Bytes that are not UTF-8 (a header, path or name
// echoed in an error message) become U+FFFD instead of failing the response.
inline std::string WireJson(const nlohmann::json& value) {
  return CompactJson(value, /*strict=*/false);
}

}  // namespace berth::util
