#pragma once

// The ECR API's side of the pull-through cache (BatchGetImage and
// GetDownloadUrlForLayer import what is not cached yet, through the same
// PullThroughImporter as docker pulls), and the decisions on how upstream
// failures show on that path:
//   * the rule's secret cannot be read: UnableToGetUpstreamImageException
//     (the model's description of that exception);
//   * the repository exists (or another id of the call created it): per-image
//     failures UpstreamAccessDenied (401/403), UpstreamTooManyRequests (429),
//     UpstreamUnavailable (unreachable, other answers), ImageNotFound (404,
//     or a manifest that cannot be cached);
//   * the repository still does not exist: UnableToGetUpstreamImageException
//     when the upstream failed, RepositoryNotFoundException when its creation
//     template could not be applied, per-image ImageNotFound when the upstream
//     simply has no such image;
//   * a layer that cannot be fetched: UnableToGetUpstreamLayerException.
//
// Thread-safety: as PullThroughImporter.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/ecr/image_service.h"
#include "storage/records.h"

namespace berth::ecr {

class PullThroughImporter;

// What BatchGetImage's import step found.
struct UpstreamImports {
  bool covered = false;  // a pull-through cache rule covers the repository
  // ImageFailure JSON by requested tag, for the tags that could not be imported.
  std::map<std::string, nlohmann::json> failures;
};

// Imports every tag of `ids` that is not cached (or due for a re-check).
// `importer` may be null (no pull-through: nothing happens). Throws
// UnableToGetUpstreamImageException / RepositoryNotFoundException as above.
UpstreamImports ImportUpstreamImages(PullThroughImporter* importer,
                                     const storage::Partition& registry, const std::string& name,
                                     const std::vector<ImageId>& ids);

// Fetches layer `digest` of `name` from the upstream when the repository's
// images name it but it was never fetched, and waits until it is stored.
// Throws UnableToGetUpstreamLayerException.
void FetchUpstreamLayer(PullThroughImporter* importer, const storage::Partition& registry,
                        const std::string& name, const std::string& digest);

}  // namespace berth::ecr
