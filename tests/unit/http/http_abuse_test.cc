// The HTTP server against hostile clients, over real loopback sockets: slow
// headers and slow bodies are cut off by their timeouts while other clients
// are served; connections past the cap get a polite 503; Content-Length
// beside Transfer-Encoding (request smuggling) gets 400; a body over the
// limit is drained so that its sender reads the 413, and so is one its sink
// refused part-way (a full disk) so that its sender reads why; pipelined requests
// are answered in order; an idle keep-alive connection still lasts its idle
// timeout; a request that arrives in pieces is read whole, and a reply larger
// than the socket's buffer reaches a client that reads it late.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "server/http/application.h"
#include "server/http/server.h"
#include "tests/unit/http/test_application.h"
#include "tests/unit/http/test_client.h"

namespace berth::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A sink that takes the first 64 KiB of a body, then refuses the rest, as
// an upload's sink does when the disk fills.
class FullDisk final : public BodySink {
 public:
  bool Write(std::string_view piece) override {
    taken_ += piece.size();
    return taken_ <= 64 * 1024;
  }

 private:
  size_t taken_ = 0;
};

// 16 MiB that no socket buffer holds at once, in a pattern that shows a
// lost or repeated piece, with an end marker found nowhere else.
std::string BigBody() {
  std::string body(16 << 20, ' ');
  for (size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  }
  body.replace(body.size() - 5, 5, "<end>");
  return body;
}

// Answers every request with its path and body (/big with BigBody()) (a body its sink refused with
// 507); counts the requests it served.
class EchoApp final : public TestApplication {
 public:
  std::atomic<int> handled{0};

  BodyPlan Plan(const Request& head) override {
    if (head.Path() == "/refuse") return {UINT64_MAX, std::make_shared<FullDisk>()};
    return {1 << 20, nullptr};
  }
  Response Handle(Request& request) override {
    ++handled;
    Response res;
    if (!request.body_complete) {
      res.status = 507;
      res.body = "disk full";
      res.close = true;
      return res;
    }
    if (request.Path() == "/big") {
      res.body = BigBody();
      return res;
    }
    res.body = "path=" + std::string(request.Path()) + ";";
    if (!request.body.empty()) res.body += "body=" + request.body + ";";
    return res;
  }
};

class HttpAbuseTest : public ::testing::Test {
 protected:
  void Start() {
    options_.host = "127.0.0.1";
    options_.port = 0;
    options_.threads = 2;
    server_ = std::make_unique<Server>(options_);
    runner_ = std::thread([this] { server_->Run(app_); });
  }
  ~HttpAbuseTest() override {
    if (server_) server_->Stop();
    if (runner_.joinable()) runner_.join();
  }
  uint16_t port() const { return server_->port(); }

  // A request on a new connection; the whole answer (the server closes).
  std::string Get(const std::string& path) {
    Client client(port());
    client.Send("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return client.ReadToEof();
  }

  ServerOptions options_;
  EchoApp app_;
  std::unique_ptr<Server> server_;
  std::thread runner_;
};

TEST_F(HttpAbuseTest, SlowHeadersAreCutOffWhileOtherClientsAreServed) {
  options_.header_timeout = 1s;
  Start();
  std::vector<std::unique_ptr<Client>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<Client>(port()));
    slow.back()->Send("GET /slow HTTP/1.1\r\nHo");
  }
  const auto started = Clock::now();
  std::atomic<bool> dribbling{true};
  std::thread dribbler([&] {
    while (dribbling) {
      for (auto& c : slow) {
        if (!c->eof()) ::send(c->fd(), "x", 1, MSG_NOSIGNAL);
      }
      std::this_thread::sleep_for(100ms);
    }
  });
  // Others are served at once meanwhile.
  EXPECT_NE(Get("/fast").find("path=/fast;"), std::string::npos);
  for (auto& c : slow) {
    const std::string got = c->ReadToEof(4s);
    EXPECT_TRUE(c->eof()) << "a header dribbled for 4 s was not cut off";
    EXPECT_EQ(got.find("path=/slow"), std::string::npos);
  }
  dribbling = false;
  dribbler.join();
  EXPECT_LT(Clock::now() - started, 3s);
  EXPECT_EQ(app_.handled.load(), 1);
}

TEST_F(HttpAbuseTest, SlowBodiesAreCutOff) {
  options_.body_window = 1s;
  options_.body_min_bytes = 1000;
  Start();
  Client slow(port());
  slow.Send("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
  const auto started = Clock::now();
  while (!slow.eof() && Clock::now() - started < 5s) {
    ::send(slow.fd(), "0123456789", 10, MSG_NOSIGNAL);
    slow.ReadUntil("never", 200ms);
  }
  EXPECT_TRUE(slow.eof()) << "a body trickling 50 bytes a second was not cut off";
  EXPECT_LT(Clock::now() - started, 3s);
  EXPECT_EQ(app_.handled.load(), 0);
  // A body at a normal pace is taken whole.
  Client fine(port());
  fine.Send("PUT /fine HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_NE(fine.ReadUntil("path=/fine;").find("path=/fine;"), std::string::npos);
}

TEST_F(HttpAbuseTest, ConnectionsPastTheCapGetA503ThatSaysWhenToRetry) {
  options_.max_connections = 8;
  Start();
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(std::make_unique<Client>(port()));
    held.back()->Send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_NE(held.back()->ReadUntil("path=/held;").find("path=/held;"), std::string::npos);
  }
  const std::string refused = Get("/ninth");
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
  EXPECT_NE(refused.find("ServiceUnavailableException"), std::string::npos) << refused;
  // Once one closes, new connections are served again.
  held.front()->Close();
  std::string served;
  for (int attempt = 0; attempt < 50 && served.find("path=/again;") == std::string::npos;
       ++attempt) {
    served = Get("/again");
    if (served.find("path=/again;") == std::string::npos) std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(served.find("path=/again;"), std::string::npos) << served;
}

TEST_F(HttpAbuseTest, ContentLengthBesideTransferEncodingIsRefused) {
  Start();
  Client client(port());
  client.Send(
      "POST /smuggle HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n"
      "\r\n0\r\n\r\nGET /hidden HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string got = client.ReadToEof();
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  EXPECT_TRUE(client.eof());
  EXPECT_EQ(got.find("path="), std::string::npos) << got;
  EXPECT_EQ(app_.handled.load(), 0);
}

TEST_F(HttpAbuseTest, DifferingContentLengthsAreRefused) {
  Start();
  Client client(port());
  client.Send(
      "POST /twice HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}");
  const std::string got = client.ReadToEof();
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  EXPECT_EQ(app_.handled.load(), 0);
}

TEST_F(HttpAbuseTest, AClientThatSendsATooLargeBodyBeforeReadingStillGetsThe413) {
  Start();
  Client client(port());
  const std::string body(5 << 20, 'x');  // over the 1 MiB plan
  client.Send("PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n\r\n");
  // Written whole before reading, as most clients do: the server drains it.
  size_t sent = 0;
  while (sent < body.size()) {
    const ssize_t n = ::send(client.fd(), body.data() + sent, body.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << "the connection was reset while the body was being sent";
    sent += static_cast<size_t>(n);
  }
  const std::string got = client.ReadToEof();
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
  EXPECT_EQ(app_.handled.load(), 0);
}

TEST_F(HttpAbuseTest, AClientWhoseBodyTheSinkRefusesPartWayStillReadsTheAnswer) {
  Start();
  // Several rounds: without the drain, the close resets the connection and
  // the answer is lost only some of the time.
  for (int round = 0; round < 5; ++round) {
    Client client(port());
    const std::string body(8 << 20, 'x');
    client.Send("PATCH /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n");
    size_t sent = 0;
    while (sent < body.size()) {
      const ssize_t n = ::send(client.fd(), body.data() + sent, body.size() - sent, MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << "round " << round << ": the connection was reset during the body";
      sent += static_cast<size_t>(n);
    }
    const std::string got = client.ReadToEof();
    EXPECT_EQ(got.rfind("HTTP/1.1 507", 0), 0u) << "round " << round << ": " << got;
    EXPECT_NE(got.find("disk full"), std::string::npos) << got;
  }
}

TEST_F(HttpAbuseTest, PipelinedRequestsAreAnsweredInOrder) {
  Start();
  Client client(port());
  std::string requests;
  for (const char* path : {"/one", "/two", "/three", "/four"}) {
    requests += std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  requests += "POST /five HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
  client.Send(requests);
  const std::string got = client.ReadToEof();
  size_t at = 0;
  for (const char* body :
       {"path=/one;", "path=/two;", "path=/three;", "path=/four;", "path=/five;"}) {
    const size_t found = got.find(body, at);
    ASSERT_NE(found, std::string::npos) << body << " missing or out of order in:\n" << got;
    at = found;
  }
}

TEST_F(HttpAbuseTest, AnIdleKeepAliveConnectionLastsItsIdleTimeoutNotTheHeaderTimeout) {
  options_.header_timeout = 1s;
  options_.idle_timeout = 4s;
  Start();
  Client client(port());
  client.Send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_NE(client.ReadUntil("path=/first;").find("path=/first;"), std::string::npos);
  client.Consume();
  std::this_thread::sleep_for(1500ms);
  client.Send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(client.ReadUntil("path=/second;").find("path=/second;"), std::string::npos);
  EXPECT_FALSE(client.eof());
}

TEST_F(HttpAbuseTest, ARequestThatArrivesInPiecesIsReadWhole) {
  Start();
  Client client(port());
  // The header broken mid-field, then the body in two parts.
  for (const char* piece :
       {"POST /pieces HTTP/1.1\r\nHo", "st: x\r\nContent-Length: 6\r\n\r\nabc", "def"}) {
    client.Send(piece);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(client.ReadUntil("body=abcdef;").find("path=/pieces;body=abcdef;"), std::string::npos);
  client.Consume();
  // The next request on the connection, whole in one write.
  client.Send("POST /next HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nxy");
  EXPECT_NE(client.ReadUntil("body=xy;").find("path=/next;body=xy;"), std::string::npos);
}

TEST_F(HttpAbuseTest, AReplyLargerThanTheSocketBufferReachesAClientThatReadsItLate) {
  Start();
  Client client(port());
  client.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  // The server fills the socket's buffer and must wait for the rest.
  std::this_thread::sleep_for(300ms);
  const std::string expected = BigBody();
  const std::string got = client.ReadUntil("<end>", 20s);
  const size_t body = got.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_NE(got.find("Content-Length: " + std::to_string(expected.size())), std::string::npos);
  EXPECT_TRUE(got.compare(body + 4, std::string::npos, expected) == 0)
      << "got " << got.size() - body - 4 << " body bytes of " << expected.size();
  client.Consume();
  // The connection carries on.
  client.Send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(client.ReadUntil("path=/after;").find("path=/after;"), std::string::npos);
}

}  // namespace
}  // namespace berth::http
