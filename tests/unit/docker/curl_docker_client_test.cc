// CurlDockerClient without a daemon: DOCKER_HOST parsing, error-body
// decoding, and the "unreachable" error (status 0) for a socket nobody
// serves. The client against a real dockerd is covered by the DockerApi
// conformance suite in integration_tests.

#include "docker_backend/curl_docker_client.h"

#include <string>

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
