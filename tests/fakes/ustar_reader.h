#pragma once

// A strict reader for the ustar archives Docker exchanges (docker-archive
// images, layer tars), for tests and FakeDocker::LoadImage: it checks what a
// careless writer gets wrong (header checksums, the ustar magic, octal
// fields, 512-byte padding, the closing zero blocks) instead of guessing.
//
// Thread-safety: a pure function.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace berth::testing {

struct TarEntry {
  std::string name;   // prefix + "/" + name when the prefix is set
  char type = '0';    // '0' regular file, '5' directory, '2' symlink, ...
  unsigned mode = 0;  // permission bits, e.g. 0755
  unsigned uid = 0;
  unsigned gid = 0;
  std::uint64_t mtime = 0;
  std::string uname;
  std::string gname;
  std::string data;  // the contents (regular files)
};

class TarFormatError : public std::runtime_error {
 public:
  TarFormatError(const std::string& message, bool truncated = false)
      : std::runtime_error(message), truncated_(truncated) {}
  // The archive ended early (Go's archive/tar: "unexpected EOF"), as
  // opposed to a malformed header ("archive/tar: invalid tar header").
  bool truncated() const noexcept { return truncated_; }

 private:
  bool truncated_;
};

// Parses `archive`. Throws TarFormatError for a bad checksum, magic or
// octal field, a truncated entry, or a missing end-of-archive marker.
std::vector<TarEntry> ReadUstar(std::string_view archive);

// The entry named `name`, or nullptr.
const TarEntry* FindEntry(const std::vector<TarEntry>& entries, std::string_view name);

}  // namespace berth::testing
