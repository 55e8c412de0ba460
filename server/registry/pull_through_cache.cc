#include "server/registry/pull_through_cache.h"

#include <chrono>
#include <unistd.h>

#include "server/registry/registry_error.h"
#include "server/registry/registry_support.h"

namespace berth::registry {

using ecr::BlobFetch;
using ecr::UpstreamImportError;
using ImportErrorKind = UpstreamImportError::Kind;

namespace {

constexpr size_t kPieceBytes = 1 << 20;

RegistryError ManifestError(const UpstreamImportError& e, const storage::Partition& registry,
                            const std::string& name) {
  switch (e.kind()) {
    case ImportErrorKind::kSecretUnreadable:
    case ImportErrorKind::kDenied:
      return RegistryError("DENIED", std::string(ecr::kUpstreamAuthFailed), e.what());
    case ImportErrorKind::kNameUnknown:
      return RegistryError("NAME_UNKNOWN",
                           "The repository with name '" + name +
                               "' does not exist in the registry with id '" + registry.account_id +
                               "'",
                           e.what());
    case ImportErrorKind::kInvalid:
      return RegistryError("MANIFEST_INVALID", e.what());
    case ImportErrorKind::kNotFound:
      return RegistryError("MANIFEST_UNKNOWN", "Requested image not found", e.what());
    default:
      return RegistryError("MANIFEST_UNKNOWN", "Requested image not found",
                           std::string("upstream registry unavailable: ") + e.what());
  }
}

RegistryError BlobError(const UpstreamImportError& e) {
  if (e.kind() == ImportErrorKind::kDenied || e.kind() == ImportErrorKind::kSecretUnreadable) {
    return RegistryError("DENIED", std::string(ecr::kUpstreamAuthFailed), e.what());
  }
  return RegistryError("BLOB_UNKNOWN", "blob unknown to the upstream registry", e.what());
}

// Streams a fetch's bytes to one client as they land in the upload file.
class FetchProducer final : public http::BodyProducer {
 public:
  explicit FetchProducer(std::shared_ptr<BlobFetch> fetch) : fetch_(std::move(fetch)) {}

  Piece Next() override {
    uint64_t written = 0;
    bool finished = false;
    {
      std::lock_guard lock(fetch_->mutex);
      written = fetch_->written;
      // The client need not wait for the commit: it checks the digest too.
      finished = fetch_->finished || fetch_->received;
    }
    Piece piece;
    if (written > offset_) {
      const uint64_t n = std::min<uint64_t>(written - offset_, kPieceBytes);
      piece.bytes.resize(n);
      const ssize_t got = ::pread(*fetch_->fd, piece.bytes.data(), n, static_cast<off_t>(offset_));
      if (got <= 0) {
        piece.bytes.clear();
        piece.last = true;  // the client's digest check tells it the body is short
        return piece;
      }
      piece.bytes.resize(static_cast<size_t>(got));
      offset_ += static_cast<uint64_t>(got);
      piece.next_in = std::chrono::milliseconds(0);
      return piece;
    }
    // Everything written was sent: the end, or wait for more.
    piece.last = finished;
    piece.next_in = std::chrono::milliseconds(2);
    return piece;
  }

 private:
  std::shared_ptr<BlobFetch> fetch_;
  uint64_t offset_ = 0;
};

}  // namespace

void PullThroughCache::PrepareManifest(const storage::Partition& registry, const std::string& name,
                                       const std::string& reference) {
  try {
    importer_.PrepareManifest(registry, name, reference);
  } catch (const UpstreamImportError& e) {
    throw ManifestError(e, registry, name);
  }
}

std::optional<http::Response> PullThroughCache::ServeBlob(const storage::Partition& registry,
                                                          const std::string& name,
                                                          const std::string& digest, bool head) {
  std::shared_ptr<BlobFetch> fetch;
  try {
    fetch = importer_.FetchBlob(registry, name, digest);
  } catch (const UpstreamImportError& e) {
    throw BlobError(e);
  }
  if (!fetch) return std::nullopt;
  {
    // Answer only once the upstream has sent something (or refused).
    std::unique_lock lock(fetch->mutex);
    fetch->changed.wait_for(lock, std::chrono::seconds(head ? 600 : 30),
                            [&] { return fetch->finished || (!head && fetch->written > 0); });
    if (fetch->finished && !fetch->ok && fetch->error) throw BlobError(*fetch->error);
    if (head) return std::nullopt;  // local now: the normal path describes it
  }
  http::Response res = Reply(200);
  res.headers.Add("Docker-Content-Digest", digest);
  res.headers.Add("Content-Type", "application/octet-stream");
  res.producer = std::make_shared<FetchProducer>(fetch);
  return res;
}

}  // namespace berth::registry
