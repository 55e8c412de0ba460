#include "server/util/compact_json.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace berth::util {
namespace {

using json = nlohmann::json;

json::error_handler_t Handler(bool strict) {
  return strict ? json::error_handler_t::strict : json::error_handler_t::replace;
}

// How many bytes `text` starts with that go into a JSON string as they are
// (printable ASCII other than `"` and `\`), read eight at a time.
size_t PlainPrefix(std::string_view text) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  // Nonzero when some byte of `word` is zero (exact as a yes or no).
  const auto has_zero = [](uint64_t word) { return (word - kOnes) & ~word & kHigh; };
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word = 0;
    std::memcpy(&word, text.data() + i, sizeof(word));
    const uint64_t special = (word & kHigh) |                           // 0x80 and above
                             ((word - 0x20 * kOnes) & ~word & kHigh) |  // below 0x20
                             has_zero(word ^ ('"' * kOnes)) | has_zero(word ^ ('\\' * kOnes));
    if (special != 0) break;
  }
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80 || c < 0x20 || c == '"' || c == '\\') break;
  }
  return i;
}

// A string as nlohmann writes it: quoted, `"` and `\` escaped, control
// characters as \b \t \n \f \r or \u00xx. A string with a byte of 0x80 or
// above goes to nlohmann's serializer whole: only it checks UTF-8 its way.
void AppendString(std::string_view text, std::string& out, bool strict) {
  const std::string_view original = text;
  const size_t start = out.size();
  out += '"';
  while (!text.empty()) {
    const size_t plain = PlainPrefix(text);
    out.append(text.data(), plain);
    text.remove_prefix(plain);
    if (text.empty()) break;
    const auto c = static_cast<unsigned char>(text.front());
    text.remove_prefix(1);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default: {
        if (c >= 0x80) {
          out.resize(start);
          out += json(std::string(original)).dump(-1, ' ', false, Handler(strict));
          return;
        }
        static constexpr char kHex[] = "0123456789abcdef";
        const std::array<char, 6> escape = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out.append(escape.data(), escape.size());
      }
    }
  }
  out += '"';
}

template <typename Integer>
void AppendInteger(Integer number, std::string& out) {
  std::array<char, 24> digits;
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), number).ptr;
  out.append(digits.data(), end);
}

}  // namespace

void AppendCompactJson(const json& value, std::string& out, bool strict) {
  switch (value.type()) {
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.get_ref<const json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        AppendString(key, out, strict);
        out += ':';
        AppendCompactJson(member, out, strict);
      }
      out += '}';
      return;
    }
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& element : value.get_ref<const json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        AppendCompactJson(element, out, strict);
      }
      out += ']';
      return;
    }
    case json::value_t::string:
      AppendString(value.get_ref<const std::string&>(), out, strict);
      return;
    case json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      AppendInteger(value.get<json::number_integer_t>(), out);
      return;
    case json::value_t::number_unsigned:
      AppendInteger(value.get<json::number_unsigned_t>(), out);
      return;
    case json::value_t::null:
      out += "null";
      return;
    case json::value_t::number_float:
    case json::value_t::binary:
    case json::value_t::discarded:
      out += value.dump(-1, ' ', false, Handler(strict));
      return;
  }
}

}  // namespace berth::util
