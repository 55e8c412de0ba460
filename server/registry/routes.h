#pragma once

// The registry's routes, parsed from a request path. Repository names may
// contain '/', so each route is found by its fixed suffix from the right:
//   /v2/                                  kBase
//   /v2/_catalog                          kCatalog
//   /v2/<name>/tags/list                  kTags
//   /v2/<name>/manifests/<reference>      kManifest
//   /v2/<name>/blobs/<digest>             kBlob
//   /v2/<name>/blobs/uploads/             kUploads
//   /v2/<name>/blobs/uploads/<uuid>       kUpload
//   /v2/<name>/referrers/<digest>         kReferrers
// Names, references and ids are returned as found; the handlers validate.

#include <optional>
#include <string>
#include <string_view>

namespace berth::registry {

struct Route {
  enum class Kind { kBase, kCatalog, kTags, kManifest, kBlob, kUploads, kUpload, kReferrers };
  Kind kind = Kind::kBase;
  std::string name;
  std::string reference;  // tag or digest, blob digest, or upload id
};

// nullopt for paths under /v2/ that match no route.
std::optional<Route> ParseRoute(std::string_view path);

// ECR's repository name rule: 2-256 characters of lowercase components
// ([a-z0-9]+ joined by '.', '_', '__' or runs of '-') separated by '/'.
bool IsValidRepositoryName(std::string_view name);
// An upload id as Berth issues them: a lowercase 8-4-4-4-12 UUID.
bool IsValidUploadId(std::string_view id);

}  // namespace berth::registry
