#pragma once

// The registry side of ECR's pull-through cache. Before a manifest is
// served, a tag under a pull-through cache rule is imported from the
// upstream registry when the repository or tag is not cached yet, or when
// the tag was last checked upstream `refresh_seconds` ago (a failed check
// serves the cached image). The repository is created from the matching
// creation template (PULL_THROUGH_CACHE) or with the defaults. An index
// comes with every child manifest; blobs are fetched on first request and
// streamed to the client while they are written (and hashed) into an upload
// session, which is verified and committed as the repository's blob when
// the transfer ends. Later requests are served locally, with or without the
// upstream.
//
// Thread-safety: every method may be called from any thread; one fetch per
// blob at a time (requests for a blob being fetched follow that fetch).

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/ecr/creation_templates.h"
#include "server/ecr/image_service.h"
#include "server/ecr/pull_through_rules.h"
#include "server/ecr/upload_service.h"
#include "server/http/message.h"
#include "server/util/clock.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::registry {

class PullThroughCache {
 public:
  PullThroughCache(ecr::PullThroughRules& rules, ecr::CreationTemplates& templates,
                   ecr::ImageService& images, ecr::UploadService& uploads,
                   storage::Database& database, const Clock& clock)
      : rules_(rules),
        templates_(templates),
        images_(images),
        uploads_(uploads),
        database_(database),
        clock_(clock) {}
  PullThroughCache(const PullThroughCache&) = delete;
  PullThroughCache& operator=(const PullThroughCache&) = delete;
  // Stops the fetches in progress and waits for their threads.
  ~PullThroughCache();

  // Makes sure the manifest `reference` of `name` is cached when a rule
  // covers the name (nothing happens otherwise). Throws RegistryError:
  // DENIED when the upstream refuses the credentials, MANIFEST_UNKNOWN
  // when it has no such image, NAME_UNKNOWN when the repository cannot be
  // created.
  void PrepareManifest(const storage::Partition& registry, const std::string& name,
                       const std::string& reference);

  // A blob the repository's images name but that was never fetched: the
  // response streaming it from the upstream (HEAD waits for the fetch and
  // answers nullopt, so the local blob is then described). nullopt when the
  // blob is local, unknown to the repository, or no rule covers the name.
  std::optional<http::Response> ServeBlob(const storage::Partition& registry,
                                          const std::string& name, const std::string& digest,
                                          bool head);

  struct Fetch;  // one blob transfer in progress (pull_through_cache.cc)

 private:
  // Imports tag or digest `reference` from the upstream; throws as
  // PrepareManifest.
  void Import(const storage::Partition& registry, const std::string& name,
              const std::string& reference, const ecr::UpstreamSource& source);
  std::shared_ptr<Fetch> StartFetch(const storage::Partition& registry, int64_t repository_id,
                                    const std::string& digest, const ecr::UpstreamSource& source);

  ecr::PullThroughRules& rules_;
  ecr::CreationTemplates& templates_;
  ecr::ImageService& images_;
  ecr::UploadService& uploads_;
  storage::Database& database_;
  const Clock& clock_;

  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Fetch>> fetches_;  // by repository id + digest
  std::vector<std::thread> threads_;                       // guarded by mutex_
  std::atomic<bool> stopping_{false};
};

}  // namespace berth::registry
