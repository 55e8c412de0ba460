#pragma once

// FakeLogSink: an in-memory reconciler::LogSink, for tests of the awslogs
// collector and the reconciler without the Logs API or SQLite. Groups exist
// when a test adds them (or Prepare may create them); streams hold their
// events in order; cursors are kept by key, stored with their batch as the
// real sink does (in one step, under one lock). Appends can be made to fail
// to test retries.
//
// Thread-safety: every method may be called from any thread.

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/reconciler/log_sink.h"

namespace berth::testing {

class FakeLogSink final : public reconciler::LogSink {
 public:
  // What Prepare answers for a missing group without create_group (the
  // Fargate wording, reference cloudwatch-logs.md §10.7).
  static constexpr const char* kMissingGroup =
      "ResourceInitializationError: failed to validate logger args: create stream has been "
      "retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The "
      "specified log group does not exist. : exit status 1";

  void AddGroup(const std::string& account, const std::string& region, const std::string& group) {
    const std::lock_guard lock(mutex_);
    groups_.insert(account + "/" + region + "/" + group);
  }

  std::optional<std::string> Prepare(const reconciler::LogDestination& d,
                                     bool create_group) override {
    const std::lock_guard lock(mutex_);
    ++prepares_;
    const std::string group = d.account_id + "/" + d.region + "/" + d.group;
    if (!groups_.contains(group)) {
      if (!create_group) return std::string(kMissingGroup);
      groups_.insert(group);
    }
    streams_[Key(d)];  // made, empty
    return std::nullopt;
  }

  void Append(const reconciler::LogDestination& d, const std::string& collector_key,
              const std::vector<reconciler::LogEvent>& events, const std::string& cursor) override {
    const std::lock_guard lock(mutex_);
    if (failures_ > 0) {
      --failures_;
      throw std::runtime_error("database is locked");
    }
    ++appends_;
    const auto stream = streams_.find(Key(d));
    if (stream != streams_.end()) {  // a deleted stream drops the events
      stream->second.insert(stream->second.end(), events.begin(), events.end());
    }
    cursors_[collector_key] = cursor;
  }

  std::string Cursor(const std::string& collector_key) override {
    const std::lock_guard lock(mutex_);
    const auto found = cursors_.find(collector_key);
    return found == cursors_.end() ? "" : found->second;
  }

  void ForgetCursor(const std::string& collector_key) override {
    const std::lock_guard lock(mutex_);
    cursors_.erase(collector_key);
  }

  std::vector<std::string> CursorKeys() override {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> keys;
    for (const auto& [key, cursor] : cursors_) keys.push_back(key);
    return keys;
  }

  // --- What tests look at ----------------------------------------------------
  std::vector<reconciler::LogEvent> Events(const reconciler::LogDestination& d) const {
    const std::lock_guard lock(mutex_);
    const auto stream = streams_.find(Key(d));
    return stream == streams_.end() ? std::vector<reconciler::LogEvent>{} : stream->second;
  }
  std::vector<std::string> Messages(const reconciler::LogDestination& d) const {
    std::vector<std::string> out;
    for (const auto& e : Events(d)) out.push_back(e.message);
    return out;
  }
  // Every stream, as "account/region/group/stream".
  std::vector<std::string> Streams() const {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [key, events] : streams_) out.push_back(key);
    return out;
  }
  bool HasCursor(const std::string& collector_key) const {
    const std::lock_guard lock(mutex_);
    return cursors_.contains(collector_key);
  }
  int appends() const {
    const std::lock_guard lock(mutex_);
    return appends_;
  }
  int prepares() const {
    const std::lock_guard lock(mutex_);
    return prepares_;
  }
  // The next `times` Appends throw (and store nothing).
  void FailAppends(int times) {
    const std::lock_guard lock(mutex_);
    failures_ = times;
  }

 private:
  static std::string Key(const reconciler::LogDestination& d) {
    return d.account_id + "/" + d.region + "/" + d.group + "/" + d.stream;
  }

  mutable std::mutex mutex_;
  std::set<std::string> groups_;
  std::map<std::string, std::vector<reconciler::LogEvent>> streams_;
  std::map<std::string, std::string> cursors_;
  int appends_ = 0;
  int prepares_ = 0;
  int failures_ = 0;
};

}  // namespace berth::testing
