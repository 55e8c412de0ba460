// FakeDocker's container output: what a process writes (WriteOutput, or a
// script's `output`), stored the way Docker's log copier and json-file
// driver store it, and StreamLogs reading it back.

#include <algorithm>
#include <chrono>

#include "docker_backend/log_stream.h"
#include "tests/fakes/fake_docker.h"
#include "tests/fakes/fake_docker_internals.h"

namespace berth::testing {

using docker::LogSource;

namespace {

constexpr std::int64_t kLogEpochNanos = 1767225600LL * 1'000'000'000;  // kEpoch
constexpr std::int64_t kLogTickNanos = 1000;

size_t Index(LogSource source) { return source == LogSource::kStderr ? 1 : 0; }

}  // namespace

void FakeDocker::WriteOutput(const std::string& id_or_name, LogSource source,
                             const std::string& text, std::optional<int64_t> timestamp_ns) {
  const std::lock_guard lock(mutex_);
  AppendOutput(MustFindContainer(id_or_name), source, text, timestamp_ns);
}

void FakeDocker::AppendOutput(Container& c, LogSource source, std::string_view text,
                              std::optional<int64_t> timestamp_ns) {
  if (c.spec.tty) source = LogSource::kStdout;  // one terminal for both
  c.output.append(text);
  const auto stamp = [&] {
    if (timestamp_ns) {
      log_clock_ns_ = std::max(log_clock_ns_, *timestamp_ns);
      return *timestamp_ns;
    }
    log_clock_ns_ = std::max(log_clock_ns_ + kLogTickNanos, kLogEpochNanos);
    return log_clock_ns_;
  };
  std::string& line = c.unfinished[Index(source)];
  std::int64_t& partial_stamp = c.partial_stamp[Index(source)];
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const size_t take =
        std::min({newline, text.size(), docker::kDockerLogChunkBytes - line.size()});
    line.append(text.substr(0, take));
    text.remove_prefix(take);
    if (line.size() == docker::kDockerLogChunkBytes) {
      // The copier's buffer is full without a newline: a partial message.
      if (partial_stamp == 0) partial_stamp = stamp();
      c.log.push_back({partial_stamp, source, line, true});
      line.clear();
      continue;
    }
    if (text.empty() || text.front() != '\n') continue;
    text.remove_prefix(1);
    if (c.spec.tty) line += '\r';
    c.log.push_back({partial_stamp != 0 ? partial_stamp : stamp(), source, line, false});
    line.clear();
    partial_stamp = 0;
  }
  events_changed_.notify_all();
}

void FakeDocker::CloseOutput(Container& c) {
  for (const LogSource source : {LogSource::kStdout, LogSource::kStderr}) {
    std::string& line = c.unfinished[Index(source)];
    std::int64_t& partial_stamp = c.partial_stamp[Index(source)];
    if (!line.empty()) {
      // At EOF the copier stores what is left as a partial message.
      if (partial_stamp == 0)
        partial_stamp = log_clock_ns_ = std::max(log_clock_ns_ + kLogTickNanos, kLogEpochNanos);
      c.log.push_back({partial_stamp, source, line, true});
    }
    line.clear();
    partial_stamp = 0;
  }
  events_changed_.notify_all();
}

bool FakeDocker::StreamLogs(const std::string& id, int64_t since_unix_nanos, bool follow,
                            const std::function<void(const docker::LogLine&)>& on_line,
                            const std::function<bool()>& keep_going) {
  std::unique_lock lock(mutex_);
  Record("StreamLogs", {id, std::to_string(since_unix_nanos), follow ? "follow" : "once"});
  const std::string key = MustFindContainer(id).id;
  size_t next = 0;  // index into the container's log
  bool waited = false;
  while (true) {
    const Container* c = FindContainer(key);
    if (c == nullptr) return true;  // removed: Docker ends the stream
    if (follow && waited && !c->running && follow_ends_at_stop_) return true;
    std::vector<fake_docker::LogEntry> batch;
    for (; next < c->log.size(); ++next) {
      if (c->log[next].timestamp_ns >= since_unix_nanos) batch.push_back(c->log[next]);
    }
    // Exit stores the unfinished lines before it marks the container
    // stopped, so once it is, `batch` ends its output.
    const bool ended = !follow || !c->running;
    lock.unlock();
    for (const auto& entry : batch) {
      on_line(docker::LogLine{entry.timestamp_ns, entry.source, entry.text, entry.partial});
    }
    if (ended) return true;
    if (!keep_going()) return false;
    lock.lock();
    waited = true;
    events_changed_.wait_for(lock, std::chrono::milliseconds(50), [&] {
      const Container* now = FindContainer(key);
      return unreachable_ || now == nullptr || now->log.size() > next || !now->running;
    });
    if (unreachable_) throw Unreachable();
  }
}

}  // namespace berth::testing
