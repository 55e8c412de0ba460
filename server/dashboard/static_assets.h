#pragma once

// The dashboard page's files (assets/index.html, dashboard.css,
// dashboard.js), embedded into the binary at build time, each with the
// content type it is served with and a strong ETag of its bytes.
//
// Thread-safety: the table is built once, on first use, and never changes.

#include <string>
#include <string_view>

namespace berth::dashboard {

// One embedded file.
struct StaticAsset {
  std::string_view name;  // as in /_berth/ui/<name>; "" is the page itself
  std::string_view content_type;
  std::string_view body;
  std::string etag;  // "\"<first 16 hex digits of the SHA-256 of body>\""
};

// The asset served at /_berth/ui/<name>, or nullptr.
const StaticAsset* FindAsset(std::string_view name);

}  // namespace berth::dashboard
