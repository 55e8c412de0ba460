#pragma once

// Blob upload sessions, shared by the registry (POST/PATCH/PUT on
// /blobs/uploads/) and the ECR layer API (InitiateLayerUpload,
// UploadLayerPart, CompleteLayerUpload). Bytes are appended to the session's
// file as they arrive and hashed on the way, so finishing a 1 GiB upload does
// not read it again; the digest is verified before the file is renamed into
// the blob store. A session survives a restart (its row and file remain; the
// hash is then recomputed once from the file) and expires when left idle.
//
// Thread-safety: every method may be called from any thread; one writer at a
// time per session (a second gets kUploadBusy).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "server/ecr/background_hasher.h"
#include "server/ecr/image_service.h"
#include "server/util/crypto.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace berth::ecr {

struct UploadSession {
  std::string uuid;
  int64_t repository_id = 0;
  uint64_t size = 0;  // bytes received so far
};

// Why the ECR layer API (UploadLayerPart, CompleteLayerUpload) refuses a
// part or a completion, by rules the registry protocol does not have. The API
// names the matching AWS exception.
class LayerUploadError : public std::runtime_error {
 public:
  enum class Kind {
    kPartInvalid,    // the part does not continue the upload, or its range does not fit it
    kEmpty,          // completing an upload that received nothing
    kAlreadyExists,  // the repository already has the layer
    kPartTooSmall,   // a part other than the last was under kMinPartBytes
  };

  LayerUploadError(Kind kind, const std::string& message, uint64_t received)
      : std::runtime_error(message), kind_(kind), received_(received) {}

  Kind kind() const noexcept { return kind_; }
  // Bytes the upload had received when the request was refused.
  uint64_t received() const noexcept { return received_; }

 private:
  Kind kind_;
  uint64_t received_;
};

class UploadService {
 public:
  // Idle sessions older than this are removed by ExpireStale.
  static constexpr double kIdleExpirySeconds = 60 * 60;
  // The part size InitiateLayerUpload asks for, and the least every part but
  // the last must have (ECR's layers live in S3 multipart uploads).
  static constexpr uint64_t kPartBytes = 10 * 1024 * 1024;
  static constexpr uint64_t kMinPartBytes = 5 * 1024 * 1024;

  // Registers itself with `images` (ImageService::uploads) for the ECR layer
  // API; `images` must outlive it.
  UploadService(storage::Database& database, ImageService& images)
      : database_(database), images_(images) {
    images_.AttachUploads(this);
  }
  UploadService(const UploadService&) = delete;
  UploadService& operator=(const UploadService&) = delete;
  ~UploadService() { images_.DetachUploads(this); }

  UploadSession Start(int64_t repository_id, double now);
  // The session, if it exists and belongs to the repository.
  std::optional<UploadSession> Find(std::string_view uuid, int64_t repository_id);

  // Appends to one session while it lives. Write returns false when the
  // disk refused the data (the session is then unusable until rehashed), or
  // when the session was cancelled meanwhile (nothing more is written).
  class Writer {
   public:
    virtual ~Writer() = default;
    virtual bool Write(std::string_view data) = 0;
    virtual uint64_t size() const = 0;
    // True once Cancel ended the session this writer appends to.
    virtual bool cancelled() const = 0;
    // The errno of the write the disk refused (e.g. ENOSPC); 0 if none was.
    virtual int error() const = 0;
  };
  // Throws ImageError kUploadUnknown or kUploadBusy.
  std::unique_ptr<Writer> OpenWriter(std::string_view uuid, int64_t repository_id, double now);

  // Verifies the received bytes against `digest` and makes them a blob of
  // the repository. The session ends either way (on a mismatch its row and
  // file are removed and nothing is stored), except when another request is
  // writing to it (kUploadBusy) or the file cannot be read (kStorage), which
  // leave it as it was. Returns the blob size.
  // Throws ImageError (kUploadUnknown, kDigestInvalid, kStorage).
  int64_t Complete(std::string_view uuid, int64_t repository_id, const std::string& digest,
                   double now);
  // Ends a session, discarding what it received, even while a writer is
  // open on it (that writer then takes no more data and reports
  // cancelled()). Throws kUploadUnknown.
  void Cancel(std::string_view uuid, int64_t repository_id);

  // UploadLayerPart: appends `data`, which the caller says spans the
  // inclusive offsets [first, last] of the layer, through the same writer
  // and running hash as registry chunks. Returns the bytes received so far.
  // Throws ImageError kUploadUnknown or kStorage; LayerUploadError
  // kPartInvalid when `first` is not the number of bytes received so far,
  // `data` is empty or `last` does not end it (another writer busy on the
  // session counts as that too). A refused part changes nothing.
  uint64_t AppendPart(std::string_view uuid, int64_t repository_id, uint64_t first, uint64_t last,
                      std::string_view data, double now);
  // CompleteLayerUpload: Complete with ECR's extra rules, checked in this
  // order: ImageError kUploadUnknown; LayerUploadError kEmpty (the session
  // stays open); ImageError kDigestInvalid for a malformed digest (the
  // session stays open); LayerUploadError kAlreadyExists when the repository
  // has the layer, and kPartTooSmall when a part before the last was under
  // kMinPartBytes (both end the session); then Complete's own errors
  // (kDigestInvalid when the content does not match). Part sizes are known
  // only to the process that received them: after a restart the part-size
  // rule is not enforced for earlier parts.
  int64_t CompleteLayer(std::string_view uuid, int64_t repository_id, const std::string& digest,
                        double now);

  // Makes a blob the `from` repository may serve available in `to` (a
  // cross-repository mount). False when `from` cannot serve it.
  bool Mount(int64_t to_repository_id, int64_t from_repository_id, const std::string& digest,
             double now);

  // Removes sessions idle since before `now - kIdleExpirySeconds`, and
  // upload files no session owns. Returns how many sessions went.
  size_t ExpireStale(double now);
  // Forgets all in-memory state (after a reset wiped the files).
  void Clear();

 private:
  // What the process knows of a session beyond its file: the running hash.
  struct State {
    crypto::Hasher hasher;
    uint64_t hashed = 0;  // bytes fed to `hasher`
    // For large uploads, the hash continues on a thread of its own (and
    // `hasher`/`hashed` above are no longer used).
    std::unique_ptr<BackgroundHasher> background;
    bool busy = false;    // a writer is open
    bool broken = false;  // hasher no longer matches the file
    // Set by Cancel; read by the open writer without the lock.
    std::atomic<bool> cancelled{false};
    // ECR layer parts seen by this process (AppendPart).
    uint64_t parts = 0;
    uint64_t last_part = 0;   // size of the latest part
    bool short_part = false;  // a part before the latest was under kMinPartBytes
  };
  class FileWriter;
  class BusyRelease;

  std::shared_ptr<State> AcquireState(std::string_view uuid);
  void ForgetState(std::string_view uuid);

  storage::Database& database_;
  ImageService& images_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<State>, std::less<>> states_;  // guarded by mutex_
};

}  // namespace berth::ecr
