#include "server/ecr/image_service.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/ecr/digest.h"
#include "server/ecr/image_error.h"
#include "server/ecr/manifest.h"
#include "server/util/crypto.h"
#include "storage/ecr_store.h"

namespace berth::ecr {
namespace {

using Kind = ImageError::Kind;
using storage::ImageStore;
using storage::Partition;

std::string RepositoryMessage(std::string_view name, const Partition& registry) {
  return "The repository with name '" + std::string(name) +
         "' does not exist in the registry with id '" + registry.account_id + "'";
}

// The digest a reference names, when it is one.
std::optional<Digest> ReferenceDigest(std::string_view reference) {
  if (reference.find(':') == std::string_view::npos) return std::nullopt;
  auto digest = ParseDigest(reference);
  if (!digest) {
    throw ImageError(Kind::kDigestInvalid, "invalid digest: " + std::string(reference),
                     std::string(reference));
  }
  return digest;
}

void RequireValidTag(std::string_view tag) {
  if (!IsValidTag(tag)) {
    throw ImageError(Kind::kTagInvalid, "invalid tag: " + std::string(tag), std::string(tag));
  }
}

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
    if (id.digest && *id.digest != *tagged) return {std::nullopt, ImageIdFailure::kTagDigestMismatch};
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

}  // namespace

std::optional<std::string> ArtifactType(const storage::ImageRecord& image) {
  return image.artifact_type ? image.artifact_type : image.artifact_media_type;
}

std::string DescribeImageId(const ImageId& id) {
  return "{imageDigest:'" + id.digest.value_or("null") + "', imageTag:'" +
         id.tag.value_or("null") + "'}";
}

bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  const auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (!word(tag[0])) return false;
  return std::all_of(tag.begin() + 1, tag.end(),
                     [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  // Greedy match with backtracking to the last '*': linear in practice.
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;
  size_t mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool IsTagImmutable(std::string_view tag, std::string_view mutability,
                    const std::optional<std::string>& exclusions) {
  if (mutability == "MUTABLE") return false;
  if (mutability == "IMMUTABLE") return true;
  bool excluded = false;
  if (exclusions) {
    for (const auto& filter : nlohmann::json::parse(*exclusions)) {
      if (WildcardMatch(filter.value("filter", ""), tag)) excluded = true;
    }
  }
  // IMMUTABLE_WITH_EXCLUSION: immutable unless excluded; MUTABLE_WITH_EXCLUSION:
  // mutable unless excluded.
  return mutability == "IMMUTABLE_WITH_EXCLUSION" ? !excluded : excluded;
}

storage::RepositoryRecord ImageService::RequireRepository(storage::Db& db,
                                                          const Partition& registry,
                                                          std::string_view name) {
  auto record = storage::EcrStore(db, registry).FindRepository(name);
  if (!record) {
    throw ImageError(Kind::kRepositoryNotFound, RepositoryMessage(name, registry),
                     std::string(name));
  }
  return std::move(*record);
}

storage::RepositoryRecord ImageService::Repository(const Partition& registry,
                                                   std::string_view name) {
  auto lease = database_.Acquire();
  return RequireRepository(lease.db(), registry, name);
}

PutManifestResult ImageService::PutManifest(const Partition& registry,
                                            const std::string& repository,
                                            std::string_view reference, std::string_view bytes,
                                            std::string_view content_type, double now,
                                            PutMode mode) {
  if (bytes.size() > kMaxManifestBytes) {
    throw ImageError(Kind::kManifestTooLarge, "manifest exceeds 4 MiB");
  }
  const Manifest manifest = ParseManifest(bytes, content_type);
  const std::optional<Digest> by_digest = ReferenceDigest(reference);
  std::string digest = Sha256Digest(bytes);
  if (by_digest) {
    crypto::Hasher hasher(by_digest->hasher());
    hasher.Update(bytes);
    digest = by_digest->algorithm + ":" + hasher.FinalHex();
    if (digest != by_digest->text) {
      throw ImageError(Kind::kDigestInvalid,
                       "manifest content does not match digest " + by_digest->text,
                       by_digest->text);
    }
  }
  const std::string tag = by_digest ? std::string() : std::string(reference);
  if (!tag.empty()) RequireValidTag(tag);

  auto lease = database_.Acquire();
  storage::Db& db = lease.db();
  storage::Tx tx(db);
  const auto repo = RequireRepository(db, registry, repository);
  ImageStore store(db);

  // Everything the manifest names must already be in this repository.
  std::vector<storage::ImageReference> references;
  int64_t image_size = 0;
  if (manifest.is_index) {
    for (const auto& child : manifest.manifests) {
      const auto found = store.FindImage(repo.id, child.digest);
      if (!found) {
        throw ImageError(Kind::kManifestChildUnknown,
                         "manifest references unknown manifest " + child.digest, child.digest);
      }
      image_size = std::max(image_size, found->image_size);
      references.push_back({child.digest, "manifest"});
    }
  } else {
    std::vector<Descriptor> blobs = manifest.layers;
    blobs.insert(blobs.begin(), *manifest.config);
    for (size_t i = 0; i < blobs.size(); ++i) {
      const Descriptor& d = blobs[i];
      if (d.foreign()) continue;
      if (!store.RepositoryBlobSize(repo.id, d.digest)) {
        throw ImageError(Kind::kManifestBlobUnknown, "blob unknown to registry: " + d.digest,
                         d.digest);
      }
      if (i > 0) image_size += d.size;
      references.push_back({d.digest, "blob"});
    }
  }

  const auto existing = store.FindImage(repo.id, digest);
  if (mode == PutMode::kPutImage && existing &&
      (tag.empty() || std::find(existing->tags.begin(), existing->tags.end(), tag) !=
                          existing->tags.end())) {
    throw ImageError(Kind::kImageAlreadyExists,
                     "Image with digest '" + digest + "' and tag '" + tag +
                         "' already exists in the repository with name '" + repository +
                         "' in registry with id '" + registry.account_id + "'");
  }
  std::optional<std::string> moved_from;
  if (!tag.empty()) {
    const auto current = store.FindTag(repo.id, tag);
    if (current && *current != digest) {
      if (IsTagImmutable(tag, repo.tag_mutability, repo.mutability_exclusions)) {
        throw ImageError(Kind::kTagImmutable,
                         "The image tag '" + tag + "' already exists in the '" + repository +
                             "' repository and cannot be overwritten because the repository is "
                             "immutable.",
                         tag);
      }
      moved_from = current;
    }
  }

  blobs_.WriteBlob(digest, bytes);
  store.AddBlob(digest, static_cast<int64_t>(bytes.size()), now);
  store.LinkBlob(repo.id, digest, now);
  storage::ImageRecord image;
  image.repository_id = repo.id;
  image.digest = digest;
  image.media_type = manifest.media_type;
  if (manifest.config) image.artifact_media_type = manifest.config->media_type;
  image.artifact_type = manifest.artifact_type;
  image.manifest_size = static_cast<int64_t>(bytes.size());
  image.image_size = image_size;
  if (manifest.subject) image.subject_digest = manifest.subject->digest;
  image.annotations = manifest.annotations;
  image.pushed_at = now;
  store.UpsertImage(image);
  store.AddReferences(repo.id, digest, references);
  if (!tag.empty()) store.SetTag(repo.id, tag, digest);
  tx.Commit();
  return {digest, manifest.media_type, image.subject_digest};
}

ManifestContent ImageService::GetManifest(const Partition& registry, const std::string& repository,
                                          std::string_view reference, std::string_view accept,
                                          double now, bool record_pull) {
  const std::optional<Digest> by_digest = ReferenceDigest(reference);
  if (!by_digest) RequireValidTag(reference);
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImageStore store(lease.db());
  std::string digest;
  if (by_digest) {
    digest = by_digest->text;
  } else if (auto tagged = store.FindTag(repo.id, reference)) {
    digest = *tagged;
  }
  const auto image = digest.empty() ? std::nullopt : store.FindImage(repo.id, digest);
  if (!image) {
    throw ImageError(Kind::kManifestUnknown,
                     "manifest unknown: " + std::string(reference), std::string(reference));
  }
  if (!Acceptable(image->media_type, accept)) {
    throw ImageError(Kind::kManifestUnknown,
                     "manifest of type " + image->media_type + " is not acceptable",
                     std::string(reference));
  }
  auto bytes = blobs_.ReadBlob(digest);
  if (!bytes) throw ImageError(Kind::kStorage, "manifest content missing for " + digest);
  if (record_pull) store.TouchPulled(repo.id, digest, now);
  return {digest, image->media_type, std::move(*bytes)};
}

DeletedImage ImageService::DeleteImage(storage::Db& db, int64_t repository_id,
                                       const std::optional<std::string>& digest,
                                       const std::optional<std::string>& tag,
                                       DoomedBlobs& doomed) {
  ImageStore store(db);
  std::string target;
  if (tag) {
    const auto tagged = store.FindTag(repository_id, *tag);
    if (!tagged) throw ImageError(Kind::kManifestUnknown, "Requested image not found", *tag);
    if (digest && *digest != *tagged) {
      throw ImageError(Kind::kManifestInvalid, "Invalid request parameters: image tag digest did "
                                               "not match image digest", *tag);
    }
    target = *tagged;
  } else if (digest) {
    target = *digest;
  }
  const auto image = store.FindImage(repository_id, target);
  if (!image) throw ImageError(Kind::kManifestUnknown, "Requested image not found", target);

  DeletedImage deleted{target, {}};
  if (tag && !digest && image->tags.size() > 1) {
    store.RemoveTag(repository_id, *tag);  // the image keeps its other tags
    deleted.tags.push_back(*tag);
    return deleted;
  }
  if (store.IsReferenced(repository_id, target)) {
    throw ImageError(Kind::kReferencedByIndex,
                     "Requested image is referenced by a manifest list", target);
  }
  deleted.tags = image->tags;
  std::vector<std::string> children;
  for (const auto& reference : store.References(repository_id, target)) {
    children.push_back(reference.child_digest);
  }
  children.push_back(target);
  store.DeleteImage(repository_id, target);
  Collect(db, repository_id, children, doomed);
  return deleted;
}

void ImageService::DeleteManifest(const Partition& registry, const std::string& repository,
                                  std::string_view reference, double now) {
  (void)now;
  const std::optional<Digest> by_digest = ReferenceDigest(reference);
  if (!by_digest) RequireValidTag(reference);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto repo = RequireRepository(lease.db(), registry, repository);
  DoomedBlobs doomed;
  if (by_digest) {
    DeleteImage(lease.db(), repo.id, by_digest->text, std::nullopt, doomed);
  } else {
    ImageStore store(lease.db());
    if (!store.FindTag(repo.id, reference)) {
      throw ImageError(Kind::kManifestUnknown, "manifest unknown: " + std::string(reference),
                       std::string(reference));
    }
    store.RemoveTag(repo.id, reference);
  }
  tx.Commit();
  RemoveFiles(doomed);
}

std::vector<std::string> ImageService::Tags(const Partition& registry,
                                            const std::string& repository, std::string_view last,
                                            size_t limit) {
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  return ImageStore(lease.db()).ListTags(repo.id, last, limit);
}

std::vector<storage::ImageRecord> ImageService::Referrers(const Partition& registry,
                                                          const std::string& repository,
                                                          std::string_view subject_digest) {
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  return ImageStore(lease.db()).Referrers(repo.id, subject_digest);
}

int64_t ImageService::BlobSize(const Partition& registry, const std::string& repository,
                               std::string_view digest) {
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  const auto size = ImageStore(lease.db()).RepositoryBlobSize(repo.id, digest);
  if (!size) {
    throw ImageError(Kind::kBlobUnknown, "blob unknown to registry", std::string(digest));
  }
  return *size;
}

void ImageService::DeleteBlob(const Partition& registry, const std::string& repository,
                              std::string_view digest, double now) {
  (void)now;
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImageStore store(lease.db());
  if (!store.RepositoryBlobSize(repo.id, digest)) {
    throw ImageError(Kind::kBlobUnknown, "blob unknown to registry", std::string(digest));
  }
  // A blob an image still refers to stays (deleting it would break the image).
  if (!store.IsReferenced(repo.id, digest) && !store.FindImage(repo.id, digest)) {
    store.UnlinkBlob(repo.id, digest);
  }
  DoomedBlobs doomed;
  if (!store.BlobInUse(digest)) {
    store.DeleteBlob(digest);
    doomed.push_back(std::string(digest));
  }
  tx.Commit();
  RemoveFiles(doomed);
}

void ImageService::Collect(storage::Db& db, int64_t repository_id,
                           const std::vector<std::string>& digests, DoomedBlobs& doomed) {
  ImageStore store(db);
  for (const auto& digest : digests) {
    if (!store.IsReferenced(repository_id, digest) && !store.FindImage(repository_id, digest)) {
      store.UnlinkBlob(repository_id, digest);
    }
    if (!store.BlobInUse(digest) && store.BlobSize(digest)) {
      store.DeleteBlob(digest);
      doomed.push_back(digest);
    }
  }
}

void ImageService::RemoveFiles(const DoomedBlobs& doomed) {
  for (const auto& digest : doomed) blobs_.RemoveBlob(digest);
}

void ImageService::PurgeRepository(storage::Db& db, int64_t repository_id, DoomedBlobs& doomed) {
  ImageStore store(db);
  const std::vector<std::string> digests = store.RepositoryDigests(repository_id);
  for (const auto& image : store.ListImages(repository_id, "", std::nullopt, SIZE_MAX / 2)) {
    store.DeleteImage(repository_id, image.digest);
  }
  for (const auto& digest : digests) store.UnlinkBlob(repository_id, digest);
  Collect(db, repository_id, digests, doomed);
}

size_t ImageService::CollectOrphans(double before) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  ImageStore store(lease.db());
  const auto orphans = store.OrphanBlobs(before);
  for (const auto& digest : orphans) store.DeleteBlob(digest);
  tx.Commit();
  RemoveFiles(orphans);
  return orphans.size();
}

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
                                      const std::vector<std::string>& accepted, double now) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImageStore store(lease.db());
  FetchedImages out;
  for (const auto& id : ids) {
    const Resolved resolved = Resolve(store, repo.id, id);
    if (!resolved.image) {
      out.failures.push_back({id, resolved.failure});
      continue;
    }
    const storage::ImageRecord& image = *resolved.image;
    if (!accepted.empty() &&
        std::find(accepted.begin(), accepted.end(), image.media_type) == accepted.end()) {
      out.failures.push_back({id, ImageIdFailure::kMediaTypeNotAccepted});
      continue;
    }
    auto bytes = blobs_.ReadBlob(image.digest);
    if (!bytes) throw ImageError(Kind::kStorage, "manifest content missing for " + image.digest);
    store.TouchPulled(repo.id, image.digest, now);
    out.images.push_back(
        {ImageId{image.digest, id.tag}, ManifestContent{image.digest, image.media_type, std::move(*bytes)}});
  }
  tx.Commit();
  return out;
}

DeletedImages ImageService::DeleteImages(const Partition& registry, const std::string& repository,
                                         const std::vector<ImageId>& ids) {
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
      out.deleted.push_back(DeleteImage(lease.db(), repo.id, id.digest, id.tag, doomed));
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
                                              size_t limit) {
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
    if (const auto image = store.FindImage(repo.id, cursor)) add(*image, after_tag);
  }
  // One more entry than asked tells whether another page follows.
  while (page.items.size() <= limit) {
    const auto batch = store.ListImages(repo.id, cursor, tagged, limit + 1);
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

ImagePage<storage::ImageRecord> ImageService::ListImageRecords(const Partition& registry,
                                                               const std::string& repository,
                                                               std::optional<bool> tagged,
                                                               std::string_view after,
                                                               size_t limit) {
  auto lease = database_.Acquire();
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImagePage<storage::ImageRecord> page;
  page.items = ImageStore(lease.db()).ListImages(repo.id, after, tagged, limit + 1);
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
      if (!type || std::find(artifact_types.begin(), artifact_types.end(), *type) ==
                       artifact_types.end()) {
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
