#include "storage/wal_checkpointer.h"

#include <algorithm>

namespace berth::storage {
namespace {

// How often the thread looks at the WAL when no commit wakes it.
constexpr std::chrono::milliseconds kPollPeriod{100};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

WalCheckpointer::WalCheckpointer(const std::string& path, std::mutex& writers)
    : writers_(writers),
      db_(Db::Open(path, Db::Locking::kShared)),
      thread_([this](const std::stop_token& stop) { Run(stop); }) {}

WalCheckpointer::~WalCheckpointer() {
  thread_.request_stop();
  wake_.notify_all();
}

void WalCheckpointer::OnCommit(int64_t wal_pages) noexcept {
  wal_pages_.store(wal_pages, std::memory_order_relaxed);
  last_commit_ns_.store(NowNs(), std::memory_order_relaxed);
  if (wal_pages >= kStartPages) wake_.notify_one();
}

WalCheckpointer::Stats WalCheckpointer::stats() const {
  return {checkpoints_.load(), catch_ups_.load(), longest_catch_up_us_.load(), failures_.load()};
}

void WalCheckpointer::Run(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(wake_mutex_);
      wake_.wait_for(lock, stop, kPollPeriod,
                     [this] { return wal_pages_.load(std::memory_order_relaxed) >= kStartPages; });
    }
    if (stop.stop_requested()) break;
    const int64_t pages = wal_pages_.load(std::memory_order_relaxed);
    const auto idle = std::chrono::nanoseconds(NowNs() - last_commit_ns_.load());
    if (pages == 0 || (pages < kStartPages && idle < kIdleDelay)) continue;
    try {
      const int64_t behind = CheckpointBesideWriters();
      if (pages >= kCatchUpPages) {
        CatchUpWithWritersPaused();
      } else if (behind == 0) {
        // Everything is in the database: nothing to do until the next
        // commit (which restarts the WAL and reports its new size), unless
        // one came in meanwhile.
        int64_t expected = pages;
        wal_pages_.compare_exchange_strong(expected, 0);
      }
    } catch (const std::exception&) {
      // A failed checkpoint loses nothing (the WAL still holds every
      // commit); the next round tries again.
      failures_.fetch_add(1);
      std::this_thread::sleep_for(kPollPeriod);
    }
  }
}

int64_t WalCheckpointer::CheckpointBesideWriters() {
  const Db::CheckpointResult result = db_.CheckpointPassive();
  checkpoints_.fetch_add(1);
  return std::max<int64_t>(0, result.wal_pages - result.checkpointed_pages);
}

void WalCheckpointer::CatchUpWithWritersPaused() {
  const auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard gate(gate_mutex_);
    catching_up_.store(true, std::memory_order_release);
  }
  {
    std::lock_guard paused(writers_);
    db_.CheckpointPassive();
    // The next commit restarts the WAL and reports its new size.
    wal_pages_.store(0, std::memory_order_relaxed);
  }
  {
    std::lock_guard gate(gate_mutex_);
    catching_up_.store(false, std::memory_order_release);
  }
  gate_.notify_all();
  const auto held = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  catch_ups_.fetch_add(1);
  int64_t longest = longest_catch_up_us_.load();
  while (held > longest && !longest_catch_up_us_.compare_exchange_weak(longest, held)) {
  }
}

void WalCheckpointer::WaitForCatchUpSlow() {
  std::unique_lock gate(gate_mutex_);
  gate_.wait(gate, [this] { return !catching_up_.load(std::memory_order_acquire); });
}

}  // namespace berth::storage
