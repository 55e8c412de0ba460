#pragma once

// The CloudWatch Logs JSON API (target prefix Logs_20140328): one member
// function per emulated operation, named after it. Each reads its
// (model-validated) input, calls LogService and shapes the reply as botocore's
// Logs model describes. AWS member names live here only. StartLiveTail answers
// with an event stream (OpenEventStream, a LiveTailSession); operations in
// neither get NotImplementedException from the dispatcher.
//
// Thread-safety: as LogService (any thread).

#include <array>
#include <memory>
#include <string_view>
#include <vector>

#include "server/aws/service_api.h"
#include "server/logs/log_service.h"

namespace berth::logs {

class LogsApi final : public aws::ServiceApi {
 public:
  explicit LogsApi(LogService& service) : service_(service) {}

  const aws::ServiceModel& Model() const override;
  std::string_view Name() const override { return "logs"; }
  bool Implements(std::string_view operation) const override;
  nlohmann::json Invoke(std::string_view operation, const nlohmann::json& input,
                        const aws::RequestContext& context) override;
  bool StreamsOutput(std::string_view operation) const override;
  std::unique_ptr<aws::EventSource> OpenEventStream(std::string_view operation,
                                                    const nlohmann::json& input,
                                                    const aws::RequestContext& context) override;
  aws::AwsError ValidationError(const aws::OperationModel& operation,
                                const aws::ValidationIssue& issue) const override;
  // Group identifiers may be ARNs ending in ":*" (the model's pattern has no
  // '*'): the suffix is dropped, except for StartLiveTail, which refuses it
  // (through the model's pattern). Tagging ARNs with it are refused as AWS
  // does (ValidationException "Invalid resourceArn").
  void BeforeValidation(const aws::OperationModel& operation, nlohmann::json& input) const override;

  // Operation names in table order, then StartLiveTail (for coverage
  // listings).
  static std::vector<std::string_view> OperationNames();

  using Json = nlohmann::json;
  using Context = aws::RequestContext;
  Json CreateLogGroup(const Json& in, const Context& context);
  Json CreateLogStream(const Json& in, const Context& context);
  Json DeleteLogGroup(const Json& in, const Context& context);
  Json DeleteLogStream(const Json& in, const Context& context);
  Json DeleteRetentionPolicy(const Json& in, const Context& context);
  Json DescribeLogGroups(const Json& in, const Context& context);
  Json DescribeLogStreams(const Json& in, const Context& context);
  Json FilterLogEvents(const Json& in, const Context& context);
  Json GetLogEvents(const Json& in, const Context& context);
  Json ListLogGroups(const Json& in, const Context& context);
  Json ListTagsForResource(const Json& in, const Context& context);
  Json ListTagsLogGroup(const Json& in, const Context& context);
  Json PutLogEvents(const Json& in, const Context& context);
  Json PutRetentionPolicy(const Json& in, const Context& context);
  Json TagLogGroup(const Json& in, const Context& context);
  Json TagResource(const Json& in, const Context& context);
  Json UntagLogGroup(const Json& in, const Context& context);
  Json UntagResource(const Json& in, const Context& context);

 private:
  static const std::array<aws::OperationRow<LogsApi>, 18> kOperations;
  LogService& service_;
};

}  // namespace berth::logs
