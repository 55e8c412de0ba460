#include "storage/blob_store.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::storage {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void Fail(const std::string& what, const fs::path& path) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

std::optional<uint64_t> FileSize(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  return static_cast<uint64_t>(info.st_size);
}

void WriteAll(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Makes `path` durable, then moves it to `target` (creating the directory)
// and syncs the directory. When `target` exists the source is removed
// instead.
void SyncAndMove(const fs::path& path, const fs::path& target) {
  {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) Fail("cannot open", path);
    if (::fdatasync(fd.get()) != 0) Fail("cannot sync", path);
  }
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (FileSize(target)) {
    fs::remove(path, ec);
    return;
  }
  if (::rename(path.c_str(), target.c_str()) != 0) Fail("cannot move into place", target);
  // Make the rename itself durable before any database row names the blob:
  // after a power cut a blob row may be lost, but never its file.
  UniqueFd dir(::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir || ::fsync(dir.get()) != 0) Fail("cannot sync directory of", target);
}

}  // namespace

BlobStore::BlobStore(fs::path root) : root_(std::move(root)) {
  fs::create_directories(root_ / "blobs");
  fs::create_directories(root_ / "uploads");
}

fs::path BlobStore::BlobPath(std::string_view digest) const {
  const auto colon = digest.find(':');
  const std::string_view algorithm = digest.substr(0, colon);
  const std::string_view hex = digest.substr(colon + 1);
  return root_ / "blobs" / std::string(algorithm) / std::string(hex.substr(0, 2)) /
         std::string(hex);
}

fs::path BlobStore::UploadPath(std::string_view uuid) const {
  return root_ / "uploads" / std::string(uuid);
}

std::optional<uint64_t> BlobStore::BlobSize(std::string_view digest) const {
  return FileSize(BlobPath(digest));
}

std::optional<uint64_t> BlobStore::UploadSize(std::string_view uuid) const {
  return FileSize(UploadPath(uuid));
}

void BlobStore::CreateUpload(std::string_view uuid) {
  const fs::path path = UploadPath(uuid);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) Fail("cannot create", path);
}

UniqueFd BlobStore::OpenUploadForAppend(std::string_view uuid) const {
  return UniqueFd(::open(UploadPath(uuid).c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
}

void BlobStore::CommitUpload(std::string_view uuid, std::string_view digest) {
  SyncAndMove(UploadPath(uuid), BlobPath(digest));
}

void BlobStore::WriteBlob(std::string_view digest, std::string_view content) {
  if (BlobSize(digest)) return;
  const fs::path staging =
      root_ / "uploads" / ("write-" + std::string(digest.substr(digest.find(':') + 1)));
  {
    UniqueFd fd(::open(staging.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) Fail("cannot create", staging);
    WriteAll(fd.get(), content, staging);
  }
  SyncAndMove(staging, BlobPath(digest));
}

std::optional<std::string> BlobStore::ReadBlob(std::string_view digest) const {
  const fs::path path = BlobPath(digest);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string content;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

void BlobStore::RemoveUpload(std::string_view uuid) {
  std::error_code ec;
  fs::remove(UploadPath(uuid), ec);
}

void BlobStore::RemoveBlob(std::string_view digest) {
  std::error_code ec;
  fs::remove(BlobPath(digest), ec);
}

std::vector<std::string> BlobStore::ListUploads() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_ / "uploads", ec)) {
    ids.push_back(entry.path().filename().string());
  }
  return ids;
}

void BlobStore::Clear() {
  std::error_code ec;
  fs::remove_all(root_ / "blobs", ec);
  fs::remove_all(root_ / "uploads", ec);
  fs::create_directories(root_ / "blobs");
  fs::create_directories(root_ / "uploads");
}

}  // namespace berth::storage
