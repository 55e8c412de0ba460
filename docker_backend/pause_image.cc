#include "docker_backend/pause_image.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

namespace berth::docker {

namespace internal {
// Defined in the generated pause_binary.cc (embed_file.cmake).
extern const unsigned char kPauseBinary[];
extern const std::size_t kPauseBinarySize;
}  // namespace internal

namespace {

using nlohmann::json;

constexpr std::size_t kBlock = 512;

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(sha256) failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0f];
  }
  return out;
}

// A minimal POSIX ustar writer: regular files only, names under 100 bytes,
// fixed owner and mtime, so the same entries always give the same bytes.
class UstarWriter {
 public:
  void AddFile(std::string_view name, unsigned mode, std::string_view contents) {
    if (name.empty() || name.size() >= 100) throw std::invalid_argument("bad tar entry name");
    std::array<char, kBlock> header{};
    Put(header, 0, name);                                                         // name
    Octal(header, 100, 8, mode);                                                  // mode
    Octal(header, 108, 8, 0);                                                     // uid
    Octal(header, 116, 8, 0);                                                     // gid
    Octal(header, 124, 12, contents.size());                                      // size
    Octal(header, 136, 12, static_cast<std::uint64_t>(kPauseImageCreatedEpoch));  // mtime
    header[156] = '0';                                 // typeflag: regular file
    Put(header, 257, std::string_view("ustar\0", 6));  // magic
    Put(header, 263, "00");                            // version
    Put(header, 265, "root");                          // uname
    Put(header, 297, "root");                          // gname
    // The checksum is computed with its own field read as eight spaces, then
    // written as six octal digits, NUL, space.
    std::fill(header.begin() + 148, header.begin() + 156, ' ');
    unsigned sum = 0;
    for (const char c : header) sum += static_cast<unsigned char>(c);
    Octal(header, 148, 7, sum);
    header[155] = ' ';
    out_.append(header.data(), header.size());
    out_.append(contents);
    out_.append((kBlock - contents.size() % kBlock) % kBlock, '\0');
  }

  // The archive, closed by two zero blocks.
  std::string Finish() && {
    out_.append(2 * kBlock, '\0');
    return std::move(out_);
  }

 private:
  static void Put(std::array<char, kBlock>& header, std::size_t at, std::string_view text) {
    std::copy(text.begin(), text.end(), header.begin() + static_cast<std::ptrdiff_t>(at));
  }
  // `width - 1` zero-padded octal digits and a NUL.
  static void Octal(std::array<char, kBlock>& header, std::size_t at, std::size_t width,
                    std::uint64_t value) {
    for (std::size_t i = width - 1; i-- > 0; value >>= 3) {
      header[at + i] = static_cast<char>('0' + (value & 7));
    }
    if (value != 0) throw std::invalid_argument("tar field overflow");
    header[at + width - 1] = '\0';
  }

  std::string out_;
};

}  // namespace

const char* HostArchitecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#else
#error "the pause program supports x86_64 and aarch64 only"
#endif
}

std::string_view PauseBinary() {
  return {reinterpret_cast<const char*>(internal::kPauseBinary), internal::kPauseBinarySize};
}

std::string PauseImageTar(std::string_view repo_tag,
                          const std::map<std::string, std::string>& extra_labels) {
  UstarWriter layer;
  layer.AddFile("pause", 0755, PauseBinary());
  const std::string layer_tar = std::move(layer).Finish();

  json labels = json::object();
  for (const auto& [key, value] : extra_labels) labels[key] = value;
  labels[kManagedLabel] = "1";
  // nlohmann orders object keys, so dump() is deterministic.
  const json config = {
      {"architecture", HostArchitecture()},
      {"os", "linux"},
      {"created", kPauseImageCreated},
      {"config", {{"Entrypoint", json::array({"/pause"})}, {"Labels", labels}}},
      {"rootfs",
       {{"type", "layers"}, {"diff_ids", json::array({"sha256:" + Sha256Hex(layer_tar)})}}},
  };
  const json manifest = json::array({{{"Config", "config.json"},
                                      {"RepoTags", json::array({std::string(repo_tag)})},
                                      {"Layers", json::array({"layer.tar"})}}});

  UstarWriter archive;
  archive.AddFile("manifest.json", 0644, manifest.dump());
  archive.AddFile("config.json", 0644, config.dump());
  archive.AddFile("layer.tar", 0644, layer_tar);
  return std::move(archive).Finish();
}

void EnsurePauseImage(DockerApi& docker) {
  if (docker.ImageExists(kPauseImage)) return;
  docker.LoadImage(PauseImageTar());
}

}  // namespace berth::docker
