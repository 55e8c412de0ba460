#pragma once

// The fixture of the CloudWatch Logs API tests: ApiTest (the real dispatcher,
// with ECR and ECS) plus LogService and LogsApi on the same database, and
// helpers that send Logs_20140328.* requests and check every 200 reply
// against the botocore Logs model.

#include <string>
#include <vector>

#include "server/logs/log_service.h"
#include "server/logs/logs_api.h"
#include "tests/support/api_fixture.h"

namespace berth::testing {

class LogsApiTest : public ApiTest {
 protected:
  static constexpr const char* kLogsPrefix = "Logs_20140328.";
  static constexpr const char* kGroupArnPrefix = "arn:aws:logs:us-east-1:000000000000:log-group:";
  // The fixture clock's instant (1795000000.125 s) in milliseconds.
  static constexpr int64_t kNow = 1795000000125;
  static constexpr int64_t kMinute = 60'000;
  static constexpr int64_t kHour = 60 * kMinute;
  static constexpr int64_t kDay = 24 * kHour;

  LogsApiTest() { dispatcher_.Register(logs_api_); }

  ApiReply Logs(const std::string& operation, const nlohmann::json& input) {
    return Call(aws::model::LogsModel(), kLogsPrefix, operation, input);
  }

  // Expects success and returns the body.
  nlohmann::json LogsOk(const std::string& operation, const nlohmann::json& input) {
    const ApiReply r = Logs(operation, input);
    EXPECT_EQ(r.status, 200u) << operation << ": " << r.raw;
    return r.body;
  }

  void CreateGroup(const std::string& name, nlohmann::json extra = nlohmann::json::object()) {
    extra["logGroupName"] = name;
    LogsOk("CreateLogGroup", extra);
  }
  void CreateStream(const std::string& group, const std::string& stream) {
    LogsOk("CreateLogStream", {{"logGroupName", group}, {"logStreamName", stream}});
  }
  // Puts (timestamp, message) events; returns the reply.
  nlohmann::json Put(const std::string& group, const std::string& stream,
                     const std::vector<std::pair<int64_t, std::string>>& events) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [t, m] : events) list.push_back({{"timestamp", t}, {"message", m}});
    return LogsOk("PutLogEvents",
                  {{"logGroupName", group}, {"logStreamName", stream}, {"logEvents", list}});
  }

  // The messages of a GetLogEvents or FilterLogEvents reply.
  static std::vector<std::string> Messages(const nlohmann::json& reply) {
    std::vector<std::string> out;
    for (const auto& e : reply.at("events")) out.push_back(e.at("message").get<std::string>());
    return out;
  }

  logs::LogService log_service_{database_, clock_};
  logs::LogsApi logs_api_{log_service_};
};

// Asserts a reply is the named AWS error with exactly this message.
#define EXPECT_LOGS_ERROR(reply_expr, type, text)                     \
  do {                                                                \
    const ::berth::testing::ApiReply berth_reply_ = (reply_expr);     \
    EXPECT_EQ(berth_reply_.status, 400u) << berth_reply_.raw;         \
    EXPECT_EQ(berth_reply_.error_type(), (type)) << berth_reply_.raw; \
    EXPECT_EQ(berth_reply_.message(), (text)) << berth_reply_.raw;    \
  } while (false)

}  // namespace berth::testing
