#pragma once

// The few cryptographic and encoding primitives Berth needs: random ids (the
// kernel's getrandom), SHA-256 and HMAC-SHA256 (OpenSSL's libcrypto), base64
// and hex.
//
// Thread-safety: all functions may be called from any thread.

#include <optional>
#include <string>
#include <string_view>

namespace berth::crypto {

// `count` cryptographically random bytes.
std::string RandomBytes(size_t count);
// A random RFC 4122 version-4 UUID, lowercase ("8-4-4-4-12"), from the
// kernel's CSPRNG (for ids that must not be guessable: uploads, tokens).
std::string Uuid();
// A version-4 UUID from a fast per-thread generator seeded by the kernel, for
// ids that only need to be unique (request ids).
std::string FastUuid();
// `count` random lowercase hex digits.
std::string RandomHex(size_t count);

std::string Sha256(std::string_view data);                            // 32 raw bytes
std::string Sha256Hex(std::string_view data);                         // 64 lowercase hex digits
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes

// An incremental SHA-256 or SHA-512 (for streaming uploads).
class Hasher {
 public:
  enum class Algorithm { kSha256, kSha512 };
  explicit Hasher(Algorithm algorithm = Algorithm::kSha256);
  Hasher(Hasher&& other) noexcept;
  Hasher& operator=(Hasher&& other) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  ~Hasher();

  void Update(std::string_view data);
  // The lowercase hex digest; the hasher must not be used afterwards.
  std::string FinalHex();

 private:
  void* context_ = nullptr;  // EVP_MD_CTX
};

// The hex digest of a whole file; nullopt when it cannot be read.
std::optional<std::string> HashFileHex(const std::string& path, Hasher::Algorithm algorithm);

std::string Hex(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);
std::string Base64UrlEncode(std::string_view bytes);  // no padding
// Strict decoding (standard alphabet, padding required); nullopt on bad input.
std::optional<std::string> Base64Decode(std::string_view text);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace berth::crypto
