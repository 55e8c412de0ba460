#pragma once

// The reconciler against FakeDocker: tasks recorded through the real ECS API
// (dispatcher and services on :memory:) and a reconciler whose passes the
// test runs by hand, with time moved by hand (ReconcilerTest), each step
// inside the pass.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docker_backend/pause_image.h"
#include "server/reconciler/reconciler.h"
#include "tests/fakes/fake_docker.h"
#include "tests/support/api_fixture.h"

namespace berth::testing {

inline constexpr const char* kInstance = "test";

class ReconcilerTest : public ApiTest {
 protected:
  using json = nlohmann::json;

  ReconcilerTest() {
    ecs_services_.tasks.SetWaker([this] { ++pokes_; });
    EcsOk("CreateCluster", {{"clusterName", "c"}});
    docker_.AddImage("app:1");
  }

  // A reconciler that steps every due task inside ReconcileOnce, and
  // inspects running tasks on every pass.
  std::unique_ptr<reconciler::Reconciler> MakeReconciler() {
    reconciler::ReconcilerOptions options{kInstance, docker::kPauseImage};
    options.steady_resync_seconds = 0;
    return std::make_unique<reconciler::Reconciler>(
        database_, docker_, nullptr, resolver_,
        [](const storage::Partition&) { return std::string("pw"); }, clock_, options);
  }

  // `passes` reconciler passes, one second apart.
  void Pass(int passes = 1) {
    for (int i = 0; i < passes; ++i) {
      clock_.Advance(1);
      reconciler_->ReconcileOnce();
    }
  }

  // A container definition running app:1.
  static json Container(const std::string& name, json extra = json::object()) {
    json c = {{"name", name}, {"image", "app:1"}, {"memory", 64}};
    c.update(extra);
    return c;
  }

  void Register(const std::string& family, const json& containers,
                const std::string& mode = "bridge") {
    EcsOk("RegisterTaskDefinition",
          {{"family", family}, {"networkMode", mode}, {"containerDefinitions", containers}});
  }

  // RunTask in cluster c; returns the task ARN.
  std::string Run(const std::string& family, json extra = json::object()) {
    extra["cluster"] = "c";
    extra["taskDefinition"] = family;
    const json out = EcsOk("RunTask", extra);
    EXPECT_EQ(out["tasks"].size(), 1u) << out.dump();
    return out["tasks"].empty() ? "" : out["tasks"][0].value("taskArn", "");
  }

  std::string RunAwsvpc(const std::string& family) {
    return Run(family,
               {{"networkConfiguration", {{"awsvpcConfiguration", {{"subnets", {"subnet-1"}}}}}}});
  }

  json Task(const std::string& arn) {
    const json out = EcsOk("DescribeTasks", {{"cluster", "c"}, {"tasks", {arn}}});
    EXPECT_EQ(out["tasks"].size(), 1u) << out.dump();
    return out["tasks"].empty() ? json() : out["tasks"][0];
  }

  static json ContainerOf(const json& task, const std::string& name) {
    for (const auto& c : task["containers"]) {
      if (c["name"] == name) return c;
    }
    return json();
  }

  // The Docker id of the task container `name` (found by its labels).
  std::string DockerId(const std::string& arn, const std::string& name) {
    for (const auto& id : docker_.ContainerIds()) {
      const auto spec = docker_.SpecOf(id);
      if (spec && spec->labels.at(docker::kTaskArnLabel) == arn &&
          spec->labels.at(docker::kContainerNameLabel) == name) {
        return id;
      }
    }
    return "";
  }

  // The name of the network Berth made for `cluster` ("" when none).
  std::string ClusterNetwork(const std::string& cluster) {
    const auto found = docker_.ListNetworks({"berth.cluster=" + cluster, "berth.managed=1",
                                             std::string("berth.instance=") + kInstance});
    EXPECT_EQ(found.size(), 1u);
    return found.empty() ? "" : found[0].name;
  }

  // "Method(args)" of the mutating calls on one container, in order.
  std::vector<std::string> MutationsOf(const std::string& id) {
    std::vector<std::string> out;
    for (const auto& call : docker_.MutatingCalls()) {
      if (!call.args.empty() && call.args[0] == id) out.push_back(call.ToString());
    }
    return out;
  }

  FakeDocker docker_;
  reconciler::ImageResolver resolver_{"localhost:4566",
                                      [](const storage::Partition&, const std::string& repository) {
                                        return repository == "mine";
                                      }};
  std::unique_ptr<reconciler::Reconciler> reconciler_ = MakeReconciler();
  int pokes_ = 0;
};

}  // namespace berth::testing
