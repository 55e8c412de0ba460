// The Express gateway service operations of EcsApi: Create, Update, Delete
// and DescribeExpressGatewayService (see ExpressGatewayService for what
// runs locally and the endpoint Berth reports).

#include "server/aws/json_params.h"
#include "server/ecs/ecs_api.h"

namespace berth::ecs {

using nlohmann::json;

json EcsApi::CreateExpressGatewayService(const json& in, const Context& context) {
  return services_.express.Create(context, in);
}

json EcsApi::UpdateExpressGatewayService(const json& in, const Context& context) {
  return services_.express.Update(context, in);
}

json EcsApi::DeleteExpressGatewayService(const json& in, const Context& context) {
  return services_.express.Delete(context, aws::RequiredString(in, "serviceArn"));
}

json EcsApi::DescribeExpressGatewayService(const json& in, const Context& context) {
  const auto include = aws::StringList(in, "include");
  const bool with_tags = std::find(include.begin(), include.end(), "TAGS") != include.end();
  return services_.express.Describe(context, aws::RequiredString(in, "serviceArn"), with_tags);
}

}  // namespace berth::ecs
