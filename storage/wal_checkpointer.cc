#include "storage/wal_checkpointer.h"

#include <algorithm>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

namespace berth::storage {
namespace {

// Background checkpoints a catch-up runs at most before pausing the writers
// (each copies what was appended during the one before; writers that append
// faster than a checkpoint copies would otherwise keep it going).
constexpr int kCloseInRounds = 4;

// The WAL file's layout: a header, then frames of a header and a page.
constexpr int64_t kWalHeaderBytes = 32;
constexpr int64_t kFrameHeaderBytes = 24;

// The pages of a WAL of `pages` no checkpoint copied, when one copied
// `copied` (a smaller WAL restarted since: all of it is new).
int64_t Fresh(int64_t pages, int64_t copied) { return pages < copied ? pages : pages - copied; }

// Raises `largest` to `value` if it is larger (from any thread).
void RaiseTo(std::atomic<int64_t>& largest, int64_t value) {
  int64_t seen = largest.load();
  while (value > seen && !largest.compare_exchange_weak(seen, value)) {
  }
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

WalCheckpointer::WalCheckpointer(const std::string& path, SpinningMutex& writers,
                                 std::function<void()> end_transaction, Limits limits)
    : writers_(writers),
      end_transaction_(std::move(end_transaction)),
      limits_(limits),
      db_(Db::Open(path, Db::Locking::kShared)),
      database_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)),
      wal_path_(path + "-wal"),
      frame_bytes_(db_.PageSize() + kFrameHeaderBytes),
      thread_([this](const std::stop_token& stop) { Run(stop); }) {}

WalCheckpointer::~WalCheckpointer() {
  thread_.request_stop();
  wake_.notify_all();
}

void WalCheckpointer::OnCommit(int64_t wal_pages) noexcept {
  // Written only under the writers' mutex (by commits, and by a shrink).
  if (wal_pages < wal_pages_.load(std::memory_order_relaxed)) {
    restarts_.fetch_add(1, std::memory_order_relaxed);
  }
  wal_pages_.store(wal_pages, std::memory_order_relaxed);
  if (wal_pages > high_water_.load(std::memory_order_relaxed)) {
    high_water_.store(wal_pages, std::memory_order_relaxed);
  }
  last_commit_ns_.store(NowNs(), std::memory_order_relaxed);
  // Only a commit that gives the checkpointer work wakes it: waking it on
  // every commit (to find too little to copy) cost a context switch each.
  // Not from here, inside the writers' mutex (see the header): WakeIfDue.
  if (HasWork(wal_pages)) wake_due_.store(true, std::memory_order_relaxed);
}

void WalCheckpointer::WakeSlow() noexcept {
  if (!wake_due_.exchange(false)) return;  // another releaser delivered it
  // Through the thread's mutex: it cannot be between testing for work and
  // going to sleep, so the wake-up is not lost.
  { const std::lock_guard lock(wake_mutex_); }
  wake_.notify_one();
}

bool WalCheckpointer::HasWork(int64_t wal_pages) const {
  if (Fresh(wal_pages, copied_.load(std::memory_order_relaxed)) >= limits_.start_pages) return true;
  if (limits_.write_behind_pages <= 0) return false;
  const int64_t behind = behind_pages_.load(std::memory_order_relaxed);
  return wal_pages < behind || wal_pages - behind >= limits_.write_behind_pages;
}

WalCheckpointer::Stats WalCheckpointer::stats() const {
  Stats stats;
  stats.checkpoints = checkpoints_.load();
  stats.catch_ups = catch_ups_.load();
  stats.longest_catch_up_us = longest_catch_up_us_.load();
  stats.close_ins = close_ins_.load();
  stats.largest_catch_up_copy = largest_catch_up_copy_.load();
  stats.shrinks = shrinks_.load();
  stats.write_behinds = write_behinds_.load();
  stats.database_syncs = database_syncs_.load();
  stats.restarts = restarts_.load();
  stats.failures = failures_.load();
  return stats;
}

void WalCheckpointer::Run(const std::stop_token& stop) {
  // Named for top -H and perf.
  ::pthread_setname_np(::pthread_self(), "wal-checkpoint");
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(wake_mutex_);
      wake_.wait_for(lock, stop, limits_.poll_period,
                     [this] { return HasWork(wal_pages_.load(std::memory_order_relaxed)); });
    }
    if (stop.stop_requested()) break;
    const int64_t pages = wal_pages_.load(std::memory_order_relaxed);
    int64_t copied = copied_.load(std::memory_order_relaxed);
    if (pages < copied) copied = 0;  // the WAL restarted
    const int64_t fresh = Fresh(pages, copied);
    const auto idle = std::chrono::nanoseconds(NowNs() - last_commit_ns_.load());
    const bool shrink = idle >= limits_.shrink_delay &&
                        high_water_.load(std::memory_order_relaxed) > limits_.start_pages;
    if (!shrink && (fresh <= 0 || (fresh < limits_.start_pages && idle < limits_.idle_delay))) {
      // Write-behind only in a round without a checkpoint: a checkpoint's
      // fsync writes the WAL out anyway, and a write-out that waits for a
      // congested disk must not hold up a checkpoint (or a catch-up) due.
      WriteBehind(pages);
      continue;
    }
    WrittenOut(pages);
    try {
      if (shrink) {
        ShrinkWithWritersPaused();
        continue;
      }
      copied = CheckpointBesideWriters();
      if (pages >= limits_.catch_up_pages) {
        SyncDatabaseBesideWriters();
        copied = CatchUpWithWritersPaused(CloseInOnWriters(copied));
      }
      copied_.store(copied, std::memory_order_relaxed);
    } catch (const std::exception&) {
      // A failed checkpoint loses nothing (the WAL still holds every
      // commit); the next round tries again.
      failures_.fetch_add(1);
      std::this_thread::sleep_for(limits_.poll_period);
    }
  }
}

void WalCheckpointer::WriteBehind(int64_t wal_pages) {
  if (limits_.write_behind_pages <= 0) return;
  const int64_t behind = behind_pages_.load(std::memory_order_relaxed);
  if (wal_pages >= behind && wal_pages - behind < limits_.write_behind_pages) return;
  if (wal_pages < behind) behind_bytes_ = 0;  // the WAL restarted
  behind_pages_.store(wal_pages, std::memory_order_relaxed);
  if (!wal_) {
    // The writers' connection made the WAL before its first commit; it stays
    // (cut, never removed) while connections are open.
    wal_ = UniqueFd(::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!wal_) return;
  }
  const int64_t end = WholePagesOf(wal_pages);
  if (end <= behind_bytes_) return;
  // Advice only: a failure (or a WAL that restarted unseen) costs the
  // checkpoint's fsync some work, never a commit.
  if (::sync_file_range(wal_.get(), behind_bytes_, end - behind_bytes_, SYNC_FILE_RANGE_WRITE) ==
      0) {
    write_behinds_.fetch_add(1, std::memory_order_relaxed);
  }
  behind_bytes_ = end;
}

void WalCheckpointer::WrittenOut(int64_t wal_pages) {
  if (limits_.write_behind_pages <= 0) return;
  // The next write-behind starts after what this checkpoint's fsync writes
  // (the WAL up to `wal_pages`, as seen before it), or from the start of a
  // WAL that restarted since.
  behind_pages_.store(wal_pages, std::memory_order_relaxed);
  behind_bytes_ = WholePagesOf(wal_pages);
}

int64_t WalCheckpointer::WholePagesOf(int64_t wal_pages) const {
  // Up to the start of the memory page the writers are filling.
  static const int64_t kMemoryPage = ::sysconf(_SC_PAGESIZE);
  const int64_t written = kWalHeaderBytes + wal_pages * frame_bytes_;
  return written - written % kMemoryPage;
}

void WalCheckpointer::SyncDatabaseBesideWriters() {
  // Advice only, like a write-behind: a failure leaves the work to the
  // catch-up's own sync.
  if (database_ && ::fdatasync(database_.get()) == 0) {
    database_syncs_.fetch_add(1, std::memory_order_relaxed);
  }
}

int64_t WalCheckpointer::CheckpointBesideWriters() {
  const Db::CheckpointResult result = db_.CheckpointPassive();
  checkpoints_.fetch_add(1);
  // The database pages it copied start for the disk now (advice only, as
  // for the WAL): the sync before a catch-up, and the catch-up's own, then
  // find little left to write.
  if (limits_.write_behind_pages > 0 && database_) {
    ::sync_file_range(database_.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
  }
  return result.checkpointed_pages;
}

int64_t WalCheckpointer::CloseInOnWriters(int64_t copied) {
  for (int round = 0; round < kCloseInRounds; ++round) {
    const int64_t pages = wal_pages_.load(std::memory_order_relaxed);
    if (pages < copied || pages - copied <= limits_.catch_up_remainder_pages) break;
    const int64_t now_copied = CheckpointBesideWriters();
    close_ins_.fetch_add(1);
    // Nothing copied: a reader holds the WAL back; pausing the writers is
    // what the catch-up is for.
    if (now_copied <= copied) break;
    copied = now_copied;
  }
  return copied;
}

int64_t WalCheckpointer::CatchUpWithWritersPaused(int64_t copied_before) {
  const auto start = std::chrono::steady_clock::now();
  // Newcomers wait at the gate (WaitForCatchUp) until the catch-up is over,
  // whether it succeeds or throws.
  struct Gate {
    WalCheckpointer& self;
    explicit Gate(WalCheckpointer& checkpointer) : self(checkpointer) { Set(true); }
    ~Gate() {
      Set(false);
      self.gate_.notify_all();
    }
    void Set(bool closed) {
      const std::lock_guard lock(self.gate_mutex_);
      self.catching_up_.store(closed, std::memory_order_release);
    }
  };
  int64_t copied = 0;
  {
    const Gate gate(*this);
    const std::lock_guard paused(writers_);
    if (end_transaction_) end_transaction_();
    copied = db_.CheckpointPassive().checkpointed_pages;
  }
  if (copied >= copied_before) RaiseTo(largest_catch_up_copy_, copied - copied_before);
  const auto held = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  catch_ups_.fetch_add(1);
  RaiseTo(longest_catch_up_us_, held);
  return copied;
}

void WalCheckpointer::ShrinkWithWritersPaused() {
  const std::lock_guard paused(writers_);
  if (end_transaction_) end_transaction_();
  // Busy (nothing cut) only while a reader of this process still reads an
  // older snapshot; the next round tries again.
  if (!db_.CheckpointTruncate()) return;
  // Nothing can commit meanwhile: the next commit reports the WAL anew.
  wal_pages_.store(0, std::memory_order_relaxed);
  high_water_.store(0, std::memory_order_relaxed);
  copied_.store(0, std::memory_order_relaxed);
  shrinks_.fetch_add(1);
}

void WalCheckpointer::WaitForCatchUpSlow() {
  std::unique_lock gate(gate_mutex_);
  gate_.wait(gate, [this] { return !catching_up_.load(std::memory_order_acquire); });
}

}  // namespace berth::storage
