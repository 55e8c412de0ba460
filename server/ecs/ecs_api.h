#pragma once

// The ECS JSON API: one member function per emulated operation, named after
// it. Each reads its (model-validated) input, calls an ECS service and shapes
// the reply as botocore's ECS model describes. Task-definition operations
// live in task_definition_api.cc.
//
// Thread-safety: as the services (any thread).

#include <array>
#include <string_view>
#include <vector>

#include "server/aws/service_api.h"
#include "server/ecs/ecs_service.h"

namespace berth::ecs {

class EcsApi final : public aws::ServiceApi {
 public:
  explicit EcsApi(EcsServices& services) : services_(services) {}

  const aws::ServiceModel& Model() const override;
  std::string_view Name() const override { return "ecs"; }
  bool Implements(std::string_view operation) const override;
  nlohmann::json Invoke(std::string_view operation, const nlohmann::json& input,
                        const aws::RequestContext& context) override;
  aws::AwsError ValidationError(const aws::OperationModel& operation,
                                const aws::ValidationIssue& issue) const override;

  static std::vector<std::string_view> OperationNames();

  using Json = nlohmann::json;
  using Context = aws::RequestContext;
  Json ContinueServiceDeployment(const Json& in, const Context& context);
  Json UpdateContainerInstancesState(const Json& in, const Context& context);
  Json UpdateContainerAgent(const Json& in, const Context& context);
  Json UpdateCapacityProvider(const Json& in, const Context& context);
  Json SubmitTaskStateChange(const Json& in, const Context& context);
  Json SubmitContainerStateChange(const Json& in, const Context& context);
  Json SubmitAttachmentStateChanges(const Json& in, const Context& context);
  Json RegisterContainerInstance(const Json& in, const Context& context);
  Json DiscoverPollEndpoint(const Json& in, const Context& context);
  Json DeregisterContainerInstance(const Json& in, const Context& context);
  Json DeleteCapacityProvider(const Json& in, const Context& context);
  Json CreateCapacityProvider(const Json& in, const Context& context);
  Json CreateCluster(const Json& in, const Context& context);
  Json CreateDaemon(const Json& in, const Context& context);
  Json CreateExpressGatewayService(const Json& in, const Context& context);
  Json CreateService(const Json& in, const Context& context);
  Json CreateTaskSet(const Json& in, const Context& context);
  Json DeleteAccountSetting(const Json& in, const Context& context);
  Json DeleteAttributes(const Json& in, const Context& context);
  Json DeleteCluster(const Json& in, const Context& context);
  Json DeleteDaemon(const Json& in, const Context& context);
  Json DeleteDaemonTaskDefinition(const Json& in, const Context& context);
  Json DeleteExpressGatewayService(const Json& in, const Context& context);
  Json DeleteService(const Json& in, const Context& context);
  Json DeleteTaskDefinitions(const Json& in, const Context& context);
  Json DeleteTaskSet(const Json& in, const Context& context);
  Json DeregisterTaskDefinition(const Json& in, const Context& context);
  Json DescribeCapacityProviders(const Json& in, const Context& context);
  Json DescribeClusters(const Json& in, const Context& context);
  Json DescribeContainerInstances(const Json& in, const Context& context);
  Json DescribeDaemon(const Json& in, const Context& context);
  Json DescribeDaemonDeployments(const Json& in, const Context& context);
  Json DescribeDaemonRevisions(const Json& in, const Context& context);
  Json DescribeDaemonTaskDefinition(const Json& in, const Context& context);
  Json DescribeExpressGatewayService(const Json& in, const Context& context);
  Json DescribeServiceDeployments(const Json& in, const Context& context);
  Json DescribeServiceRevisions(const Json& in, const Context& context);
  Json DescribeServices(const Json& in, const Context& context);
  Json DescribeTaskDefinition(const Json& in, const Context& context);
  Json DescribeTaskSets(const Json& in, const Context& context);
  Json DescribeTasks(const Json& in, const Context& context);
  Json ExecuteCommand(const Json& in, const Context& context);
  Json GetTaskProtection(const Json& in, const Context& context);
  Json ListAccountSettings(const Json& in, const Context& context);
  Json ListAttributes(const Json& in, const Context& context);
  Json ListClusters(const Json& in, const Context& context);
  Json ListContainerInstances(const Json& in, const Context& context);
  Json ListDaemonDeployments(const Json& in, const Context& context);
  Json ListDaemonTaskDefinitions(const Json& in, const Context& context);
  Json ListDaemons(const Json& in, const Context& context);
  Json ListServiceDeployments(const Json& in, const Context& context);
  Json ListServices(const Json& in, const Context& context);
  Json ListServicesByNamespace(const Json& in, const Context& context);
  Json ListTagsForResource(const Json& in, const Context& context);
  Json ListTaskDefinitionFamilies(const Json& in, const Context& context);
  Json ListTaskDefinitions(const Json& in, const Context& context);
  Json ListTasks(const Json& in, const Context& context);
  Json PutAccountSetting(const Json& in, const Context& context);
  Json PutAccountSettingDefault(const Json& in, const Context& context);
  Json PutAttributes(const Json& in, const Context& context);
  Json PutClusterCapacityProviders(const Json& in, const Context& context);
  Json RegisterDaemonTaskDefinition(const Json& in, const Context& context);
  Json RegisterTaskDefinition(const Json& in, const Context& context);
  Json RunTask(const Json& in, const Context& context);
  Json StartTask(const Json& in, const Context& context);
  Json StopServiceDeployment(const Json& in, const Context& context);
  Json StopTask(const Json& in, const Context& context);
  Json TagResource(const Json& in, const Context& context);
  Json UntagResource(const Json& in, const Context& context);
  Json UpdateCluster(const Json& in, const Context& context);
  Json UpdateClusterSettings(const Json& in, const Context& context);
  Json UpdateDaemon(const Json& in, const Context& context);
  Json UpdateExpressGatewayService(const Json& in, const Context& context);
  Json UpdateService(const Json& in, const Context& context);
  Json UpdateServicePrimaryTaskSet(const Json& in, const Context& context);
  Json UpdateTaskProtection(const Json& in, const Context& context);
  Json UpdateTaskSet(const Json& in, const Context& context);

 private:
  static const std::array<aws::OperationRow<EcsApi>, 77> kOperations;
  EcsServices& services_;
};

}  // namespace berth::ecs
