#pragma once

// Issues and checks the registry passwords GetAuthorizationToken hands out.
// A password names the account and region it grants and when it expires, and
// is signed with HMAC-SHA256 under a secret kept in the database, so tokens
// stay valid across restarts. Passwords never contain ':' (the CLI splits
// "AWS:<password>" on it).
//
// Thread-safety: immutable after construction; use from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::ecr {

struct TokenGrant {
  std::string account_id;
  std::string region;
  int64_t expires_at = 0;  // epoch seconds
};

class TokenIssuer {
 public:
  static constexpr int64_t kLifetimeSeconds = 12 * 60 * 60;

  explicit TokenIssuer(std::string secret) : secret_(std::move(secret)) {}

  // A password valid for kLifetimeSeconds from `now`.
  std::string Issue(std::string_view account_id, std::string_view region, int64_t now,
                    int64_t& expires_at) const;
  // The grant of a genuine, unexpired password; nullopt otherwise.
  std::optional<TokenGrant> Verify(std::string_view password, int64_t now) const;

 private:
  std::string Sign(std::string_view payload) const;
  std::string secret_;
};

}  // namespace berth::ecr
