#pragma once

// Reads AWS event-stream messages back for tests, independently of the
// encoder under test: lengths, both CRC-32s (a bitwise CRC here, not the
// encoder's table) and every header type botocore knows are checked.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::testing {

// One decoded message: its string headers and its payload.
struct EventStreamMessage {
  std::map<std::string, std::string> headers;
  std::string payload;

  std::string Header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  nlohmann::json Json() const { return nlohmann::json::parse(payload); }
};

inline uint32_t BitwiseCrc32(std::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFU;
  for (const char c : bytes) {
    crc ^= static_cast<uint8_t>(c);
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320U & (0U - (crc & 1U)));
  }
  return ~crc;
}

inline uint32_t ReadU32(std::string_view bytes, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(bytes.at(at + i));
  return value;
}

// Decodes the whole messages at the start of `bytes`; `consumed` (when given)
// gets how many bytes they took (a partial message at the end is left).
// Throws std::runtime_error on anything malformed.
inline std::vector<EventStreamMessage> DecodeEventStream(std::string_view bytes,
                                                         size_t* consumed = nullptr) {
  std::vector<EventStreamMessage> messages;
  size_t at = 0;
  while (bytes.size() - at >= 12) {
    const uint32_t total = ReadU32(bytes, at);
    const uint32_t headers_length = ReadU32(bytes, at + 4);
    if (ReadU32(bytes, at + 8) != BitwiseCrc32(bytes.substr(at, 8))) {
      throw std::runtime_error("prelude CRC mismatch");
    }
    if (total < 16 + headers_length) throw std::runtime_error("bad lengths");
    if (bytes.size() - at < total) break;
    const std::string_view message = bytes.substr(at, total);
    if (ReadU32(message, total - 4) != BitwiseCrc32(message.substr(0, total - 4))) {
      throw std::runtime_error("message CRC mismatch");
    }
    EventStreamMessage decoded;
    std::string_view headers = message.substr(12, headers_length);
    while (!headers.empty()) {
      const size_t name_length = static_cast<uint8_t>(headers.at(0));
      const std::string name(headers.substr(1, name_length));
      const auto type = static_cast<uint8_t>(headers.at(1 + name_length));
      if (type != 7) throw std::runtime_error("header " + name + " is not a string");
      const size_t value_at = 2 + name_length;
      const size_t value_length =
          (static_cast<size_t>(static_cast<uint8_t>(headers.at(value_at))) << 8) |
          static_cast<uint8_t>(headers.at(value_at + 1));
      decoded.headers[name] = std::string(headers.substr(value_at + 2, value_length));
      headers.remove_prefix(value_at + 2 + value_length);
    }
    decoded.payload = std::string(message.substr(12 + headers_length, total - 16 - headers_length));
    messages.push_back(std::move(decoded));
    at += total;
  }
  if (consumed != nullptr) *consumed = at;
  return messages;
}

}  // namespace berth::testing
