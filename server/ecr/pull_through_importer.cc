#include "server/ecr/pull_through_importer.h"

#include <chrono>
#include <fcntl.h>
#include <unistd.h>

#include "server/ecr/digest.h"
#include "server/ecr/image_error.h"
#include "server/ecr/manifest.h"
#include "server/util/log.h"
#include "storage/ecr_store.h"
#include "storage/image_store.h"
#include "storage/pull_through_store.h"

namespace berth::ecr {

using upstream::UpstreamError;
using Kind = UpstreamImportError::Kind;

namespace {

UpstreamImportError Translate(const UpstreamError& e) {
  switch (e.kind()) {
    case UpstreamError::Kind::kUnauthorized:
      return {Kind::kDenied, e.what()};
    case UpstreamError::Kind::kNotFound:
      return {Kind::kNotFound, e.what()};
    case UpstreamError::Kind::kTooManyRequests:
      return {Kind::kTooManyRequests, e.what()};
    default:
      return {Kind::kUnavailable, e.what()};
  }
}

std::string AcceptAll() {
  return std::string(kOciIndex) + ", " + std::string(kDockerManifestList) + ", " +
         std::string(kOciManifest) + ", " + std::string(kDockerManifest);
}

std::shared_ptr<const int> OpenForReading(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  return {new int(fd), [](const int* p) {
            ::close(*p);
            delete p;
          }};
}

}  // namespace

PullThroughImporter::~PullThroughImporter() {
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

bool PullThroughImporter::RepositoryExists(const storage::Partition& registry,
                                           const std::string& name) {
  auto lease = database_.Acquire();
  return storage::EcrStore(lease.db(), registry).FindRepository(name).has_value();
}

bool PullThroughImporter::PrepareManifest(const storage::Partition& registry,
                                          const std::string& name, const std::string& reference) {
  const auto source = rules_.SourceFor(registry, name);
  if (!source) return false;
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
  if (by_digest) return true;
  if (tagged) {
    const bool fresh = checked && now - *checked < rules_.refresh_seconds();
    if (fresh || IsTagImmutable(reference, repo->tag_mutability, repo->mutability_exclusions)) {
      return true;
    }
    try {
      Import(registry, name, reference, *source);
    } catch (const std::exception& e) {
      // A failed re-check serves the cached image.
      log::Warn("pull-through: re-checking " + name + ":" + reference +
                " upstream failed; serving the cached image: " + e.what());
    }
    return true;
  }
  Import(registry, name, reference, *source);
  return true;
}

void PullThroughImporter::Import(const storage::Partition& registry, const std::string& name,
                                 const std::string& reference, const UpstreamSource& source) {
  if (!source.credential_problem.empty()) {
    throw UpstreamImportError(Kind::kSecretUnreadable, source.credential_problem);
  }
  upstream::RegistryClient& client = rules_.client();
  upstream::Manifest top;
  std::vector<std::pair<std::string, upstream::Manifest>> children;
  try {
    top = client.GetManifest(source.endpoint, source.repository, reference, AcceptAll());
    const Manifest parsed = ParseManifest(top.bytes, top.media_type);
    for (const auto& child : parsed.manifests) {
      upstream::Manifest m =
          client.GetManifest(source.endpoint, source.repository, child.digest, AcceptAll());
      if (Sha256Digest(m.bytes) != child.digest) {
        throw UpstreamImportError(
            Kind::kInvalid, "the upstream's manifest does not match its digest " + child.digest);
      }
      children.emplace_back(child.digest, std::move(m));
    }
  } catch (const UpstreamError& e) {
    throw Translate(e);
  } catch (const ImageError& e) {
    throw UpstreamImportError(Kind::kInvalid,
                              std::string("the upstream's manifest cannot be cached: ") + e.what());
  }
  const double now = clock_.Now();
  try {
    templates_.CreateFromTemplate(registry, name, kPullThroughCache, now);
  } catch (const TemplateCreationError& e) {
    throw UpstreamImportError(Kind::kNameUnknown, e.what());
  }
  for (const auto& [digest, m] : children) {
    images_.PutManifest(registry, name, digest, m.bytes, m.media_type, now, PutMode::kPullThrough);
  }
  const auto stored = images_.PutManifest(registry, name, reference, top.bytes, top.media_type, now,
                                          PutMode::kPullThrough);
  auto lease = database_.Acquire();
  const auto repo = storage::EcrStore(lease.db(), registry).FindRepository(name);
  if (repo) storage::PullThroughStore(lease.db(), registry).SetTagChecked(repo->id, reference, now);
  log::Info("pull-through: cached " + name + ":" + reference + " (" + stored.digest + ") from " +
            source.endpoint.base_url + "/" + source.repository);
}

std::shared_ptr<BlobFetch> PullThroughImporter::FetchBlob(const storage::Partition& registry,
                                                          const std::string& name,
                                                          const std::string& digest) {
  std::optional<storage::RepositoryRecord> repo;
  {
    auto lease = database_.Acquire();
    repo = storage::EcrStore(lease.db(), registry).FindRepository(name);
    if (!repo) return nullptr;
    storage::ImageStore store(lease.db());
    if (store.RepositoryBlobSize(repo->id, digest)) return nullptr;
    if (!store.IsReferenced(repo->id, digest)) return nullptr;
    if (store.BlobSize(digest)) {
      // Fetched before for another repository: share it.
      store.LinkBlob(repo->id, digest, clock_.Now());
      return nullptr;
    }
  }
  const auto source = rules_.SourceFor(registry, name);
  if (!source) return nullptr;
  if (!source->credential_problem.empty()) {
    throw UpstreamImportError(Kind::kSecretUnreadable, source->credential_problem);
  }
  return StartFetch(repo->id, digest, *source);
}

void PullThroughImporter::AwaitStored(BlobFetch& fetch) {
  std::unique_lock lock(fetch.mutex);
  fetch.changed.wait(lock, [&] { return fetch.finished; });
  if (!fetch.ok) {
    if (!fetch.error) throw UpstreamImportError(Kind::kFailed, "the blob fetch failed");
    // A copy of the message, not of the exception: a copied std::runtime_error
    // shares its message with the original by a reference count inside
    // libstdc++, and the fetch's thread frees the original whenever it drops
    // the fetch (ThreadSanitizer cannot see that count and reported a race).
    throw UpstreamImportError(fetch.error->kind(), std::string(fetch.error->what()));
  }
}

std::shared_ptr<BlobFetch> PullThroughImporter::StartFetch(int64_t repository_id,
                                                           const std::string& digest,
                                                           const UpstreamSource& source) {
  const std::string key = std::to_string(repository_id) + "/" + digest;
  std::lock_guard lock(mutex_);
  if (const auto it = fetches_.find(key); it != fetches_.end()) {
    bool failed = false;
    {
      std::lock_guard fetch_lock(it->second->mutex);
      failed = it->second->finished && !it->second->ok;
    }
    if (!failed) return it->second;
    // A failed fetch on its way out (its thread has told its waiters but not
    // yet left the map): a new request starts afresh.
    fetches_.erase(it);
  }
  // Threads of finished fetches are collected here.
  for (auto it = threads_.begin(); it != threads_.end();) {
    it->join();
    it = threads_.erase(it);
  }
  auto fetch = std::make_shared<BlobFetch>();
  fetch->key = key;
  fetch->repository_id = repository_id;
  fetch->digest = digest;
  fetch->uuid = uploads_.Start(repository_id, clock_.Now()).uuid;
  fetch->fd = OpenForReading(images_.blobs().UploadPath(fetch->uuid).string());
  if (!fetch->fd) {
    throw UpstreamImportError(Kind::kFailed, "cannot open the pull-through download file");
  }
  fetches_[key] = fetch;
  fetch->thread = std::thread([this, fetch, source] {
    std::optional<UpstreamImportError> error;
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
      if (!complete) throw UpstreamImportError(Kind::kFailed, "the blob download was interrupted");
      {
        std::lock_guard fetch_lock(fetch->mutex);
        fetch->received = true;
      }
      fetch->changed.notify_all();
      uploads_.Complete(fetch->uuid, fetch->repository_id, fetch->digest, clock_.Now());
      ok = true;
    } catch (const UpstreamError& e) {
      error = Translate(e);
    } catch (const UpstreamImportError& e) {
      error = e;
    } catch (const std::exception& e) {
      error = UpstreamImportError(
          Kind::kFailed, std::string("the upstream blob could not be stored: ") + e.what());
    }
    if (!ok) {
      log::Warn("pull-through: fetching " + fetch->digest +
                " failed: " + (error ? error->what() : std::string()));
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
    if (const auto it = fetches_.find(fetch->key); it != fetches_.end() && it->second == fetch) {
      fetches_.erase(it);
    }
    // The thread object moves to threads_, joined by the next fetch or the destructor.
    threads_.push_back(std::move(fetch->thread));
  });
  return fetch;
}

}  // namespace berth::ecr
