// Listeners of their own (Server::AddPortListener), as the endpoints of a
// task on another Docker engine use them: a request says which port of
// Berth's it arrived on, the main listener's requests are not mistaken for
// one's, and a removed listener takes no new connections while the server
// carries on.

#include <arpa/inet.h>
#include <cstdint>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "server/http/application.h"
#include "server/http/server.h"
#include "tests/unit/http/test_application.h"
#include "tests/unit/http/test_client.h"

namespace berth::http {
namespace {

// Answers every request with where it arrived.
class WhereApp final : public TestApplication {
 public:
  BodyPlan Plan(const Request& /*head*/) override { return {1 << 20, nullptr}; }
  Response Handle(Request& request) override {
    Response res;
    res.body = "port=" + std::to_string(request.local_port) +
               ";added=" + (request.added_listener ? "yes" : "no") + ";";
    return res;
  }
};

// Whether a TCP connection to 127.0.0.1:`port` is accepted.
bool Connects(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return connected;
}

class PortListenerTest : public ::testing::Test {
 protected:
  PortListenerTest() {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    server_ = std::make_unique<Server>(options);
  }
  ~PortListenerTest() override {
    server_->Stop();
    if (runner_.joinable()) runner_.join();
  }
  void Run() {
    runner_ = std::thread([this] { server_->Run(app_); });
  }
  static std::string Get(uint16_t port) {
    Client client(port);
    client.Send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return client.ReadToEof();
  }

  WhereApp app_;
  std::unique_ptr<Server> server_;
  std::thread runner_;
};

TEST_F(PortListenerTest, ARequestSaysWhichListenerItArrivedOn) {
  // One opened before the server runs, one while it runs.
  const uint16_t early = server_->AddPortListener("127.0.0.1", 0);
  ASSERT_NE(early, 0);
  Run();
  const uint16_t late = server_->AddPortListener("127.0.0.1", 0);
  ASSERT_NE(late, 0);
  EXPECT_NE(early, late);
  EXPECT_NE(early, server_->port());

  const std::string main_port = std::to_string(server_->port());
  EXPECT_NE(Get(server_->port()).find("port=" + main_port + ";added=no;"), std::string::npos);
  EXPECT_NE(Get(early).find("port=" + std::to_string(early) + ";added=yes;"), std::string::npos);
  EXPECT_NE(Get(late).find("port=" + std::to_string(late) + ";added=yes;"), std::string::npos);
  // Asking for one that is open answers its port, and opens nothing twice.
  EXPECT_EQ(server_->AddPortListener("127.0.0.1", late), late);
}

TEST_F(PortListenerTest, ARemovedListenerTakesNoNewConnectionsAndItsPortCanBeOpenedAgain) {
  Run();
  const uint16_t port = server_->AddPortListener("127.0.0.1", 0);
  ASSERT_NE(port, 0);
  ASSERT_TRUE(Connects(port));
  server_->RemovePortListener("127.0.0.1", port);
  // The close happens on the listener's own strand: allow it a moment.
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    refused = !Connects(port);
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(refused);
  EXPECT_NE(Get(server_->port()).find("added=no"), std::string::npos);  // the server carries on
  // As after a restart: the same port again.
  EXPECT_EQ(server_->AddPortListener("127.0.0.1", port), port);
  EXPECT_NE(Get(port).find("port=" + std::to_string(port) + ";added=yes;"), std::string::npos);
  // Removing one that is not open is harmless.
  server_->RemovePortListener("127.0.0.1", 1);
}

TEST_F(PortListenerTest, AnAddressThatCannotBeBoundAnswersZero) {
  EXPECT_EQ(server_->AddPortListener("192.0.2.1", 0), 0);  // not this machine's
  EXPECT_EQ(server_->AddPortListener("not-an-ip", 0), 0);
  EXPECT_EQ(server_->AddPortListener("127.0.0.1", server_->port()), 0);  // taken
}

}  // namespace
}  // namespace berth::http
