#pragma once

// Berth's log: one line per event on stderr, with a level threshold set once
// at start-up. Lines are written whole, so threads never interleave mid-line.
//
// Thread-safety: all functions may be called from any thread.

#include <string_view>

namespace berth::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn" or "error"; false when the name is unknown.
bool ParseLevel(std::string_view name, Level& level);
void SetLevel(Level level);
bool Enabled(Level level);

void Write(Level level, std::string_view message);
inline void Debug(std::string_view message) { Write(Level::kDebug, message); }
inline void Info(std::string_view message) { Write(Level::kInfo, message); }
inline void Warn(std::string_view message) { Write(Level::kWarn, message); }
inline void Error(std::string_view message) { Write(Level::kError, message); }

}  // namespace berth::log
