#pragma once

// Content-addressed files for image blobs (layers, configs, manifests) and the
// upload files they are assembled in. Layout under the root:
//   blobs/<algorithm>/<first two hex digits>/<hex>   a complete, verified blob
//   uploads/<uuid>                                  an upload in progress
// Both live on one filesystem, so finishing an upload is an atomic rename: a
// blob file either does not exist or holds exactly the bytes of its digest.
// Which blobs exist and who may read them is recorded in SQLite (ImageStore);
// this class only moves bytes. Digests reaching it are already validated
// ("sha256:<64 hex>" / "sha512:<128 hex>"), never raw user input.
//
// Thread-safety: methods may be called from any thread; callers serialise
// the commit and removal of one digest (they hold the database lease).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/unique_fd.h"

namespace berth::storage {

class BlobStore {
 public:
  // Creates the directories under `root` when missing. Throws
  // std::filesystem::filesystem_error.
  explicit BlobStore(std::filesystem::path root);

  std::filesystem::path BlobPath(std::string_view digest) const;
  std::filesystem::path UploadPath(std::string_view uuid) const;

  // Size of the stored blob, or nullopt when there is no such file.
  std::optional<uint64_t> BlobSize(std::string_view digest) const;
  std::optional<uint64_t> UploadSize(std::string_view uuid) const;

  // Creates an empty upload file (truncating any leftover).
  void CreateUpload(std::string_view uuid);
  // The upload file opened for appending; an empty fd when it is gone.
  UniqueFd OpenUploadForAppend(std::string_view uuid) const;
  // Makes the finished upload the blob `digest`: data synced, then renamed
  // into place. When the blob already exists the upload is simply removed
  // (content addressing makes the commit idempotent). Throws
  // std::runtime_error on I/O failure.
  void CommitUpload(std::string_view uuid, std::string_view digest);
  // Writes `content` as blob `digest` the same atomic way (manifests, small
  // blobs). Throws std::runtime_error.
  void WriteBlob(std::string_view digest, std::string_view content);
  // The whole blob (for manifests and other small blobs); nullopt if missing.
  std::optional<std::string> ReadBlob(std::string_view digest) const;

  // Both are quiet when the file is already gone.
  void RemoveUpload(std::string_view uuid);
  void RemoveBlob(std::string_view digest);
  // Upload ids present on disk (for expiring abandoned ones).
  std::vector<std::string> ListUploads() const;
  // Removes every blob and upload (POST /_berth/reset).
  void Clear();

 private:
  std::filesystem::path root_;
};

}  // namespace berth::storage
