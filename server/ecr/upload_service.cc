#include "server/ecr/upload_service.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "server/ecr/digest.h"
#include "server/ecr/image_error.h"
#include "storage/image_store.h"

namespace berth::ecr {
namespace {

using Kind = ImageError::Kind;

// Uploads beyond this size hash on a thread of their own.
constexpr uint64_t kBackgroundHashBytes = 8 << 20;
// Writeback starts every this many bytes.
constexpr uint64_t kWritebackBytes = 8 << 20;

[[noreturn]] void UnknownUpload(std::string_view uuid) {
  throw ImageError(Kind::kUploadUnknown, "blob upload unknown to registry", std::string(uuid));
}

}  // namespace

// Appends to the session file and feeds the running hash; releases the
// session on destruction.
class UploadService::FileWriter final : public UploadService::Writer {
 public:
  FileWriter(UploadService& owner, std::string uuid, std::shared_ptr<State> state,
             storage::UniqueFd fd, uint64_t size)
      : owner_(owner),
        uuid_(std::move(uuid)),
        state_(std::move(state)),
        fd_(std::move(fd)),
        size_(size),
        synced_(size) {}
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  ~FileWriter() override {
    std::lock_guard lock(owner_.mutex_);
    state_->busy = false;
  }

  bool Write(std::string_view data) override {
    if (cancelled()) return false;
    std::string_view left = data;
    while (!left.empty()) {
      const ssize_t n = ::write(fd_.get(), left.data(), left.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        // Part of `data` may be in the file: the hash can no longer follow.
        error_ = errno;
        state_->broken = true;
        state_->background.reset();
        return false;
      }
      left.remove_prefix(static_cast<size_t>(n));
    }
    const uint64_t before = size_;
    size_ += data.size();
    if (state_->broken) return true;
    if (state_->background) {
      state_->background->Advance(size_);
    } else if (state_->hashed == before) {
      state_->hasher.Update(data);
      state_->hashed += data.size();
      if (size_ >= kBackgroundHashBytes) {
        // Large upload: hash the rest alongside the network and the disk.
        state_->background =
            std::make_unique<BackgroundHasher>(owner_.images_.blobs().UploadPath(uuid_).string(),
                                               std::move(state_->hasher), state_->hashed);
        state_->hasher = crypto::Hasher();
      }
    }
    // Start writing back what arrived, so the sync when the upload completes
    // has little left to wait for.
    if (size_ - synced_ >= kWritebackBytes) {
      ::sync_file_range(fd_.get(), static_cast<off_t>(synced_), static_cast<off_t>(size_ - synced_),
                        SYNC_FILE_RANGE_WRITE);
      synced_ = size_;
    }
    return true;
  }

  uint64_t size() const override { return size_; }
  bool cancelled() const override { return state_->cancelled.load(); }
  int error() const override { return error_; }

 private:
  UploadService& owner_;
  std::string uuid_;
  std::shared_ptr<State> state_;
  storage::UniqueFd fd_;
  uint64_t size_;
  uint64_t synced_ = 0;  // bytes handed to writeback
  int error_ = 0;        // errno of the refused write
};

// Clears a session's busy flag when Complete returns or throws, so that a
// failure that keeps the session (kStorage) does not lock it for good.
class UploadService::BusyRelease {
 public:
  BusyRelease(UploadService& owner, State& state) : owner_(owner), state_(state) {}
  BusyRelease(const BusyRelease&) = delete;
  BusyRelease& operator=(const BusyRelease&) = delete;
  ~BusyRelease() {
    std::lock_guard lock(owner_.mutex_);
    state_.busy = false;
  }

 private:
  UploadService& owner_;
  State& state_;
};

std::shared_ptr<UploadService::State> UploadService::AcquireState(std::string_view uuid) {
  std::lock_guard lock(mutex_);
  auto it = states_.find(uuid);
  if (it == states_.end()) {
    it = states_.emplace(std::string(uuid), std::make_shared<State>()).first;
  }
  return it->second;
}

void UploadService::ForgetState(std::string_view uuid) {
  std::lock_guard lock(mutex_);
  if (auto it = states_.find(uuid); it != states_.end()) states_.erase(it);
}

UploadSession UploadService::Start(int64_t repository_id, double now) {
  UploadSession session{crypto::Uuid(), repository_id, 0};
  auto lease = database_.Acquire();
  images_.blobs().CreateUpload(session.uuid);
  storage::ImageStore(lease.db()).InsertUpload({session.uuid, repository_id, now, now});
  return session;
}

std::optional<UploadSession> UploadService::Find(std::string_view uuid, int64_t repository_id) {
  std::optional<storage::UploadRecord> record;
  {
    auto lease = database_.Acquire();
    record = storage::ImageStore(lease.db()).FindUpload(uuid);
  }
  if (!record || record->repository_id != repository_id) return std::nullopt;
  const auto size = images_.blobs().UploadSize(uuid);
  if (!size) return std::nullopt;
  return UploadSession{record->uuid, record->repository_id, *size};
}

std::unique_ptr<UploadService::Writer> UploadService::OpenWriter(std::string_view uuid,
                                                                 int64_t repository_id,
                                                                 double now) {
  const auto session = Find(uuid, repository_id);
  if (!session) UnknownUpload(uuid);
  auto state = AcquireState(uuid);
  {
    std::lock_guard lock(mutex_);
    if (state->busy) {
      throw ImageError(Kind::kUploadBusy, "another request is writing to this upload",
                       std::string(uuid));
    }
    state->busy = true;
  }
  storage::UniqueFd fd = images_.blobs().OpenUploadForAppend(uuid);
  if (!fd) {
    // Cancelled since Find: the state may be one this call just made.
    ForgetState(uuid);
    UnknownUpload(uuid);
  }
  {
    auto lease = database_.Acquire();
    storage::ImageStore(lease.db()).TouchUpload(uuid, now);
  }
  return std::make_unique<FileWriter>(*this, std::string(uuid), std::move(state), std::move(fd),
                                      session->size);
}

int64_t UploadService::Complete(std::string_view uuid, int64_t repository_id,
                                const std::string& digest_text, double now) {
  const auto session = Find(uuid, repository_id);
  if (!session) UnknownUpload(uuid);
  const auto digest = ParseDigest(digest_text);
  if (!digest) {
    throw ImageError(Kind::kDigestInvalid, "invalid digest: " + digest_text, digest_text);
  }
  auto state = AcquireState(uuid);
  std::string hex;
  {
    std::lock_guard lock(mutex_);
    if (state->busy) {
      throw ImageError(Kind::kUploadBusy, "another request is writing to this upload",
                       std::string(uuid));
    }
    state->busy = true;  // held until the session ends below, or this call fails
  }
  const BusyRelease release(*this, *state);
  // The running hash covers every byte written by this process (a restart
  // loses it); finish it outside the lock, as the background part may still
  // be catching up.
  if (digest->algorithm == "sha256" && !state->broken) {
    if (state->background) {
      hex = state->background->Finish().value_or("");
      state->background.reset();
    } else if (state->hashed == session->size) {
      hex = state->hasher.FinalHex();
    }
  }
  if (hex.empty()) {
    // After a restart, a failed write or for sha512: hash the file once.
    const auto computed =
        crypto::HashFileHex(images_.blobs().UploadPath(uuid).string(), digest->hasher());
    if (!computed && state->cancelled) UnknownUpload(uuid);  // a DELETE got there first
    if (!computed) throw ImageError(Kind::kStorage, "cannot read the upload");
    hex = *computed;
  }
  const auto size = static_cast<int64_t>(session->size);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  storage::ImageStore store(lease.db());
  store.DeleteUpload(uuid);
  if (hex != digest->hex) {
    tx.Commit();
    images_.blobs().RemoveUpload(uuid);
    ForgetState(uuid);
    throw ImageError(Kind::kDigestInvalid, "provided digest did not match uploaded content",
                     digest->text);
  }
  try {
    images_.blobs().CommitUpload(uuid, digest->text);
  } catch (const std::exception& e) {
    ForgetState(uuid);
    if (state->cancelled) UnknownUpload(uuid);  // a DELETE got there first
    throw ImageError(Kind::kStorage, e.what());
  }
  store.AddBlob(digest->text, size, now);
  store.LinkBlob(repository_id, digest->text, now);
  tx.Commit();
  ForgetState(uuid);
  return size;
}

void UploadService::Cancel(std::string_view uuid, int64_t repository_id) {
  if (!Find(uuid, repository_id)) UnknownUpload(uuid);
  {
    // An open writer stops taking data before the file goes.
    std::lock_guard lock(mutex_);
    if (const auto it = states_.find(uuid); it != states_.end()) it->second->cancelled = true;
  }
  auto lease = database_.Acquire();
  storage::ImageStore(lease.db()).DeleteUpload(uuid);
  images_.blobs().RemoveUpload(uuid);
  ForgetState(uuid);
}

uint64_t UploadService::AppendPart(std::string_view uuid, int64_t repository_id, uint64_t first,
                                   uint64_t last, std::string_view data, double now) {
  const auto session = Find(uuid, repository_id);
  if (!session) UnknownUpload(uuid);
  const auto refuse = [&](uint64_t received, const std::string& why) {
    return LayerUploadError(LayerUploadError::Kind::kPartInvalid, why, received);
  };
  const auto check = [&](uint64_t received) {
    if (first != received) {
      throw refuse(received, "the part starts at byte " + std::to_string(first) + " but " +
                                 std::to_string(received) + " bytes were received so far");
    }
    if (data.empty() || last < first || last - first + 1 != data.size()) {
      throw refuse(received, "the part spans bytes " + std::to_string(first) + "-" +
                                 std::to_string(last) + " but carries " +
                                 std::to_string(data.size()) + " bytes");
    }
  };
  check(session->size);
  std::unique_ptr<Writer> writer;
  try {
    writer = OpenWriter(uuid, repository_id, now);
  } catch (const ImageError& e) {
    if (e.kind() != Kind::kUploadBusy) throw;
    throw refuse(session->size, "another part of this upload is being written");
  }
  check(writer->size());  // another part may have landed since Find
  if (!writer->Write(data)) {
    // The disk's own error (e.g. ENOSPC) says why, to whoever answers the caller.
    if (writer->error() != 0) {
      throw std::system_error(writer->error(), std::generic_category(), "cannot write the upload");
    }
    throw ImageError(Kind::kStorage, "cannot write the upload");
  }
  {
    std::lock_guard lock(mutex_);
    const auto state = states_.find(uuid);
    if (state != states_.end()) {
      State& s = *state->second;
      if (s.parts > 0 && s.last_part < kMinPartBytes) s.short_part = true;
      ++s.parts;
      s.last_part = data.size();
    }
  }
  return writer->size();
}

int64_t UploadService::CompleteLayer(std::string_view uuid, int64_t repository_id,
                                     const std::string& digest, double now) {
  const auto session = Find(uuid, repository_id);
  if (!session) UnknownUpload(uuid);
  if (session->size == 0) {
    throw LayerUploadError(LayerUploadError::Kind::kEmpty, "the upload received no data", 0);
  }
  if (!ParseDigest(digest)) {
    throw ImageError(Kind::kDigestInvalid, "invalid digest: " + digest, digest);
  }
  bool exists = false;
  {
    auto lease = database_.Acquire();
    exists = storage::ImageStore(lease.db()).RepositoryBlobSize(repository_id, digest).has_value();
  }
  bool short_part = false;
  {
    std::lock_guard lock(mutex_);
    const auto state = states_.find(uuid);
    short_part = state != states_.end() && state->second->short_part;
  }
  if (exists || short_part) {
    Cancel(uuid, repository_id);
    if (exists) {
      throw LayerUploadError(LayerUploadError::Kind::kAlreadyExists,
                             "the repository already has layer " + digest, session->size);
    }
    throw LayerUploadError(LayerUploadError::Kind::kPartTooSmall,
                           "a part other than the last was smaller than 5 MiB", session->size);
  }
  return Complete(uuid, repository_id, digest, now);
}

bool UploadService::Mount(int64_t to_repository_id, int64_t from_repository_id,
                          const std::string& digest, double now) {
  auto lease = database_.Acquire();
  storage::ImageStore store(lease.db());
  if (!store.RepositoryBlobSize(from_repository_id, digest)) return false;
  store.LinkBlob(to_repository_id, digest, now);
  return true;
}

size_t UploadService::ExpireStale(double now) {
  // Under the lease: Start() and BlobStore::WriteBlob create their files
  // under it too, so nothing appears half-made while we look.
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  storage::ImageStore store(lease.db());
  size_t expired = 0;
  for (const auto& uuid : store.StaleUploads(now - kIdleExpirySeconds)) {
    {
      std::lock_guard lock(mutex_);
      const auto it = states_.find(uuid);
      if (it != states_.end() && it->second->busy) continue;  // still receiving
    }
    store.DeleteUpload(uuid);
    images_.blobs().RemoveUpload(uuid);
    ForgetState(uuid);
    ++expired;
  }
  // Files without a session: leftovers of a crash between file and row.
  for (const auto& uuid : images_.blobs().ListUploads()) {
    if (!store.FindUpload(uuid)) images_.blobs().RemoveUpload(uuid);
  }
  tx.Commit();
  return expired;
}

void UploadService::Clear() {
  std::lock_guard lock(mutex_);
  states_.clear();
}

}  // namespace berth::ecr
