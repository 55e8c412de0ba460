// TaskRow: what the dashboard shows of a task, from its DescribeTasks
// document and Berth's local record.

#include "server/dashboard/task_row.h"

#include <gtest/gtest.h>

namespace berth::dashboard {
namespace {

using nlohmann::json;

const json kTask = json::parse(R"({
  "taskArn": "arn:aws:ecs:us-east-1:000000000000:task/web/0123456789abcdef0123456789abcdef",
  "clusterArn": "arn:aws:ecs:us-east-1:000000000000:cluster/web",
  "taskDefinitionArn": "arn:aws:ecs:us-east-1:000000000000:task-definition/site:3",
  "lastStatus": "RUNNING", "desiredStatus": "RUNNING", "healthStatus": "HEALTHY",
  "group": "service:site", "launchType": "FARGATE", "createdAt": 1795000000.5,
  "startedAt": 1795000002.25, "cpu": "256", "memory": "512", "overrides": {"containerOverrides": []},
  "containers": [
    {"name": "app", "image": "localhost:4566/site:latest", "lastStatus": "RUNNING",
     "healthStatus": "HEALTHY", "runtimeId": "abc",
     "networkBindings": [
       {"bindIP": "127.0.0.1", "containerPort": 80, "hostPort": 32768, "protocol": "tcp"},
       {"bindIP": "::1", "containerPort": 81, "hostPort": 32769, "protocol": "tcp"},
       {"bindIP": "0.0.0.0", "containerPort": 53, "hostPort": 5353, "protocol": "udp"},
       {"bindIP": "0.0.0.0", "containerPort": 82, "hostPort": 0, "protocol": "tcp"}]},
    {"name": "sidecar", "image": "busybox", "lastStatus": "STOPPED", "exitCode": 1,
     "reason": "OutOfMemoryError: Container killed due to memory usage"}]
})");

TEST(TaskRowTest, CarriesWhatThePageShows) {
  const json row =
      TaskRow(kTask, json::parse(R"({"notes": ["secrets: not honoured", "x"]})"), {"app"});
  EXPECT_EQ(row["id"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(row["cluster"], "web");
  EXPECT_EQ(row["family"], "site");
  EXPECT_EQ(row["revision"], "3");
  EXPECT_EQ(row["lastStatus"], "RUNNING");
  EXPECT_EQ(row["health"], "HEALTHY");
  EXPECT_EQ(row["group"], "service:site");
  EXPECT_EQ(row["startedAt"], 1795000002.25);
  EXPECT_EQ(row["notHonoured"], 2);
  EXPECT_FALSE(row.contains("overrides"));  // only what the page displays
  EXPECT_FALSE(row.contains("stoppedAt"));
  ASSERT_EQ(row["containers"].size(), 2u);
  EXPECT_EQ(row["containers"][0]["awslogs"], true);
  EXPECT_EQ(row["containers"][1]["awslogs"], false);
  EXPECT_EQ(row["containers"][1]["exitCode"], 1);
  EXPECT_EQ(row["containers"][1]["reason"],
            "OutOfMemoryError: Container killed due to memory usage");
}

TEST(TaskRowTest, PublishedTcpPortsBecomeLinks) {
  const json ports = TaskRow(kTask, json::object(), {})["containers"][0]["ports"];
  ASSERT_EQ(ports.size(), 3u);  // the unpublished one (hostPort 0) is left out
  EXPECT_EQ(ports[0]["url"], "http://127.0.0.1:32768/");
  EXPECT_EQ(ports[0]["containerPort"], 80);
  EXPECT_EQ(ports[1]["url"], "http://[::1]:32769/");
  EXPECT_FALSE(ports[2].contains("url"));  // UDP: no link
  EXPECT_EQ(ports[2]["protocol"], "udp");
}

TEST(TaskRowTest, ToleratesSparseDocuments) {
  const json row = TaskRow(json::parse(R"({"taskArn": "t", "containers": [{}]})"), nullptr, {});
  EXPECT_EQ(row["id"], "t");
  EXPECT_EQ(row["notHonoured"], 0);
  EXPECT_EQ(row["containers"][0]["ports"], json::array());
}

}  // namespace
}  // namespace berth::dashboard
