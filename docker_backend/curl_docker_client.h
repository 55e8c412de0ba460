#pragma once

// DockerApi over the Docker Engine API with libcurl: a unix socket
// (/var/run/docker.sock, or DOCKER_HOST=unix://...) or tcp:// (DOCKER_HOST),
// plain or with Docker's client TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH),
// no `docker` CLI. The API version is negotiated once per connection from
// GET /version: the daemon's version capped at the newest Berth was tested
// with, raised to the daemon's minimum when that is newer.
//
// Thread-safety: one thread at a time (one curl handle per client); give each
// thread its own client.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "docker_backend/docker_api.h"

namespace berth::docker {

// Docker's client TLS, as the docker CLI takes it: the engine's certificate
// is verified against ca.pem, and Berth shows cert.pem (with key.pem), all
// three in one directory.
struct DockerTls {
  std::string cert_path;

  std::string ca_file() const { return cert_path + "/ca.pem"; }
  std::string cert_file() const { return cert_path + "/cert.pem"; }
  std::string key_file() const { return cert_path + "/key.pem"; }

  // From an environment as the docker CLI reads it: TLS when
  // DOCKER_TLS_VERIFY is set and not empty, with the files in
  // DOCKER_CERT_PATH, else in $HOME/.docker. nullopt without
  // DOCKER_TLS_VERIFY. Throws std::invalid_argument naming a file that is
  // missing or unreadable.
  static std::optional<DockerTls> FromEnvironment(
      const std::map<std::string, std::string>& environment);
  // From a directory of ca.pem, cert.pem and key.pem (an engine's own, as an
  // instance's berth.docker-cert-path names it). Throws
  // std::invalid_argument naming a file that is missing or unreadable;
  // `named_by` says what named the directory, for that message.
  static DockerTls FromDirectory(const std::string& cert_path, const std::string& named_by);
};

// Where the daemon is: a unix socket path, or a base URL for tcp.
struct DockerEndpoint {
  std::string unix_socket = "/var/run/docker.sock";
  std::string base_url = "http://localhost";
  std::optional<DockerTls> tls;  // set for tcp:// with TLS (base_url is https)

  // From DOCKER_HOST ("unix:///path", "tcp://host:port"); the default
  // socket when empty. A tcp:// endpoint uses `tls` when given (a unix
  // socket never does). Throws std::invalid_argument for other schemes.
  static DockerEndpoint FromDockerHost(const std::string& docker_host,
                                       const std::optional<DockerTls>& tls = std::nullopt);
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
  EngineInfo Info() override;
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
  // Points the handle at the endpoint: its socket, or its TLS files.
  void UseEndpoint(void* curl) const;

  DockerEndpoint endpoint_;
  std::string api_version_;
  void* curl_ = nullptr;  // CURL*
};

// The daemon's message in an error reply: the "message" of its JSON body,
// or the body itself less trailing newlines when that is not JSON (the
// "client version is too old" reply is text/plain).
std::string DaemonMessage(const std::string& body);

}  // namespace berth::docker
