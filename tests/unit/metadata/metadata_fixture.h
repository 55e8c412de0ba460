#pragma once

// The task endpoints in process: tasks recorded through the real ECS API, a
// reconciler on FakeDocker that offers the endpoints (its "listening" is
// recorded, and can be refused), and the MetadataHandler that serves them,
// fed requests that carry the source address a relayed request would have.

#include <memory>
#include <set>
#include <string>

#include "server/metadata/metadata_handler.h"
#include "server/metadata/task_credentials.h"
#include "server/reconciler/task_endpoints.h"
#include "tests/fakes/shared_fake.h"
#include "tests/unit/reconciler/reconciler_fixture.h"

namespace berth::testing {

class TaskEndpointsTest : public ReconcilerTest {
 protected:
  static constexpr uint16_t kPort = 4566;

  TaskEndpointsTest() { reconciler_ = MakeEndpointReconciler(); }

  std::unique_ptr<reconciler::Reconciler> MakeEndpointReconciler() {
    reconciler::ReconcilerOptions options{kInstance, docker::kPauseImage};
    options.steady_resync_seconds = 0;
    options.endpoints = &endpoints_;
    options.endpoint_port = kPort;
    options.listen_on = [this](const std::string& host) {
      listened_.insert(host);
      return listen_ok_;
    };
    options.host_berth_url = "http://127.0.0.1:4566";
    return std::make_unique<reconciler::Reconciler>(
        database_, docker_, nullptr, resolver_,
        [](const storage::Partition&) { return std::string("pw"); }, clock_, options);
  }

  // The task's runtime record, as the reconciler stored it.
  json Runtime(const std::string& arn) {
    const std::string id = arn.substr(arn.rfind('/') + 1);
    auto lease = database_.Acquire();
    const auto task = storage::TaskStore(lease.db()).FindById(id);
    return task ? json::parse(task->runtime) : json();
  }

  // The value of `name` in the environment of the task's container
  // `container` ("" when unset; "<unset>" when absent).
  std::string EnvOf(const std::string& arn, const std::string& container, const std::string& name) {
    const auto spec = docker_.SpecOf(DockerId(arn, container));
    if (!spec) return "<no container>";
    for (const auto& e : spec->env) {
      if (e.starts_with(name + "=")) return e.substr(name.size() + 1);
    }
    return "<unset>";
  }

  // A request as the task's relay would deliver it (from `from`, the task's
  // address by default).
  http::Response Get(const std::string& target, const std::string& from) {
    http::Request request;
    request.method = "GET";
    request.target = target;
    request.remote_address = from;
    return handler_.Handle(request);
  }
  http::Response Put(const std::string& target, const std::string& body, const std::string& from) {
    http::Request request;
    request.method = "PUT";
    request.target = target;
    request.body = body;
    request.remote_address = from;
    return handler_.Handle(request);
  }

  // A running awsvpc task of family `family` (registered with `extra`
  // task definition members); returns its ARN.
  std::string RunningAwsvpcTask(const std::string& family, json extra = json::object()) {
    json td = {{"family", family},
               {"networkMode", "awsvpc"},
               {"containerDefinitions",
                {Container("app", {{"portMappings", {{{"containerPort", 80}}}}})}}};
    td.update(extra);
    EcsOk("RegisterTaskDefinition", td);
    const std::string arn = RunAwsvpc(family);
    Pass(3);
    return arn;
  }

  reconciler::TaskEndpoints endpoints_;
  std::set<std::string> listened_;
  bool listen_ok_ = true;
  metadata::TaskCredentials credentials_{"test-secret"};
  metadata::MetadataHandler handler_{
      database_,
      endpoints_,
      credentials_,
      ecs_services_.protection,
      [this](const std::string&) -> std::unique_ptr<docker::DockerApi> {
        return std::make_unique<SharedFake>(docker_);
      },
      clock_};
};

}  // namespace berth::testing
