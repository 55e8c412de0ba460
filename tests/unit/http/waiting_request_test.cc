// Requests that may wait (Application::MayWait) are served off the event
// loop: with a single loop thread, a request stuck waiting does not hold up
// the others, its own answer arrives once the wait ends, and a server stopped
// meanwhile lets it finish first.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "server/http/application.h"
#include "server/http/server.h"
#include "tests/unit/http/test_application.h"
#include "tests/unit/http/test_client.h"

namespace berth::http {
namespace {

// /wait waits until Release(); every other path answers at once. Says which
// thread served it, as "loop" or "pool" (the thread that ran Server::Run is
// the loop's only one).
class WaitingApp final : public TestApplication {
 public:
  BodyPlan Plan(const Request& /*head*/) override { return {1 << 20, nullptr}; }
  bool MayWait(const Request& head) override { return head.Path() == "/wait"; }
  Response Handle(Request& request) override {
    Response res;
    if (request.Path() == "/wait") {
      std::unique_lock lock(mutex_);
      ++waiting_;
      changed_.notify_all();
      changed_.wait(lock, [this] { return released_; });
      ++finished_;
    }
    res.body = std::this_thread::get_id() == loop_.load() ? "loop" : "pool";
    return res;
  }

  void SetLoop(std::thread::id loop) { loop_ = loop; }
  // True once `count` requests wait (within 10 s).
  bool AwaitWaiting(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return waiting_ >= count; });
  }
  // How many waiting requests have been answered by Handle.
  int Finished() {
    std::lock_guard lock(mutex_);
    return finished_;
  }
  void Release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::atomic<std::thread::id> loop_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int waiting_ = 0;        // guarded by mutex_
  bool released_ = false;  // guarded by mutex_
  int finished_ = 0;       // guarded by mutex_
};

class WaitingRequestTest : public ::testing::Test {
 protected:
  WaitingRequestTest() {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    options.waiting_threads = 2;
    server_ = std::make_unique<Server>(options);
    runner_ = std::thread([this] {
      server_->Run(app_);
      run_returned_ = true;
    });
    app_.SetLoop(runner_.get_id());
  }
  ~WaitingRequestTest() override {
    app_.Release();
    server_->Stop();
    if (runner_.joinable()) runner_.join();
  }
  static std::string Body(const std::string& response) {
    const auto end = response.find("\r\n\r\n");
    return end == std::string::npos ? "" : response.substr(end + 4);
  }

  WaitingApp app_;
  std::unique_ptr<Server> server_;
  std::thread runner_;
  std::atomic<bool> run_returned_{false};
};

TEST_F(WaitingRequestTest, AWaitingRequestDoesNotHoldUpTheOthersOnOneLoopThread) {
  Client first(server_->port());
  first.Send("GET /wait HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  Client second(server_->port());
  second.Send("GET /wait HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(app_.AwaitWaiting(2));

  // Both pool threads wait; the loop still answers, on its own thread.
  for (int i = 0; i < 3; ++i) {
    Client quick(server_->port());
    quick.Send("GET /now HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string answer = quick.ReadToEof();
    EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
    EXPECT_EQ(Body(answer), "loop");
  }

  app_.Release();
  EXPECT_EQ(Body(first.ReadToEof()), "pool");
  EXPECT_EQ(Body(second.ReadToEof()), "pool");
}

TEST_F(WaitingRequestTest, AConnectionKeepsItsOrderAcrossAWaitingRequest) {
  // Pipelined on one connection: the waiting request's answer comes first.
  Client client(server_->port());
  client.Send(
      "GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /now HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(app_.AwaitWaiting(1));
  app_.Release();
  const std::string answers = client.ReadToEof();
  const auto pool = answers.find("pool");
  const auto loop = answers.find("loop");
  ASSERT_NE(pool, std::string::npos) << answers;
  ASSERT_NE(loop, std::string::npos) << answers;
  EXPECT_LT(pool, loop);
}

TEST_F(WaitingRequestTest, StoppingTheServerLetsAWaitingRequestFinish) {
  Client client(server_->port());
  client.Send("GET /wait HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(app_.AwaitWaiting(1));
  server_->Stop();
  // The loop stops at once (nothing streams), but Run waits for the request.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(run_returned_);
  app_.Release();
  runner_.join();
  EXPECT_EQ(app_.Finished(), 1);
}

}  // namespace
}  // namespace berth::http
