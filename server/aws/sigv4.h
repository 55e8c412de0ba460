#pragma once

// Reads the credential scope of a SigV4 Authorization header:
//   AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ecs/aws4_request, ...
// Signatures are verified only under strict authentication (Authenticator).

#include <optional>
#include <string>
#include <string_view>

namespace berth::aws {

struct CredentialScope {
  std::string access_key_id;
  std::string date;
  std::string region;
  std::string service;
};

// nullopt when the header is not a SigV4 header with a well-formed scope.
std::optional<CredentialScope> ParseCredentialScope(std::string_view authorization);

// True for AWS region names: lowercase words joined by '-', the first of
// two letters, the last a number (us-east-1, eu-central-2, us-gov-west-1).
bool IsRegionName(std::string_view name);

// The account a caller acts in: a 12-digit access key id is that account (a
// Berth convention for multi-account tests); any other key is the default.
std::string AccountForAccessKey(std::string_view access_key_id, const std::string& default_account);

}  // namespace berth::aws
