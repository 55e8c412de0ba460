#pragma once

// Opaque pagination tokens: the key a listing resumes after, tagged with the
// listing it belongs to so a token from one call is refused by another.

#include <optional>
#include <string>
#include <string_view>

namespace berth::aws {

std::string EncodePageToken(std::string_view listing, std::string_view resume_key);
// The resume key, or nullopt when `token` was not made by EncodePageToken for
// this listing.
std::optional<std::string> DecodePageToken(std::string_view listing, std::string_view token);

}  // namespace berth::aws
