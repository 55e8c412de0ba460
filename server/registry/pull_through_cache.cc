#include "server/registry/pull_through_cache.h"

#include <chrono>
#include <condition_variable>
#include <unistd.h>

#include "server/ecr/digest.h"
#include "server/ecr/image_error.h"
#include "server/ecr/manifest.h"
#include "server/registry/registry_error.h"
#include "server/registry/registry_support.h"
#include "server/util/log.h"
#include "storage/ecr_store.h"
#include "storage/image_store.h"
#include "storage/pull_through_store.h"

namespace berth::registry {

using upstream::UpstreamError;

// One blob transfer from the upstream into an upload session, and what the
// responses streaming it need: the file it grows in and how far it got.
struct PullThroughCache::Fetch {
  std::string key;
  std::string uuid;
  int64_t repository_id = 0;
  std::string digest;
  std::shared_ptr<const int> fd;  // the upload file, open for reading

  std::mutex mutex;
  std::condition_variable changed;
  uint64_t written = 0;                // guarded by mutex
  bool received = false;               // guarded by mutex; every byte is in the file
  bool finished = false;               // guarded by mutex; stored (or failed)
  bool ok = false;                     // guarded by mutex
  std::optional<RegistryError> error;  // guarded by mutex; when finished and not ok
  std::thread thread;
};

namespace {

constexpr std::string_view kAuthFailed =
    "The authentication to the upstream registry failed. Verify that the credentials provided "
    "in the pull through cache rule are correct, and try again.";
constexpr size_t kPieceBytes = 1 << 20;

RegistryError Translate(const UpstreamError& e) {
  switch (e.kind()) {
    case UpstreamError::Kind::kUnauthorized:
      return RegistryError("DENIED", std::string(kAuthFailed), e.what());
    case UpstreamError::Kind::kNotFound:
      return RegistryError("MANIFEST_UNKNOWN", "Requested image not found", e.what());
    default:
      return RegistryError("MANIFEST_UNKNOWN", "Requested image not found",
                           std::string("upstream registry unavailable: ") + e.what());
  }
}

std::string AcceptAll() {
  return std::string(ecr::kOciIndex) + ", " + std::string(ecr::kDockerManifestList) + ", " +
         std::string(ecr::kOciManifest) + ", " + std::string(ecr::kDockerManifest);
}

// Streams a fetch's bytes to one client as they land in the upload file.
class FetchProducer final : public http::BodyProducer {
 public:
  explicit FetchProducer(std::shared_ptr<PullThroughCache::Fetch> fetch)
      : fetch_(std::move(fetch)) {}

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
  std::shared_ptr<PullThroughCache::Fetch> fetch_;
  uint64_t offset_ = 0;
};

}  // namespace

PullThroughCache::~PullThroughCache() {
  // Each fetch sees stopping_ at its next piece and ends; its thread then
  // moves itself to threads_.
  stopping_ = true;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (fetches_.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mutex_);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void PullThroughCache::PrepareManifest(const storage::Partition& registry, const std::string& name,
                                       const std::string& reference) {
  const auto source = rules_.SourceFor(registry, name);
  if (!source) return;
  const bool by_digest = reference.find(':') != std::string::npos;
  const double now = clock_.Now();
  std::optional<storage::RepositoryRecord> repo;
  std::optional<std::string> tagged;
  std::optional<double> checked;
  {
    auto lease = database_.Acquire();
    repo = storage::EcrStore(lease.db(), registry).FindRepository(name);
    if (repo && !by_digest) {
      tagged = storage::ImageStore(lease.db()).FindTag(repo->id, reference);
      checked = storage::PullThroughStore(lease.db(), registry).TagCheckedAt(repo->id, reference);
    }
  }
  // An uncached digest is not imported (ECR imports on tag pulls only).
  if (by_digest) return;
  if (tagged) {
    const bool fresh = checked && now - *checked < rules_.refresh_seconds();
    if (fresh ||
        ecr::IsTagImmutable(reference, repo->tag_mutability, repo->mutability_exclusions)) {
      return;
    }
    try {
      Import(registry, name, reference, *source);
    } catch (const std::exception& e) {
      // A failed re-check serves the cached image.
      log::Warn("pull-through: re-checking " + name + ":" + reference +
                " upstream failed; serving the cached image: " + e.what());
    }
    return;
  }
  Import(registry, name, reference, *source);
}

void PullThroughCache::Import(const storage::Partition& registry, const std::string& name,
                              const std::string& reference, const ecr::UpstreamSource& source) {
  if (!source.credential_problem.empty()) {
    throw RegistryError("DENIED", std::string(kAuthFailed), source.credential_problem);
  }
  upstream::RegistryClient& client = rules_.client();
  upstream::Manifest top;
  std::vector<std::pair<std::string, upstream::Manifest>> children;
  try {
    top = client.GetManifest(source.endpoint, source.repository, reference, AcceptAll());
    const ecr::Manifest parsed = ecr::ParseManifest(top.bytes, top.media_type);
    for (const auto& child : parsed.manifests) {
      upstream::Manifest m =
          client.GetManifest(source.endpoint, source.repository, child.digest, AcceptAll());
      if (ecr::Sha256Digest(m.bytes) != child.digest) {
        throw RegistryError("MANIFEST_INVALID", "the upstream's manifest does not match its digest",
                            child.digest);
      }
      children.emplace_back(child.digest, std::move(m));
    }
  } catch (const UpstreamError& e) {
    throw Translate(e);
  } catch (const ecr::ImageError& e) {
    throw RegistryError("MANIFEST_INVALID",
                        std::string("the upstream's manifest cannot be cached: ") + e.what());
  }
  const double now = clock_.Now();
  try {
    templates_.CreateFromTemplate(registry, name, ecr::kPullThroughCache, now);
  } catch (const ecr::TemplateCreationError& e) {
    throw RegistryError("NAME_UNKNOWN",
                        "The repository with name '" + name +
                            "' does not exist in the registry with id '" + registry.account_id +
                            "'",
                        e.what());
  }
  for (const auto& [digest, m] : children) {
    images_.PutManifest(registry, name, digest, m.bytes, m.media_type, now,
                        ecr::PutMode::kPullThrough);
  }
  const auto stored = images_.PutManifest(registry, name, reference, top.bytes, top.media_type, now,
                                          ecr::PutMode::kPullThrough);
  auto lease = database_.Acquire();
  const auto repo = storage::EcrStore(lease.db(), registry).FindRepository(name);
  if (repo) storage::PullThroughStore(lease.db(), registry).SetTagChecked(repo->id, reference, now);
  log::Info("pull-through: cached " + name + ":" + reference + " (" + stored.digest + ") from " +
            source.endpoint.base_url + "/" + source.repository);
}

std::optional<http::Response> PullThroughCache::ServeBlob(const storage::Partition& registry,
                                                          const std::string& name,
                                                          const std::string& digest, bool head) {
  std::optional<storage::RepositoryRecord> repo;
  {
    auto lease = database_.Acquire();
    repo = storage::EcrStore(lease.db(), registry).FindRepository(name);
    if (!repo) return std::nullopt;
    storage::ImageStore store(lease.db());
    if (store.RepositoryBlobSize(repo->id, digest)) return std::nullopt;
    if (!store.IsReferenced(repo->id, digest)) return std::nullopt;
    if (store.BlobSize(digest)) {
      // Fetched before for another repository: share it.
      store.LinkBlob(repo->id, digest, clock_.Now());
      return std::nullopt;
    }
  }
  const auto source = rules_.SourceFor(registry, name);
  if (!source) return std::nullopt;
  if (!source.value().credential_problem.empty()) {
    throw RegistryError("DENIED", std::string(kAuthFailed), source->credential_problem);
  }
  const std::shared_ptr<Fetch> fetch = StartFetch(registry, repo->id, digest, *source);
  {
    // Answer only once the upstream has sent something (or refused).
    std::unique_lock lock(fetch->mutex);
    fetch->changed.wait_for(lock, std::chrono::seconds(head ? 600 : 30),
                            [&] { return fetch->finished || (!head && fetch->written > 0); });
    if (fetch->finished && !fetch->ok && fetch->error) throw *fetch->error;
    if (head) return std::nullopt;  // local now: the normal path describes it
  }
  http::Response res = Reply(200);
  res.headers.Add("Docker-Content-Digest", digest);
  res.headers.Add("Content-Type", "application/octet-stream");
  res.producer = std::make_shared<FetchProducer>(fetch);
  return res;
}

std::shared_ptr<PullThroughCache::Fetch> PullThroughCache::StartFetch(
    const storage::Partition& registry, int64_t repository_id, const std::string& digest,
    const ecr::UpstreamSource& source) {
  (void)registry;
  const std::string key = std::to_string(repository_id) + "/" + digest;
  std::lock_guard lock(mutex_);
  if (const auto it = fetches_.find(key); it != fetches_.end()) return it->second;
  // Threads of finished fetches are collected here.
  for (auto it = threads_.begin(); it != threads_.end();) {
    it->join();
    it = threads_.erase(it);
  }
  auto fetch = std::make_shared<Fetch>();
  fetch->key = key;
  fetch->repository_id = repository_id;
  fetch->digest = digest;
  const double now = clock_.Now();
  fetch->uuid = uploads_.Start(repository_id, now).uuid;
  auto region = http::OpenFileRegion(images_.blobs().UploadPath(fetch->uuid).string(), 0, 0);
  if (!region) throw RegistryError("UNKNOWN", "cannot open the pull-through download file");
  fetch->fd = region->fd;
  fetches_[key] = fetch;
  fetch->thread = std::thread([this, fetch, source] {
    std::optional<RegistryError> error;
    bool ok = false;
    try {
      auto writer = uploads_.OpenWriter(fetch->uuid, fetch->repository_id, clock_.Now());
      const bool complete = rules_.client().GetBlob(source.endpoint, source.repository,
                                                    fetch->digest, [&](std::string_view piece) {
                                                      if (stopping_ || !writer->Write(piece))
                                                        return false;
                                                      {
                                                        std::lock_guard fetch_lock(fetch->mutex);
                                                        fetch->written = writer->size();
                                                      }
                                                      fetch->changed.notify_all();
                                                      return true;
                                                    });
      writer.reset();
      if (!complete) throw RegistryError("UNKNOWN", "the blob download was interrupted");
      {
        std::lock_guard fetch_lock(fetch->mutex);
        fetch->received = true;
      }
      fetch->changed.notify_all();
      uploads_.Complete(fetch->uuid, fetch->repository_id, fetch->digest, clock_.Now());
      ok = true;
    } catch (const UpstreamError& e) {
      error =
          e.kind() == UpstreamError::Kind::kUnauthorized
              ? RegistryError("DENIED", std::string(kAuthFailed), e.what())
              : RegistryError("BLOB_UNKNOWN", "blob unknown to the upstream registry", e.what());
    } catch (const RegistryError& e) {
      error = e;
    } catch (const std::exception& e) {
      error = RegistryError("BLOB_UNKNOWN", "the upstream blob could not be stored", e.what());
    }
    if (!ok) {
      log::Warn("pull-through: fetching " + fetch->digest +
                " failed: " + (error ? error->detail() : std::string()));
      try {
        uploads_.Cancel(fetch->uuid, fetch->repository_id);
      } catch (const std::exception&) {
        // Already ended (Complete ends a session on a digest mismatch).
      }
    }
    {
      std::lock_guard fetch_lock(fetch->mutex);
      fetch->finished = true;
      fetch->ok = ok;
      fetch->error = error;
    }
    fetch->changed.notify_all();
    std::lock_guard cache_lock(mutex_);
    fetches_.erase(fetch->key);
    // The thread object moves to threads_, joined by the next fetch or the destructor.
    threads_.push_back(std::move(fetch->thread));
  });
  return fetch;
}

}  // namespace berth::registry
