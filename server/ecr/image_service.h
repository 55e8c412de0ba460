#pragma once

// ECR images over the blob store and SQLite, shared by the registry protocol
// (docker push/pull) and the ECR JSON API (PutImage, BatchDeleteImage, ...):
// storing manifests with every check a registry owes (referenced blobs and
// child manifests exist in the repository, digests match, tags are valid and
// respect immutability), serving them, tags, referrers, deleting images and
// collecting the blobs nothing refers to any more.
//
// Blob garbage collection, mark and sweep with a grace period:
//  * A blob row exists for every verified blob file; a repository may serve
//    a blob while it has a link to it (ecr_repository_blobs). Uploads
//    (complete, mount) and manifest PUTs add or refresh the link in the same
//    transaction that checks what the manifest names.
//  * Deleting an image (BatchDeleteImage, registry DELETE, lifecycle
//    expiry) removes its rows and marks the links of the blobs no image of
//    the repository still refers to as unreferenced since now. Nothing is
//    unlinked or removed yet: a push in flight that saw the layer (HEAD) and
//    skipped its upload can still name it in its manifest.
//  * CollectOrphans(before) (the maintenance sweep, grace one hour) unlinks
//    links still unreferenced whose stamp -- or, for a blob uploaded but never
//    referenced, whose upload -- is older than `before`, then removes the
//    blobs no link, manifest or image mentions. Every batch re-checks under
//    the lease, and blob files are created (commit of an upload or manifest)
//    and removed only while holding the database lease, so a manifest PUT
//    either sees the link and keeps the blob, or misses it and is refused
//    (MANIFEST_BLOB_UNKNOWN); no stored manifest ever loses a blob.
//  * DeleteRepository drops the repository's links at once; its blobs go as
//    soon as no other repository links them.
//
// Thread-safety: every method may be called from any thread.

#include <cstdint>
#include <functional>
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
// PutImage refuses an image (and tag) that is already there. A pull-through
// import stores a manifest whose blobs are fetched from the upstream later,
// on first use.
enum class PutMode { kRegistry, kPutImage, kPullThrough };

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

class UploadService;

// UpdateImageStorageClass's outcome.
struct StorageClassChange {
  std::string digest;
  std::string status;  // ARCHIVED or ACTIVATING
};

// Told about every manifest stored in a repository (registry PUT or
// PutImage), after its transaction committed and with no database lease
// held. `tag` is empty for a push by digest. Must not throw: the push has
// succeeded whatever the listener does.
class PushListener {
 public:
  virtual ~PushListener() = default;
  virtual void ManifestPushed(const storage::Partition& registry, const std::string& repository,
                              const std::string& digest, const std::string& tag,
                              double now) noexcept = 0;
};

// An image as the ECR API names it: by digest, by tag, or by both (which must
// then agree).
struct ImageId {
  std::optional<std::string> digest;
  std::optional<std::string> tag;
};

// Why one image id of a batch call (BatchGetImage, BatchDeleteImage) was
// refused; the API turns it into ECR's failure code and reason.
enum class ImageIdFailure {
  kMissingDigestAndTag,   // neither digest nor tag
  kInvalidDigest,         // the digest is malformed
  kInvalidTag,            // the tag breaks the registry rule
  kNotFound,              // no such image (or tag) in the repository
  kTagDigestMismatch,     // the tag names a different digest
  kReferencedByIndex,     // an index in the repository still names the image
  kMediaTypeNotAccepted,  // the stored manifest type is not among the accepted ones
  kArchived,              // the image is ARCHIVED or ACTIVATING (cannot be pulled)
};

struct RefusedImageId {
  ImageId id;  // as requested
  ImageIdFailure failure;
};

// BatchGetImage: the manifests found and the ids refused.
struct FetchedImage {
  ImageId id;  // the digest always, the tag when the request named one
  ManifestContent manifest;
};
struct FetchedImages {
  std::vector<FetchedImage> images;
  std::vector<RefusedImageId> failures;
};

// BatchDeleteImage: what each accepted id removed, and the ids refused.
struct DeletedImages {
  std::vector<DeletedImage> deleted;
  std::vector<RefusedImageId> failures;
};

// One page of a listing. `next` is the key to resume after (empty on the
// last page); the API wraps it into an opaque token.
template <class T>
struct ImagePage {
  std::vector<T> items;
  std::string next;
};

// A blob as BatchCheckLayerAvailability sees it.
struct LayerCheck {
  std::string digest;
  bool valid = false;           // a well-formed digest
  std::optional<int64_t> size;  // set when the repository can serve it
};

// A blob the repository can serve, and whether an image there refers to it.
struct LayerInfo {
  int64_t size = 0;
  bool referenced = false;
};

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
  // pull (when `record_pull`) unless `puller` (a principal ARN) is on the
  // registry's pull-time update exclusion list. Throws ImageError
  // (kRepositoryNotFound, kManifestUnknown).
  ManifestContent GetManifest(const storage::Partition& registry, const std::string& repository,
                              std::string_view reference, std::string_view accept, double now,
                              bool record_pull, std::string_view puller = {});

  // Registry DELETE: by digest removes the image and its tags, by tag only
  // the tag. Throws ImageError.
  void DeleteManifest(const storage::Partition& registry, const std::string& repository,
                      std::string_view reference, double now);

  // BatchDeleteImage for one image id: by tag removes that tag (and the
  // image with its last tag), by digest the image and all its tags, by both
  // they must agree. Throws ImageError.
  DeletedImage DeleteImage(storage::Db& db, int64_t repository_id,
                           const std::optional<std::string>& digest,
                           const std::optional<std::string>& tag, double now, DoomedBlobs& doomed);

  // Tags in order after `last`, at most `limit` (+1 to tell if more remain).
  std::vector<std::string> Tags(const storage::Partition& registry, const std::string& repository,
                                std::string_view last, size_t limit);
  std::vector<storage::ImageRecord> Referrers(const storage::Partition& registry,
                                              const std::string& repository,
                                              std::string_view subject_digest);

  // The size of a blob the repository may serve, or ImageError kBlobUnknown.
  int64_t BlobSize(const storage::Partition& registry, const std::string& repository,
                   std::string_view digest);

  // Removes every image of a repository and collects what it leaves behind
  // (DeleteRepository --force), inside the caller's transaction.
  void PurgeRepository(storage::Db& db, int64_t repository_id, DoomedBlobs& doomed);

  // Stamps the repository's links to the `digests` no image there refers to
  // as unreferenced since `now` (CollectGarbage removes them after the grace
  // period), and drops the rows of blobs nothing links or refers to anywhere
  // (adding them to `doomed`).
  void Collect(storage::Db& db, int64_t repository_id, const std::vector<std::string>& digests,
               double now, DoomedBlobs& doomed);
  // Removes the files of `doomed` blobs; call after the commit.
  void RemoveFiles(const DoomedBlobs& doomed);

  // The garbage collector's sweep: unlinks repository links no image refers
  // to that went unreferenced (or, never referenced, were added) before
  // `before`, then removes the blobs linked nowhere and referenced by
  // nothing, created before `before`. Works in batches of kSweepBatch, each
  // under its own lease. Returns how many blobs were removed.
  size_t CollectOrphans(double before);
  static constexpr size_t kSweepBatch = 500;

  // UpdateImageStorageClass: ARCHIVE moves an ACTIVE image to ARCHIVED;
  // STANDARD moves an ARCHIVED image to ACTIVATING until now +
  // `restore_seconds` (FinishRestores makes it ACTIVE). Returns the image's
  // digest and new status. Throws ImageError kRepositoryNotFound, kManifestUnknown (worded
  // as ImageNotFoundException), kClassUnsupported (already in that
  // class, restoring, or an image an index refers to).
  StorageClassChange UpdateStorageClass(const storage::Partition& registry,
                                        const std::string& repository, const ImageId& id,
                                        const std::string& target, double now,
                                        double restore_seconds);
  // Makes ACTIVE the images whose restore is due; returns how many.
  int64_t FinishRestores(double now);
  // When the next restore is due, if one is in progress.
  std::optional<double> NextRestore();

  // Called after every manifest stored (registry PUT, PutImage) with the
  // repository's id, after the commit but still under the database lease:
  // it must not take the lease (it only queues work). Set during wiring,
  // before serving.
  void SetPushObserver(std::function<void(int64_t repository_id)> observer) {
    push_observer_ = std::move(observer);
  }

  // --- The ECR JSON API's image operations. Each takes its own lease and
  // throws ImageError kRepositoryNotFound for an unknown repository.

  // PutImage: stores `bytes` as ECR does. `media_type` is
  // imageManifestMediaType (empty when absent), `tag` and `digest` may be
  // empty. Throws ImageError: kDigestInvalid only when `digest` is not the
  // sha256 digest of `bytes`; kManifestInvalid for anything wrong with the
  // manifest (message "Invalid JSON syntax" when it is not JSON, or names no
  // media type and none was given); kTagInvalid, kManifestBlobUnknown,
  // kManifestChildUnknown, kImageAlreadyExists, kTagImmutable, kStorage.
  PutManifestResult PutImage(const storage::Partition& registry, const std::string& repository,
                             std::string_view bytes, std::string_view media_type,
                             const std::string& tag, const std::string& digest, double now);

  // BatchGetImage: the manifest of each id (an empty `accepted` list accepts
  // every type), recording a pull of each image served.
  // `puller` as for GetManifest.
  FetchedImages GetImages(const storage::Partition& registry, const std::string& repository,
                          const std::vector<ImageId>& ids, const std::vector<std::string>& accepted,
                          double now, std::string_view puller = {});

  // BatchDeleteImage: DeleteImage for every id in one transaction, then
  // removes the files of the blobs nothing refers to any more.
  DeletedImages DeleteImages(const storage::Partition& registry, const std::string& repository,
                             const std::vector<ImageId>& ids, double now);

  // ListImages: one id per (digest, tag) pair of tagged images and one
  // digest-only id per untagged image, ordered by digest then tag.
  // `tagged`: true only tagged images, false only untagged, nullopt all.
  // `after` is a `next` of an earlier page (empty for the first).
  // `status`: only images with that imageStatus, nullopt every status.
  ImagePage<ImageId> ListImageIds(const storage::Partition& registry, const std::string& repository,
                                  std::optional<bool> tagged, std::string_view after, size_t limit,
                                  const std::optional<std::string>& status = "ACTIVE");
  // DescribeImages without ids: images ordered by digest, with tags.
  ImagePage<storage::ImageRecord> ListImageRecords(
      const storage::Partition& registry, const std::string& repository, std::optional<bool> tagged,
      std::string_view after, size_t limit, const std::optional<std::string>& status = "ACTIVE");
  // DescribeImages with ids: the image of each id, once per digest, in the
  // order asked. Throws ImageError kManifestUnknown for the first id that
  // names nothing, worded as ECR's ImageNotFoundException.
  std::vector<storage::ImageRecord> DescribeImages(const storage::Partition& registry,
                                                   const std::string& repository,
                                                   const std::vector<ImageId>& ids);
  // The image one id names (DescribeImageScanFindings); errors as
  // DescribeImages.
  storage::ImageRecord FindImage(const storage::Partition& registry, const std::string& repository,
                                 const ImageId& id);
  // StartImageScan: records a completed scan of the image `id` names and
  // returns the image. Errors as DescribeImages.
  storage::ImageRecord ScanImage(const storage::Partition& registry, const std::string& repository,
                                 const ImageId& id, double now);

  // ListImageReferrers: manifests whose subject is `subject_digest`, ordered
  // by digest, keeping those whose artifact type (ArtifactType) is one of
  // `artifact_types` when that list is not empty. Throws ImageError
  // kDigestInvalid for a malformed subject digest.
  ImagePage<storage::ImageRecord> ListReferrers(const storage::Partition& registry,
                                                const std::string& repository,
                                                std::string_view subject_digest,
                                                const std::vector<std::string>& artifact_types,
                                                std::string_view after, size_t limit);

  // BatchCheckLayerAvailability: each digest checked against the
  // repository's blobs, in the order given.
  std::vector<LayerCheck> CheckLayers(const storage::Partition& registry,
                                      const std::string& repository,
                                      const std::vector<std::string>& digests);
  // GetDownloadUrlForLayer: the blob, if the repository can serve it.
  std::optional<LayerInfo> FindLayer(const storage::Partition& registry,
                                     const std::string& repository, std::string_view digest);

  // The upload service that registered itself (UploadService's constructor
  // does), for the ECR layer API. Attach during wiring, before serving.
  void AttachUploads(UploadService* uploads) { uploads_ = uploads; }
  void DetachUploads(const UploadService* uploads) {
    if (uploads_ == uploads) uploads_ = nullptr;
  }
  UploadService& uploads();

  // Listeners told of every push (replication, signing). Add and remove
  // during wiring, before serving or after it stopped.
  void AddPushListener(PushListener* listener) { push_listeners_.push_back(listener); }
  void RemovePushListener(const PushListener* listener) { std::erase(push_listeners_, listener); }

 private:
  // PutManifest without telling the listeners.
  PutManifestResult StoreManifest(const storage::Partition& registry, const std::string& repository,
                                  std::string_view reference, std::string_view bytes,
                                  std::string_view content_type, double now, PutMode mode);

  storage::Database& database_;
  storage::BlobStore& blobs_;
  UploadService* uploads_ = nullptr;
  std::function<void(int64_t)> push_observer_;
  std::vector<PushListener*> push_listeners_;
};

// The artifact type of a referrer as the OCI referrers API reports it: the
// manifest's artifactType, else its config's media type.
std::optional<std::string> ArtifactType(const storage::ImageRecord& image);
// "{imageDigest:'D', imageTag:'T'}" with 'null' for what is absent, as ECR
// names an image id in its messages.
std::string DescribeImageId(const ImageId& id);

// Registry tag rule: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
bool IsValidTag(std::string_view tag);
// Throws ImageError kTagInvalid unless IsValidTag(tag).
void RequireValidTag(std::string_view tag);
// Whether `tag` may not move to another image in a repository with this
// mutability setting and exclusion filters (a JSON array, or nullopt).
bool IsTagImmutable(std::string_view tag, std::string_view mutability,
                    const std::optional<std::string>& exclusions);
// ECR's wildcard match: '*' matches any run of characters.
bool WildcardMatch(std::string_view pattern, std::string_view text);

}  // namespace berth::ecr
