#pragma once

// Hashes a growing upload file on its own thread, reading back (from the page
// cache) what the upload has written so far. Hashing then overlaps receiving
// and writing, instead of adding to them: a large push is bound by the
// slower of the two, not their sum.
//
// Thread-safety: Advance() and Finish() are called by the one writer of the
// upload (never at the same time); the hashing thread is private.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "server/util/crypto.h"

namespace berth::ecr {

class BackgroundHasher {
 public:
  // Continues `hasher`, which has consumed the first `hashed` bytes of `path`.
  BackgroundHasher(std::string path, crypto::Hasher hasher, uint64_t hashed);
  BackgroundHasher(const BackgroundHasher&) = delete;
  BackgroundHasher& operator=(const BackgroundHasher&) = delete;
  // Stops the thread (abandoning the hash) if Finish() was not called.
  ~BackgroundHasher();

  // The file now holds `written` bytes.
  void Advance(uint64_t written);
  // Waits until all written bytes are hashed; the hex digest, or nullopt when
  // the file could not be read back. Call once.
  std::optional<std::string> Finish();

 private:
  void Run();

  std::string path_;
  crypto::Hasher hasher_;
  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t written_ = 0;    // guarded by mutex_
  uint64_t hashed_ = 0;     // guarded by mutex_
  bool finishing_ = false;  // guarded by mutex_
  bool stopping_ = false;   // guarded by mutex_
  bool failed_ = false;     // guarded by mutex_
  std::thread thread_;
};

}  // namespace berth::ecr
