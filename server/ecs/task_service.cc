#include "server/ecs/task_service.h"

#include <algorithm>
#include <set>

#include "server/aws/arn.h"
#include "server/aws/pagination.h"
#include "server/ecs/container_instance_service.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "server/ecs/fargate_hosts.h"
#include "server/ecs/instance_placement.h"
#include "server/ecs/placement_rules.h"
#include "server/ecs/service_common.h"
#include "server/ecs/task_documents.h"
#include "server/util/crypto.h"
#include "storage/cluster_store.h"
#include "storage/service_store.h"
#include "storage/tag_store.h"
#include "storage/task_protection_store.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;
using storage::Partition;

constexpr std::string_view kTaskListing = "ecs.tasks";
constexpr int64_t kMaxCount = 10;

bool IsHexId(std::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool IsValidStartedBy(std::string_view text) {
  return !text.empty() && text.size() <= 128 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '/' || c == '-';
  });
}

// Throws unless the cluster exists and is ACTIVE.
void RequireActiveCluster(storage::Db& db, const aws::RequestContext& context,
                          const std::optional<std::string>& name) {
  const auto cluster =
      name ? storage::ClusterStore(db, PartitionOf(context)).Find(*name) : std::nullopt;
  if (!cluster) throw ClusterNotFoundException();
  if (cluster->status != "ACTIVE") throw ClusterInactiveException();
}

}  // namespace

std::optional<std::string> TaskIdFrom(const aws::RequestContext& context, std::string_view text) {
  if (text.starts_with("arn:")) {
    const auto arn = aws::Arn::Parse(text);
    if (!arn || arn->service != "ecs" || !arn->resource.starts_with("task/") ||
        arn->account_id != context.account_id || arn->region != context.region) {
      return std::nullopt;
    }
    const std::string& resource = arn->resource;
    text = std::string_view(resource).substr(resource.rfind('/') + 1);
    return IsHexId(text) ? std::optional<std::string>(std::string(text)) : std::nullopt;
  }
  return IsHexId(text) ? std::optional<std::string>(std::string(text)) : std::nullopt;
}

RunTaskResult TaskService::RunTask(const aws::RequestContext& context, const json& request) {
  const int64_t count = request.value("count", int64_t{1});
  if (count < 1 || count > kMaxCount) {
    throw InvalidParameterException("count must be between 1 and 10.");
  }
  if (request.contains("launchType") && request.contains("capacityProviderStrategy")) {
    throw InvalidParameterException(
        "Specifying both a launch type and capacity provider strategy is not supported. Remove "
        "one and try again.");
  }
  return Launch(context, request, LaunchKind::kRun);
}

RunTaskResult TaskService::StartTask(const aws::RequestContext& context, const json& request) {
  const size_t instances = request.at("containerInstances").size();
  if (instances == 0) throw InvalidParameterException("Container instances cannot be empty.");
  if (instances > static_cast<size_t>(kMaxCount)) {
    throw InvalidParameterException("containerInstances can have at most 10 items.");
  }
  return Launch(context, request, LaunchKind::kStart);
}

RunTaskResult TaskService::Launch(const aws::RequestContext& context, const json& request,
                                  LaunchKind kind) {
  if (request.value("propagateTags", "NONE") == "SERVICE") {
    throw InvalidParameterException(
        "The propagateTags value SERVICE is only valid for tasks started by a service.");
  }
  if (request.contains("startedBy") &&
      !IsValidStartedBy(request.at("startedBy").get_ref<const std::string&>())) {
    throw InvalidParameterException(
        "startedBy may contain up to 128 letters, numbers, hyphens, underscores and slashes.");
  }
  std::vector<storage::Tag> tags = ReadEcsTags(request);
  ValidateTags(tags);

  // The task definition: a bare family runs its latest ACTIVE revision.
  json td;
  try {
    td = task_definitions_.Describe(context, request.at("taskDefinition").get<std::string>())
             .document;
  } catch (const aws::AwsError& e) {
    if (e.type() != "ClientException") throw;
    throw ClientException("TaskDefinition not found.");
  }
  if (td.at("status") != "ACTIVE") throw InvalidParameterException("TaskDefinition is inactive");

  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const std::optional<std::string> cluster_param =
      request.contains("cluster") ? std::optional<std::string>(request.at("cluster"))
                                  : std::nullopt;
  const auto cluster_name = ClusterNameFrom(context, cluster_param.value_or("default"));
  const auto cluster =
      cluster_name ? storage::ClusterStore(lease.db(), PartitionOf(context)).Find(*cluster_name)
                   : std::nullopt;
  if (!cluster) throw ClusterNotFoundException();
  if (cluster->status != "ACTIVE") throw ClusterInactiveException();

  RunTaskResult result;
  // How many tasks, placed how: RunTask places `count` by launch type or
  // strategy; StartTask one on each named instance (the unknown ones are
  // failures, as ECS reports them).
  int64_t count = 0;
  Placement placement;
  std::vector<std::string> named_instances;  // StartTask: one task on each
  if (kind == LaunchKind::kRun) {
    count = request.value("count", int64_t{1});
    placement = ChoosePlacement(request, json::parse(cluster->document));
  } else {
    placement = {"EC2", std::nullopt, ""};
    for (const auto& instance : request.at("containerInstances")) {
      const std::string text = instance.get<std::string>();
      const auto record = ResolveContainerInstance(lease.db(), context, *cluster_name, text);
      if (record && record->status != "INACTIVE") {
        named_instances.push_back(
            ContainerInstanceArn(context, *cluster_name, record->instance_id));
        ++count;
      } else {
        result.failures.push_back({{"arn", text}, {"reason", "MISSING"}});
      }
    }
  }
  const bool on_instance = placement.launch_type != "FARGATE";
  // RunTask's placement constraints and strategies, and the task
  // definition's constraints, choose among the instances (Fargate takes
  // neither: they are ignored there).
  PlacementRules rules;
  if (on_instance && kind == LaunchKind::kRun) rules = PlacementRules::From(request, td);
  InstancePlacer placer(lease.db(), context, *cluster_name, std::move(rules),
                        request.value("group", "family:" + td.at("family").get<std::string>()));
  if (on_instance && kind == LaunchKind::kRun && placer.empty()) {
    throw InvalidParameterException(kNoContainerInstances);
  }
  if (placement.launch_type == "FARGATE" && !Compatible(td, "FARGATE")) {
    throw InvalidParameterException("Task definition does not support launch_type FARGATE.");
  }
  ValidateNetwork(request, td);
  const json overrides = EchoOverrides(request, td.at("containerDefinitions"));

  storage::TaskStore store(lease.db());
  std::optional<std::string> token;
  if (request.contains("clientToken")) token = request.at("clientToken").get<std::string>();
  const std::string fingerprint = RequestFingerprint(request);
  if (token) {
    if (const auto previous = store.FindToken(PartitionOf(context), *token)) {
      const json arns = json::parse(previous->second);
      if (previous->first != fingerprint) {
        throw aws::AwsError("ConflictException",
                            "The clientToken was already used with different parameters.")
            .With("resourceIds", arns);
      }
      // A repeat of the same request: the same tasks.
      for (const auto& arn : arns) {
        const std::string id = arn.get<std::string>().substr(arn.get<std::string>().rfind('/') + 1);
        if (auto found = store.Find(PartitionOf(context), *cluster_name, id)) {
          result.tasks.push_back({json::parse(found->document),
                                  storage::TagStore(lease.db()).List(arn.get<std::string>())});
        }
      }
      return result;
    }
  }

  if (request.value("propagateTags", "NONE") == "TASK_DEFINITION") {
    for (auto& tag :
         storage::TagStore(lease.db()).List(td.at("taskDefinitionArn").get<std::string>())) {
      if (std::none_of(tags.begin(), tags.end(), [&](const auto& t) { return t.key == tag.key; })) {
        tags.push_back(std::move(tag));
      }
    }
    ValidateTags(tags);
  }

  // Tasks on a container instance must fit beside those it already holds;
  // those that do not are placement failures, as ECS reports them.
  const InstanceUsage needs = on_instance ? NeedsOf(td, overrides) : InstanceUsage{};
  // Fargate tasks are spread over the engines the cluster's instances stand
  // for (Berth's choice, kept out of the task's API document).
  std::optional<FargateHosts> fargate_hosts;
  if (!on_instance) {
    fargate_hosts.emplace(lease.db(), context, *cluster_name,
                          request.value("group", "family:" + td.at("family").get<std::string>()));
  }
  json arns = json::array();
  for (int64_t i = 0; i < count; ++i) {
    if (kind == LaunchKind::kStart) {
      placement.container_instance_arn = named_instances.at(static_cast<size_t>(i));
    } else if (on_instance) {
      const auto arn = placer.Place(needs, result.failures);
      if (!arn) continue;
      placement.container_instance_arn = *arn;
    }
    storage::TaskRecord record;
    record.partition = PartitionOf(context);
    record.cluster = *cluster_name;
    record.task_id = crypto::RandomHex(32);
    record.family = td.at("family").get<std::string>();
    record.revision = td.at("revision").get<int64_t>();
    record.desired_status = "RUNNING";
    json document =
        NewTaskDocument(context, *cluster_name, record.task_id, td, request, placement, overrides);
    record.last_status = document.at("lastStatus").get<std::string>();
    record.launch_type = placement.launch_type;
    if (request.contains("startedBy"))
      record.started_by = request.at("startedBy").get<std::string>();
    record.group = document.at("group").get<std::string>();
    record.created_at = context.now;
    record.document = document.dump();
    json runtime = json::object();
    if (fargate_hosts) {
      const auto [cpu, memory] = FargateSizeOf(document);
      if (const auto host = fargate_hosts->Next(cpu, memory)) runtime[kFargateHostKey] = *host;
    }
    record.runtime = runtime.dump();
    store.Insert(record);
    const std::string arn = document.at("taskArn").get<std::string>();
    storage::TagStore(lease.db()).Put(arn, tags);
    arns.push_back(arn);
    result.tasks.push_back({std::move(document), tags});
  }
  if (token) store.InsertToken(PartitionOf(context), *token, fingerprint, arns.dump(), context.now);
  tx.Commit();
  Wake();
  return result;
}

Task TaskService::StopTask(const aws::RequestContext& context,
                           const std::optional<std::string>& cluster_param, const std::string& task,
                           const std::optional<std::string>& reason) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto cluster_name = ClusterNameFrom(context, cluster_param.value_or("default"));
  RequireActiveCluster(lease.db(), context, cluster_name);
  const auto id = TaskIdFrom(context, task);
  storage::TaskStore store(lease.db());
  auto record = id ? store.Find(PartitionOf(context), *cluster_name, *id) : std::nullopt;
  if (!record) throw InvalidParameterException("The referenced task was not found.");
  json document = json::parse(record->document);
  if (record->desired_status != "STOPPED") {
    record->desired_status = "STOPPED";
    document["desiredStatus"] = "STOPPED";
    document["stopCode"] = "UserInitiated";
    document["stoppedReason"] = reason.value_or("Task stopped by user");
    document["stoppingAt"] = context.now;
    document["version"] = document.value("version", 1) + 1;
    record->document = document.dump();
    store.Update(*record);
  }
  const std::string arn = document.at("taskArn").get<std::string>();
  Task result{std::move(document), storage::TagStore(lease.db()).List(arn)};
  tx.Commit();
  Wake();
  return result;
}

void TaskService::RequireTask(const aws::RequestContext& context, const std::string& cluster,
                              const std::string& task) {
  auto lease = database_.Acquire();
  const auto id = TaskIdFrom(context, task);
  if (!id || !storage::TaskStore(lease.db()).Find(PartitionOf(context), cluster, *id)) {
    throw InvalidParameterException("The referenced task was not found.");
  }
}

DescribeTasksResult TaskService::DescribeTasks(const aws::RequestContext& context,
                                               const std::optional<std::string>& cluster_param,
                                               const std::vector<std::string>& tasks) {
  if (tasks.empty()) throw InvalidParameterException("Tasks cannot be empty.");
  if (tasks.size() > 100) throw InvalidParameterException("taskIds can have at most 100 items.");
  auto lease = database_.Acquire();
  const auto cluster_name = ClusterNameFrom(context, cluster_param.value_or("default"));
  RequireActiveCluster(lease.db(), context, cluster_name);
  storage::TaskStore store(lease.db());
  DescribeTasksResult result;
  std::set<std::string> seen;
  for (const auto& identifier : tasks) {
    const auto id = TaskIdFrom(context, identifier);
    const auto record = id ? store.Find(PartitionOf(context), *cluster_name, *id) : std::nullopt;
    if (!record) {
      result.missing.push_back(id && !identifier.starts_with("arn:")
                                   ? TaskArn(context, *cluster_name, *id)
                                   : identifier);
      continue;
    }
    if (!seen.insert(record->task_id).second) continue;
    json document = json::parse(record->document);
    const std::string arn = document.at("taskArn").get<std::string>();
    result.tasks.push_back({std::move(document), storage::TagStore(lease.db()).List(arn)});
  }
  return result;
}

std::vector<std::string> TaskService::ListTasks(const aws::RequestContext& context,
                                                const ListTasksQuery& query, std::string& next) {
  if (query.max_results < 1 || query.max_results > 100) {
    throw InvalidParameterException("maxResults must be between 1 and 100.");
  }
  if (query.started_by &&
      (query.family || query.service_name || query.launch_type || query.container_instance)) {
    throw InvalidParameterException("startedBy must be the only filter when it is specified.");
  }
  if (query.family && !IsEcsName(*query.family)) {
    throw InvalidParameterException("family must match ^[a-zA-Z0-9\\-_]+$");
  }
  std::string after;
  if (!query.token.empty()) {
    auto key = aws::DecodePageToken(kTaskListing, query.token);
    if (!key) throw InvalidParameterException("Invalid nextToken.");
    after = std::move(*key);
  }
  auto lease = database_.Acquire();
  const auto cluster_name = ClusterNameFrom(context, query.cluster.value_or("default"));
  const auto cluster =
      cluster_name ? storage::ClusterStore(lease.db(), PartitionOf(context)).Find(*cluster_name)
                   : std::nullopt;
  if (!cluster) throw ClusterNotFoundException();
  if (cluster->status != "ACTIVE") throw ClusterInactiveException();
  storage::TaskFilter filter;
  if (query.service_name) {
    // A service name or ARN; the service must exist (any status).
    std::string name = *query.service_name;
    if (name.starts_with("arn:")) name = name.substr(name.rfind('/') + 1);
    if (!IsEcsName(name) ||
        !storage::ServiceStore(lease.db(), PartitionOf(context)).Find(*cluster_name, name)) {
      throw AwsError("ServiceNotFoundException", "Service not found.");
    }
    filter.service_name = name;
  }
  // PENDING is a desired status ECS never sets.
  if (query.desired_status == "PENDING") return {};
  if (query.container_instance) {
    const auto instance =
        ResolveContainerInstance(lease.db(), context, *cluster_name, *query.container_instance);
    if (!instance) return {};
    filter.container_instance_arn =
        ContainerInstanceArn(context, *cluster_name, instance->instance_id);
  }
  filter.cluster = *cluster_name;
  filter.desired_status = query.desired_status;
  filter.family = query.family;
  filter.started_by = query.started_by;
  filter.launch_type = query.launch_type;
  auto ids = storage::TaskStore(lease.db())
                 .List(PartitionOf(context), filter, after, query.max_results + 1);
  if (ids.size() > query.max_results) {
    ids.resize(query.max_results);
    next = aws::EncodePageToken(kTaskListing, ids.back());
  }
  std::vector<std::string> arns;
  for (const auto& id : ids) arns.push_back(TaskArn(context, *cluster_name, id));
  return arns;
}

size_t TaskService::PurgeStopped(double now) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const auto purged = storage::TaskStore(lease.db()).PurgeStopped(now - kStoppedRetentionSeconds);
  storage::TagStore tags(lease.db());
  for (const auto& task : purged) {
    tags.RemoveAll(
        TaskArn(task.partition.account_id, task.partition.region, task.cluster, task.task_id));
    storage::TaskProtectionStore(lease.db(), task.partition).Unprotect(task.cluster, task.task_id);
  }
  tx.Commit();
  return purged.size();
}

}  // namespace berth::ecs
