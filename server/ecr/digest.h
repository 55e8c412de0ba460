#pragma once

// Content digests as registries spell them: "<algorithm>:<lowercase hex>",
// sha256 (64 digits) or sha512 (128 digits). Anything else is not a digest
// Berth stores or serves, so a parsed Digest is safe to use in file paths.

#include <optional>
#include <string>
#include <string_view>

#include "server/util/crypto.h"

namespace berth::ecr {

struct Digest {
  std::string algorithm;  // "sha256" or "sha512"
  std::string hex;
  std::string text;  // "<algorithm>:<hex>"

  crypto::Hasher::Algorithm hasher() const {
    return algorithm == "sha512" ? crypto::Hasher::Algorithm::kSha512
                                 : crypto::Hasher::Algorithm::kSha256;
  }
};

std::optional<Digest> ParseDigest(std::string_view text);
// True when `text` has the general shape "<alg>:<encoded>" of the OCI spec,
// even with an algorithm Berth does not support (for choosing the error).
bool LooksLikeDigest(std::string_view text);
// The sha256 digest of `content`.
std::string Sha256Digest(std::string_view content);

}  // namespace berth::ecr
