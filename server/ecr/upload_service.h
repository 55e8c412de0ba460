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

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

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

class UploadService {
 public:
  // Idle sessions older than this are removed by ExpireStale.
  static constexpr double kIdleExpirySeconds = 60 * 60;

  UploadService(storage::Database& database, ImageService& images)
      : database_(database), images_(images) {}

  UploadSession Start(int64_t repository_id, double now);
  // The session, if it exists and belongs to the repository.
  std::optional<UploadSession> Find(std::string_view uuid, int64_t repository_id);

  // Appends to one session while it lives. Write returns false when the
  // disk refused the data (the session is then unusable until rehashed).
  class Writer {
   public:
    virtual ~Writer() = default;
    virtual bool Write(std::string_view data) = 0;
    virtual uint64_t size() const = 0;
  };
  // Throws ImageError kUploadUnknown or kUploadBusy.
  std::unique_ptr<Writer> OpenWriter(std::string_view uuid, int64_t repository_id, double now);

  // Verifies the received bytes against `digest` and makes them a blob of
  // the repository. The session ends either way. Returns the blob size.
  // Throws ImageError (kUploadUnknown, kDigestInvalid, kStorage).
  int64_t Complete(std::string_view uuid, int64_t repository_id, const std::string& digest,
                   double now);
  // Ends a session, discarding what it received. Throws kUploadUnknown.
  void Cancel(std::string_view uuid, int64_t repository_id);

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
    uint64_t hashed = 0;   // bytes fed to `hasher`
    bool busy = false;     // a writer is open
    bool broken = false;   // hasher no longer matches the file
  };
  class FileWriter;

  std::shared_ptr<State> AcquireState(std::string_view uuid);
  void ForgetState(std::string_view uuid);

  storage::Database& database_;
  ImageService& images_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<State>, std::less<>> states_;  // guarded by mutex_
};

}  // namespace berth::ecr
