#include "server/util/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <unistd.h>

namespace berth::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

constexpr std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarn:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "?";
}

}  // namespace

bool ParseLevel(std::string_view name, Level& level) {
  if (name == "debug") {
    level = Level::kDebug;
  } else if (name == "info") {
    level = Level::kInfo;
  } else if (name == "warn") {
    level = Level::kWarn;
  } else if (name == "error") {
    level = Level::kError;
  } else {
    return false;
  }
  return true;
}

void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }

bool Enabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void Write(Level level, std::string_view message) {
  if (!Enabled(level)) return;
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  const size_t n = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
  std::string line(stamp, n);
  line += '.';
  line += static_cast<char>('0' + millis / 100);
  line += static_cast<char>('0' + (millis / 10) % 10);
  line += static_cast<char>('0' + millis % 10);
  line += "Z ";
  line += LevelName(level);
  line += ' ';
  line += message;
  line += '\n';
  // One write(2) per line keeps lines whole across threads.
  const ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace berth::log
