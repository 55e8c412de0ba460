#include "server/reconciler/log_pipeline.h"

#include <algorithm>

namespace berth::reconciler {
namespace {

// What PutLogEvents counts for each event beyond its message.
constexpr size_t kEventOverheadBytes = 26;
constexpr int64_t kNanosPerMilli = 1'000'000;

}  // namespace

LogPipeline::LogPipeline(const AwslogsSettings& settings, LogCursor resume,
                         LogPipelineLimits limits)
    : settings_(settings),
      limits_(limits),
      pattern_(settings.multiline_pattern.empty()
                   ? std::nullopt
                   : std::optional<std::regex>(std::in_place, settings.multiline_pattern)),
      assembler_(pattern_ ? &*pattern_ : nullptr),
      last_cursor_(resume == LogCursor{} ? "" : resume.ToString()),
      skip_(resume.skip) {}

void LogPipeline::Take(const docker::LogLine& line, TimePoint now) {
  now_ = now;
  const uint64_t number = tracker_.Read(line.timestamp_ns);
  if (skip_ > 0) {  // stored before the restart
    --skip_;
    return;
  }
  last_line_ = number;
  Joining& joining = joining_[line.source == docker::LogSource::kStderr ? 1 : 0];
  if (!joining.active) {
    joining.active = true;
    joining.text.clear();
    joining.timestamp_ns = line.timestamp_ns;
    joining.first_line = number;
  }
  joining.last_line = number;
  joining.text.append(line.text);
  // The awslogs driver's own reader keeps at most kMaxEventBytes of a line
  // as one message.
  size_t cut = 0;
  while (joining.text.size() - cut >= kMaxEventBytes) {
    Feed(std::string_view(joining.text).substr(cut, kMaxEventBytes), joining.timestamp_ns,
         joining.first_line, number);
    cut += kMaxEventBytes;
  }
  joining.text.erase(0, cut);
  if (!line.partial) {
    Feed(joining.text, joining.timestamp_ns, joining.first_line, number);
    joining.active = false;
    joining.text.clear();
  }
}

void LogPipeline::Feed(std::string_view text, int64_t timestamp_ns, uint64_t first,
                       uint64_t through) {
  std::vector<LogEvent> completed;
  const bool starts = assembler_.Add(text, timestamp_ns / kNanosPerMilli, completed);
  if (!pattern_) {
    Keep(completed, first, through);
    return;
  }
  // What Add completed is the event held before this line.
  Keep(completed, held_first_, held_through_);
  if (starts) {
    held_first_ = first;
    held_since_ = now_;
  } else {
    held_first_ = std::min(held_first_, first);
  }
  held_through_ = through;
}

void LogPipeline::Keep(std::vector<LogEvent>& events, uint64_t first, uint64_t through) {
  for (auto& event : events) {
    if (batch_.empty()) batch_since_ = now_;
    batch_bytes_ += event.message.size() + kEventOverheadBytes;
    batch_.push_back({std::move(event), first, through});
  }
}

void LogPipeline::Tick(TimePoint now) {
  now_ = now;
  if (!pattern_ || !assembler_.Holding() || now - held_since_ < settings_.flush_interval) return;
  std::vector<LogEvent> completed;
  assembler_.Flush(completed);
  Keep(completed, held_first_, held_through_);
}

void LogPipeline::Finish() {
  // Docker stores an unfinished line as it is when the stream ends; the
  // one begun first goes first.
  std::array<Joining*, 2> order = {&joining_[0], &joining_[1]};
  if (order[1]->active && (!order[0]->active || order[1]->first_line < order[0]->first_line)) {
    std::swap(order[0], order[1]);
  }
  for (Joining* joining : order) {
    if (!joining->active) continue;
    Feed(joining->text, joining->timestamp_ns, joining->first_line, joining->last_line);
    joining->active = false;
    joining->text.clear();
  }
  std::vector<LogEvent> completed;
  assembler_.Flush(completed);
  Keep(completed, held_first_, held_through_);
}

bool LogPipeline::Due(TimePoint now) const {
  return !batch_.empty() &&
         (batch_.size() >= limits_.flush_events || batch_bytes_ >= limits_.flush_bytes ||
          now - batch_since_ >= limits_.flush_period);
}

std::optional<LogPipeline::Batch> LogPipeline::TakeBatch() {
  // The last line that is stored, with every line before it, once the
  // events of lines up to it are: lower it below whatever is held back.
  std::optional<uint64_t> safe = last_line_;
  const auto below = [&safe](uint64_t first) {
    if (!safe || first > *safe) return false;
    safe = first == 0 ? std::nullopt : std::optional<uint64_t>(first - 1);
    return true;
  };
  for (const Joining& joining : joining_) {
    if (joining.active) below(joining.first_line);
  }
  if (pattern_ && assembler_.Holding()) below(held_first_);
  for (bool lowered = true; lowered && safe;) {
    lowered = false;
    for (const Tagged& tagged : batch_) {
      if (tagged.through > *safe && below(tagged.first)) lowered = true;
    }
  }
  if (safe && last_safe_ && *safe < *last_safe_) safe = last_safe_;  // never back
  // The events made of those lines only (they come first).
  size_t taken = 0;
  while (taken < batch_.size() && safe && batch_[taken].through <= *safe) ++taken;
  size_t waiting_bytes = 0;
  for (size_t i = taken; i < batch_.size(); ++i) {
    waiting_bytes += batch_[i].event.message.size() + kEventOverheadBytes;
  }
  if (waiting_bytes > limits_.max_waiting_bytes) taken = batch_.size();
  const std::string cursor = safe ? tracker_.After(*safe).ToString() : last_cursor_;
  if (taken == 0 && cursor == last_cursor_) return std::nullopt;
  Batch out;
  out.cursor = cursor;
  out.events.reserve(taken);
  for (size_t i = 0; i < taken; ++i) {
    batch_bytes_ -= batch_[i].event.message.size() + kEventOverheadBytes;
    out.events.push_back(std::move(batch_[i].event));
  }
  batch_.erase(batch_.begin(), batch_.begin() + static_cast<std::ptrdiff_t>(taken));
  batch_since_ = now_;
  last_cursor_ = cursor;
  last_safe_ = safe;
  return out;
}

}  // namespace berth::reconciler
