// StartLiveTail against a live berth: `aws logs start-live-tail` (awscli v1;
// Debian's CLI v2 2.9 predates the command) prints exactly the messages put
// after it started, honours a filter pattern, and killing it ends the session
// on the server, which goes on serving new ones; the session's timeout
// reaches the CLI as SessionTimeoutException; bad input is a plain error;
// boto3 reads the raw stream (sessionStart, then an update about every
// second). The CLI reaches Berth's plain host only with host-prefix injection
// off (AWS_DISABLE_HOST_PREFIX_INJECTION or the config file's
// disable_host_prefix_injection), as the README says.

#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <sys/wait.h>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/berth_server.h"
#include "tests/support/clock.h"
#include "tests/support/subprocess.h"
#include "tests/support/text_files.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kGroupArn = "arn:aws:logs:us-east-1:000000000000:log-group:live";

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

class LiveTailCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& cli : AwsClis()) {
      if (cli != "/usr/bin/aws") cli_ = cli;
    }
    if (cli_.empty()) FAIL() << "awscli v1 (>= 1.33, with start-live-tail) is not on PATH";
  }

  void StartServer(const std::map<std::string, std::string>& env = {}) {
    server_ =
        std::make_unique<BerthServer>(std::vector<std::string>{"--log-level", "debug"}, "", env);
  }

  json Aws(const std::vector<std::string>& args) {
    const AwsResult r = RunAws(cli_, server_->endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << Join(args) << "\n" << r.err;
    return r.json;
  }

  void CreateGroupAndStream() {
    Aws({"logs", "create-log-group", "--log-group-name", "live"});
    Aws({"logs", "create-log-stream", "--log-group-name", "live", "--log-stream-name", "app"});
  }

  void Put(const std::vector<std::string>& messages) {
    json events = json::array();
    for (const auto& m : messages) events.push_back({{"timestamp", NowMillis()}, {"message", m}});
    Aws({"logs", "put-log-events", "--log-group-name", "live", "--log-stream-name", "app",
         "--log-events", events.dump()});
  }

  // The CLI's environment as RunAws gives it, with host-prefix injection off.
  std::map<std::string, std::string> CliEnvironment() const {
    return {{"AWS_ACCESS_KEY_ID", "AKIDBERTHTEST"},
            {"AWS_SECRET_ACCESS_KEY", "berth-test-secret"},
            {"AWS_DEFAULT_REGION", "us-east-1"},
            {"AWS_PAGER", ""},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_CONFIG_FILE", "/dev/null"},
            {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
            {"AWS_DISABLE_HOST_PREFIX_INJECTION", "true"}};
  }

  // `aws logs start-live-tail <args>` in the background, printing to `out`.
  std::unique_ptr<ChildProcess> StartTail(const std::vector<std::string>& args,
                                          const std::string& out) {
    std::vector<std::string> argv = {cli_, "logs", "start-live-tail"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--endpoint-url", server_->endpoint()});
    return std::make_unique<ChildProcess>(argv, CliEnvironment(), out);
  }

  // Waits until `read()` holds `needle` `count` times.
  static bool WaitFor(const std::function<std::string()>& read, const std::string& needle,
                      size_t count = 1, std::chrono::seconds within = std::chrono::seconds(30)) {
    const auto deadline = Clock::now() + within;
    while (Count(read(), needle) < count) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }
  bool WaitForLog(const std::string& needle, size_t count) {
    return WaitFor([&] { return server_->Log(); }, needle, count);
  }
  static bool WaitForFile(const std::string& path, const std::string& needle) {
    return WaitFor([&] { return ReadFile(path); }, needle);
  }

  std::string cli_;
  std::unique_ptr<BerthServer> server_;
  TempDir dir_;
};

TEST_F(LiveTailCliTest, PrintsExactlyTheNewMessagesAndEndsWhenTheCliIsKilled) {
  StartServer();
  CreateGroupAndStream();
  Put({"INFO before the session"});

  // Given two sessions, one of them filtered
  const std::string all_out = dir_.path() + "/all.out";
  const std::string errors_out = dir_.path() + "/errors.out";
  auto all = StartTail({"--log-group-identifiers", kGroupArn}, all_out);
  auto errors = StartTail({"--log-group-identifiers", kGroupArn, "--log-event-filter-pattern",
                           "ERROR", "--log-stream-name-prefixes", "ap"},
                          errors_out);
  ASSERT_TRUE(WaitForLog("logs.StartLiveTail 200", 2)) << server_->Log();

  // When events arrive
  Put({"INFO one", "ERROR two", "INFO three"});

  // Then each CLI prints exactly the new messages it selects, one per line
  ASSERT_TRUE(WaitForFile(all_out, "INFO three\n")) << ReadFile(all_out);
  ASSERT_TRUE(WaitForFile(errors_out, "ERROR two\n")) << ReadFile(errors_out);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // nothing more comes
  EXPECT_EQ(ReadFile(all_out), "INFO one\nERROR two\nINFO three\n");
  EXPECT_EQ(ReadFile(errors_out), "ERROR two\n");

  // When the CLIs are killed (hard, and by Ctrl-C's cousin SIGTERM)
  EXPECT_TRUE(all->Stop(SIGKILL, 10).has_value());
  EXPECT_TRUE(errors->Stop(SIGTERM, 10).has_value());
  // Then both sessions end on the server
  EXPECT_TRUE(WaitForLog("stream logs.StartLiveTail ended (client closed)", 2)) << server_->Log();

  // And Berth serves a new session as before
  const std::string again_out = dir_.path() + "/again.out";
  auto again = StartTail({"--log-group-identifiers", "live"}, again_out);
  ASSERT_TRUE(WaitForLog("logs.StartLiveTail 200", 3)) << server_->Log();
  Put({"second round"});
  ASSERT_TRUE(WaitForFile(again_out, "second round\n")) << ReadFile(again_out);
  EXPECT_EQ(ReadFile(again_out), "second round\n");
  EXPECT_EQ(ReadFile(all_out), "INFO one\nERROR two\nINFO three\n");
  // And a stopping Berth ends the open session with a SessionStreamingException the CLI prints.
  EXPECT_TRUE(server_->Stop());
  ASSERT_TRUE(WaitForFile(again_out, "(SessionStreamingException)")) << ReadFile(again_out);
  const auto status = again->Stop(0, 15);  // it exits by itself
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
}

TEST_F(LiveTailCliTest, SessionTimeoutReachesTheCliWithHostPrefixOffInTheConfigFile) {
  // A 3-second session (the internal test knob; AWS's is 3 hours).
  StartServer({{"BERTH_LIVE_TAIL_TIMEOUT_SECONDS", "3"}});
  CreateGroupAndStream();
  const std::string config = dir_.path() + "/config";
  WriteFile(config, "[default]\ndisable_host_prefix_injection = true\n");
  const auto started = Clock::now();
  const AwsResult r = RunAws(cli_, server_->endpoint(),
                             {"logs", "start-live-tail", "--log-group-identifiers", kGroupArn},
                             {{"AWS_CONFIG_FILE", config}});
  EXPECT_GE(Clock::now() - started, std::chrono::seconds(3));
  // awscli v1 prints the stream's error on stdout and exits 0.
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "An error occurred (SessionTimeoutException) when calling the StartLiveTail "
            "operation: The Live Tail session timed out after 3 seconds.\n")
      << r.err;
  EXPECT_NE(server_->Log().find("stream logs.StartLiveTail ended (finished)"), std::string::npos);
}

TEST_F(LiveTailCliTest, WithHostPrefixInjectionTheCliLooksForTheStreamHost) {
  StartServer();
  const AwsResult r = RunAws(cli_, server_->endpoint(),
                             {"logs", "start-live-tail", "--log-group-identifiers", "live"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Could not connect to the endpoint URL: \"http://stream-127.0.0.1:" +
                       std::to_string(server_->port()) + "/\""),
            std::string::npos)
      << r.err;
}

TEST_F(LiveTailCliTest, BadInputIsAPlainErrorBeforeAnyStream) {
  StartServer();
  CreateGroupAndStream();
  const std::map<std::string, std::string> no_prefix = {
      {"AWS_DISABLE_HOST_PREFIX_INJECTION", "true"}};
  AwsResult r =
      RunAws(cli_, server_->endpoint(),
             {"logs", "start-live-tail", "--log-group-identifiers", "missing"}, no_prefix);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("An error occurred (ResourceNotFoundException) when calling the "
                       "StartLiveTail operation: The specified log group does not exist."),
            std::string::npos)
      << r.err;
  r = RunAws(cli_, server_->endpoint(),
             {"logs", "start-live-tail", "--log-group-identifiers", kGroupArn, "--log-stream-names",
              "app", "--log-stream-name-prefixes", "a"},
             no_prefix);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("(InvalidParameterException) when calling the StartLiveTail operation: "
                       "logStreamNames and logStreamNamePrefixes cannot be specified together."),
            std::string::npos)
      << r.err;
}

TEST_F(LiveTailCliTest, DebianCliV2IsTooOldForStartLiveTail) {
  if (!std::filesystem::exists("/usr/bin/aws")) GTEST_SKIP() << "no Debian CLI v2 here";
  StartServer();
  // 2.9.19 predates the command (added in 2.16).
  const AwsResult r = RunAws("/usr/bin/aws", server_->endpoint(),
                             {"logs", "start-live-tail", "--log-group-identifiers", "live"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Invalid choice"), std::string::npos) << r.err;
}

// boto3 on the raw stream: the event-stream framing botocore parses, the
// sessionStart fields, and an update about every second.
TEST_F(LiveTailCliTest, Boto3ReadsSessionStartThenAnUpdateEachSecond) {
  StartServer();
  static const char* kScript = R"PY(
import json, sys, time, boto3
from botocore.config import Config
c = boto3.client("logs", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="a", aws_secret_access_key="b",
                 config=Config(inject_host_prefix=False))
c.create_log_group(logGroupName="raw")
c.create_log_stream(logGroupName="raw", logStreamName="s")
r = c.start_live_tail(logGroupIdentifiers=["raw"], logEventFilterPattern="keep")
out = {"contentType": r["ResponseMetadata"]["HTTPHeaders"].get("content-type"), "updates": []}
t0 = time.monotonic()
for event in r["responseStream"]:
    if "sessionStart" in event:
        out["sessionStart"] = event["sessionStart"]
        continue
    update = event["sessionUpdate"]
    out["updates"].append({"at": time.monotonic() - t0,
                           "sampled": update["sessionMetadata"]["sampled"],
                           "results": update["sessionResults"]})
    if len(out["updates"]) == 2:
        now = int(time.time() * 1000)
        c.put_log_events(logGroupName="raw", logStreamName="s",
                         logEvents=[{"timestamp": now, "message": "keep me"},
                                    {"timestamp": now, "message": "drop me"}])
    if len(out["updates"]) == 5:
        break
r["responseStream"].close()
print(json.dumps(out))
)PY";
  const CommandResult r = RunCommand({"python3", "-c", kScript, server_->endpoint()}, {}, "", 60);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["contentType"], "application/vnd.amazon.eventstream");
  const json& start = out["sessionStart"];
  EXPECT_EQ(start["logGroupIdentifiers"], json::array({"raw"}));
  EXPECT_EQ(start["logEventFilterPattern"], "keep");
  EXPECT_EQ(start["sessionId"].get<std::string>().size(), 36u);
  EXPECT_FALSE(start["requestId"].get<std::string>().empty());

  const json& updates = out["updates"];
  ASSERT_EQ(updates.size(), 5u);
  EXPECT_EQ(updates[0]["results"], json::array());  // quiet seconds are empty updates
  std::vector<std::string> messages;
  for (size_t i = 0; i < updates.size(); ++i) {
    EXPECT_EQ(updates[i]["sampled"], false);
    for (const auto& e : updates[i]["results"]) {
      messages.push_back(e["message"]);
      EXPECT_EQ(e["logStreamName"], "s");
      EXPECT_EQ(e["logGroupIdentifier"], "raw");
      EXPECT_GT(e["timestamp"].get<int64_t>(), 0);
      EXPECT_GE(e["ingestionTime"].get<int64_t>(), e["timestamp"].get<int64_t>());
    }
    if (i > 0) {
      const double gap = updates[i]["at"].get<double>() - updates[i - 1]["at"].get<double>();
      EXPECT_GT(gap, 0.7) << out.dump();
      EXPECT_LT(gap, 1.6) << out.dump();
    }
  }
  EXPECT_EQ(messages, std::vector<std::string>{"keep me"});
  // Closing the stream ends the session on the server.
  EXPECT_TRUE(WaitForLog("stream logs.StartLiveTail ended (client closed)", 1)) << server_->Log();
}

}  // namespace
}  // namespace berth::testing
