#pragma once

// ECR images in SQLite: which blobs exist and which repositories may serve
// them, images (one manifest each) with their tags and references, and
// upload sessions. One typed function per query; no AWS names.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/sqlite/db.h"

namespace berth::storage {

// One image: a manifest stored in a repository.
struct ImageRecord {
  int64_t repository_id = 0;
  std::string digest;
  std::string media_type;
  std::optional<std::string> artifact_media_type;  // the config's media type
  std::optional<std::string> artifact_type;        // the manifest's artifactType
  int64_t manifest_size = 0;
  int64_t image_size = 0;
  std::optional<std::string> subject_digest;
  std::optional<std::string> annotations;  // JSON object
  double pushed_at = 0;
  std::optional<double> last_pulled_at;
  std::optional<double> scanned_at;
  std::string image_status = "ACTIVE";  // ACTIVE, ARCHIVED, ACTIVATING
  std::optional<double> last_archived_at;
  std::optional<double> last_activated_at;
  std::vector<std::string> tags;  // sorted; filled by the queries that say so
};

// Something a manifest refers to: a blob (config, layer) or a manifest.
struct ImageReference {
  std::string child_digest;
  std::string kind;  // "blob" or "manifest"
};

// An upload session.
struct UploadRecord {
  std::string uuid;
  int64_t repository_id = 0;
  double started_at = 0;
  double updated_at = 0;
};

class ImageStore {
 public:
  explicit ImageStore(Db& db) : db_(db) {}

  // --- blobs
  // Records a verified blob (no-op when known).
  void AddBlob(std::string_view digest, int64_t size, double now);
  std::optional<int64_t> BlobSize(std::string_view digest);
  void LinkBlob(int64_t repository_id, std::string_view digest, double now);
  // The size of `digest` when the repository may serve it.
  std::optional<int64_t> RepositoryBlobSize(int64_t repository_id, std::string_view digest);
  void UnlinkBlob(int64_t repository_id, std::string_view digest);
  // True while any repository links the blob or any manifest refers to it.
  bool BlobInUse(std::string_view digest);
  void DeleteBlob(std::string_view digest);
  // Blobs linked to no repository and referred to by no image, added before
  // `before` (leftovers of abandoned pushes).
  std::vector<std::string> OrphanBlobs(double before);
  // Stamps the repository's link to `digest` as unreferenced since `now`
  // (its last referring image went); the link stays for the GC grace period.
  void MarkUnreferenced(int64_t repository_id, std::string_view digest, double now);
  // Links (repository id, digest) that no image of their repository refers
  // to or is, unreferenced (or, never referenced, added) before `before`.
  std::vector<std::pair<int64_t, std::string>> StaleLinks(double before);

  // --- images
  std::optional<ImageRecord> FindImage(int64_t repository_id, std::string_view digest);
  // FindImage without the tags (`tags` stays empty): for callers that only
  // need the image's own columns, whatever number of tags it carries.
  std::optional<ImageRecord> FindImageUntagged(int64_t repository_id, std::string_view digest);
  std::optional<std::string> FindTag(int64_t repository_id, std::string_view tag);
  // Inserts the image, or refreshes pushed_at when it exists (re-pushing an
  // archived image makes it ACTIVE again at once, stamping last_activated_at).
  void UpsertImage(const ImageRecord& image);
  void AddReferences(int64_t repository_id, std::string_view digest,
                     const std::vector<ImageReference>& references);
  std::vector<ImageReference> References(int64_t repository_id, std::string_view digest);
  // Digests of the manifests in the repository that refer to `digest`.
  std::vector<std::string> Parents(int64_t repository_id, std::string_view digest);
  // True when some manifest in the repository refers to `digest`.
  bool IsReferenced(int64_t repository_id, std::string_view digest);
  void SetTag(int64_t repository_id, std::string_view tag, std::string_view digest);
  void RemoveTag(int64_t repository_id, std::string_view tag);
  std::vector<std::string> TagsOf(int64_t repository_id, std::string_view digest);
  // Removes the image with its tags and references.
  void DeleteImage(int64_t repository_id, std::string_view digest);
  int64_t CountImages(int64_t repository_id);
  // Images ordered by digest after `after_digest` (exclusive), with tags.
  // `tagged`: true only tagged, false only untagged, nullopt all.
  // `status`: only images in that status (ACTIVE, ARCHIVED, ACTIVATING),
  // nullopt all.
  std::vector<ImageRecord> ListImages(int64_t repository_id, std::string_view after_digest,
                                      std::optional<bool> tagged, size_t limit,
                                      const std::optional<std::string>& status = std::nullopt);
  // Tags in byte order after `after` (exclusive).
  std::vector<std::string> ListTags(int64_t repository_id, std::string_view after, size_t limit);
  // Images whose subject is `subject_digest`.
  std::vector<ImageRecord> Referrers(int64_t repository_id, std::string_view subject_digest);
  // Records a pull. When the disk is full (SQLITE_FULL) the time stays as it
  // was and nothing is thrown: a read must not fail for its bookkeeping (ECR
  // itself refreshes the pull time only now and then).
  void TouchPulled(int64_t repository_id, std::string_view digest, double now);
  void SetScanned(int64_t repository_id, std::string_view digest, double now);
  // Storage classes: ACTIVE → ARCHIVED (stamps last_archived_at);
  // ARCHIVED → ACTIVATING until `until`; ACTIVATING → ACTIVE for every image
  // whose `until` is at or before `now` (stamps last_activated_at = until),
  // returning how many.
  void ArchiveImage(int64_t repository_id, std::string_view digest, double now);
  void StartActivation(int64_t repository_id, std::string_view digest, double until);
  int64_t FinishActivations(double now);
  // The earliest `until` of an activation in progress, if any.
  std::optional<double> NextActivation();
  // Every digest the repository's images and links mention (for deleting a
  // repository and collecting what it leaves behind).
  std::vector<std::string> RepositoryDigests(int64_t repository_id);

  // --- uploads
  void InsertUpload(const UploadRecord& upload);
  std::optional<UploadRecord> FindUpload(std::string_view uuid);
  void TouchUpload(std::string_view uuid, double now);
  void DeleteUpload(std::string_view uuid);
  std::vector<std::string> StaleUploads(double idle_before);

 private:
  Db& db_;
};

}  // namespace berth::storage
