#include "server/dashboard/dashboard_state.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <map>
#include <string_view>
#include <utility>

#include "server/aws/aws_error.h"
#include "server/dashboard/task_row.h"
#include "server/reconciler/awslogs.h"
#include "server/util/log.h"
#include "storage/partition_store.h"

namespace berth::dashboard {
namespace {

using nlohmann::json;

json ImageRow(const storage::ImageRecord& image) {
  json row = {{"digest", image.digest},
              {"tags", image.tags},
              {"size", image.image_size},
              {"pushedAt", image.pushed_at},
              {"mediaType", image.media_type}};
  if (image.last_pulled_at) row["lastPulledAt"] = *image.last_pulled_at;
  return row;
}

json DeploymentRow(const json& deployment) {
  json row = json::object();
  for (const char* key :
       {"id", "status", "rolloutState", "rolloutStateReason", "taskDefinition", "desiredCount",
        "runningCount", "pendingCount", "failedTasks", "createdAt", "updatedAt"}) {
    CopyMember(deployment, key, row);
  }
  return row;
}

json ServiceRow(const std::string& cluster, const json& service, size_t max_events) {
  json row = {{"cluster", cluster}};
  for (const char* key : {"serviceName", "status", "desiredCount", "runningCount", "pendingCount",
                          "launchType", "schedulingStrategy", "taskDefinition", "createdAt"}) {
    CopyMember(service, key, row);
  }
  json deployments = json::array();
  for (const auto& d : service.value("deployments", json::array())) {
    deployments.push_back(DeploymentRow(d));
  }
  for (const auto& d : service.value("taskSets", json::array())) {
    deployments.push_back(DeploymentRow(d));
  }
  row["deployments"] = std::move(deployments);
  json events = json::array();
  for (const auto& e : service.value("events", json::array())) {
    if (events.size() >= max_events) break;
    events.push_back(
        {{"createdAt", e.value("createdAt", json())}, {"message", e.value("message", "")}});
  }
  row["events"] = std::move(events);
  return row;
}

// Runs `part`; a failure is logged and recorded in `errors` instead of
// failing the whole snapshot (e.g. a cluster deleted while it was read).
template <class F>
void Guarded(const char* what, json& errors, F&& part) {
  try {
    part();
  } catch (const std::exception& e) {
    log::Warn(std::string("dashboard: reading ") + what + " failed: " + e.what());
    errors.push_back(std::string(what) + ": " + e.what());
  }
}

}  // namespace

DashboardState::DashboardState(storage::Database& database, ecr::EcrService& ecr,
                               ecs::EcsServices& ecs, logs::LogService& logs, const Clock& clock,
                               SnapshotLimits limits)
    : database_(database),
      ecr_(ecr),
      ecs_(ecs),
      logs_(logs),
      clock_(clock),
      limits_(limits),
      task_rows_(ecs) {}

aws::RequestContext DashboardState::Context(const storage::Partition& partition) const {
  aws::RequestContext context;
  context.account_id = partition.account_id;
  context.region = partition.region;
  context.request_id = "berth-dashboard";
  context.now = clock_.Now();
  return context;
}

std::vector<storage::Partition> DashboardState::Partitions() {
  auto lease = database_.Acquire();
  return storage::PartitionStore(lease.db()).InUse();
}

json DashboardState::Repositories(const storage::Partition& partition, bool& truncated) {
  json out = json::array();
  size_t images_left = limits_.images;
  std::string token;
  do {
    const size_t page_size = std::min<size_t>(100, limits_.repositories - out.size());
    auto page = ecr_.ListRepositories(partition, token, page_size);
    for (const auto& repository : page.items) {
      const std::string& name = repository.record.name;
      json images = json::array();
      bool more_images = false;
      std::string after;
      try {
        do {
          if (images_left == 0) {
            more_images = true;
            break;
          }
          auto images_page = ecr_.images().ListImageRecords(partition, name, std::nullopt, after,
                                                            std::min<size_t>(images_left, 200));
          for (const auto& image : images_page.items) images.push_back(ImageRow(image));
          images_left -= images_page.items.size();
          after = std::move(images_page.next);
        } while (!after.empty());
      } catch (const aws::AwsError&) {
        continue;  // deleted meanwhile
      }
      std::stable_sort(images.begin(), images.end(), [](const json& a, const json& b) {
        return a.at("pushedAt").get<double>() > b.at("pushedAt").get<double>();
      });
      if (more_images) truncated = true;
      out.push_back({{"name", name},
                     {"uri", ecr_.RepositoryUri(name)},
                     {"createdAt", repository.record.created_at},
                     {"tagMutability", repository.record.tag_mutability},
                     {"imagesTruncated", more_images},
                     {"images", std::move(images)}});
    }
    token = std::move(page.next);
    if (!token.empty() && out.size() >= limits_.repositories) {
      truncated = true;
      break;
    }
  } while (!token.empty());
  return out;
}

json DashboardState::Clusters(const aws::RequestContext& context, const CollectedTasks& tasks,
                              bool& truncated) {
  json out = json::array();
  std::string token;
  do {
    std::string next;
    const size_t page_size = std::min<size_t>(100, limits_.clusters - out.size());
    const std::vector<std::string> arns = ecs_.clusters.List(context, token, page_size, next);
    // List also names clusters deleted within the hour (INACTIVE).
    std::map<std::string, std::string> statuses;
    std::vector<std::string> missing;
    for (const auto& cluster : ecs_.clusters.Describe(context, arns, missing)) {
      statuses[cluster.name] = cluster.status;
    }
    for (const auto& arn : arns) {
      const std::string name = ArnName(arn);
      const auto status = statuses.find(name);
      if (status == statuses.end()) continue;  // gone meanwhile
      const auto counts = tasks.by_cluster.find(name);
      const bool counted = counts != tasks.by_cluster.end();
      out.push_back({{"name", name},
                     {"status", status->second},
                     {"runningTasks", counted ? counts->second.running : 0},
                     {"pendingTasks", counted ? counts->second.pending : 0},
                     {"activeServices", 0}});
    }
    token = std::move(next);
    if (!token.empty() && out.size() >= limits_.clusters) {
      truncated = true;
      break;
    }
  } while (!token.empty());
  return out;
}

json DashboardState::Services(const aws::RequestContext& context, json& clusters, bool& truncated) {
  json out = json::array();
  for (auto& cluster : clusters) {
    const std::string name = cluster.at("name").get<std::string>();
    int64_t active = 0;
    try {
      ecs::ListServicesQuery query;
      query.cluster = name;
      query.max_results = 100;
      do {
        std::string next;
        const auto arns = ecs_.services.ListServices(context, query, next);  // ACTIVE ones
        active += static_cast<int64_t>(arns.size());
        for (size_t first = 0; first < arns.size() && out.size() < limits_.services; first += 10) {
          const std::vector<std::string> batch(
              arns.begin() + static_cast<std::ptrdiff_t>(first),
              arns.begin() + static_cast<std::ptrdiff_t>(std::min(arns.size(), first + 10)));
          for (const auto& s :
               ecs_.services.DescribeServices(context, name, batch, false).services) {
            out.push_back(ServiceRow(name, s, limits_.events_per_service));
          }
        }
        query.token = std::move(next);
      } while (!query.token.empty());
    } catch (const aws::AwsError&) {
      // The cluster went away while it was read.
    }
    cluster["activeServices"] = active;
    if (out.size() >= limits_.services) truncated = true;
  }
  return out;
}

Snapshot DashboardState::Build(const storage::Partition& partition, const json& extra) {
  const aws::RequestContext context = Context(partition);
  json errors = json::array();
  json head = extra.is_object() ? extra : json::object();
  head["account"] = partition.account_id;
  head["region"] = partition.region;
  head["limits"] = {{"unfinishedTasks", limits_.unfinished_tasks},
                    {"stoppedTasks", limits_.stopped_tasks},
                    {"repositories", limits_.repositories},
                    {"images", limits_.images},
                    {"clusters", limits_.clusters},
                    {"services", limits_.services}};
  CollectedTasks tasks;
  json repositories = json::array();
  json clusters = json::array();
  json services = json::array();
  bool repositories_cut = false;
  bool clusters_cut = false;
  bool services_cut = false;
  Guarded("tasks", errors, [&] {
    tasks = task_rows_.Collect(context, limits_.unfinished_tasks, limits_.stopped_tasks);
  });
  Guarded("repositories", errors,
          [&] { repositories = Repositories(partition, repositories_cut); });
  Guarded("clusters", errors, [&] { clusters = Clusters(context, tasks, clusters_cut); });
  Guarded("services", errors, [&] { services = Services(context, clusters, services_cut); });
  head["truncated"] = {{"repositories", repositories_cut},
                       {"clusters", clusters_cut},
                       {"services", services_cut},
                       {"unfinishedTasks", tasks.more_unfinished},
                       {"stoppedTasks", tasks.more_stopped}};
  head["repositories"] = std::move(repositories);
  head["clusters"] = std::move(clusters);
  head["services"] = std::move(services);
  head["errors"] = std::move(errors);
  // Each member as its own text (the page is sent only the ones that
  // changed); the task rows are JSON text already.
  Snapshot out;
  out.members.reserve(head.size());
  for (const auto& [name, value] : head.items()) {
    out.members.emplace_back(name, value.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  out.tasks = std::move(tasks.rows);
  return out;
}

std::optional<json> DashboardState::TaskLogs(const storage::Partition& partition,
                                             const std::string& cluster,
                                             const std::string& task_id) {
  const aws::RequestContext context = Context(partition);
  ecs::DescribeTasksResult described;
  try {
    described = ecs_.tasks.DescribeTasks(context, cluster, {task_id});
  } catch (const aws::AwsError&) {
    return std::nullopt;  // no such cluster
  }
  if (described.tasks.empty()) return std::nullopt;
  const json& task = described.tasks.front().document;
  json definition;
  try {
    definition =
        ecs_.task_definitions.Describe(context, task.value("taskDefinitionArn", "")).document;
  } catch (const aws::AwsError&) {
    definition = json::object();
  }
  json containers = json::array();
  for (const auto& d : definition.value("containerDefinitions", json::array())) {
    const std::string name = d.value("name", "");
    std::string runtime_id;
    for (const auto& c : task.value("containers", json::array())) {
      if (c.value("name", "") == name) runtime_id = c.value("runtimeId", "");
    }
    std::optional<reconciler::AwslogsSettings> settings;
    try {
      settings =
          reconciler::AwslogsFor(d, {partition.account_id, partition.region, task_id}, runtime_id);
    } catch (const reconciler::AwslogsOptionError&) {
      continue;  // Docker would refuse these options: the container never logged
    }
    if (!settings) continue;
    const reconciler::LogDestination& where = settings->destination;
    json entry = {
        {"name", name}, {"group", where.group}, {"stream", where.stream}, {"lines", json::array()}};
    if (!where.stream.empty()) {
      logs::GetEventsQuery query;
      query.group = {{where.account_id, where.region}, where.group};
      query.stream = where.stream;
      query.limit = limits_.log_lines;
      query.start_from_head = false;
      aws::RequestContext logs_context = context;
      logs_context.account_id = where.account_id;
      logs_context.region = where.region;
      try {
        for (const auto& e : logs_.GetLogEvents(logs_context, query).events) {
          entry["lines"].push_back({{"timestamp", e.timestamp}, {"message", e.message}});
        }
      } catch (const aws::AwsError& e) {
        entry["error"] = e.what();  // e.g. no stream yet: nothing logged so far
      }
    }
    containers.push_back(std::move(entry));
  }
  return json{{"task", task_id}, {"containers", std::move(containers)}};
}

json DashboardState::StopTask(const storage::Partition& partition, const std::string& cluster,
                              const std::string& task_id) {
  const aws::RequestContext context = Context(partition);
  const ecs::Task task = ecs_.tasks.StopTask(context, cluster, task_id, std::string(kStopReason));
  return TaskRow(task.document, json::object(), {});
}

}  // namespace berth::dashboard
