#pragma once

// Berth's stand-in for AWS Secrets Manager, for pull-through cache rules'
// credentialArn: a JSON file mapping a secret (its full ARN, or its name
// such as "ecr-pullthroughcache/hub") to the secret value ECR expects,
// {"username": "...", "accessToken": "..."}. The file is read on every
// lookup, so it may be edited while Berth runs.
//
// Thread-safety: Lookup may be called from any thread.

#include <optional>
#include <string>

#include "upstream/registry_client.h"

namespace berth::ecr {

struct SecretLookup {
  enum class Status {
    kFound,
    kNoFile,         // no file configured, or it cannot be read
    kNotFound,       // the file has no such secret
    kUndecryptable,  // the file or the entry is not the JSON ECR expects
  };
  Status status = Status::kNotFound;
  upstream::Credentials credentials;  // when kFound
  std::string detail;                 // why, otherwise
};

class SecretsFile {
 public:
  explicit SecretsFile(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  SecretLookup Lookup(const std::string& arn) const;

 private:
  std::string path_;
};

}  // namespace berth::ecr
