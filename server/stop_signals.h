#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace berth {

// How Berth hears SIGINT and SIGTERM. Both are blocked in every thread (the
// constructor runs before any thread starts, and threads inherit the mask),
// so the kernel keeps them pending until one waiting thread takes them with
// sigwait and calls the handler set by OnSignal. No thread is interrupted
// at a random point, and no signal handler runs at all: a handler on
// whichever thread the kernel chose could, under ThreadSanitizer, be put off
// until that thread next woke, and a thread parked for good never did.
//
// The first signal calls the handler set by OnSignal; a second one, or any
// before a handler is set (start-up) or after it is cleared, ends the process
// at once, as its default action would: for a user who will not wait for a
// clean stop.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The next SIGINT or SIGTERM calls handler(signal) on the waiting thread;
  // an empty handler restores the default. Returns once no call of the
  // previous handler is running, so that what it refers to may then go.
  void OnSignal(std::function<void(int)> handler);

 private:
  void Wait();

  std::mutex mutex_;                  // held while the handler runs
  std::function<void(int)> handler_;  // guarded by mutex_
  bool handled_ = false;              // guarded by mutex_
  std::atomic<bool> closing_{false};
  std::thread waiter_;
};

}  // namespace berth
