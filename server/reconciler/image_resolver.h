#pragma once

// Which image a task container runs, and how Docker gets it:
//   - Berth's own repository URIs (<registry host>/<repo>[:tag|@digest]) are
//     pulled from Berth's registry with a token of the task's account;
//   - AWS-shaped ECR URIs (<account>.dkr.ecr.<region>.amazonaws.com/<repo>...)
//     of a repository Berth holds are rewritten to Berth's registry, in that
//     account and region;
//   - anything else is used as given (a local image, or another registry).
//
// Thread-safety: immutable after construction; use from any thread.

#include <functional>
#include <optional>
#include <string>

#include "storage/records.h"

namespace berth::reconciler {

struct ResolvedImage {
  std::string reference;  // what Docker pulls and runs
  // Set when the image comes from Berth's registry: whose repository it is.
  std::optional<storage::Partition> berth_registry;
};

class ImageResolver {
 public:
  // Whether Berth holds `repository` in `partition`.
  using RepositoryExists =
      std::function<bool(const storage::Partition& partition, const std::string& repository)>;

  ImageResolver(std::string registry_host, RepositoryExists exists)
      : registry_host_(std::move(registry_host)),
        pull_host_(registry_host_),
        exists_(std::move(exists)) {}

  // The same resolver for an engine that reaches Berth's registry at
  // `pull_host` (host:port) instead: images of Berth's registry are pulled
  // from there, whichever of the two names they were given with.
  ImageResolver PulledThrough(std::string pull_host) const {
    ImageResolver out = *this;
    out.pull_host_ = std::move(pull_host);
    return out;
  }

  ResolvedImage Resolve(const std::string& image, const storage::Partition& task_partition) const;
  // Berth's registry as users name it (repositoryUri).
  const std::string& registry_host() const { return registry_host_; }
  // Berth's registry as the engine reaches it (registry_host() unless
  // PulledThrough another).
  const std::string& pull_host() const { return pull_host_; }

 private:
  std::string registry_host_;
  std::string pull_host_;
  RepositoryExists exists_;
};

// The repository part of an image reference without registry host, tag or
// digest ("team/app" of "host:1/team/app:v1").
std::string RepositoryOf(const std::string& path_and_reference);

// The X-Registry-Auth value Docker wants for Basic credentials: base64url
// (with padding) of {"username","password","serveraddress"}.
std::string RegistryAuthHeader(const std::string& username, const std::string& password,
                               const std::string& server);

}  // namespace berth::reconciler
