#include "docker_backend/log_stream.h"

#include <cstdio>

#include "docker_backend/docker_api.h"

namespace berth::docker {
namespace {

// A timestamp and its space take at most this many bytes.
constexpr size_t kMaxStamp = 40;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

bool Digits(std::string_view text, size_t at, size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int era = (year >= 0 ? year : year - 399) / 400;
  const int year_of_era = year - era * 400;
  const int day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return int64_t{era} * 146097 + day_of_era - 719468;
}

// "<time> <text>" → the time's length, or npos when `message` starts with no
// time.
size_t StampLength(std::string_view message) {
  const size_t space = message.substr(0, kMaxStamp).find(' ');
  if (space == std::string_view::npos || !ParseRfc3339Nanos(message.substr(0, space))) {
    return std::string_view::npos;
  }
  return space;
}

}  // namespace

std::optional<int64_t> ParseRfc3339Nanos(std::string_view t) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !Digits(t, 5, 2, month) ||
      t[7] != '-' || !Digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't') ||
      !Digits(t, 11, 2, hour) || t[13] != ':' || !Digits(t, 14, 2, minute) || t[16] != ':' ||
      !Digits(t, 17, 2, second) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  size_t at = 19;
  int64_t nanos = 0;
  if (t[at] == '.') {
    int64_t scale = kNanosPerSecond;
    for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at) {
      scale /= 10;
      nanos += (t[at] - '0') * scale;  // digits past the ninth count for nothing
    }
  }
  int64_t offset_seconds = 0;
  if (at < t.size() && (t[at] == 'Z' || t[at] == 'z') && at + 1 == t.size()) {
    // UTC
  } else if (at + 6 == t.size() && (t[at] == '+' || t[at] == '-') && t[at + 3] == ':') {
    int hours = 0, minutes = 0;
    if (!Digits(t, at + 1, 2, hours) || !Digits(t, at + 4, 2, minutes)) return std::nullopt;
    offset_seconds = (t[at] == '+' ? 1 : -1) * (hours * 3600 + minutes * 60);
  } else {
    return std::nullopt;
  }
  const int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return (seconds - offset_seconds) * kNanosPerSecond + nanos;
}

std::string SinceParameter(int64_t unix_nanos) {
  char text[48];
  std::snprintf(text, sizeof(text), "%lld.%09lld",
                static_cast<long long>(unix_nanos / kNanosPerSecond),
                static_cast<long long>(unix_nanos % kNanosPerSecond));
  return text;
}

LogStreamParser::LogStreamParser(bool tty, const std::function<void(const LogLine&)>& on_line)
    : tty_(tty), on_line_(on_line) {}

void LogStreamParser::Feed(std::string_view bytes) {
  buffer_.append(bytes);
  if (tty_) {
    ParseRaw(/*at_end=*/false);
  } else {
    ParseFrames();
  }
  // Drop what was consumed (seldom, so the moves stay linear overall).
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
}

void LogStreamParser::Finish() {
  if (tty_) {
    ParseRaw(/*at_end=*/true);
  } else if (start_ < buffer_.size()) {
    throw DockerError(500, "the container's log stream ended inside a frame");
  }
  buffer_.clear();
  start_ = 0;
}

void LogStreamParser::ParseFrames() {
  while (buffer_.size() - start_ >= 8) {
    const auto byte = [this](size_t i) { return static_cast<unsigned char>(buffer_[start_ + i]); };
    const unsigned stream = byte(0);
    if (stream > 3 || byte(1) != 0 || byte(2) != 0 || byte(3) != 0) {
      throw DockerError(500, "the Docker daemon sent a log stream that is not framed");
    }
    const size_t length =
        (size_t{byte(4)} << 24) | (size_t{byte(5)} << 16) | (size_t{byte(6)} << 8) | byte(7);
    if (buffer_.size() - start_ - 8 < length) return;  // the rest is still to come
    const std::string_view payload(buffer_.data() + start_ + 8, length);
    start_ += 8 + length;
    if (stream == 3) {  // the daemon's own error, e.g. "Error grabbing logs: ..."
      std::string message(payload);
      while (!message.empty() && message.back() == '\n') message.pop_back();
      throw DockerError(500, message);
    }
    Deliver(payload, stream == 2 ? LogSource::kStderr : LogSource::kStdout,
            payload.empty() || payload.back() != '\n');
  }
}

void LogStreamParser::ParseRaw(bool at_end) {
  while (start_ < buffer_.size()) {
    const std::string_view rest(buffer_.data() + start_, buffer_.size() - start_);
    size_t stamp = StampLength(rest);
    if (stamp == std::string_view::npos) {
      if (rest.size() < kMaxStamp && !at_end) return;  // the time may still be arriving
      stamp = 0;  // no time: Docker always sends one, so take the text as it is
    }
    const size_t content = stamp == 0 ? 0 : stamp + 1;
    const size_t newline = rest.find('\n', content);
    if (newline != std::string_view::npos && newline - content <= kDockerLogChunkBytes) {
      Deliver(rest.substr(0, newline + 1), LogSource::kStdout, false);
      start_ += newline + 1;
      continue;
    }
    // Docker cut the line: the next message's time follows its 16,384th byte.
    const size_t cut = content + kDockerLogChunkBytes;
    if (rest.size() >= cut + kMaxStamp || (at_end && rest.size() > cut)) {
      if (StampLength(rest.substr(cut)) != std::string_view::npos) {
        Deliver(rest.substr(0, cut), LogSource::kStdout, true);
        start_ += cut;
        continue;
      }
      if (newline != std::string_view::npos) {  // a long line Docker did not cut
        Deliver(rest.substr(0, newline + 1), LogSource::kStdout, false);
        start_ += newline + 1;
        continue;
      }
    }
    if (!at_end) return;
    Deliver(rest, LogSource::kStdout, true);  // the stream ended mid-line
    start_ = buffer_.size();
  }
}

void LogStreamParser::Deliver(std::string_view message, LogSource source, bool partial) {
  LogLine line;
  line.source = source;
  line.partial = partial;
  const size_t space = message.substr(0, kMaxStamp).find(' ');
  if (space != std::string_view::npos) {
    if (const auto stamp = ParseRfc3339Nanos(message.substr(0, space))) {
      line.timestamp_ns = *stamp;
      message.remove_prefix(space + 1);
    }
  }
  if (!partial && !message.empty() && message.back() == '\n') message.remove_suffix(1);
  line.text = message;
  on_line_(line);
}

}  // namespace berth::docker
