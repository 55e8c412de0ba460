#pragma once

// What aws::Dispatcher needs of one AWS service (ECR, ECS): its botocore
// model, its table of emulated operations, and how it words validation
// errors. Handlers receive input already validated against the model.
//
// Thread-safety: Invoke() is called from every server thread at once.

#include <algorithm>
#include <array>
#include <memory>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/aws/aws_error.h"
#include "server/aws/event_stream_body.h"
#include "server/aws/model/model_validator.h"
#include "server/aws/model/service_model.h"
#include "server/aws/request_context.h"

namespace berth::aws {

using model::OperationModel;
using model::ServiceModel;
using model::ValidationIssue;

class ServiceApi {
 public:
  virtual ~ServiceApi() = default;

  virtual const ServiceModel& Model() const = 0;
  // Lowercase service name for logs and messages ("ecr", "ecs").
  virtual std::string_view Name() const = 0;
  virtual bool Implements(std::string_view operation) const = 0;
  // Runs an implemented operation. Throws AwsError.
  virtual nlohmann::json Invoke(std::string_view operation, const nlohmann::json& input,
                                const RequestContext& context) = 0;
  // True for the implemented operations that may wait on something outside
  // Berth (an upstream registry): the server runs them off its event loop
  // (http::Application::MayWait). Default: none.
  virtual bool MayWait(std::string_view operation) const {
    (void)operation;
    return false;
  }
  // True for the implemented operations whose output is an event stream
  // (CloudWatch Logs' StartLiveTail): they are served by OpenEventStream
  // instead of Invoke. Default: none.
  virtual bool StreamsOutput(std::string_view operation) const {
    (void)operation;
    return false;
  }
  // Opens the stream of such an operation: the events after the
  // initial-response. Throws AwsError, answered as a plain JSON error, before
  // any byte of the stream is sent.
  virtual std::unique_ptr<EventSource> OpenEventStream(std::string_view operation,
                                                       const nlohmann::json& input,
                                                       const RequestContext& context) {
    (void)input;
    (void)context;
    throw InternalFailure("no event stream for " + std::string(operation));
  }
  // The error AWS answers when input breaks the model's constraints.
  virtual AwsError ValidationError(const OperationModel& operation,
                                   const ValidationIssue& issue) const = 0;
  // Runs before the model check, for members the real service takes in forms
  // its model's patterns do not describe: rewrites them into a form the model
  // allows, or refuses them with the service's own error (e.g. CloudWatch Logs
  // takes log-group ARNs ending in ":*" as identifiers, and refuses them with
  // ValidationException as tagging ARNs). Throws AwsError. Default: nothing.
  virtual void BeforeValidation(const OperationModel& operation, nlohmann::json& input) const {
    (void)operation;
    (void)input;
  }
};

// One row of a service's operation table: the AWS operation name and the
// member function that serves it.
template <class Api>
struct OperationRow {
  std::string_view name;
  nlohmann::json (Api::*handler)(const nlohmann::json& input, const RequestContext& context);
};

// Finds `name` in a table sorted by name; nullptr when absent.
template <class Api, size_t N>
const OperationRow<Api>* FindOperationRow(const std::array<OperationRow<Api>, N>& table,
                                          std::string_view name) {
  const auto it =
      std::lower_bound(table.begin(), table.end(), name,
                       [](const auto& row, std::string_view n) { return row.name < n; });
  return it != table.end() && it->name == name ? &*it : nullptr;
}

// The wording AWS's request validation uses, in its two dialects:
//   Coral:  "1 validation error detected: Value 'x' at 'path' failed to satisfy
//            constraint: Member must ..."
//   ECR:    "Invalid parameter at 'path' failed to satisfy constraint: 'must ...'"
//           ("'Member must satisfy enum value set: [...]'" for enums)
std::string CoralValidationMessage(const ValidationIssue& issue);
std::string EcrValidationMessage(const ValidationIssue& issue);

}  // namespace berth::aws
