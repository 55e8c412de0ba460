// The berth process itself: flags, start-up, health and reset, state that
// survives a restart, clean shutdown, and the HTTP/protocol edges seen over a
// real socket (curl).

#include <chrono>
#include <cstdlib>
#include <signal.h>
#include <sys/wait.h>
#include <thread>

#include <gtest/gtest.h>

#include "storage/migrations.h"
#include "storage/sqlite/db.h"
#include "tests/support/berth_server.h"

namespace berth::testing {
namespace {

using nlohmann::json;

HttpReply AwsCall(const BerthServer& server, const std::string& target, const std::string& body,
                  const std::string& content_type = "application/x-amz-json-1.1") {
  return Curl(server.endpoint() + "/", {"-X", "POST", "-H", "X-Amz-Target: " + target, "-H",
                                        "Content-Type: " + content_type, "--data-binary", body});
}

TEST(ServerTest, HealthReportsVersionAndReadiness) {
  BerthServer server;
  const HttpReply reply = Curl(server.endpoint() + "/_berth/health");
  ASSERT_EQ(reply.status, 200);
  const json health = json::parse(reply.body);
  EXPECT_EQ(health["ready"], true);
  EXPECT_TRUE(health.contains("version"));
}

TEST(ServerTest, StatsReportWhatTheCheckpointerDid) {
  BerthServer server;
  // Given a write (a cluster), then a pause in writes: the idle checkpoint
  // copies the WAL into the database
  ASSERT_EQ(
      AwsCall(server, "AmazonEC2ContainerServiceV20141113.CreateCluster", R"({"clusterName":"s"})")
          .status,
      200);
  json figures;
  for (int i = 0; i < 100; ++i) {
    const HttpReply reply = Curl(server.endpoint() + "/_berth/stats");
    ASSERT_EQ(reply.status, 200);
    figures = json::parse(reply.body).at("walCheckpoints");
    if (figures.at("checkpoints").get<int64_t>() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Then the stats count it, and every figure is there as a number
  EXPECT_GE(figures.at("checkpoints").get<int64_t>(), 1);
  for (const char* name :
       {"catchUps", "longestCatchUpMicros", "closeIns", "largestCatchUpCopyPages", "shrinks",
        "writeBehinds", "databaseSyncs", "walRestarts", "failures"}) {
    ASSERT_TRUE(figures.contains(name)) << name;
    EXPECT_TRUE(figures.at(name).is_number_integer()) << name;
  }
  EXPECT_EQ(figures.at("failures"), 0);
  // and the path answers GET only
  const HttpReply post = Curl(server.endpoint() + "/_berth/stats", {"-X", "POST"});
  EXPECT_EQ(post.status, 405);
}

TEST(ServerTest, StateSurvivesARestart) {
  TempDir data;
  json before;
  {
    BerthServer server({}, data.path());
    ASSERT_EQ(AwsCall(server, "AmazonEC2ContainerServiceV20141113.CreateCluster",
                      R"({"clusterName":"keep"})")
                  .status,
              200);
    ASSERT_EQ(AwsCall(server, "AmazonEC2ContainerRegistry_V20150921.CreateRepository",
                      R"({"repositoryName":"keep/me"})")
                  .status,
              200);
    before = json::parse(
        AwsCall(server, "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories", "{}").body);
    EXPECT_TRUE(server.Stop());
  }
  BerthServer server({"--registry-host", "localhost:4566"}, data.path());
  const json clusters =
      json::parse(AwsCall(server, "AmazonEC2ContainerServiceV20141113.DescribeClusters",
                          R"({"clusters":["keep"]})")
                      .body);
  EXPECT_EQ(clusters["clusters"][0]["status"], "ACTIVE");
  const json after = json::parse(
      AwsCall(server, "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories", "{}").body);
  EXPECT_EQ(after["repositories"][0]["createdAt"], before["repositories"][0]["createdAt"]);
  EXPECT_EQ(after["repositories"][0]["repositoryArn"], before["repositories"][0]["repositoryArn"]);
}

// Without a Docker daemon Berth starts and serves the API; tasks that cannot
// start stop after the grace period, saying why.
TEST(ServerTest, WithoutADockerDaemonTasksFailWithAnHonestReason) {
  TempDir nowhere;
  ::setenv("DOCKER_HOST", ("unix://" + nowhere.path() + "/docker.sock").c_str(), 1);
  BerthServer server;
  ::unsetenv("DOCKER_HOST");
  const std::string ecs = "AmazonEC2ContainerServiceV20141113.";
  ASSERT_EQ(AwsCall(server, ecs + "CreateCluster", R"({"clusterName":"c"})").status, 200);
  ASSERT_EQ(
      AwsCall(server, ecs + "RegisterTaskDefinition",
              R"({"family":"f","containerDefinitions":[{"name":"m","image":"x","memory":8}]})")
          .status,
      200);
  const HttpReply run = AwsCall(server, ecs + "RunTask", R"({"cluster":"c","taskDefinition":"f"})");
  ASSERT_EQ(run.status, 200) << run.body;
  const std::string arn = json::parse(run.body)["tasks"][0]["taskArn"];
  json task;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const HttpReply described =
        AwsCall(server, ecs + "DescribeTasks", R"({"cluster":"c","tasks":[")" + arn + R"("]})");
    ASSERT_EQ(described.status, 200) << described.body;
    task = json::parse(described.body)["tasks"][0];
    if (task["lastStatus"] == "STOPPED") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(task["lastStatus"], "STOPPED") << task.dump();
  EXPECT_EQ(task["stopCode"], "TaskFailedToStart");
  EXPECT_EQ(task.value("stoppedReason", "")
                .rfind("ResourceInitializationError: cannot reach the "
                       "Docker daemon",
                       0),
            0u)
      << task.dump();
  EXPECT_EQ(Curl(server.endpoint() + "/_berth/health").status, 200);
}

TEST(ServerTest, ResetWipesEverything) {
  BerthServer server;
  AwsCall(server, "AmazonEC2ContainerServiceV20141113.CreateCluster", R"({"clusterName":"x"})");
  EXPECT_EQ(Curl(server.endpoint() + "/_berth/reset", {"-X", "POST"}).status, 200);
  const json listed =
      json::parse(AwsCall(server, "AmazonEC2ContainerServiceV20141113.ListClusters", "{}").body);
  EXPECT_TRUE(listed["clusterArns"].empty());
}

TEST(ServerTest, SigtermStopsCleanly) {
  BerthServer server;
  EXPECT_TRUE(server.Stop());
  EXPECT_NE(server.Log().find("berth stopped"), std::string::npos);
}

TEST(ServerTest, ADatabaseWrittenByANewerBerthIsRefused) {
  TempDir data;
  {
    BerthServer server({}, data.path());
    ASSERT_TRUE(server.Stop());
  }
  {
    storage::Db db = storage::Db::Open(data.path() + "/berth.db");
    db.SetUserVersion(storage::LatestSchemaVersion() + 1);
  }
  const CommandResult r =
      RunCommand({BerthBinary(), "--listen", "127.0.0.1:0", "--data-dir", data.path()}, {}, "", 10);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("newer than this Berth understands"), std::string::npos) << r.err;
}

TEST(ServerTest, ASecondBerthOnTheSameDataDirStopsWithAClearError) {
  BerthServer first;
  const CommandResult second = RunCommand(
      {BerthBinary(), "--listen", "127.0.0.1:0", "--data-dir", first.data_dir()}, {}, "", 10);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("give each Berth its own --data-dir"), std::string::npos) << second.err;
  // The first one is unaffected.
  EXPECT_EQ(Curl(first.endpoint() + "/_berth/health").status, 200);
}

TEST(ServerTest, BadFlagsAreClearErrors) {
  const CommandResult bad = RunCommand({BerthBinary(), "--listen", "nowhere"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--listen"), std::string::npos);
  const CommandResult help = RunCommand({BerthBinary(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("BERTH_DATA_DIR"), std::string::npos);
  const CommandResult env = RunCommand({BerthBinary()}, {{"BERTH_REGION", "nowhere"}});
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_NE(env.err.find("BERTH_REGION"), std::string::npos);
}

TEST(ServerTest, PortInUseIsReported) {
  BerthServer first;
  const CommandResult second =
      RunCommand({BerthBinary(), "--listen", "127.0.0.1:" + std::to_string(first.port()),
                  "--data-dir", first.data_dir() + "/second"},
                 {}, "", 10);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("cannot listen on"), std::string::npos) << second.err;
}

TEST(ServerTest, ProtocolErrorsAreAwsShaped) {
  BerthServer server;
  // An unknown target.
  HttpReply r = AwsCall(server, "AmazonEC2ContainerServiceV20141113.Bogus", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["__type"], "UnknownOperationException");
  r = AwsCall(server, "NoSuchService.Operation", "{}");
  EXPECT_EQ(json::parse(r.body)["__type"], "UnknownOperationException");
  // Malformed JSON and the wrong content type.
  r = AwsCall(server, "AmazonEC2ContainerServiceV20141113.CreateCluster", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["__type"], "SerializationException");
  r = AwsCall(server, "AmazonEC2ContainerServiceV20141113.CreateCluster", R"({"clusterName":"x"})",
              "text/plain");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.headers.find("x-amzn-RequestId"), std::string::npos);
  // Nothing was created by any of them.
  const json listed =
      json::parse(AwsCall(server, "AmazonEC2ContainerServiceV20141113.ListClusters", "{}").body);
  EXPECT_TRUE(listed["clusterArns"].empty());
}

TEST(ServerTest, OversizedBodiesAreRefusedAndTheServerLives) {
  BerthServer server;
  TempDir dir;
  const std::string big = dir.path() + "/big.json";
  {
    std::FILE* f = std::fopen(big.c_str(), "w");
    std::string chunk(1 << 20, 'a');
    std::fputs("{\"clusterName\":\"", f);
    for (int i = 0; i < 12; ++i) std::fwrite(chunk.data(), 1, chunk.size(), f);
    std::fputs("\"}", f);
    std::fclose(f);
  }
  const HttpReply r =
      Curl(server.endpoint() + "/",
           {"-X", "POST", "-H", "X-Amz-Target: AmazonEC2ContainerServiceV20141113.CreateCluster",
            "-H", "Content-Type: application/x-amz-json-1.1", "--data-binary", "@" + big});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["__type"], "RequestEntityTooLargeException");
  EXPECT_EQ(Curl(server.endpoint() + "/_berth/health").status, 200);
}

TEST(ServerTest, UnknownPathsAre404) {
  BerthServer server;
  EXPECT_EQ(Curl(server.endpoint() + "/nothing/here").status, 404);
  EXPECT_EQ(Curl(server.endpoint() + "/_berth/nothing").status, 404);
  // A known Berth path with the wrong method says which methods it takes
  const HttpReply wrong = Curl(server.endpoint() + "/_berth/reset");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.Header("Allow"), "POST");
}

TEST(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  BerthServer server;
  std::vector<std::string> args = {"-sS", "-o", "/dev/null", "-w",
                                   "%{http_code} %{num_connects}\n"};
  for (int i = 0; i < 20; ++i) {
    args.push_back(server.endpoint() + "/_berth/health");
  }
  args.insert(args.begin(), "curl");
  const CommandResult r = RunCommand(args);
  // The first request connects; the other 19 reuse the connection.
  size_t connects = 0;
  size_t pos = 0;
  while ((pos = r.out.find("200 1\n", pos)) != std::string::npos) {
    ++connects;
    ++pos;
  }
  EXPECT_EQ(connects, 1u) << r.out;
}

TEST(ServerTest, RegistryUploadRefusalsKeepTheirStatus) {
  // A PATCH refused when its header arrives (chunk out of order, unknown
  // session) is answered with its own status, not as a body too large.
  BerthServer server;
  ASSERT_EQ(AwsCall(server, "AmazonEC2ContainerRegistry_V20150921.CreateRepository",
                    R"({"repositoryName":"app"})")
                .status,
            200);
  const HttpReply started = Curl(server.endpoint() + "/v2/app/blobs/uploads/", {"-X", "POST"});
  ASSERT_EQ(started.status, 202);
  const std::string upload = server.endpoint() + started.Header("Location");
  const auto patch = [&](const std::string& url, const std::string& range,
                         const std::string& data) {
    return Curl(url, {"-X", "PATCH", "-H", "Content-Range: " + range, "-H",
                      "Content-Type: application/octet-stream", "--data-binary", data});
  };
  EXPECT_EQ(patch(upload, "0-4", "aaaaa").status, 202);
  const HttpReply gap = patch(upload, "10-14", "ccccc");
  EXPECT_EQ(gap.status, 416) << gap.body;
  EXPECT_EQ(gap.Header("Range"), "0-4");
  const HttpReply unknown =
      patch(server.endpoint() + "/v2/app/blobs/uploads/00000000-0000-4000-8000-000000000000", "0-4",
            "aaaaa");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(json::parse(unknown.body)["errors"][0]["code"], "BLOB_UPLOAD_UNKNOWN");
  // The session goes on where it was.
  EXPECT_EQ(patch(upload, "5-9", "bbbbb").status, 202);
  // sha256("aaaaabbbbb")
  const HttpReply done = Curl(
      upload + "?digest=sha256:ed74b5c9ceaa577420d8ec549a9e55c9480ea02f6718c4095687f67e4ab220d4",
      {"-X", "PUT"});
  EXPECT_EQ(done.status, 201) << done.body;
}

TEST(ServerTest, AccessKeyOfTwelveDigitsSelectsTheAccount) {
  BerthServer server;
  const std::string auth =
      "Authorization: AWS4-HMAC-SHA256 "
      "Credential=111122223333/20260101/eu-west-1/ecs/aws4_request, "
      "SignedHeaders=host, Signature=abc";
  const HttpReply r =
      Curl(server.endpoint() + "/",
           {"-X", "POST", "-H", "X-Amz-Target: AmazonEC2ContainerServiceV20141113.CreateCluster",
            "-H", "Content-Type: application/x-amz-json-1.1", "-H", auth, "--data-binary",
            R"({"clusterName":"mine"})"});
  EXPECT_EQ(json::parse(r.body)["cluster"]["clusterArn"],
            "arn:aws:ecs:eu-west-1:111122223333:cluster/mine");
  // The default account in the default region does not see it.
  const json listed =
      json::parse(AwsCall(server, "AmazonEC2ContainerServiceV20141113.ListClusters", "{}").body);
  EXPECT_TRUE(listed["clusterArns"].empty());
}

}  // namespace
}  // namespace berth::testing
