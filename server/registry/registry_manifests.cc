// The registry's manifest routes: GET/HEAD (with content negotiation),
// PUT and DELETE of /v2/<name>/manifests/<tag or digest>.

#include "server/ecr/creation_templates.h"
#include "server/ecr/image_service.h"
#include "server/ecr/manifest.h"
#include "server/registry/pull_through_cache.h"
#include "server/registry/registry.h"
#include "server/registry/registry_error.h"
#include "server/registry/registry_support.h"

namespace berth::registry {

http::Response Registry::GetManifest(const http::Request& request, const Route& route,
                                     const storage::Partition& registry,
                                     const std::string& principal_arn) {
  if (pull_through_ != nullptr && IsValidRepositoryName(route.name)) {
    pull_through_->PrepareManifest(registry, route.name, route.reference);
  }
  RequireRepository(registry, route.name);
  // Clients send several Accept headers (one per media type) or one list.
  std::string accept;
  for (const auto& [name, value] : request.headers.fields()) {
    if (!http::EqualsIgnoreCase(name, "Accept")) continue;
    if (!accept.empty()) accept += ", ";
    accept += value;
  }
  const ecr::ManifestContent manifest =
      images_.GetManifest(registry, route.name, route.reference, accept, clock_.Now(),
                          /*record_pull=*/true, principal_arn);
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
  RequirePushRepository(registry, route.name);
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

storage::RepositoryRecord Registry::RequirePushRepository(const storage::Partition& registry,
                                                          const std::string& name) {
  if (templates_ != nullptr && IsValidRepositoryName(name)) {
    try {
      images_.Repository(registry, name);
    } catch (const ecr::ImageError& e) {
      if (e.kind() != ecr::ImageError::Kind::kRepositoryNotFound) throw;
      try {
        templates_->CreateFromTemplate(registry, name, ecr::kCreateOnPush, clock_.Now());
      } catch (const ecr::TemplateCreationError& failure) {
        throw RegistryError("NAME_UNKNOWN", e.what(), failure.what());
      }
    }
  }
  return RequireRepository(registry, name);
}

}  // namespace berth::registry
