#pragma once

// Tells a full disk apart from other storage failures, so that the layers
// that answer clients (the AWS dispatcher, the registry) can name the cause
// instead of reporting an internal error: SQLite's SQLITE_FULL and an
// ENOSPC (or EDQUOT) from the file system both count.
//
// Thread-safety: pure functions.

#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace berth::storage {

// The words every out-of-space answer starts with: strerror(ENOSPC), which
// is also what docker looks for to stop retrying a push.
inline constexpr std::string_view kNoSpaceLeft = "no space left on device";

// The message to give a client when `error` is the data directory running
// out of space; std::nullopt for any other failure.
std::optional<std::string> OutOfSpaceMessage(const std::exception& error);

}  // namespace berth::storage
