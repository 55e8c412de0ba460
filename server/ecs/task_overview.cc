// TaskService::Recent: a partition's newest tasks for overviews.

#include <algorithm>
#include <functional>
#include <string>
#include <unordered_map>

#include "server/ecs/task_service.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

// Documents read under one lease: the API waits at most for this many.
constexpr size_t kTasksPerLease = 25;

}  // namespace

RecentTasks TaskService::Recent(const storage::Partition& partition, size_t max_unfinished,
                                size_t max_stopped,
                                const std::function<bool(const std::string&)>& have_stopped) {
  RecentTasks result;
  std::vector<storage::TaskRecord> all;
  {
    auto lease = database_.Acquire();
    all = storage::TaskStore(lease.db()).KeysIn(partition);
  }
  for (const auto& t : all) {
    const std::string& status = t.last_status;
    if (status == "RUNNING") {
      ++result.by_cluster[t.cluster].running;
    } else if (status == "PROVISIONING" || status == "PENDING" || status == "ACTIVATING") {
      ++result.by_cluster[t.cluster].pending;
    }
  }
  // Those not yet STOPPED, newest first; then the STOPPED ones, most
  // recently stopped first (ties by id, so the order is stable).
  const auto split = std::partition(all.begin(), all.end(), [](const storage::TaskRecord& t) {
    return t.last_status != "STOPPED";
  });
  std::sort(all.begin(), split, [](const auto& a, const auto& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.task_id < b.task_id;
  });
  std::sort(split, all.end(), [](const auto& a, const auto& b) {
    const double sa = a.stopped_at.value_or(0);
    const double sb = b.stopped_at.value_or(0);
    return sa != sb ? sa > sb : a.task_id < b.task_id;
  });
  const auto unfinished = static_cast<size_t>(split - all.begin());
  const size_t stopped = all.size() - unfinished;
  result.more_unfinished = unfinished > max_unfinished;
  result.more_stopped = stopped > max_stopped;
  std::vector<storage::TaskRecord> keys;
  keys.reserve(std::min(unfinished, max_unfinished) + std::min(stopped, max_stopped));
  for (size_t i = 0; i < std::min(unfinished, max_unfinished); ++i) {
    keys.push_back(std::move(all[i]));
  }
  for (size_t i = 0; i < std::min(stopped, max_stopped); ++i) {
    keys.push_back(std::move(all[unfinished + i]));
  }
  result.tasks.reserve(keys.size());
  std::vector<const storage::TaskRecord*> to_read;
  for (const auto& key : keys) {
    if (key.last_status == "STOPPED" && have_stopped && have_stopped(key.task_id)) {
      result.tasks.push_back({key.task_id, /*stopped=*/true, /*known=*/true, "", ""});
    } else {
      to_read.push_back(&key);
    }
  }
  // The others in short leases; a task purged meanwhile is left out.
  for (size_t first = 0; first < to_read.size(); first += kTasksPerLease) {
    const size_t last = std::min(to_read.size(), first + kTasksPerLease);
    auto lease = database_.Acquire();
    storage::TaskStore store(lease.db());
    for (size_t i = first; i < last; ++i) {
      if (auto record = store.Find(partition, to_read[i]->cluster, to_read[i]->task_id)) {
        const bool is_stopped = record->last_status == "STOPPED";
        result.tasks.push_back({std::move(record->task_id), is_stopped, /*known=*/false,
                                std::move(record->document), std::move(record->runtime)});
      }
    }
  }
  // Back in the order of `keys`.
  std::unordered_map<std::string, size_t> position;
  for (size_t i = 0; i < keys.size(); ++i) position.emplace(keys[i].task_id, i);
  std::stable_sort(result.tasks.begin(), result.tasks.end(), [&](const auto& a, const auto& b) {
    return position.at(a.task_id) < position.at(b.task_id);
  });
  return result;
}

}  // namespace berth::ecs
