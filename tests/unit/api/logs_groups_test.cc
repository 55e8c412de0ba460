// CloudWatch Logs groups, streams, retention and tags through the JSON API:
// the shapes AWS returns, its error names and messages, pagination, and that
// every refused call leaves the stored state as it was.

#include <string>
#include <vector>

#include "tests/unit/api/logs_api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kGroupMissing = "The specified log group does not exist.";
constexpr const char* kStreamMissing = "The specified log stream does not exist.";

class LogsGroupsTest : public LogsApiTest {
 protected:
  // Names of every group DescribeLogGroups lists, across all pages.
  std::vector<std::string> GroupNames(json input = json::object()) {
    std::vector<std::string> names;
    for (int page = 0; page < 100; ++page) {
      const json out = LogsOk("DescribeLogGroups", input);
      for (const auto& g : out["logGroups"]) names.push_back(g["logGroupName"].get<std::string>());
      if (!out.contains("nextToken")) break;
      input["nextToken"] = out["nextToken"];
    }
    return names;
  }

  std::vector<std::string> StreamNames(json input) {
    std::vector<std::string> names;
    for (int page = 0; page < 100; ++page) {
      const json out = LogsOk("DescribeLogStreams", input);
      for (const auto& s : out["logStreams"])
        names.push_back(s["logStreamName"].get<std::string>());
      if (!out.contains("nextToken")) break;
      input["nextToken"] = out["nextToken"];
    }
    return names;
  }

  json Group(const std::string& name) {
    const json out = LogsOk("DescribeLogGroups", {{"logGroupNamePrefix", name}});
    for (const auto& g : out["logGroups"]) {
      if (g["logGroupName"] == name) return g;
    }
    return json();
  }

  json Tags(const std::string& group) {
    return LogsOk("ListTagsForResource", {{"resourceArn", kGroupArnPrefix + group}})["tags"];
  }
};

// --- Groups -------------------------------------------------------------------

// Every ECR and ECS operation is emulated; a CloudWatch Logs operation that
// is not yet answers NotImplementedException naming itself.
TEST_F(LogsGroupsTest, ModelOperationsBerthDoesNotEmulateNameThemselves) {
  const ApiReply r = Logs("DescribeMetricFilters", nlohmann::json::object());
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.error_type(), "NotImplementedException");
  EXPECT_NE(r.message().find("DescribeMetricFilters"), std::string::npos) << r.raw;
}

TEST_F(LogsGroupsTest, CreateLogGroupAnswersEmptyAndDescribesInAwsShape) {
  const ApiReply created = Logs("CreateLogGroup", {{"logGroupName", "/aws/ecs/web"}});
  EXPECT_EQ(created.status, 200u);
  EXPECT_EQ(created.raw, "{}");
  EXPECT_EQ(Group("/aws/ecs/web"),
            json::parse(R"({"logGroupName":"/aws/ecs/web","creationTime":1795000000125,
              "metricFilterCount":0,
              "arn":"arn:aws:logs:us-east-1:000000000000:log-group:/aws/ecs/web:*",
              "storedBytes":0,"logGroupClass":"STANDARD",
              "logGroupArn":"arn:aws:logs:us-east-1:000000000000:log-group:/aws/ecs/web",
              "deletionProtectionEnabled":false})"));
}

TEST_F(LogsGroupsTest, CreateLogGroupKeepsKmsClassAndTags) {
  CreateGroup("app", {{"kmsKeyId", "arn:aws:kms:us-east-1:000000000000:key/k"},
                      {"logGroupClass", "INFREQUENT_ACCESS"},
                      {"tags", {{"team", "core"}, {"env", "dev"}}}});
  const json g = Group("app");
  EXPECT_EQ(g["kmsKeyId"], "arn:aws:kms:us-east-1:000000000000:key/k");
  EXPECT_EQ(g["logGroupClass"], "INFREQUENT_ACCESS");
  EXPECT_EQ(Tags("app"), json::parse(R"({"env":"dev","team":"core"})"));
}

TEST_F(LogsGroupsTest, CreateLogGroupRefusesDuplicatesAndBadNamesChangingNothing) {
  CreateGroup("app", {{"tags", {{"a", "1"}}}});
  EXPECT_LOGS_ERROR(Logs("CreateLogGroup", {{"logGroupName", "app"}, {"tags", {{"b", "2"}}}}),
                    "ResourceAlreadyExistsException", "The specified log group already exists");
  EXPECT_EQ(Tags("app"), json::parse(R"({"a":"1"})"));
  EXPECT_LOGS_ERROR(Logs("CreateLogGroup", {{"logGroupName", "bad:name"}}),
                    "InvalidParameterException",
                    "1 validation error detected: Value 'bad:name' at 'logGroupName' failed to "
                    "satisfy constraint: Member must satisfy regular expression pattern: "
                    "[\\.\\-_/#A-Za-z0-9]+");
  EXPECT_AWS_ERROR(Logs("CreateLogGroup", {{"logGroupName", std::string(513, 'a')}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Logs("CreateLogGroup", {{"logGroupName", "aws/lambda/x"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Logs("CreateLogGroup", {{"logGroupName", "x"}, {"logGroupClass", "COLD"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Logs("CreateLogGroup", json::object()), "InvalidParameterException");
  // A leading slash is fine; "aws/" only at the very start is reserved.
  CreateGroup("/aws/lambda/x");
  EXPECT_EQ(GroupNames(), (std::vector<std::string>{"/aws/lambda/x", "app"}));
}

TEST_F(LogsGroupsTest, DescribeLogGroupsPagesInAsciiOrder) {
  for (const char* name : {"b", "a/2", "B", "a/1", "a", "c", "/x"}) CreateGroup(name);
  const json first = LogsOk("DescribeLogGroups", {{"limit", 3}});
  ASSERT_EQ(first["logGroups"].size(), 3u);
  ASSERT_TRUE(first.contains("nextToken"));
  EXPECT_EQ(GroupNames({{"limit", 3}}),
            (std::vector<std::string>{"/x", "B", "a", "a/1", "a/2", "b", "c"}));
  EXPECT_EQ(GroupNames({{"limit", 7}}).size(), 7u);
  EXPECT_FALSE(LogsOk("DescribeLogGroups", {{"limit", 7}}).contains("nextToken"));
  EXPECT_EQ(GroupNames({{"logGroupNamePrefix", "a/"}}), (std::vector<std::string>{"a/1", "a/2"}));
  EXPECT_AWS_ERROR(Logs("DescribeLogGroups", {{"limit", 51}}), "InvalidParameterException");
  EXPECT_LOGS_ERROR(Logs("DescribeLogGroups", {{"nextToken", "bogus"}}),
                    "InvalidParameterException", "The specified nextToken is invalid.");
}

TEST_F(LogsGroupsTest, DescribeLogGroupsFiltersByPatternIdentifiersAndClass) {
  CreateGroup("/ecs/web");
  CreateGroup("/ecs/worker", {{"logGroupClass", "INFREQUENT_ACCESS"}});
  CreateGroup("/lambda/web");
  // A pattern is a case-sensitive substring, and the reply is the summary.
  const json by_pattern = LogsOk("DescribeLogGroups", {{"logGroupNamePattern", "web"}});
  ASSERT_EQ(by_pattern["logGroups"].size(), 2u);
  EXPECT_EQ(by_pattern["logGroups"][0],
            json::parse(R"({"logGroupName":"/ecs/web","creationTime":1795000000125,
              "arn":"arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*"})"));
  EXPECT_TRUE(LogsOk("DescribeLogGroups", {{"logGroupNamePattern", "WEB"}})["logGroups"].empty());
  EXPECT_EQ(GroupNames({{"logGroupIdentifiers",
                         {"/lambda/web", std::string(kGroupArnPrefix) + "/ecs/web:*", "nope"}}}),
            (std::vector<std::string>{"/ecs/web", "/lambda/web"}));
  EXPECT_EQ(GroupNames({{"logGroupClass", "INFREQUENT_ACCESS"}}),
            (std::vector<std::string>{"/ecs/worker"}));
  EXPECT_AWS_ERROR(
      Logs("DescribeLogGroups", {{"logGroupNamePrefix", "/ecs"}, {"logGroupNamePattern", "web"}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Logs("DescribeLogGroups", {{"logGroupNamePrefix", "/ecs"}, {"logGroupIdentifiers", {"x"}}}),
      "InvalidParameterException");
}

TEST_F(LogsGroupsTest, ListLogGroupsMatchesPatternsClassesAndTags) {
  CreateGroup("/ecs/web", {{"tags", {{"team", "core"}}}});
  CreateGroup("/ecs/worker", {{"tags", {{"team", "data"}}}});
  CreateGroup("/lambda/web", {{"logGroupClass", "INFREQUENT_ACCESS"}});
  const auto names = [&](const json& input) {
    std::vector<std::string> out;
    json in = input;
    for (int page = 0; page < 10; ++page) {
      const json reply = LogsOk("ListLogGroups", in);
      for (const auto& g : reply["logGroups"]) out.push_back(g["logGroupName"].get<std::string>());
      if (!reply.contains("nextToken")) break;
      in["nextToken"] = reply["nextToken"];
    }
    return out;
  };
  EXPECT_EQ(LogsOk("ListLogGroups", {{"limit", 1}})["logGroups"][0],
            json::parse(R"({"logGroupName":"/ecs/web","logGroupClass":"STANDARD",
              "logGroupArn":"arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web"})"));
  EXPECT_EQ(names({{"limit", 1}}).size(), 3u);
  EXPECT_EQ(names({{"logGroupNamePattern", "^/ecs|lambda"}}).size(), 3u);
  EXPECT_EQ(names({{"logGroupNamePattern", "^/lam"}}), (std::vector<std::string>{"/lambda/web"}));
  EXPECT_EQ(names({{"logGroupNamePattern", "web"}}),
            (std::vector<std::string>{"/ecs/web", "/lambda/web"}));
  EXPECT_EQ(names({{"logGroupClass", "INFREQUENT_ACCESS"}}),
            (std::vector<std::string>{"/lambda/web"}));
  EXPECT_EQ(names({{"logGroupTags", {{{"key", "team"}}}}}),
            (std::vector<std::string>{"/ecs/web", "/ecs/worker"}));
  EXPECT_EQ(names({{"logGroupTags", {{{"key", "team"}, {"values", {"data", "x"}}}}}}),
            (std::vector<std::string>{"/ecs/worker"}));
  EXPECT_TRUE(names({{"dataSources", {{{"name", "x"}}}}}).empty());
  EXPECT_AWS_ERROR(Logs("ListLogGroups", {{"logGroupNamePattern", "ab"}}),
                   "InvalidParameterException");
}

TEST_F(LogsGroupsTest, DeleteLogGroupTakesStreamsEventsAndTagsAlong) {
  CreateGroup("app", {{"tags", {{"a", "1"}}}});
  CreateStream("app", "s");
  Put("app", "s", {{kNow, "hello"}});
  EXPECT_EQ(LogsOk("DeleteLogGroup", {{"logGroupName", "app"}}), json::object());
  EXPECT_LOGS_ERROR(Logs("DeleteLogGroup", {{"logGroupName", "app"}}), "ResourceNotFoundException",
                    kGroupMissing);
  CreateGroup("app");
  EXPECT_TRUE(StreamNames({{"logGroupName", "app"}}).empty());
  EXPECT_EQ(Tags("app"), json::object());
  EXPECT_EQ(Group("app")["storedBytes"], 0);
}

TEST_F(LogsGroupsTest, DeletionProtectionRefusesDeletes) {
  CreateGroup("kept", {{"deletionProtectionEnabled", true}});
  CreateStream("kept", "s");
  EXPECT_AWS_ERROR(Logs("DeleteLogGroup", {{"logGroupName", "kept"}}), "ValidationException");
  EXPECT_AWS_ERROR(Logs("DeleteLogStream", {{"logGroupName", "kept"}, {"logStreamName", "s"}}),
                   "ValidationException");
  EXPECT_EQ(Group("kept")["deletionProtectionEnabled"], true);
  EXPECT_EQ(StreamNames({{"logGroupName", "kept"}}), (std::vector<std::string>{"s"}));
}

// --- Retention ----------------------------------------------------------------

TEST_F(LogsGroupsTest, RetentionIsSetToAllowedValuesAndRemoved) {
  CreateGroup("app");
  EXPECT_EQ(LogsOk("PutRetentionPolicy", {{"logGroupName", "app"}, {"retentionInDays", 7}}),
            json::object());
  EXPECT_EQ(Group("app")["retentionInDays"], 7);
  EXPECT_LOGS_ERROR(
      Logs("PutRetentionPolicy", {{"logGroupName", "app"}, {"retentionInDays", 2}}),
      "InvalidParameterException",
      "1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: "
      "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, "
      "545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]");
  EXPECT_EQ(Group("app")["retentionInDays"], 7);
  for (const int days : {1, 3653}) {
    LogsOk("PutRetentionPolicy", {{"logGroupName", "app"}, {"retentionInDays", days}});
    EXPECT_EQ(Group("app")["retentionInDays"], days);
  }
  EXPECT_LOGS_ERROR(Logs("PutRetentionPolicy", {{"logGroupName", "nope"}, {"retentionInDays", 7}}),
                    "ResourceNotFoundException", kGroupMissing);
  EXPECT_EQ(LogsOk("DeleteRetentionPolicy", {{"logGroupName", "app"}}), json::object());
  EXPECT_FALSE(Group("app").contains("retentionInDays"));
  EXPECT_LOGS_ERROR(Logs("DeleteRetentionPolicy", {{"logGroupName", "nope"}}),
                    "ResourceNotFoundException", kGroupMissing);
}

// --- Streams ------------------------------------------------------------------

TEST_F(LogsGroupsTest, CreateLogStreamNeedsTheGroupAndAFreshName) {
  EXPECT_LOGS_ERROR(Logs("CreateLogStream", {{"logGroupName", "app"}, {"logStreamName", "s"}}),
                    "ResourceNotFoundException", kGroupMissing);
  CreateGroup("app");
  EXPECT_EQ(LogsOk("CreateLogStream", {{"logGroupName", "app"}, {"logStreamName", "s"}}),
            json::object());
  EXPECT_LOGS_ERROR(Logs("CreateLogStream", {{"logGroupName", "app"}, {"logStreamName", "s"}}),
                    "ResourceAlreadyExistsException", "The specified log stream already exists");
  EXPECT_AWS_ERROR(Logs("CreateLogStream", {{"logGroupName", "app"}, {"logStreamName", "a:b"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Logs("CreateLogStream", {{"logGroupName", "app"}, {"logStreamName", "a*"}}),
                   "InvalidParameterException");
  EXPECT_EQ(StreamNames({{"logGroupName", "app"}}), (std::vector<std::string>{"s"}));
}

TEST_F(LogsGroupsTest, DescribeLogStreamsShowsEventTimesOnlyOnceThereAreEvents) {
  CreateGroup("app");
  CreateStream("app", "empty");
  CreateStream("app", "busy");
  Put("app", "busy", {{kNow - 2000, "a"}, {kNow - 1000, "b"}});
  const json streams = LogsOk("DescribeLogStreams", {{"logGroupName", "app"}})["logStreams"];
  ASSERT_EQ(streams.size(), 2u);
  const json& busy = streams[0];
  EXPECT_EQ(busy["logStreamName"], "busy");
  EXPECT_EQ(busy["creationTime"], kNow);
  EXPECT_EQ(busy["firstEventTimestamp"], kNow - 2000);
  EXPECT_EQ(busy["lastEventTimestamp"], kNow - 1000);
  EXPECT_EQ(busy["lastIngestionTime"], kNow);
  EXPECT_EQ(busy["uploadSequenceToken"].get<std::string>().size(), 56u);
  EXPECT_EQ(busy["arn"], std::string(kGroupArnPrefix) + "app:log-stream:busy");
  EXPECT_EQ(busy["storedBytes"], 0);
  EXPECT_EQ(streams[1], json::parse(R"({"logStreamName":"empty","creationTime":1795000000125,
    "arn":"arn:aws:logs:us-east-1:000000000000:log-group:app:log-stream:empty","storedBytes":0})"));
}

TEST_F(LogsGroupsTest, DescribeLogStreamsOrdersPagesAndFilters) {
  CreateGroup("app");
  for (const char* s : {"c", "a", "b", "idle"}) CreateStream("app", s);
  Put("app", "a", {{kNow - 100, "x"}});
  Put("app", "b", {{kNow - 300, "x"}});
  Put("app", "c", {{kNow - 200, "x"}});
  EXPECT_EQ(StreamNames({{"logGroupName", "app"}, {"limit", 1}}),
            (std::vector<std::string>{"a", "b", "c", "idle"}));
  EXPECT_EQ(StreamNames({{"logGroupName", "app"}, {"descending", true}, {"limit", 3}}),
            (std::vector<std::string>{"idle", "c", "b", "a"}));
  EXPECT_EQ(StreamNames({{"logGroupName", "app"}, {"orderBy", "LastEventTime"}, {"limit", 2}}),
            (std::vector<std::string>{"idle", "b", "c", "a"}));
  EXPECT_EQ(StreamNames({{"logGroupName", "app"},
                         {"orderBy", "LastEventTime"},
                         {"descending", true},
                         {"limit", 1}}),
            (std::vector<std::string>{"a", "c", "b", "idle"}));
  EXPECT_EQ(StreamNames({{"logGroupName", "app"}, {"logStreamNamePrefix", "i"}}),
            (std::vector<std::string>{"idle"}));
  // The group by identifier: a name or either ARN form.
  EXPECT_EQ(StreamNames({{"logGroupIdentifier", std::string(kGroupArnPrefix) + "app:*"}}).size(),
            4u);
  EXPECT_EQ(StreamNames({{"logGroupIdentifier", std::string(kGroupArnPrefix) + "app"}}).size(), 4u);
  EXPECT_EQ(StreamNames({{"logGroupIdentifier", "app"}}).size(), 4u);

  EXPECT_LOGS_ERROR(
      Logs("DescribeLogStreams",
           {{"logGroupName", "app"}, {"orderBy", "LastEventTime"}, {"logStreamNamePrefix", "a"}}),
      "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.");
  EXPECT_AWS_ERROR(
      Logs("DescribeLogStreams", {{"logGroupName", "app"}, {"logGroupIdentifier", "app"}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Logs("DescribeLogStreams", json::object()), "InvalidParameterException");
  EXPECT_LOGS_ERROR(Logs("DescribeLogStreams", {{"logGroupName", "nope"}}),
                    "ResourceNotFoundException", kGroupMissing);
  EXPECT_LOGS_ERROR(Logs("DescribeLogStreams", {{"logGroupName", "app"}, {"nextToken", "x"}}),
                    "InvalidParameterException", "The specified nextToken is invalid.");
  // A token of one ordering is no good for another.
  const json page = LogsOk("DescribeLogStreams", {{"logGroupName", "app"}, {"limit", 1}});
  EXPECT_AWS_ERROR(Logs("DescribeLogStreams", {{"logGroupName", "app"},
                                               {"orderBy", "LastEventTime"},
                                               {"nextToken", page["nextToken"]}}),
                   "InvalidParameterException");
}

TEST_F(LogsGroupsTest, DeleteLogStreamRemovesItsEvents) {
  CreateGroup("app");
  CreateStream("app", "s");
  Put("app", "s", {{kNow, "12345"}});
  EXPECT_EQ(Group("app")["storedBytes"], 5);
  EXPECT_LOGS_ERROR(Logs("DeleteLogStream", {{"logGroupName", "app"}, {"logStreamName", "x"}}),
                    "ResourceNotFoundException", kStreamMissing);
  EXPECT_LOGS_ERROR(Logs("DeleteLogStream", {{"logGroupName", "no"}, {"logStreamName", "s"}}),
                    "ResourceNotFoundException", kGroupMissing);
  EXPECT_EQ(LogsOk("DeleteLogStream", {{"logGroupName", "app"}, {"logStreamName", "s"}}),
            json::object());
  EXPECT_EQ(Group("app")["storedBytes"], 0);
  CreateStream("app", "s");
  EXPECT_TRUE(
      LogsOk("GetLogEvents", {{"logGroupName", "app"}, {"logStreamName", "s"}})["events"].empty());
}

// --- Tags ---------------------------------------------------------------------

TEST_F(LogsGroupsTest, TagResourceAddsOverwritesAndUntags) {
  CreateGroup("app", {{"tags", {{"a", "1"}}}});
  const std::string arn = std::string(kGroupArnPrefix) + "app";
  EXPECT_EQ(LogsOk("TagResource", {{"resourceArn", arn}, {"tags", {{"a", "2"}, {"b", "3"}}}}),
            json::object());
  EXPECT_EQ(Tags("app"), json::parse(R"({"a":"2","b":"3"})"));
  EXPECT_EQ(LogsOk("UntagResource", {{"resourceArn", arn}, {"tagKeys", {"a", "zz"}}}),
            json::object());
  EXPECT_EQ(Tags("app"), json::parse(R"({"b":"3"})"));
}

TEST_F(LogsGroupsTest, TaggingNeedsTheArnWithoutStarOfAnExistingGroup) {
  CreateGroup("app");
  const std::string arn = std::string(kGroupArnPrefix) + "app";
  for (const std::string& bad : {arn + ":*", std::string("app"),
                                 std::string("arn:aws:ecs:us-east-1:000000000000:cluster/app")}) {
    EXPECT_LOGS_ERROR(Logs("ListTagsForResource", {{"resourceArn", bad}}), "ValidationException",
                      "Invalid resourceArn");
    EXPECT_LOGS_ERROR(Logs("TagResource", {{"resourceArn", bad}, {"tags", {{"a", "1"}}}}),
                      "ValidationException", "Invalid resourceArn");
  }
  EXPECT_LOGS_ERROR(Logs("TagResource", {{"resourceArn", std::string(kGroupArnPrefix) + "nope"},
                                         {"tags", {{"a", "1"}}}}),
                    "ResourceNotFoundException", "The specified resource does not exist.");
  EXPECT_AWS_ERROR(Logs("ListTagsForResource",
                        {{"resourceArn", "arn:aws:logs:us-east-1:000000000000:destination:d"}}),
                   "ResourceNotFoundException");
  EXPECT_EQ(Tags("app"), json::object());
}

TEST_F(LogsGroupsTest, FiftyTagsAtMost) {
  json fifty = json::object();
  for (int i = 0; i < 50; ++i) fifty["k" + std::to_string(i)] = "v";
  CreateGroup("app", {{"tags", fifty}});
  const std::string arn = std::string(kGroupArnPrefix) + "app";
  const ApiReply refused = Logs("TagResource", {{"resourceArn", arn}, {"tags", {{"one", "more"}}}});
  EXPECT_AWS_ERROR(refused, "TooManyTagsException");
  EXPECT_EQ(refused.body["resourceName"], arn);
  EXPECT_AWS_ERROR(Logs("TagLogGroup", {{"logGroupName", "app"}, {"tags", {{"one", "more"}}}}),
                   "InvalidParameterException");
  // Overwriting an existing key stays within the limit.
  LogsOk("TagResource", {{"resourceArn", arn}, {"tags", {{"k0", "new"}}}});
  EXPECT_EQ(Tags("app").size(), 50u);
  EXPECT_EQ(Tags("app")["k0"], "new");
  fifty["extra"] = "x";
  EXPECT_AWS_ERROR(Logs("CreateLogGroup", {{"logGroupName", "other"}, {"tags", fifty}}),
                   "InvalidParameterException");
  EXPECT_TRUE(Group("other").is_null());
}

TEST_F(LogsGroupsTest, LegacyTaggingSharesTheTagSet) {
  CreateGroup("app");
  EXPECT_EQ(LogsOk("TagLogGroup", {{"logGroupName", "app"}, {"tags", {{"a", "1"}, {"b", "2"}}}}),
            json::object());
  EXPECT_EQ(Tags("app"), json::parse(R"({"a":"1","b":"2"})"));
  EXPECT_EQ(LogsOk("UntagLogGroup", {{"logGroupName", "app"}, {"tags", {"a"}}}), json::object());
  EXPECT_EQ(LogsOk("ListTagsLogGroup", {{"logGroupName", "app"}}),
            json::parse(R"({"tags":{"b":"2"}})"));
  for (const char* op : {"ListTagsLogGroup", "TagLogGroup", "UntagLogGroup"}) {
    json input = {{"logGroupName", "nope"}};
    if (std::string(op) == "TagLogGroup") input["tags"] = {{"a", "1"}};
    if (std::string(op) == "UntagLogGroup") input["tags"] = {"a"};
    SCOPED_TRACE(op);
    EXPECT_LOGS_ERROR(Logs(op, input), "ResourceNotFoundException", kGroupMissing);
  }
}

// --- The rest of the model ------------------------------------------------------

TEST_F(LogsGroupsTest, UnemulatedOperationsNameThemselves) {
  for (const char* op : {"PutMetricFilter", "StartQuery", "GetQueryResults"}) {
    const ApiReply reply = Logs(op, json::object());
    EXPECT_AWS_ERROR(reply, "NotImplementedException");
    EXPECT_NE(reply.message().find(op), std::string::npos) << reply.raw;
    EXPECT_NE(reply.message().find("CloudWatch Logs"), std::string::npos) << reply.raw;
  }
  EXPECT_AWS_ERROR(Logs("NoSuchOperation", json::object()), "UnknownOperationException");
}

}  // namespace
}  // namespace berth::testing
