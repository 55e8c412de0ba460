#pragma once

// The registry side of ECR's pull-through cache: ecr::PullThroughImporter
// does the imports; this maps its failures to registry errors (as ECR shows
// them to docker) and streams a blob being fetched to the client while it
// is written, so the first pull need not wait for the whole transfer.
//
// Thread-safety: every method may be called from any thread.

#include <optional>
#include <string>

#include "server/ecr/pull_through_importer.h"
#include "server/http/message.h"
#include "storage/records.h"

namespace berth::registry {

class PullThroughCache {
 public:
  explicit PullThroughCache(ecr::PullThroughImporter& importer) : importer_(importer) {}
  PullThroughCache(const PullThroughCache&) = delete;
  PullThroughCache& operator=(const PullThroughCache&) = delete;

  // Makes sure the manifest `reference` of `name` is cached when a rule
  // covers the name (nothing happens otherwise). Throws RegistryError:
  // DENIED when the upstream refuses the credentials, MANIFEST_UNKNOWN
  // when it has no such image (or cannot be reached), NAME_UNKNOWN when the
  // repository cannot be created.
  void PrepareManifest(const storage::Partition& registry, const std::string& name,
                       const std::string& reference);

  // A blob the repository's images name but that was never fetched: the
  // response streaming it from the upstream (HEAD waits for the fetch and
  // answers nullopt, so the local blob is then described). nullopt when the
  // blob is local, unknown to the repository, or no rule covers the name.
  std::optional<http::Response> ServeBlob(const storage::Partition& registry,
                                          const std::string& name, const std::string& digest,
                                          bool head);

 private:
  ecr::PullThroughImporter& importer_;
};

}  // namespace berth::registry
