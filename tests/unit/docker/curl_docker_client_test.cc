// CurlDockerClient without a daemon: DOCKER_HOST parsing, error-body
// decoding, and the "unreachable" error (status 0) for a socket nobody
// serves. The client against a real dockerd is covered by the DockerApi
// conformance suite in integration_tests.

#include "docker_backend/curl_docker_client.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

namespace berth::docker {
namespace {

TEST(DockerEndpointTest, FromDockerHostDefaultsToTheStandardSocket) {
  const DockerEndpoint endpoint = DockerEndpoint::FromDockerHost("");
  EXPECT_EQ(endpoint.unix_socket, "/var/run/docker.sock");
  EXPECT_EQ(endpoint.base_url, "http://localhost");
}

TEST(DockerEndpointTest, FromDockerHostReadsUnixAndTcp) {
  EXPECT_EQ(DockerEndpoint::FromDockerHost("unix:///run/user/1000/docker.sock").unix_socket,
            "/run/user/1000/docker.sock");
  const DockerEndpoint tcp = DockerEndpoint::FromDockerHost("tcp://127.0.0.1:2375");
  EXPECT_EQ(tcp.unix_socket, "");
  EXPECT_EQ(tcp.base_url, "http://127.0.0.1:2375");
  EXPECT_THROW(DockerEndpoint::FromDockerHost("ssh://host"), std::invalid_argument);
}

TEST(DockerTlsTest, OnlyDockerTlsVerifyTurnsItOnAndEveryFileMustBeThere) {
  // Without DOCKER_TLS_VERIFY there is no TLS, whatever else is set.
  EXPECT_FALSE(DockerTls::FromEnvironment({}));
  EXPECT_FALSE(DockerTls::FromEnvironment({{"DOCKER_CERT_PATH", "/x"}, {"DOCKER_TLS_VERIFY", ""}}));
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("berth-tls-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  // A missing file is named, as the docker CLI would.
  try {
    (void)DockerTls::FromEnvironment(
        {{"DOCKER_TLS_VERIFY", "1"}, {"DOCKER_CERT_PATH", dir.string()}});
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "DOCKER_TLS_VERIFY is set, but " + dir.string() +
                                         "/ca.pem cannot be read (DOCKER_CERT_PATH names the "
                                         "directory of ca.pem, cert.pem and key.pem)");
  }
  // An engine's own directory (berth.docker-cert-path) says so.
  std::ofstream(dir / "ca.pem") << "x";
  try {
    (void)DockerTls::FromDirectory(dir.string(), "berth.docker-cert-path");
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), dir.string() +
                                         "/cert.pem cannot be read (berth.docker-cert-path names "
                                         "the directory of ca.pem, cert.pem and key.pem)");
  }
  for (const char* name : {"ca.pem", "cert.pem", "key.pem"}) std::ofstream(dir / name) << "x";
  EXPECT_EQ(DockerTls::FromDirectory(dir.string(), "x").ca_file(), dir.string() + "/ca.pem");
  const auto tls =
      DockerTls::FromEnvironment({{"DOCKER_TLS_VERIFY", "1"}, {"DOCKER_CERT_PATH", dir.string()}});
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->key_file(), dir.string() + "/key.pem");
  // DOCKER_CERT_PATH defaults to ~/.docker.
  std::filesystem::create_directories(dir / ".docker");
  for (const char* name : {"ca.pem", "cert.pem", "key.pem"}) {
    std::ofstream(dir / ".docker" / name) << "x";
  }
  const auto home =
      DockerTls::FromEnvironment({{"DOCKER_TLS_VERIFY", "1"}, {"HOME", dir.string()}});
  ASSERT_TRUE(home);
  EXPECT_EQ(home->cert_path, dir.string() + "/.docker");
  std::filesystem::remove_all(dir);

  // A tcp:// endpoint with TLS is https; a unix socket never uses it.
  const DockerEndpoint tcp = DockerEndpoint::FromDockerHost("tcp://10.0.0.2:2376", tls);
  EXPECT_EQ(tcp.base_url, "https://10.0.0.2:2376");
  EXPECT_TRUE(tcp.tls);
  const DockerEndpoint unix = DockerEndpoint::FromDockerHost("unix:///run/docker.sock", tls);
  EXPECT_FALSE(unix.tls);
  EXPECT_EQ(unix.base_url, "http://localhost");
}

TEST(DaemonMessageTest, TakesTheJsonMessageOrTheText) {
  EXPECT_EQ(DaemonMessage(R"({"message":"No such container: x"})"), "No such container: x");
  // The "too old" version error is text/plain.
  EXPECT_EQ(DaemonMessage("client version 1.11 is too old\n"), "client version 1.11 is too old");
  EXPECT_EQ(DaemonMessage(""), "");
}

TEST(CurlDockerClientTest, AMissingSocketIsUnreachable) {
  // Given a client for a socket nobody serves
  DockerEndpoint endpoint;
  endpoint.unix_socket = "/nonexistent/berth-test/docker.sock";
  CurlDockerClient client(endpoint);
  // Then Ping answers false, and calls throw DockerError with status 0
  EXPECT_FALSE(client.Ping());
  try {
    client.InspectContainer("x");
    ADD_FAILURE() << "no error";
  } catch (const DockerError& e) {
    EXPECT_TRUE(e.unreachable());
    EXPECT_EQ(e.http_status(), 0);
    EXPECT_TRUE(std::string(e.what()).starts_with("Cannot connect to the Docker daemon: "))
        << e.what();
  }
  EXPECT_EQ(client.api_version(), "");
}

}  // namespace
}  // namespace berth::docker
