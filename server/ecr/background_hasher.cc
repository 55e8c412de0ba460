#include "server/ecr/background_hasher.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace berth::ecr {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

}  // namespace

BackgroundHasher::BackgroundHasher(std::string path, crypto::Hasher hasher, uint64_t hashed)
    : path_(std::move(path)), hasher_(std::move(hasher)), written_(hashed), hashed_(hashed) {
  thread_ = std::thread([this] { Run(); });
}

BackgroundHasher::~BackgroundHasher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundHasher::Advance(uint64_t written) {
  {
    std::lock_guard lock(mutex_);
    written_ = written;
  }
  changed_.notify_all();
}

std::optional<std::string> BackgroundHasher::Finish() {
  {
    std::lock_guard lock(mutex_);
    finishing_ = true;
  }
  changed_.notify_all();
  thread_.join();
  if (failed_) return std::nullopt;
  return hasher_.FinalHex();
}

void BackgroundHasher::Run() {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  std::vector<char> buffer(kChunkBytes);
  std::unique_lock lock(mutex_);
  if (fd < 0) {
    failed_ = true;
    return;
  }
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || finishing_ || written_ > hashed_; });
    if (stopping_) break;
    if (hashed_ >= written_) {
      if (finishing_) break;
      continue;
    }
    const uint64_t offset = hashed_;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(written_ - hashed_, kChunkBytes));
    lock.unlock();
    ssize_t n = 0;
    do {
      n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
    } while (n < 0 && errno == EINTR);
    if (n > 0) hasher_.Update(std::string_view(buffer.data(), static_cast<size_t>(n)));
    lock.lock();
    if (n <= 0) {
      failed_ = true;
      break;
    }
    hashed_ += static_cast<uint64_t>(n);
  }
  lock.unlock();
  ::close(fd);
}

}  // namespace berth::ecr
