// The account-level ECS operations through the JSON API: account settings,
// resource tags, attributes, and the request context (account and region).
// Every refused call is followed by a read that proves nothing was stored.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/api/ecs_clusters_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

// --- Account settings ------------------------------------------------------------

TEST_F(EcsClustersTest, PutAccountSettingAcceptsEachNamesValues) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> names = {
      {"awsvpcTrunking", {"enabled", "disabled"}},
      {"containerInsights", {"enabled", "disabled", "enhanced"}},
      {"containerInstanceLongArnFormat", {"enabled", "disabled"}},
      {"defaultLogDriverMode", {"blocking", "non-blocking"}},
      {"fargateEventWindows", {"enabled", "disabled"}},
      {"fargateFIPSMode", {"enabled", "disabled"}},
      {"fargateTaskRetirementWaitPeriod", {"0", "7", "14"}},
      {"serviceLongArnFormat", {"enabled", "disabled"}},
      {"tagResourceAuthorization", {"on", "off"}},
      {"taskLongArnFormat", {"enabled", "disabled"}},
  };
  for (const auto& [name, values] : names) {
    for (const auto& value : values) {
      const json out = EcsOk("PutAccountSetting", {{"name", name}, {"value", value}});
      EXPECT_EQ(
          out["setting"],
          json({{"name", name}, {"value", value}, {"principalArn", kRoot}, {"type", "user"}}));
      EXPECT_EQ(Settings({{"name", name}}), json::array({out["setting"]}));
      EXPECT_EQ(EcsOk("PutAccountSettingDefault", {{"name", name}, {"value", value}})["setting"],
                out["setting"]);
    }
  }
}

TEST_F(EcsClustersTest, PutAccountSettingRefusesValuesOutsideTheNamesSet) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"awsvpcTrunking", "on"},
      {"containerInsights", "enhanced-plus"},
      {"containerInstanceLongArnFormat", "ENABLED"},
      {"defaultLogDriverMode", "nonblocking"},
      {"fargateEventWindows", "on"},
      {"fargateFIPSMode", "true"},
      {"fargateTaskRetirementWaitPeriod", "3"},
      {"serviceLongArnFormat", ""},
      {"tagResourceAuthorization", "enabled"},
      {"taskLongArnFormat", "off"},
  };
  for (const auto& [name, value] : bad) {
    SCOPED_TRACE(name + "=" + value);
    EXPECT_AWS_ERROR(Ecs("PutAccountSetting", {{"name", name}, {"value", value}}),
                     "InvalidParameterException");
    EXPECT_AWS_ERROR(Ecs("PutAccountSettingDefault", {{"name", name}, {"value", value}}),
                     "InvalidParameterException");
  }
  EXPECT_AWS_ERROR(Ecs("PutAccountSetting", {{"name", "noSuchSetting"}, {"value", "enabled"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("PutAccountSetting", {{"name", "awsvpcTrunking"}}),
                   "InvalidParameterException");
  EXPECT_TRUE(Settings().empty());
}

TEST_F(EcsClustersTest, GuardDutyActivateIsReadOnly) {
  // guardDutyActivate is controlled by GuardDuty, not by callers.
  EXPECT_AWS_ERROR(Ecs("PutAccountSetting", {{"name", "guardDutyActivate"}, {"value", "on"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Ecs("PutAccountSettingDefault", {{"name", "guardDutyActivate"}, {"value", "on"}}),
      "InvalidParameterException");
  EXPECT_TRUE(Settings().empty());
  EXPECT_EQ(Settings({{"name", "guardDutyActivate"}, {"effectiveSettings", true}}),
            json::parse(R"([{"name":"guardDutyActivate","value":"off",
                             "principalArn":"arn:aws:iam::000000000000:root","type":"aws_managed"}])"));
}

TEST_F(EcsClustersTest, DefaultOnlySettingsAreRefusedForOtherPrincipals) {
  const std::string role = "arn:aws:iam::000000000000:role/deployer";
  for (const std::string name :
       {"fargateFIPSMode", "fargateTaskRetirementWaitPeriod", "fargateEventWindows"}) {
    const std::string value = name == "fargateTaskRetirementWaitPeriod" ? "14" : "enabled";
    EXPECT_AWS_ERROR(
        Ecs("PutAccountSetting", {{"name", name}, {"value", value}, {"principalArn", role}}),
        "InvalidParameterException");
    EXPECT_TRUE(Settings({{"name", name}, {"principalArn", role}}).empty());
    // The root may set it.
    EXPECT_EQ(
        EcsOk("PutAccountSetting",
              {{"name", name}, {"value", value}, {"principalArn", kRoot}})["setting"]["value"],
        value);
  }
  // Other settings may be set for a role; a principal must be an IAM ARN.
  EXPECT_EQ(EcsOk("PutAccountSetting", {{"name", "containerInsights"},
                                        {"value", "enabled"},
                                        {"principalArn", role}})["setting"]["principalArn"],
            role);
  EXPECT_AWS_ERROR(
      Ecs("PutAccountSetting",
          {{"name", "containerInsights"}, {"value", "enabled"}, {"principalArn", "deployer"}}),
      "InvalidParameterException");
  EXPECT_EQ(Settings({{"principalArn", role}}).size(), 1u);
}

TEST_F(EcsClustersTest, ListAccountSettingsEffectiveSettings) {
  const std::string role = "arn:aws:iam::000000000000:role/dev";
  EcsOk("PutAccountSettingDefault", {{"name", "awsvpcTrunking"}, {"value", "enabled"}});
  EcsOk("PutAccountSetting",
        {{"name", "containerInsights"}, {"value", "enhanced"}, {"principalArn", role}});
  // Without effectiveSettings: only what the principal set itself.
  EXPECT_EQ(Settings({{"principalArn", role}}),
            json::parse(R"([{"name":"containerInsights","value":"enhanced",
                             "principalArn":"arn:aws:iam::000000000000:role/dev","type":"user"}])"));
  // With it: every setting, own value, else the account default, else AWS's.
  const json effective =
      EcsOk("ListAccountSettings",
            {{"principalArn", role}, {"effectiveSettings", true}, {"maxResults", 10}});
  json all = effective["settings"];
  if (effective.contains("nextToken")) {
    const json more = EcsOk("ListAccountSettings", {{"principalArn", role},
                                                    {"effectiveSettings", true},
                                                    {"nextToken", effective["nextToken"]}});
    for (const auto& s : more["settings"]) all.push_back(s);
  }
  EXPECT_EQ(all.size(), 11u);
  const auto find = [&](const std::string& name) {
    for (const auto& s : all) {
      if (s["name"] == name) return s;
    }
    return json();
  };
  EXPECT_EQ(find("containerInsights"), json({{"name", "containerInsights"},
                                             {"value", "enhanced"},
                                             {"principalArn", role},
                                             {"type", "user"}}));
  EXPECT_EQ(find("awsvpcTrunking"), json({{"name", "awsvpcTrunking"},
                                          {"value", "enabled"},
                                          {"principalArn", kRoot},
                                          {"type", "user"}}));
  EXPECT_EQ(find("taskLongArnFormat"), json({{"name", "taskLongArnFormat"},
                                             {"value", "enabled"},
                                             {"principalArn", kRoot},
                                             {"type", "aws_managed"}}));
  // The value filter needs a name, and filters on the value in force.
  EXPECT_AWS_ERROR(Ecs("ListAccountSettings", {{"value", "enabled"}}), "InvalidParameterException");
  EXPECT_EQ(
      Settings({{"name", "awsvpcTrunking"}, {"value", "enabled"}, {"effectiveSettings", true}})
          .size(),
      1u);
  EXPECT_TRUE(
      Settings({{"name", "awsvpcTrunking"}, {"value", "disabled"}, {"effectiveSettings", true}})
          .empty());
  EXPECT_AWS_ERROR(Ecs("ListAccountSettings", {{"name", "bogus"}}), "InvalidParameterException");
}

TEST_F(EcsClustersTest, ListAccountSettingsPagesWithinOneToTen) {
  EXPECT_AWS_ERROR(Ecs("ListAccountSettings", {{"maxResults", 0}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("ListAccountSettings", {{"maxResults", 11}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("ListAccountSettings", {{"nextToken", "forged"}}),
                   "InvalidParameterException");
  // Tokens of the right listing but with a bad offset are refused too.
  for (const char* offset : {"", "-1", "x", "3x", "99999999999999999999999999999"}) {
    SCOPED_TRACE(offset);
    EXPECT_AWS_ERROR(
        Ecs("ListAccountSettings", {{"nextToken", aws::EncodePageToken("ecs.settings", offset)}}),
        "InvalidParameterException");
  }
  // One past the end (the list shrank since) is simply the end.
  EXPECT_TRUE(EcsOk("ListAccountSettings",
                    {{"effectiveSettings", true},
                     {"nextToken", aws::EncodePageToken("ecs.settings", "500")}})["settings"]
                  .empty());
  // Eleven effective settings, three at a time.
  std::vector<std::string> names;
  std::vector<size_t> sizes;
  json input = {{"effectiveSettings", true}, {"maxResults", 3}};
  for (int page = 0; page < 10; ++page) {
    const json out = EcsOk("ListAccountSettings", input);
    sizes.push_back(out["settings"].size());
    for (const auto& s : out["settings"]) names.push_back(s["name"]);
    if (!out.contains("nextToken")) break;
    input["nextToken"] = out["nextToken"];
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 3, 2}));
  EXPECT_EQ(names.size(), 11u);
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
  // Without maxResults, ten per page.
  const json first = EcsOk("ListAccountSettings", {{"effectiveSettings", true}});
  EXPECT_EQ(first["settings"].size(), 10u);
  EXPECT_TRUE(first.contains("nextToken"));
}

TEST_F(EcsClustersTest, DeleteAccountSettingReturnsWhatWasSet) {
  const std::string role = "arn:aws:iam::000000000000:role/dev";
  EcsOk("PutAccountSetting", {{"name", "containerInsights"}, {"value", "enabled"}});
  EcsOk("PutAccountSetting",
        {{"name", "containerInsights"}, {"value", "enhanced"}, {"principalArn", role}});
  EXPECT_EQ(EcsOk("DeleteAccountSetting",
                  {{"name", "containerInsights"}, {"principalArn", role}})["setting"],
            json({{"name", "containerInsights"},
                  {"value", "enhanced"},
                  {"principalArn", role},
                  {"type", "user"}}));
  // The root's own setting is untouched.
  EXPECT_EQ(Settings({{"name", "containerInsights"}})[0]["value"], "enabled");
  EXPECT_TRUE(Settings({{"principalArn", role}}).empty());
  EXPECT_EQ(EcsOk("DeleteAccountSetting", {{"name", "containerInsights"}})["setting"]["value"],
            "enabled");
  EXPECT_TRUE(Settings().empty());
  EXPECT_AWS_ERROR(Ecs("DeleteAccountSetting", {{"name", "bogus"}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Ecs("DeleteAccountSetting", {{"name", "containerInsights"}, {"principalArn", "dev"}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("DeleteAccountSetting", json::object()), "InvalidParameterException");
}

// --- Resource tags ---------------------------------------------------------------

TEST_F(EcsClustersTest, TagsOnClustersAndTaskDefinitions) {
  Create("demo", {{"tags", json::parse(R"([{"key":"team","value":"a"}])")}});
  const std::string cluster = std::string(kClusterArnPrefix) + "demo";
  EXPECT_EQ(
      EcsOk("TagResource",
            {{"resourceArn", cluster},
             {"tags", json::parse(R"([{"key":"team","value":"b"},{"key":"env","value":"dev"}])")}}),
      json::object());
  EXPECT_EQ(Tags(cluster),
            json::parse(R"([{"key":"team","value":"b"},{"key":"env","value":"dev"}])"));
  EXPECT_EQ(Describe("demo", {"TAGS"})["tags"], Tags(cluster));
  EXPECT_EQ(EcsOk("UntagResource", {{"resourceArn", cluster}, {"tagKeys", {"team", "absent"}}}),
            json::object());
  EXPECT_EQ(Tags(cluster), json::parse(R"([{"key":"env","value":"dev"}])"));

  const std::string td = RegisterTaskDefinition("web");
  EXPECT_EQ(td, "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1");
  EcsOk("TagResource", {{"resourceArn", td}, {"tags", TagList(2)}});
  EXPECT_EQ(Tags(td), TagList(2));
  EXPECT_EQ(
      EcsOk("DescribeTaskDefinition", {{"taskDefinition", "web:1"}, {"include", {"TAGS"}}})["tags"],
      TagList(2));
  EXPECT_AWS_ERROR(Ecs("TagResource",
                       {{"resourceArn", "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2"},
                        {"tags", TagList(1)}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("ListTagsForResource",
                       {{"resourceArn", "arn:aws:ecs:us-east-1:000000000000:task-definition/web"}}),
                   "InvalidParameterException");
  // Only the ARN DescribeTaskDefinition reports names it (tags are kept by ARN).
  EXPECT_AWS_ERROR(
      Ecs("TagResource",
          {{"resourceArn", "arn:aws:ecs:us-east-1:000000000000:task-definition/web:01"},
           {"tags", TagList(1, "x")}}),
      "InvalidParameterException");
  EXPECT_EQ(Tags(td), TagList(2));
}

TEST_F(EcsClustersTest, TagOperationsRefuseBadArns) {
  Create("demo", {{"tags", TagList(1)}});
  const std::vector<std::string> bad = {
      "not-an-arn",
      "arn:aws:ecs",
      "arn:aws:ecr:us-east-1:000000000000:repository/demo",
      "arn:aws:ecs:us-east-1:000000000000:widget/demo",
      "arn:aws:ecs:us-east-1:111111111111:cluster/demo",
      "arn:aws:ecs:eu-west-1:000000000000:cluster/demo",
      "arn:aws-cn:ecs:us-east-1:000000000000:cluster/demo",
  };
  for (const auto& arn : bad) {
    SCOPED_TRACE(arn);
    EXPECT_AWS_ERROR(Ecs("ListTagsForResource", {{"resourceArn", arn}}),
                     "InvalidParameterException");
    EXPECT_AWS_ERROR(Ecs("TagResource", {{"resourceArn", arn}, {"tags", TagList(1, "new")}}),
                     "InvalidParameterException");
    EXPECT_AWS_ERROR(Ecs("UntagResource", {{"resourceArn", arn}, {"tagKeys", {"k0"}}}),
                     "InvalidParameterException");
  }
  EXPECT_EQ(Tags(std::string(kClusterArnPrefix) + "demo"), TagList(1));
}

TEST_F(EcsClustersTest, TagOperationsOnMissingOrInactiveClusters) {
  const std::string ghost = std::string(kClusterArnPrefix) + "ghost";
  const ApiReply r = Ecs("TagResource", {{"resourceArn", ghost}, {"tags", TagList(1)}});
  EXPECT_AWS_ERROR(r, "ClusterNotFoundException");
  EXPECT_EQ(r.message(), "Cluster not found.");
  EXPECT_AWS_ERROR(Ecs("UntagResource", {{"resourceArn", ghost}, {"tagKeys", {"k0"}}}),
                   "ClusterNotFoundException");
  EXPECT_AWS_ERROR(Ecs("ListTagsForResource", {{"resourceArn", ghost}}),
                   "ClusterNotFoundException");
  Create("old");
  EcsOk("DeleteCluster", {{"cluster", "old"}});
  EXPECT_AWS_ERROR(Ecs("TagResource", {{"resourceArn", std::string(kClusterArnPrefix) + "old"},
                                       {"tags", TagList(1)}}),
                   "InvalidParameterException");
  // Neither name picked up tags on the way.
  EXPECT_TRUE(Create("ghost")["tags"].empty());
  EXPECT_TRUE(Create("old")["tags"].empty());
}

TEST_F(EcsClustersTest, TagResourceRefusesBadTagsAndChangesNothing) {
  Create("demo", {{"tags", TagList(48)}});
  const std::string arn = std::string(kClusterArnPrefix) + "demo";
  const auto tag = [&](const json& tags) {
    return Ecs("TagResource", {{"resourceArn", arn}, {"tags", tags}});
  };
  EXPECT_AWS_ERROR(tag(json::parse(R"([{"key":"aws:owner","value":"x"}])")),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(tag(json::parse(R"([{"key":"ok","value":"1"},{"key":"ok","value":"2"}])")),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(tag(TagList(51, "n")), "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("TagResource", {{"resourceArn", arn}}), "InvalidParameterException");
  // 51 after merging two existing keys and three new ones: rolled back.
  json more = TagList(3, "new");
  more.push_back({{"key", "k0"}, {"value", "changed"}});
  EXPECT_AWS_ERROR(tag(more), "InvalidParameterException");
  EXPECT_EQ(Tags(arn), TagList(48));
  // Exactly 50 is fine.
  EXPECT_EQ(tag(TagList(2, "new")).status, 200u);
  EXPECT_EQ(Tags(arn).size(), 50u);
}

// --- Attributes ------------------------------------------------------------------

TEST_F(EcsClustersTest, AttributesNeedAnExistingCluster) {
  const json attribute =
      json::parse(R"([{"name":"stack","value":"prod","targetId":"0123456789abcdef"}])");
  for (const char* op : {"PutAttributes", "DeleteAttributes"}) {
    const ApiReply r = Ecs(op, {{"cluster", "ghost"}, {"attributes", attribute}});
    EXPECT_AWS_ERROR(r, "ClusterNotFoundException");
    EXPECT_EQ(r.message(), "Cluster not found.");
    // Without a cluster they act on `default`, which does not exist.
    EXPECT_AWS_ERROR(Ecs(op, {{"attributes", attribute}}), "ClusterNotFoundException");
  }
  EXPECT_AWS_ERROR(
      Ecs("ListAttributes", {{"cluster", "ghost"}, {"targetType", "container-instance"}}),
      "ClusterNotFoundException");
  EXPECT_AWS_ERROR(Ecs("ListAttributes", {{"targetType", "container-instance"}}),
                   "ClusterNotFoundException");
  Create("old");
  EcsOk("DeleteCluster", {{"cluster", "old"}});
  EXPECT_AWS_ERROR(
      Ecs("ListAttributes", {{"cluster", "old"}, {"targetType", "container-instance"}}),
      "ClusterNotFoundException");
  EXPECT_TRUE(Describe("ghost").is_null());
}

TEST_F(EcsClustersTest, PutAttributesOnAnUnknownTargetStoresNothing) {
  Create("demo");
  const ApiReply r =
      Ecs("PutAttributes",
          {{"cluster", "demo"}, {"attributes", json::parse(R"([{"name":"stack","value":"prod",
                                                          "targetId":"0123456789abcdef"}])")}});
  EXPECT_AWS_ERROR(r, "TargetNotFoundException");
  EXPECT_AWS_ERROR(
      Ecs("DeleteAttributes",
          {{"cluster", "demo"},
           {"attributes", json::parse(R"([{"name":"stack","targetId":"0123456789abcdef"}])")}}),
      "TargetNotFoundException");
  // Malformed attributes are refused before any target is looked up.
  const auto put = [&](const std::string& attributes) {
    return Ecs("PutAttributes", {{"cluster", "demo"}, {"attributes", json::parse(attributes)}});
  };
  EXPECT_AWS_ERROR(put("[]"), "InvalidParameterException");
  EXPECT_AWS_ERROR(put(R"([{"name":"bad name","targetId":"x"}])"), "InvalidParameterException");
  EXPECT_AWS_ERROR(put(R"([{"name":"-lead","targetId":"x"}])"), "InvalidParameterException");
  EXPECT_AWS_ERROR(put(R"([{"name":"ok","value":"","targetId":"x"}])"),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(put(R"([{"name":"ok","value":" lead","targetId":"x"}])"),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(put(R"([{"name":"ok","value":"semi;colon","targetId":"x"}])"),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(put(R"([{"name":"ok","targetType":"instance","targetId":"x"}])"),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(put(R"([{"value":"x","targetId":"x"}])"), "InvalidParameterException");
  EXPECT_AWS_ERROR(put(R"([{"name":"ok"}])"), "InvalidParameterException");
  EXPECT_TRUE(EcsOk("ListAttributes", {{"cluster", "demo"},
                                       {"targetType", "container-instance"},
                                       {"attributeName", "ok"}})["attributes"]
                  .empty());
}

TEST_F(EcsClustersTest, ListAttributesFilters) {
  Create("demo");
  EXPECT_TRUE(EcsOk("ListAttributes", {{"cluster", "demo"},
                                       {"targetType", "container-instance"},
                                       {"attributeName", "stack"}})["attributes"]
                  .empty());
  EXPECT_TRUE(EcsOk("ListAttributes", {{"cluster", "demo"},
                                       {"targetType", "container-instance"},
                                       {"attributeName", "stack"},
                                       {"attributeValue", "prod"}})["attributes"]
                  .empty());
  EXPECT_AWS_ERROR(
      Ecs("ListAttributes",
          {{"cluster", "demo"}, {"targetType", "container-instance"}, {"attributeValue", "prod"}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("ListAttributes", {{"cluster", "demo"}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("ListAttributes", {{"cluster", "demo"}, {"targetType", "task"}}),
                   "InvalidParameterException");
}

// --- Request context -------------------------------------------------------------

TEST_F(EcsClustersTest, AccessKeyAccountAndScopeRegionSeparateClusters) {
  // Given a cluster created by account 123456789012 in eu-west-1
  const std::string auth = Auth("123456789012", "eu-west-1");
  const ApiReply created =
      EcsAs(auth, "CreateCluster", {{"clusterName", "shared"}, {"tags", TagList(1)}});
  ASSERT_EQ(created.status, 200u) << created.raw;
  const std::string arn = created.body["cluster"]["clusterArn"];
  EXPECT_EQ(arn, "arn:aws:ecs:eu-west-1:123456789012:cluster/shared");
  // Then that account lists, describes and reads its tags
  EXPECT_EQ(EcsAs(auth, "ListClusters", json::object()).body["clusterArns"], json::array({arn}));
  EXPECT_EQ(EcsAs(auth, "ListTagsForResource", {{"resourceArn", arn}}).body["tags"], TagList(1));
  // while the default account sees nothing, not even by ARN
  EXPECT_TRUE(ListedArns().empty());
  const json d = EcsOk("DescribeClusters", {{"clusters", {arn}}});
  EXPECT_TRUE(d["clusters"].empty());
  EXPECT_EQ(d["failures"][0]["arn"], arn);
  EXPECT_AWS_ERROR(Ecs("TagResource", {{"resourceArn", arn}, {"tags", TagList(1, "x")}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("DeleteCluster", {{"cluster", arn}}), "ClusterNotFoundException");
  // and neither does the same account in another region.
  EXPECT_TRUE(EcsAs(Auth("123456789012", "us-west-2"), "ListClusters", json::object())
                  .body["clusterArns"]
                  .empty());
  // A name of the same spelling is a different cluster elsewhere.
  EXPECT_EQ(Create("shared")["clusterArn"], std::string(kClusterArnPrefix) + "shared");
  EXPECT_EQ(EcsAs(auth, "ListClusters", json::object()).body["clusterArns"], json::array({arn}));
  // Account settings are per account too.
  EXPECT_EQ(EcsAs(auth, "PutAccountSetting", {{"name", "containerInsights"}, {"value", "enabled"}})
                .body["setting"]["principalArn"],
            "arn:aws:iam::123456789012:root");
  EXPECT_TRUE(Settings().empty());
}

TEST_F(EcsClustersTest, ClustersOfOnePartitionAreInvisibleFromAnother) {
  const std::string china = Auth("AKIDEXAMPLE", "cn-north-1");
  const ApiReply created = EcsAs(china, "CreateCluster", {{"clusterName", "demo"}});
  ASSERT_EQ(created.status, 200u) << created.raw;
  const std::string arn = created.body["cluster"]["clusterArn"];
  EXPECT_EQ(arn, "arn:aws-cn:ecs:cn-north-1:000000000000:cluster/demo");
  EXPECT_TRUE(ListedArns().empty());
  EXPECT_TRUE(Describe("demo").is_null());
  EXPECT_AWS_ERROR(Ecs("ListTagsForResource", {{"resourceArn", arn}}), "InvalidParameterException");
  // In cn-north-1 the ARN must carry its own partition.
  const std::string wrong_partition = "arn:aws:ecs:cn-north-1:000000000000:cluster/demo";
  EXPECT_AWS_ERROR(
      EcsAs(china, "TagResource", {{"resourceArn", wrong_partition}, {"tags", TagList(1)}}),
      "InvalidParameterException");
  EXPECT_TRUE(
      EcsAs(china, "DescribeClusters", {{"clusters", {wrong_partition}}}).body["clusters"].empty());
  ASSERT_EQ(EcsAs(china, "TagResource", {{"resourceArn", arn}, {"tags", TagList(1)}}).status, 200u);
  const ApiReply described =
      EcsAs(china, "DescribeClusters", {{"clusters", {arn}}, {"include", {"TAGS"}}});
  ASSERT_EQ(described.body["clusters"].size(), 1u);
  EXPECT_EQ(described.body["clusters"][0]["tags"], TagList(1));
}

}  // namespace
}  // namespace berth::testing
