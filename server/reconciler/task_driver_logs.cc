// TaskDriver's awslogs steps (awslogs.h, log_collector.h): the group and
// stream of each awslogs container made before it can start, its output
// followed from its start, and all of it stored before the task is
// STOPPED.

#include <chrono>
#include <string>
#include <vector>

#include "server/reconciler/awslogs.h"
#include "server/reconciler/task_driver.h"
#include "server/util/log.h"

namespace berth::reconciler {
namespace {

using nlohmann::json;

// How long one step waits for the collector to finish a stopped task's
// output (the collector wakes the task when it is done, so a step rarely
// waits at all), and how long the task waits in all before it stops
// without the rest.
constexpr std::chrono::milliseconds kDrainWait{100};
constexpr double kDrainPatienceSeconds = 30;

}  // namespace

std::optional<AwslogsSettings> TaskDriver::Awslogs(const json& definition,
                                                   const std::string& container_id) {
  if (env_.log_sink == nullptr || env_.logs == nullptr) return std::nullopt;
  return AwslogsFor(definition, {task_.partition.account_id, task_.partition.region, task_.task_id},
                    container_id);
}

bool TaskDriver::PrepareLog(const json& definition, json& runtime) {
  if (runtime.value("logPrepared", false)) return true;
  const std::string name = definition.at("name").get<std::string>();
  std::optional<AwslogsSettings> settings;
  try {
    settings = Awslogs(definition, runtime.value("id", ""));
  } catch (const AwslogsOptionError& e) {
    // Docker's driver refuses such options when the container is created.
    Fail("TaskFailedToStart", std::string("CannotCreateContainerError: ") + e.what(), name);
    return false;
  }
  // Not awslogs; or a stream named after the container, which does not
  // exist yet (this runs again once it does).
  if (!settings || settings->destination.stream.empty()) return true;
  if (const auto reason = env_.log_sink->Prepare(settings->destination, settings->create_group)) {
    // Like Fargate: the task fails to start, saying why (reference
    // cloudwatch-logs.md §10.7); the container carries the reason too.
    Fail("TaskFailedToStart", *reason, name);
    return false;
  }
  runtime["logPrepared"] = true;
  return true;
}

void TaskDriver::FollowLogs() {
  if (env_.logs == nullptr) return;
  for (const auto& d : td_.at("containerDefinitions")) {
    json& rt = Runtime(d.at("name").get<std::string>());
    if (!rt.value("started", false) || !rt.contains("id") || rt.value("logSkipped", false)) {
      continue;
    }
    const std::string id = rt.at("id").get<std::string>();
    try {
      if (auto settings = Awslogs(d, id)) {
        // A task adopted from a Berth that did not collect awslogs yet
        // never had its stream made; without it every event would drop.
        if (!rt.value("logPrepared", false)) {
          if (const auto reason =
                  env_.log_sink->Prepare(settings->destination, settings->create_group)) {
            log::Warn("logs: the output of task " + task_.task_id +
                      " is not collected: " + *reason);
            rt["logSkipped"] = true;
            continue;
          }
          rt["logPrepared"] = true;
        }
        env_.logs->Collect(
            {id, doc_.at("taskArn").get<std::string>(), std::move(*settings), env_.engine});
      }
    } catch (const AwslogsOptionError&) {
      // Refused before the container was made; nothing of it to follow.
    }
  }
}

bool TaskDriver::LogsDrained() {
  if (env_.logs == nullptr) return true;
  std::vector<std::string> ids;
  for (const auto& d : td_.at("containerDefinitions")) {
    const json& rt = Runtime(d.at("name").get<std::string>());
    if (!rt.value("started", false) || !rt.contains("id")) continue;
    try {
      if (Awslogs(d, "")) ids.push_back(rt.at("id").get<std::string>());
    } catch (const AwslogsOptionError&) {
    }
  }
  bool drained = true;
  for (const auto& id : ids) drained = env_.logs->Drain(id, kDrainWait) && drained;
  if (!drained) {
    if (!runtime_.contains("logsDrainingSince")) runtime_["logsDrainingSince"] = Now();
    if (Now() - runtime_["logsDrainingSince"].get<double>() < kDrainPatienceSeconds) return false;
    log::Warn("logs: task " + task_.task_id + " stops before all of its output was stored");
  }
  for (const auto& id : ids) env_.logs->Release(id);
  return true;
}

}  // namespace berth::reconciler
