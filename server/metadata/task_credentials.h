#pragma once

// Task-role credentials as the ECS agent serves them at
// 169.254.170.2/v2/credentials/<id> (reference ecs-semantics.md §3.5). The
// access key id is the task's 12-digit account id (Berth's key convention),
// so a call a task makes to Berth with them acts in the task's own account.
// The session token is self-describing and sealed: "<base64url payload>.
// <base64url HMAC-SHA256>" over (credentials id, hour, account, role ARN)
// under a secret of this data directory; the secret access key is derived
// with HMAC-SHA256 from the same secret, the credentials id and the hour. So
// every request in an hour sees the same keys, each set is valid for six
// hours, SDKs refresh to a new set well before expiry, and strict
// authentication (Resolve) recomputes the secret from a request's key id and
// token alone.
//
// Thread-safety: const methods may be called from any thread.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/aws/authenticator.h"

namespace berth::metadata {

class TaskCredentials {
 public:
  static constexpr double kRotationSeconds = 3600;
  static constexpr double kLifetimeSeconds = 6 * 3600;

  explicit TaskCredentials(std::string secret) : secret_(std::move(secret)) {}

  // {RoleArn, AccessKeyId, SecretAccessKey, Token, Expiration} at `now`.
  nlohmann::json Issue(const std::string& credentials_id, const std::string& account_id,
                       const std::string& role_arn, double now) const;

  // The credential behind a token Issue made for `access_key_id` (expired
  // ones included: the caller checks expires_at); nullopt for a forged,
  // malformed or misapplied token. The principal is the role's session,
  // arn:aws:sts::<account>:assumed-role/<role name>/<credentials id> (the
  // account's root when the task has no role).
  std::optional<aws::SessionCredential> Resolve(std::string_view access_key_id,
                                                std::string_view token) const;

 private:
  std::string SecretFor(const std::string& scope) const;
  std::string secret_;
};

// arn:aws:sts::<account>:assumed-role/<name>/<session> for a role ARN
// (arn:aws:iam::<account>:role[/path]/<name>); empty when `role_arn` is not one.
std::string AssumedRoleArn(std::string_view role_arn, std::string_view session);

}  // namespace berth::metadata
