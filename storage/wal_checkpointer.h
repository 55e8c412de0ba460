#pragma once

// Runs the WAL checkpoints of a file-backed database on a thread of its own,
// over a second connection, so that no request's COMMIT copies the WAL into
// the database file and waits for its two fsyncs (what SQLite's automatic
// checkpoint does to whichever commit crosses 1000 pages).
//
// The writers' connection reports the WAL's size after each commit
// (OnCommit). The checkpointer copies the WAL into the database (PASSIVE:
// beside the writers, blocking no one) once it holds `start_pages` new
// pages, or once writes have paused for `idle_delay`. A PASSIVE checkpoint
// cannot restart the WAL while writers keep appending to it, so when the WAL
// reaches `catch_up_pages` despite them, the checkpointer takes the writers'
// mutex, ends the writers' open transaction (a commit group still collecting
// requests: a WAL restarts only at a transaction that began on a fully
// copied WAL) and makes one more checkpoint of what was appended meanwhile
// (short, since the bulk is already copied); the next transaction then
// starts the WAL from its beginning.
//
// A catch-up pauses writers for two fdatasyncs, so how often one comes sets
// the write path's tail: the WAL is allowed to grow large (about 100 MB)
// before one. What it copies with them paused adds to its two syncs: the
// pages appended while the last background checkpoint ran (a few dozen
// under full load here, more with a slower disk or faster writers). So a
// catch-up first closes in on the writers with more background checkpoints,
// each copying what came in during the one before, until at most
// `catch_up_remainder_pages` are left for the pause (or a few rounds passed,
// when writers outpace them).
//
// Only a checkpoint that copies the whole WAL syncs the database file, and
// under load the background ones rarely do: the database pages they copied
// stayed dirty until the catch-up's sync, which then wrote about a second and
// a half of them with the writers paused (22-28 ms of a 25-45 ms pause on a
// VM whose disk flushes slowly). So each background checkpoint starts the
// write-out of the database pages it copied (sync_file_range, as for the
// WAL), and before closing in the checkpointer syncs the database file
// itself, beside the writers; the catch-up's own sync is left with the pages
// copied after that.
//
// A WAL file that grew past `start_pages` is cut to nothing once writes have
// paused for `shrink_delay` (with the writers paused, which then costs no
// one), so a resting Berth keeps a small footprint on disk.
//
// A checkpoint's first fsync writes out the WAL appended since the last one.
// Done in one go, that burst (megabytes of page-cache writeback, then the
// disk's answer) is what stretched the write path's tail, so the kernel is
// asked to start writing the WAL behind the writers every
// `write_behind_pages` (sync_file_range, which does not wait for the disk): a
// checkpoint then finds only the last few pages left to write. The page the
// writers are filling is left alone, so that none of them waits on its
// write-out.
//
// A checkpoint runs only for WAL pages no checkpoint copied yet: start_pages
// of them, or any after writes paused. (Counting the WAL's whole size
// instead would, while the WAL cannot restart, checkpoint back to back, each
// time with two fsyncs.)
//
// A commit only marks the thread's wake-up as due (OnCommit, under the
// writers' mutex); whoever releases that mutex delivers it (WakeIfDue). A
// woken thread that has slept long is often given the waker's core at once,
// and a waker inside the mutex then holds up every writer while the
// checkpointer runs (under a steady write load, about half of the
// checkpointer's preemptions of a request thread happened there).
//
// Thread-safety: OnCommit may be called from any thread (it runs inside the
// writers' commit, under their mutex); WakeIfDue and stats from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "storage/spinning_mutex.h"
#include "storage/sqlite/db.h"
#include "storage/unique_fd.h"

namespace berth::storage {

// When a WalCheckpointer acts. The defaults are Berth's; tests use smaller
// ones.
struct WalCheckpointLimits {
  // New WAL pages that start a background checkpoint.
  int64_t start_pages = 300;
  // WAL pages at which writers are paused briefly so the WAL can restart
  // (about 94 MiB of 4 KiB pages).
  int64_t catch_up_pages = 24000;
  // WAL pages a catch-up leaves to copy with the writers paused.
  int64_t catch_up_remainder_pages = 32;
  // WAL pages appended since the last write-behind that start the next
  // one; 0: none (the checkpoint's fsync writes the WAL out).
  int64_t write_behind_pages = 64;
  // A pause in writes this long checkpoints whatever the WAL holds.
  std::chrono::milliseconds idle_delay{200};
  // A pause in writes this long cuts a grown WAL file to nothing.
  std::chrono::milliseconds shrink_delay{2000};
  // How often the thread looks at the WAL when no commit wakes it (it
  // notices paused writes so).
  std::chrono::milliseconds poll_period{100};
};

class WalCheckpointer {
 public:
  using Limits = WalCheckpointLimits;
  // A WAL restarted by catch-ups keeps its size (4 KiB pages and their
  // frame headers), with room for what comes in while one waits.
  static_assert(WalCheckpointLimits{}.catch_up_pages * (4096 + 24) * 3 / 2 <=
                Db::kWalSizeLimitBytes);

  // Opens a second connection to the database at `path` (which the writers
  // hold with shared locking) and starts the thread. `writers` is the mutex
  // the writers' connection is used under; `end_transaction`, called under
  // it before a catch-up, commits the transaction the writers' connection
  // has open, if any (it must not throw). Throws StorageError.
  WalCheckpointer(const std::string& path, SpinningMutex& writers,
                  std::function<void()> end_transaction = {}, Limits limits = {});
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;
  // Stops the thread; the last checkpoint happens when the writers'
  // connection closes.
  ~WalCheckpointer();

  // After each commit, under the writers' mutex: the WAL's size in pages.
  void OnCommit(int64_t wal_pages) noexcept;
  // After the writers' mutex is released: wakes the thread if a commit gave
  // it work. Cheap when none did (one relaxed load).
  void WakeIfDue() noexcept {
    if (wake_due_.load(std::memory_order_relaxed)) WakeSlow();
  }

  // Called before taking the writers' mutex: while a catch-up waits for that
  // mutex, newcomers wait here, so that a busy stream of writers (the mutex
  // is not fair) cannot keep the catch-up, and the WAL's restart, waiting.
  void WaitForCatchUp() {
    if (catching_up_.load(std::memory_order_acquire)) WaitForCatchUpSlow();
  }

  // What the checkpointer has done, for tests and the bench.
  struct Stats {
    int64_t checkpoints = 0;  // background (PASSIVE, beside the writers)
    int64_t catch_ups = 0;    // with the writers paused
    int64_t longest_catch_up_us = 0;
    int64_t close_ins = 0;              // background checkpoints run to shorten a catch-up
    int64_t largest_catch_up_copy = 0;  // WAL pages copied with the writers paused
    int64_t shrinks = 0;                // WAL files cut to nothing while writes paused
    int64_t write_behinds = 0;          // WAL write-outs started ahead of a checkpoint
    int64_t database_syncs = 0;         // database file syncs beside the writers
    // Times the WAL started over, seen at the commit after: by catch-ups,
    // and by transactions that began on a fully copied WAL without one.
    int64_t restarts = 0;
    int64_t failures = 0;
  };
  Stats stats() const;

 private:
  void Run(const std::stop_token& stop);
  // Whether the thread has something to do for a WAL of `wal_pages`.
  bool HasWork(int64_t wal_pages) const;
  // Starts the write-out of the WAL's complete pages not yet started, once
  // write_behind_pages were appended.
  void WriteBehind(int64_t wal_pages);
  // Before a checkpoint of a WAL of `wal_pages`: its fsync writes them out.
  void WrittenOut(int64_t wal_pages);
  // The bytes of a WAL of `wal_pages` in memory pages the writers are done
  // with (all but the one they are filling).
  int64_t WholePagesOf(int64_t wal_pages) const;
  // fdatasync of the database file with the writers running: what the
  // background checkpoints copied reaches the disk before a catch-up.
  void SyncDatabaseBesideWriters();
  // One background checkpoint; returns the WAL pages now in the database.
  int64_t CheckpointBesideWriters();
  // Background checkpoints until at most catch_up_remainder_pages of the
  // WAL are left uncopied (`copied` so far), or kCloseInRounds ran; returns
  // the pages then copied.
  int64_t CloseInOnWriters(int64_t copied);
  // A checkpoint with the writers paused, of a WAL `copied_before` of which
  // is already in the database; returns the pages then copied.
  int64_t CatchUpWithWritersPaused(int64_t copied_before);
  // Copies the whole WAL and truncates its file, with the writers paused.
  void ShrinkWithWritersPaused();
  void WaitForCatchUpSlow();
  void WakeSlow() noexcept;

  SpinningMutex& writers_;
  std::function<void()> end_transaction_;
  const Limits limits_;
  Db db_;
  UniqueFd database_;  // the database file, synced beside the writers
  const std::string wal_path_;
  const int64_t frame_bytes_;  // a WAL frame: a page and its header
  UniqueFd wal_;               // opened for write-behind once the WAL exists
  // The WAL's size in pages at the last write-behind (written by the thread,
  // read by OnCommit), and the bytes of it asked to be written out.
  std::atomic<int64_t> behind_pages_{0};
  int64_t behind_bytes_ = 0;
  std::atomic<int64_t> wal_pages_{0};
  // The largest WAL since the file was last cut: about the file's size.
  std::atomic<int64_t> high_water_{0};
  // Pages of the current WAL a checkpoint copied into the database (written
  // by the thread, read by OnCommit).
  std::atomic<int64_t> copied_{0};
  std::atomic<int64_t> last_commit_ns_{0};
  std::atomic<int64_t> checkpoints_{0};
  std::atomic<int64_t> catch_ups_{0};
  std::atomic<int64_t> longest_catch_up_us_{0};
  std::atomic<int64_t> close_ins_{0};
  std::atomic<int64_t> largest_catch_up_copy_{0};
  std::atomic<int64_t> shrinks_{0};
  std::atomic<int64_t> write_behinds_{0};
  std::atomic<int64_t> database_syncs_{0};
  std::atomic<int64_t> restarts_{0};
  std::atomic<int64_t> failures_{0};
  std::atomic<bool> catching_up_{false};
  // A commit gave the thread work; the mutex's releaser wakes it.
  std::atomic<bool> wake_due_{false};
  std::mutex gate_mutex_;
  std::condition_variable gate_;
  std::mutex wake_mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: stopped and joined before the rest goes
};

}  // namespace berth::storage
