#pragma once

// ECS task definitions: registration with the validation and normalisation
// real ECS applies, revisions per family, describe/list/deregister/delete.
// A stored revision is the normalised AWS-shaped TaskDefinition document.
//
// Thread-safety: every method may be called from any thread.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecs {

// A task definition as the API reports it (document plus status fields).
struct TaskDefinition {
  nlohmann::json document;  // the TaskDefinition shape, complete
  std::vector<storage::Tag> tags;
};

// One page of ARNs or family names; `next` is empty on the last page.
struct NamePage {
  std::vector<std::string> items;
  std::string next;
};

// The outcome of DeleteTaskDefinitions for one reference.
struct DeleteOutcome {
  std::optional<nlohmann::json> task_definition;  // on success
  std::string arn;                                // on failure
  std::string reason;
  std::string detail;
};

// The task definition a reference names (family, family:revision or ARN; a
// bare family is its latest ACTIVE revision), as DescribeTaskDefinition
// serves it, read with a lease the caller holds. nullopt when there is none.
std::optional<nlohmann::json> FindTaskDefinition(storage::Db& db,
                                                 const aws::RequestContext& context,
                                                 const std::string& reference);

class TaskDefinitionService {
 public:
  explicit TaskDefinitionService(storage::Database& database) : database_(database) {}

  // `request` is a RegisterTaskDefinitionRequest already checked against the
  // botocore model. Throws ClientException / InvalidParameterException.
  TaskDefinition Register(const aws::RequestContext& context, const nlohmann::json& request);
  // `reference` is family, family:revision or an ARN. Throws ClientException
  // ("Unable to describe task definition.") when there is none.
  TaskDefinition Describe(const aws::RequestContext& context, const std::string& reference);
  NamePage List(const aws::RequestContext& context, const std::optional<std::string>& family,
                const std::string& status, bool descending, const std::string& token,
                size_t max_results);
  NamePage ListFamilies(const aws::RequestContext& context, const std::string& prefix,
                        const std::string& status, const std::string& token, size_t max_results);
  TaskDefinition Deregister(const aws::RequestContext& context, const std::string& reference);
  std::vector<DeleteOutcome> Delete(const aws::RequestContext& context,
                                    const std::vector<std::string>& references);

 private:
  storage::Database& database_;
};

}  // namespace berth::ecs
