// Streamed responses of the HTTP server, over real sockets: pieces go out as
// chunks when the producer makes them, the connection closes after the last;
// a client that goes away ends the stream at once (no waiting for the
// producer's next turn); stopping the server ends open streams with their
// last bytes; stray bytes from the client are ignored; ordinary requests keep
// their keep-alive; HTTP/1.0 gets the raw bytes.

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
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

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// What the test sees of a producer from outside.
struct Probe {
  std::atomic<int> nexts{0};
  std::atomic<bool> stopped{false};
  std::atomic<bool> destroyed{false};
};

// Makes "piece <n>\n" on each call; the `pieces`-th is the last (0: never).
class CountingProducer final : public BodyProducer {
 public:
  CountingProducer(std::shared_ptr<Probe> probe, int pieces, std::chrono::milliseconds next_in)
      : probe_(std::move(probe)), pieces_(pieces), next_in_(next_in) {}
  ~CountingProducer() override { probe_->destroyed = true; }

  Piece Next() override {
    const int n = ++probe_->nexts;
    return {"piece " + std::to_string(n) + "\n", n == pieces_, next_in_};
  }
  std::string Stop() override {
    probe_->stopped = true;
    return "stopped\n";
  }

 private:
  std::shared_ptr<Probe> probe_;
  int pieces_;
  std::chrono::milliseconds next_in_;
};

// Serves /stream with a CountingProducer and anything else with "ok".
class StreamingApp final : public TestApplication {
 public:
  std::shared_ptr<Probe> probe = std::make_shared<Probe>();
  int pieces = 3;
  std::chrono::milliseconds next_in = 20ms;

  BodyPlan Plan(const Request& /*head*/) override { return {1024, nullptr}; }
  Response Handle(Request& request) override {
    Response res;
    if (request.Path() == "/stream") {
      res.headers.Add("Content-Type", "application/octet-stream");
      res.producer = std::make_shared<CountingProducer>(probe, pieces, next_in);
    } else {
      res.body = "ok";
    }
    return res;
  }
};

// The body of a chunked message (after the header block); "" when malformed.
std::string Dechunk(const std::string& message) {
  size_t at = message.find("\r\n\r\n");
  if (at == std::string::npos) return "";
  at += 4;
  std::string body;
  for (;;) {
    const size_t eol = message.find("\r\n", at);
    if (eol == std::string::npos) return "";
    const size_t size = std::stoul(message.substr(at, eol - at), nullptr, 16);
    if (size == 0) return message.substr(eol) == "\r\n\r\n" ? body : "";
    body += message.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
}

class StreamedBodyTest : public ::testing::Test {
 protected:
  void Start(unsigned threads = 1) {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = threads;
    server_ = std::make_unique<Server>(options);
    runner_ = std::thread([this] { server_->Run(app_); });
  }
  ~StreamedBodyTest() override {
    if (server_) server_->Stop();
    if (runner_.joinable()) runner_.join();
  }
  // Waits up to `within` for `condition`.
  static bool Eventually(const std::function<bool()>& condition,
                         std::chrono::milliseconds within = 3s) {
    const auto deadline = Clock::now() + within;
    while (!condition()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  static constexpr const char* kStreamRequest = "POST /stream HTTP/1.1\r\nHost: x\r\n\r\n";
  StreamingApp app_;
  std::unique_ptr<Server> server_;
  std::thread runner_;
};

TEST_F(StreamedBodyTest, SendsPiecesAsChunksAndClosesAfterTheLast) {
  app_.pieces = 3;
  Start();
  Client client(server_->port());
  client.Send(kStreamRequest);
  const std::string reply = client.ReadToEof();
  EXPECT_TRUE(client.eof());
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_NE(reply.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Content-Type: application/octet-stream\r\n"), std::string::npos);
  EXPECT_EQ(Dechunk(reply), "piece 1\npiece 2\npiece 3\n") << reply;
  EXPECT_TRUE(Eventually([&] { return app_.probe->destroyed.load(); }));
  EXPECT_EQ(app_.probe->nexts, 3);
}

TEST_F(StreamedBodyTest, EachPieceGoesOutBeforeTheNextIsMade) {
  app_.pieces = 2;
  app_.next_in = 400ms;
  Start();
  Client client(server_->port());
  const auto sent = Clock::now();
  client.Send(kStreamRequest);
  client.ReadUntil("piece 1\n");
  // The first piece arrived at once, while the producer waits for its turn.
  EXPECT_LT(Clock::now() - sent, 300ms);
  EXPECT_EQ(app_.probe->nexts, 1);
  const std::string reply = client.ReadToEof();
  EXPECT_GE(Clock::now() - sent, 400ms);
  EXPECT_EQ(Dechunk(reply), "piece 1\npiece 2\n");
}

TEST_F(StreamedBodyTest, ClientClosingEndsTheStreamWithoutWaitingForTheNextTurn) {
  app_.pieces = 0;  // endless
  app_.next_in = std::chrono::hours(1);
  Start();
  {
    Client client(server_->port());
    client.Send(kStreamRequest);
    client.ReadUntil("piece 1\n");
  }  // closed
  EXPECT_TRUE(Eventually([&] { return app_.probe->destroyed.load(); }, 2s));
  EXPECT_EQ(app_.probe->nexts, 1);
  EXPECT_FALSE(app_.probe->stopped);
  // The server goes on serving.
  Client next(server_->port());
  next.Send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(next.ReadUntil("\r\n\r\nok").find("\r\n\r\nok"), std::string::npos);
}

TEST_F(StreamedBodyTest, StrayBytesFromTheClientDoNotEndTheStream) {
  app_.pieces = 3;
  app_.next_in = 150ms;
  Start();
  Client client(server_->port());
  client.Send(kStreamRequest);
  client.ReadUntil("piece 1\n");
  client.Send("unexpected bytes");
  EXPECT_EQ(Dechunk(client.ReadToEof()), "piece 1\npiece 2\npiece 3\n");
}

TEST_F(StreamedBodyTest, StoppingTheServerEndsOpenStreamsWithTheirLastBytes) {
  app_.pieces = 0;
  app_.next_in = std::chrono::hours(1);
  Start();
  Client client(server_->port());
  client.Send(kStreamRequest);
  client.ReadUntil("piece 1\n");
  const auto stop = Clock::now();
  server_->Stop();
  runner_.join();
  EXPECT_LT(Clock::now() - stop, 1500ms);  // well before the grace period ends
  EXPECT_EQ(Dechunk(client.ReadToEof()), "piece 1\nstopped\n");
  EXPECT_TRUE(client.eof());
  EXPECT_TRUE(app_.probe->stopped);
  EXPECT_TRUE(app_.probe->destroyed);
}

TEST_F(StreamedBodyTest, OrdinaryRequestsKeepTheConnectionThenAStreamClosesIt) {
  Start();
  Client client(server_->port());
  for (int i = 0; i < 2; ++i) {
    client.Send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string reply = client.ReadUntil("\r\n\r\nok");
    EXPECT_NE(reply.find("Content-Length: 2\r\n"), std::string::npos) << reply;
    EXPECT_EQ(reply.find("Connection: close"), std::string::npos) << reply;
    EXPECT_FALSE(client.eof());
    client.Consume();
  }
  client.Send(kStreamRequest);
  EXPECT_EQ(Dechunk(client.ReadToEof()), "piece 1\npiece 2\npiece 3\n");
  EXPECT_TRUE(client.eof());
}

TEST_F(StreamedBodyTest, AStreamOnAReusedConnectionLastsWithSeveralThreads) {
  // With several threads on one edge-triggered epoll, the readiness event of
  // a request's last bytes can come after they were read, while the stream
  // already waits: it must not be taken for the client's close.
  app_.pieces = 3;
  app_.next_in = 30ms;
  Start(/*threads=*/2);
  for (int round = 0; round < 25; ++round) {
    Client client(server_->port());
    client.Send("POST /plain HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n");
    client.Send("hello");
    client.ReadUntil("\r\n\r\nok");
    client.Consume();
    // Header and body in separate segments, as urllib3 sends them.
    client.Send("POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n");
    std::this_thread::sleep_for(std::chrono::microseconds(round * 40));
    client.Send("hello");
    ASSERT_EQ(Dechunk(client.ReadToEof()), "piece 1\npiece 2\npiece 3\n") << "round " << round;
    app_.probe->nexts = 0;
  }
}

TEST_F(StreamedBodyTest, Http10GetsTheBytesAsTheyAreUntilTheConnectionCloses) {
  app_.pieces = 2;
  Start();
  Client client(server_->port());
  client.Send("POST /stream HTTP/1.0\r\n\r\n");
  const std::string reply = client.ReadToEof();
  EXPECT_TRUE(client.eof());
  EXPECT_EQ(reply.find("chunked"), std::string::npos) << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\npiece 1\npiece 2\n")) << reply;
}

TEST_F(StreamedBodyTest, HeadOfAStreamedResourceSendsNoBody) {
  Start();
  Client client(server_->port());
  client.Send("HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string reply = client.ReadUntil("\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_TRUE(Eventually([&] { return app_.probe->destroyed.load(); }));
  EXPECT_EQ(app_.probe->nexts, 0);
}

}  // namespace
}  // namespace berth::http
