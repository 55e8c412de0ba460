#pragma once

// Readers for request members. Input has already been validated against the
// botocore model (required members present, types right), so these only pick
// values out; a member of the wrong type still fails safely with
// nlohmann::json::type_error, which the dispatcher reports.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::aws {

using nlohmann::json;

inline bool Has(const json& in, const char* key) {
  const auto it = in.find(key);
  return it != in.end() && !it->is_null();
}

inline std::string RequiredString(const json& in, const char* key) {
  return in.at(key).get<std::string>();
}

inline std::optional<std::string> OptionalString(const json& in, const char* key) {
  if (!Has(in, key)) return std::nullopt;
  return in.at(key).get<std::string>();
}

inline std::optional<int64_t> OptionalInt(const json& in, const char* key) {
  if (!Has(in, key)) return std::nullopt;
  return in.at(key).get<int64_t>();
}

inline std::optional<bool> OptionalBool(const json& in, const char* key) {
  if (!Has(in, key)) return std::nullopt;
  return in.at(key).get<bool>();
}

inline std::vector<std::string> StringList(const json& in, const char* key) {
  if (!Has(in, key)) return {};
  return in.at(key).get<std::vector<std::string>>();
}

// The member as a JSON value, or an empty object/array default.
inline const json& Member(const json& in, const char* key) {
  static const json kNull;
  const auto it = in.find(key);
  return it == in.end() ? kNull : *it;
}

}  // namespace berth::aws
