// The task endpoints at 169.254.170.2 for awsvpc tasks on another engine
// (engine_fleet_fixture.h): the listener Berth opens for each such task, the
// pause program's relay to it, which requests are the task's, stats from the
// task's engine, the listener after a restart and when the task stops; and
// where no listener opens, the address staying local to the task.

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/metadata/metadata_handler.h"
#include "server/metadata/task_credentials.h"
#include "tests/unit/reconciler/engine_fleet_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using reconciler::ArrivalListener;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST_F(EngineFleetTest, AnAwsvpcTaskOnAnotherEngineIsServedItsEndpointsOnAListenerOfItsOwn) {
  RegisterEngine(kEngineA);
  Register("net", json::array({Container("app")}), "awsvpc");
  const std::string arn = RunAwsvpc("net", {{"taskRoleArn", "arn:aws:iam::000000000000:role/app"}});
  ASSERT_FALSE(arn.empty());
  Pass(3);
  ASSERT_EQ(FleetTask(arn)["lastStatus"], "RUNNING") << FleetTask(arn).dump();

  // Berth listens for this task alone where engine A reaches it, and the
  // pause program relays the task's 169.254.170.2 there (the port is also
  // on the pause container, for a Berth that stops before recording it).
  const ArrivalListener listener{"10.9.1.1", kFirstTaskPort};
  EXPECT_EQ(OpenListeners(), std::set<ArrivalListener>{listener});
  std::string app_id;
  bool paused = false;
  for (const auto& id : ContainersOf(Engine(kEngineA), arn)) {
    const auto spec = Engine(kEngineA).SpecOf(id);
    if (!spec) continue;
    if (spec->image != docker::kPauseImage) {
      app_id = id;
      continue;
    }
    paused = true;
    EXPECT_EQ(spec->command.value_or(std::vector<std::string>{}),
              (std::vector<std::string>{"relay", "10.9.1.1", std::to_string(kFirstTaskPort)}));
    EXPECT_EQ(spec->labels.at(reconciler::kArrivalLabel),
              "10.9.1.1:" + std::to_string(kFirstTaskPort));
    EXPECT_THAT(spec->cap_add, Contains("NET_ADMIN"));
  }
  ASSERT_TRUE(paused);
  ASSERT_FALSE(app_id.empty());

  // The app gets the endpoints, as on the local engine.
  const auto env = Engine(kEngineA).SpecOf(app_id)->env;
  const auto value = [&env](const std::string& name) {
    for (const auto& e : env) {
      if (e.starts_with(name + "=")) return e.substr(name.size() + 1);
    }
    return std::string("<unset>");
  };
  const std::string metadata_uri = value("ECS_CONTAINER_METADATA_URI_V4");
  ASSERT_TRUE(metadata_uri.starts_with("http://169.254.170.2/v4/")) << metadata_uri;
  const std::string credentials_uri = value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  ASSERT_TRUE(credentials_uri.starts_with("/v2/credentials/")) << credentials_uri;
  const std::string metadata_path = metadata_uri.substr(std::string("http://169.254.170.2").size());

  // Requests relayed from engine A arrive from its address, on the task's
  // port: they are the task's. Stats come from engine A.
  metadata::TaskCredentials credentials("test-secret");
  metadata::MetadataHandler handler(
      database_, endpoints_, credentials, ecs_services_.protection,
      [this](const std::string& engine) -> std::unique_ptr<docker::DockerApi> {
        if (engine == engines::kLocal) return std::make_unique<SharedFake>(docker_);
        return std::make_unique<SharedFake>(Engine(engine));
      },
      clock_);
  const auto get = [&handler](const std::string& target, uint16_t port, const std::string& from) {
    http::Request request;
    request.method = "GET";
    request.target = target;
    request.remote_address = from;
    request.added_listener = true;
    request.local_port = port;
    return handler.Handle(request);
  };
  const std::string engine_address = "10.9.1.2";
  http::Response task = get(metadata_path + "/task", kFirstTaskPort, engine_address);
  ASSERT_EQ(task.status, 200u) << task.body;
  EXPECT_EQ(json::parse(task.body).value("TaskARN", ""), arn);
  const http::Response stats = get(metadata_path + "/stats", kFirstTaskPort, engine_address);
  ASSERT_EQ(stats.status, 200u) << stats.body;
  EXPECT_EQ(json::parse(stats.body).value("id", ""), app_id);
  const http::Response role = get(credentials_uri, kFirstTaskPort, engine_address);
  ASSERT_EQ(role.status, 200u) << role.body;
  EXPECT_TRUE(json::parse(role.body).contains("AccessKeyId")) << role.body;

  // Anywhere else, the ids lead nowhere: Berth's own port, another task's
  // port, or the task's address (which on engine A is not where requests
  // come from).
  const std::string task_ip =
      FleetTask(arn)["containers"][0]["networkInterfaces"][0].value("privateIpv4Address", "");
  EXPECT_EQ(get(metadata_path + "/task", 4566, engine_address).status, 404u);
  EXPECT_EQ(get(metadata_path + "/task", kFirstTaskPort + 1, engine_address).status, 404u);
  EXPECT_EQ(get(metadata_path + "/task", 4566, task_ip).status, 404u);
  EXPECT_EQ(get(credentials_uri, 4566, engine_address).status, 400u);

  // A restarted Berth listens on the task's port again, and serves it.
  endpoints_.ForgetAll();
  ForgetListeners();
  reconciler_ = FleetReconciler(/*collect_awslogs=*/false);
  Pass();
  EXPECT_EQ(OpenListeners(), std::set<ArrivalListener>{listener});
  EXPECT_EQ(get(metadata_path + "/task", kFirstTaskPort, engine_address).status, 200u);

  // The listener closes with the task, and the ids die.
  EcsOk("StopTask", {{"cluster", "fleet"}, {"task", arn}});
  Pass(3);
  ASSERT_EQ(FleetTask(arn)["lastStatus"], "STOPPED");
  EXPECT_THAT(OpenListeners(), IsEmpty());
  EXPECT_EQ(get(metadata_path + "/task", kFirstTaskPort, engine_address).status, 404u);
}

TEST_F(EngineFleetTest, ATaskListenerOpenedBeforeItsEngineBecameUnreachableIsClosedAgain) {
  // Given engine A, unreachable just when the task's pause container is made
  RegisterEngine(kEngineA);
  Register("net", json::array({Container("app")}), "awsvpc");
  Engine(kEngineA).FailNext("CreateContainer", FakeDocker::Unreachable());
  const std::string arn = RunAwsvpc("net");
  ASSERT_FALSE(arn.empty());

  // When the reconciler's step fails there
  Pass();

  // Then the listener it had opened for the task is closed again
  EXPECT_THAT(OpenListeners(), IsEmpty());
  // and once the engine answers, the task runs with one listener, not two
  Pass(3);
  ASSERT_EQ(FleetTask(arn)["lastStatus"], "RUNNING") << FleetTask(arn).dump();
  EXPECT_EQ(OpenListeners().size(), 1u);
}

TEST_F(EngineFleetTest, WhereNoListenerOpensForATaskOnAnotherEngine169254StaysLocal) {
  RegisterEngine(kEngineA);
  {
    std::lock_guard lock(listeners_mutex_);
    refuse_listeners_ = true;
  }
  Register("net", json::array({Container("app")}), "awsvpc");
  const std::string arn = RunAwsvpc("net");
  ASSERT_FALSE(arn.empty());
  Pass(3);
  ASSERT_EQ(FleetTask(arn)["lastStatus"], "RUNNING") << FleetTask(arn).dump();
  for (const auto& id : ContainersOf(Engine(kEngineA), arn)) {
    const auto spec = Engine(kEngineA).SpecOf(id);
    if (!spec) continue;
    if (spec->image == docker::kPauseImage) {
      EXPECT_EQ(spec->command.value_or(std::vector<std::string>{}),
                std::vector<std::string>{"local"});
      EXPECT_THAT(spec->cap_add, Contains("NET_ADMIN"));
      EXPECT_FALSE(spec->labels.contains(reconciler::kArrivalLabel));
    } else {
      for (const auto& e : spec->env) EXPECT_FALSE(e.starts_with("ECS_CONTAINER_METADATA_URI"));
    }
  }
  EXPECT_THAT(Runtime(arn)["notes"].dump(),
              HasSubstr("Berth cannot listen for the task on 10.9.1.1, where its Docker engine "
                        "reaches Berth"));
}
}  // namespace
}  // namespace berth::testing
