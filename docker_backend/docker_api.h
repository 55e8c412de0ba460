#pragma once

// The seam between Berth and a Docker Engine (the leveldb `Env` of this
// project): the few calls the ECS reconciler needs, each with an idempotent
// meaning so that running a reconcile step twice is harmless. The real
// implementation is CurlDockerClient (Engine API over the unix socket); tests
// use an in-memory fake.
//
// Every method throws DockerError when the daemon answers with an error, or
// cannot be reached (http_status 0).
//
// Thread-safety: implementations may be used from one thread at a time.

#include <stdexcept>
#include <string>
#include <vector>

#include "docker_backend/types.h"

namespace berth::docker {

class DockerError : public std::runtime_error {
 public:
  DockerError(int http_status, const std::string& message)
      : std::runtime_error(message), http_status_(http_status) {}
  // The daemon's HTTP status; 0 when it could not be reached.
  int http_status() const noexcept { return http_status_; }
  bool unreachable() const noexcept { return http_status_ == 0; }

 private:
  int http_status_;
};

class DockerApi {
 public:
  virtual ~DockerApi() = default;

  // True when the daemon answers.
  virtual bool Ping() = 0;
  // True when the image is present locally.
  virtual bool ImageExists(const std::string& image) = 0;
  // Pulls `image` (a reference with a tag or digest); `registry_auth` is the
  // X-Registry-Auth value or empty. Throws DockerError with the daemon's
  // message when the pull fails (before or during the stream).
  virtual void PullImage(const std::string& image, const std::string& registry_auth) = 0;
  // Loads a docker-archive tar (e.g. the pause image).
  virtual void LoadImage(const std::string& tar) = 0;

  // Creates the container; when the name is taken returns the existing one's
  // id. Returns the container id.
  virtual std::string CreateContainer(const ContainerSpec& spec) = 0;
  // Starts; already running is success.
  virtual void StartContainer(const std::string& id) = 0;
  // Stops with a timeout (SIGTERM, then SIGKILL); already stopped or missing
  // is success.
  virtual void StopContainer(const std::string& id, int timeout_seconds) = 0;
  // Removes (forcibly, with anonymous volumes); missing is success.
  virtual void RemoveContainer(const std::string& id) = 0;
  // The container's state; DockerError 404 when it does not exist.
  virtual ContainerState InspectContainer(const std::string& id) = 0;
  // Containers (running or not) carrying every label of `labels` ("k=v").
  virtual std::vector<ContainerSummary> ListContainers(const std::vector<std::string>& labels) = 0;

  // Creates a bridge network (or returns the existing one's id).
  virtual std::string CreateNetwork(const std::string& name, const std::string& subnet,
                                    const std::string& gateway,
                                    const std::map<std::string, std::string>& labels) = 0;
  // Missing is success.
  virtual void RemoveNetwork(const std::string& id) = 0;
};

}  // namespace berth::docker
