#include "server/ecr/upstream_images.h"

#include <memory>

#include "server/ecr/ecr_errors.h"
#include "server/ecr/pull_through_errors.h"
#include "server/ecr/pull_through_importer.h"

namespace berth::ecr {
namespace {

using Kind = UpstreamImportError::Kind;
using nlohmann::json;

json Failure(const std::string& tag, const char* code, const std::string& reason) {
  return {{"imageId", {{"imageTag", tag}}}, {"failureCode", code}, {"failureReason", reason}};
}

// The ImageFailure for a tag the upstream did not give.
json FailureFor(const std::string& tag, const UpstreamImportError& e) {
  switch (e.kind()) {
    case Kind::kSecretUnreadable:
    case Kind::kDenied:
      return Failure(tag, "UpstreamAccessDenied", std::string(kUpstreamAuthFailed));
    case Kind::kTooManyRequests:
      return Failure(tag, "UpstreamTooManyRequests",
                     "The upstream registry is limiting requests (429); try again later");
    case Kind::kNotFound:
      return Failure(tag, "ImageNotFound", "Requested image not found");
    case Kind::kInvalid:
      return Failure(tag, "ImageNotFound", std::string("Requested image not found: ") + e.what());
    default:
      return Failure(tag, "UpstreamUnavailable",
                     std::string("The upstream registry is unavailable: ") + e.what());
  }
}

}  // namespace

UpstreamImports ImportUpstreamImages(PullThroughImporter* importer,
                                     const storage::Partition& registry, const std::string& name,
                                     const std::vector<ImageId>& ids) {
  UpstreamImports out;
  if (importer == nullptr || !importer->Covers(registry, name)) return out;
  out.covered = true;
  // The first failure that is not "no such image", and its tag.
  std::unique_ptr<UpstreamImportError> blocking;
  std::string blocked_tag;
  for (const auto& id : ids) {
    if (!id.tag || !IsValidTag(*id.tag) || out.failures.contains(*id.tag)) continue;
    try {
      importer->PrepareManifest(registry, name, *id.tag);
    } catch (const UpstreamImportError& e) {
      if (e.kind() == Kind::kSecretUnreadable) {
        throw UnableToGetUpstreamImageException(
            "Unable to get the image '" + name + ":" + *id.tag +
            "' with the pull through cache rule: its secret cannot be read: " + e.what());
      }
      out.failures[*id.tag] = FailureFor(*id.tag, e);
      if (e.kind() != Kind::kNotFound && !blocking) {
        blocking = std::make_unique<UpstreamImportError>(e);
        blocked_tag = *id.tag;
      }
    }
  }
  if (out.failures.empty() || importer->RepositoryExists(registry, name)) return out;
  // Nothing was imported, so the repository was not created either.
  if (!blocking) return out;
  if (blocking->kind() == Kind::kNameUnknown) {
    throw RepositoryNotFoundException(name, registry.account_id);
  }
  const std::string reason = out.failures.at(blocked_tag).at("failureReason").get<std::string>();
  throw UnableToGetUpstreamImageException("Unable to get the image '" + name + ":" + blocked_tag +
                                          "' from the upstream registry of the pull through "
                                          "cache rule: " +
                                          reason);
}

void FetchUpstreamLayer(PullThroughImporter* importer, const storage::Partition& registry,
                        const std::string& name, const std::string& digest) {
  if (importer == nullptr) return;
  try {
    const std::shared_ptr<BlobFetch> fetch = importer->FetchBlob(registry, name, digest);
    if (fetch) PullThroughImporter::AwaitStored(*fetch);
  } catch (const UpstreamImportError& e) {
    const std::string why = e.kind() == Kind::kDenied || e.kind() == Kind::kSecretUnreadable
                                ? std::string(kUpstreamAuthFailed)
                                : std::string(e.what());
    throw UnableToGetUpstreamLayerException("Unable to get the layer '" + digest + "' of '" + name +
                                            "' from the upstream registry: " + why);
  }
}

}  // namespace berth::ecr
