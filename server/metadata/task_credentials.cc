#include "server/metadata/task_credentials.h"

#include <charconv>
#include <cmath>
#include <vector>

#include <openssl/crypto.h>

#include "server/aws/credentials_file.h"
#include "server/util/crypto.h"
#include "server/util/time_format.h"

namespace berth::metadata {
namespace {

constexpr std::string_view kTokenVersion = "t1";

std::vector<std::string> SplitBars(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const auto bar = text.find('|', start);
    out.push_back(text.substr(start, bar == std::string::npos ? bar : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return out;
}

}  // namespace

std::string AssumedRoleArn(std::string_view role_arn, std::string_view session) {
  // arn:<partition>:iam::<account>:role/<path/>name
  const auto iam = role_arn.find(":iam::");
  const auto role = role_arn.find(":role/");
  if (!role_arn.starts_with("arn:") || iam == std::string_view::npos ||
      role == std::string_view::npos || role < iam) {
    return "";
  }
  const std::string_view partition = role_arn.substr(4, iam - 4);
  const std::string_view account = role_arn.substr(iam + 6, role - iam - 6);
  const std::string_view name = role_arn.substr(role_arn.rfind('/') + 1);
  return "arn:" + std::string(partition) + ":sts::" + std::string(account) + ":assumed-role/" +
         std::string(name) + "/" + std::string(session);
}

std::string TaskCredentials::SecretFor(const std::string& scope) const {
  std::string secret = crypto::Base64Encode(crypto::HmacSha256(secret_, "secret|" + scope));
  secret.resize(40);
  return secret;
}

nlohmann::json TaskCredentials::Issue(const std::string& credentials_id,
                                      const std::string& account_id, const std::string& role_arn,
                                      double now) const {
  const double window = std::floor(now / kRotationSeconds) * kRotationSeconds;
  const std::string hour = std::to_string(static_cast<long long>(window));
  const std::string scope = credentials_id + "|" + hour;
  const std::string payload =
      crypto::Base64UrlEncode(std::string(kTokenVersion) + "|" + credentials_id + "|" + hour + "|" +
                              account_id + "|" + role_arn);
  const std::string token =
      payload + "." + crypto::Base64UrlEncode(crypto::HmacSha256(secret_, "token|" + payload));
  return {{"RoleArn", role_arn},
          {"AccessKeyId", account_id},
          {"SecretAccessKey", SecretFor(scope)},
          {"Token", token},
          {"Expiration", FormatRfc3339(window + kLifetimeSeconds, 0)}};
}

std::optional<aws::SessionCredential> TaskCredentials::Resolve(std::string_view access_key_id,
                                                               std::string_view token) const {
  const auto dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string payload(token.substr(0, dot));
  const std::string expected =
      crypto::Base64UrlEncode(crypto::HmacSha256(secret_, "token|" + payload));
  const std::string_view given = token.substr(dot + 1);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  const auto decoded = crypto::Base64UrlDecode(payload);
  if (!decoded) return std::nullopt;
  const auto fields = SplitBars(*decoded);
  if (fields.size() != 5 || fields[0] != kTokenVersion || fields[3] != access_key_id) {
    return std::nullopt;
  }
  long long window = 0;
  const auto [end, ec] =
      std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), window);
  if (ec != std::errc() || end != fields[2].data() + fields[2].size()) return std::nullopt;
  aws::SessionCredential out;
  out.secret_access_key = SecretFor(fields[1] + "|" + fields[2]);
  out.account_id = fields[3];
  out.principal_arn = AssumedRoleArn(fields[4], fields[1]);
  if (out.principal_arn.empty()) out.principal_arn = aws::RootPrincipalArn(fields[3]);
  out.expires_at = static_cast<double>(window) + kLifetimeSeconds;
  return out;
}

}  // namespace berth::metadata
