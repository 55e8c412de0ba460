#include "server/ecs/daemon_scheduler.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <set>

#include "server/ecs/daemon_service.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/service_plan.h"
#include "server/ecs/task_documents.h"
#include "server/util/crypto.h"
#include "server/util/log.h"
#include "storage/ecs_document_store.h"
#include "storage/tag_store.h"
#include "storage/task_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;
using storage::EcsDocumentStore;

// One daemon's pass, inside one transaction.
class DaemonPass {
 public:
  DaemonPass(storage::Db& db, const storage::Partition& partition, double now)
      : db_(db),
        partition_(partition),
        context_{partition.account_id, partition.region, "", "", now},
        store_(db, partition) {}

  // Returns whether anything changed. `instances` are the cluster's ACTIVE
  // container instances, `draining` its DRAINING ones.
  bool Run(const std::string& key, const std::vector<std::string>& instances,
           const std::set<std::string>& draining) {
    const auto found = store_.Find(EcsDocumentStore::kDaemon, key, "");
    if (!found) return false;
    daemon_ = json::parse(found->document);
    key_ = key;
    const json& berth = daemon_.at("berth");
    cluster_ = berth.at("cluster").get<std::string>();
    name_ = berth.at("name").get<std::string>();
    const std::string group = DaemonTaskGroup(name_);
    for (auto& task : storage::TaskStore(db_).UnfinishedIn(partition_, cluster_)) {
      if (task.group.value_or("") == group) {
        tasks_.push_back(std::move(task));
      } else if (task.service_name) {
        with_service_tasks_.insert(
            json::parse(task.document).value("containerInstanceArn", std::string()));
      }
    }
    deployment_id_ = berth.value("deploymentId", std::string());
    if (auto d = store_.Find(EcsDocumentStore::kDeployment, key_, deployment_id_)) {
      deployment_ = json::parse(d->document);
      deployment_created_ = d->created_at;
    }
    if (daemon_.value("status", "") != "ACTIVE") return Drain();
    return Converge(berth.value("revisionId", std::string()), instances, draining);
  }

 private:
  double Now() const { return context_.now; }

  void Stop(storage::TaskRecord& task, const std::string& reason) {
    json doc = json::parse(task.document);
    doc["desiredStatus"] = "STOPPED";
    doc["stopCode"] = "ServiceSchedulerInitiated";
    doc["stoppedReason"] = reason;
    doc["stoppingAt"] = Now();
    doc["version"] = doc.value("version", int64_t{1}) + 1;
    task.desired_status = "STOPPED";
    task.document = doc.dump();
    storage::TaskStore(db_).Update(task);
  }

  void PutDeployment() {
    if (deployment_.is_null()) return;
    store_.Put(EcsDocumentStore::kDeployment, key_, deployment_id_, deployment_created_,
               deployment_.dump());
  }

  void Finish() {
    const std::string status = deployment_.value("status", "");
    if (status != "PENDING" && status != "IN_PROGRESS") return;
    deployment_["status"] = "SUCCESSFUL";
    deployment_["statusReason"] = "Deployment completed successfully.";
    if (!deployment_.contains("startedAt")) deployment_["startedAt"] = Now();
    deployment_["finishedAt"] = Now();
    PutDeployment();
  }

  // DeleteDaemon: stop everything, then forget the daemon.
  bool Drain() {
    bool changed = false;
    for (auto& task : tasks_) {
      if (task.desired_status == "STOPPED") continue;
      Stop(task, "The daemon was deleted.");
      changed = true;
    }
    if (!tasks_.empty()) return changed;
    if (!deployment_.is_null()) Finish();
    store_.Remove(EcsDocumentStore::kDaemon, key_, "");
    storage::TagStore(db_).RemoveAll(daemon_.at("daemonArn").get<std::string>());
    return true;
  }

  // One task of `revision_id` on every ACTIVE instance; none on DRAINING
  // ones, once the service tasks there are gone.
  bool Converge(const std::string& revision_id, const std::vector<std::string>& instances,
                const std::set<std::string>& draining) {
    const auto revision_object = store_.Find(EcsDocumentStore::kRevision, key_, revision_id);
    if (!revision_object) return false;
    const json revision = json::parse(revision_object->document);
    const std::set<std::string> known(instances.begin(), instances.end());
    bool changed = false;
    std::map<std::string, std::vector<storage::TaskRecord*>> on_instance;
    int64_t old_stopping = 0;
    std::vector<storage::TaskRecord*> old_running;
    for (auto& task : tasks_) {
      const std::string instance =
          json::parse(task.document).value("containerInstanceArn", std::string());
      if (draining.contains(instance)) {
        // The daemon serves the instance's other tasks to the end: it stops
        // once no service task there is left.
        if (task.desired_status != "STOPPED" && !with_service_tasks_.contains(instance)) {
          Stop(task, plan::kDrainingReason);
          changed = true;
        }
        continue;
      }
      if (!known.contains(instance)) {
        if (task.desired_status != "STOPPED") {
          Stop(task, "The container instance left the cluster.");
          changed = true;
        }
        continue;
      }
      on_instance[instance].push_back(&task);
      if (task.deployment_id.value_or("") == revision_id) continue;
      if (task.desired_status == "STOPPED") {
        ++old_stopping;
      } else {
        old_running.push_back(&task);
      }
    }
    // Old revisions drain drainPercent of the instances at a time.
    const double drain = deployment_.is_null()
                             ? 25.0
                             : deployment_.value("deploymentConfiguration", json::object())
                                   .value("drainPercent", 25.0);
    const auto batch = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(static_cast<double>(instances.size()) * drain / 100)));
    for (auto* task : old_running) {
      if (old_stopping >= batch) break;
      Stop(*task, "Daemon deployment " + deployment_id_ + " replaced this task.");
      ++old_stopping;
      changed = true;
    }
    // Instances with no live task get one.
    int64_t started = 0;
    for (const auto& instance : instances) {
      if (on_instance.contains(instance)) continue;
      if (StartTask(revision, revision_id, instance)) ++started;
    }
    changed = changed || started > 0;
    if (deployment_.value("status", "") == "PENDING" && changed) {
      deployment_["status"] = "IN_PROGRESS";
      deployment_["startedAt"] = Now();
      PutDeployment();
    }
    // Done when every instance runs this revision and nothing else.
    bool done = started == 0;
    for (const auto& instance : instances) {
      const auto it = on_instance.find(instance);
      if (it == on_instance.end() || it->second.size() != 1) {
        done = false;
        continue;
      }
      const storage::TaskRecord& task = *it->second.front();
      done = done && task.deployment_id.value_or("") == revision_id &&
             task.last_status == "RUNNING" && task.desired_status == "RUNNING";
    }
    done = done && std::all_of(tasks_.begin(), tasks_.end(), [&](const auto& t) {
             return t.deployment_id.value_or("") == revision_id;
           });
    if (done && !deployment_.is_null()) Finish();
    return changed;
  }

  // Records a task of the revision on `instance`; false if the definition
  // is gone.
  bool StartTask(const json& revision, const std::string& revision_id,
                 const std::string& instance) {
    const json& berth = revision.at("berth");
    const auto runnable =
        DaemonRunnableDefinition(db_, partition_, berth.at("family").get<std::string>(),
                                 berth.at("revision").get<int64_t>());
    if (!runnable) return false;
    Placement placement;
    placement.launch_type = "MANAGED_INSTANCES";
    const json providers = berth.value("capacityProviderArns", json::array());
    if (!providers.empty()) {
      const std::string p = providers.front().get<std::string>();
      placement.capacity_provider =
          p.substr(p.rfind('/') == std::string::npos ? 0 : p.rfind('/') + 1);
    }
    placement.container_instance_arn = instance;
    const json request = {{"group", DaemonTaskGroup(name_)},
                          {"startedBy", deployment_id_},
                          {"enableExecuteCommand", revision.value("enableExecuteCommand", false)}};
    const json overrides = EchoOverrides(json::object(), runnable->at("containerDefinitions"));
    storage::TaskRecord record;
    record.partition = partition_;
    record.cluster = cluster_;
    record.task_id = crypto::RandomHex(32);
    record.family = runnable->at("family").get<std::string>();
    record.revision = runnable->at("revision").get<int64_t>();
    record.desired_status = "RUNNING";
    const json doc = NewTaskDocument(context_, cluster_, record.task_id, *runnable, request,
                                     placement, overrides);
    record.last_status = doc.at("lastStatus").get<std::string>();
    record.launch_type = placement.launch_type;
    record.started_by = deployment_id_;
    record.group = DaemonTaskGroup(name_);
    record.created_at = Now();
    record.document = doc.dump();
    record.runtime =
        json{{"notes",
              {"daemon_bridge networking is not emulated: the daemon task runs in bridge mode on "
               "the local Docker host"}}}
            .dump();
    record.deployment_id = revision_id;
    storage::TaskStore(db_).Insert(record);
    std::vector<storage::Tag> tags;
    if (revision.value("propagateTags", "NONE") == "DAEMON") {
      tags = storage::TagStore(db_).List(daemon_.at("daemonArn").get<std::string>());
    }
    if (revision.value("enableECSManagedTags", false)) {
      tags.push_back({"aws:ecs:clusterName", cluster_});
      tags.push_back({"aws:ecs:daemonName", name_});
    }
    if (!tags.empty()) storage::TagStore(db_).Put(doc.at("taskArn").get<std::string>(), tags);
    return true;
  }

  storage::Db& db_;
  storage::Partition partition_;
  aws::RequestContext context_;
  EcsDocumentStore store_;
  json daemon_;
  std::string key_;
  std::string cluster_;
  std::string name_;
  std::string deployment_id_;
  json deployment_;
  double deployment_created_ = 0;
  std::vector<storage::TaskRecord> tasks_;
  // Instances holding service tasks that have not stopped yet.
  std::set<std::string> with_service_tasks_;
};

// DELETE_IN_PROGRESS revisions no daemon runs become DELETED.
bool FinishDeletes(storage::Db& db) {
  bool changed = false;
  for (const auto& o : EcsDocumentStore::AllOfKind(db, EcsDocumentStore::kTaskDefinition)) {
    json doc = json::parse(o.document);
    json& shown = doc["daemonTaskDefinition"];
    if (shown.value("status", "") != "DELETE_IN_PROGRESS") continue;
    EcsDocumentStore store(db, o.partition);
    bool used = false;
    for (const auto& d : store.List(EcsDocumentStore::kDaemon, std::nullopt)) {
      const json berth = json::parse(d.document).value("berth", json::object());
      const auto revision =
          store.Find(EcsDocumentStore::kRevision, d.name, berth.value("revisionId", std::string()));
      if (!revision) continue;
      const json r = json::parse(revision->document)["berth"];
      used = used || (r.value("family", "") == o.name &&
                      DaemonRevisionKey(r.value("revision", int64_t{0})) == o.id);
    }
    if (used || storage::TaskStore(db).CountUsing(o.partition, o.name, std::stoll(o.id)) > 0) {
      continue;
    }
    shown["status"] = "DELETED";
    store.Put(o.kind, o.name, o.id, o.created_at, doc.dump());
    changed = true;
  }
  return changed;
}

}  // namespace

bool DaemonScheduler::Pass() {
  std::vector<storage::EcsDocument> daemons;
  try {
    auto lease = database_.Acquire();
    daemons = EcsDocumentStore::AllOfKind(lease.db(), EcsDocumentStore::kDaemon);
  } catch (const std::exception& e) {
    log::Error(std::string("daemon scheduler: cannot list daemons: ") + e.what());
    return false;
  }
  bool changed = false;
  for (const auto& daemon : daemons) {
    try {
      const json doc = json::parse(daemon.document);
      const std::string cluster = doc.at("berth").at("cluster").get<std::string>();
      const aws::RequestContext context{daemon.partition.account_id, daemon.partition.region, "",
                                        "", clock_.Now()};
      // The cluster's instances (under their own lease); none when the
      // cluster went away.
      std::vector<std::string> instances;
      std::vector<std::string> draining;
      if (doc.value("status", "") == "ACTIVE") {
        try {
          for (const auto& [status, into] :
               {std::pair<const char*, std::vector<std::string>*>{"ACTIVE", &instances},
                {"DRAINING", &draining}}) {
            std::string token;
            do {
              std::string next;
              for (auto& arn :
                   instances_.List(context, cluster, std::nullopt, status, 100, token, next)) {
                into->push_back(std::move(arn));
              }
              token = next;
            } while (!token.empty());
          }
        } catch (const std::exception&) {
          instances.clear();
          draining.clear();
        }
      }
      auto lease = database_.Acquire();
      storage::Tx tx(lease.db());
      DaemonPass pass(lease.db(), daemon.partition, clock_.Now());
      const bool moved =
          pass.Run(daemon.name, instances, std::set<std::string>(draining.begin(), draining.end()));
      tx.Commit();
      changed = changed || moved;
    } catch (const std::exception& e) {
      log::Error("daemon scheduler: daemon " + daemon.name + ": " + e.what());
    }
  }
  try {
    auto lease = database_.Acquire();
    storage::Tx tx(lease.db());
    const bool moved = FinishDeletes(lease.db());
    tx.Commit();
    changed = changed || moved;
  } catch (const std::exception& e) {
    log::Error(std::string("daemon scheduler: daemon task definitions: ") + e.what());
  }
  return changed;
}

}  // namespace berth::ecs
