// The task endpoints as a task's containers see them: metadata v4/v3 in the
// agent's shapes, stats from Docker, task-role credentials, the agent's
// task-protection API, and nothing at all for a request that does not come
// from the task itself.

#include "server/ecs/service_scheduler.h"
#include "tests/unit/metadata/metadata_fixture.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class MetadataHandlerTest : public TaskEndpointsTest {
 protected:
  // A running task and where its requests come from.
  void Start(json extra = json::object()) {
    arn_ = RunningAwsvpcTask("web", std::move(extra));
    const json runtime = Runtime(arn_);
    address_ = runtime["pause"].value("ip", "");
    endpoint_ = runtime["endpointIds"].value("app", "");
    credentials_id_ = runtime.value("credentialsId", "");
    ASSERT_FALSE(address_.empty());
    ASSERT_FALSE(endpoint_.empty());
  }

  json Body(const http::Response& response) { return json::parse(response.body); }

  std::string arn_;
  std::string address_;
  std::string endpoint_;
  std::string credentials_id_;
};

TEST_F(MetadataHandlerTest, ServesItsPathsAndLeavesTheRegistryAlone) {
  using metadata::MetadataHandler;
  EXPECT_TRUE(MetadataHandler::Serves("/v4/abc"));
  EXPECT_TRUE(MetadataHandler::Serves("/v3/abc/task"));
  EXPECT_TRUE(MetadataHandler::Serves("/api/abc/task-protection/v1/state"));
  EXPECT_TRUE(MetadataHandler::Serves("/v2/credentials/0b1e"));
  EXPECT_TRUE(MetadataHandler::Serves("/v2/credentials"));
  EXPECT_TRUE(MetadataHandler::Serves("/v1/credentials"));
  EXPECT_FALSE(MetadataHandler::Serves("/v2/credentials/manifests/latest"));
  EXPECT_FALSE(MetadataHandler::Serves("/v2/credentials/tags/list"));
  EXPECT_FALSE(MetadataHandler::Serves("/v2/"));
  EXPECT_FALSE(MetadataHandler::Serves("/v2/web/blobs/uploads/"));
}

TEST_F(MetadataHandlerTest, TheBasePathDescribesTheCallingContainer) {
  Start();
  const http::Response res = Get("/v4/" + endpoint_, address_);
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.headers.Get("Content-Type").value_or(""), "application/json");
  const json c = Body(res);
  EXPECT_EQ(c["DockerId"], DockerId(arn_, "app"));
  EXPECT_EQ(c["Name"], "app");
  EXPECT_THAT(c.value("DockerName", ""), StartsWith("ecs-web-1-app-"));
  EXPECT_EQ(c["Image"], "app:1");
  EXPECT_EQ(c["Labels"]["com.amazonaws.ecs.task-arn"], arn_);
  EXPECT_EQ(c["Labels"]["com.amazonaws.ecs.task-definition-version"], "1");
  EXPECT_EQ(c["DesiredStatus"], "RUNNING");
  EXPECT_EQ(c["KnownStatus"], "RUNNING");
  EXPECT_EQ(c["Limits"], json({{"CPU", 2}, {"Memory", 64}}));
  EXPECT_EQ(c["Type"], "NORMAL");
  EXPECT_EQ(c["Networks"][0]["NetworkMode"], "awsvpc");
  EXPECT_EQ(c["Networks"][0]["IPv4Addresses"], json::array({address_}));
  EXPECT_EQ(c["Networks"][0]["AttachmentIndex"], 0);
  EXPECT_EQ(c["Ports"][0]["ContainerPort"], 80);
  EXPECT_EQ(c["ContainerARN"], ContainerOf(Task(arn_), "app")["containerArn"]);
  EXPECT_FALSE(c.contains("Health"));  // no health check
  EXPECT_FALSE(c.contains("ExitCode"));
}

TEST_F(MetadataHandlerTest, AwslogsOptionsAreReportedAsEcsHandsThemToDocker) {
  Start({{"containerDefinitions",
          {Container("app",
                     {{"logConfiguration",
                       {{"logDriver", "awslogs"},
                        {"options",
                         {{"awslogs-group", "/ecs/web"}, {"awslogs-stream-prefix", "ecs"}}}}}})}}});
  const json c = Body(Get("/v4/" + endpoint_, address_));
  EXPECT_EQ(c["LogDriver"], "awslogs");
  EXPECT_EQ(c["LogOptions"]["awslogs-group"], "/ecs/web");
  EXPECT_EQ(c["LogOptions"]["awslogs-region"], "us-east-1");
  EXPECT_EQ(c["LogOptions"]["awslogs-stream"], "ecs/app/" + arn_.substr(arn_.rfind('/') + 1));
  EXPECT_FALSE(c["LogOptions"].contains("awslogs-stream-prefix"));
}

TEST_F(MetadataHandlerTest, TheTaskPathDescribesTheTaskInTheAgentsShape) {
  Start({{"cpu", "256"}, {"memory", "512"}});
  const json t = Body(Get("/v4/" + endpoint_ + "/task", address_));
  EXPECT_EQ(t["Cluster"], "c");  // EC2: the short name
  EXPECT_EQ(t["TaskARN"], arn_);
  EXPECT_EQ(t["Family"], "web");
  EXPECT_EQ(t["Revision"], "1");  // a string
  EXPECT_EQ(t["DesiredStatus"], "RUNNING");
  EXPECT_EQ(t["KnownStatus"], "RUNNING");
  EXPECT_EQ(t["Limits"], json({{"CPU", 0.25}, {"Memory", 512}}));
  EXPECT_THAT(t.value("PullStartedAt", ""),
              ::testing::MatchesRegex(R"([0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z)"));
  EXPECT_TRUE(t.contains("PullStoppedAt"));
  EXPECT_EQ(t["AvailabilityZone"], "us-east-1a");
  EXPECT_EQ(t["LaunchType"], "EC2");
  EXPECT_EQ(t["FaultInjectionEnabled"], false);
  EXPECT_EQ(t["Containers"].size(), 1u);
  EXPECT_FALSE(t.contains("ServiceName"));
  EXPECT_FALSE(t.contains("TaskTags"));

  EcsOk("TagResource", {{"resourceArn", arn_}, {"tags", {{{"key", "team"}, {"value", "a"}}}}});
  const json tagged = Body(Get("/v4/" + endpoint_ + "/taskWithTags", address_));
  EXPECT_EQ(tagged["TaskTags"], json({{"team", "a"}}));
}

TEST_F(MetadataHandlerTest, OnlyTheTaskItselfIsAnswered) {
  Start();
  for (const std::string path : {"", "/task", "/stats", "/task/stats"}) {
    const http::Response res = Get("/v4/" + endpoint_ + path, "172.30.0.99");
    EXPECT_EQ(res.status, 404u) << path;
    EXPECT_TRUE(Body(res).is_string()) << res.body;
    EXPECT_THAT(Body(res).get<std::string>(), StartsWith("V4 ")) << res.body;
  }
  EXPECT_EQ(Get("/v4/" + endpoint_, "").status, 404u);
  EXPECT_EQ(Get("/v4/nonsense/task", address_).status, 404u);
  EXPECT_EQ(Get("/v3/" + endpoint_ + "/elsewhere", address_).status, 404u);
}

TEST_F(MetadataHandlerTest, StatsComeFromDockerWithThePreviousSample) {
  Start();
  const std::string docker_id = DockerId(arn_, "app");
  const json first = Body(Get("/v4/" + endpoint_ + "/stats", address_));
  EXPECT_EQ(first["id"], docker_id);
  EXPECT_TRUE(first["cpu_stats"].contains("cpu_usage"));
  EXPECT_TRUE(first.contains("network_rate_stats"));
  clock_.Advance(1);
  const json second = Body(Get("/v4/" + endpoint_ + "/stats", address_));
  EXPECT_EQ(second["precpu_stats"], first["cpu_stats"]);
  EXPECT_EQ(second["preread"], first["read"]);

  const json all = Body(Get("/v4/" + endpoint_ + "/task/stats", address_));
  ASSERT_TRUE(all.contains(docker_id)) << all.dump();
  EXPECT_TRUE(all[docker_id].contains("memory_stats"));
  // v3 has no network rates.
  EXPECT_FALSE(Body(Get("/v3/" + endpoint_ + "/stats", address_)).contains("network_rate_stats"));
}

TEST_F(MetadataHandlerTest, CredentialsAreTheTasksAndOnlyItsOwn) {
  Start({{"taskRoleArn", "arn:aws:iam::000000000000:role/app"}});
  ASSERT_FALSE(credentials_id_.empty());
  const http::Response res = Get("/v2/credentials/" + credentials_id_, address_);
  ASSERT_EQ(res.status, 200u) << res.body;
  const json c = Body(res);
  EXPECT_EQ(c["RoleArn"], "arn:aws:iam::000000000000:role/app");
  EXPECT_EQ(c["AccessKeyId"], "000000000000");  // the task's account
  EXPECT_EQ(c.value("SecretAccessKey", "").size(), 40u);
  EXPECT_GT(c.value("Token", "").size(), 40u);
  EXPECT_THAT(c.value("Expiration", ""),
              ::testing::MatchesRegex(R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)"));
  // The same set within the hour; the legacy path agrees.
  EXPECT_EQ(Body(Get("/v1/credentials?id=" + credentials_id_, address_)), c);

  const http::Response elsewhere = Get("/v2/credentials/" + credentials_id_, "172.30.0.99");
  EXPECT_EQ(elsewhere.status, 400u);
  EXPECT_EQ(Body(elsewhere), json({{"code", "InvalidIdInRequest"},
                                   {"message", "CredentialsV2Request: Credentials not found"}}));
  EXPECT_EQ(
      Body(Get("/v2/credentials/", address_)),
      json({{"code", "NoIdInRequest"}, {"message", "CredentialsV2Request: No ID in the request"}}));
  EXPECT_EQ(Body(Get("/v1/credentials", address_))["code"], "NoIdInRequest");

  EcsOk("StopTask", {{"cluster", "c"}, {"task", arn_}});
  Pass(3);
  EXPECT_EQ(Get("/v2/credentials/" + credentials_id_, address_).status, 400u);
}

TEST_F(MetadataHandlerTest, CredentialsRotateBeforeTheyExpire) {
  Start({{"taskRoleArn", "arn:aws:iam::000000000000:role/app"}});
  const json first = Body(Get("/v2/credentials/" + credentials_id_, address_));
  clock_.Advance(3600);
  const json later = Body(Get("/v2/credentials/" + credentials_id_, address_));
  EXPECT_NE(first["SecretAccessKey"], later["SecretAccessKey"]);
  EXPECT_NE(first["Expiration"], later["Expiration"]);
}

TEST_F(MetadataHandlerTest, TaskProtectionNeedsARoleAndAServiceTask) {
  Start();
  const std::string path = "/api/" + endpoint_ + "/task-protection/v1/state";
  const http::Response no_role = Get(path, address_);
  EXPECT_EQ(no_role.status, 403u);
  EXPECT_EQ(Body(no_role)["error"]["Code"], "AccessDeniedException");
  EXPECT_EQ(Body(no_role)["error"]["Message"],
            "Invalid Request: no task IAM role credentials available for task");
  EXPECT_EQ(Body(Get("/api/unknown/task-protection/v1/state", address_)),
            json({{"error",
                   {{"Code", "ResourceNotFoundException"},
                    {"Message", "Failed to find a task for the request"}}}}));
}

TEST_F(MetadataHandlerTest, TaskProtectionAnswersForAStandaloneTaskWithAFailure) {
  Start({{"taskRoleArn", "arn:aws:iam::000000000000:role/app"}});
  const std::string path = "/api/" + endpoint_ + "/task-protection/v1/state";
  const http::Response get = Get(path, address_);
  ASSERT_EQ(get.status, 200u) << get.body;
  EXPECT_EQ(Body(get)["failure"]["Reason"], "TASK_NOT_VALID");
  EXPECT_EQ(Body(get)["failure"]["Arn"], arn_);

  const http::Response bad = Put(path, "{\"Nope\":1}", address_);
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(Body(bad)["error"]["Message"], "UpdateTaskProtection: failed to decode request");
  const http::Response missing = Put(path, "{\"expiresInMinutes\":5}", address_);
  EXPECT_EQ(missing.status, 400u);
  EXPECT_EQ(Body(missing)["error"]["Message"],
            "Invalid request: does not contain 'ProtectionEnabled' field");
  const http::Response put = Put(path, "{\"protectionEnabled\":true}", address_);
  EXPECT_EQ(put.status, 200u);
  EXPECT_EQ(Body(put)["failure"]["Reason"], "TASK_NOT_VALID");
}

TEST_F(MetadataHandlerTest, AServiceTaskCanProtectItself) {
  ecs::ServiceScheduler scheduler(database_, ecs::HostResources{4096, 8192}, clock_);
  reconciler_->SetControlPlane([&scheduler] { return scheduler.Pass(); });
  EcsOk("RegisterTaskDefinition", {{"family", "svc"},
                                   {"networkMode", "awsvpc"},
                                   {"taskRoleArn", "arn:aws:iam::000000000000:role/app"},
                                   {"containerDefinitions", {Container("app")}}});
  EcsOk("CreateService",
        {{"cluster", "c"},
         {"serviceName", "s"},
         {"taskDefinition", "svc"},
         {"desiredCount", 1},
         {"networkConfiguration", {{"awsvpcConfiguration", {{"subnets", {"subnet-1"}}}}}}});
  Pass(4);
  const json tasks = EcsOk("ListTasks", {{"cluster", "c"}, {"serviceName", "s"}});
  ASSERT_EQ(tasks["taskArns"].size(), 1u) << tasks.dump();
  const std::string arn = tasks["taskArns"][0];
  const json runtime = Runtime(arn);
  const std::string path =
      "/api/" + runtime["endpointIds"].value("app", "") + "/task-protection/v1/state";
  const std::string from = runtime["pause"].value("ip", "");
  const http::Response put = Put(path, R"({"ProtectionEnabled":true,"ExpiresInMinutes":60})", from);
  ASSERT_EQ(put.status, 200u) << put.body;
  const json protection = Body(put)["protection"];
  EXPECT_EQ(protection["ProtectionEnabled"], true);
  EXPECT_EQ(protection["TaskArn"], arn);
  EXPECT_THAT(protection.value("ExpirationDate", ""),
              ::testing::MatchesRegex(R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)"));
  EXPECT_EQ(Body(Get(path, from))["protection"]["ProtectionEnabled"], true);
  // The ECS API sees the same.
  const json api = EcsOk("GetTaskProtection", {{"cluster", "c"}, {"tasks", {arn}}});
  EXPECT_EQ(api["protectedTasks"][0]["protectionEnabled"], true);
}

}  // namespace
}  // namespace berth::testing
