#pragma once

// ECR images over the blob store and SQLite, shared by the registry protocol
// (docker push/pull) and the ECR JSON API (PutImage, BatchDeleteImage, ...):
// storing manifests with every check a registry owes (referenced blobs and
// child manifests exist in the repository, digests match, tags are valid and
// respect immutability), serving them, tags, referrers, deleting images and
// collecting the blobs nothing refers to any more.
//
// Thread-safety: every method may be called from any thread. Blob files are
// created and removed only while holding the database lease, so collecting
// garbage never races with a commit of the same digest.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/blob_store.h"
#include "storage/database.h"
#include "storage/image_store.h"
#include "storage/records.h"

namespace berth::ecr {

// How a manifest arrives: a registry PUT may repeat an existing push; ECR's
// PutImage refuses an image (and tag) that is already there.
enum class PutMode { kRegistry, kPutImage };

struct PutManifestResult {
  std::string digest;
  std::string media_type;
  std::optional<std::string> subject_digest;
};

// A manifest to serve.
struct ManifestContent {
  std::string digest;
  std::string media_type;
  std::string bytes;
};

// The outcome of deleting one image reference (BatchDeleteImage semantics).
struct DeletedImage {
  std::string digest;
  std::vector<std::string> tags;  // the tags that were removed
};

// Blob files to remove once the transaction that dropped their rows has
// committed (while the caller still holds the lease).
using DoomedBlobs = std::vector<std::string>;

class ImageService {
 public:
  ImageService(storage::Database& database, storage::BlobStore& blobs)
      : database_(database), blobs_(blobs) {}

  storage::BlobStore& blobs() { return blobs_; }

  // The repository, or ImageError kRepositoryNotFound.
  static storage::RepositoryRecord RequireRepository(storage::Db& db,
                                                     const storage::Partition& registry,
                                                     std::string_view name);

  // The repository, under a lease of its own; ImageError kRepositoryNotFound.
  storage::RepositoryRecord Repository(const storage::Partition& registry, std::string_view name);

  // Stores a manifest. `reference` is a tag, a digest (the bytes must match
  // it) or empty. `content_type` is what the client declared. Throws
  // ImageError.
  PutManifestResult PutManifest(const storage::Partition& registry, const std::string& repository,
                                std::string_view reference, std::string_view bytes,
                                std::string_view content_type, double now, PutMode mode);

  // The manifest a tag or digest names, if its type is acceptable. Records a
  // pull. Throws ImageError (kRepositoryNotFound, kManifestUnknown).
  ManifestContent GetManifest(const storage::Partition& registry, const std::string& repository,
                              std::string_view reference, std::string_view accept, double now,
                              bool record_pull);

  // Registry DELETE: by digest removes the image and its tags, by tag only
  // the tag. Throws ImageError.
  void DeleteManifest(const storage::Partition& registry, const std::string& repository,
                      std::string_view reference, double now);

  // BatchDeleteImage for one image id: by tag removes that tag (and the
  // image with its last tag), by digest the image and all its tags, by both
  // they must agree. Throws ImageError.
  DeletedImage DeleteImage(storage::Db& db, int64_t repository_id,
                           const std::optional<std::string>& digest,
                           const std::optional<std::string>& tag, DoomedBlobs& doomed);

  // Tags in order after `last`, at most `limit` (+1 to tell if more remain).
  std::vector<std::string> Tags(const storage::Partition& registry, const std::string& repository,
                                std::string_view last, size_t limit);
  std::vector<storage::ImageRecord> Referrers(const storage::Partition& registry,
                                              const std::string& repository,
                                              std::string_view subject_digest);

  // The size of a blob the repository may serve, or ImageError kBlobUnknown.
  int64_t BlobSize(const storage::Partition& registry, const std::string& repository,
                   std::string_view digest);
  // Unlinks a blob from the repository (registry blob DELETE).
  void DeleteBlob(const storage::Partition& registry, const std::string& repository,
                  std::string_view digest, double now);

  // Removes every image of a repository and collects what it leaves behind
  // (DeleteRepository --force), inside the caller's transaction.
  void PurgeRepository(storage::Db& db, int64_t repository_id, DoomedBlobs& doomed);

  // Unlinks from the repository the `digests` no image there refers to, and
  // drops the rows of blobs nothing refers to anywhere (adding them to
  // `doomed`).
  void Collect(storage::Db& db, int64_t repository_id, const std::vector<std::string>& digests,
               DoomedBlobs& doomed);
  // Removes the files of `doomed` blobs; call after the commit.
  void RemoveFiles(const DoomedBlobs& doomed);

  // Removes blobs linked nowhere and referenced by nothing, created before
  // `before` (abandoned pushes). Returns how many were removed.
  size_t CollectOrphans(double before);

 private:
  storage::Database& database_;
  storage::BlobStore& blobs_;
};

// Registry tag rule: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
bool IsValidTag(std::string_view tag);
// Whether `tag` may not move to another image in a repository with this
// mutability setting and exclusion filters (a JSON array, or nullopt).
bool IsTagImmutable(std::string_view tag, std::string_view mutability,
                    const std::optional<std::string>& exclusions);
// ECR's wildcard match: '*' matches any run of characters.
bool WildcardMatch(std::string_view pattern, std::string_view text);

}  // namespace berth::ecr
