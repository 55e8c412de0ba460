// The ECS service API in process: CreateService, UpdateService,
// DeleteService, DescribeServices, ListServices, ListServicesByNamespace,
// the service deployment and revision calls, task sets and task
// protection, through the real dispatcher on :memory:. Every reply is
// checked against botocore's output shapes by the fixture; these tests check
// ECS's defaults, rules, exact errors, and that bad input changes nothing.
// (Tasks and the scheduler are exercised in reconciler_tests and the
// integration suite.)

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class EcsServicesTest : public ApiTest {
 protected:
  EcsServicesTest() {
    ecs_services_.SetWaker([this] { ++pokes_; });
    EcsOk("CreateCluster", {{"clusterName", "c"}});
    EcsOk("RegisterTaskDefinition",
          {{"family", "web"},
           {"networkMode", "awsvpc"},
           {"requiresCompatibilities", {"FARGATE"}},
           {"cpu", "256"},
           {"memory", "512"},
           {"containerDefinitions",
            {{{"name", "web"},
              {"image", "app:1"},
              {"portMappings", {{{"containerPort", 80}, {"name", "http"}}}}}}}});
    EcsOk("RegisterTaskDefinition",
          {{"family", "bridged"},
           {"containerDefinitions", {{{"name", "app"}, {"image", "app:1"}, {"memory", 64}}}}});
  }

  static json Network() {
    return {{"awsvpcConfiguration", {{"subnets", {"subnet-1"}}, {"securityGroups", {"sg-1"}}}}};
  }

  // A Fargate service "web" of `desired` tasks (extra members merged in).
  json Create(const std::string& name = "web", int desired = 2, json extra = json::object()) {
    json in = {{"cluster", "c"},          {"serviceName", name},
               {"taskDefinition", "web"}, {"desiredCount", desired},
               {"launchType", "FARGATE"}, {"networkConfiguration", Network()}};
    in.update(extra);
    return EcsOk("CreateService", in)["service"];
  }

  json Describe(const std::string& name = "web", json extra = json::object()) {
    json in = {{"cluster", "c"}, {"services", {name}}};
    in.update(extra);
    const json out = EcsOk("DescribeServices", in);
    return out["services"].empty() ? json() : out["services"][0];
  }

  int pokes_ = 0;
};

TEST_F(EcsServicesTest, CreateServiceEchoesEcsDefaultsAndOnePrimaryDeployment) {
  const json s = Create();
  EXPECT_EQ(s["serviceArn"], "arn:aws:ecs:us-east-1:000000000000:service/c/web");
  EXPECT_EQ(s["clusterArn"], "arn:aws:ecs:us-east-1:000000000000:cluster/c");
  EXPECT_EQ(s["status"], "ACTIVE");
  EXPECT_EQ(s["desiredCount"], 2);
  EXPECT_EQ(s["runningCount"], 0);
  EXPECT_EQ(s["pendingCount"], 0);
  EXPECT_EQ(s["taskDefinition"], "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1");
  EXPECT_EQ(s["launchType"], "FARGATE");
  EXPECT_EQ(s["platformVersion"], "LATEST");
  EXPECT_EQ(s["schedulingStrategy"], "REPLICA");
  EXPECT_EQ(s["deploymentController"], json({{"type", "ECS"}}));
  EXPECT_EQ(s["deploymentConfiguration"],
            json({{"deploymentCircuitBreaker", {{"enable", false}, {"rollback", false}}},
                  {"maximumPercent", 200},
                  {"minimumHealthyPercent", 100}}));
  EXPECT_EQ(s["healthCheckGracePeriodSeconds"], 0);
  EXPECT_EQ(s["propagateTags"], "NONE");
  EXPECT_EQ(s["enableECSManagedTags"], false);
  EXPECT_EQ(s["enableExecuteCommand"], false);
  EXPECT_EQ(s["loadBalancers"], json::array());
  EXPECT_EQ(s["serviceRegistries"], json::array());
  EXPECT_EQ(s["events"], json::array());
  EXPECT_EQ(s["roleArn"],
            "arn:aws:iam::000000000000:role/aws-service-role/ecs.amazonaws.com/"
            "AWSServiceRoleForECS");
  EXPECT_EQ(s["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"], "DISABLED");
  ASSERT_EQ(s["deployments"].size(), 1u);
  const json& d = s["deployments"][0];
  EXPECT_THAT(d["id"].get<std::string>(), StartsWith("ecs-svc/"));
  EXPECT_EQ(d["id"].get<std::string>().size(), 8u + 19u);
  EXPECT_EQ(d["status"], "PRIMARY");
  EXPECT_EQ(d["rolloutState"], "IN_PROGRESS");
  EXPECT_EQ(d["rolloutStateReason"],
            "ECS deployment " + d["id"].get<std::string>() + " in progress.");
  EXPECT_EQ(d["platformVersion"], "1.4.0");
  EXPECT_EQ(d["failedTasks"], 0);
  // The revision's id is the deployment's digits (Terraform relies on it).
  EXPECT_THAT(s["currentServiceRevisions"][0]["arn"].get<std::string>(),
              ::testing::EndsWith("/" + d["id"].get<std::string>().substr(8)));
  EXPECT_THAT(s["currentServiceDeployment"].get<std::string>(),
              StartsWith("arn:aws:ecs:us-east-1:000000000000:service-deployment/c/web/"));
  EXPECT_GE(pokes_, 1);
  EXPECT_EQ(EcsOk("DescribeClusters", {{"clusters", {"c"}}})["clusters"][0]["activeServicesCount"],
            1);
}

TEST_F(EcsServicesTest, CreateServiceRefusesBadInputWithEcsErrorsAndChangesNothing) {
  const auto fails = [&](json in, const std::string& type, const std::string& message) {
    json base = {{"cluster", "c"},          {"serviceName", "bad"},
                 {"taskDefinition", "web"}, {"desiredCount", 1},
                 {"launchType", "FARGATE"}, {"networkConfiguration", Network()}};
    for (const auto& [k, v] : in.items()) {
      if (v.is_null()) {
        base.erase(k);
      } else {
        base[k] = v;
      }
    }
    const ApiReply r = Ecs("CreateService", base);
    EXPECT_EQ(r.status, 400u) << base.dump();
    EXPECT_EQ(r.error_type(), type) << r.raw;
    EXPECT_EQ(r.message(), message) << r.raw;
  };
  fails({{"cluster", "nope"}}, "ClusterNotFoundException", "Cluster not found.");
  fails({{"taskDefinition", "missing"}}, "ClientException", "TaskDefinition not found.");
  fails({{"taskDefinition", ""}}, "InvalidParameterException",
        "Family should not be null or empty.");
  fails({{"desiredCount", -1}}, "InvalidParameterException",
        "The desired count must be 0 or greater.");
  fails({{"networkConfiguration", nullptr}}, "InvalidParameterException",
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  fails({{"networkConfiguration", {{"awsvpcConfiguration", {{"subnets", json::array()}}}}}},
        "InvalidParameterException", "subnets can not be empty.");
  fails({{"taskDefinition", "bridged"}, {"networkConfiguration", nullptr}},
        "InvalidParameterException", "Task definition does not support launch_type FARGATE.");
  fails({{"capacityProviderStrategy", {{{"capacityProvider", "FARGATE"}}}}},
        "InvalidParameterException",
        "Specifying both a launch type and capacity provider strategy is not supported. Remove "
        "one and try again.");
  fails({{"schedulingStrategy", "DAEMON"},
         {"launchType", "EC2"},
         {"taskDefinition", "bridged"},
         {"networkConfiguration", nullptr}},
        "InvalidParameterException",
        "The daemon scheduling strategy does not support a desired count for services. Remove "
        "the desired count value and try again");
  fails({{"deploymentController", {{"type", "EXTERNAL"}}}}, "InvalidParameterException",
        "TaskDefinition must be blank.");
  fails({{"serviceName", "has space"}}, "InvalidParameterException",
        "Service names can have up to 255 letters (uppercase and lowercase), numbers, hyphens, "
        "and underscores.");
  fails({{"deploymentConfiguration", {{"minimumHealthyPercent", 150}}}},
        "InvalidParameterException", "minimumHealthyPercent must be between 0 and 100.");
  EXPECT_EQ(EcsOk("ListServices", {{"cluster", "c"}})["serviceArns"], json::array());
}

TEST_F(EcsServicesTest, ANameInUseOrDrainingIsRefusedAndAnInactiveOneIsReused) {
  Create("web", 0);
  const ApiReply again = Ecs("CreateService", {{"cluster", "c"},
                                               {"serviceName", "web"},
                                               {"taskDefinition", "web"},
                                               {"launchType", "FARGATE"},
                                               {"networkConfiguration", Network()}});
  EXPECT_AWS_ERROR(again, "InvalidParameterException");
  EXPECT_EQ(again.message(), "Creation of service was not idempotent.");
  EcsOk("DeleteService", {{"cluster", "c"}, {"service", "web"}});
  EXPECT_EQ(Describe()["status"], "DRAINING");
  const ApiReply draining = Ecs("CreateService", {{"cluster", "c"},
                                                  {"serviceName", "web"},
                                                  {"taskDefinition", "web"},
                                                  {"launchType", "FARGATE"},
                                                  {"networkConfiguration", Network()}});
  EXPECT_EQ(draining.message(), "Unable to Start a service that is still Draining.");
  // DRAINING services are not listed, and UpdateService refuses them.
  EXPECT_EQ(EcsOk("ListServices", {{"cluster", "c"}})["serviceArns"], json::array());
  const ApiReply update = Ecs("UpdateService", {{"cluster", "c"}, {"service", "web"}});
  EXPECT_AWS_ERROR(update, "ServiceNotActiveException");
  EXPECT_EQ(update.message(), "Service was not ACTIVE.");
}

TEST_F(EcsServicesTest, ClientTokenMakesCreateServiceIdempotent) {
  const json first = Create("tok", 1, {{"clientToken", "t-1"}});
  const json second = Create("tok", 1, {{"clientToken", "t-1"}});
  EXPECT_EQ(first["serviceArn"], second["serviceArn"]);
  EXPECT_EQ(first["deployments"][0]["id"], second["deployments"][0]["id"]);
  const ApiReply other = Ecs("CreateService", {{"cluster", "c"},
                                               {"serviceName", "tok"},
                                               {"taskDefinition", "web"},
                                               {"desiredCount", 3},
                                               {"launchType", "FARGATE"},
                                               {"networkConfiguration", Network()},
                                               {"clientToken", "t-1"}});
  EXPECT_AWS_ERROR(other, "InvalidParameterException");
}

TEST_F(EcsServicesTest, UpdateServiceStartsADeploymentOnlyWhenWhatRunsChanges) {
  Create();
  // desiredCount and deploymentConfiguration alone: no new deployment.
  json s =
      EcsOk("UpdateService",
            {{"cluster", "c"},
             {"service", "web"},
             {"desiredCount", 3},
             {"deploymentConfiguration",
              {{"deploymentCircuitBreaker", {{"enable", true}, {"rollback", true}}}}}})["service"];
  EXPECT_EQ(s["desiredCount"], 3);
  EXPECT_EQ(s["deployments"].size(), 1u);
  EXPECT_EQ(s["deploymentConfiguration"]["deploymentCircuitBreaker"]["rollback"], true);
  EXPECT_EQ(s["deploymentConfiguration"]["maximumPercent"], 200) << "kept";
  // A new revision: a new PRIMARY, the old one ACTIVE.
  EcsOk("RegisterTaskDefinition",
        {{"family", "web"},
         {"networkMode", "awsvpc"},
         {"requiresCompatibilities", {"FARGATE"}},
         {"cpu", "256"},
         {"memory", "512"},
         {"containerDefinitions", {{{"name", "web"}, {"image", "app:2"}}}}});
  clock_.Advance(1);
  s = EcsOk("UpdateService",
            {{"cluster", "c"}, {"service", "web"}, {"taskDefinition", "web"}})["service"];
  ASSERT_EQ(s["deployments"].size(), 2u);
  EXPECT_EQ(s["deployments"][0]["status"], "PRIMARY");
  EXPECT_EQ(s["deployments"][0]["taskDefinition"],
            "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2");
  EXPECT_EQ(s["deployments"][1]["status"], "ACTIVE");
  EXPECT_EQ(s["taskDefinition"], "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2");
  // forceNewDeployment always makes one.
  clock_.Advance(1);
  s = EcsOk("UpdateService",
            {{"cluster", "c"}, {"service", "web"}, {"forceNewDeployment", true}})["service"];
  EXPECT_EQ(s["deployments"].size(), 3u);
  // The superseded service deployment is STOPPED.
  const json list = EcsOk("ListServiceDeployments", {{"cluster", "c"}, {"service", "web"}});
  ASSERT_EQ(list["serviceDeployments"].size(), 3u);
  EXPECT_EQ(list["serviceDeployments"][0]["status"], "PENDING");
  EXPECT_EQ(list["serviceDeployments"][1]["status"], "STOPPED");
  // Unknown services.
  const ApiReply missing = Ecs("UpdateService", {{"cluster", "c"}, {"service", "nope"}});
  EXPECT_AWS_ERROR(missing, "ServiceNotFoundException");
  EXPECT_EQ(missing.message(), "Service not found.");
}

TEST_F(EcsServicesTest, DeleteServiceNeedsForceWhileScaledAndDescribeReportsMissing) {
  Create();
  const ApiReply scaled = Ecs("DeleteService", {{"cluster", "c"}, {"service", "web"}});
  EXPECT_AWS_ERROR(scaled, "InvalidParameterException");
  EXPECT_EQ(scaled.message(), "The service cannot be stopped while it is scaled above 0.");
  const json deleted =
      EcsOk("DeleteService", {{"cluster", "c"}, {"service", "web"}, {"force", true}})["service"];
  EXPECT_EQ(deleted["status"], "DRAINING");
  EXPECT_EQ(deleted["desiredCount"], 0);
  const json out = EcsOk("DescribeServices", {{"cluster", "c"}, {"services", {"web", "ghost"}}});
  EXPECT_EQ(out["services"].size(), 1u);
  EXPECT_EQ(out["failures"],
            json::array({{{"arn", "arn:aws:ecs:us-east-1:000000000000:service/c/ghost"},
                          {"reason", "MISSING"}}}));
  // The cluster cannot go while the service drains.
  const ApiReply cluster = Ecs("DeleteCluster", {{"cluster", "c"}});
  EXPECT_AWS_ERROR(cluster, "ClusterContainsServicesException");
  EXPECT_EQ(cluster.message(), "The Cluster cannot be deleted while Services are active.");
  EXPECT_AWS_ERROR(Ecs("DescribeServices", {{"cluster", "c"}, {"services", json::array()}}),
                   "InvalidParameterException");
}

TEST_F(EcsServicesTest, ListServicesPagesAndFilters) {
  for (const char* name : {"a", "b", "c", "d"}) Create(name, 0);
  EcsOk("CreateService", {{"cluster", "c"},
                          {"serviceName", "e"},
                          {"taskDefinition", "bridged"},
                          {"launchType", "EC2"},
                          {"schedulingStrategy", "DAEMON"}});
  json page = EcsOk("ListServices", {{"cluster", "c"}, {"maxResults", 2}});
  EXPECT_THAT(page["serviceArns"], ElementsAre("arn:aws:ecs:us-east-1:000000000000:service/c/a",
                                               "arn:aws:ecs:us-east-1:000000000000:service/c/b"));
  page = EcsOk("ListServices",
               {{"cluster", "c"}, {"maxResults", 2}, {"nextToken", page["nextToken"]}});
  EXPECT_EQ(page["serviceArns"].size(), 2u);
  page = EcsOk("ListServices", {{"cluster", "c"}, {"nextToken", page["nextToken"]}});
  EXPECT_EQ(page["serviceArns"].size(), 1u);
  EXPECT_FALSE(page.contains("nextToken"));
  EXPECT_EQ(
      EcsOk("ListServices", {{"cluster", "c"}, {"schedulingStrategy", "DAEMON"}})["serviceArns"]
          .size(),
      1u);
  EXPECT_EQ(
      EcsOk("ListServices", {{"cluster", "c"}, {"launchType", "FARGATE"}})["serviceArns"].size(),
      4u);
  const json daemon = Describe("e");
  EXPECT_EQ(daemon["schedulingStrategy"], "DAEMON");
  EXPECT_EQ(daemon["desiredCount"], 1) << "one task per container instance";
  EXPECT_EQ(daemon["deploymentConfiguration"]["maximumPercent"], 100);
  EXPECT_EQ(daemon["deploymentConfiguration"]["minimumHealthyPercent"], 0);
}

TEST_F(EcsServicesTest, TagsAreStoredAndShownWithIncludeTags) {
  Create("tagged", 0,
         {{"tags", {{{"key", "team"}, {"value", "a"}}}}, {"propagateTags", "SERVICE"}});
  EXPECT_FALSE(Describe("tagged").contains("tags"));
  EXPECT_EQ(Describe("tagged", {{"include", {"TAGS"}}})["tags"],
            json::array({{{"key", "team"}, {"value", "a"}}}));
  EXPECT_EQ(EcsOk("ListTagsForResource",
                  {{"resourceArn", "arn:aws:ecs:us-east-1:000000000000:service/c/tagged"}})["tags"]
                .size(),
            1u);
}

TEST_F(EcsServicesTest, ServiceDeploymentsAndRevisionsDescribeWhatWasDeployed) {
  const json s = Create();
  const std::string sd_arn = s["currentServiceDeployment"];
  const std::string rev_arn = s["currentServiceRevisions"][0]["arn"];
  const json sd = EcsOk("DescribeServiceDeployments", {{"serviceDeploymentArns", {sd_arn}}});
  ASSERT_EQ(sd["serviceDeployments"].size(), 1u);
  EXPECT_EQ(sd["serviceDeployments"][0]["status"], "PENDING");
  EXPECT_EQ(sd["serviceDeployments"][0]["sourceServiceRevisions"], json::array());
  EXPECT_EQ(sd["serviceDeployments"][0]["targetServiceRevision"]["arn"], rev_arn);
  EXPECT_EQ(sd["serviceDeployments"][0]["deploymentCircuitBreaker"]["status"], "DISABLED");
  const json rev = EcsOk("DescribeServiceRevisions", {{"serviceRevisionArns", {rev_arn}}});
  ASSERT_EQ(rev["serviceRevisions"].size(), 1u);
  EXPECT_EQ(rev["serviceRevisions"][0]["taskDefinition"],
            "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1");
  EXPECT_EQ(rev["serviceRevisions"][0]["containerImages"][0]["image"], "app:1");
  EXPECT_EQ(rev["serviceRevisions"][0]["serviceConnectConfiguration"], json({{"enabled", false}}));
  const std::string ghost = sd_arn.substr(0, sd_arn.rfind('/') + 1) + "ghost";
  EXPECT_EQ(EcsOk("DescribeServiceDeployments",
                  {{"serviceDeploymentArns", {ghost}}})["failures"][0]["reason"],
            "MISSING");
  // A pending deployment can be rolled back; a finished one cannot.
  EXPECT_EQ(
      EcsOk("StopServiceDeployment", {{"serviceDeploymentArn", sd_arn}})["serviceDeploymentArn"],
      sd_arn);
  EXPECT_EQ(EcsOk("DescribeServiceDeployments",
                  {{"serviceDeploymentArns", {sd_arn}}})["serviceDeployments"][0]["status"],
            "ROLLBACK_REQUESTED");
  EXPECT_AWS_ERROR(Ecs("StopServiceDeployment", {{"serviceDeploymentArn", ghost}}),
                   "ServiceDeploymentNotFoundException");
  EXPECT_AWS_ERROR(Ecs("ContinueServiceDeployment",
                       {{"serviceDeploymentArn", sd_arn}, {"hookId", "ecs-pause-x"}}),
                   "InvalidParameterException");
}

TEST_F(EcsServicesTest, TaskSetsNeedTheExternalControllerAndScale) {
  Create("ecs-controlled", 0);
  const ApiReply wrong = Ecs("CreateTaskSet", {{"cluster", "c"},
                                               {"service", "ecs-controlled"},
                                               {"taskDefinition", "web"},
                                               {"launchType", "FARGATE"},
                                               {"networkConfiguration", Network()}});
  EXPECT_AWS_ERROR(wrong, "InvalidParameterException");
  EXPECT_EQ(wrong.message(),
            "Amazon ECS only supports task set management on services configured to use external "
            "deployment controllers.");
  const json ext =
      EcsOk("CreateService", {{"cluster", "c"},
                              {"serviceName", "ext"},
                              {"desiredCount", 4},
                              {"deploymentController", {{"type", "EXTERNAL"}}}})["service"];
  EXPECT_FALSE(ext.contains("deployments"));
  EXPECT_EQ(ext["taskSets"], json::array());
  EXPECT_FALSE(ext.contains("taskDefinition"));
  const json set = EcsOk("CreateTaskSet", {{"cluster", "c"},
                                           {"service", "ext"},
                                           {"taskDefinition", "web"},
                                           {"launchType", "FARGATE"},
                                           {"networkConfiguration", Network()},
                                           {"externalId", "blue"}})["taskSet"];
  EXPECT_EQ(set["status"], "ACTIVE");
  EXPECT_EQ(set["scale"], json({{"value", 0.0}, {"unit", "PERCENT"}}));
  EXPECT_EQ(set["computedDesiredCount"], 0);
  EXPECT_EQ(set["stabilityStatus"], "STABILIZING");
  EXPECT_EQ(set["externalId"], "blue");
  EXPECT_EQ(set["taskSetArn"],
            "arn:aws:ecs:us-east-1:000000000000:task-set/c/ext/" + set["id"].get<std::string>());
  const json scaled =
      EcsOk("UpdateTaskSet", {{"cluster", "c"},
                              {"service", "ext"},
                              {"taskSet", set["id"]},
                              {"scale", {{"value", 30.0}, {"unit", "PERCENT"}}}})["taskSet"];
  EXPECT_EQ(scaled["computedDesiredCount"], 2) << "ceil(4 x 30%)";
  const json primary = EcsOk(
      "UpdateServicePrimaryTaskSet",
      {{"cluster", "c"}, {"service", "ext"}, {"primaryTaskSet", set["taskSetArn"]}})["taskSet"];
  EXPECT_EQ(primary["status"], "PRIMARY");
  EXPECT_EQ(Describe("ext")["taskDefinition"],
            "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1");
  const ApiReply keep =
      Ecs("DeleteTaskSet", {{"cluster", "c"}, {"service", "ext"}, {"taskSet", set["id"]}});
  EXPECT_EQ(keep.message(), "Primary TaskSet cannot be deleted");
  const json gone = EcsOk(
      "DeleteTaskSet",
      {{"cluster", "c"}, {"service", "ext"}, {"taskSet", set["id"]}, {"force", true}})["taskSet"];
  EXPECT_EQ(gone["status"], "DRAINING");
  EXPECT_AWS_ERROR(Ecs("DescribeTaskSets", {{"cluster", "c"}, {"service", "ext"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(
      Ecs("DescribeTaskSets", {{"cluster", "c"},
                               {"service", "ext"},
                               {"taskSets", {"arn:aws:ecs:us-east-1:000000000000:task/c/abc"}}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecs("UpdateTaskSet", {{"cluster", "c"},
                                         {"service", "ext"},
                                         {"taskSet", "ecs-svc/1234567890123456789"},
                                         {"scale", {{"value", 10.0}, {"unit", "PERCENT"}}}}),
                   "TaskSetNotFoundException");
}

TEST_F(EcsServicesTest, TaskProtectionIsForServiceTasks) {
  const json run = EcsOk("RunTask", {{"cluster", "c"},
                                     {"taskDefinition", "web"},
                                     {"launchType", "FARGATE"},
                                     {"networkConfiguration", Network()}});
  const std::string arn = run["tasks"][0]["taskArn"];
  const json out = EcsOk("UpdateTaskProtection",
                         {{"cluster", "c"}, {"tasks", {arn}}, {"protectionEnabled", true}});
  EXPECT_EQ(out["protectedTasks"], json::array());
  ASSERT_EQ(out["failures"].size(), 1u);
  EXPECT_EQ(out["failures"][0]["reason"], "TASK_NOT_VALID");
  EXPECT_AWS_ERROR(Ecs("UpdateTaskProtection", {{"cluster", "c"},
                                                {"tasks", {arn}},
                                                {"protectionEnabled", true},
                                                {"expiresInMinutes", 3000}}),
                   "InvalidParameterException");
  const json missing = EcsOk("GetTaskProtection",
                             {{"cluster", "c"}, {"tasks", {"0123456789abcdef0123456789abcdef"}}});
  EXPECT_EQ(missing["failures"][0]["reason"], "MISSING");
  EXPECT_AWS_ERROR(Ecs("GetTaskProtection", {{"cluster", "nope"}}), "ClusterNotFoundException");
}

TEST_F(EcsServicesTest, ListTasksByServiceNameNeedsAKnownService) {
  Create();
  EXPECT_EQ(EcsOk("ListTasks", {{"cluster", "c"}, {"serviceName", "web"}})["taskArns"],
            json::array());
  const ApiReply r = Ecs("ListTasks", {{"cluster", "c"}, {"serviceName", "ghost"}});
  EXPECT_AWS_ERROR(r, "ServiceNotFoundException");
}

TEST_F(EcsServicesTest, ServiceConnectIsCheckedAndListedByNamespace) {
  const ApiReply bad =
      Ecs("CreateService",
          {{"cluster", "c"},
           {"serviceName", "sc"},
           {"taskDefinition", "web"},
           {"launchType", "FARGATE"},
           {"networkConfiguration", Network()},
           {"serviceConnectConfiguration",
            {{"enabled", true}, {"namespace", "local"}, {"services", {{{"portName", "nope"}}}}}}});
  EXPECT_AWS_ERROR(bad, "InvalidParameterException");
  EXPECT_THAT(bad.message(), HasSubstr("nope"));
  const json s = Create(
      "sc", 0,
      {{"serviceConnectConfiguration",
        {{"enabled", true},
         {"namespace", "local"},
         {"services",
          {{{"portName", "http"}, {"clientAliases", {{{"port", 80}, {"dnsName", "api"}}}}}}}}}});
  EXPECT_FALSE(s.contains("serviceConnectConfiguration")) << "only deployments carry it";
  const json& d = s["deployments"][0];
  EXPECT_EQ(d["serviceConnectConfiguration"]["namespace"], "local");
  EXPECT_EQ(d["serviceConnectResources"][0]["discoveryName"], "http");
  EXPECT_EQ(EcsOk("ListServicesByNamespace", {{"namespace", "local"}})["serviceArns"],
            json::array({"arn:aws:ecs:us-east-1:000000000000:service/c/sc"}));
  EXPECT_AWS_ERROR(Ecs("ListServicesByNamespace", {{"namespace", "elsewhere"}}),
                   "NamespaceNotFoundException");
}

}  // namespace
}  // namespace berth::testing
