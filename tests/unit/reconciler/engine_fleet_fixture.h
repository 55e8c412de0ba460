#pragma once

// Container instances that stand for other Docker engines (issue 13), above
// the Docker seam: instances registered through the real API with the
// attribute berth.docker-host (the engine probe answers from a table), and a
// reconciler whose clients of those engines are FakeDockers of their own,
// with the service scheduler as its control plane and the listeners of
// tasks on other engines recorded. Shared by engine_fleet_test.cc and
// engine_fleet_endpoints_test.cc.

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/ecs/service_scheduler.h"
#include "tests/fakes/fake_log_sink.h"
#include "tests/fakes/shared_fake.h"
#include "tests/unit/reconciler/reconciler_fixture.h"

namespace berth::testing {

inline constexpr const char* kEngineA = "tcp://10.9.1.2:2375";
inline constexpr const char* kEngineB = "unix:///run/engine-b.sock";

class EngineFleetTest : public ReconcilerTest {
 protected:
  EngineFleetTest() {
    engines_[kEngineA] = std::make_unique<FakeDocker>();
    engines_[kEngineB] = std::make_unique<FakeDocker>();
    facts_[kEngineA] = {4, int64_t{8} << 30, "linux", "aarch64", "10.9.1.1"};
    facts_[kEngineB] = {2, int64_t{2} << 30, "linux", "x86_64", ""};
    for (auto& [endpoint, fake] : engines_) fake->AddImage("app:1");
    ecs_services_.container_instances.SetEngineProber(
        [this](const std::string& endpoint, const std::string& cert_path) {
          probed_cert_paths_.push_back(cert_path);
          const auto found = facts_.find(endpoint);
          if (found == facts_.end()) throw std::runtime_error("Couldn't connect to server");
          return found->second;
        });
    reconciler::ReconcilerOptions options{kInstance, docker::kPauseImage};
    options.steady_resync_seconds = 0;
    options.endpoint_port = 4566;
    options.endpoints = &endpoints_;
    options.listen_on = [this](const std::string& host) {
      listened_.push_back(host);
      return true;
    };
    // Listeners of tasks on other engines: recorded, on ports from
    // kFirstTaskPort up (or refused).
    options.task_listeners.open = [this](const std::string& host, uint16_t port) -> uint16_t {
      std::lock_guard lock(listeners_mutex_);
      if (refuse_listeners_) return 0;
      const uint16_t bound = port != 0 ? port : next_task_port_++;
      open_listeners_.insert({host, bound});
      return bound;
    };
    options.task_listeners.close = [this](const std::string& host, uint16_t port) {
      std::lock_guard lock(listeners_mutex_);
      open_listeners_.erase({host, port});
    };
    options.engine_client = [this](const std::string& endpoint) {
      const auto found = engines_.find(endpoint);
      if (found == engines_.end()) throw std::invalid_argument("no such engine");
      return std::unique_ptr<docker::DockerApi>(std::make_unique<SharedFake>(*found->second));
    };
    options_ = options;
    reconciler_ = FleetReconciler(/*collect_awslogs=*/false);
    // The service scheduler as the control plane, as in Berth.
    ecs_services_.SetWaker([this] { services_.MarkAllDirty(); });
    EcsOk("CreateCluster", {{"clusterName", "fleet"}});
    // The local instance --register-local-instance gave the cluster goes:
    // the fleet is the two engines.
    const json listed = EcsOk("ListContainerInstances", {{"cluster", "fleet"}});
    for (const auto& arn : listed["containerInstanceArns"]) {
      EcsOk("DeregisterContainerInstance",
            {{"cluster", "fleet"}, {"containerInstance", arn}, {"force", true}});
    }
  }

  // The reconciler goes before the sink and engines its threads use.
  ~EngineFleetTest() override { reconciler_.reset(); }

  // The fleet's reconciler, with the service scheduler as its control plane;
  // collecting awslogs output into sink_ when asked (then it also has clients
  // of the local engine, as Berth's has).
  std::unique_ptr<reconciler::Reconciler> FleetReconciler(bool collect_awslogs) {
    auto r = std::make_unique<reconciler::Reconciler>(
        database_, docker_,
        collect_awslogs ? reconciler::DockerClientFactory(
                              [this] { return std::make_unique<SharedFake>(docker_); })
                        : nullptr,
        resolver_, [](const storage::Partition&) { return std::string("pw"); }, clock_, options_);
    r->SetControlPlane([this] { return services_.Pass(); });
    r->SetTaskObserver([this](const storage::TaskRecord& t) { services_.TaskChanged(t); });
    if (collect_awslogs) {
      reconciler::LogCollectorOptions collector;
      collector.limits.flush_period = std::chrono::milliseconds(10);
      collector.retry_delay = std::chrono::milliseconds(50);
      r->SetLogSink(&sink_, collector);
    }
    return r;
  }

  // Registers the engine at `endpoint` (extra attributes optional); returns
  // the instance.
  json RegisterEngine(const std::string& endpoint, json attributes = json::array()) {
    attributes.push_back({{"name", "berth.docker-host"}, {"value", endpoint}});
    return EcsOk("RegisterContainerInstance",
                 {{"cluster", "fleet"}, {"attributes", attributes}})["containerInstance"];
  }

  static std::string Attribute(const json& instance, const std::string& name) {
    for (const auto& a : instance["attributes"]) {
      if (a["name"] == name) return a.value("value", "");
    }
    return "<absent>";
  }

  static int64_t Resource(const json& instance, const std::string& name) {
    for (const auto& r : instance["registeredResources"]) {
      if (r["name"] == name) return r["integerValue"];
    }
    return -1;
  }

  std::string RunOn(const std::string& family, const json& instance) {
    const json out = EcsOk(
        "RunTask",
        {{"cluster", "fleet"},
         {"taskDefinition", family},
         {"placementConstraints",
          {{{"type", "memberOf"},
            {"expression", "ec2InstanceId == " + instance["ec2InstanceId"].get<std::string>()}}}}});
    EXPECT_EQ(out["tasks"].size(), 1u) << out.dump();
    return out["tasks"].empty() ? "" : out["tasks"][0].value("taskArn", "");
  }

  // Runs one task of the awsvpc `family` (with `overrides` when given);
  // returns its ARN ("" when none was started).
  std::string RunAwsvpc(const std::string& family, const json& overrides = json::object()) {
    json request = {
        {"cluster", "fleet"},
        {"taskDefinition", family},
        {"networkConfiguration", {{"awsvpcConfiguration", {{"subnets", {"subnet-1"}}}}}}};
    if (!overrides.empty()) request["overrides"] = overrides;
    const json out = EcsOk("RunTask", request);
    EXPECT_EQ(out["tasks"].size(), 1u) << out.dump();
    return out["tasks"].empty() ? "" : out["tasks"][0].value("taskArn", "");
  }

  // The task's runtime record, as the reconciler stored it.
  json Runtime(const std::string& arn) {
    auto lease = database_.Acquire();
    const auto task = storage::TaskStore(lease.db()).FindById(arn.substr(arn.rfind('/') + 1));
    return task ? json::parse(task->runtime) : json();
  }

  json FleetTask(const std::string& arn) {
    const json out = EcsOk("DescribeTasks", {{"cluster", "fleet"}, {"tasks", {arn}}});
    return out["tasks"].empty() ? json() : out["tasks"][0];
  }

  // The containers of task `arn` on `fake`.
  static std::vector<std::string> ContainersOf(FakeDocker& fake, const std::string& arn) {
    std::vector<std::string> out;
    for (const auto& c : fake.ListContainers({std::string(docker::kTaskArnLabel) + "=" + arn})) {
      out.push_back(c.id);
    }
    return out;
  }

  FakeDocker& Engine(const std::string& endpoint) { return *engines_.at(endpoint); }

  // Expects the ECS error `type` with exactly `message`.
  void EcsFails(const std::string& operation, const json& input, const std::string& type,
                const std::string& message) {
    const ApiReply r = Ecs(operation, input);
    EXPECT_EQ(r.status, 400u) << operation << ": " << r.raw;
    EXPECT_EQ(r.error_type(), type) << r.raw;
    EXPECT_EQ(r.message(), message) << r.raw;
  }

  json Instance(const std::string& arn) {
    return EcsOk("DescribeContainerInstances",
                 {{"cluster", "fleet"}, {"containerInstances", {arn}}})["containerInstances"][0];
  }

  std::set<reconciler::ArrivalListener> OpenListeners() {
    std::lock_guard lock(listeners_mutex_);
    return open_listeners_;
  }
  // As a restart does (the ports are not handed out again).
  void ForgetListeners() {
    std::lock_guard lock(listeners_mutex_);
    open_listeners_.clear();
  }

  static constexpr uint16_t kFirstTaskPort = 40000;
  std::mutex listeners_mutex_;
  std::set<reconciler::ArrivalListener> open_listeners_;  // guarded by listeners_mutex_
  uint16_t next_task_port_ = kFirstTaskPort;              // guarded by listeners_mutex_
  bool refuse_listeners_ = false;                         // guarded by listeners_mutex_

  ecs::ServiceScheduler services_{database_, ecs::HostResources{4096, 8192}, clock_};
  std::map<std::string, std::unique_ptr<FakeDocker>> engines_;
  std::map<std::string, ecs::EngineFacts> facts_;
  std::vector<std::string> listened_;
  std::vector<std::string> probed_cert_paths_;  // what each probe was given
  reconciler::TaskEndpoints endpoints_;
  reconciler::ReconcilerOptions options_{kInstance, docker::kPauseImage};
  FakeLogSink sink_;
};

}  // namespace berth::testing
