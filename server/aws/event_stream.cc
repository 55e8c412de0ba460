#include "server/aws/event_stream.h"

#include <array>
#include <stdexcept>

#include "server/util/wire_json.h"

namespace berth::aws {
namespace {

constexpr uint8_t kStringType = 7;
// Prelude (two lengths and their CRC) and the message CRC at the end.
constexpr size_t kPreludeBytes = 12;
constexpr size_t kTrailerBytes = 4;

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < table.size(); ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

void AppendU32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFFU));
  }
}

void AppendU16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>((value >> 8) & 0xFFU));
  out.push_back(static_cast<char>(value & 0xFFU));
}

}  // namespace

uint32_t Crc32(std::string_view bytes, uint32_t crc) {
  crc = ~crc;
  for (const char c : bytes) {
    crc = kCrcTable[(crc ^ static_cast<uint8_t>(c)) & 0xFFU] ^ (crc >> 8);
  }
  return ~crc;
}

std::string EncodeEventStreamMessage(const std::vector<EventStreamHeader>& headers,
                                     std::string_view payload) {
  std::string encoded_headers;
  for (const auto& header : headers) {
    if (header.name.size() > 0xFF || header.value.size() > 0xFFFF) {
      throw std::length_error("event-stream header too long: " + header.name);
    }
    encoded_headers.push_back(static_cast<char>(header.name.size()));
    encoded_headers += header.name;
    encoded_headers.push_back(static_cast<char>(kStringType));
    AppendU16(encoded_headers, static_cast<uint16_t>(header.value.size()));
    encoded_headers += header.value;
  }
  const size_t total = kPreludeBytes + encoded_headers.size() + payload.size() + kTrailerBytes;
  std::string out;
  out.reserve(total);
  AppendU32(out, static_cast<uint32_t>(total));
  AppendU32(out, static_cast<uint32_t>(encoded_headers.size()));
  AppendU32(out, Crc32(out));
  out += encoded_headers;
  out += payload;
  AppendU32(out, Crc32(out));
  return out;
}

std::string EncodeStreamEvent(const StreamEvent& event) {
  const bool exception = event.kind == StreamEvent::Kind::kException;
  const std::vector<EventStreamHeader> headers = {
      {exception ? ":exception-type" : ":event-type", event.type},
      {":content-type", "application/json"},
      {":message-type", exception ? "exception" : "event"},
  };
  return EncodeEventStreamMessage(headers, util::WireJson(event.payload));
}

}  // namespace berth::aws
