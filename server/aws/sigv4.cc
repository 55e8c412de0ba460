#include "server/aws/sigv4.h"

#include <algorithm>
#include <cctype>

namespace berth::aws {

std::optional<CredentialScope> ParseCredentialScope(std::string_view authorization) {
  constexpr std::string_view kMarker = "Credential=";
  const auto at = authorization.find(kMarker);
  if (authorization.substr(0, 4) != "AWS4" || at == std::string_view::npos) return std::nullopt;
  std::string_view rest = authorization.substr(at + kMarker.size());
  rest = rest.substr(0, rest.find_first_of(", "));
  // AKID/date/region/service/aws4_request
  std::string_view parts[5];
  for (int i = 0; i < 5; ++i) {
    const auto slash = rest.find('/');
    if (i < 4 && slash == std::string_view::npos) return std::nullopt;
    parts[i] = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  if (parts[0].empty() || parts[2].empty() || parts[4] != "aws4_request") return std::nullopt;
  return CredentialScope{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
                         std::string(parts[3])};
}

std::string AccountForAccessKey(std::string_view access_key_id,
                                const std::string& default_account) {
  const bool twelve_digits = access_key_id.size() == 12 &&
                             std::all_of(access_key_id.begin(), access_key_id.end(), [](char c) {
                               return std::isdigit(static_cast<unsigned char>(c)) != 0;
                             });
  return twelve_digits ? std::string(access_key_id) : default_account;
}

bool IsRegionName(std::string_view name) {
  // words: [a-z]+ separated by '-', at least three parts, first of two
  // letters, last of digits.
  size_t parts = 0;
  size_t start = 0;
  while (true) {
    const size_t dash = name.find('-', start);
    const std::string_view part =
        name.substr(start, dash == std::string_view::npos ? name.npos : dash - start);
    if (part.empty()) return false;
    const bool last = dash == std::string_view::npos;
    for (const char c : part) {
      if (last ? (c < '0' || c > '9') : (c < 'a' || c > 'z')) return false;
    }
    if (parts == 0 && part.size() != 2) return false;
    ++parts;
    if (last) break;
    start = dash + 1;
  }
  return parts >= 3;
}

}  // namespace berth::aws
