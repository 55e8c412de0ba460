#include "server/reconciler/log_collector.h"

#include <algorithm>
#include <exception>

#include "server/util/log.h"

namespace berth::reconciler {
namespace {

using Clock = std::chrono::steady_clock;

// How long to wait before reading again a log whose stream Docker ended
// while the container still ran.
constexpr std::chrono::milliseconds kReopenDelay{100};

// Whether the container still runs; a missing one does not.
bool StillRunning(docker::DockerApi& docker, const std::string& id) {
  try {
    return docker.InspectContainer(id).running;
  } catch (const docker::DockerError& e) {
    if (e.http_status() == 404) return false;
    throw;
  }
}

}  // namespace

// One container's collection.
struct LogCollector::Entry {
  explicit Entry(CollectRequest r) : request(std::move(r)) {}
  const CollectRequest request;
  enum class State { kQueued, kRunning, kDone };
  State state = State::kQueued;        // mutex_
  std::atomic<bool> forgotten{false};  // Forget: stop without storing
};

LogCollector::LogCollector(LogSink& sink, ClientFactory make_client, LogCollectorOptions options)
    : sink_(sink), make_client_(std::move(make_client)), options_(options) {}

LogCollector::~LogCollector() { Stop(); }

void LogCollector::Collect(const CollectRequest& request) {
  std::lock_guard lock(mutex_);
  JoinEnded();
  if (stopping_ || entries_.contains(request.container_id)) return;
  auto entry = std::make_shared<Entry>(request);
  entries_[request.container_id] = entry;
  if (threads_.size() < options_.max_threads) {
    StartThread(std::move(entry));
  } else {
    queue_.push_back(std::move(entry));
  }
}

void LogCollector::StartThread(std::shared_ptr<Entry> entry) {
  entry->state = Entry::State::kRunning;
  const uint64_t number = next_thread_++;
  threads_.emplace(number, std::thread([this, number, entry] { Run(number, entry); }));
}

void LogCollector::JoinEnded() {
  for (const uint64_t number : ended_threads_) {
    const auto thread = threads_.find(number);
    if (thread == threads_.end()) continue;
    thread->second.join();  // it has left Run (or is about to)
    threads_.erase(thread);
  }
  ended_threads_.clear();
}

bool LogCollector::Drain(const std::string& container_id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    const auto entry = entries_.find(container_id);
    return entry == entries_.end() || entry->second->state == Entry::State::kDone;
  });
}

void LogCollector::Release(const std::string& container_id) {
  std::lock_guard lock(mutex_);
  const auto entry = entries_.find(container_id);
  if (entry != entries_.end() && entry->second->state == Entry::State::kDone) {
    entries_.erase(entry);
  }
}

void LogCollector::Forget(const std::vector<std::string>& container_ids) {
  std::vector<std::shared_ptr<Entry>> cancelled;
  {
    std::unique_lock lock(mutex_);
    for (const auto& id : container_ids) {
      const auto found = entries_.find(id);
      if (found == entries_.end()) continue;
      found->second->forgotten = true;
      if (found->second->state == Entry::State::kQueued) {
        std::erase(queue_, found->second);
        found->second->state = Entry::State::kDone;
      }
      cancelled.push_back(found->second);
      entries_.erase(found);
    }
    changed_.notify_all();
    // A reading notices within a second (DockerApi::StreamLogs asks that
    // often) and stores nothing more.
    changed_.wait(lock, [&] {
      return std::all_of(cancelled.begin(), cancelled.end(),
                         [](const auto& e) { return e->state == Entry::State::kDone; });
    });
  }
  for (const auto& id : container_ids) {
    try {
      sink_.ForgetCursor(id);
    } catch (const std::exception& e) {
      log::Warn("logs: could not forget the cursor of container " + id + ": " + e.what());
    }
  }
}

std::vector<std::string> LogCollector::StoredCursors() {
  try {
    return sink_.CursorKeys();
  } catch (const std::exception& e) {
    log::Warn(std::string("logs: could not list the collector cursors: ") + e.what());
    return {};
  }
}

void LogCollector::ForgetMissing(const std::vector<std::string>& cursors,
                                 const std::set<std::string>& existing) {
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mutex_);
    for (const auto& id : cursors) {
      if (!existing.contains(id) && !entries_.contains(id)) gone.push_back(id);
    }
  }
  for (const auto& id : gone) {
    log::Debug("logs: forgetting the cursor of container " + id + ", removed outside Berth");
    try {
      sink_.ForgetCursor(id);
    } catch (const std::exception& e) {
      log::Warn("logs: could not forget the cursor of container " + id + ": " + e.what());
    }
  }
}

void LogCollector::Stop() {
  std::map<uint64_t, std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& entry : queue_) entry->state = Entry::State::kDone;
    queue_.clear();
    threads.swap(threads_);
    ended_threads_.clear();
  }
  changed_.notify_all();
  for (auto& [number, thread] : threads) thread.join();
}

bool LogCollector::Cancelled(const Entry& entry) const { return stopping_ || entry.forgotten; }

bool LogCollector::Pause(const Entry& entry, std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, delay, [&] { return Cancelled(entry); });
}

void LogCollector::Run(uint64_t thread_number, std::shared_ptr<Entry> entry) {
  // The thread's clients, by engine (its containers may be on several).
  std::map<std::string, std::unique_ptr<docker::DockerApi>> clients;
  const auto client_for = [&](const std::string& engine) -> docker::DockerApi* {
    auto& client = clients[engine];
    if (!client) {
      try {
        client = make_client_(engine);
      } catch (const std::exception& e) {
        log::Error("logs: cannot make a Docker client of " + engine + ": " + e.what());
      }
    }
    return client.get();
  };
  while (entry) {
    bool drained = false;
    if (docker::DockerApi* docker = client_for(entry->request.engine)) {
      try {
        drained = Follow(*entry, *docker);
      } catch (const std::exception& e) {  // a thread's failure stays with it
        log::Error("logs: container " + entry->request.container_id + ": " + e.what());
      }
    }
    {
      std::lock_guard lock(mutex_);
      entry->state = Entry::State::kDone;
      changed_.notify_all();
    }
    if (drained && on_drained_) on_drained_(entry->request.task_arn);
    std::lock_guard lock(mutex_);
    entry.reset();
    if (!stopping_ && !queue_.empty()) {
      entry = queue_.front();
      queue_.pop_front();
      entry->state = Entry::State::kRunning;
    } else {
      ended_threads_.push_back(thread_number);
    }
  }
}

bool LogCollector::Follow(Entry& entry, docker::DockerApi& docker) {
  const std::string& id = entry.request.container_id;
  while (!Cancelled(entry)) {
    try {
      if (!Read(entry, docker, /*follow=*/true)) return false;
      if (StillRunning(docker, id)) {
        // Docker ended the stream for a reason of its own: read on.
        Pause(entry, kReopenDelay);
        continue;
      }
      // The container stopped. Docker 20.10's follower may end before the
      // last lines of its file: once it has caught up, it waits for "the
      // file grew" or "the container stopped", and on the latter it ends
      // without reading on (later Dockers drain the file first). Seen in
      // CI: 424 of 10,000 lines missing. So what remains is read once more
      // without following, to the end of the file; then it is complete.
      return Read(entry, docker, /*follow=*/false);
    } catch (const docker::DockerError& e) {
      if (e.http_status() == 404) return true;  // removed: there is nothing more to read
      // An unreachable daemon is the reconciler's to report; keep trying.
      log::Write(e.unreachable() ? log::Level::kDebug : log::Level::kWarn,
                 "logs: reading container " + id + ": " + e.what());
    } catch (const std::exception& e) {
      log::Warn("logs: storing the output of container " + id + ": " + e.what());
    }
    // Start again from what is stored.
    Pause(entry, options_.retry_delay);
  }
  return false;
}

bool LogCollector::Read(Entry& entry, docker::DockerApi& docker, bool follow) {
  const std::string& id = entry.request.container_id;
  const LogDestination& destination = entry.request.settings.destination;
  // From where the stored events end.
  const LogCursor resume = LogCursor::Parse(sink_.Cursor(id));
  LogPipeline pipeline(entry.request.settings, resume, options_.limits);
  const auto store = [&] {
    if (auto batch = pipeline.TakeBatch()) {
      sink_.Append(destination, id, batch->events, batch->cursor);
    }
  };
  const bool ended = docker.StreamLogs(
      id, resume.since_ns, follow,
      [&](const docker::LogLine& line) {
        const auto now = Clock::now();
        pipeline.Take(line, now);
        if (pipeline.Due(now)) store();
      },
      [&] {
        if (Cancelled(entry)) return false;
        const auto now = Clock::now();
        pipeline.Tick(now);
        if (pipeline.Due(now)) store();
        return true;
      });
  if (!ended) {
    // Shutting down: keep what is complete (the next Berth reads on from
    // there). A forgotten container's output is dropped.
    if (!entry.forgotten) store();
    return false;
  }
  // A reading to the end of a stopped container's file: every line held
  // back becomes events. (A followed one may resume mid-line: it keeps
  // them, and the next reading starts from its cursor.)
  if (!follow) pipeline.Finish();
  store();
  return true;
}

}  // namespace berth::reconciler
