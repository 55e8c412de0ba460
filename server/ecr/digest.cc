#include "server/ecr/digest.h"

#include <algorithm>

namespace berth::ecr {
namespace {

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::optional<Digest> ParseDigest(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view algorithm = text.substr(0, colon);
  const std::string_view hex = text.substr(colon + 1);
  const size_t expected = algorithm == "sha256" ? 64 : algorithm == "sha512" ? 128 : 0;
  if (expected == 0 || hex.size() != expected || !IsLowerHex(hex)) return std::nullopt;
  return Digest{std::string(algorithm), std::string(hex), std::string(text)};
}

bool LooksLikeDigest(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= text.size()) return false;
  const std::string_view algorithm = text.substr(0, colon);
  const std::string_view encoded = text.substr(colon + 1);
  const auto alg_ok = std::all_of(algorithm.begin(), algorithm.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '_' ||
           c == '-';
  });
  const auto enc_ok = std::all_of(encoded.begin(), encoded.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '=' ||
           c == '_' || c == '-';
  });
  return alg_ok && enc_ok;
}

std::string Sha256Digest(std::string_view content) {
  return "sha256:" + crypto::Sha256Hex(content);
}

}  // namespace berth::ecr
