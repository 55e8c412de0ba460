#pragma once

// Image manifests and indexes as registries store them: the four media types
// Berth accepts (Docker schema 2 manifest and manifest list, OCI image
// manifest and index), and parsing with the checks the OCI distribution spec
// asks of a registry. The stored bytes are never rewritten.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::ecr {

inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

// ECR accepts manifests up to 4 MiB.
inline constexpr size_t kMaxManifestBytes = 4 * 1024 * 1024;

// A content descriptor inside a manifest.
struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::optional<std::string> artifact_type;
  std::optional<std::string> annotations;  // JSON object text
  bool has_urls = false;
  // Foreign/non-distributable layers with URLs need not exist in the registry.
  bool foreign() const;
};

struct Manifest {
  std::string media_type;  // one of the four accepted types
  bool is_index = false;
  std::optional<Descriptor> config;   // image manifests
  std::vector<Descriptor> layers;     // image manifests
  std::vector<Descriptor> manifests;  // indexes
  std::optional<Descriptor> subject;
  std::optional<std::string> artifact_type;
  std::optional<std::string> annotations;  // JSON object text
};

bool IsManifestMediaType(std::string_view media_type);
bool IsIndexMediaType(std::string_view media_type);

// True when the type a client declared (a Content-Type, with any
// parameters, or imageManifestMediaType) names a manifest type other than
// the manifest's own `mediaType`. Untyped declarations (empty,
// application/json, application/octet-stream) contradict nothing.
bool ContradictsMediaType(std::string_view declared_type, std::string_view manifest_type);

// Parses `bytes`; `content_type` is the type the client declared (empty when
// none, e.g. PutImage without imageManifestMediaType). Throws ImageError
// kManifestInvalid (or kUnsupported for schema 1) with a message saying why.
Manifest ParseManifest(std::string_view bytes, std::string_view content_type);

// True when a manifest of type `stored` may be served to a client whose
// Accept header is `accept` (absent, "*/*" or "application/json" accept
// anything).
bool Acceptable(std::string_view stored, std::string_view accept);

}  // namespace berth::ecr
