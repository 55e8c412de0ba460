#pragma once

// DockerApi over the Docker Engine API with libcurl: a unix socket
// (/var/run/docker.sock, or DOCKER_HOST=unix://...) or tcp:// (DOCKER_HOST),
// no `docker` CLI. The API version is negotiated once per connection from
// GET /version: the daemon's version capped at the newest Berth was tested
// with, raised to the daemon's minimum when that is newer.
//
// Thread-safety: one thread at a time (one curl handle per client); give each
// thread its own client.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "docker_backend/docker_api.h"

namespace berth::docker {

// Where the daemon is: a unix socket path, or a base URL for tcp.
struct DockerEndpoint {
  std::string unix_socket = "/var/run/docker.sock";
  std::string base_url = "http://localhost";

  // From DOCKER_HOST ("unix:///path", "tcp://host:port"); the default
  // socket when empty. Throws std::invalid_argument for other schemes.
  static DockerEndpoint FromDockerHost(const std::string& docker_host);
};

class CurlDockerClient final : public DockerApi {
 public:
  // The newest Engine API version Berth has been verified against.
  static constexpr const char* kNewestTestedApiVersion = "1.41";

  explicit CurlDockerClient(DockerEndpoint endpoint);
  CurlDockerClient(const CurlDockerClient&) = delete;
  CurlDockerClient& operator=(const CurlDockerClient&) = delete;
  ~CurlDockerClient() override;

  // The API version in use ("" until the first successful call).
  const std::string& api_version() const { return api_version_; }

  bool Ping() override;
  bool ImageExists(const std::string& image) override;
  void PullImage(const std::string& image, const std::string& registry_auth) override;
  void LoadImage(const std::string& tar) override;
  std::string CreateContainer(const ContainerSpec& spec) override;
  void StartContainer(const std::string& id) override;
  void StopContainer(const std::string& id, int timeout_seconds) override;
  void KillContainer(const std::string& id, const std::string& signal) override;
  void RemoveContainer(const std::string& id) override;
  ContainerState InspectContainer(const std::string& id) override;
  std::string ContainerOutput(const std::string& id) override;
  std::string ContainerStats(const std::string& id) override;
  std::vector<ContainerSummary> ListContainers(const std::vector<std::string>& labels) override;
  std::string CreateNetwork(const std::string& name, const std::string& subnet,
                            const std::string& gateway,
                            const std::map<std::string, std::string>& labels) override;
  void RemoveNetwork(const std::string& id) override;
  std::vector<NetworkSummary> ListNetworks(const std::vector<std::string>& labels) override;
  void WatchContainerEvents(const std::vector<std::string>& labels,
                            const std::function<void(const ContainerEvent&)>& on_event,
                            const std::function<bool()>& keep_going) override;
  std::vector<VolumeSummary> ListVolumes(const std::vector<std::string>& labels) override;
  void RemoveVolume(const std::string& name) override;
  // In curl_log_stream.cc.
  bool StreamLogs(const std::string& id, int64_t since_unix_nanos, bool follow,
                  const std::function<void(const LogLine&)>& on_line,
                  const std::function<bool()>& keep_going) override;

 private:
  struct Reply {
    long status = 0;
    std::string body;
  };
  // One request. `versioned` prefixes the negotiated /v1.xx. `timeout_ms`
  // 0 means none (pulls can be long). Throws DockerError (status 0) when the
  // daemon cannot be reached.
  Reply Call(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& content_type = "", long timeout_ms = 30000,
             const std::vector<std::string>& headers = {}, bool versioned = true);
  void Negotiate();
  // In curl_stream.cc. GETs `path` (under the negotiated /v1.xx) without a
  // timeout and hands each piece of a 200 reply's body to `on_bytes` as it
  // arrives; `on_bytes` returning false, or `keep_going` (asked about once
  // a second) saying no, cancels it. Returns true when the body ended,
  // false when cancelled. Throws DockerError with the daemon's status and
  // message for any other reply, status 0 when the connection fails
  // ("Cannot connect to the Docker daemon: " + `broken` + curl's words),
  // and rethrows what the callbacks threw.
  bool Stream(const std::string& path, const std::function<bool(std::string_view)>& on_bytes,
              const std::function<bool()>& keep_going, std::string_view broken);
  // Throws DockerError(status, the daemon's message).
  [[noreturn]] static void Fail(const Reply& reply);

  DockerEndpoint endpoint_;
  std::string api_version_;
  void* curl_ = nullptr;  // CURL*
};

// The daemon's message in an error reply: the "message" of its JSON body,
// or the body itself less trailing newlines when that is not JSON (the
// "client version is too old" reply is text/plain).
std::string DaemonMessage(const std::string& body);

}  // namespace berth::docker
