#include "server/aws/pagination.h"

#include "server/util/crypto.h"

namespace berth::aws {

std::string EncodePageToken(std::string_view listing, std::string_view resume_key) {
  std::string plain(listing);
  plain += '\n';
  plain += resume_key;
  return crypto::Base64UrlEncode(plain);
}

std::optional<std::string> DecodePageToken(std::string_view listing, std::string_view token) {
  auto plain = crypto::Base64UrlDecode(token);
  if (!plain) return std::nullopt;
  const std::string_view view(*plain);
  if (view.size() <= listing.size() || view.substr(0, listing.size()) != listing ||
      view[listing.size()] != '\n') {
    return std::nullopt;
  }
  return std::string(view.substr(listing.size() + 1));
}

}  // namespace berth::aws
