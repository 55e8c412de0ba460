// The daemon operations of EcsApi (ECS Managed Daemons): daemon task
// definitions, daemons, their deployments and revisions. DaemonService
// takes and returns the wire shapes; these only pick the members out.

#include "server/aws/json_params.h"
#include "server/ecs/ecs_api.h"

namespace berth::ecs {

using nlohmann::json;

json EcsApi::RegisterDaemonTaskDefinition(const json& in, const Context& context) {
  return {{"daemonTaskDefinitionArn", services_.daemons.RegisterTaskDefinition(context, in)}};
}

json EcsApi::DescribeDaemonTaskDefinition(const json& in, const Context& context) {
  return {{"daemonTaskDefinition", services_.daemons.DescribeTaskDefinition(
                                       context, aws::RequiredString(in, "daemonTaskDefinition"))}};
}

json EcsApi::DeleteDaemonTaskDefinition(const json& in, const Context& context) {
  return {
      {"daemonTaskDefinitionArn", services_.daemons.DeleteTaskDefinition(
                                      context, aws::RequiredString(in, "daemonTaskDefinition"))}};
}

json EcsApi::ListDaemonTaskDefinitions(const json& in, const Context& context) {
  return services_.daemons.ListTaskDefinitions(context, in);
}

json EcsApi::CreateDaemon(const json& in, const Context& context) {
  return services_.daemons.Create(context, in);
}

json EcsApi::UpdateDaemon(const json& in, const Context& context) {
  return services_.daemons.Update(context, in);
}

json EcsApi::DeleteDaemon(const json& in, const Context& context) {
  return services_.daemons.Delete(context, aws::RequiredString(in, "daemonArn"));
}

json EcsApi::DescribeDaemon(const json& in, const Context& context) {
  return services_.daemons.Describe(context, aws::RequiredString(in, "daemonArn"));
}

json EcsApi::ListDaemons(const json& in, const Context& context) {
  return services_.daemons.List(context, in);
}

json EcsApi::DescribeDaemonDeployments(const json& in, const Context& context) {
  return services_.daemons.DescribeDeployments(context,
                                               aws::StringList(in, "daemonDeploymentArns"));
}

json EcsApi::ListDaemonDeployments(const json& in, const Context& context) {
  return services_.daemons.ListDeployments(context, in);
}

json EcsApi::DescribeDaemonRevisions(const json& in, const Context& context) {
  return services_.daemons.DescribeRevisions(context, aws::StringList(in, "daemonRevisionArns"));
}

}  // namespace berth::ecs
