// ECS through the real AWS CLI: the walkthrough's register-task-definition
// (with the user's own ecs_task.json) and create-cluster verbatim, then the
// cluster, task-definition and account-setting operations of the foundation.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/cli_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class EcsCliTest : public CliTest {};

TEST_P(EcsCliTest, RegisterTheWalkthroughTaskDefinitionVerbatim) {
  const json registered = Ok({"ecs", "register-task-definition", "--cli-input-json",
                              "file://" + TestData("ecs_task.json")});
  const json& td = registered["taskDefinition"];
  EXPECT_EQ(td["taskDefinitionArn"],
            "arn:aws:ecs:us-east-1:000000000000:task-definition/poc-task:1");
  EXPECT_EQ(td["family"], "poc-task");
  EXPECT_EQ(td["revision"], 1);
  EXPECT_EQ(td["status"], "ACTIVE");
  EXPECT_EQ(td["networkMode"], "awsvpc");
  EXPECT_EQ(td["cpu"], "512");
  EXPECT_EQ(td["memory"], "1024");
  EXPECT_EQ(td["requiresCompatibilities"], json::array({"FARGATE"}));
  EXPECT_EQ(td["compatibilities"], json::array({"EC2", "FARGATE"}));
  const json& container = td["containerDefinitions"][0];
  EXPECT_EQ(container["name"], "getting-started-container");
  EXPECT_EQ(container["image"], "000000000000.dkr.ecr.us-east-1.amazonaws.com/test-repo:latest");
  EXPECT_EQ(container["portMappings"],
            json::parse(R"([{"containerPort":80,"hostPort":80,"protocol":"tcp"}])"));
  EXPECT_EQ(container["essential"], true);
  EXPECT_EQ(container["interactive"], true);
  EXPECT_EQ(container["pseudoTerminal"], true);

  const json described = Ok({"ecs", "describe-task-definition", "--task-definition", "poc-task"});
  EXPECT_EQ(described["taskDefinition"], td);
  const json by_arn = Ok({"ecs", "describe-task-definition", "--task-definition",
                          td["taskDefinitionArn"].get<std::string>()});
  EXPECT_EQ(by_arn["taskDefinition"], td);
  EXPECT_EQ(Ok({"ecs", "list-task-definitions"})["taskDefinitionArns"],
            json::array({td["taskDefinitionArn"]}));
  EXPECT_EQ(Ok({"ecs", "list-task-definition-families"})["families"], json::array({"poc-task"}));

  // A second registration is revision 2 of the same family.
  const json second = Ok({"ecs", "register-task-definition", "--cli-input-json",
                          "file://" + TestData("ecs_task.json")});
  EXPECT_EQ(second["taskDefinition"]["revision"], 2);
}

TEST_P(EcsCliTest, CreateClusterVerbatimThenDescribe) {
  const json created = Ok({"ecs", "create-cluster", "--cluster-name", "poc-cluster"});
  const json& cluster = created["cluster"];
  EXPECT_EQ(cluster["clusterArn"], "arn:aws:ecs:us-east-1:000000000000:cluster/poc-cluster");
  EXPECT_EQ(cluster["clusterName"], "poc-cluster");
  EXPECT_EQ(cluster["status"], "ACTIVE");
  EXPECT_EQ(cluster["runningTasksCount"], 0);
  EXPECT_EQ(cluster["settings"],
            json::parse(R"([{"name":"containerInsights","value":"disabled"}])"));

  const json described = Ok({"ecs", "describe-clusters", "--clusters", "poc-cluster", "missing"});
  ASSERT_EQ(described["clusters"].size(), 1u);
  EXPECT_EQ(described["clusters"][0]["clusterArn"], cluster["clusterArn"]);
  EXPECT_EQ(
      described["failures"],
      json::parse(
          R"([{"arn":"arn:aws:ecs:us-east-1:000000000000:cluster/missing","reason":"MISSING"}])"));
  EXPECT_EQ(Ok({"ecs", "list-clusters"})["clusterArns"], json::array({cluster["clusterArn"]}));
}

TEST_P(EcsCliTest, ClusterLifecycle) {
  Ok({"ecs", "create-cluster", "--cluster-name", "c1", "--tags", "key=team,value=core",
      "--capacity-providers", "FARGATE", "FARGATE_SPOT", "--default-capacity-provider-strategy",
      "capacityProvider=FARGATE,weight=1,base=1"});
  const json with_tags =
      Ok({"ecs", "describe-clusters", "--clusters", "c1", "--include", "TAGS", "SETTINGS"});
  EXPECT_EQ(with_tags["clusters"][0]["tags"], json::parse(R"([{"key":"team","value":"core"}])"));
  EXPECT_EQ(with_tags["clusters"][0]["capacityProviders"],
            json::array({"FARGATE", "FARGATE_SPOT"}));

  const json updated = Ok({"ecs", "update-cluster-settings", "--cluster", "c1", "--settings",
                           "name=containerInsights,value=enabled"});
  EXPECT_EQ(updated["cluster"]["settings"],
            json::parse(R"([{"name":"containerInsights","value":"enabled"}])"));
  Ok({"ecs", "put-cluster-capacity-providers", "--cluster", "c1", "--capacity-providers", "FARGATE",
      "--default-capacity-provider-strategy", "capacityProvider=FARGATE,weight=1"});
  Fails({"ecs", "put-cluster-capacity-providers", "--cluster", "c1", "--capacity-providers", "NOPE",
         "--default-capacity-provider-strategy", "capacityProvider=NOPE,weight=1"},
        "InvalidParameterException");

  const json deleted = Ok({"ecs", "delete-cluster", "--cluster", "c1"});
  EXPECT_EQ(deleted["cluster"]["status"], "INACTIVE");
  EXPECT_EQ(Ok({"ecs", "describe-clusters", "--clusters", "c1"})["clusters"][0]["status"],
            "INACTIVE");
  // Deleted clusters stay listed (INACTIVE) for an hour, as on AWS.
  EXPECT_EQ(Ok({"ecs", "list-clusters"})["clusterArns"],
            json::array({deleted["cluster"]["clusterArn"]}));
  Fails({"ecs", "delete-cluster", "--cluster", "c1"}, "ClusterNotFoundException");
  Fails({"ecs", "update-cluster-settings", "--cluster", "nope", "--settings",
         "name=containerInsights,value=enabled"},
        "ClusterNotFoundException");
}

TEST_P(EcsCliTest, DefaultClusterBehavesAsOnAws) {
  // A new account has no default cluster until one is created.
  const json before = Ok({"ecs", "describe-clusters"});
  EXPECT_TRUE(before["clusters"].empty());
  EXPECT_EQ(before["failures"][0]["reason"], "MISSING");
  const json created = Ok({"ecs", "create-cluster"});
  EXPECT_EQ(created["cluster"]["clusterName"], "default");
  EXPECT_EQ(Ok({"ecs", "describe-clusters"})["clusters"][0]["clusterName"], "default");
}

TEST_P(EcsCliTest, TaskDefinitionLifecycleAndErrors) {
  Ok({"ecs", "register-task-definition", "--cli-input-json", "file://" + TestData("ecs_task.json"),
      "--tags", "key=app,value=poc"});
  Ok({"ecs", "register-task-definition", "--cli-input-json",
      "file://" + TestData("ecs_task.json")});
  const json tagged = Ok(
      {"ecs", "describe-task-definition", "--task-definition", "poc-task:1", "--include", "TAGS"});
  EXPECT_EQ(tagged["tags"], json::parse(R"([{"key":"app","value":"poc"}])"));

  const json deregistered =
      Ok({"ecs", "deregister-task-definition", "--task-definition", "poc-task:2"});
  EXPECT_EQ(deregistered["taskDefinition"]["status"], "INACTIVE");
  EXPECT_TRUE(deregistered["taskDefinition"].contains("deregisteredAt"));
  EXPECT_EQ(Ok({"ecs", "describe-task-definition", "--task-definition",
                "poc-task"})["taskDefinition"]["revision"],
            1);
  EXPECT_EQ(Ok({"ecs", "list-task-definitions", "--status", "INACTIVE"})["taskDefinitionArns"],
            json::array({"arn:aws:ecs:us-east-1:000000000000:task-definition/poc-task:2"}));
  // Debian's AWS CLI v2 (2.9) predates delete-task-definitions; newer CLIs have it.
  if (CliHas({"ecs", "delete-task-definitions", "help"})) {
    const json deleted = Ok({"ecs", "delete-task-definitions", "--task-definitions", "poc-task:2"});
    EXPECT_EQ(deleted["taskDefinitions"][0]["status"], "DELETE_IN_PROGRESS");
  }

  Fails({"ecs", "describe-task-definition", "--task-definition", "nope"}, "ClientException");
  // Fargate without awsvpc is refused and nothing is stored.
  Fails({"ecs", "register-task-definition", "--family", "bad", "--requires-compatibilities",
         "FARGATE", "--cpu", "256", "--memory", "512", "--network-mode", "bridge",
         "--container-definitions", R"([{"name":"a","image":"busybox","essential":true}])"},
        "ClientException");
  Fails({"ecs", "describe-task-definition", "--task-definition", "bad"}, "ClientException");
}

TEST_P(EcsCliTest, AccountSettingsAndCapacityProviders) {
  const json put =
      Ok({"ecs", "put-account-setting", "--name", "containerInsights", "--value", "enabled"});
  EXPECT_EQ(put["setting"]["value"], "enabled");
  EXPECT_EQ(put["setting"]["principalArn"], "arn:aws:iam::000000000000:root");
  const json listed = Ok({"ecs", "list-account-settings", "--name", "containerInsights"});
  EXPECT_EQ(listed["settings"][0]["value"], "enabled");
  Ok({"ecs", "put-account-setting-default", "--name", "awsvpcTrunking", "--value", "enabled"});
  const json effective = Ok({"ecs", "list-account-settings", "--effective-settings"});
  EXPECT_GE(effective["settings"].size(), 5u);
  Ok({"ecs", "delete-account-setting", "--name", "containerInsights"});
  Fails({"ecs", "put-account-setting", "--name", "containerInsights", "--value", "maybe"},
        "InvalidParameterException");

  const json providers = Ok({"ecs", "describe-capacity-providers"});
  ASSERT_EQ(providers["capacityProviders"].size(), 2u);
  EXPECT_EQ(providers["capacityProviders"][0]["capacityProviderArn"],
            "arn:aws:ecs:us-east-1:000000000000:capacity-provider/FARGATE");
}

TEST_P(EcsCliTest, ResourceTags) {
  Ok({"ecs", "create-cluster", "--cluster-name", "tagged"});
  const std::string arn = "arn:aws:ecs:us-east-1:000000000000:cluster/tagged";
  Ok({"ecs", "tag-resource", "--resource-arn", arn, "--tags", "key=a,value=1", "key=b,value=2"});
  Ok({"ecs", "untag-resource", "--resource-arn", arn, "--tag-keys", "a"});
  EXPECT_EQ(Ok({"ecs", "list-tags-for-resource", "--resource-arn", arn})["tags"],
            json::parse(R"([{"key":"b","value":"2"}])"));
  Fails({"ecs", "list-tags-for-resource", "--resource-arn",
         "arn:aws:ecs:us-east-1:000000000000:cluster/none"},
        "ClusterNotFoundException");
}

TEST_P(EcsCliTest, AttributesOnTheClustersContainerInstance) {
  Ok({"ecs", "create-cluster", "--cluster-name", "attrs"});
  const json listed = Ok({"ecs", "list-container-instances", "--cluster", "attrs"});
  ASSERT_EQ(listed["containerInstanceArns"].size(), 1u) << listed.dump();
  const std::string instance = listed["containerInstanceArns"][0];
  EXPECT_EQ(instance.rfind("arn:aws:ecs:us-east-1:000000000000:container-instance/attrs/", 0), 0u)
      << instance;
  // Built-in attributes are listed, custom ones added and removed
  const json linux = Ok({"ecs", "list-attributes", "--cluster", "attrs", "--target-type",
                         "container-instance", "--attribute-name", "ecs.os-type"});
  ASSERT_EQ(linux["attributes"].size(), 1u) << linux.dump();
  EXPECT_EQ(linux["attributes"][0]["value"], "linux");
  Ok({"ecs", "put-attributes", "--cluster", "attrs", "--attributes",
      "name=stack,value=prod,targetId=" + instance});
  const json stack = Ok({"ecs", "list-attributes", "--cluster", "attrs", "--target-type",
                         "container-instance", "--attribute-name", "stack"});
  ASSERT_EQ(stack["attributes"].size(), 1u) << stack.dump();
  EXPECT_EQ(stack["attributes"][0]["targetId"], instance);
  const json filtered = Ok({"ecs", "list-container-instances", "--cluster", "attrs", "--filter",
                            "attribute:stack == prod"});
  EXPECT_EQ(filtered["containerInstanceArns"].size(), 1u);
  Ok({"ecs", "delete-attributes", "--cluster", "attrs", "--attributes",
      "name=stack,targetId=" + instance});
  EXPECT_TRUE(Ok({"ecs", "list-container-instances", "--cluster", "attrs", "--filter",
                  "attribute:stack == prod"})["containerInstanceArns"]
                  .empty());
  Fails({"ecs", "put-attributes", "--cluster", "attrs", "--attributes",
         "name=stack,value=prod,targetId=0123456789abcdef0123456789abcdef"},
        "TargetNotFoundException");
}

TEST_P(EcsCliTest, RunTaskPlacementConstraintsAndStrategies) {
  // Given a cluster with Berth's own instance and a second one tagged blue
  Ok({"ecs", "create-cluster", "--cluster-name", "place"});
  const std::string local =
      Ok({"ecs", "list-container-instances", "--cluster", "place"})["containerInstanceArns"][0];
  const std::string blue =
      Ok({"ecs", "register-container-instance", "--cluster", "place", "--attributes",
          "name=stack,value=blue"})["containerInstance"]["containerInstanceArn"];
  Ok({"ecs", "register-task-definition", "--family", "placed", "--container-definitions",
      R"([{"name": "app", "image": "placement-test:none", "memory": 16, "essential": true}])"});
  // (The image does not exist, so the tasks soon stop: each call places
  // into a group of its own, which no earlier task counts in.)
  std::vector<std::string> started;
  const auto run = [&](const std::string& count, const std::vector<std::string>& placement) {
    std::vector<std::string> args = {
        "ecs",    "run-task", "--cluster", "place",   "--task-definition",
        "placed", "--count",  count,       "--group", "g" + std::to_string(started.size())};
    args.insert(args.end(), placement.begin(), placement.end());
    const json out = Ok(args);
    std::vector<std::string> instances;
    for (const auto& task : out["tasks"]) {
      instances.push_back(task["containerInstanceArn"]);
      started.push_back(task["taskArn"]);
    }
    std::sort(instances.begin(), instances.end());
    return std::make_pair(instances, out["failures"]);
  };
  std::vector<std::string> both = {local, blue};
  std::sort(both.begin(), both.end());
  // binpack on memory fills the instance with the least left (first, before
  // any task holds memory: both have the host's resources, a tie, so the
  // oldest, Berth's own, wins)
  EXPECT_EQ(run("2", {"--placement-strategy", "type=binpack,field=memory"}).first,
            (std::vector<std::string>{local, local}));
  // memberOf keeps both tasks on the blue instance
  EXPECT_EQ(run("2", {"--placement-constraints",
                      R"([{"type": "memberOf", "expression": "attribute:stack == blue"}])"})
                .first,
            (std::vector<std::string>{blue, blue}));
  // spread on instanceId puts one on each
  EXPECT_EQ(run("2", {"--placement-strategy", "type=spread,field=instanceId"}).first, both);
  // distinctInstance: one task of the group per instance, the rest failures
  const auto distinct = run("3", {"--placement-constraints", "type=distinctInstance"});
  EXPECT_EQ(distinct.first, both);
  ASSERT_EQ(distinct.second.size(), 2u) << distinct.second.dump();
  EXPECT_EQ(distinct.second[0]["reason"], "DistinctInstance placement constraint unsatisfied.");
  // A bad strategy is refused by name
  const std::string err = Fails({"ecs", "run-task", "--cluster", "place", "--task-definition",
                                 "placed", "--placement-strategy", "type=binpack,field=disk"},
                                "InvalidParameterException");
  EXPECT_NE(err.find("cpu or memory"), std::string::npos) << err;
  for (const auto& arn : started) {
    Ok({"ecs", "stop-task", "--cluster", "place", "--task", arn});
  }
}

TEST_P(EcsCliTest, UnemulatedOperationNamesItself) {
  // Every ECR and ECS operation is emulated; CloudWatch Logs still has some
  // that are not.
  const std::string err = Fails({"logs", "describe-metric-filters"}, "NotImplementedException");
  EXPECT_NE(err.find("DescribeMetricFilters"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Clis, EcsCliTest, ::testing::ValuesIn(AwsClis()), CliName);

}  // namespace
}  // namespace berth::testing
