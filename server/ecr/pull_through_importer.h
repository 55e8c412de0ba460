#pragma once

// The import side of ECR's pull-through cache, shared by the registry
// protocol (docker pull) and the ECR API (BatchGetImage,
// GetDownloadUrlForLayer). Before a manifest is served, a tag under a
// pull-through cache rule is imported from the upstream registry when the
// repository or tag is not cached yet, or when the tag was last checked
// upstream `refresh_seconds` ago (a failed re-check keeps the cached image).
// The repository is created from the matching creation template
// (PULL_THROUGH_CACHE) or with the defaults. An index comes with every child
// manifest. Blobs are fetched on first request into an upload session
// (hashed on the way), which is verified and committed as the repository's
// blob when the transfer ends; callers may read the growing file meanwhile.
// Failures are UpstreamImportError; each caller maps them to its protocol.
//
// Thread-safety: every method may be called from any thread; one fetch per
// blob and repository at a time (requests for a blob being fetched share
// that fetch).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "server/ecr/creation_templates.h"
#include "server/ecr/image_service.h"
#include "server/ecr/pull_through_rules.h"
#include "server/ecr/upload_service.h"
#include "server/util/clock.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecr {

// Why an import from the upstream failed, by category; what() is the
// detail (for logs and messages).
class UpstreamImportError : public std::runtime_error {
 public:
  enum class Kind {
    kSecretUnreadable,  // the rule's secret cannot be read (see SecretsFile)
    kDenied,            // the upstream refused the rule's credentials
    kNotFound,          // the upstream has no such image or blob
    kTooManyRequests,   // the upstream's rate limit
    kUnavailable,       // unreachable, or it answered unexpectedly
    kNameUnknown,       // the repository could not be created (its template failed)
    kInvalid,           // the upstream's manifest cannot be cached
    kFailed,            // the blob could not be stored (interrupted, digest mismatch)
  };
  UpstreamImportError(Kind kind, const std::string& detail)
      : std::runtime_error(detail), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

// One blob transfer from the upstream into an upload session: the file it
// grows in and how far it got. Readers wait on `changed`.
struct BlobFetch {
  std::string key;
  std::string uuid;
  int64_t repository_id = 0;
  std::string digest;
  std::shared_ptr<const int> fd;  // the upload file, open for reading

  std::mutex mutex;
  std::condition_variable changed;
  uint64_t written = 0;                      // guarded by mutex
  bool received = false;                     // guarded by mutex; every byte is in the file
  bool finished = false;                     // guarded by mutex; stored (or failed)
  bool ok = false;                           // guarded by mutex
  std::optional<UpstreamImportError> error;  // guarded by mutex; when finished and not ok
  std::thread thread;
};

class PullThroughImporter {
 public:
  PullThroughImporter(PullThroughRules& rules, CreationTemplates& templates, ImageService& images,
                      UploadService& uploads, storage::Database& database, const Clock& clock)
      : rules_(rules),
        templates_(templates),
        images_(images),
        uploads_(uploads),
        database_(database),
        clock_(clock) {}
  PullThroughImporter(const PullThroughImporter&) = delete;
  PullThroughImporter& operator=(const PullThroughImporter&) = delete;
  // Stops the fetches in progress and waits for their threads.
  ~PullThroughImporter();

  // Whether a pull-through cache rule covers the repository `name`.
  bool Covers(const storage::Partition& registry, const std::string& name) {
    return rules_.SourceFor(registry, name).has_value();
  }

  // Whether the repository `name` exists.
  bool RepositoryExists(const storage::Partition& registry, const std::string& name);

  // Makes sure the manifest `reference` of `name` is cached when a rule
  // covers the name (nothing happens otherwise, nor for an uncached digest:
  // ECR imports on tag pulls only). Returns whether a rule covers the name.
  // Throws UpstreamImportError (never for a failed re-check of a cached tag).
  bool PrepareManifest(const storage::Partition& registry, const std::string& name,
                       const std::string& reference);

  // Starts (or joins) the fetch of a blob the repository's images name but
  // that was never fetched; nullptr when the blob is local (a blob another
  // repository fetched is linked), unknown to the repository, or no rule
  // covers the name. Throws UpstreamImportError(kSecretUnreadable) when the rule's
  // secret cannot be read.
  std::shared_ptr<BlobFetch> FetchBlob(const storage::Partition& registry, const std::string& name,
                                       const std::string& digest);

  // Waits until `fetch` has stored its blob; throws its UpstreamImportError
  // when it failed.
  static void AwaitStored(BlobFetch& fetch);

 private:
  // Imports tag `reference` from the upstream; throws as PrepareManifest.
  void Import(const storage::Partition& registry, const std::string& name,
              const std::string& reference, const UpstreamSource& source);
  std::shared_ptr<BlobFetch> StartFetch(int64_t repository_id, const std::string& digest,
                                        const UpstreamSource& source);

  PullThroughRules& rules_;
  CreationTemplates& templates_;
  ImageService& images_;
  UploadService& uploads_;
  storage::Database& database_;
  const Clock& clock_;

  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<BlobFetch>> fetches_;  // by repository id + digest
  std::vector<std::thread> threads_;                           // guarded by mutex_
  std::atomic<bool> stopping_{false};
};

// Why the rule's upstream refuses its credentials, in ECR's words.
inline constexpr std::string_view kUpstreamAuthFailed =
    "The authentication to the upstream registry failed. Verify that the credentials provided "
    "in the pull through cache rule are correct, and try again.";

}  // namespace berth::ecr
