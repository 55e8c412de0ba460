// CloudWatch Logs through the real AWS CLIs (v2 and v1) against a live berth:
// groups, streams, events in and out, a filter pattern, the CLI's paginator,
// retention, tags and deletion; then `aws logs tail` (v2 only), once and
// with --follow. (The API's rules are tested in tests/unit/api/logs_*;
// start-live-tail in logs_live_tail_test.cc.)

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/cli_fixture.h"
#include "tests/support/clock.h"
#include "tests/support/subprocess.h"

namespace berth::testing {
namespace {

using nlohmann::json;

// The --log-events argument for (timestamp, message) pairs.
std::string EventsArg(const std::vector<std::pair<int64_t, std::string>>& events) {
  json list = json::array();
  for (const auto& [t, m] : events) list.push_back({{"timestamp", t}, {"message", m}});
  return list.dump();
}

std::vector<std::string> Messages(const json& reply) {
  std::vector<std::string> out;
  for (const auto& e : reply["events"]) out.push_back(e["message"].get<std::string>());
  return out;
}

class LogsCliTest : public CliTest {};

TEST_P(LogsCliTest, GroupStreamAndEventsRoundTrip) {
  const std::string group = "/berth/app";
  Ok({"logs", "create-log-group", "--log-group-name", group, "--tags", "team=core"});
  Ok({"logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "web/1"});
  const int64_t now = NowMillis();
  const json put = Ok({"logs", "put-log-events", "--log-group-name", group, "--log-stream-name",
                       "web/1", "--log-events",
                       EventsArg({{now - 3000, "INFO started"},
                                  {now - 2000, "ERROR boom"},
                                  {now - 1000, R"({"status":503,"path":"/api"})"}})});
  EXPECT_EQ(put["nextSequenceToken"].get<std::string>().size(), 56u);

  const json got = Ok({"logs", "get-log-events", "--log-group-name", group, "--log-stream-name",
                       "web/1", "--start-from-head"});
  EXPECT_EQ(Messages(got), (std::vector<std::string>{"INFO started", "ERROR boom",
                                                     R"({"status":503,"path":"/api"})"}));
  EXPECT_TRUE(got["nextForwardToken"].get<std::string>().starts_with("f/"));

  EXPECT_EQ(Messages(Ok({"logs", "filter-log-events", "--log-group-name", group, "--filter-pattern",
                         "ERROR"})),
            (std::vector<std::string>{"ERROR boom"}));
  // The CLI's paginator walks nextToken until it is gone.
  EXPECT_EQ(
      Messages(Ok({"logs", "filter-log-events", "--log-group-name", group, "--page-size", "1"}))
          .size(),
      3u);

  const json streams = Ok({"logs", "describe-log-streams", "--log-group-name", group, "--order-by",
                           "LastEventTime", "--descending"});
  ASSERT_EQ(streams["logStreams"].size(), 1u);
  EXPECT_EQ(streams["logStreams"][0]["lastEventTimestamp"], now - 1000);
  EXPECT_EQ(streams["logStreams"][0]["arn"],
            "arn:aws:logs:us-east-1:000000000000:log-group:/berth/app:log-stream:web/1");

  Ok({"logs", "put-retention-policy", "--log-group-name", group, "--retention-in-days", "7"});
  const json groups = Ok({"logs", "describe-log-groups", "--log-group-name-prefix", "/berth"});
  ASSERT_EQ(groups["logGroups"].size(), 1u);
  EXPECT_EQ(groups["logGroups"][0]["retentionInDays"], 7);
  EXPECT_EQ(groups["logGroups"][0]["arn"],
            "arn:aws:logs:us-east-1:000000000000:log-group:/berth/app:*");

  // (CLI v2 2.9's model predates logGroupArn, so it drops that member.)
  const std::string arn = "arn:aws:logs:us-east-1:000000000000:log-group:/berth/app";
  Ok({"logs", "tag-resource", "--resource-arn", arn, "--tags", "env=dev"});
  EXPECT_EQ(Ok({"logs", "list-tags-log-group", "--log-group-name", group})["tags"],
            json::parse(R"({"env":"dev","team":"core"})"));

  Ok({"logs", "delete-log-group", "--log-group-name", group});
  const std::string err =
      Fails({"logs", "get-log-events", "--log-group-name", group, "--log-stream-name", "web/1"},
            "ResourceNotFoundException");
  EXPECT_NE(err.find("The specified log group does not exist."), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(Clis, LogsCliTest, ::testing::ValuesIn(AwsClis()), CliName);

// `aws logs tail` exists in CLI v2 only.
class LogsTailTest : public ::testing::Test {
 protected:
  static constexpr const char* kCli = "/usr/bin/aws";

  void SetUp() override {
    if (!std::filesystem::exists(kCli)) FAIL() << "AWS CLI v2 is not installed at " << kCli;
    server_ = std::make_unique<BerthServer>();
    Aws({"logs", "create-log-group", "--log-group-name", "tailed"});
    Aws({"logs", "create-log-stream", "--log-group-name", "tailed", "--log-stream-name", "s1"});
  }

  json Aws(const std::vector<std::string>& args) {
    const AwsResult r = RunAws(kCli, server_->endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.json;
  }

  void PutNow(const std::string& message) {
    Aws({"logs", "put-log-events", "--log-group-name", "tailed", "--log-stream-name", "s1",
         "--log-events", EventsArg({{NowMillis(), message}})});
  }

  std::unique_ptr<BerthServer> server_;
};

TEST_F(LogsTailTest, TailPrintsRecentEventsWithTimestampAndStream) {
  Aws({"logs", "put-log-events", "--log-group-name", "tailed", "--log-stream-name", "s1",
       "--log-events",
       EventsArg({{NowMillis() - 3'600'000, "an hour ago"}, {NowMillis() - 1000, "just now"}})});
  const AwsResult r = RunAws(kCli, server_->endpoint(), {"logs", "tail", "tailed"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The default --since is 10m: only the recent event, in the detailed format.
  EXPECT_EQ(r.out.find("an hour ago"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+00:00 s1 just now\n"), std::string::npos) << r.out;
  const AwsResult since = RunAws(kCli, server_->endpoint(),
                                 {"logs", "tail", "tailed", "--since", "2h", "--format", "short"});
  EXPECT_NE(since.out.find(" an hour ago\n"), std::string::npos) << since.out;
  EXPECT_NE(since.out.find(" just now\n"), std::string::npos) << since.out;
}

TEST_F(LogsTailTest, FollowPrintsOldThenNewEventsUntilKilled) {
  PutNow("before follow");
  TempDir dir;
  const std::string out = dir.path() + "/tail.out";
  ChildProcess tail(
      {kCli, "logs", "tail", "tailed", "--follow", "--endpoint-url", server_->endpoint()},
      {{"AWS_ACCESS_KEY_ID", "AKIDBERTHTEST"},
       {"AWS_SECRET_ACCESS_KEY", "berth-test-secret"},
       {"AWS_DEFAULT_REGION", "us-east-1"},
       {"AWS_PAGER", ""},
       {"AWS_EC2_METADATA_DISABLED", "true"},
       {"AWS_CONFIG_FILE", "/dev/null"},
       {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"}},
      out);
  const auto read = [&] {
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  // Waits until `needle` is printed (the CLI polls every 5 s).
  const auto wait_for = [&](const std::string& needle) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (read().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(wait_for(" s1 before follow\n")) << read();
  PutNow("after follow");
  ASSERT_TRUE(wait_for(" s1 after follow\n")) << read();
  EXPECT_TRUE(tail.Running()) << read();
  EXPECT_TRUE(tail.Stop(SIGKILL, 5).has_value());
  // Each event once: the re-read from the newest timestamp is de-duplicated
  // by eventId.
  const std::string text = read();
  EXPECT_EQ(text.find("before follow"), text.rfind("before follow")) << text;
  EXPECT_EQ(text.find("after follow"), text.rfind("after follow")) << text;
}

}  // namespace
}  // namespace berth::testing
