// The registry's manifest routes: GET/HEAD (with content negotiation),
// PUT and DELETE of /v2/<name>/manifests/<tag or digest>.

#include "server/ecr/image_service.h"
#include "server/ecr/manifest.h"
#include "server/registry/registry.h"
#include "server/registry/registry_error.h"
#include "server/registry/registry_support.h"

namespace berth::registry {

http::Response Registry::GetManifest(const http::Request& request, const Route& route,
                                     const storage::Partition& registry) {
  RequireRepository(registry, route.name);
  // Clients send several Accept headers (one per media type) or one list.
  std::string accept;
  for (const auto& [name, value] : request.headers.fields()) {
    if (!http::EqualsIgnoreCase(name, "Accept")) continue;
    if (!accept.empty()) accept += ", ";
    accept += value;
  }
  const ecr::ManifestContent manifest =
      images_.GetManifest(registry, route.name, route.reference, accept, clock_.Now(), true);
  http::Response res = Reply(200);
  res.headers.Add("Content-Type", manifest.media_type);
  res.headers.Add("Docker-Content-Digest", manifest.digest);
  res.headers.Add("ETag", "\"" + manifest.digest + "\"");
  if (request.method == "HEAD") {
    res.head_length = manifest.bytes.size();
  } else {
    res.body = manifest.bytes;
  }
  return res;
}

http::Response Registry::PutManifest(const http::Request& request, const Route& route,
                                     const storage::Partition& registry) {
  RequireRepository(registry, route.name);
  const std::string content_type(request.headers.Get("Content-Type").value_or(""));
  const ecr::PutManifestResult result =
      images_.PutManifest(registry, route.name, route.reference, request.body, content_type,
                          clock_.Now(), ecr::PutMode::kRegistry);
  http::Response res = Reply(201);
  res.headers.Add("Location", "/v2/" + route.name + "/manifests/" + result.digest);
  res.headers.Add("Docker-Content-Digest", result.digest);
  if (result.subject_digest) res.headers.Add("OCI-Subject", *result.subject_digest);
  return res;
}

http::Response Registry::DeleteManifest(const Route& route, const storage::Partition& registry) {
  RequireRepository(registry, route.name);
  images_.DeleteManifest(registry, route.name, route.reference, clock_.Now());
  return Reply(202);
}

}  // namespace berth::registry
