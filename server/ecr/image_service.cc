#include "server/ecr/image_service.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/ecr/digest.h"
#include "server/ecr/image_error.h"
#include "server/ecr/manifest.h"
#include "server/ecr/pull_time_exclusions.h"
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

}  // namespace

void RequireValidTag(std::string_view tag) {
  if (!IsValidTag(tag)) {
    throw ImageError(Kind::kTagInvalid, "invalid tag: " + std::string(tag), std::string(tag));
  }
}

std::optional<std::string> ArtifactType(const storage::ImageRecord& image) {
  return image.artifact_type ? image.artifact_type : image.artifact_media_type;
}

std::string DescribeImageId(const ImageId& id) {
  return "{imageDigest:'" + id.digest.value_or("null") + "', imageTag:'" + id.tag.value_or("null") +
         "'}";
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
  PutManifestResult result =
      StoreManifest(registry, repository, reference, bytes, content_type, now, mode);
  const std::string tag =
      reference.find(':') == std::string_view::npos ? std::string(reference) : std::string();
  for (PushListener* listener : push_listeners_) {
    listener->ManifestPushed(registry, repository, result.digest, tag, now);
  }
  return result;
}

PutManifestResult ImageService::StoreManifest(const Partition& registry,
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
      const auto found = store.FindImageUntagged(repo.id, child.digest);
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
      if (mode != PutMode::kPullThrough && !store.RepositoryBlobSize(repo.id, d.digest)) {
        throw ImageError(Kind::kManifestBlobUnknown, "blob unknown to registry: " + d.digest,
                         d.digest);
      }
      if (i > 0) image_size += d.size;
      references.push_back({d.digest, "blob"});
    }
  }

  // Only the image's own row and this tag are read: an image may carry
  // 100,000 tags, and a push must not cost more for it.
  const bool exists = store.FindImageUntagged(repo.id, digest).has_value();
  const auto current = tag.empty() ? std::nullopt : store.FindTag(repo.id, tag);
  if (mode == PutMode::kPutImage && exists && (tag.empty() || current == digest)) {
    throw ImageError(Kind::kImageAlreadyExists,
                     "Image with digest '" + digest + "' and tag '" + tag +
                         "' already exists in the repository with name '" + repository +
                         "' in registry with id '" + registry.account_id + "'");
  }
  std::optional<std::string> moved_from;
  if (!tag.empty()) {
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
  // Still under the lease (the observer only queues work).
  if (push_observer_) push_observer_(repo.id);
  return {digest, manifest.media_type, image.subject_digest};
}

ManifestContent ImageService::GetManifest(const Partition& registry, const std::string& repository,
                                          std::string_view reference, std::string_view accept,
                                          double now, bool record_pull, std::string_view puller) {
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
  const auto image = digest.empty() ? std::nullopt : store.FindImageUntagged(repo.id, digest);
  if (!image) {
    throw ImageError(Kind::kManifestUnknown, "manifest unknown: " + std::string(reference),
                     std::string(reference));
  }
  if (image->image_status != "ACTIVE") {  // archived images are restored before a pull
    throw ImageError(Kind::kManifestUnknown,
                     "manifest unknown: the image is " + image->image_status +
                         "; restore it (UpdateImageStorageClass STANDARD) before pulling",
                     std::string(reference));
  }
  if (!Acceptable(image->media_type, accept)) {
    throw ImageError(Kind::kManifestUnknown,
                     "manifest of type " + image->media_type + " is not acceptable",
                     std::string(reference));
  }
  auto bytes = blobs_.ReadBlob(digest);
  if (!bytes) throw ImageError(Kind::kStorage, "manifest content missing for " + digest);
  if (record_pull && RecordsPullBy(lease.db(), registry, puller)) {
    store.TouchPulled(repo.id, digest, now);
  }
  return {digest, image->media_type, std::move(*bytes)};
}

DeletedImage ImageService::DeleteImage(storage::Db& db, int64_t repository_id,
                                       const std::optional<std::string>& digest,
                                       const std::optional<std::string>& tag, double now,
                                       DoomedBlobs& doomed) {
  ImageStore store(db);
  std::string target;
  if (tag) {
    const auto tagged = store.FindTag(repository_id, *tag);
    if (!tagged) throw ImageError(Kind::kManifestUnknown, "Requested image not found", *tag);
    if (digest && *digest != *tagged) {
      throw ImageError(Kind::kManifestInvalid,
                       "Invalid request parameters: image tag digest did "
                       "not match image digest",
                       *tag);
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
    throw ImageError(Kind::kReferencedByIndex, "Requested image is referenced by a manifest list",
                     target);
  }
  deleted.tags = image->tags;
  std::vector<std::string> children;
  for (const auto& reference : store.References(repository_id, target)) {
    children.push_back(reference.child_digest);
  }
  children.push_back(target);
  store.DeleteImage(repository_id, target);
  Collect(db, repository_id, children, now, doomed);
  return deleted;
}

void ImageService::DeleteManifest(const Partition& registry, const std::string& repository,
                                  std::string_view reference, double now) {
  const std::optional<Digest> by_digest = ReferenceDigest(reference);
  if (!by_digest) RequireValidTag(reference);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto repo = RequireRepository(lease.db(), registry, repository);
  DoomedBlobs doomed;
  if (by_digest) {
    DeleteImage(lease.db(), repo.id, by_digest->text, std::nullopt, now, doomed);
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

void ImageService::Collect(storage::Db& db, int64_t repository_id,
                           const std::vector<std::string>& digests, double now,
                           DoomedBlobs& doomed) {
  ImageStore store(db);
  for (const auto& digest : digests) {
    if (!store.IsReferenced(repository_id, digest) &&
        !store.FindImageUntagged(repository_id, digest)) {
      store.MarkUnreferenced(repository_id, digest, now);
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
  Collect(db, repository_id, digests, 0, doomed);
}

size_t ImageService::CollectOrphans(double before) {
  // Mark: links whose grace period is over. Sweep: blobs nothing links or
  // refers to. Each batch re-checks under its own lease, so a manifest PUT
  // or upload that got in between keeps what it uses.
  for (;;) {
    auto lease = database_.Acquire();
    storage::Tx tx(lease.db());
    ImageStore store(lease.db());
    auto stale = store.StaleLinks(before);
    const bool more = stale.size() > kSweepBatch;
    if (more) stale.resize(kSweepBatch);
    for (const auto& [repository_id, digest] : stale) store.UnlinkBlob(repository_id, digest);
    tx.Commit();
    if (!more) break;
  }
  size_t removed = 0;
  for (;;) {
    auto lease = database_.Acquire();
    storage::Tx tx(lease.db());
    ImageStore store(lease.db());
    auto orphans = store.OrphanBlobs(before);
    const bool more = orphans.size() > kSweepBatch;
    if (more) orphans.resize(kSweepBatch);
    for (const auto& digest : orphans) store.DeleteBlob(digest);
    tx.Commit();
    RemoveFiles(orphans);  // still under the lease: no commit of the same digest in between
    removed += orphans.size();
    if (!more) break;
  }
  return removed;
}

StorageClassChange ImageService::UpdateStorageClass(const Partition& registry,
                                                    const std::string& repository,
                                                    const ImageId& id, const std::string& target,
                                                    double now, double restore_seconds) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto repo = RequireRepository(lease.db(), registry, repository);
  ImageStore store(lease.db());
  std::string digest = id.digest.value_or("");
  if (id.tag) {
    const auto tagged = store.FindTag(repo.id, *id.tag);
    if (tagged && (!id.digest || *id.digest == *tagged)) digest = *tagged;
    if (!tagged || digest != *tagged) digest.clear();
  }
  const auto image = digest.empty() ? std::nullopt : store.FindImageUntagged(repo.id, digest);
  if (!image) {
    throw ImageError(Kind::kManifestUnknown,
                     "The image with imageId " + DescribeImageId(id) +
                         " does not exist within the repository with name '" + repository +
                         "' in the registry with id '" + registry.account_id + "'",
                     digest);
  }
  const auto unsupported = [&](const std::string& why) {
    return ImageError(Kind::kClassUnsupported,
                      "The requested image storage class update is not supported: " + why, digest);
  };
  std::string status;
  if (target == "ARCHIVE") {
    if (image->image_status != "ACTIVE") throw unsupported("the image is " + image->image_status);
    if (store.IsReferenced(repo.id, digest))
      throw unsupported("an image index in the repository refers to the image");
    store.ArchiveImage(repo.id, digest, now);
    status = "ARCHIVED";
  } else {
    if (image->image_status != "ARCHIVED") throw unsupported("the image is " + image->image_status);
    store.StartActivation(repo.id, digest, now + restore_seconds);
    status = "ACTIVATING";
  }
  tx.Commit();
  return {digest, status};
}

int64_t ImageService::FinishRestores(double now) {
  auto lease = database_.Acquire();
  return ImageStore(lease.db()).FinishActivations(now);
}

std::optional<double> ImageService::NextRestore() {
  auto lease = database_.Acquire();
  return ImageStore(lease.db()).NextActivation();
}

}  // namespace berth::ecr
