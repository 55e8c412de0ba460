// ContainerInstanceService: registration, deregistration, state changes and
// agent updates (the records; listing and documents are in
// container_instance_service.cc).

#include <algorithm>

#include "server/ecs/container_instance_service.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "server/ecs/service_common.h"
#include "server/util/crypto.h"
#include "server/util/engine_attributes.h"
#include "server/util/log.h"
#include "storage/tag_store.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;
using storage::Partition;

// The EC2 instance id an identity document names, else a made-up one.
std::string Ec2InstanceId(const json& request) {
  if (request.contains("instanceIdentityDocument")) {
    const json document =
        json::parse(request.at("instanceIdentityDocument").get<std::string>(), nullptr, false);
    if (document.is_object() && document.contains("instanceId") &&
        document.at("instanceId").is_string()) {
      return document.at("instanceId").get<std::string>();
    }
  }
  return "i-" + crypto::RandomHex(17);
}

// The engine endpoint the request's attributes name (berth.docker-host), or
// "" for the local engine.
std::string EngineEndpointOf(const json& request) {
  for (const auto& a : request.value("attributes", json::array())) {
    if (a.value("name", "") != engines::kDockerHostAttribute) continue;
    const std::string endpoint = a.value("value", "");
    const bool unix_socket = endpoint.starts_with("unix:///");
    const bool tcp = endpoint.starts_with("tcp://") && engines::TcpHostOf(endpoint) &&
                     !engines::TcpHostOf(endpoint)->empty();
    if (!unix_socket && !tcp) {
      throw InvalidParameterException(
          "The attribute berth.docker-host must name a Docker engine as unix:///path or "
          "tcp://host:port.");
    }
    return endpoint;
  }
  return "";
}

// The directory of an engine's own TLS files (berth.docker-cert-path), ""
// when not given. Throws InvalidParameterException unless it is absolute and
// the engine is reached over tcp://.
std::string EngineCertPathOf(const json& request, const std::string& endpoint) {
  for (const auto& a : request.value("attributes", json::array())) {
    if (a.value("name", "") != engines::kDockerCertPathAttribute) continue;
    const std::string path = a.value("value", "");
    if (!endpoint.starts_with("tcp://") || !path.starts_with("/")) {
      throw InvalidParameterException(
          "The attribute berth.docker-cert-path must name an absolute directory, for an engine "
          "whose berth.docker-host is tcp://host:port.");
    }
    return path;
  }
  return "";
}

// `given` members replace those of `base` with the same name.
json MergeByName(json base, const json& given) {
  for (const auto& item : given) {
    const auto it = std::find_if(base.begin(), base.end(), [&](const json& b) {
      return b.value("name", "") == item.value("name", "");
    });
    if (it != base.end()) {
      *it = item;
    } else {
      base.push_back(item);
    }
  }
  return base;
}

// The unfinished tasks placed on the instance.
std::vector<storage::TaskRecord> TasksOn(storage::Db& db, const Partition& partition,
                                         const std::string& cluster, const std::string& arn) {
  std::vector<storage::TaskRecord> out;
  for (auto& task : storage::TaskStore(db).UnfinishedIn(partition, cluster)) {
    if (json::parse(task.document).value("containerInstanceArn", "") == arn) {
      out.push_back(std::move(task));
    }
  }
  return out;
}

}  // namespace

storage::ContainerInstanceRecord ContainerInstanceService::RequireInstance(
    storage::Db& db, const aws::RequestContext& context, const std::string& cluster,
    const std::string& instance) {
  auto record = ResolveContainerInstance(db, context, cluster, instance);
  if (!record) throw InvalidParameterException("The referenced container instance was not found.");
  return *record;
}

std::string ContainerInstanceService::Insert(storage::Db& db, const aws::RequestContext& context,
                                             const std::string& cluster, const json& registered,
                                             const std::vector<storage::Tag>& tags,
                                             const std::string& engine) {
  storage::ContainerInstanceRecord record;
  record.cluster = cluster;
  record.instance_id = crypto::RandomHex(32);
  record.status = "ACTIVE";
  record.engine = engine;
  record.registered_at = context.now;
  record.document = registered.dump();
  storage::ContainerInstanceStore(db, PartitionOf(context)).Insert(record);
  storage::TagStore(db).Put(ContainerInstanceArn(context, cluster, record.instance_id), tags);
  return record.instance_id;
}

json ContainerInstanceService::Register(const aws::RequestContext& context, const json& request) {
  const std::vector<storage::Tag> tags = ReadEcsTags(request);
  ValidateTags(tags);
  // An instance registering without a cluster joins `default`, which ECS
  // creates for it.
  if (!request.contains("cluster")) {
    clusters_.Create(context, std::string(kDefaultCluster), ClusterChanges{}, {});
  }
  const std::string endpoint = EngineEndpointOf(request);
  json local;
  if (endpoint.empty()) {
    local = LocalInstanceRegistration(context, host_);
  } else {
    // Another engine: what it is comes from the engine itself, as an agent
    // reports its host (asked before any lease is taken).
    if (!prober_) {
      throw InvalidParameterException("This Berth cannot drive other Docker engines.");
    }
    const std::string cert_path = EngineCertPathOf(request, endpoint);
    EngineFacts facts;
    try {
      facts = prober_(endpoint, cert_path);
    } catch (const std::exception& e) {
      throw InvalidParameterException("Cannot reach the Docker engine at " + endpoint + ": " +
                                      e.what());
    }
    local = EngineInstanceRegistration(context, endpoint, facts);
  }
  json registered = local;
  if (request.contains("totalResources")) {
    registered["registeredResources"] =
        MergeByName(local.at("registeredResources"), request.at("totalResources"));
  }
  if (request.contains("attributes")) {
    registered["attributes"] = MergeByName(local.at("attributes"), request.at("attributes"));
  }
  if (request.contains("versionInfo")) registered["versionInfo"] = request.at("versionInfo");
  if (request.contains("platformDevices")) {
    registered["platformDevices"] = request.at("platformDevices");
  }
  for (const auto& r : registered.at("registeredResources")) {
    if ((r.value("name", "") == "CPU" || r.value("name", "") == "MEMORY") &&
        r.value("integerValue", int64_t{0}) < 0) {
      throw InvalidParameterException("Resource " + r.value("name", "") + " cannot be negative.");
    }
  }

  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const std::string cluster = clusters_.RequireActive(
      lease.db(), context,
      request.contains("cluster") ? std::optional<std::string>(request.at("cluster"))
                                  : std::nullopt);
  storage::ContainerInstanceStore store(lease.db(), PartitionOf(context));
  storage::ContainerInstanceRecord record;
  if (request.contains("containerInstanceArn")) {
    // Re-registration (an agent restarting): the same instance, updated.
    record = RequireInstance(lease.db(), context, cluster,
                             request.at("containerInstanceArn").get<std::string>());
    const json previous = json::parse(record.document);
    registered["ec2InstanceId"] = previous.at("ec2InstanceId");
    registered["version"] = previous.value("version", 1) + 1;
    record.status = "ACTIVE";
    record.deregistered_at.reset();
    record.engine = endpoint.empty() ? std::string(kLocalEngine) : endpoint;
    record.document = registered.dump();
    store.Update(record);
    storage::TagStore(lease.db())
        .Put(ContainerInstanceArn(context, cluster, record.instance_id), tags);
  } else {
    registered["ec2InstanceId"] = Ec2InstanceId(request);
    registered["version"] = 1;
    record.instance_id = Insert(lease.db(), context, cluster, registered, tags,
                                endpoint.empty() ? std::string(kLocalEngine) : endpoint);
  }
  json out = Document(lease.db(), context, *store.Find(cluster, record.instance_id), true, false);
  tx.Commit();
  return out;
}

void ContainerInstanceService::RegisterLocal(const aws::RequestContext& context,
                                             const std::string& cluster) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  for (const auto& record :
       storage::ContainerInstanceStore(lease.db(), PartitionOf(context)).List(cluster, 0)) {
    if (record.engine == kLocalEngine && record.status != "INACTIVE") return;
  }
  json registered = LocalInstanceRegistration(context, host_);
  registered["ec2InstanceId"] = "i-" + crypto::RandomHex(17);
  registered["version"] = 1;
  registered[std::string(kRegisteredByBerth)] = true;  // leaves with its cluster
  Insert(lease.db(), context, cluster, registered, {}, std::string(kLocalEngine));
  tx.Commit();
}

void ContainerInstanceService::RegisterEngine(const aws::RequestContext& context,
                                              const std::string& cluster,
                                              const std::string& endpoint) {
  {
    auto lease = database_.Acquire();
    for (const auto& record :
         storage::ContainerInstanceStore(lease.db(), PartitionOf(context)).List(cluster, 0)) {
      if (record.engine == endpoint && record.status != "INACTIVE") return;
    }
  }
  EngineFacts facts;
  try {
    if (!prober_) throw std::runtime_error("this Berth cannot drive other Docker engines");
    facts = prober_(endpoint, "");
  } catch (const std::exception& e) {
    log::Warn("cluster " + cluster + ": the engine at " + endpoint +
              " is not registered: " + e.what());
    return;
  }
  json registered = EngineInstanceRegistration(context, endpoint, facts);
  registered["ec2InstanceId"] = "i-" + crypto::RandomHex(17);
  registered["version"] = 1;
  registered[std::string(kRegisteredByBerth)] = true;  // leaves with its cluster
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  for (const auto& record :
       storage::ContainerInstanceStore(lease.db(), PartitionOf(context)).List(cluster, 0)) {
    if (record.engine == endpoint && record.status != "INACTIVE") return;
  }
  Insert(lease.db(), context, cluster, registered, {}, endpoint);
  tx.Commit();
}

json ContainerInstanceService::Deregister(const aws::RequestContext& context,
                                          const std::optional<std::string>& cluster_param,
                                          const std::string& instance, bool force) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const std::string cluster = clusters_.RequireActive(lease.db(), context, cluster_param);
  auto record = RequireInstance(lease.db(), context, cluster, instance);
  const std::string arn = ContainerInstanceArn(context, cluster, record.instance_id);
  bool stopped_any = false;
  if (record.status != "INACTIVE") {
    auto tasks = TasksOn(lease.db(), PartitionOf(context), cluster, arn);
    const bool running = std::any_of(tasks.begin(), tasks.end(),
                                     [](const auto& t) { return t.desired_status != "STOPPED"; });
    if (running && !force) throw InvalidParameterException("Found running tasks on the instance.");
    // Forced: ECS moves the instance's tasks to STOPPED.
    storage::TaskStore task_store(lease.db());
    for (auto& task : tasks) {
      if (task.desired_status == "STOPPED") continue;
      json document = json::parse(task.document);
      task.desired_status = "STOPPED";
      document["desiredStatus"] = "STOPPED";
      document["stopCode"] = "UserInitiated";
      document["stoppedReason"] = "Container instance deregistered";
      document["stoppingAt"] = context.now;
      document["version"] = document.value("version", 1) + 1;
      task.document = document.dump();
      task_store.Update(task);
      stopped_any = true;
    }
    json registered = json::parse(record.document);
    registered["version"] = registered.value("version", 1) + 1;
    record.document = registered.dump();
    record.status = "INACTIVE";
    record.deregistered_at = context.now;
    storage::ContainerInstanceStore(lease.db(), PartitionOf(context)).Update(record);
  }
  json out = Document(lease.db(), context, record, false, false);
  tx.Commit();
  if (stopped_any && waker_) waker_();
  return out;
}

UpdateContainerInstancesStateResult ContainerInstanceService::UpdateState(
    const aws::RequestContext& context, const std::optional<std::string>& cluster_param,
    const std::vector<std::string>& instances, const std::string& status) {
  if (status != "ACTIVE" && status != "DRAINING") {
    throw InvalidParameterException("Container instances can only be set to ACTIVE or DRAINING.");
  }
  if (instances.empty()) throw ClientException("Container instance cannot be empty.");
  if (instances.size() > 10) {
    throw InvalidParameterException("containerInstances can have at most 10 items.");
  }
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const std::string cluster = clusters_.RequireActive(lease.db(), context, cluster_param);
  storage::ContainerInstanceStore store(lease.db(), PartitionOf(context));
  UpdateContainerInstancesStateResult result;
  for (const auto& identifier : instances) {
    auto record = ResolveContainerInstance(lease.db(), context, cluster, identifier);
    if (!record || record->status == "INACTIVE") {
      result.failures.push_back({{"arn", identifier.starts_with("arn:")
                                             ? identifier
                                             : ContainerInstanceArn(context, cluster, identifier)},
                                 {"reason", "MISSING"}});
      continue;
    }
    if (record->status != status) {
      json registered = json::parse(record->document);
      registered["version"] = registered.value("version", 1) + 1;
      record->document = registered.dump();
      record->status = status;
      store.Update(*record);
    }
    result.instances.push_back(Document(lease.db(), context, *record, false, false));
  }
  tx.Commit();
  if (waker_) waker_();  // services replace their tasks on DRAINING instances
  return result;
}

json ContainerInstanceService::UpdateAgent(const aws::RequestContext& context,
                                           const std::optional<std::string>& cluster_param,
                                           const std::string& instance) {
  auto lease = database_.Acquire();
  const std::string cluster = clusters_.RequireActive(lease.db(), context, cluster_param);
  const auto record = RequireInstance(lease.db(), context, cluster, instance);
  if (record.status == "INACTIVE") {
    throw InvalidParameterException("The referenced container instance was not found.");
  }
  // Berth's instances run Berth's own agent, which is always its newest.
  throw AwsError("NoUpdateAvailableException",
                 "There is no update available for your container agent.");
}

}  // namespace berth::ecs
