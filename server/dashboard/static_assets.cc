#include "server/dashboard/static_assets.h"

#include <array>
#include <cstddef>

#include "server/util/crypto.h"

namespace berth::dashboard {
namespace internal {
// Defined by the sources embed_file.cmake generates (see CMakeLists.txt).
extern const unsigned char kIndexHtml[];
extern const std::size_t kIndexHtmlSize;
extern const unsigned char kDashboardCss[];
extern const std::size_t kDashboardCssSize;
extern const unsigned char kDashboardJs[];
extern const std::size_t kDashboardJsSize;
}  // namespace internal

namespace {

std::string_view Bytes(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

StaticAsset Make(std::string_view name, std::string_view content_type, std::string_view body) {
  return {name, content_type, body, "\"" + crypto::Sha256Hex(body).substr(0, 16) + "\""};
}

}  // namespace

const StaticAsset* FindAsset(std::string_view name) {
  static const std::array<StaticAsset, 3> kAssets = {
      Make("", "text/html; charset=utf-8", Bytes(internal::kIndexHtml, internal::kIndexHtmlSize)),
      Make("dashboard.css", "text/css; charset=utf-8",
           Bytes(internal::kDashboardCss, internal::kDashboardCssSize)),
      Make("dashboard.js", "text/javascript; charset=utf-8",
           Bytes(internal::kDashboardJs, internal::kDashboardJsSize)),
  };
  for (const auto& asset : kAssets) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

}  // namespace berth::dashboard
