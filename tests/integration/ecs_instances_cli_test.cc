// Container instances and capacity providers through the real AWS CLI,
// against the real berth (started without --register-local-instance) and
// Docker: a cluster starts with no instance, an EC2 run-task then fails as on
// AWS, register-container-instance adds the local host with its resources
// and attributes, an EC2 task runs on it as a real container, draining keeps
// it but takes no new task, deregistration needs --force while it runs and
// then stops it; capacity provider rules and the issue 11 fidelity fixes.

#include <string>
#include <vector>

#include "tests/integration/ecs_task_helpers.h"

namespace berth::testing {
namespace {

class EcsInstancesCliTest : public EcsTasksTest {
 protected:
  // Berth's default: clusters start without container instances.
  EcsInstancesCliTest() { berth_args_ = {"--register-local-instance=false"}; }

  json Instance(const std::string& arn) {
    const json out = Aws({"ecs", "describe-container-instances", "--cluster", cluster_,
                          "--container-instances", arn});
    return out.is_object() && out["containerInstances"].size() == 1 ? out["containerInstances"][0]
                                                                    : json();
  }
};

TEST_F(EcsInstancesCliTest, RegisterRunDrainAndDeregisterAnInstance) {
  CreateCluster();
  EXPECT_EQ(Cluster()["registeredContainerInstancesCount"], 0);
  const std::string image = BuildImage("x");
  Register(Ec2Td("inst", "bridge",
                 json::array({Container("app", image, "trap 'exit 0' TERM; sleep 3600 & wait")})));
  AwsFails({"ecs", "run-task", "--cluster", cluster_, "--task-definition", "inst"},
           "InvalidParameterException", "No Container Instances were found in your cluster.");

  // The local host registers, as an agent would.
  const json registered =
      Aws({"ecs", "register-container-instance", "--cluster", cluster_, "--attributes",
           "name=stack,value=prod", "--total-resources", "name=CPU,type=INTEGER,integerValue=2048",
           "name=MEMORY,type=INTEGER,integerValue=1024"});
  ASSERT_TRUE(registered.is_object());
  const std::string arn = registered["containerInstance"]["containerInstanceArn"];
  EXPECT_EQ(Cluster()["registeredContainerInstancesCount"], 1);
  const json listed = Aws({"ecs", "list-container-instances", "--cluster", cluster_, "--filter",
                           "attribute:stack == prod"});
  EXPECT_EQ(listed["containerInstanceArns"], json::array({arn}));
  json instance = Instance(arn);
  bool memory_seen = false;
  for (const auto& r : instance["registeredResources"]) {
    if (r["name"] == "MEMORY") memory_seen = r["integerValue"] == 1024;
  }
  EXPECT_TRUE(memory_seen) << instance.dump();

  // An EC2 task runs on it: a real container.
  const json task = RunTask("inst");
  EXPECT_EQ(task["containerInstanceArn"], arn);
  const json running = WaitStatus(task["taskArn"], "RUNNING", 60);
  EXPECT_FALSE(ContainerOf(running, "app").value("runtimeId", "").empty());
  instance = Instance(arn);
  EXPECT_EQ(instance["runningTasksCount"], 1);
  for (const auto& r : instance["remainingResources"]) {
    if (r["name"] == "MEMORY") {
      EXPECT_EQ(r["integerValue"], 1024 - 64);
    }
  }

  // Draining: the standalone task keeps running; no new task goes there.
  const json drained = Aws({"ecs", "update-container-instances-state", "--cluster", cluster_,
                            "--container-instances", arn, "--status", "DRAINING"});
  EXPECT_EQ(drained["containerInstances"][0]["status"], "DRAINING");
  AwsFails({"ecs", "run-task", "--cluster", cluster_, "--task-definition", "inst"},
           "InvalidParameterException", "No Container Instances were found in your cluster.");
  EXPECT_EQ(Describe(task["taskArn"])["lastStatus"], "RUNNING");

  // Deregistration needs --force while it runs; then the task stops.
  AwsFails(
      {"ecs", "deregister-container-instance", "--cluster", cluster_, "--container-instance", arn},
      "InvalidParameterException", "Found running tasks on the instance.");
  const json gone = Aws({"ecs", "deregister-container-instance", "--cluster", cluster_,
                         "--container-instance", arn, "--force"});
  EXPECT_EQ(gone["containerInstance"]["status"], "INACTIVE");
  WaitStatus(task["taskArn"], "STOPPED", 60);
  EXPECT_EQ(Cluster()["registeredContainerInstancesCount"], 0);
  AwsFails({"ecs", "update-container-agent", "--cluster", cluster_, "--container-instance", arn},
           "InvalidParameterException", "The referenced container instance was not found.");
  Aws({"ecs", "delete-cluster", "--cluster", cluster_});
}

TEST_F(EcsInstancesCliTest, AgentCallsCapacityProvidersAndFidelityFixes) {
  CreateCluster();
  const std::string arn = Aws({"ecs", "register-container-instance", "--cluster",
                               cluster_})["containerInstance"]["containerInstanceArn"];
  AwsFails({"ecs", "update-container-agent", "--cluster", cluster_, "--container-instance", arn},
           "NoUpdateAvailableException", "There is no update available for your container agent.");
  const json poll =
      Aws({"ecs", "discover-poll-endpoint", "--cluster", cluster_, "--container-instance", arn});
  EXPECT_EQ(poll["endpoint"], server_->endpoint() + "/");

  const std::string asg =
      "autoScalingGroupArn=arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:"
      "autoScalingGroupName/asg-" +
      id_;
  AwsFails(
      {"ecs", "create-capacity-provider", "--name", "ecs-cp", "--auto-scaling-group-provider", asg},
      "ClientException",
      "The specified capacity provider name is invalid. Up to 255 characters are allowed, "
      "including letters (upper and lowercase), numbers, underscores, and hyphens. The name "
      "cannot be prefixed with \"aws\", \"ecs\", or \"fargate\". Specify a valid name and "
      "try again.");
  const json cp = Aws({"ecs", "create-capacity-provider", "--name", "cp-" + id_,
                       "--auto-scaling-group-provider", asg});
  EXPECT_EQ(cp["capacityProvider"]["status"], "ACTIVE");
  Aws({"ecs", "update-capacity-provider", "--name", "cp-" + id_, "--auto-scaling-group-provider",
       "managedTerminationProtection=ENABLED"});
  Aws({"ecs", "put-cluster-capacity-providers", "--cluster", cluster_, "--capacity-providers",
       "cp-" + id_, "--default-capacity-provider-strategy", "capacityProvider=cp-" + id_});
  const json described =
      Aws({"ecs", "describe-capacity-providers", "--capacity-providers", "cp-" + id_});
  EXPECT_EQ(
      described["capacityProviders"][0]["autoScalingGroupProvider"]["managedTerminationProtection"],
      "ENABLED");
  const AwsResult in_use =
      RunCli({"ecs", "delete-capacity-provider", "--capacity-provider", "cp-" + id_});
  EXPECT_NE(in_use.exit_code, 0);
  EXPECT_NE(in_use.err.find("(ClientException)"), std::string::npos) << in_use.err;
  // The cluster's default strategy places EC2 tasks on its instances.
  const std::string image = BuildImage("x");
  Register(Ec2Td("viacp", "bridge",
                 json::array({Container("app", image, "trap 'exit 0' TERM; sleep 3600 & wait")})));
  const json task = RunTask("viacp");
  EXPECT_EQ(task["capacityProviderName"], "cp-" + id_);
  EXPECT_EQ(task["containerInstanceArn"], arn);
  Aws({"ecs", "stop-task", "--cluster", cluster_, "--task", task["taskArn"]});
  WaitStatus(task["taskArn"], "STOPPED", 60);
  Aws({"ecs", "put-cluster-capacity-providers", "--cluster", cluster_, "--capacity-providers", "[]",
       "--default-capacity-provider-strategy", "[]"});
  EXPECT_EQ(Aws({"ecs", "delete-capacity-provider", "--capacity-provider",
                 "cp-" + id_})["capacityProvider"]["status"],
            "INACTIVE");

  AwsFails({"ecs", "describe-task-definition", "--task-definition", "viacp:foo"},
           "InvalidParameterException", "Invalid revision number. Number: foo");
  // An instance ARN of another region does not resolve by its id.
  const json lookalike =
      Aws({"ecs", "describe-container-instances", "--cluster", cluster_, "--container-instances",
           "arn:aws:ecs:us-west-2:000000000000:container-instance/" + cluster_ + "/" +
               arn.substr(arn.rfind('/') + 1)});
  EXPECT_TRUE(lookalike["containerInstances"].empty());
  EXPECT_EQ(lookalike["failures"][0]["reason"], "MISSING");
  Aws({"ecs", "deregister-container-instance", "--cluster", cluster_, "--container-instance", arn});
  Aws({"ecs", "delete-cluster", "--cluster", cluster_});
  // Deleted clusters stay listed (INACTIVE) for an hour.
  const json clusters = Aws({"ecs", "list-clusters"});
  EXPECT_NE(clusters.dump().find("cluster/" + cluster_), std::string::npos) << clusters.dump();
}

}  // namespace
}  // namespace berth::testing
