#include "server/ecr/auth_token.h"

#include <charconv>
#include <openssl/crypto.h>

#include "server/util/crypto.h"

namespace berth::ecr {
namespace {

constexpr std::string_view kVersion = "b1";
constexpr size_t kSignatureBytes = 24;

}  // namespace

std::string TokenIssuer::Sign(std::string_view payload) const {
  return crypto::Base64UrlEncode(crypto::HmacSha256(secret_, payload).substr(0, kSignatureBytes));
}

std::string TokenIssuer::Issue(std::string_view account_id, std::string_view region, int64_t now,
                               int64_t& expires_at) const {
  expires_at = now + kLifetimeSeconds;
  std::string payload(kVersion);
  payload += '|';
  payload += account_id;
  payload += '|';
  payload += region;
  payload += '|';
  payload += std::to_string(expires_at);
  const std::string encoded = crypto::Base64UrlEncode(payload);
  return encoded + "." + Sign(encoded);
}

std::optional<TokenGrant> TokenIssuer::Verify(std::string_view password, int64_t now) const {
  const auto dot = password.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view encoded = password.substr(0, dot);
  const std::string expected = Sign(encoded);
  const std::string_view given = password.substr(dot + 1);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  const auto payload = crypto::Base64UrlDecode(encoded);
  if (!payload) return std::nullopt;
  std::string_view parts[4];
  std::string_view rest = *payload;
  for (int i = 0; i < 4; ++i) {
    const auto bar = rest.find('|');
    parts[i] = rest.substr(0, bar);
    rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
  }
  if (parts[0] != kVersion) return std::nullopt;
  int64_t expires_at = 0;
  const auto [end, ec] =
      std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), expires_at);
  if (ec != std::errc() || end != parts[3].data() + parts[3].size() || expires_at <= now) {
    return std::nullopt;
  }
  return TokenGrant{std::string(parts[1]), std::string(parts[2]), expires_at};
}

}  // namespace berth::ecr
