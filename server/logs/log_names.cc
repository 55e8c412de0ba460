#include "server/logs/log_names.h"

#include <charconv>
#include <cstdio>

#include "server/aws/arn.h"

namespace berth::logs {
namespace {

constexpr std::string_view kGroupResource = "log-group:";
constexpr std::string_view kAllStreamsSuffix = ":*";
// Digits of a stream token: stream id, timestamp, seq.
constexpr size_t kIdDigits = 20;
constexpr size_t kTimestampDigits = 16;
constexpr size_t kSeqDigits = 20;
constexpr size_t kTokenDigits = kIdDigits + kTimestampDigits + kSeqDigits;  // 56

// `value` as exactly `width` decimal digits, zero-padded; values outside
// what `width` digits hold are clamped to 0 or to all nines.
std::string Digits(int64_t value, size_t width) {
  std::string digits = std::to_string(value < 0 ? 0 : value);
  if (digits.size() > width) return std::string(width, '9');
  digits.insert(0, width - digits.size(), '0');
  return digits;
}

std::optional<int64_t> ParseDigits(std::string_view digits) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value < 0) return std::nullopt;
  return value;
}

// The group of a log-group ARN; `allow_all_streams` accepts the ":*" form.
std::optional<GroupRef> GroupOfArn(std::string_view text, bool allow_all_streams) {
  const auto arn = aws::Arn::Parse(text);
  if (!arn || arn->service != "logs" || arn->region.empty() || arn->account_id.empty()) {
    return std::nullopt;
  }
  std::string_view resource = arn->resource;
  if (!resource.starts_with(kGroupResource)) return std::nullopt;
  resource.remove_prefix(kGroupResource.size());
  if (resource.ends_with(kAllStreamsSuffix)) {
    if (!allow_all_streams) return std::nullopt;
    resource.remove_suffix(kAllStreamsSuffix.size());
  }
  if (!IsLogGroupName(resource)) return std::nullopt;
  return GroupRef{{arn->account_id, arn->region}, std::string(resource)};
}

}  // namespace

bool IsLogGroupName(std::string_view name) {
  if (name.empty() || name.size() > 512) return false;
  for (const char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == '/' || c == '#';
    if (!ok) return false;
  }
  return true;
}

bool IsLogStreamName(std::string_view name) {
  // 512 characters at most: count code points, not UTF-8 continuation bytes.
  size_t characters = 0;
  for (const char c : name) {
    if (c == ':' || c == '*') return false;
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++characters;
  }
  return characters >= 1 && characters <= 512;
}

std::string LogGroupArn(const storage::Partition& partition, std::string_view group) {
  return aws::MakeArn("logs", partition.region, partition.account_id,
                      std::string(kGroupResource) + std::string(group));
}

std::string LogStreamArn(const storage::Partition& partition, std::string_view group,
                         std::string_view stream) {
  return LogGroupArn(partition, group) + ":log-stream:" + std::string(stream);
}

std::optional<GroupRef> ParseGroupIdentifier(std::string_view identifier,
                                             const aws::RequestContext& context) {
  if (identifier.starts_with("arn:")) return GroupOfArn(identifier, true);
  if (!IsLogGroupName(identifier)) return std::nullopt;
  return GroupRef{{context.account_id, context.region}, std::string(identifier)};
}

std::optional<GroupRef> ParseTaggableArn(std::string_view arn) { return GroupOfArn(arn, false); }

std::string EncodeStreamToken(const StreamToken& token) {
  return std::string(token.forward ? "f/" : "b/") + Digits(token.stream_id, kIdDigits) +
         Digits(token.position.timestamp, kTimestampDigits) +
         Digits(token.position.seq, kSeqDigits) + "/s";
}

std::optional<StreamToken> DecodeStreamToken(std::string_view text) {
  if (text.size() != kTokenDigits + 4 || (text[0] != 'f' && text[0] != 'b') || text[1] != '/' ||
      !text.ends_with("/s")) {
    return std::nullopt;
  }
  const std::string_view digits = text.substr(2, kTokenDigits);
  const auto id = ParseDigits(digits.substr(0, kIdDigits));
  const auto timestamp = ParseDigits(digits.substr(kIdDigits, kTimestampDigits));
  const auto seq = ParseDigits(digits.substr(kIdDigits + kTimestampDigits, kSeqDigits));
  if (!id || !timestamp || !seq) return std::nullopt;
  return StreamToken{text[0] == 'f', *id, {*timestamp, *seq}};
}

std::string EventId(int64_t timestamp, int64_t seq) {
  return Digits(timestamp, kTimestampDigits) + Digits(seq, 56 - kTimestampDigits);
}

std::string SequenceToken(int64_t stream_id, int64_t counter) {
  return "49" + Digits(stream_id, 18) + Digits(counter, 36);
}

int64_t SequenceCounter(std::string_view token) {
  if (token.size() != 56) return 0;
  return ParseDigits(token.substr(20)).value_or(0);
}

}  // namespace berth::logs
