#pragma once

// The AWS event-stream wire format (application/vnd.amazon.eventstream) that
// operations with a streamed output (CloudWatch Logs' StartLiveTail) answer
// in, as botocore's eventstream.py reads it. Each message is, big-endian:
//   [total length u32][headers length u32][CRC32 of those 8 bytes]
//   [headers][payload][CRC32 of everything before]
// and each header [name length u8][name][type u8][value]; Berth writes only
// type 7, a string: [length u16][bytes].
//
// Thread-safety: pure functions; any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::aws {

// The CRC-32 (IEEE 802.3, as zlib's crc32) of `bytes`, continuing from `crc`.
uint32_t Crc32(std::string_view bytes, uint32_t crc = 0);

// A header of type 7 (string).
struct EventStreamHeader {
  std::string name;   // at most 255 bytes
  std::string value;  // at most 65535 bytes
};

// One encoded message. Throws std::length_error when a header is too long.
std::string EncodeEventStreamMessage(const std::vector<EventStreamHeader>& headers,
                                     std::string_view payload);

// One message of an operation's output stream: an event (the stream member
// it carries, e.g. "sessionUpdate") or a modelled exception (e.g.
// "SessionTimeoutException"), with its JSON payload.
struct StreamEvent {
  enum class Kind { kEvent, kException };
  Kind kind = Kind::kEvent;
  std::string type;
  nlohmann::json payload = nlohmann::json::object();
};

// A StreamEvent as the JSON protocol frames it: `:message-type` event or
// exception, `:event-type` / `:exception-type` naming it, `:content-type`
// application/json, and the compact JSON payload.
std::string EncodeStreamEvent(const StreamEvent& event);

}  // namespace berth::aws
