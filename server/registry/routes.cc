#include "server/registry/routes.h"

namespace berth::registry {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool IsValidComponent(std::string_view c) {
  size_t i = 0;
  const auto run = [&] {
    const size_t start = i;
    while (i < c.size() && IsLowerAlnum(c[i])) ++i;
    return i > start;
  };
  if (!run()) return false;
  while (i < c.size()) {
    if (c[i] == '.') {
      ++i;
    } else if (c[i] == '_') {
      ++i;
      if (i < c.size() && c[i] == '_') ++i;
    } else if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else {
      return false;
    }
    if (!run()) return false;
  }
  return true;
}

}  // namespace

bool IsValidRepositoryName(std::string_view name) {
  if (name.size() < 2 || name.size() > 256) return false;
  size_t start = 0;
  for (;;) {
    const auto slash = name.find('/', start);
    const std::string_view component = name.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!IsValidComponent(component)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool IsValidUploadId(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = id[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<Route> ParseRoute(std::string_view path) {
  using RouteKind = Route::Kind;
  if (path == "/v2" || path == "/v2/") return Route{RouteKind::kBase, "", ""};
  if (!path.starts_with("/v2/")) return std::nullopt;
  const std::string_view rest = path.substr(4);
  if (rest == "_catalog") return Route{RouteKind::kCatalog, "", ""};

  const auto last_slash = rest.rfind('/');
  if (last_slash == std::string_view::npos) return std::nullopt;
  const std::string_view tail = rest.substr(last_slash + 1);
  const std::string_view head = rest.substr(0, last_slash);

  // .../tags/list
  if (tail == "list" && head.ends_with("/tags")) {
    return Route{RouteKind::kTags, std::string(head.substr(0, head.size() - 5)), ""};
  }
  // .../blobs/uploads/ and .../blobs/uploads
  if (tail.empty() && head.ends_with("/blobs/uploads")) {
    return Route{RouteKind::kUploads, std::string(head.substr(0, head.size() - 14)), ""};
  }
  if (tail == "uploads" && head.ends_with("/blobs")) {
    return Route{RouteKind::kUploads, std::string(head.substr(0, head.size() - 6)), ""};
  }
  if (head.ends_with("/blobs/uploads")) {
    return Route{RouteKind::kUpload, std::string(head.substr(0, head.size() - 14)),
                 std::string(tail)};
  }
  const auto suffixed = [&](std::string_view suffix, RouteKind kind) -> std::optional<Route> {
    if (!head.ends_with(suffix) || tail.empty()) return std::nullopt;
    return Route{kind, std::string(head.substr(0, head.size() - suffix.size())), std::string(tail)};
  };
  if (auto r = suffixed("/manifests", RouteKind::kManifest)) return r;
  if (auto r = suffixed("/blobs", RouteKind::kBlob)) return r;
  if (auto r = suffixed("/referrers", RouteKind::kReferrers)) return r;
  return std::nullopt;
}

}  // namespace berth::registry
