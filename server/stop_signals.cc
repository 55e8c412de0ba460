#include "server/stop_signals.h"

#include <csignal>
#include <pthread.h>
#include <stdexcept>
#include <utility>

namespace berth {
namespace {

sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// The default action of `signal` (ending the process), taken now.
[[noreturn]] void DieBy(int signal) {
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, signal);
  std::signal(signal, SIG_DFL);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  raise(signal);
  std::_Exit(128 + signal);  // not reached: the signal's default action ends the process
}

}  // namespace

StopSignals::StopSignals() {
  const sigset_t set = StopSet();
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) {
    throw std::runtime_error("cannot block SIGINT and SIGTERM");
  }
  waiter_ = std::thread([this] { Wait(); });
}

StopSignals::~StopSignals() {
  closing_.store(true);
  // Wakes the waiter (a signal sent to it alone); it sees closing_ and ends.
  pthread_kill(waiter_.native_handle(), SIGTERM);
  waiter_.join();
}

void StopSignals::OnSignal(std::function<void(int)> handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
  handled_ = false;
}

void StopSignals::Wait() {
  const sigset_t set = StopSet();
  for (;;) {
    int signal = 0;
    if (sigwait(&set, &signal) != 0) continue;
    if (closing_.load()) return;
    std::lock_guard lock(mutex_);
    if (!handler_ || handled_) DieBy(signal);
    handled_ = true;
    handler_(signal);
  }
}

}  // namespace berth
