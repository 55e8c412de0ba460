// DashboardHandler in process: the real ECR, ECS and Logs services on
// :memory:, requests shaped as the browser sends them. The page and its
// caching, the snapshot (and its 304s), the accounts and regions, a task's
// log lines, and the stop action with its cross-site protection.

#include "server/dashboard/dashboard_handler.h"

#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "server/dashboard/dashboard_state.h"
#include "server/logs/log_service.h"
#include "storage/task_store.h"
#include "tests/support/api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kHost = "127.0.0.1:4566";

class DashboardHandlerTest : public ApiTest {
 protected:
  DashboardHandlerTest() {
    EcsOk("CreateCluster", {{"clusterName", "web"}});
    EcsOk("RegisterTaskDefinition", json::parse(R"({"family": "site", "containerDefinitions": [
        {"name": "app", "image": "app:1", "memory": 64, "portMappings": [{"containerPort": 80}],
         "logConfiguration": {"logDriver": "awslogs", "options": {
           "awslogs-group": "/ecs/site", "awslogs-region": "us-east-1",
           "awslogs-stream-prefix": "web"}}},
        {"name": "quiet", "image": "app:1", "memory": 64}]})"));
    EcrOk("CreateRepository", {{"repositoryName", "team/site"}});
  }

  static dashboard::DashboardOptions Options() {
    dashboard::DashboardOptions options;
    options.default_partition = {"000000000000", "us-east-1"};
    options.min_rebuild_interval = std::chrono::milliseconds(0);
    return options;
  }

  http::Response Get(const std::string& target, const std::string& if_none_match = "",
                     const std::string& host = kHost) {
    http::Request request;
    request.method = "GET";
    request.target = target;
    if (!host.empty()) request.headers.Add("Host", host);
    if (!if_none_match.empty()) request.headers.Add("If-None-Match", if_none_match);
    return handler_.Handle(request);
  }

  json GetJson(const std::string& target) {
    const http::Response res = Get(target);
    EXPECT_EQ(res.status, 200u) << target << ": " << res.body;
    return json::parse(res.body, nullptr, false);
  }

  // POST /_berth/ui/api/stop-task as the page sends it, with `headers` on top.
  http::Response Stop(const json& body,
                      const std::vector<std::pair<std::string, std::string>>& headers = {
                          {"X-Berth-Action", "stop-task"}}) {
    http::Request request;
    request.method = "POST";
    request.target = "/_berth/ui/api/stop-task";
    request.headers.Add("Host", kHost);
    request.headers.Add("Content-Type", "application/json");
    for (const auto& [name, value] : headers) request.headers.Add(name, value);
    request.body = body.dump();
    return handler_.Handle(request);
  }

  // Runs one task of "site" in cluster "web"; returns its id.
  std::string RunTask() {
    const json out = EcsOk("RunTask", {{"cluster", "web"}, {"taskDefinition", "site"}});
    const std::string arn = out["tasks"][0]["taskArn"];
    return arn.substr(arn.rfind('/') + 1);
  }

  json DescribeTask(const std::string& id) {
    return EcsOk("DescribeTasks", {{"cluster", "web"}, {"tasks", {id}}})["tasks"][0];
  }

  static json RowOf(const json& snapshot, const std::string& id) {
    for (const auto& t : snapshot["tasks"]) {
      if (t["id"] == id) return t;
    }
    return json();
  }

  logs::LogService log_service_{database_, clock_};
  dashboard::DashboardState state_{database_, ecr_service_, ecs_services_, log_service_, clock_};
  dashboard::DashboardHandler handler_{state_, database_, Options()};
};

TEST_F(DashboardHandlerTest, ServesThePageWithValidatorsAndAStrictPolicy) {
  const http::Response bare = Get("/_berth/ui");
  EXPECT_EQ(bare.status, 308u);
  EXPECT_EQ(bare.headers.Get("Location"), "/_berth/ui/");

  const http::Response page = Get("/_berth/ui/");
  ASSERT_EQ(page.status, 200u);
  EXPECT_THAT(std::string(page.headers.Get("Content-Type").value_or("")), HasSubstr("text/html"));
  EXPECT_THAT(page.body, HasSubstr("<script src=\"dashboard.js\""));
  const std::string csp(page.headers.Get("Content-Security-Policy").value_or(""));
  EXPECT_THAT(csp, HasSubstr("script-src 'self'"));
  EXPECT_THAT(csp, HasSubstr("frame-ancestors 'none'"));
  EXPECT_EQ(page.headers.Get("X-Frame-Options"), "DENY");
  EXPECT_EQ(page.headers.Get("Cache-Control"), "no-cache");
  const std::string etag(page.headers.Get("ETag").value_or(""));
  ASSERT_FALSE(etag.empty());
  const http::Response again = Get("/_berth/ui/", etag);
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());

  const http::Response script = Get("/_berth/ui/dashboard.js");
  EXPECT_EQ(script.status, 200u);
  EXPECT_THAT(std::string(script.headers.Get("Content-Type").value_or("")),
              HasSubstr("text/javascript"));
  EXPECT_EQ(Get("/_berth/ui/dashboard.css").status, 200u);
  EXPECT_EQ(Get("/_berth/ui/nothing.js").status, 404u);
}

TEST_F(DashboardHandlerTest, SnapshotShowsTheStateAndAnswers304UntilItChanges) {
  const std::string id = RunTask();
  const http::Response first = Get("/_berth/ui/api/state");
  ASSERT_EQ(first.status, 200u) << first.body;
  const json snapshot = json::parse(first.body);
  EXPECT_EQ(snapshot["account"], "000000000000");
  EXPECT_EQ(snapshot["region"], "us-east-1");
  ASSERT_EQ(snapshot["clusters"].size(), 1u);
  EXPECT_EQ(snapshot["clusters"][0]["name"], "web");
  ASSERT_EQ(snapshot["repositories"].size(), 1u);
  EXPECT_EQ(snapshot["repositories"][0]["name"], "team/site");
  EXPECT_EQ(snapshot["repositories"][0]["uri"], "localhost:4566/team/site");
  const json row = RowOf(snapshot, id);
  ASSERT_TRUE(row.is_object()) << snapshot.dump();
  EXPECT_EQ(row["cluster"], "web");
  EXPECT_EQ(row["family"], "site");
  EXPECT_EQ(row["desiredStatus"], "RUNNING");
  EXPECT_EQ(row["containers"][0]["awslogs"], true);
  EXPECT_EQ(row["containers"][1]["awslogs"], false);

  // Nothing changed: 304, and no snapshot was built for it.
  const std::string etag(first.headers.Get("ETag").value_or(""));
  const int64_t builds = handler_.snapshot_builds();
  const http::Response same = Get("/_berth/ui/api/state", etag);
  EXPECT_EQ(same.status, 304u);
  EXPECT_EQ(handler_.snapshot_builds(), builds);

  // A change (through the API): a new ETag and the new state.
  EcsOk("StopTask", {{"cluster", "web"}, {"task", id}});
  const http::Response changed = Get("/_berth/ui/api/state", etag);
  ASSERT_EQ(changed.status, 200u);
  EXPECT_NE(changed.headers.Get("ETag"), etag);
  EXPECT_EQ(RowOf(json::parse(changed.body), id)["desiredStatus"], "STOPPED");
}

TEST_F(DashboardHandlerTest, APageHoldingASnapshotIsSentOnlyWhatChanged) {
  const std::string kept = RunTask();
  const std::string stopping = RunTask();
  const http::Response first = Get("/_berth/ui/api/state?delta=1");
  ASSERT_EQ(first.status, 200u);
  json page = json::parse(first.body);
  EXPECT_FALSE(page.contains("base"));  // no ETag held: the whole snapshot
  const std::string etag(first.headers.Get("ETag").value_or(""));

  // One task stops and a new one starts: the delta carries those two rows,
  // the new order, and the one member that changed (the cluster counts).
  EcsOk("StopTask", {{"cluster", "web"}, {"task", stopping}});
  const std::string added = RunTask();
  const http::Response changed = Get("/_berth/ui/api/state?delta=1", etag);
  ASSERT_EQ(changed.status, 200u);
  const json delta = json::parse(changed.body);
  EXPECT_EQ(delta["base"], etag);
  std::vector<std::string> rows;
  for (const auto& row : delta["rows"]) rows.push_back(row["id"]);
  EXPECT_THAT(rows, ::testing::UnorderedElementsAre(stopping, added));
  ASSERT_TRUE(delta.contains("order"));
  EXPECT_EQ(delta["order"].size(), 3u);
  EXPECT_FALSE(delta["members"].contains("repositories"));
  EXPECT_FALSE(delta["members"].contains("account"));
  EXPECT_LT(changed.body.size(), first.body.size());

  // Applied as the page does, it is exactly the whole snapshot.
  std::map<std::string, json> by_id;
  for (const auto& t : page["tasks"]) by_id[t["id"]] = t;
  for (const auto& t : delta["rows"]) by_id[t["id"]] = t;
  for (const auto& [name, value] : delta["members"].items()) page[name] = value;
  page["tasks"] = json::array();
  for (const auto& id : delta["order"]) page["tasks"].push_back(by_id.at(id));
  EXPECT_EQ(page, json::parse(Get("/_berth/ui/api/state").body));
  EXPECT_EQ(RowOf(page, kept)["desiredStatus"], "RUNNING");

  // A page that does not ask for deltas, or holds an ETag the cache does
  // not know, gets the whole snapshot.
  EXPECT_FALSE(json::parse(Get("/_berth/ui/api/state", etag).body).contains("base"));
  EXPECT_FALSE(json::parse(Get("/_berth/ui/api/state?delta=1", "\"0-0\"").body).contains("base"));
}

TEST_F(DashboardHandlerTest, ADeletedClusterShowsAsInactive) {
  EcsOk("CreateCluster", {{"clusterName", "old"}});
  EcsOk("DeleteCluster", {{"cluster", "old"}});
  const json snapshot = GetJson("/_berth/ui/api/state");
  std::map<std::string, std::string> statuses;
  for (const auto& c : snapshot["clusters"]) statuses[c["name"]] = c["status"];
  EXPECT_EQ(statuses["old"], "INACTIVE") << snapshot["clusters"].dump();
  EXPECT_EQ(statuses["web"], "ACTIVE");
}

TEST_F(DashboardHandlerTest, ListsEveryAccountAndRegionInUse) {
  // Given a cluster in another account and region (the access key is the
  // account id, the SigV4 scope the region)
  const ApiReply r = Raw(std::string(kEcsPrefix) + "CreateCluster", R"({"clusterName": "far"})",
                         "application/x-amz-json-1.1",
                         "AWS4-HMAC-SHA256 Credential=123456789012/20260101/eu-west-1/ecs/"
                         "aws4_request, SignedHeaders=host, Signature=0");
  ASSERT_EQ(r.status, 200u) << r.raw;
  const json snapshot = GetJson("/_berth/ui/api/state");
  EXPECT_EQ(snapshot["partitions"],
            json::parse(R"([{"account": "000000000000", "region": "us-east-1"},
                            {"account": "123456789012", "region": "eu-west-1"}])"));
  EXPECT_EQ(snapshot["defaultPartition"]["account"], "000000000000");
  // and that partition's own snapshot shows only its cluster.
  const json far = GetJson("/_berth/ui/api/state?account=123456789012&region=eu-west-1");
  ASSERT_EQ(far["clusters"].size(), 1u);
  EXPECT_EQ(far["clusters"][0]["name"], "far");
  EXPECT_TRUE(far["repositories"].empty());
  EXPECT_EQ(Get("/_berth/ui/api/state?account=12&region=us-east-1").status, 400u);
  EXPECT_EQ(Get("/_berth/ui/api/state?account=000000000000&region=%3Cx%3E").status, 400u);
}

TEST_F(DashboardHandlerTest, LimitsTheTasksItShows) {
  dashboard::SnapshotLimits limits;
  limits.unfinished_tasks = 2;
  dashboard::DashboardState small(database_, ecr_service_, ecs_services_, log_service_, clock_,
                                  limits);
  const std::string oldest = RunTask();
  clock_.Advance(1);
  const std::string middle = RunTask();
  clock_.Advance(1);
  const std::string newest = RunTask();
  const json snapshot = json::parse(small.Build({"000000000000", "us-east-1"}).Full());
  ASSERT_EQ(snapshot["tasks"].size(), 2u);
  EXPECT_EQ(snapshot["tasks"][0]["id"], newest);
  EXPECT_EQ(snapshot["tasks"][1]["id"], middle);
  EXPECT_EQ(snapshot["truncated"]["unfinishedTasks"], true);
  EXPECT_EQ(snapshot["truncated"]["stoppedTasks"], false);
}

TEST_F(DashboardHandlerTest, StoppedTasksAreReadOnceThenRemembered) {
  const std::string id = RunTask();
  const storage::Partition partition{"000000000000", "us-east-1"};
  EXPECT_EQ(RowOf(json::parse(state_.Build(partition).Full()), id)["lastStatus"], "PENDING");
  // Given the reconciler records the task STOPPED
  {
    auto lease = database_.Acquire();
    storage::TaskStore store(lease.db());
    auto record = store.Find(partition, "web", id);
    ASSERT_TRUE(record.has_value());
    json document = json::parse(record->document);
    document["lastStatus"] = "STOPPED";
    document["stoppedReason"] = "Essential container in task exited";
    record->last_status = "STOPPED";
    record->stopped_at = clock_.Now();
    record->document = document.dump();
    store.Update(*record);
  }
  // then the next snapshot shows it
  const json stopped = RowOf(json::parse(state_.Build(partition).Full()), id);
  EXPECT_EQ(stopped["lastStatus"], "STOPPED");
  EXPECT_EQ(stopped["stoppedReason"], "Essential container in task exited");
  // and later ones keep showing it without reading it again.
  const auto recent =
      ecs_services_.tasks.Recent(partition, 10, 10, [&](const std::string& t) { return t == id; });
  ASSERT_EQ(recent.tasks.size(), 1u);
  EXPECT_TRUE(recent.tasks[0].known);
  EXPECT_TRUE(recent.tasks[0].document.empty());
  EXPECT_EQ(RowOf(json::parse(state_.Build(partition).Full()), id), stopped);
}

TEST_F(DashboardHandlerTest, ShowsTheLastLinesOfAwslogsContainers) {
  const std::string id = RunTask();
  const aws::RequestContext context{"000000000000", "us-east-1", "r", "", clock_.Now()};
  logs::GroupSpec group;
  group.name = "/ecs/site";
  log_service_.CreateLogGroup(context, group);
  const std::string stream = "web/app/" + id;
  log_service_.CreateLogStream(context, "/ecs/site", stream);
  std::vector<logs::InputEvent> events;
  const auto now = logs::LogService::Millis(clock_.Now());
  for (int i = 0; i < 25; ++i) events.push_back({now + i, "line " + std::to_string(i)});
  events.push_back({now + 30, "<script>alert(1)</script> \xff"});
  log_service_.PutLogEvents(context, "/ecs/site", stream, events);

  const json out = GetJson("/_berth/ui/api/logs?cluster=web&task=" + id);
  ASSERT_EQ(out["containers"].size(), 1u) << out.dump();  // "quiet" has no awslogs
  const json& app = out["containers"][0];
  EXPECT_EQ(app["name"], "app");
  EXPECT_EQ(app["group"], "/ecs/site");
  EXPECT_EQ(app["stream"], stream);
  ASSERT_EQ(app["lines"].size(), 20u);  // the last 20, oldest first
  EXPECT_EQ(app["lines"][0]["message"], "line 6");
  // Sent as data (the page escapes it), bytes that are not UTF-8 replaced.
  EXPECT_EQ(app["lines"][19]["message"], "<script>alert(1)</script> \xef\xbf\xbd");

  EXPECT_EQ(Get("/_berth/ui/api/logs?cluster=web&task=" + std::string(32, 'f')).status, 404u);
  EXPECT_EQ(Get("/_berth/ui/api/logs?cluster=web").status, 400u);
}

TEST_F(DashboardHandlerTest, StopTaskGoesThroughStopTask) {
  const std::string id = RunTask();
  const http::Response res =
      Stop({{"account", "000000000000"}, {"region", "us-east-1"}, {"cluster", "web"}, {"task", id}},
           {{"X-Berth-Action", "stop-task"},
            {"Origin", "http://127.0.0.1:4566"},
            {"Sec-Fetch-Site", "same-origin"}});
  ASSERT_EQ(res.status, 200u) << res.body;
  const json task = DescribeTask(id);
  EXPECT_EQ(task["desiredStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "UserInitiated");
  EXPECT_EQ(task["stoppedReason"], "Stopped from the Berth dashboard");

  // StopTask's own errors come back as they would from the API.
  const http::Response unknown = Stop({{"cluster", "web"}, {"task", std::string(32, 'a')}});
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_THAT(unknown.body, HasSubstr("InvalidParameterException"));
  EXPECT_EQ(Stop({{"cluster", "web"}}).status, 400u);
}

TEST_F(DashboardHandlerTest, OtherPagesCannotStopTasks) {
  const std::string id = RunTask();
  const json body = {{"cluster", "web"}, {"task", id}};
  // A cross-site form POST carries no custom header.
  EXPECT_EQ(Stop(body, {{"Origin", "https://evil.example"}}).status, 403u);
  // Even with the header (impossible without a preflight Berth never
  // grants), another origin is refused.
  EXPECT_EQ(
      Stop(body, {{"X-Berth-Action", "stop-task"}, {"Origin", "https://evil.example"}}).status,
      403u);
  EXPECT_EQ(Stop(body, {{"X-Berth-Action", "stop-task"}, {"Sec-Fetch-Site", "cross-site"}}).status,
            403u);
  EXPECT_EQ(DescribeTask(id)["desiredStatus"], "RUNNING");
  // Reading is not a way in either: GET answers 405.
  EXPECT_EQ(Get("/_berth/ui/api/stop-task").status, 405u);
}

TEST_F(DashboardHandlerTest, RefusesHostsDnsCouldRebind) {
  EXPECT_EQ(Get("/_berth/ui/", "", "evil.example:4566").status, 403u);
  EXPECT_EQ(Get("/_berth/ui/api/state", "", "evil.example:4566").status, 403u);
  EXPECT_EQ(Get("/_berth/ui/api/state", "", "localhost:4566").status, 200u);
}

}  // namespace
}  // namespace berth::testing
