#include "server/metadata/task_credentials.h"

#include <cmath>

#include "server/util/crypto.h"
#include "server/util/time_format.h"

namespace berth::metadata {

nlohmann::json TaskCredentials::Issue(const std::string& credentials_id,
                                      const std::string& account_id, const std::string& role_arn,
                                      double now) const {
  const double window = std::floor(now / kRotationSeconds) * kRotationSeconds;
  const std::string scope = credentials_id + "|" + std::to_string(static_cast<long long>(window));
  std::string secret = crypto::Base64Encode(crypto::HmacSha256(secret_, "secret|" + scope));
  secret.resize(40);
  const std::string token = crypto::Base64Encode(crypto::HmacSha256(secret_, "token|" + scope) +
                                                 crypto::HmacSha256(secret_, "token2|" + scope));
  return {{"RoleArn", role_arn},
          {"AccessKeyId", account_id},
          {"SecretAccessKey", secret},
          {"Token", token},
          {"Expiration", FormatRfc3339(window + kLifetimeSeconds, 0)}};
}

}  // namespace berth::metadata
