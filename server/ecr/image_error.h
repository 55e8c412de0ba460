#pragma once

// What can go wrong with images and blobs, independent of the protocol that
// asked: the registry turns an ImageError into its {"errors":[...]} reply
// (MANIFEST_BLOB_UNKNOWN, TAG_INVALID, ...), the ECR JSON API into the
// matching AWS exception (LayersNotFoundException,
// ImageTagAlreadyExistsException, ...).

#include <stdexcept>
#include <string>

namespace berth::ecr {

class ImageError : public std::runtime_error {
 public:
  enum class Kind {
    kRepositoryNotFound,    // no such repository
    kNameInvalid,           // repository name breaks the naming rules
    kManifestInvalid,       // unparsable or inconsistent manifest
    kMediaTypeMismatch,     // PutImage's imageManifestMediaType contradicts the manifest
    kManifestBlobUnknown,   // a config or layer the manifest names is missing (detail: digest)
    kManifestChildUnknown,  // a manifest an index names is missing (detail: digest)
    kManifestUnknown,       // no image with that tag or digest
    kManifestTooLarge,      // over the 4 MiB ECR accepts
    kDigestInvalid,         // malformed digest, or content that does not match it
    kTagInvalid,            // malformed tag
    kTagImmutable,          // the tag exists on another image in an immutable repository
    kImageAlreadyExists,    // PutImage of an image and tag that are already there
    kReferencedByIndex,     // deleting an image an index in the repository still names
    kBlobUnknown,           // no such blob in the repository
    kUploadUnknown,         // no such upload session
    kUploadBusy,            // another request is writing to the session
    kRangeInvalid,          // a chunk that does not continue the upload
    kSizeInvalid,           // the body is not the announced size
    kUnsupported,           // valid but not supported (e.g. an unknown digest algorithm)
    kStorage,               // the server could not store the data
    kClassUnsupported,      // UpdateImageStorageClass cannot move the image there
  };

  ImageError(Kind kind, const std::string& message, std::string detail = "")
      : std::runtime_error(message), kind_(kind), detail_(std::move(detail)) {}

  Kind kind() const noexcept { return kind_; }
  // Machine-readable detail, e.g. the missing digest.
  const std::string& detail() const noexcept { return detail_; }

 private:
  Kind kind_;
  std::string detail_;
};

}  // namespace berth::ecr
