// ECS clusters and capacity providers through the JSON API: create,
// describe, list, delete, update, settings and capacity providers. Every
// refused call is followed by a read that proves nothing was stored.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/api/ecs_clusters_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

// --- CreateCluster ---------------------------------------------------------------

TEST_F(EcsClustersTest, CreateClusterReturnsTheNewCluster) {
  const json c = Create("demo");
  EXPECT_EQ(c, json::parse(R"({
      "clusterArn": "arn:aws:ecs:us-east-1:000000000000:cluster/demo",
      "clusterName": "demo", "status": "ACTIVE",
      "registeredContainerInstancesCount": 1, "runningTasksCount": 0,
      "pendingTasksCount": 0, "activeServicesCount": 0,
      "statistics": [], "tags": [],
      "settings": [{"name": "containerInsights", "value": "disabled"}],
      "capacityProviders": [], "defaultCapacityProviderStrategy": []})"));
}

TEST_F(EcsClustersTest, CreateClusterWithoutANameCreatesDefault) {
  const json c = EcsOk("CreateCluster", json::object())["cluster"];
  EXPECT_EQ(c["clusterName"], "default");
  EXPECT_EQ(c["clusterArn"], std::string(kClusterArnPrefix) + "default");
  // DescribeClusters without a list describes the default cluster.
  const json d = EcsOk("DescribeClusters", json::object());
  ASSERT_EQ(d["clusters"].size(), 1u);
  EXPECT_EQ(d["clusters"][0]["clusterName"], "default");
  EXPECT_TRUE(d["failures"].empty());
}

TEST_F(EcsClustersTest, CreateClusterChecksTheName) {
  const std::vector<std::string> invalid = {
      "", "has space", "a.b", "a/b", "a:b", "caf\xc3\xa9", "tab\t", std::string(256, 'a'),
  };
  for (const auto& name : invalid) {
    const ApiReply r = Ecs("CreateCluster", {{"clusterName", name}});
    EXPECT_EQ(r.status, 400u) << name;
    EXPECT_EQ(r.error_type(), "InvalidParameterException") << name << ": " << r.raw;
  }
  EXPECT_TRUE(ListedArns().empty());
  for (const std::string& name : {std::string("a"), std::string("A-b_9"), std::string(255, 'z')}) {
    EXPECT_EQ(Create(name)["clusterName"], name);
  }
  EXPECT_EQ(ListedArns().size(), 3u);
}

TEST_F(EcsClustersTest, CreateClusterOfAnActiveNameReturnsItUnchanged) {
  // Given a cluster with tags and insights enabled
  const json first = Create(
      "demo", {{"tags", TagList(2)},
               {"settings", json::parse(R"([{"name":"containerInsights","value":"enabled"}])")}});
  clock_.Advance(30);
  // When it is created again with other settings and tags
  const json again = Create(
      "demo", {{"tags", TagList(1, "other")},
               {"settings", json::parse(R"([{"name":"containerInsights","value":"disabled"}])")},
               {"capacityProviders", {"FARGATE"}}});
  // Then the call succeeds and changes nothing
  EXPECT_EQ(again, first);
  EXPECT_EQ(Tags(std::string(kClusterArnPrefix) + "demo"), TagList(2));
  EXPECT_EQ(ListedArns().size(), 1u);
}

TEST_F(EcsClustersTest, CreateClusterAfterDeleteStartsFresh) {
  Create("demo", {{"tags", TagList(3)}, {"capacityProviders", {"FARGATE"}}});
  EcsOk("DeleteCluster", {{"cluster", "demo"}});
  const json fresh = Create("demo");
  EXPECT_EQ(fresh["status"], "ACTIVE");
  EXPECT_TRUE(fresh["tags"].empty());
  EXPECT_TRUE(fresh["capacityProviders"].empty());
  EXPECT_EQ(ListedArns(), std::vector<std::string>{std::string(kClusterArnPrefix) + "demo"});
}

TEST_F(EcsClustersTest, CreateClusterChecksSettings) {
  const auto create = [&](const std::string& settings) {
    return Ecs("CreateCluster", {{"clusterName", "demo"}, {"settings", json::parse(settings)}});
  };
  EXPECT_AWS_ERROR(create(R"([{"name":"containerInsights","value":"maybe"}])"),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(create(R"([{"name":"containerInsights","value":"ENABLED"}])"),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(create(R"([{"name":"containerInsights"}])"), "InvalidParameterException");
  EXPECT_AWS_ERROR(create(R"([{"name":"somethingElse","value":"enabled"}])"),
                   "InvalidParameterException");
  // A setting without a name is the caller's mistake, not a serialization one.
  EXPECT_AWS_ERROR(create(R"([{"value":"enabled"}])"), "InvalidParameterException");
  EXPECT_AWS_ERROR(create(R"([{}])"), "InvalidParameterException");
  EXPECT_TRUE(ListedArns().empty());
  for (const char* value : {"enabled", "disabled", "enhanced"}) {
    const json c =
        Create(std::string("c-") + value,
               {{"settings", json::array({{{"name", "containerInsights"}, {"value", value}}})}});
    EXPECT_EQ(c["settings"], json::array({{{"name", "containerInsights"}, {"value", value}}}));
  }
}

TEST_F(EcsClustersTest, CreateClusterChecksCapacityProvidersAndStrategy) {
  const auto create = [&](const json& providers, const json& strategy) {
    return Ecs("CreateCluster", {{"clusterName", "demo"},
                                 {"capacityProviders", providers},
                                 {"defaultCapacityProviderStrategy", strategy}});
  };
  // Only the built-in Fargate providers exist.
  EXPECT_AWS_ERROR(create({"MY_ASG_PROVIDER"}, json::array()), "InvalidParameterException");
  EXPECT_AWS_ERROR(create({"fargate"}, json::array()), "InvalidParameterException");
  // The strategy may only name listed providers, each once, with one base.
  EXPECT_AWS_ERROR(create({"FARGATE"}, json::parse(R"([{"capacityProvider":"FARGATE_SPOT"}])")),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(create(json::array(), json::parse(R"([{"capacityProvider":"FARGATE"}])")),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(create({"FARGATE"}, json::parse(R"([{"capacityProvider":"FARGATE","weight":1},
                                                       {"capacityProvider":"FARGATE","weight":2}])")),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(
      create({"FARGATE", "FARGATE_SPOT"}, json::parse(R"([{"capacityProvider":"FARGATE","base":1},
                                          {"capacityProvider":"FARGATE_SPOT","base":2}])")),
      "InvalidParameterException");
  // The model's ranges: weight 0-1000, base 0-100000, provider required.
  EXPECT_AWS_ERROR(
      create({"FARGATE"}, json::parse(R"([{"capacityProvider":"FARGATE","weight":1001}])")),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(
      create({"FARGATE"}, json::parse(R"([{"capacityProvider":"FARGATE","weight":-1}])")),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(
      create({"FARGATE"}, json::parse(R"([{"capacityProvider":"FARGATE","base":100001}])")),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(
      create({"FARGATE"}, json::parse(R"([{"capacityProvider":"FARGATE","base":-1}])")),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(create({"FARGATE"}, json::parse(R"([{"weight":1}])")),
                   "InvalidParameterException");
  EXPECT_TRUE(ListedArns().empty());

  // The limits themselves, and a base of zero next to a base, are fine.
  const json strategy = json::parse(R"([{"capacityProvider":"FARGATE","weight":1000,"base":100000},
                                        {"capacityProvider":"FARGATE_SPOT","weight":0,"base":0}])");
  const ApiReply ok = create({"FARGATE", "FARGATE_SPOT"}, strategy);
  ASSERT_EQ(ok.status, 200u) << ok.raw;
  EXPECT_EQ(ok.body["cluster"]["capacityProviders"], json({"FARGATE", "FARGATE_SPOT"}));
  EXPECT_EQ(ok.body["cluster"]["defaultCapacityProviderStrategy"], strategy);
  EXPECT_EQ(Describe("demo")["defaultCapacityProviderStrategy"], strategy);
}

TEST_F(EcsClustersTest, CreateClusterChecksTags) {
  const auto create = [&](const json& tags) {
    return Ecs("CreateCluster", {{"clusterName", "demo"}, {"tags", tags}});
  };
  EXPECT_AWS_ERROR(create(TagList(51)), "InvalidParameterException");
  EXPECT_AWS_ERROR(create(json::parse(R"([{"key":"aws:team","value":"x"}])")),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(create(json::parse(R"([{"key":"k","value":"1"},{"key":"k","value":"2"}])")),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(create(json::parse(R"([{"key":"","value":"x"}])")), "InvalidParameterException");
  EXPECT_AWS_ERROR(create(json::parse(R"([{"value":"x"}])")), "InvalidParameterException");
  EXPECT_AWS_ERROR(create(json::array({{{"key", std::string(129, 'k')}, {"value", "x"}}})),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(create(json::array({{{"key", "k"}, {"value", std::string(257, 'v')}}})),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(create(json::parse(R"([{"key":"semi;colon","value":"x"}])")),
                   "InvalidParameterException");
  EXPECT_TRUE(ListedArns().empty());
  EXPECT_EQ(Create("demo", {{"tags", TagList(50)}})["tags"], TagList(50));
}

TEST_F(EcsClustersTest, ServiceConnectDefaultsAreStoredAsAnObject) {
  const json created = Create("demo", {{"serviceConnectDefaults", {{"namespace", "internal"}}}});
  EXPECT_EQ(created["serviceConnectDefaults"], json({{"namespace", "internal"}}));
  EXPECT_EQ(Describe("demo")["serviceConnectDefaults"], json({{"namespace", "internal"}}));
  const json updated = EcsOk(
      "UpdateCluster", {{"cluster", "demo"}, {"serviceConnectDefaults", {{"namespace", "other"}}}});
  EXPECT_EQ(updated["cluster"]["serviceConnectDefaults"], json({{"namespace", "other"}}));
  EXPECT_AWS_ERROR(
      Ecs("UpdateCluster", {{"cluster", "demo"}, {"serviceConnectDefaults", json::object()}}),
      "InvalidParameterException");
  EXPECT_EQ(Describe("demo")["serviceConnectDefaults"], json({{"namespace", "other"}}));
}

// --- DescribeClusters ------------------------------------------------------------

TEST_F(EcsClustersTest, DescribeClustersReportsMissingClustersAsFailures) {
  Create("here");
  const json out = EcsOk("DescribeClusters",
                         {{"clusters",
                           {"here", "gone", "arn:aws:ecs:us-east-1:000000000000:cluster/alsogone",
                            "arn:aws:ecs:us-east-1:000000000000:cluster/here"}}});
  ASSERT_EQ(out["clusters"].size(), 2u);
  EXPECT_EQ(out["clusters"][0]["clusterName"], "here");
  EXPECT_EQ(out["clusters"][1]["clusterName"], "here");
  EXPECT_EQ(out["failures"], json::parse(R"([
      {"arn":"arn:aws:ecs:us-east-1:000000000000:cluster/gone","reason":"MISSING"},
      {"arn":"arn:aws:ecs:us-east-1:000000000000:cluster/alsogone","reason":"MISSING"}])"));
  // Without a list it describes `default`, which does not exist yet.
  EXPECT_EQ(EcsOk("DescribeClusters", json::object())["failures"],
            json::parse(R"([{"arn":"arn:aws:ecs:us-east-1:000000000000:cluster/default",
                             "reason":"MISSING"}])"));
}

TEST_F(EcsClustersTest, DescribeClustersDoesNotSeeOtherAccountsOrRegions) {
  Create("here");
  for (const std::string arn : {"arn:aws:ecs:us-east-1:111111111111:cluster/here",
                                "arn:aws:ecs:eu-west-1:000000000000:cluster/here",
                                "arn:aws:ecs:us-east-1:000000000000:service/here",
                                "arn:aws:ecs:us-east-1:000000000000:cluster/"}) {
    const json out = EcsOk("DescribeClusters", {{"clusters", {arn}}});
    EXPECT_TRUE(out["clusters"].empty()) << arn;
    EXPECT_EQ(out["failures"], json::array({{{"arn", arn}, {"reason", "MISSING"}}})) << arn;
  }
}

TEST_F(EcsClustersTest, DescribeClustersTakesAtMostOneHundred) {
  Create("c");
  json names = json::array();
  for (int i = 0; i < 100; ++i) names.push_back("c");
  EXPECT_EQ(EcsOk("DescribeClusters", {{"clusters", names}})["clusters"].size(), 100u);
  names.push_back("c");
  EXPECT_AWS_ERROR(Ecs("DescribeClusters", {{"clusters", names}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("DescribeClusters", {{"clusters", {"c"}}, {"include", {"EVERYTHING"}}}),
                   "InvalidParameterException");
}

TEST_F(EcsClustersTest, DescribeClustersIncludeAddsTheExtras) {
  Create("demo", {{"tags", TagList(1)},
                  {"settings", json::parse(R"([{"name":"containerInsights","value":"enabled"}])")},
                  {"configuration",
                   json::parse(R"({"executeCommandConfiguration":{"logging":"DEFAULT"}})")}});
  // Without include: empty tags and settings, empty statistics, no configuration.
  const json plain = Describe("demo");
  EXPECT_TRUE(plain["tags"].empty());
  EXPECT_TRUE(plain["settings"].empty());
  EXPECT_TRUE(plain["statistics"].empty());
  EXPECT_FALSE(plain.contains("configuration"));

  EXPECT_EQ(Describe("demo", {"TAGS"})["tags"], TagList(1));
  EXPECT_EQ(Describe("demo", {"SETTINGS"})["settings"],
            json::parse(R"([{"name":"containerInsights","value":"enabled"}])"));
  EXPECT_EQ(Describe("demo", {"CONFIGURATIONS"})["configuration"],
            json::parse(R"({"executeCommandConfiguration":{"logging":"DEFAULT"}})"));
  const json statistics = Describe("demo", {"STATISTICS"})["statistics"];
  ASSERT_EQ(statistics.size(), 8u);
  std::vector<std::string> names;
  for (const auto& s : statistics) {
    names.push_back(s["name"]);
    EXPECT_EQ(s["value"], "0");
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "runningFargateTasksCount"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "pendingEC2TasksCount"), names.end());
  const json all =
      Describe("demo", {"TAGS", "SETTINGS", "STATISTICS", "CONFIGURATIONS", "ATTACHMENTS"});
  EXPECT_EQ(all["tags"].size(), 1u);
  EXPECT_EQ(all["settings"].size(), 1u);
  EXPECT_EQ(all["statistics"].size(), 8u);
  EXPECT_TRUE(all.contains("configuration"));
}

// --- ListClusters --------------------------------------------------------------

// Deleted clusters stay listed (INACTIVE) for an hour, as on AWS.
TEST_F(EcsClustersTest, ListClustersWalksEveryPageOfActiveClusters) {
  for (const char* name : {"e", "a", "d", "b", "c", "f"}) Create(name);
  EcsOk("DeleteCluster", {{"cluster", "f"}});
  std::vector<std::string> seen;
  std::vector<size_t> sizes;
  json input = {{"maxResults", 2}};
  for (int page = 0; page < 10; ++page) {
    const json out = EcsOk("ListClusters", input);
    sizes.push_back(out["clusterArns"].size());
    for (const auto& arn : out["clusterArns"]) seen.push_back(arn);
    if (!out.contains("nextToken")) break;
    input["nextToken"] = out["nextToken"];
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2, 2}));
  std::vector<std::string> expected;
  for (const char* name : {"a", "b", "c", "d", "e", "f"})
    expected.push_back(kClusterArnPrefix + std::string(name));
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(ListedArns(), expected);
  clock_.Advance(3601);
  expected.pop_back();
  EXPECT_EQ(ListedArns(), expected);
}

TEST_F(EcsClustersTest, ListClustersChecksPaging) {
  Create("a");
  Create("b");
  EXPECT_AWS_ERROR(Ecs("ListClusters", {{"maxResults", 0}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("ListClusters", {{"maxResults", 101}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("ListClusters", {{"maxResults", -5}}), "InvalidParameterException");
  EXPECT_EQ(EcsOk("ListClusters", {{"maxResults", 100}})["clusterArns"].size(), 2u);
  EXPECT_EQ(EcsOk("ListClusters", {{"maxResults", 1}})["clusterArns"].size(), 1u);
  EXPECT_AWS_ERROR(Ecs("ListClusters", {{"nextToken", "forged"}}), "InvalidParameterException");
  // ECR's repository token is not a cluster token.
  EcrOk("CreateRepository", {{"repositoryName", "r1"}});
  EcrOk("CreateRepository", {{"repositoryName", "r2"}});
  const json repos = EcrOk("DescribeRepositories", {{"maxResults", 1}});
  ASSERT_TRUE(repos.contains("nextToken"));
  EXPECT_AWS_ERROR(Ecs("ListClusters", {{"nextToken", repos["nextToken"]}}),
                   "InvalidParameterException");
}

// --- DeleteCluster ---------------------------------------------------------------

TEST_F(EcsClustersTest, DeleteClusterLeavesItInactive) {
  Create("demo");
  const json deleted =
      EcsOk("DeleteCluster", {{"cluster", std::string(kClusterArnPrefix) + "demo"}});
  EXPECT_EQ(deleted["cluster"]["status"], "INACTIVE");
  EXPECT_EQ(deleted["cluster"]["clusterName"], "demo");
  // Still describable, as INACTIVE, and listed for an hour.
  EXPECT_EQ(Describe("demo")["status"], "INACTIVE");
  EXPECT_EQ(ListedArns().size(), 1u);
  // A second delete finds it inactive.
  const ApiReply again = Ecs("DeleteCluster", {{"cluster", "demo"}});
  EXPECT_AWS_ERROR(again, "ClusterNotFoundException");
  EXPECT_EQ(again.message(), "The referenced cluster was inactive.");
}

TEST_F(EcsClustersTest, DeleteClusterOfAMissingCluster) {
  const ApiReply r = Ecs("DeleteCluster", {{"cluster", "ghost"}});
  EXPECT_AWS_ERROR(r, "ClusterNotFoundException");
  EXPECT_EQ(r.message(), "Cluster not found.");
  EXPECT_AWS_ERROR(Ecs("DeleteCluster", json::object()), "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Ecs("DeleteCluster", {{"cluster", "arn:aws:ecs:us-east-1:111111111111:cluster/ghost"}}),
      "ClusterNotFoundException");
  EXPECT_TRUE(EcsOk("DescribeClusters", {{"clusters", {"ghost"}}})["clusters"].empty());
}

// --- UpdateCluster, UpdateClusterSettings, PutClusterCapacityProviders ------------

TEST_F(EcsClustersTest, ClusterUpdatesOfMissingAndInactiveClusters) {
  Create("old");
  EcsOk("DeleteCluster", {{"cluster", "old"}});
  const json settings = json::parse(R"([{"name":"containerInsights","value":"enabled"}])");
  const std::vector<std::pair<std::string, json>> calls = {
      {"UpdateCluster", {{"settings", settings}}},
      {"UpdateClusterSettings", {{"settings", settings}}},
      {"PutClusterCapacityProviders",
       {{"capacityProviders", {"FARGATE"}}, {"defaultCapacityProviderStrategy", json::array()}}},
  };
  for (const auto& [op, input] : calls) {
    json missing = input;
    missing["cluster"] = "ghost";
    const ApiReply m = Ecs(op, missing);
    EXPECT_AWS_ERROR(m, "ClusterNotFoundException");
    EXPECT_EQ(m.message(), "Cluster not found.") << op;
    json inactive = input;
    inactive["cluster"] = "old";
    const ApiReply i = Ecs(op, inactive);
    EXPECT_AWS_ERROR(i, "ClusterNotFoundException");
    EXPECT_EQ(i.message(), "The referenced cluster was inactive.") << op;
  }
  // Nothing came back to life and nothing was created.
  EXPECT_EQ(Describe("old")["status"], "INACTIVE");
  EXPECT_EQ(Describe("old", {"SETTINGS"})["settings"],
            json::parse(R"([{"name":"containerInsights","value":"disabled"}])"));
  EXPECT_TRUE(Describe("ghost").is_null());
}

TEST_F(EcsClustersTest, UpdateClusterSettingsStoresAndRefuses) {
  Create("demo");
  const json updated =
      EcsOk("UpdateClusterSettings",
            {{"cluster", "demo"},
             {"settings", json::parse(R"([{"name":"containerInsights","value":"enhanced"}])")}});
  EXPECT_EQ(updated["cluster"]["settings"],
            json::parse(R"([{"name":"containerInsights","value":"enhanced"}])"));
  EXPECT_AWS_ERROR(
      Ecs("UpdateClusterSettings",
          {{"cluster", "demo"},
           {"settings", json::parse(R"([{"name":"containerInsights","value":"bogus"}])")}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Ecs("UpdateCluster",
          {{"cluster", "demo"},
           {"settings", json::parse(R"([{"name":"containerInsights","value":"on"}])")}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("UpdateClusterSettings", {{"cluster", "demo"}}),
                   "InvalidParameterException");
  EXPECT_EQ(Describe("demo", {"SETTINGS"})["settings"],
            json::parse(R"([{"name":"containerInsights","value":"enhanced"}])"));
  // UpdateCluster also stores a configuration.
  const json configuration =
      json::parse(R"({"executeCommandConfiguration":{"logging":"OVERRIDE","logConfiguration":
                      {"cloudWatchLogGroupName":"/ecs/exec","cloudWatchEncryptionEnabled":true}}})");
  EXPECT_EQ(EcsOk("UpdateCluster", {{"cluster", "demo"},
                                    {"configuration", configuration}})["cluster"]["configuration"],
            configuration);
  EXPECT_AWS_ERROR(Ecs("UpdateCluster",
                       {{"cluster", "demo"},
                        {"configuration",
                         json::parse(R"({"executeCommandConfiguration":{"logging":"LOUD"}})")}}),
                   "InvalidParameterException");
  EXPECT_EQ(Describe("demo", {"CONFIGURATIONS"})["configuration"], configuration);
}

TEST_F(EcsClustersTest, PutClusterCapacityProvidersStoresAndRefuses) {
  Create("demo");
  const json strategy = json::parse(R"([{"capacityProvider":"FARGATE_SPOT","weight":3,"base":1}])");
  const json put =
      EcsOk("PutClusterCapacityProviders", {{"cluster", "demo"},
                                            {"capacityProviders", {"FARGATE", "FARGATE_SPOT"}},
                                            {"defaultCapacityProviderStrategy", strategy}});
  EXPECT_EQ(put["cluster"]["capacityProviders"], json({"FARGATE", "FARGATE_SPOT"}));
  EXPECT_EQ(put["cluster"]["defaultCapacityProviderStrategy"], strategy);
  const auto refuse = [&](const json& providers, const json& s) {
    EXPECT_AWS_ERROR(Ecs("PutClusterCapacityProviders", {{"cluster", "demo"},
                                                         {"capacityProviders", providers},
                                                         {"defaultCapacityProviderStrategy", s}}),
                     "InvalidParameterException");
  };
  refuse({"EC2_PROVIDER"}, json::array());
  refuse({"FARGATE"}, json::parse(R"([{"capacityProvider":"FARGATE_SPOT"}])"));
  refuse({"FARGATE", "FARGATE_SPOT"}, json::parse(R"([{"capacityProvider":"FARGATE","base":1},
                                                      {"capacityProvider":"FARGATE_SPOT","base":1}])"));
  refuse({"FARGATE"}, json::parse(R"([{"capacityProvider":"FARGATE","weight":5000}])"));
  EXPECT_AWS_ERROR(
      Ecs("PutClusterCapacityProviders", {{"cluster", "demo"}, {"capacityProviders", {"FARGATE"}}}),
      "InvalidParameterException");
  const json stored = Describe("demo");
  EXPECT_EQ(stored["capacityProviders"], json({"FARGATE", "FARGATE_SPOT"}));
  EXPECT_EQ(stored["defaultCapacityProviderStrategy"], strategy);
  // Both lists can be emptied.
  EcsOk("PutClusterCapacityProviders", {{"cluster", "demo"},
                                        {"capacityProviders", json::array()},
                                        {"defaultCapacityProviderStrategy", json::array()}});
  EXPECT_TRUE(Describe("demo")["capacityProviders"].empty());
}

// --- DescribeCapacityProviders ---------------------------------------------------

TEST_F(EcsClustersTest, DescribeCapacityProvidersKnowsTheFargateProviders) {
  const json all = EcsOk("DescribeCapacityProviders", json::object());
  EXPECT_EQ(all["capacityProviders"], json::parse(R"([
      {"capacityProviderArn":"arn:aws:ecs:us-east-1:000000000000:capacity-provider/FARGATE",
       "name":"FARGATE","status":"ACTIVE","type":"FARGATE"},
      {"capacityProviderArn":"arn:aws:ecs:us-east-1:000000000000:capacity-provider/FARGATE_SPOT",
       "name":"FARGATE_SPOT","status":"ACTIVE","type":"FARGATE_SPOT"}])"));
  EXPECT_TRUE(all["failures"].empty());
  const json by_name =
      EcsOk("DescribeCapacityProviders", {{"capacityProviders", {"FARGATE_SPOT"}}});
  ASSERT_EQ(by_name["capacityProviders"].size(), 1u);
  EXPECT_EQ(by_name["capacityProviders"][0]["name"], "FARGATE_SPOT");
  const json by_arn = EcsOk(
      "DescribeCapacityProviders",
      {{"capacityProviders", {"arn:aws:ecs:us-east-1:000000000000:capacity-provider/FARGATE"}}});
  ASSERT_EQ(by_arn["capacityProviders"].size(), 1u);
  EXPECT_EQ(by_arn["capacityProviders"][0]["name"], "FARGATE");
  const json tagged = EcsOk("DescribeCapacityProviders", {{"include", {"TAGS"}}});
  EXPECT_EQ(tagged["capacityProviders"][0]["tags"], json::array());
}

TEST_F(EcsClustersTest, DescribeCapacityProvidersReportsUnknownProvidersAsFailures) {
  const json out = EcsOk(
      "DescribeCapacityProviders",
      {{"capacityProviders",
        {"FARGATE", "my-asg", "arn:aws:ecs:us-east-1:000000000000:capacity-provider/other"}}});
  ASSERT_EQ(out["capacityProviders"].size(), 1u);
  EXPECT_EQ(out["failures"], json::parse(R"([
      {"arn":"arn:aws:ecs:us-east-1:000000000000:capacity-provider/my-asg","reason":"MISSING"},
      {"arn":"arn:aws:ecs:us-east-1:000000000000:capacity-provider/other","reason":"MISSING"}])"));
}

TEST_F(EcsClustersTest, DescribeCapacityProvidersChecksItsInput) {
  EXPECT_AWS_ERROR(Ecs("DescribeCapacityProviders", {{"maxResults", 0}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("DescribeCapacityProviders", {{"maxResults", 11}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("DescribeCapacityProviders", {{"include", {"SETTINGS"}}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("DescribeCapacityProviders", {{"cluster", "ghost"}}),
                   "ClusterNotFoundException");
  EXPECT_EQ(EcsOk("DescribeCapacityProviders", {{"maxResults", 10}})["capacityProviders"].size(),
            2u);
  EXPECT_AWS_ERROR(Ecs("DescribeCapacityProviders", {{"nextToken", "x"}}),
                   "InvalidParameterException");
}

TEST_F(EcsClustersTest, DescribeCapacityProvidersPages) {
  const json first = EcsOk("DescribeCapacityProviders", {{"maxResults", 1}});
  ASSERT_EQ(first["capacityProviders"].size(), 1u);
  EXPECT_EQ(first["capacityProviders"][0]["name"], "FARGATE");
  ASSERT_TRUE(first.contains("nextToken"));
  const json second =
      EcsOk("DescribeCapacityProviders", {{"maxResults", 1}, {"nextToken", first["nextToken"]}});
  ASSERT_EQ(second["capacityProviders"].size(), 1u);
  EXPECT_EQ(second["capacityProviders"][0]["name"], "FARGATE_SPOT");
  EXPECT_FALSE(second.contains("nextToken"));
}

TEST_F(EcsClustersTest, NewClustersTakeTheAccountsContainerInsightsSetting) {
  EcsOk("PutAccountSettingDefault", {{"name", "containerInsights"}, {"value", "enhanced"}});
  EXPECT_EQ(Create("watched")["settings"],
            json::parse(R"([{"name": "containerInsights", "value": "enhanced"}])"));
  // A setting in the request wins
  EXPECT_EQ(
      Create("quiet",
             {{"settings", {{{"name", "containerInsights"}, {"value", "disabled"}}}}})["settings"],
      json::parse(R"([{"name": "containerInsights", "value": "disabled"}])"));
}

TEST_F(EcsClustersTest, AnEmptyClusterListDescribesTheDefaultCluster) {
  Create("default");
  const json out = EcsOk("DescribeClusters", {{"clusters", json::array()}});
  ASSERT_EQ(out["clusters"].size(), 1u);
  EXPECT_EQ(out["clusters"][0]["clusterName"], "default");
}

TEST_F(EcsClustersTest, ACredentialScopeWithoutAValidRegionIsRefused) {
  const ApiReply r = EcsAs(Auth("test", "Not_A_Region"), "CreateCluster", {{"clusterName", "x"}});
  EXPECT_AWS_ERROR(r, "InvalidSignatureException");
  EXPECT_EQ(r.message(), "Credential should be scoped to a valid region, not 'Not_A_Region'. ");
  for (const char* region : {"us-east-1", "us-gov-west-1", "cn-north-1", "eu-central-2"}) {
    EXPECT_EQ(EcsAs(Auth("test", region), "ListClusters", json::object()).status, 200u) << region;
  }
  for (const char* region : {"east", "us-east", "usa-east-1", "us--1", "US-EAST-1", "us-east-1a"}) {
    EXPECT_AWS_ERROR(EcsAs(Auth("test", region), "ListClusters", json::object()),
                     "InvalidSignatureException");
  }
  EXPECT_TRUE(ListedArns().empty());
}

}  // namespace
}  // namespace berth::testing
