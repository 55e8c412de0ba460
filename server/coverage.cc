#include "server/coverage.h"

#include <algorithm>
#include <vector>

#include "server/aws/model/service_model.h"
#include "server/ecr/ecr_api.h"
#include "server/ecs/ecs_api.h"
#include "server/logs/logs_api.h"

namespace berth {
namespace {

std::string Section(const aws::model::ServiceModel& model, const std::string& title,
                    const std::vector<std::string_view>& emulated) {
  std::string done;
  std::string pending;
  size_t emulated_count = 0;
  for (const auto& operation : model.operations) {
    const bool yes = std::find(emulated.begin(), emulated.end(), operation.name) != emulated.end();
    std::string& list = yes ? done : pending;
    if (!list.empty()) list.append(", ");
    list.append("`").append(operation.name).append("`");
    if (yes) ++emulated_count;
  }
  std::string out = "### " + title + " (" + std::to_string(emulated_count) + " of " +
                    std::to_string(model.operations.size()) + ")\n\n";
  out += "Emulated: " + (done.empty() ? std::string("none") : done) + ".\n\n";
  out += "Not yet (answer `NotImplementedException`): " +
         (pending.empty() ? std::string("none") : pending) + ".\n";
  return out;
}

}  // namespace

std::string OperationsMarkdown() {
  return Section(aws::model::EcrModel(), "ECR", ecr::EcrApi::OperationNames()) + "\n" +
         Section(aws::model::EcsModel(), "ECS", ecs::EcsApi::OperationNames()) + "\n" +
         Section(aws::model::LogsModel(), "CloudWatch Logs", logs::LogsApi::OperationNames());
}

}  // namespace berth
