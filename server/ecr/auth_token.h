#pragma once

// Issues and checks the two kinds of signed tokens Berth hands out:
//  * registry passwords (GetAuthorizationToken), naming the account and
//    region they grant, the IAM principal they were issued to (pull-time
//    update exclusions apply to its pulls) and when they expire;
//  * download tokens (GetDownloadUrlForLayer), which let anyone holding the
//    URL read one blob of one repository for an hour, as the pre-signed S3
//    URL of real ECR does.
// Both are "<base64url payload>.<base64url HMAC-SHA256>" under a secret kept
// in the database, so tokens stay valid across restarts. The payload starts
// with its kind, so a password is never accepted as a download token nor the
// other way round. Neither contains ':' (the CLI splits "AWS:<password>" on
// it) or characters that need escaping in a URL.
//
// Thread-safety: immutable after construction; use from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::ecr {

struct TokenGrant {
  std::string account_id;
  std::string region;
  int64_t expires_at = 0;  // epoch seconds
  // Who GetAuthorizationToken issued it to (the account's root for tokens
  // from before principals were recorded).
  std::string principal_arn;
};

// What a download token allows: GET/HEAD of `digest` in `repository` of the
// account and region, until `expires_at`.
struct DownloadGrant {
  std::string account_id;
  std::string region;
  std::string repository;
  std::string digest;
  int64_t expires_at = 0;  // epoch seconds
};

// The query parameter of a download URL that carries its token.
inline constexpr std::string_view kDownloadTokenParam = "X-Berth-Token";

class TokenIssuer {
 public:
  static constexpr int64_t kLifetimeSeconds = 12 * 60 * 60;
  static constexpr int64_t kDownloadLifetimeSeconds = 60 * 60;

  explicit TokenIssuer(std::string secret) : secret_(std::move(secret)) {}

  // A password valid for kLifetimeSeconds from `now`, issued to
  // `principal_arn` (empty: the account's root user).
  std::string Issue(std::string_view account_id, std::string_view region, int64_t now,
                    int64_t& expires_at, std::string_view principal_arn = {}) const;
  // The grant of a genuine, unexpired password; nullopt otherwise.
  std::optional<TokenGrant> Verify(std::string_view password, int64_t now) const;

  // A download token for `grant`, valid for kDownloadLifetimeSeconds from
  // `now` (grant.expires_at is ignored and set in the token).
  std::string IssueDownload(const DownloadGrant& grant, int64_t now) const;
  // The grant of a genuine, unexpired download token; nullopt otherwise.
  std::optional<DownloadGrant> VerifyDownload(std::string_view token, int64_t now) const;

 private:
  std::string Sign(std::string_view payload) const;
  // "<encoded fields>.<signature>" for fields joined with '|'.
  std::string Seal(const std::vector<std::string_view>& fields) const;
  // The '|'-separated fields of a genuine token, if it has exactly `count`
  // of them; nullopt for a forged or malformed one.
  std::optional<std::vector<std::string>> Open(std::string_view token, size_t count) const;

  std::string secret_;
};

}  // namespace berth::ecr
