#pragma once

// Strict authentication of AWS API calls (opt-in: --credentials FILE): each
// request must carry a SigV4 Authorization header whose signature Berth
// recomputes with the secret of its access key, as AWS does:
//   * no Authorization header           MissingAuthenticationTokenException
//   * an incomplete header              IncompleteSignatureException
//   * an unknown key or session token   UnrecognizedClientException
//   * an expired session token          ExpiredTokenException
//   * X-Amz-Date more than 15 minutes away from Berth's clock, or a scope
//     naming another date or service,
//     or a signature that does not match InvalidSignatureException
// Long-term keys come from the credentials file; temporary ones (with
// X-Amz-Security-Token, e.g. the task-role credentials Berth hands to tasks)
// from a SessionResolver.
//
// Thread-safety: immutable after wiring; Authenticate may run on every
// server thread at once.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "server/aws/credentials_file.h"
#include "server/http/message.h"

namespace berth::aws {

// Who signed a request.
struct Principal {
  std::string access_key_id;
  std::string account_id;
  std::string principal_arn;
};

// The secret behind a temporary access key and session token.
struct SessionCredential {
  std::string secret_access_key;
  std::string account_id;
  std::string principal_arn;
  double expires_at = 0;  // epoch seconds
};

// The credential of (access key id, session token); nullopt when the token is
// not a genuine one for that key. Expiry is checked by the Authenticator.
using SessionResolver = std::function<std::optional<SessionCredential>(
    std::string_view access_key_id, std::string_view session_token)>;

class Authenticator {
 public:
  // How far X-Amz-Date may be from Berth's clock, either way.
  static constexpr int64_t kMaxSkewSeconds = 15 * 60;

  explicit Authenticator(CredentialsFile credentials) : credentials_(std::move(credentials)) {}

  // Wire before serving.
  void SetSessionResolver(SessionResolver resolver) { sessions_ = std::move(resolver); }

  // The principal that signed `request` for `service` (its signing name, e.g.
  // "ecr"; empty: any) at `now`. Throws AwsError as listed above.
  Principal Authenticate(const http::Request& request, std::string_view service, double now) const;

 private:
  CredentialsFile credentials_;
  SessionResolver sessions_;
};

}  // namespace berth::aws
