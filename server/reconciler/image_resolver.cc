#include "server/reconciler/image_resolver.h"

#include <regex>

#include <nlohmann/json.hpp>

#include "server/util/crypto.h"

namespace berth::reconciler {

std::string RepositoryOf(const std::string& path) {
  std::string repository = path.substr(0, path.find('@'));
  const auto slash = repository.rfind('/');
  const auto colon = repository.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    repository.resize(colon);
  }
  return repository;
}

ResolvedImage ImageResolver::Resolve(const std::string& image,
                                     const storage::Partition& task_partition) const {
  const std::string own_prefix = registry_host_ + "/";
  const std::string pull_prefix = pull_host_ + "/";
  if (image.starts_with(pull_prefix)) return {image, task_partition};
  if (image.starts_with(own_prefix)) {
    return {pull_prefix + image.substr(own_prefix.size()), task_partition};
  }
  static const std::regex kEcr(
      R"(([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/(.+))");
  std::smatch match;
  if (std::regex_match(image, match, kEcr)) {
    const storage::Partition partition{match[1].str(), match[2].str()};
    const std::string rest = match[4].str();
    if (exists_(partition, RepositoryOf(rest))) {
      return {pull_prefix + rest, partition};
    }
  }
  return {image, std::nullopt};
}

std::string RegistryAuthHeader(const std::string& username, const std::string& password,
                               const std::string& server) {
  const std::string body =
      nlohmann::json{{"username", username}, {"password", password}, {"serveraddress", server}}
          .dump();
  // Docker wants URL-safe base64 *with* padding; without it the header is
  // silently treated as "no credentials".
  std::string encoded = crypto::Base64UrlEncode(body);
  while (encoded.size() % 4 != 0) encoded += '=';
  return encoded;
}

}  // namespace berth::reconciler
