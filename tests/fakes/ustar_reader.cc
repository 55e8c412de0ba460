#include "tests/fakes/ustar_reader.h"

#include <cstddef>
#include <string>
#include <utility>

namespace berth::testing {
namespace {

constexpr std::size_t kBlock = 512;

// A NUL-terminated (or full-width) text field.
std::string Text(std::string_view header, std::size_t at, std::size_t width) {
  std::string_view field = header.substr(at, width);
  if (const auto nul = field.find('\0'); nul != std::string_view::npos)
    field = field.substr(0, nul);
  return std::string(field);
}

// An octal field: optional leading spaces, digits, then NUL or space padding.
std::uint64_t Octal(std::string_view header, std::size_t at, std::size_t width, const char* what) {
  const std::string_view field = header.substr(at, width);
  std::size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  std::uint64_t value = 0;
  std::size_t digits = 0;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i, ++digits) {
    value = value * 8 + static_cast<std::uint64_t>(field[i] - '0');
  }
  for (; i < field.size(); ++i) {
    if (field[i] != '\0' && field[i] != ' ') {
      throw TarFormatError(std::string("non-octal ") + what + " field");
    }
  }
  if (digits == 0) throw TarFormatError(std::string("empty ") + what + " field");
  return value;
}

bool AllZero(std::string_view block) {
  for (const char c : block) {
    if (c != '\0') return false;
  }
  return true;
}

}  // namespace

std::vector<TarEntry> ReadUstar(std::string_view archive) {
  if (archive.size() % kBlock != 0) {
    throw TarFormatError(
        "archive size " + std::to_string(archive.size()) + " is not a multiple of 512",
        /*truncated=*/true);
  }
  std::vector<TarEntry> entries;
  std::size_t at = 0;
  while (true) {
    if (at + 2 * kBlock > archive.size())
      throw TarFormatError("no end-of-archive marker", /*truncated=*/true);
    const std::string_view header = archive.substr(at, kBlock);
    if (AllZero(header)) {
      if (!AllZero(archive.substr(at + kBlock, kBlock))) {
        throw TarFormatError("a single zero block inside the archive");
      }
      return entries;
    }
    unsigned sum = 0;
    for (std::size_t i = 0; i < kBlock; ++i) {
      sum += (i >= 148 && i < 156) ? static_cast<unsigned>(' ')
                                   : static_cast<unsigned char>(header[i]);
    }
    const std::uint64_t recorded = Octal(header, 148, 8, "chksum");
    if (recorded != sum) {
      throw TarFormatError("bad header checksum at offset " + std::to_string(at) + ": recorded " +
                           std::to_string(recorded) + ", computed " + std::to_string(sum));
    }
    if (header.substr(257, 6) != std::string_view("ustar\0", 6) || header.substr(263, 2) != "00") {
      throw TarFormatError("not a POSIX ustar header at offset " + std::to_string(at));
    }
    TarEntry entry;
    entry.name = Text(header, 0, 100);
    if (const std::string prefix = Text(header, 345, 155); !prefix.empty()) {
      entry.name = prefix + "/" + entry.name;
    }
    entry.mode = static_cast<unsigned>(Octal(header, 100, 8, "mode"));
    entry.uid = static_cast<unsigned>(Octal(header, 108, 8, "uid"));
    entry.gid = static_cast<unsigned>(Octal(header, 116, 8, "gid"));
    const std::uint64_t size = Octal(header, 124, 12, "size");
    entry.mtime = Octal(header, 136, 12, "mtime");
    entry.type = header[156] == '\0' ? '0' : header[156];
    entry.uname = Text(header, 265, 32);
    entry.gname = Text(header, 297, 32);
    at += kBlock;
    const std::size_t padded = static_cast<std::size_t>((size + kBlock - 1) / kBlock * kBlock);
    if (at + padded > archive.size())
      throw TarFormatError("truncated entry " + entry.name, /*truncated=*/true);
    entry.data = std::string(archive.substr(at, static_cast<std::size_t>(size)));
    if (!AllZero(archive.substr(at + size, padded - size))) {
      throw TarFormatError("non-zero padding after " + entry.name);
    }
    at += padded;
    entries.push_back(std::move(entry));
  }
}

const TarEntry* FindEntry(const std::vector<TarEntry>& entries, std::string_view name) {
  for (const auto& entry : entries) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

}  // namespace berth::testing
