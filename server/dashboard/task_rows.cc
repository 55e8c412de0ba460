#include "server/dashboard/task_rows.h"

#include <functional>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "server/aws/aws_error.h"
#include "server/dashboard/task_row.h"

namespace berth::dashboard {
namespace {

using nlohmann::json;

// How many partitions' rows, and definitions' awslogs containers, are
// remembered (cleared when full).
constexpr size_t kMaxRememberedPartitions = 16;
constexpr size_t kMaxRememberedDefinitions = 512;

}  // namespace

std::vector<std::string> TaskRowCollector::AwslogsContainers(const aws::RequestContext& context,
                                                             const std::string& arn) {
  const std::string key = context.account_id + "|" + context.region + "|" + arn;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = awslogs_by_definition_.find(key); it != awslogs_by_definition_.end()) {
      return it->second;
    }
  }
  std::vector<std::string> names;
  try {
    const auto definition = ecs_.task_definitions.Describe(context, arn);
    for (const auto& c : definition.document.value("containerDefinitions", json::array())) {
      const json& log_configuration = c.value("logConfiguration", json::object());
      if (log_configuration.is_object() && log_configuration.value("logDriver", "") == "awslogs") {
        names.push_back(c.value("name", ""));
      }
    }
  } catch (const aws::AwsError&) {
    return names;  // not describable (deleted): no logs to offer
  }
  std::lock_guard lock(mutex_);
  if (awslogs_by_definition_.size() >= kMaxRememberedDefinitions) awslogs_by_definition_.clear();
  awslogs_by_definition_[key] = names;
  return names;
}

CollectedTasks TaskRowCollector::Collect(const aws::RequestContext& context, size_t max_unfinished,
                                         size_t max_stopped) {
  const storage::Partition partition{context.account_id, context.region};
  const std::string partition_key = partition.account_id + "|" + partition.region;
  RowCache previous;
  {
    std::lock_guard lock(mutex_);
    previous = std::move(rows_by_partition_[partition_key]);
  }
  ecs::RecentTasks recent =
      ecs_.tasks.Recent(partition, max_unfinished, max_stopped, [&](const std::string& id) {
        const auto it = previous.find(id);
        return it != previous.end() && it->second.stopped;
      });
  CollectedTasks out;
  out.more_unfinished = recent.more_unfinished;
  out.more_stopped = recent.more_stopped;
  out.by_cluster = std::move(recent.by_cluster);
  out.rows.reserve(recent.tasks.size());
  RowCache rows;
  const std::hash<std::string_view> hash;
  for (const auto& task : recent.tasks) {
    CachedRow row;
    const auto it = previous.find(task.task_id);
    const size_t fingerprint = task.known ? 0 : hash(task.document) * 31 + hash(task.runtime);
    if (it != previous.end() && (task.known || it->second.fingerprint == fingerprint)) {
      row = std::move(it->second);
    } else {
      const json document = json::parse(task.document);
      const json runtime = json::parse(task.runtime, nullptr, /*allow_exceptions=*/false);
      row.fingerprint = fingerprint;
      row.stopped = task.stopped;
      json made = TaskRow(document, runtime,
                          AwslogsContainers(context, document.value("taskDefinitionArn", "")));
      // The page compares rows by this instead of by their content.
      made["v"] = std::to_string(fingerprint);
      row.json = std::make_shared<const std::string>(
          made.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    out.rows.push_back({task.task_id, row.json});
    rows.emplace(task.task_id, std::move(row));
  }
  std::lock_guard lock(mutex_);
  if (rows_by_partition_.size() > kMaxRememberedPartitions) rows_by_partition_.clear();
  rows_by_partition_[partition_key] = std::move(rows);
  return out;
}

}  // namespace berth::dashboard
