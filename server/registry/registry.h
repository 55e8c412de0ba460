#pragma once

// The Docker Registry HTTP API v2 / OCI Distribution Spec 1.1 in front of the
// ECR repositories: ping, catalog, tags, manifests, blobs (with Range),
// uploads (monolithic, chunked, streamed, cross-repository mounts) and
// referrers. Uploads stream straight to disk through the body plan.
//
// Authentication is ECR's: Basic "AWS:<password>" with a password from
// GetAuthorizationToken; the token names the account and region served.
// Without credentials the defaults are served, unless `require_auth` is set,
// in which case the answer is 401 with ECR's Basic challenge. A blob URL from
// GetDownloadUrlForLayer carries a signed token in its query string that
// stands in for credentials, for reading that blob only, for an hour.
// Blobs cannot be deleted (405 UNSUPPORTED), as on ECR.
//
// Thread-safety: Plan() and Handle() may run on every server thread at once.

#include <string>

#include "server/ecr/ecr_service.h"
#include "server/ecr/image_service.h"
#include "server/ecr/upload_service.h"
#include "server/http/application.h"
#include "server/http/message.h"
#include "server/registry/routes.h"
#include "server/util/clock.h"
#include "storage/records.h"

namespace berth::ecr {
class CreationTemplates;
}

namespace berth::registry {

class PullThroughCache;

struct RegistryOptions {
  std::string default_account_id = "000000000000";
  std::string default_region = "us-east-1";
  bool require_auth = false;
};

class Registry {
 public:
  Registry(RegistryOptions options, ecr::EcrService& ecr, ecr::ImageService& images,
           ecr::UploadService& uploads, const Clock& clock)
      : options_(std::move(options)),
        ecr_(ecr),
        images_(images),
        uploads_(uploads),
        clock_(clock) {}

  static bool Serves(std::string_view path) { return path == "/v2" || path.starts_with("/v2/"); }

  // Upload bodies go to a sink writing the session file; other bodies are
  // small and kept in memory.
  http::BodyPlan Plan(const http::Request& head);
  // Whether serving the request may wait outside Berth: on a pull-through
  // cache's upstream (a read of a manifest or blob while a cache is attached;
  // whether a rule covers the name is known only once the caller is), or on
  // the disk (a blob or manifest made durable: the end of an upload, a
  // manifest PUT).
  bool MayWait(const http::Request& head) const;
  // Serves one request (never throws).
  http::Response Handle(const http::Request& request);
  http::Response BodyTooLarge(const http::Request& head, uint64_t limit);

  // Issue 11: pulls under a pull-through cache rule go through `cache`, and
  // pushes to a missing repository create it when a CREATE_ON_PUSH creation
  // template matches. Attach during wiring, before serving.
  void AttachPullThrough(PullThroughCache* cache, ecr::CreationTemplates* templates) {
    pull_through_ = cache;
    templates_ = templates;
  }

 private:
  // Who is asking: the account and region their token grants, or the
  // defaults. Throws RegistryError UNAUTHORIZED.
  storage::Partition Authenticate(const http::Request& request) const;
  // Authenticate, and the principal the token was issued to (the default
  // account's root user without credentials).
  storage::Partition Authenticate(const http::Request& request, std::string& principal_arn) const;
  // The account and region a download URL from GetDownloadUrlForLayer
  // grants: only for GET/HEAD of the blob and repository it was issued for.
  // nullopt when the request is not such a read or carries no download
  // token; throws RegistryError UNAUTHORIZED for a forged, expired or
  // misapplied one.
  std::optional<storage::Partition> SignedDownload(const http::Request& request,
                                                   const Route& route) const;
  // SignedDownload, else Authenticate.
  storage::Partition Caller(const http::Request& request, const Route& route,
                            std::string& principal_arn) const;
  // `principal_arn`: who pulls (pull-time update exclusions).
  http::Response Dispatch(const http::Request& request, const Route& route,
                          const storage::Partition& registry, const std::string& principal_arn);
  storage::RepositoryRecord RequireRepository(const storage::Partition& registry,
                                              const std::string& name);
  // RequireRepository for a push: a missing repository is first created
  // from a CREATE_ON_PUSH creation template when one matches.
  storage::RepositoryRecord RequirePushRepository(const storage::Partition& registry,
                                                  const std::string& name);

  http::Response Base(const http::Request& request);
  http::Response Catalog(const http::Request& request, const storage::Partition& registry);
  http::Response Tags(const http::Request& request, const Route& route,
                      const storage::Partition& registry);
  http::Response Referrers(const http::Request& request, const Route& route,
                           const storage::Partition& registry);
  http::Response GetManifest(const http::Request& request, const Route& route,
                             const storage::Partition& registry, const std::string& principal_arn);
  http::Response PutManifest(const http::Request& request, const Route& route,
                             const storage::Partition& registry);
  http::Response DeleteManifest(const Route& route, const storage::Partition& registry);
  http::Response GetBlob(const http::Request& request, const Route& route,
                         const storage::Partition& registry);
  http::Response StartUpload(const http::Request& request, const Route& route,
                             const storage::Partition& registry);
  http::Response UploadStatus(const Route& route, const storage::Partition& registry);
  http::Response PatchUpload(const http::Request& request, const Route& route,
                             const storage::Partition& registry);
  http::Response FinishUpload(const http::Request& request, const Route& route,
                              const storage::Partition& registry);
  http::Response CancelUpload(const Route& route, const storage::Partition& registry);
  // Plans the body of PATCH/PUT on an upload, or POST with ?digest=.
  http::BodyPlan PlanUpload(const http::Request& head, const Route& route);

  RegistryOptions options_;
  ecr::EcrService& ecr_;
  ecr::ImageService& images_;
  ecr::UploadService& uploads_;
  const Clock& clock_;
  PullThroughCache* pull_through_ = nullptr;
  ecr::CreationTemplates* templates_ = nullptr;
};

// The value of query parameter `name` in `query` (percent-decoded), if any.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

}  // namespace berth::registry
