#include "server/ecs/service_scheduler.h"

#include <exception>
#include <optional>
#include <set>
#include <vector>

#include "server/ecs/ecs_names.h"
#include "server/ecs/fargate_hosts.h"
#include "server/ecs/instance_placement.h"
#include "server/ecs/placement_rules.h"
#include "server/ecs/service_common.h"
#include "server/ecs/service_plan.h"
#include "server/ecs/task_definition_service.h"
#include "server/ecs/task_documents.h"
#include "server/util/crypto.h"
#include "server/util/log.h"
#include "storage/cluster_store.h"
#include "storage/container_instance_store.h"
#include "storage/service_history_store.h"
#include "storage/tag_store.h"
#include "storage/task_protection_store.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

bool HasHealthCheck(const json& td) {
  for (const auto& c : td.value("containerDefinitions", json::array())) {
    if (c.value("essential", true) && c.contains("healthCheck")) return true;
  }
  return false;
}

plan::Task ToPlanTask(const storage::TaskRecord& record, const json& doc, bool has_check,
                      double protected_until) {
  plan::Task t;
  t.id = record.task_id;
  t.deployment_id = record.deployment_id.value_or("");
  if (record.last_status == "STOPPED") {
    t.state = plan::TaskState::kStopped;
  } else if (record.desired_status == "STOPPED") {
    t.state = plan::TaskState::kStopping;
  } else if (record.last_status == "RUNNING") {
    t.state = plan::TaskState::kRunning;
  } else {
    t.state = plan::TaskState::kPending;
  }
  const std::string health = doc.value("healthStatus", "UNKNOWN");
  t.health = health == "HEALTHY"     ? plan::Health::kHealthy
             : health == "UNHEALTHY" ? plan::Health::kUnhealthy
                                     : plan::Health::kUnknown;
  t.has_health_check = has_check;
  t.created_at = record.created_at;
  t.started_at = doc.value("startedAt", 0.0);
  t.stopped_at = record.stopped_at.value_or(0);
  const std::string code = doc.value("stopCode", "");
  t.failed = code == "TaskFailedToStart" || code == "EssentialContainerExited" ||
             (code == "ServiceSchedulerInitiated" &&
              doc.value("stoppedReason", "") == "Task failed container health checks");
  t.protected_until = protected_until;
  return t;
}

// One service's pass: its state in, the plan applied.
class ServicePass {
 public:
  ServicePass(storage::Db& db, storage::ServiceRecord service, double now)
      : db_(db),
        service_(std::move(service)),
        context_{service_.partition.account_id, service_.partition.region, "", "", now},
        store_(db, service_.partition),
        history_(db, service_.partition) {}

  // Returns whether anything changed; `wake_at` is when the plan wants to
  // run again (0: when something happens).
  bool Run(double& wake_at) {
    const auto cluster = storage::ClusterStore(db_, service_.partition).Find(service_.cluster);
    if (!cluster) return false;
    cluster_ = *cluster;
    document_ = json::parse(service_.document);
    plan::Input input = Gather();
    const plan::Output out = plan::PlanService(input);
    wake_at = out.wake_at;
    return Apply(out);
  }

 private:
  double Now() const { return context_.now; }

  // The task definition of an ARN (cached for the pass).
  const json* Definition(const std::string& arn) {
    auto it = definitions_.find(arn);
    if (it == definitions_.end()) {
      it = definitions_.emplace(arn, FindTaskDefinition(db_, context_, arn)).first;
    }
    return it->second ? &*it->second : nullptr;
  }

  plan::Input Gather() {
    plan::Input in;
    in.now = Now();
    plan::Service& s = in.service;
    s.name = service_.name;
    s.draining = service_.status == "DRAINING";
    s.desired_count = service_.desired_count;
    s.daemon = service_.scheduling_strategy == "DAEMON";
    s.controller =
        service_.controller == "ECS" ? plan::Controller::kEcs : plan::Controller::kExternal;
    const json config = document_.value("deploymentConfiguration", json::object());
    s.minimum_healthy_percent = config.value("minimumHealthyPercent", s.daemon ? 0 : 100);
    s.maximum_percent = config.value("maximumPercent", s.daemon ? 100 : 200);
    const json breaker = config.value("deploymentCircuitBreaker", json::object());
    s.breaker_enabled = breaker.value("enable", false);
    s.breaker_rollback = breaker.value("rollback", false);
    s.health_check_grace_seconds = document_.value("healthCheckGracePeriodSeconds", 0.0);
    if (s.daemon) {
      // One task per ACTIVE container instance of the cluster.
      s.instances = 0;
      for (const auto& instance :
           storage::ContainerInstanceStore(db_, service_.partition).List(service_.cluster, Now())) {
        if (instance.status == "ACTIVE") ++s.instances;
      }
    }

    // Live deployments, and the newest completed one that drained (the
    // circuit breaker may roll back to it).
    bool candidate = false;
    for (const auto& d : store_.Deployments(service_.cluster, service_.name, true)) {
      const bool inactive = d.status == "INACTIVE";
      if (inactive && (candidate || d.rollout_state.value_or("") != "COMPLETED")) continue;
      if (inactive) candidate = true;
      deployments_[d.id] = d;
      const json doc = json::parse(d.document);
      plan::Deployment p;
      p.id = d.id;
      p.status = plan::ParseDeploymentStatus(d.status);
      p.rollout = plan::ParseRollout(d.rollout_state.value_or("IN_PROGRESS"));
      p.desired = d.desired_count;
      p.failed_tasks = d.failed_tasks;
      p.created_at = d.created_at;
      p.task_set = service_.controller != "ECS";
      p.scale_percent = doc.value("scale", json::object()).value("value", 0.0);
      p.steady = doc.value("steady", false);
      p.rollback_requested = doc.value("rollbackRequested", false);
      in.deployments.push_back(p);
    }
    // Tasks on DRAINING container instances are moved elsewhere.
    std::set<std::string> draining;
    for (const auto& instance :
         storage::ContainerInstanceStore(db_, service_.partition).List(service_.cluster, Now())) {
      if (instance.status == "DRAINING") {
        draining.insert(ContainerInstanceArn(context_, service_.cluster, instance.instance_id));
      }
    }
    // A DAEMON service's task on a DRAINING instance waits for the other
    // services' tasks there.
    std::set<std::string> busy;
    if (s.daemon && !draining.empty()) {
      for (const auto& task :
           storage::TaskStore(db_).UnfinishedIn(service_.partition, service_.cluster)) {
        if (task.service_name && *task.service_name != service_.name) {
          busy.insert(json::parse(task.document).value("containerInstanceArn", std::string()));
        }
      }
    }
    storage::TaskProtectionStore protection(db_, service_.partition);
    for (const auto& record :
         storage::TaskStore(db_).OfService(service_.partition, service_.cluster, service_.name,
                                           Now() - ServiceScheduler::kFailureMemorySeconds)) {
      const json doc = json::parse(record.document);
      const json* td = Definition(doc.value("taskDefinitionArn", ""));
      in.tasks.push_back(
          ToPlanTask(record, doc, td != nullptr && HasHealthCheck(*td),
                     protection.ExpiresAt(service_.cluster, record.task_id).value_or(0)));
      const std::string instance = doc.value("containerInstanceArn", std::string());
      in.tasks.back().on_draining_instance = draining.contains(instance);
      in.tasks.back().instance_busy = busy.contains(instance);
      tasks_.emplace(record.task_id, record);
    }
    const json notes = json::parse(service_.scheduler);
    in.notes.steady = notes.value("steady", false);
    in.notes.steady_event_at = notes.value("steadyEventAt", 0.0);
    in.notes.unstable_event_at = notes.value("unstableEventAt", 0.0);
    return in;
  }

  void AddEvent(const std::string& message) {
    store_.AddEvent(service_.cluster, service_.name, {crypto::Uuid(), Now(), message});
  }

  void StopTasks(const std::vector<plan::Stop>& stops) {
    storage::TaskStore tasks(db_);
    for (const auto& stop : stops) {
      auto it = tasks_.find(stop.task_id);
      if (it == tasks_.end()) continue;
      storage::TaskRecord& record = it->second;
      json doc = json::parse(record.document);
      doc["desiredStatus"] = "STOPPED";
      doc["stopCode"] = "ServiceSchedulerInitiated";
      doc["stoppedReason"] = stop.reason;
      doc["stoppingAt"] = Now();
      doc["version"] = doc.value("version", int64_t{1}) + 1;
      record.desired_status = "STOPPED";
      record.document = doc.dump();
      tasks.Update(record);
    }
  }

  // DNS names the service's tasks answer to on the cluster's network: the
  // service's name, and its Service Connect aliases.
  static json AliasesFor(const std::string& service, const json& deployment) {
    json aliases = json::array({service});
    const json sc = deployment.value("serviceConnectConfiguration", json::object());
    if (!sc.value("enabled", false)) return aliases;
    const std::string ns = sc.value("namespace", "");
    for (const auto& s : sc.value("services", json::array())) {
      const std::string discovery = s.value("discoveryName", s.value("portName", ""));
      if (!discovery.empty()) aliases.push_back(discovery);
      for (const auto& alias : s.value("clientAliases", json::array())) {
        aliases.push_back(alias.value("dnsName", ns.empty() ? discovery : discovery + "." + ns));
      }
    }
    json unique = json::array();
    for (const auto& a : aliases) {
      if (std::find(unique.begin(), unique.end(), a) == unique.end()) unique.push_back(a);
    }
    return unique;
  }

  // What the service asks of its tasks that Berth cannot do locally.
  json FidelityNotes(const json& deployment, const json& td) const {
    json notes = json::array();
    if (!document_.value("loadBalancers", json::array()).empty()) {
      notes.push_back(
          "loadBalancers are not honoured (no Elastic Load Balancing locally): reach the task on "
          "its published ports");
    }
    if (!document_.value("serviceRegistries", json::array()).empty()) {
      notes.push_back(
          "serviceRegistries are not honoured (no Cloud Map locally): tasks of the cluster "
          "resolve the service by its name through Docker's DNS");
    }
    const json sc = deployment.value("serviceConnectConfiguration", json::object());
    if (sc.value("enabled", false)) {
      std::string text =
          "serviceConnectConfiguration: no proxy runs; clients on the cluster network resolve "
          "the aliases through Docker's DNS and connect to the container's own port";
      for (const auto& s : sc.value("services", json::array())) {
        for (const auto& alias : s.value("clientAliases", json::array())) {
          for (const auto& c : td.value("containerDefinitions", json::array())) {
            for (const auto& m : c.value("portMappings", json::array())) {
              if (m.value("name", "") == s.value("portName", "") &&
                  m.value("containerPort", 0) != alias.value("port", 0)) {
                text += " (alias port " + std::to_string(alias.value("port", 0)) +
                        " is not remapped to container port " +
                        std::to_string(m.value("containerPort", 0)) + ")";
              }
            }
          }
        }
      }
      notes.push_back(text);
    }
    return notes;
  }

  // Records `count` new tasks of a deployment; returns their ids.
  std::vector<std::string> StartTasks(const storage::DeploymentRecord& deployment, int64_t count) {
    std::vector<std::string> ids;
    const json* td = Definition(deployment.task_definition);
    if (td == nullptr) {
      AddEventOnce("(service " + service_.name + ") failed to launch a task: the task definition " +
                   deployment.task_definition + " no longer exists.");
      return ids;
    }
    const json settings = json::parse(deployment.document);
    const json cluster_document = json::parse(cluster_.document);
    Placement placement;
    try {
      placement = ChoosePlacement(settings, cluster_document);
    } catch (const std::exception& e) {
      AddEventOnce("(service " + service_.name + ") failed to launch a task: " + e.what());
      return ids;
    }
    const json overrides = EchoOverrides(json::object(), td->at("containerDefinitions"));
    const bool on_instance = placement.launch_type != "FARGATE";
    std::optional<InstancePlacer> placer;
    std::optional<FargateHosts> fargate_hosts;  // Fargate: spread over the cluster's engines
    InstanceUsage needs;
    if (!on_instance)
      fargate_hosts.emplace(db_, context_, service_.cluster, "service:" + service_.name);
    if (on_instance) {
      PlacementRules rules;
      try {
        rules = PlacementRules::From(document_, *td);
      } catch (const std::exception& e) {
        AddEventOnce("(service " + service_.name + ") failed to launch a task: " + e.what());
        return ids;
      }
      // A replica service names no strategy: spread across zones, then
      // instances, as ECS does.
      if (rules.strategies.empty() && service_.scheduling_strategy != "DAEMON") {
        rules.strategies = PlacementRules::ServiceDefault();
      }
      placer.emplace(db_, context_, service_.cluster, std::move(rules), "service:" + service_.name);
      needs = NeedsOf(*td, overrides);
      // A DAEMON service's task goes on an instance that has none yet.
      if (service_.scheduling_strategy == "DAEMON") {
        for (const auto& [id, task] : tasks_) {
          if (task.desired_status == "RUNNING") {
            placer->Exclude(
                json::parse(task.document).value("containerInstanceArn", std::string()));
          }
        }
        if (placer->size() == 0) return ids;
      }
      if (placer->empty()) {
        AddEventOnce("(service " + service_.name +
                     ") was unable to place a task because no container instance met all of its "
                     "requirements. Reason: No Container Instances were found in your cluster. "
                     "For more information, see the Troubleshooting section.");
        return ids;
      }
    }
    json request = {{"group", "service:" + service_.name},
                    {"startedBy", settings.value("startedBy", deployment.id)},
                    {"enableExecuteCommand", document_.value("enableExecuteCommand", false)}};
    if (settings.contains("networkConfiguration")) {
      request["networkConfiguration"] = settings.at("networkConfiguration");
    }
    if (settings.contains("platformVersion")) {
      request["platformVersion"] = settings.at("platformVersion");
    }
    const std::vector<storage::Tag> tags = TagsForTasks(*td);
    const json runtime = {{"aliases", AliasesFor(service_.name, settings)},
                          {"notes", FidelityNotes(settings, *td)}};
    storage::TaskStore tasks(db_);
    for (int64_t i = 0; i < count; ++i) {
      if (on_instance) {
        std::vector<json> failures;
        const auto arn = placer->Place(needs, failures);
        if (!arn && failures.empty()) break;  // every instance has its daemon task
        if (!arn) {
          const std::string closest = failures.front().at("arn").get<std::string>();
          const std::string reason = failures.front().at("reason").get<std::string>();
          AddEventOnce("(service " + service_.name +
                       ") was unable to place a task because no container instance met all of "
                       "its requirements. The closest matching (container-instance " +
                       closest.substr(closest.rfind('/') + 1) + ") " +
                       (reason.starts_with("RESOURCE:") ? "is missing resources (" + reason + ")"
                                                        : "encountered error \"" + reason + "\"") +
                       ". For more information, see the Troubleshooting section.");
          break;
        }
        placement.container_instance_arn = *arn;
        if (service_.scheduling_strategy == "DAEMON") placer->Exclude(*arn);
      }
      storage::TaskRecord record;
      record.partition = service_.partition;
      record.cluster = service_.cluster;
      record.task_id = crypto::RandomHex(32);
      record.family = td->at("family").get<std::string>();
      record.revision = td->at("revision").get<int64_t>();
      record.desired_status = "RUNNING";
      const json doc = NewTaskDocument(context_, service_.cluster, record.task_id, *td, request,
                                       placement, overrides);
      record.last_status = doc.at("lastStatus").get<std::string>();
      record.launch_type = placement.launch_type;
      record.started_by = request.at("startedBy").get<std::string>();
      record.group = doc.at("group").get<std::string>();
      record.created_at = Now();
      record.document = doc.dump();
      json task_runtime = runtime;
      if (fargate_hosts) {
        const auto [cpu, memory] = FargateSizeOf(doc);
        if (const auto host = fargate_hosts->Next(cpu, memory)) {
          task_runtime[kFargateHostKey] = *host;
        }
      }
      record.runtime = task_runtime.dump();
      record.service_name = service_.name;
      record.deployment_id = deployment.id;
      tasks.Insert(record);
      if (!tags.empty()) storage::TagStore(db_).Put(doc.at("taskArn").get<std::string>(), tags);
      ids.push_back(record.task_id);
    }
    return ids;
  }

  // The tags a service's task gets: propagated from the service or the
  // task definition, and ECS's managed tags.
  std::vector<storage::Tag> TagsForTasks(const json& td) {
    std::vector<storage::Tag> tags;
    const std::string propagate = document_.value("propagateTags", "NONE");
    if (propagate == "SERVICE") {
      tags = storage::TagStore(db_).List(ServiceArn(context_, service_.cluster, service_.name));
    } else if (propagate == "TASK_DEFINITION") {
      tags = storage::TagStore(db_).List(td.at("taskDefinitionArn").get<std::string>());
    }
    if (document_.value("enableECSManagedTags", false)) {
      tags.push_back({"aws:ecs:clusterName", service_.cluster});
      tags.push_back({"aws:ecs:serviceName", service_.name});
    }
    return tags;
  }

  // An event, unless the newest one already says the same.
  void AddEventOnce(const std::string& message) {
    const auto newest = store_.Events(service_.cluster, service_.name, 1);
    if (!newest.empty() && newest.front().message == message) return;
    AddEvent(message);
  }

  void UpdateServiceDeployment(const std::string& deployment_id, plan::Milestone milestone,
                               const std::string& rollback_to) {
    const auto d = deployments_.find(deployment_id);
    if (d == deployments_.end() || !d->second.service_deployment) return;
    auto sd =
        history_.FindDeployment(service_.cluster, service_.name, *d->second.service_deployment);
    if (!sd) return;
    json doc = json::parse(sd->document);
    json& breaker = doc["deploymentCircuitBreaker"];
    if (milestone == plan::Milestone::kCompleted) {
      if (sd->status != "PENDING" && sd->status != "IN_PROGRESS" &&
          sd->status != "ROLLBACK_IN_PROGRESS") {
        return;  // a deployment rolled back to: its own service deployment ended long ago
      }
      sd->status = sd->status == "ROLLBACK_IN_PROGRESS" ? "ROLLBACK_SUCCESSFUL" : "SUCCESSFUL";
      doc["finishedAt"] = Now();
      if (breaker.value("status", "") == "MONITORING") breaker["status"] = "MONITORING_COMPLETE";
      if (!doc.contains("startedAt")) doc["startedAt"] = Now();
    } else if (milestone == plan::Milestone::kFailed) {
      const bool requested = doc.value("rollbackRequested", false);
      sd->status = requested ? "ROLLBACK_FAILED" : "STOPPED";
      doc["stoppedAt"] = Now();
      doc["statusReason"] = requested ? "There is no successful service revision to roll back to."
                                      : "ECS deployment circuit breaker: tasks failed to start.";
      if (!requested) breaker["status"] = "TRIGGERED";
    } else if (milestone == plan::Milestone::kRollingBack) {
      const bool requested = doc.value("rollbackRequested", false);
      sd->status = "ROLLBACK_IN_PROGRESS";
      const std::string reason = requested
                                     ? "Rollback requested by StopServiceDeployment."
                                     : "ECS deployment circuit breaker: tasks failed to start.";
      doc["statusReason"] = reason;
      doc["rollback"] = {
          {"reason", reason},
          {"startedAt", Now()},
          {"serviceRevisionArn", ServiceRevisionArn(context_, service_.cluster, service_.name,
                                                    RevisionIdOf(rollback_to))}};
      if (!requested) breaker["status"] = "TRIGGERED";
      // When the deployment rolled back to completes, so does this rollback.
      auto target = deployments_.find(rollback_to);
      if (target != deployments_.end()) {
        json target_doc = json::parse(target->second.document);
        target_doc["rollbackOf"] = sd->id;
        target->second.document = target_doc.dump();
        store_.PutDeployment(service_.cluster, service_.name, target->second);
      }
    }
    breaker["failureCount"] = d->second.failed_tasks;
    doc["updatedAt"] = Now();
    sd->document = doc.dump();
    history_.PutDeployment(*sd);
  }

  // A service deployment that has begun moving tasks is IN_PROGRESS.
  void MarkStarted(const std::string& deployment_id) {
    const auto d = deployments_.find(deployment_id);
    if (d == deployments_.end() || !d->second.service_deployment) return;
    auto sd =
        history_.FindDeployment(service_.cluster, service_.name, *d->second.service_deployment);
    if (!sd || sd->status != "PENDING") return;
    json doc = json::parse(sd->document);
    sd->status = "IN_PROGRESS";
    doc["startedAt"] = Now();
    doc["updatedAt"] = Now();
    sd->document = doc.dump();
    history_.PutDeployment(*sd);
  }

  bool Apply(const plan::Output& out) {
    bool changed = !out.stops.empty() || !out.events.empty() || out.service_inactive;
    StopTasks(out.stops);
    // Deployment changes first: a rollback's target must be PRIMARY before
    // its tasks start.
    for (const auto& change : out.deployments) {
      auto it = deployments_.find(change.id);
      if (it == deployments_.end()) continue;
      storage::DeploymentRecord& d = it->second;
      d.status = plan::DeploymentStatusName(change.status);
      if (service_.controller == "ECS") d.rollout_state = plan::RolloutName(change.rollout);
      if (!change.rollout_reason.empty()) d.rollout_reason = change.rollout_reason;
      d.desired_count = change.desired;
      d.failed_tasks = change.failed_tasks;
      json doc = json::parse(d.document);
      if (doc.value("steady", false) != change.steady) doc["stabilityStatusAt"] = Now();
      doc["steady"] = change.steady;
      if (change.status == plan::DeploymentStatus::kPrimary || doc.contains("rollbackRequested")) {
        doc.erase("rollbackRequested");
      }
      d.document = doc.dump();
      d.updated_at = Now();
      store_.PutDeployment(service_.cluster, service_.name, d);
      changed = true;
    }
    for (const auto& message : out.events) AddEvent(message);
    if (out.failure != plan::Milestone::kNone) {
      UpdateServiceDeployment(out.failed_deployment, out.failure, out.rollback_to);
    }
    if (!out.completed_deployment.empty()) {
      UpdateServiceDeployment(out.completed_deployment, plan::Milestone::kCompleted, "");
      // A rollback completes with the deployment it rolled back to.
      const auto d = deployments_.find(out.completed_deployment);
      if (d != deployments_.end()) {
        const json doc = json::parse(d->second.document);
        if (doc.contains("rollbackOf")) RollbackCompleted(doc.at("rollbackOf"));
      }
    }
    for (const auto& start : out.starts) {
      const auto it = deployments_.find(start.deployment_id);
      if (it == deployments_.end()) continue;
      const auto ids = StartTasks(it->second, start.count);
      if (ids.empty()) continue;
      MarkStarted(start.deployment_id);
      AddEvent(plan::StartedEvent(service_.name,
                                  service_.controller == "ECS" ? "" : start.deployment_id, ids,
                                  start.replacing_unhealthy));
      changed = true;
    }
    json notes = json::parse(service_.scheduler);
    notes["steady"] = out.notes.steady;
    notes["steadyEventAt"] = out.notes.steady_event_at;
    notes["unstableEventAt"] = out.notes.unstable_event_at;
    const std::string scheduler = notes.dump();
    if (scheduler != service_.scheduler || out.service_inactive) {
      service_.scheduler = scheduler;
      if (out.service_inactive) {
        service_.status = "INACTIVE";
        service_.updated_at = Now();
      }
      store_.Update(service_);
    }
    return changed;
  }

  void RollbackCompleted(const std::string& service_deployment) {
    auto sd = history_.FindDeployment(service_.cluster, service_.name, service_deployment);
    if (!sd || sd->status != "ROLLBACK_IN_PROGRESS") return;
    json doc = json::parse(sd->document);
    sd->status = "ROLLBACK_SUCCESSFUL";
    doc["finishedAt"] = Now();
    doc["updatedAt"] = Now();
    sd->document = doc.dump();
    history_.PutDeployment(*sd);
  }

  storage::Db& db_;
  storage::ServiceRecord service_;
  aws::RequestContext context_;
  storage::ServiceStore store_;
  storage::ServiceHistoryStore history_;
  storage::ClusterRecord cluster_;
  json document_;
  std::map<std::string, storage::DeploymentRecord> deployments_;
  std::map<std::string, storage::TaskRecord> tasks_;
  std::map<std::string, std::optional<json>> definitions_;
};

}  // namespace

std::string ServiceScheduler::KeyOf(const storage::Partition& partition, const std::string& cluster,
                                    const std::string& name) {
  return partition.account_id + "/" + partition.region + "/" + cluster + "/" + name;
}

void ServiceScheduler::MarkAllDirty() {
  std::lock_guard lock(mutex_);
  all_dirty_ = true;
}

void ServiceScheduler::TaskChanged(const storage::TaskRecord& task) {
  if (!task.service_name) return;
  std::lock_guard lock(mutex_);
  memo_[KeyOf(task.partition, task.cluster, *task.service_name)].dirty = true;
}

bool ServiceScheduler::Pass() {
  std::vector<storage::ServiceKey> keys;
  try {
    auto lease = database_.Acquire();
    keys = storage::ServiceStore::LiveKeys(lease.db());
  } catch (const std::exception& e) {
    log::Error(std::string("scheduler: cannot list services: ") + e.what());
    return false;
  }
  const double now = clock_.Now();
  const bool full = now - last_full_pass_ >= kFullPassSeconds;
  if (full) last_full_pass_ = now;
  // The services due now; their marks are taken (a change during the pass
  // marks them again for the next one).
  std::vector<storage::ServiceKey> due;
  {
    std::lock_guard lock(mutex_);
    std::map<std::string, Memo> kept;
    for (const auto& key : keys) {
      const std::string k = KeyOf(key.partition, key.cluster, key.name);
      Memo memo = memo_.contains(k) ? memo_[k] : Memo{};
      if (full || all_dirty_ || memo.dirty || (memo.wake_at > 0 && memo.wake_at <= now)) {
        due.push_back(key);
        memo.dirty = false;
      }
      kept[k] = memo;
    }
    memo_ = std::move(kept);  // forgets services that went INACTIVE
    all_dirty_ = false;
  }
  bool changed = false;
  for (const auto& key : due) {
    double wake_at = 0;
    const bool moved = PassService(key, wake_at);
    changed = moved || changed;
    std::lock_guard lock(mutex_);
    Memo& memo = memo_[KeyOf(key.partition, key.cluster, key.name)];
    memo.wake_at = wake_at;
    // What it started or stopped is looked at again on the next pass.
    if (moved) memo.dirty = true;
  }
  return changed;
}

bool ServiceScheduler::PassService(const storage::ServiceKey& key, double& wake_at) {
  try {
    auto lease = database_.Acquire();
    storage::Tx tx(lease.db());
    auto service = storage::ServiceStore(lease.db(), key.partition).Find(key.cluster, key.name);
    if (!service || service->status == "INACTIVE") return false;
    ServicePass pass(lease.db(), std::move(*service), clock_.Now());
    const bool changed = pass.Run(wake_at);
    tx.Commit();
    return changed;
  } catch (const std::exception& e) {
    log::Error("scheduler: service " + key.cluster + "/" + key.name + ": " + e.what());
    return false;
  }
}

}  // namespace berth::ecs
