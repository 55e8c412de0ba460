#include "server/stop_signals.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <pthread.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

namespace berth {
namespace {

// StopSignals blocks SIGINT and SIGTERM in the thread that makes it; the
// test gives the mask back afterwards.
class StopSignalsTest : public ::testing::Test {
 protected:
  void SetUp() override { pthread_sigmask(SIG_SETMASK, nullptr, &saved_); }
  void TearDown() override { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

  static bool Eventually(const std::atomic<int>& value, int expected) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (value.load() != expected && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return value.load() == expected;
  }

  sigset_t saved_{};
};

TEST_F(StopSignalsTest, BothSignalsAreBlockedInTheThreadThatMadeIt) {
  StopSignals signals;
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, nullptr, &now);
  EXPECT_EQ(sigismember(&now, SIGTERM), 1);
  EXPECT_EQ(sigismember(&now, SIGINT), 1);
}

TEST_F(StopSignalsTest, AProcessSignalCallsTheHandlerOnTheWaitingThread) {
  StopSignals signals;
  std::atomic<int> received{0};
  std::atomic<bool> on_this_thread{false};
  const pthread_t self = pthread_self();
  signals.OnSignal([&](int signal) {
    on_this_thread = pthread_equal(pthread_self(), self) != 0;
    received = signal;
  });
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  EXPECT_TRUE(Eventually(received, SIGTERM));
  EXPECT_FALSE(on_this_thread.load());
}

TEST_F(StopSignalsTest, ANewHandlerHearsTheNextSignal) {
  StopSignals signals;
  std::atomic<int> first{0};
  std::atomic<int> second{0};
  signals.OnSignal([&](int signal) { first = signal; });
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  ASSERT_TRUE(Eventually(first, SIGINT));
  signals.OnSignal([&](int signal) { second = signal; });
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  EXPECT_TRUE(Eventually(second, SIGTERM));
  EXPECT_EQ(first.load(), SIGINT);
}

// Without a handler (or for a second signal) the process ends as the
// signal's default action would: checked in a child process.
TEST_F(StopSignalsTest, ASecondSignalEndsTheProcessAtOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // the child starts afresh
  EXPECT_EXIT(
      {
        StopSignals signals;
        std::atomic<int> received{0};
        signals.OnSignal([&](int signal) { received = signal; });
        kill(getpid(), SIGTERM);
        // Said only when the first signal reached the handler (and did not
        // end the process itself).
        if (Eventually(received, SIGTERM)) std::fprintf(stderr, "first signal handled\n");
        kill(getpid(), SIGTERM);
        std::this_thread::sleep_for(std::chrono::seconds(5));
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGTERM), "first signal handled");
}

TEST_F(StopSignalsTest, ASignalBeforeAnyHandlerEndsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        StopSignals signals;
        kill(getpid(), SIGINT);
        std::this_thread::sleep_for(std::chrono::seconds(5));
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGINT), "");
}

}  // namespace
}  // namespace berth
