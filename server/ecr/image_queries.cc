// ImageService, part two: the batch and listing operations the ECR JSON API
// needs beyond the registry's (PutImage, BatchGetImage, BatchDeleteImage,
// ListImages, DescribeImages, scans, referrers, layer checks). Part one,
// image_service.cc, stores, serves and deletes manifests and collects blobs.

#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/ecr/digest.h"
#include "server/ecr/image_error.h"
#include "server/ecr/image_service.h"
#include "server/ecr/manifest.h"
#include "server/ecr/pull_time_exclusions.h"
#include "server/ecr/upload_service.h"
#include "storage/ecr_store.h"
#include "storage/sqlite/db.h"

namespace berth::ecr {
namespace {

using Kind = ImageError::Kind;
using storage::ImageStore;
using storage::Partition;

// The problem with an image id's form, if any (before any lookup).
std::optional<ImageIdFailure> CheckImageId(const ImageId& id) {
  if (!id.digest && !id.tag) return ImageIdFailure::kMissingDigestAndTag;
  if (id.digest && !ParseDigest(*id.digest)) return ImageIdFailure::kInvalidDigest;
  if (id.tag && !IsValidTag(*id.tag)) return ImageIdFailure::kInvalidTag;
  return std::nullopt;
}

// The image an id names, or why there is none.
struct Resolved {
  std::optional<storage::ImageRecord> image;
  ImageIdFailure failure = ImageIdFailure::kNotFound;
};

Resolved Resolve(ImageStore& store, int64_t repository_id, const ImageId& id) {
  if (const auto problem = CheckImageId(id)) return {std::nullopt, *problem};
  std::string digest;
  if (id.tag) {
    auto tagged = store.FindTag(repository_id, *id.tag);
    if (!tagged) return {};
    if (id.digest && *id.digest != *tagged)
      return {std::nullopt, ImageIdFailure::kTagDigestMismatch};
    digest = std::move(*tagged);
  } else {
    digest = *id.digest;
  }
  return {store.FindImage(repository_id, digest), ImageIdFailure::kNotFound};
}

// ImageNotFoundException's wording for an id that names nothing.
[[noreturn]] void ImageNotFound(const ImageId& id, std::string_view repository,
                                const Partition& registry) {
  throw ImageError(Kind::kManifestUnknown,
                   "The image with imageId " + DescribeImageId(id) +
                       " does not exist within the repository with name '" +
                       std::string(repository) + "' in the registry with id '" +
                       registry.account_id + "'",
                   id.digest.value_or(id.tag.value_or("")));
}

// The resume key of a ListImageIds entry: "<digest>" or "<digest> <tag>"
// (tags never contain a space).
std::string ImageIdKey(const ImageId& id) {
  return id.digest.value_or("") + (id.tag ? " " + *id.tag : std::string());
}

// PutImage: imageManifestMediaType, when given, must name the manifest's
// own mediaType (when it has one). Throws kMediaTypeMismatch.
void RequireAgreeingMediaType(const nlohmann::json& doc, std::string_view media_type) {
  const auto own = doc.find("mediaType");
  if (own == doc.end() || !own->is_string()) return;
  const std::string& manifest_type = own->get_ref<const std::string&>();
  if (ContradictsMediaType(media_type, manifest_type)) {
    throw ImageError(Kind::kMediaTypeMismatch, "imageManifestMediaType " + std::string(media_type) +
                                                   " does not match the mediaType " +
                                                   manifest_type + " of the image manifest");
  }
}

}  // namespace

UploadService& ImageService::uploads() {
  if (uploads_ == nullptr) throw ImageError(Kind::kStorage, "no upload service is attached");
  return *uploads_;
}

PutManifestResult ImageService::PutImage(const Partition& registry, const std::string& repository,
                                         std::string_view bytes, std::string_view media_type,
                                         const std::string& tag, const std::string& digest,
                                         double now) {
  // ECR compares the digest it computes (sha256 of the bytes as given) with
  // the one the caller claims, before looking at the content.
  if (!digest.empty()) {
    const std::string actual = Sha256Digest(bytes);
    if (digest != actual) {
      throw ImageError(Kind::kDigestInvalid,
                       "The provided image digest '" + digest +
                           "' does not match the digest of the image manifest '" + actual + "'",
                       digest);
    }
  }
  if (!tag.empty()) RequireValidTag(tag);  // before PutManifest reads it as a reference
  // Not JSON, or no media type in the manifest or the request: ECR answers
  // "Invalid JSON syntax" for both (an OCI manifest without mediaType needs
  // imageManifestMediaType).
  const auto doc = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  const bool typed = !media_type.empty() || (doc.is_object() && doc.contains("mediaType") &&
                                             doc.at("mediaType").is_string());
  if (doc.is_discarded() || !doc.is_object() || !typed) {
    throw ImageError(Kind::kManifestInvalid, "Invalid JSON syntax");
  }
  RequireAgreeingMediaType(doc, media_type);
  try {
    return PutManifest(registry, repository, tag, bytes, media_type, now, PutMode::kPutImage);
  } catch (const ImageError& e) {
    // A malformed digest inside the manifest is a problem of the manifest.
    if (e.kind() == Kind::kDigestInvalid || e.kind() == Kind::kUnsupported ||
        e.kind() == Kind::kManifestTooLarge) {
      throw ImageError(Kind::kManifestInvalid, e.what(), e.detail());
    }
    throw;
  }
}

FetchedImages ImageService::GetImages(const Partition& registry, const std::string& repository,
                                      const std::vector<ImageId>& ids,
                                      const std::vector<std::string>& accepted, double now,
                                      std::string_view puller) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto repo = RequireRepository(lease.db(), registry, repository);
  const bool record_pull = RecordsPullBy(lease.db(), registry, puller);
  ImageStore store(lease.db());
  FetchedImages out;
  for (const auto& id : ids) {
    const Resolved resolved = Resolve(store, repo.id, id);
    if (!resolved.image) {
      out.failures.push_back({id, resolved.failure});
      continue;
    }
    const storage::ImageRecord& image = *resolved.image;
    if (image.image_status != "ACTIVE") {  // archived: restore before pulling
      out.failures.push_back({id, ImageIdFailure::kArchived});
      continue;
    }
    if (!accepted.empty() &&
        std::find(accepted.begin(), accepted.end(), image.media_type) == accepted.end()) {
      out.failures.push_back({id, ImageIdFailure::kMediaTypeNotAccepted});
      continue;
    }
    auto bytes = blobs_.ReadBlob(image.digest);
    if (!bytes) throw ImageError(Kind::kStorage, "manifest content missing for " + image.digest);
    if (record_pull) store.TouchPulled(repo.id, image.digest, now);
    out.images.push_back({ImageId{image.digest, id.tag},
                          ManifestContent{image.digest, image.media_type, std::move(*bytes)}});
  }
  try {
    tx.Commit();
  } catch (const storage::StorageError& e) {
    // Only pull times were written: a full disk must not fail the read.
    if (!e.IsFull()) throw;
  }
  return out;
}

DeletedImages ImageService::DeleteImages(const Partition& registry, const std::string& repository,
                                         const std::vector<ImageId>& ids, double now) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto repo = RequireRepository(lease.db(), registry, repository);
  DeletedImages out;
  DoomedBlobs doomed;
  for (const auto& id : ids) {
    if (const auto problem = CheckImageId(id)) {
      out.failures.push_back({id, *problem});
      continue;
    }
    // DeleteImage refuses before it changes anything, so a refused id leaves
    // the transaction as it was.
    try {
      out.deleted.push_back(DeleteImage(lease.db(), repo.id, id.digest, id.tag, now, doomed));
    } catch (const ImageError& e) {
      switch (e.kind()) {
        case Kind::kManifestUnknown:
          out.failures.push_back({id, ImageIdFailure::kNotFound});
          break;
        case Kind::kManifestInvalid:
          out.failures.push_back({id, ImageIdFailure::kTagDigestMismatch});
          break;
        case Kind::kReferencedByIndex:
          out.failures.push_back({id, ImageIdFailure::kReferencedByIndex});
          break;
        default:
          throw;
      }
    }
  }
  tx.Commit();
  RemoveFiles(doomed);
  return out;
}

ImagePage<ImageId> ImageService::ListImageIds(const Partition& registry,
                                              const std::string& repository,
                                              std::optional<bool> tagged, std::string_view after,
                                              size_t limit,
                                              const std::optional<std::string>& status) {
  std::string cursor(after);
  std::optional<std::string> after_tag;
  if (const auto space = after.find(' '); space != std::string_view::npos) {
    cursor = std::string(after.substr(0, space));
    after_tag = std::string(after.substr(space + 1));
  }
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImageStore store(lease.db());
  ImagePage<ImageId> page;
  const auto add = [&](const storage::ImageRecord& image, const std::optional<std::string>& skip) {
    if (image.tags.empty()) {
      if (!skip) page.items.push_back({image.digest, std::nullopt});
      return;
    }
    for (const auto& tag : image.tags) {
      if (!skip || tag > *skip) page.items.push_back({image.digest, tag});
    }
  };
  // The rest of the image the previous page stopped inside.
  if (after_tag && tagged != false) {
    if (const auto image = store.FindImage(repo.id, cursor);
        image && (!status || image->image_status == *status)) {
      add(*image, after_tag);
    }
  }
  // One more entry than asked tells whether another page follows.
  while (page.items.size() <= limit) {
    const auto batch = store.ListImages(repo.id, cursor, tagged, limit + 1, status);
    for (const auto& image : batch) add(image, std::nullopt);
    if (batch.size() < limit + 1) break;
    cursor = batch.back().digest;
  }
  if (page.items.size() > limit) {
    page.items.resize(limit);
    if (!page.items.empty()) page.next = ImageIdKey(page.items.back());
  }
  return page;
}

ImagePage<storage::ImageRecord> ImageService::ListImageRecords(
    const Partition& registry, const std::string& repository, std::optional<bool> tagged,
    std::string_view after, size_t limit, const std::optional<std::string>& status) {
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImagePage<storage::ImageRecord> page;
  page.items = ImageStore(lease.db()).ListImages(repo.id, after, tagged, limit + 1, status);
  if (page.items.size() > limit) {
    page.items.resize(limit);
    if (!page.items.empty()) page.next = page.items.back().digest;
  }
  return page;
}

std::vector<storage::ImageRecord> ImageService::DescribeImages(const Partition& registry,
                                                               const std::string& repository,
                                                               const std::vector<ImageId>& ids) {
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImageStore store(lease.db());
  std::vector<storage::ImageRecord> out;
  for (const auto& id : ids) {
    Resolved resolved = Resolve(store, repo.id, id);
    if (!resolved.image) ImageNotFound(id, repository, registry);
    const bool seen = std::any_of(out.begin(), out.end(), [&](const storage::ImageRecord& r) {
      return r.digest == resolved.image->digest;
    });
    if (!seen) out.push_back(std::move(*resolved.image));
  }
  return out;
}

storage::ImageRecord ImageService::FindImage(const Partition& registry,
                                             const std::string& repository, const ImageId& id) {
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImageStore store(lease.db());
  Resolved resolved = Resolve(store, repo.id, id);
  if (!resolved.image) ImageNotFound(id, repository, registry);
  return std::move(*resolved.image);
}

storage::ImageRecord ImageService::ScanImage(const Partition& registry,
                                             const std::string& repository, const ImageId& id,
                                             double now) {
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImageStore store(lease.db());
  Resolved resolved = Resolve(store, repo.id, id);
  if (!resolved.image) ImageNotFound(id, repository, registry);
  store.SetScanned(repo.id, resolved.image->digest, now);
  resolved.image->scanned_at = now;
  return std::move(*resolved.image);
}

ImagePage<storage::ImageRecord> ImageService::ListReferrers(
    const Partition& registry, const std::string& repository, std::string_view subject_digest,
    const std::vector<std::string>& artifact_types, std::string_view after, size_t limit) {
  if (!ParseDigest(subject_digest)) {
    throw ImageError(Kind::kDigestInvalid, "invalid digest: " + std::string(subject_digest),
                     std::string(subject_digest));
  }
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImagePage<storage::ImageRecord> page;
  for (auto& image : ImageStore(lease.db()).Referrers(repo.id, subject_digest)) {
    if (image.digest <= after) continue;
    if (!artifact_types.empty()) {
      const auto type = ArtifactType(image);
      if (!type ||
          std::find(artifact_types.begin(), artifact_types.end(), *type) == artifact_types.end()) {
        continue;
      }
    }
    if (page.items.size() == limit) {
      page.next = page.items.back().digest;
      break;
    }
    page.items.push_back(std::move(image));
  }
  return page;
}

std::vector<LayerCheck> ImageService::CheckLayers(const Partition& registry,
                                                  const std::string& repository,
                                                  const std::vector<std::string>& digests) {
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImageStore store(lease.db());
  std::vector<LayerCheck> out;
  for (const auto& digest : digests) {
    LayerCheck check{digest, ParseDigest(digest).has_value(), std::nullopt};
    if (check.valid) check.size = store.RepositoryBlobSize(repo.id, digest);
    out.push_back(std::move(check));
  }
  return out;
}

std::optional<LayerInfo> ImageService::FindLayer(const Partition& registry,
                                                 const std::string& repository,
                                                 std::string_view digest) {
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImageStore store(lease.db());
  const auto size = store.RepositoryBlobSize(repo.id, digest);
  if (!size) return std::nullopt;
  return LayerInfo{*size, store.IsReferenced(repo.id, digest)};
}

}  // namespace berth::ecr
