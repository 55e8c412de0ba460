#pragma once

// The seam between Berth and a Docker Engine (the leveldb `Env` of this
// project): the few calls the ECS reconciler needs, each with an idempotent
// meaning so that running a reconcile step twice is harmless. The real
// implementation is CurlDockerClient (Engine API over the unix socket); tests
// use the in-memory tests/fakes/fake_docker.h, and one conformance suite
// (tests/conformance/docker_api_conformance.h) runs against both.
//
// Errors: every method throws DockerError when the daemon answers with an
// error, or cannot be reached (http_status 0). what() is the daemon's own
// message, verbatim (e.g. `No such container: x`, or for a failed pull
// `manifest for r:t not found: manifest unknown: manifest unknown`), so a
// caller can build ECS reasons such as "CannotPullContainerError: " + what().
// An unreachable daemon gives "Cannot connect to the Docker daemon: ...".
//
// Thread-safety: implementations may be used from one thread at a time.

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "docker_backend/types.h"

namespace berth::docker {

class DockerError : public std::runtime_error {
 public:
  DockerError(int http_status, const std::string& message)
      : std::runtime_error(message), http_status_(http_status) {}
  // The daemon's HTTP status; 0 when it could not be reached. Errors the
  // daemon reports inside a 200 stream (pull, load) carry 500.
  int http_status() const noexcept { return http_status_; }
  bool unreachable() const noexcept { return http_status_ == 0; }

 private:
  int http_status_;
};

class DockerApi {
 public:
  virtual ~DockerApi() = default;

  // True when the daemon answers. Never throws.
  virtual bool Ping() = 0;
  // The daemon's host: name, OS, architecture, CPUs and memory. Throws
  // DockerError.
  virtual EngineInfo Info() = 0;
  // True when the image is present locally ("repo" means "repo:latest"; an
  // image id works too).
  virtual bool ImageExists(const std::string& image) = 0;
  // Pulls `image` (a reference with a tag or digest); `registry_auth` is the
  // X-Registry-Auth value or empty. Throws DockerError with the daemon's
  // message when the pull fails (before or during the stream). Pulling an
  // image that is present is success.
  virtual void PullImage(const std::string& image, const std::string& registry_auth) = 0;
  // Loads a docker-archive tar (e.g. the pause image); loading it again is
  // success. Throws DockerError (500) when the daemon rejects the archive.
  virtual void LoadImage(const std::string& tar) = 0;

  // Creates the container (never pulls: a missing image is DockerError 404);
  // when the name is taken returns the existing one's id. Returns the
  // container id. Settings the daemon refuses (e.g. published ports with a
  // "container:<id>" network mode) are DockerError 400.
  virtual std::string CreateContainer(const ContainerSpec& spec) = 0;
  // Starts; already running is success. A failed start is a DockerError
  // whose message InspectContainer then also reports as `error` (the
  // container stays "created").
  virtual void StartContainer(const std::string& id) = 0;
  // Stops with a timeout (the stop signal, then SIGKILL); already stopped or
  // missing is success.
  virtual void StopContainer(const std::string& id, int timeout_seconds) = 0;
  // Sends `signal` ("SIGTERM", "SIGKILL", ...) without waiting; a container
  // that is not running, or missing, is success. (The reconciler stops
  // containers with this and its own deadline, so a slow stop never blocks.)
  // An unknown signal is DockerError 400 "Invalid signal: <signal>".
  virtual void KillContainer(const std::string& id, const std::string& signal) = 0;
  // Removes (forcibly, with anonymous volumes); missing is success.
  virtual void RemoveContainer(const std::string& id) = 0;
  // The container's state (by id, id prefix or name); DockerError 404 when
  // it does not exist. Published ports and the IP address are only known
  // while it runs, and host ports are picked anew on every start.
  virtual ContainerState InspectContainer(const std::string& id) = 0;
  // What the container has written so far, stdout and stderr in order (the
  // stream frames' headers removed), for short outputs such as the pause
  // program's readiness line. DockerError 404 when it does not exist.
  virtual std::string ContainerOutput(const std::string& id) = 0;
  // One sample of the container's resource use: Docker's stats JSON (one
  // shot, so `precpu_stats` is zero), as text. DockerError 404 when it does
  // not exist.
  virtual std::string ContainerStats(const std::string& id) = 0;
  // Containers (running or not) carrying every label of `labels` ("k=v", or
  // "k" for any value), newest first.
  virtual std::vector<ContainerSummary> ListContainers(const std::vector<std::string>& labels) = 0;

  // Volumes carrying every label of `labels` ("k=v" or "k").
  virtual std::vector<VolumeSummary> ListVolumes(const std::vector<std::string>& labels) = 0;
  // Removes a volume; missing is success. One a container (running or not)
  // still uses is DockerError 409 "remove <name>: volume is in use - [<ids>]".
  virtual void RemoveVolume(const std::string& name) = 0;

  // Creates a bridge network (or returns the existing one's id when the
  // name is taken). `subnet` and `gateway` may be empty (the daemon picks).
  // An overlapping subnet is DockerError 403.
  virtual std::string CreateNetwork(const std::string& name, const std::string& subnet,
                                    const std::string& gateway,
                                    const std::map<std::string, std::string>& labels) = 0;
  // By id or name. Missing is success; running containers attached to it
  // are DockerError 403.
  virtual void RemoveNetwork(const std::string& id) = 0;
  // Networks carrying every label of `labels` ("k=v" or "k").
  virtual std::vector<NetworkSummary> ListNetworks(const std::vector<std::string>& labels) = 0;

  // Follows the daemon's event stream: calls `on_event` for every event of a
  // container carrying every label of `labels`, as it happens, until
  // `keep_going()` turns false (asked at least once a second), then
  // returns. Events before the call are not replayed. Throws DockerError
  // when the daemon cannot be reached or the stream breaks; `on_event` must
  // not throw.
  virtual void WatchContainerEvents(const std::vector<std::string>& labels,
                                    const std::function<void(const ContainerEvent&)>& on_event,
                                    const std::function<bool()>& keep_going) = 0;

  // Reads the container's output from its log (json-file or local driver),
  // stdout and stderr in the order Docker stored them, each line with
  // Docker's timestamp: every line stamped at or after `since_unix_nanos`
  // (0: from the start; Docker's `since` is inclusive). Without `follow`,
  // returns true after the lines stored so far. With `follow`, keeps
  // reading while the container runs and returns true once it has stopped
  // and every line was delivered (at once for a container that is not
  // running). Returns false as soon as `keep_going()` turns false; it is
  // asked after every chunk of lines and at least once a second while the
  // stream is idle, and may do work of its own (a collector flushes from
  // it). Throws DockerError 404 "No such container: <id>", or when the daemon
  // cannot be reached or the stream breaks; an exception thrown by `on_line`
  // or `keep_going` ends the stream and propagates.
  virtual bool StreamLogs(const std::string& id, int64_t since_unix_nanos, bool follow,
                          const std::function<void(const LogLine&)>& on_line,
                          const std::function<bool()>& keep_going) = 0;
};

}  // namespace berth::docker
