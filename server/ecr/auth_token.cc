#include "server/ecr/auth_token.h"

#include <charconv>

#include <openssl/crypto.h>

#include "server/util/crypto.h"

namespace berth::ecr {
namespace {

constexpr std::string_view kPasswordVersion = "b1";           // account, region, expiry
constexpr std::string_view kPrincipalPasswordVersion = "b2";  // ... and principal
constexpr std::string_view kDownloadVersion = "d1";
constexpr size_t kSignatureBytes = 24;

// An expiry field, if it is a number after `now`.
std::optional<int64_t> Unexpired(std::string_view text, int64_t now) {
  int64_t expires_at = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), expires_at);
  if (ec != std::errc() || end != text.data() + text.size() || expires_at <= now) {
    return std::nullopt;
  }
  return expires_at;
}

}  // namespace

std::string TokenIssuer::Sign(std::string_view payload) const {
  return crypto::Base64UrlEncode(crypto::HmacSha256(secret_, payload).substr(0, kSignatureBytes));
}

std::string TokenIssuer::Seal(const std::vector<std::string_view>& fields) const {
  std::string payload;
  for (const auto field : fields) {
    if (!payload.empty()) payload += '|';
    payload += field;
  }
  const std::string encoded = crypto::Base64UrlEncode(payload);
  return encoded + "." + Sign(encoded);
}

std::optional<std::vector<std::string>> TokenIssuer::Open(std::string_view token,
                                                          size_t count) const {
  const auto dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view encoded = token.substr(0, dot);
  const std::string expected = Sign(encoded);
  const std::string_view given = token.substr(dot + 1);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  const auto payload = crypto::Base64UrlDecode(encoded);
  if (!payload) return std::nullopt;
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    const auto bar = payload->find('|', start);
    fields.push_back(payload->substr(start, bar == std::string::npos ? bar : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  if (fields.size() != count) return std::nullopt;
  return fields;
}

std::string TokenIssuer::Issue(std::string_view account_id, std::string_view region, int64_t now,
                               int64_t& expires_at, std::string_view principal_arn) const {
  expires_at = now + kLifetimeSeconds;
  const std::string expiry = std::to_string(expires_at);
  const std::string principal = principal_arn.empty()
                                    ? "arn:aws:iam::" + std::string(account_id) + ":root"
                                    : std::string(principal_arn);
  return Seal({kPrincipalPasswordVersion, account_id, region, expiry, principal});
}

std::optional<TokenGrant> TokenIssuer::Verify(std::string_view password, int64_t now) const {
  if (const auto fields = Open(password, 5)) {
    if ((*fields)[0] != kPrincipalPasswordVersion) return std::nullopt;
    const auto expires_at = Unexpired((*fields)[3], now);
    if (!expires_at) return std::nullopt;
    return TokenGrant{(*fields)[1], (*fields)[2], *expires_at, (*fields)[4]};
  }
  const auto fields = Open(password, 4);
  if (!fields || (*fields)[0] != kPasswordVersion) return std::nullopt;
  const auto expires_at = Unexpired((*fields)[3], now);
  if (!expires_at) return std::nullopt;
  return TokenGrant{(*fields)[1], (*fields)[2], *expires_at,
                    "arn:aws:iam::" + (*fields)[1] + ":root"};
}

std::string TokenIssuer::IssueDownload(const DownloadGrant& grant, int64_t now) const {
  const std::string expiry = std::to_string(now + kDownloadLifetimeSeconds);
  return Seal(
      {kDownloadVersion, grant.account_id, grant.region, grant.repository, grant.digest, expiry});
}

std::optional<DownloadGrant> TokenIssuer::VerifyDownload(std::string_view token,
                                                         int64_t now) const {
  const auto fields = Open(token, 6);
  if (!fields || (*fields)[0] != kDownloadVersion) return std::nullopt;
  const auto expires_at = Unexpired((*fields)[5], now);
  if (!expires_at) return std::nullopt;
  return DownloadGrant{(*fields)[1], (*fields)[2], (*fields)[3], (*fields)[4], *expires_at};
}

}  // namespace berth::ecr
