#pragma once

// Collects the output of task containers whose logDriver is awslogs into
// Berth's CloudWatch Logs (LogSink), the way Docker's awslogs driver would
// have sent it. The containers run with Docker's json-file driver; the
// collector reads their output back through the Engine API
// (DockerApi::StreamLogs, following), turns it into events (log_pipeline.h)
// and appends them in batches, each batch with the cursor that says where
// it ends, so a Berth killed at any moment resumes exactly there.
//
// One thread per container being collected, each with its own Docker client
// of the container's engine (from the reconciler's client factory), at most
// `max_threads` at once;
// further containers wait for a thread. A container's thread ends once its
// output has ended (the container stopped) and everything is stored: then
// Drain returns true and `on_drained` is told. The reconciler calls
// Collect right after it starts a container (and for the running containers
// it adopts after a restart), Drain before it makes the task STOPPED,
// Release once it has, and Forget when it removes containers.
//
// Thread-safety: every method may be called from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "docker_backend/docker_api.h"
#include "server/reconciler/awslogs.h"
#include "server/reconciler/log_pipeline.h"
#include "server/reconciler/log_sink.h"
#include "server/util/engine_attributes.h"

namespace berth::reconciler {

struct LogCollectorOptions {
  size_t max_threads = 64;  // containers read at once
  LogPipelineLimits limits;
  // After a failure (Docker unreachable, the sink refusing a batch), the
  // container's reading starts again from the stored cursor this much later.
  std::chrono::milliseconds retry_delay{1000};
};

// One container to collect.
struct CollectRequest {
  std::string container_id;  // Docker's id; also the cursor's key in the sink
  std::string task_arn;      // handed to `on_drained`
  AwslogsSettings settings;
  std::string engine = std::string(engines::kLocal);  // the engine it runs on
};

class LogCollector {
 public:
  // Makes a client of an engine ("local", or another's endpoint). Throws
  // when it cannot.
  using ClientFactory = std::function<std::unique_ptr<docker::DockerApi>(const std::string&)>;

  LogCollector(LogSink& sink, ClientFactory make_client, LogCollectorOptions options = {});
  LogCollector(const LogCollector&) = delete;
  LogCollector& operator=(const LogCollector&) = delete;
  ~LogCollector();

  // Told (from a collector thread) when a container's output has ended and
  // is all stored. It must not throw. Set before the first Collect.
  void SetOnDrained(std::function<void(const std::string& task_arn)> on_drained) {
    on_drained_ = std::move(on_drained);
  }

  // Starts collecting the container, from where its stored cursor ends.
  // Does nothing when it is collected already (or was, and not released).
  // Returns at once: the reading happens on a collector thread.
  void Collect(const CollectRequest& request);
  // Waits at most `timeout` until the container's output has ended and is
  // all stored. True when so, and for a container never collected.
  bool Drain(const std::string& container_id, std::chrono::milliseconds timeout);
  // Forgets a drained container (its task has STOPPED); a container still
  // being read is kept.
  void Release(const std::string& container_id);
  // The containers are being removed: stops reading them (what is not
  // stored yet is dropped) and forgets their cursors in the sink.
  void Forget(const std::vector<std::string>& container_ids);
  // Cursors of containers removed behind Berth's back (`docker rm`) are
  // never Forgotten; the reconciler's sweep drops them in two steps, in this
  // order: StoredCursors() (every container with a cursor), then a listing
  // of the containers that exist, then ForgetMissing(cursors, existing),
  // which forgets the listed cursors whose container is neither in
  // `existing` nor being collected. Listing the cursors first means a
  // container made between the two listings cannot lose its cursor.
  std::vector<std::string> StoredCursors();
  void ForgetMissing(const std::vector<std::string>& cursors,
                     const std::set<std::string>& existing);
  // Stops every reading (what is complete is stored first) and joins the
  // threads. Collect does nothing afterwards.
  void Stop();

 private:
  struct Entry;

  void Run(uint64_t thread_number, std::shared_ptr<Entry> entry);
  // Reads one container until its output ends (true) or it is cancelled
  // (false).
  bool Follow(Entry& entry, docker::DockerApi& docker);
  // One reading from the stored cursor to the end of the stream, storing as
  // it goes; a reading without `follow` reads a stopped container's output
  // to its end and stores all of it. False when cancelled.
  bool Read(Entry& entry, docker::DockerApi& docker, bool follow);
  // Waits `delay` unless the entry is cancelled meanwhile; false if it was.
  bool Pause(const Entry& entry, std::chrono::milliseconds delay);
  bool Cancelled(const Entry& entry) const;
  // Joins the threads that have ended; mutex_ held.
  void JoinEnded();
  void StartThread(std::shared_ptr<Entry> entry);

  LogSink& sink_;
  ClientFactory make_client_;
  LogCollectorOptions options_;
  std::function<void(const std::string&)> on_drained_;
  std::atomic<bool> stopping_{false};

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // by container id; mutex_
  std::deque<std::shared_ptr<Entry>> queue_;               // waiting for a thread; mutex_
  std::map<uint64_t, std::thread> threads_;                // mutex_
  std::vector<uint64_t> ended_threads_;                    // to join; mutex_
  uint64_t next_thread_ = 0;                               // mutex_
};

}  // namespace berth::reconciler
