#pragma once

// Task-role credentials as the ECS agent serves them at
// 169.254.170.2/v2/credentials/<id> (reference ecs-semantics.md §3.5). The
// access key id is the task's 12-digit account id (Berth's key convention),
// so a call a task makes to Berth with them acts in the task's own account;
// the secret and session token are derived with HMAC-SHA256 from a secret of
// this data directory, the credentials id and the hour, so every request in
// an hour sees the same keys, each set is valid for six hours, and SDKs
// refresh to a new set well before expiry. A later strict-authentication mode
// can recompute the secret from the key id's request alone.
//
// Thread-safety: const methods may be called from any thread.

#include <string>

#include <nlohmann/json.hpp>

namespace berth::metadata {

class TaskCredentials {
 public:
  static constexpr double kRotationSeconds = 3600;
  static constexpr double kLifetimeSeconds = 6 * 3600;

  explicit TaskCredentials(std::string secret) : secret_(std::move(secret)) {}

  // {RoleArn, AccessKeyId, SecretAccessKey, Token, Expiration} at `now`.
  nlohmann::json Issue(const std::string& credentials_id, const std::string& account_id,
                       const std::string& role_arn, double now) const;

 private:
  std::string secret_;
};

}  // namespace berth::metadata
