// Container instances as records, agent calls, capacity providers and the
// issue 11 fidelity fixes through the JSON API, without Docker: a new cluster
// has no instance (Berth's default), RegisterContainerInstance adds one with
// its resources and attributes, tasks are placed on ACTIVE instances, and
// draining, deregistration, agent updates and capacity providers follow ECS.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>

#include "tests/unit/api/ec2_cluster_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class EcsInstancesApiTest : public Ec2ClusterTest {
 protected:
  json Register(json extra = json::object()) {
    extra["cluster"] = "c";
    return EcsOk("RegisterContainerInstance", extra)["containerInstance"];
  }

  json Describe(const std::string& arn) {
    const json out =
        EcsOk("DescribeContainerInstances", {{"cluster", "c"}, {"containerInstances", {arn}}});
    EXPECT_EQ(out["containerInstances"].size(), 1u) << out.dump();
    return out["containerInstances"].empty() ? json() : out["containerInstances"][0];
  }

  int64_t Count() {
    return EcsOk("DescribeClusters",
                 {{"clusters", {"c"}}})["clusters"][0]["registeredContainerInstancesCount"];
  }

  static json Resource(const json& resources, const std::string& name) {
    for (const auto& r : resources) {
      if (r["name"] == name) return r;
    }
    return json();
  }
};

TEST_F(EcsInstancesApiTest, NewClusterHasNoInstanceAndEc2RunTaskFails) {
  EXPECT_EQ(Count(), 0);
  EXPECT_TRUE(EcsOk("ListContainerInstances", {{"cluster", "c"}})["containerInstanceArns"].empty());
  const ApiReply reply = Ecs("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}});
  EXPECT_AWS_ERROR(reply, "InvalidParameterException");
  EXPECT_EQ(reply.message(), "No Container Instances were found in your cluster.");
  EXPECT_TRUE(EcsOk("ListTasks", {{"cluster", "c"}})["taskArns"].empty());
}

TEST_F(EcsInstancesApiTest, RegisterRecordsResourcesAttributesAndTags) {
  const json instance =
      Register({{"instanceIdentityDocument", R"({"instanceId": "i-0abc123", "region": "x"})"},
                {"totalResources",
                 {{{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", 2048}},
                  {{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", 4096}}}},
                {"versionInfo", {{"agentVersion", "1.80.0"}, {"dockerVersion", "24.0.0"}}},
                {"attributes", {{{"name", "stack"}, {"value", "prod"}}}},
                {"tags", {{{"key", "team"}, {"value", "a"}}}}});
  EXPECT_THAT(instance["containerInstanceArn"].get<std::string>(),
              StartsWith("arn:aws:ecs:us-east-1:000000000000:container-instance/c/"));
  EXPECT_EQ(instance["ec2InstanceId"], "i-0abc123");
  EXPECT_EQ(instance["status"], "ACTIVE");
  EXPECT_EQ(instance["versionInfo"]["agentVersion"], "1.80.0");
  EXPECT_EQ(Resource(instance["registeredResources"], "CPU")["integerValue"], 2048);
  EXPECT_EQ(Resource(instance["registeredResources"], "MEMORY")["integerValue"], 4096);
  EXPECT_FALSE(Resource(instance["registeredResources"], "PORTS").is_null()) << "default added";
  EXPECT_EQ(instance["tags"], json::parse(R"([{"key": "team", "value": "a"}])"));
  EXPECT_EQ(Count(), 1);

  const std::string arn = instance["containerInstanceArn"];
  const json attributes = EcsOk("ListAttributes", {{"cluster", "c"},
                                                   {"targetType", "container-instance"},
                                                   {"attributeName", "stack"}})["attributes"];
  ASSERT_EQ(attributes.size(), 1u);
  EXPECT_EQ(attributes[0]["targetId"], arn);
  EXPECT_EQ(Describe(arn)["ec2InstanceId"], "i-0abc123");
  // Without resources: the host's.
  const json plain = Register();
  EXPECT_EQ(Resource(plain["registeredResources"], "CPU")["integerValue"],
            ecs_services_.container_instances.host().cpu_units);
  EXPECT_EQ(Count(), 2);
  // Re-registration keeps the instance.
  const json again = Register({{"containerInstanceArn", arn}});
  EXPECT_EQ(again["containerInstanceArn"], arn);
  EXPECT_EQ(again["ec2InstanceId"], "i-0abc123");
  EXPECT_EQ(again["version"], 2);
  EXPECT_EQ(Count(), 2);
}

TEST_F(EcsInstancesApiTest, TasksArePlacedOnActiveInstancesThatFit) {
  const json small =
      Register({{"totalResources",
                 {{{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", 512}},
                  {{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", 600}}}}});
  const json out = EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}, {"count", 2}});
  ASSERT_EQ(out["tasks"].size(), 1u) << out.dump();
  EXPECT_EQ(out["tasks"][0]["containerInstanceArn"], small["containerInstanceArn"]);
  ASSERT_EQ(out["failures"].size(), 1u);
  EXPECT_EQ(out["failures"][0]["arn"], small["containerInstanceArn"]);
  EXPECT_EQ(out["failures"][0]["reason"], "RESOURCE:MEMORY");
  const json described = Describe(small["containerInstanceArn"]);
  EXPECT_EQ(described["pendingTasksCount"], 1);
  EXPECT_EQ(Resource(described["remainingResources"], "MEMORY")["integerValue"], 88);
  // A second instance takes the next task; ListTasks filters by instance.
  const json big = Register();
  const json next = EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}});
  ASSERT_EQ(next["tasks"].size(), 1u);
  EXPECT_EQ(next["tasks"][0]["containerInstanceArn"], big["containerInstanceArn"]);
  EXPECT_EQ(EcsOk("ListTasks", {{"cluster", "c"},
                                {"containerInstance", small["containerInstanceArn"]}})["taskArns"]
                .size(),
            1u);
  // Draining: no new tasks there; the task already on it stays.
  const json drained = EcsOk("UpdateContainerInstancesState",
                             {{"cluster", "c"},
                              {"containerInstances", {big["containerInstanceArn"], "nope"}},
                              {"status", "DRAINING"}});
  ASSERT_EQ(drained["containerInstances"].size(), 1u);
  EXPECT_EQ(drained["containerInstances"][0]["status"], "DRAINING");
  ASSERT_EQ(drained["failures"].size(), 1u);
  EXPECT_EQ(drained["failures"][0]["reason"], "MISSING");
  EXPECT_EQ(EcsOk("ListContainerInstances",
                  {{"cluster", "c"}, {"status", "DRAINING"}})["containerInstanceArns"],
            json::array({big["containerInstanceArn"]}));
  EXPECT_EQ(Count(), 2) << "DRAINING instances count as registered";
  EXPECT_EQ(EcsOk("ListTasks", {{"cluster", "c"}})["taskArns"].size(), 2u);
  const json refused = EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}});
  EXPECT_TRUE(refused["tasks"].empty()) << refused.dump();
  EXPECT_AWS_ERROR(
      Ecs("UpdateContainerInstancesState",
          {{"cluster", "c"}, {"containerInstances", {"x"}}, {"status", "REGISTERING"}}),
      "InvalidParameterException");
}

TEST_F(EcsInstancesApiTest, DeregisterNeedsForceWhileTasksRun) {
  const std::string arn = Register()["containerInstanceArn"];
  const json task = EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}})["tasks"][0];
  const ApiReply refused =
      Ecs("DeregisterContainerInstance", {{"cluster", "c"}, {"containerInstance", arn}});
  EXPECT_AWS_ERROR(refused, "InvalidParameterException");
  EXPECT_EQ(refused.message(), "Found running tasks on the instance.");
  EXPECT_EQ(Describe(arn)["status"], "ACTIVE");
  EXPECT_AWS_ERROR(Ecs("DeleteCluster", {{"cluster", "c"}}), "ClusterContainsTasksException");

  const json gone =
      EcsOk("DeregisterContainerInstance",
            {{"cluster", "c"}, {"containerInstance", arn}, {"force", true}})["containerInstance"];
  EXPECT_EQ(gone["status"], "INACTIVE");
  EXPECT_EQ(gone["agentConnected"], false);
  const json stopped =
      EcsOk("DescribeTasks", {{"cluster", "c"}, {"tasks", {task["taskArn"]}}})["tasks"][0];
  EXPECT_EQ(stopped["desiredStatus"], "STOPPED");
  EXPECT_EQ(Count(), 0);
  EXPECT_TRUE(EcsOk("ListContainerInstances", {{"cluster", "c"}})["containerInstanceArns"].empty());
  EXPECT_EQ(Describe(arn)["status"], "INACTIVE") << "describable for an hour";
  clock_.Advance(3601);
  EXPECT_EQ(EcsOk("DescribeContainerInstances",
                  {{"cluster", "c"}, {"containerInstances", {arn}}})["failures"][0]["reason"],
            "MISSING");
  // Without tasks, no force is needed.
  const std::string idle = Register()["containerInstanceArn"];
  EXPECT_EQ(EcsOk("DeregisterContainerInstance",
                  {{"cluster", "c"}, {"containerInstance", idle}})["containerInstance"]["status"],
            "INACTIVE");
}

TEST_F(EcsInstancesApiTest, ListContainerInstancesPagesInIdOrderWithStatusAndFilter) {
  std::vector<std::string> arns;
  for (int i = 0; i < 7; ++i) {
    json extra = json::object();
    if (i % 2 == 0) extra["attributes"] = json::array({{{"name", "team"}, {"value", "blue"}}});
    arns.push_back(Register(extra)["containerInstanceArn"]);
  }
  std::sort(arns.begin(), arns.end());  // pages follow the instance ids
  EcsOk("UpdateContainerInstancesState",
        {{"cluster", "c"}, {"containerInstances", {arns[1]}}, {"status", "DRAINING"}});
  EcsOk("DeregisterContainerInstance", {{"cluster", "c"}, {"containerInstance", arns[4]}});
  const auto all_pages = [this](json request) {
    request["cluster"] = "c";
    std::vector<std::string> out;
    int pages = 0;
    for (;;) {
      const json page = EcsOk("ListContainerInstances", request);
      ++pages;
      for (const auto& arn : page["containerInstanceArns"]) out.push_back(arn);
      if (!page.contains("nextToken")) break;
      request["nextToken"] = page["nextToken"];
      if (pages > 20) break;
    }
    return std::make_pair(out, pages);
  };
  // Without a status, all but the INACTIVE one, two a page.
  auto [listed, pages] = all_pages({{"maxResults", 2}});
  EXPECT_EQ(listed,
            (std::vector<std::string>{arns[0], arns[1], arns[2], arns[3], arns[5], arns[6]}));
  EXPECT_EQ(pages, 3) << "a full last page says no more";
  EXPECT_EQ(all_pages({{"status", "DRAINING"}}).first, std::vector<std::string>{arns[1]});
  // (INACTIVE is not a status ListContainerInstances takes: the model's enum refuses it.)
  EXPECT_AWS_ERROR(Ecs("ListContainerInstances", {{"cluster", "c"}, {"status", "INACTIVE"}}),
                   "InvalidParameterException");
  // A filter, one a page: the matching ones among them, in the same order.
  std::vector<std::string> blue;
  for (const auto& arn : listed) {
    const json described = Describe(arn);
    for (const auto& a : described["attributes"]) {
      if (a["name"] == "team" && a.value("value", "") == "blue") blue.push_back(arn);
    }
  }
  ASSERT_GE(blue.size(), 2u);  // four registered blue, at most one of them INACTIVE
  const auto [filtered, filtered_pages] =
      all_pages({{"maxResults", 1}, {"filter", "attribute:team == blue"}});
  EXPECT_EQ(filtered, blue);
  EXPECT_EQ(filtered_pages, static_cast<int>(blue.size()));
}

TEST_F(EcsInstancesApiTest, DeleteClusterRefusesRegisteredInstances) {
  const std::string arn = Register()["containerInstanceArn"];
  EXPECT_AWS_ERROR(Ecs("DeleteCluster", {{"cluster", "c"}}),
                   "ClusterContainsContainerInstancesException");
  EcsOk("DeregisterContainerInstance", {{"cluster", "c"}, {"containerInstance", arn}});
  EXPECT_EQ(EcsOk("DeleteCluster", {{"cluster", "c"}})["cluster"]["status"], "INACTIVE");
}

TEST_F(EcsInstancesApiTest, AgentCalls) {
  const std::string arn = Register()["containerInstanceArn"];
  const ApiReply update =
      Ecs("UpdateContainerAgent", {{"cluster", "c"}, {"containerInstance", arn}});
  EXPECT_AWS_ERROR(update, "NoUpdateAvailableException");
  EXPECT_EQ(update.message(), "There is no update available for your container agent.");
  EXPECT_AWS_ERROR(Ecs("UpdateContainerAgent", {{"cluster", "c"}, {"containerInstance", "nope"}}),
                   "InvalidParameterException");

  const json endpoints =
      EcsOk("DiscoverPollEndpoint", {{"cluster", "c"}, {"containerInstance", arn}});
  EXPECT_EQ(endpoints["endpoint"], ecs_services_.endpoint_url + "/");
  EXPECT_EQ(endpoints["telemetryEndpoint"], ecs_services_.endpoint_url + "/");
  EXPECT_EQ(endpoints["serviceConnectEndpoint"], ecs_services_.endpoint_url + "/");

  const std::string task =
      EcsOk("RunTask", {{"cluster", "c"}, {"taskDefinition", "web"}})["tasks"][0]["taskArn"];
  EXPECT_EQ(EcsOk("SubmitTaskStateChange",
                  {{"cluster", "c"}, {"task", task}, {"status", "RUNNING"}})["acknowledgment"],
            "ACK");
  EXPECT_EQ(EcsOk("SubmitContainerStateChange", {{"cluster", "c"},
                                                 {"task", task},
                                                 {"containerName", "web"},
                                                 {"status", "RUNNING"}})["acknowledgment"],
            "ACK");
  EXPECT_AWS_ERROR(Ecs("SubmitTaskStateChange",
                       {{"cluster", "c"}, {"task", "0123456789abcdef0123456789abcdef"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("SubmitTaskStateChange", {{"cluster", "ghost"}, {"task", task}}),
                   "ClusterNotFoundException");
  EXPECT_EQ(EcsOk("SubmitAttachmentStateChanges", {{"cluster", "c"},
                                                   {"attachments",
                                                    {{{"attachmentArn",
                                                       "arn:aws:ecs:us-east-1:000000000000:"
                                                       "attachment/x"},
                                                      {"status", "ATTACHED"}}}}})["acknowledgment"],
            "ACK");
  // Submissions do not change what Berth observed.
  EXPECT_EQ(EcsOk("DescribeTasks", {{"cluster", "c"}, {"tasks", {task}}})["tasks"][0]["lastStatus"],
            "PENDING");
}

TEST_F(EcsInstancesApiTest, RegisterLocalInstanceOption) {
  ecs_services_.register_local_instance = true;
  const json cluster = EcsOk("CreateCluster", {{"clusterName", "local"}})["cluster"];
  EXPECT_EQ(cluster["registeredContainerInstancesCount"], 1);
  // Creating it again (ACTIVE) registers nothing more.
  EXPECT_EQ(EcsOk("CreateCluster",
                  {{"clusterName", "local"}})["cluster"]["registeredContainerInstancesCount"],
            1);
  EXPECT_EQ(EcsOk("RunTask", {{"cluster", "local"}, {"taskDefinition", "web"}})["tasks"].size(),
            1u);
}

// --- Capacity providers ---------------------------------------------------------------

json AsgProvider(const std::string& name, const std::string& group = "asg") {
  return {{"name", name},
          {"autoScalingGroupProvider",
           {{"autoScalingGroupArn",
             "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:"
             "autoScalingGroupName/" +
                 group}}}};
}

TEST_F(EcsInstancesApiTest, CapacityProviderRules) {
  for (const char* name : {"awsProvider", "ecs-cp", "FargateX", "bad name"}) {
    const ApiReply r = Ecs("CreateCapacityProvider", AsgProvider(name));
    EXPECT_AWS_ERROR(r, "ClientException");
    EXPECT_THAT(r.message(), HasSubstr("cannot be prefixed with \"aws\", \"ecs\", or \"fargate\""));
  }
  const json created = EcsOk("CreateCapacityProvider", AsgProvider("cp"))["capacityProvider"];
  EXPECT_EQ(created["capacityProviderArn"],
            "arn:aws:ecs:us-east-1:000000000000:capacity-provider/cp");
  EXPECT_EQ(created["status"], "ACTIVE");
  EXPECT_EQ(created["autoScalingGroupProvider"]["managedTerminationProtection"], "DISABLED");
  EXPECT_AWS_ERROR(Ecs("CreateCapacityProvider", AsgProvider("cp", "other")), "ClientException");

  const json updated =
      EcsOk("UpdateCapacityProvider",
            {{"name", "cp"},
             {"autoScalingGroupProvider",
              {{"managedScaling",
                {{"status", "ENABLED"}, {"targetCapacity", 80}}}}}})["capacityProvider"];
  EXPECT_EQ(updated["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"], 80);
  EXPECT_EQ(updated["updateStatus"], "UPDATE_COMPLETE");

  const json all = EcsOk("DescribeCapacityProviders", json::object())["capacityProviders"];
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2]["name"], "cp");
  // ARNs that look right but are not
  const json wrong = EcsOk("DescribeCapacityProviders",
                           {{"capacityProviders",
                             {"arn:aws:ecs:us-west-2:000000000000:capacity-provider/cp",
                              "arn:aws:ecs:us-east-1:111111111111:capacity-provider/cp",
                              "arn:aws:ecs:us-east-1:000000000000:cluster/cp",
                              "arn:aws-cn:ecs:us-east-1:000000000000:capacity-provider/cp"}}});
  EXPECT_TRUE(wrong["capacityProviders"].empty());
  EXPECT_EQ(wrong["failures"].size(), 4u);

  // Associated with a cluster: in use.
  EcsOk("PutClusterCapacityProviders", {{"cluster", "c"},
                                        {"capacityProviders", {"cp"}},
                                        {"defaultCapacityProviderStrategy", json::array()}});
  EXPECT_AWS_ERROR(Ecs("DeleteCapacityProvider", {{"capacityProvider", "cp"}}), "ClientException");
  // A strategy with it runs EC2 tasks on the cluster's instances.
  EXPECT_AWS_ERROR(Ecs("RunTask", {{"cluster", "c"},
                                   {"taskDefinition", "web"},
                                   {"capacityProviderStrategy", {{{"capacityProvider", "cp"}}}}}),
                   "InvalidParameterException");  // no instance yet
  const std::string instance = Register()["containerInstanceArn"];
  const json task =
      EcsOk("RunTask", {{"cluster", "c"},
                        {"taskDefinition", "web"},
                        {"capacityProviderStrategy", {{{"capacityProvider", "cp"}}}}})["tasks"][0];
  EXPECT_EQ(task["capacityProviderName"], "cp");
  EXPECT_EQ(task["containerInstanceArn"], instance);
  // Unknown or unassociated providers in a strategy
  for (const char* name : {"ghost", "FARGATE_SPOTX"}) {
    const ApiReply r =
        Ecs("RunTask", {{"cluster", "c"},
                        {"taskDefinition", "web"},
                        {"capacityProviderStrategy", {{{"capacityProvider", name}}}}});
    EXPECT_AWS_ERROR(r, "InvalidParameterException");
    EXPECT_THAT(r.message(), HasSubstr("not associated with the cluster"));
  }
  EXPECT_AWS_ERROR(
      Ecs("PutClusterCapacityProviders", {{"cluster", "c"},
                                          {"capacityProviders", {"ghost"}},
                                          {"defaultCapacityProviderStrategy", json::array()}}),
      "InvalidParameterException");

  EcsOk("PutClusterCapacityProviders", {{"cluster", "c"},
                                        {"capacityProviders", json::array()},
                                        {"defaultCapacityProviderStrategy", json::array()}});
  const json deleted =
      EcsOk("DeleteCapacityProvider",
            {{"capacityProvider", created["capacityProviderArn"]}})["capacityProvider"];
  EXPECT_EQ(deleted["status"], "INACTIVE");
  EXPECT_EQ(EcsOk("DescribeCapacityProviders", json::object())["capacityProviders"].size(), 2u);
  EXPECT_AWS_ERROR(Ecs("DeleteCapacityProvider", {{"capacityProvider", "cp"}}), "ClientException");
  EXPECT_AWS_ERROR(Ecs("DeleteCapacityProvider", {{"capacityProvider", "FARGATE"}}),
                   "InvalidParameterException");
  // The name can be used again.
  EcsOk("CreateCapacityProvider", AsgProvider("cp"));
}

// --- Fidelity fixes ---------------------------------------------------------------------

TEST_F(EcsInstancesApiTest, DeletedClustersStayListedAsInactiveForAnHour) {
  EcsOk("CreateCluster", {{"clusterName", "gone"}});
  EcsOk("DeleteCluster", {{"cluster", "gone"}});
  const std::string arn = "arn:aws:ecs:us-east-1:000000000000:cluster/gone";
  EXPECT_THAT(EcsOk("ListClusters", json::object())["clusterArns"], ::testing::Contains(arn));
  EXPECT_EQ(EcsOk("DescribeClusters", {{"clusters", {"gone"}}})["clusters"][0]["status"],
            "INACTIVE");
  const ApiReply tag =
      Ecs("TagResource", {{"resourceArn", arn}, {"tags", {{{"key", "k"}, {"value", "v"}}}}});
  EXPECT_AWS_ERROR(tag, "InvalidParameterException");
  EXPECT_EQ(tag.message(),
            "The specified cluster is inactive. Specify an active cluster and try again.");
  const ApiReply run = Ecs("RunTask", {{"cluster", "gone"}, {"taskDefinition", "web"}});
  EXPECT_AWS_ERROR(run, "ClusterNotFoundException");
  EXPECT_EQ(run.message(), "The referenced cluster was inactive.");
  clock_.Advance(3601);
  EXPECT_THAT(EcsOk("ListClusters", json::object())["clusterArns"],
              ::testing::Not(::testing::Contains(arn)));
  // Created again: ACTIVE and listed.
  EcsOk("CreateCluster", {{"clusterName", "gone"}});
  EXPECT_THAT(EcsOk("ListClusters", json::object())["clusterArns"], ::testing::Contains(arn));
}

TEST_F(EcsInstancesApiTest, LookalikeArnsDoNotResolve) {
  const std::string good = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1";
  EXPECT_EQ(EcsOk("DescribeTaskDefinition", {{"taskDefinition", good}})["taskDefinition"]["family"],
            "web");
  for (const char* bad : {"arn:aws-cn:ecs:us-east-1:000000000000:task-definition/web:1",
                          "arn:aws:ecs:us-west-2:000000000000:task-definition/web:1",
                          "arn:aws:ecs:us-east-1:111111111111:task-definition/web:1",
                          "arn:aws:ecs:us-east-1:000000000000:service/web:1"}) {
    SCOPED_TRACE(bad);
    EXPECT_AWS_ERROR(Ecs("DescribeTaskDefinition", {{"taskDefinition", bad}}), "ClientException");
  }
  const std::string instance = Register()["containerInstanceArn"];
  const std::string id = instance.substr(instance.rfind('/') + 1);
  const json described =
      EcsOk("DescribeContainerInstances",
            {{"cluster", "c"},
             {"containerInstances",
              {"arn:aws:ecs:us-west-2:000000000000:container-instance/c/" + id,
               "arn:aws:ecs:us-east-1:000000000000:container-instance/other/" + id,
               "arn:aws:ecs:us-east-1:000000000000:task/c/" + id, id}}});
  EXPECT_EQ(described["containerInstances"].size(), 1u);
  EXPECT_EQ(described["failures"].size(), 3u);
  const json clusters =
      EcsOk("DescribeClusters", {{"clusters",
                                  {"arn:aws:ecs:us-west-2:000000000000:cluster/c",
                                   "arn:aws:ecs:us-east-1:000000000000:service/c"}}});
  EXPECT_TRUE(clusters["clusters"].empty());
  EXPECT_EQ(clusters["failures"].size(), 2u);
}

TEST_F(EcsInstancesApiTest, ValidationMessages) {
  const ApiReply pid = Ecs("RegisterTaskDefinition", json::parse(R"({"family": "p",
      "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256",
      "memory": "512", "pidMode": "host",
      "containerDefinitions": [{"name": "a", "image": "a:1"}]})"));
  EXPECT_AWS_ERROR(pid, "ClientException");
  EXPECT_EQ(pid.message(),
            "Tasks using the Fargate launch type do not support pidMode 'host'. The supported "
            "value for pidMode is 'task'.");

  const ApiReply revision = Ecs("DescribeTaskDefinition", {{"taskDefinition", "web:foo"}});
  EXPECT_AWS_ERROR(revision, "InvalidParameterException");
  EXPECT_EQ(revision.message(), "Invalid revision number. Number: foo");

  const ApiReply empty =
      Ecs("DescribeContainerInstances", {{"cluster", "c"}, {"containerInstances", json::array()}});
  EXPECT_AWS_ERROR(empty, "ClientException");
  EXPECT_EQ(empty.message(), "Container instance cannot be empty.");

  const ApiReply insights = Ecs(
      "CreateCluster",
      {{"clusterName", "i"}, {"settings", {{{"name", "containerInsights"}, {"value", "maybe"}}}}});
  EXPECT_AWS_ERROR(insights, "InvalidParameterException");
  EXPECT_THAT(insights.message(), StartsWith("Invalid setting value 'maybe'"));

  const json efs = EcsOk("RegisterTaskDefinition", json::parse(R"({"family": "efs",
      "volumes": [{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}],
      "containerDefinitions": [{"name": "a", "image": "a:1", "memory": 64}]})"))["taskDefinition"];
  EXPECT_EQ(efs["volumes"][0]["efsVolumeConfiguration"]["rootDirectory"], "/");
}

}  // namespace
}  // namespace berth::testing
