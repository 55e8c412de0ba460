#pragma once

// Image references as the fake daemon reads them, shared by the parts of
// FakeDocker (fake_docker.cc, fake_docker_images.cc).

#include <string>

namespace berth::testing::fake_docker {

// "repo" -> "repo:latest"; tags and digests are kept.
inline std::string NormalizeReference(const std::string& reference) {
  if (reference.find('@') != std::string::npos) return reference;
  const auto slash = reference.rfind('/');
  const auto colon = reference.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    return reference;
  }
  return reference + ":latest";
}

// The repository part of a reference without its registry host.
inline std::string RepositoryPath(const std::string& reference) {
  std::string repository = reference.substr(0, reference.find('@'));
  const auto slash = repository.rfind('/');
  const auto colon = repository.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    repository.erase(colon);
  }
  const auto first = repository.find('/');
  if (first != std::string::npos) {
    const std::string host = repository.substr(0, first);
    if (host.find('.') != std::string::npos || host.find(':') != std::string::npos ||
        host == "localhost") {
      repository.erase(0, first + 1);
    }
  }
  return repository;
}

inline bool IsHex(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0 &&
           std::isupper(static_cast<unsigned char>(c)) == 0;
  });
}

// IPv4 "a.b.c.d" -> host-order integer.
}  // namespace berth::testing::fake_docker
