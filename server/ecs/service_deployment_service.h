#pragma once

// Service deployments and revisions (the 2024 API): ListServiceDeployments,
// DescribeServiceDeployments, DescribeServiceRevisions, and the two calls
// that steer a deployment in progress, StopServiceDeployment (ROLLBACK: the
// scheduler puts the last successful revision back; ABORT: the deployment
// stops where it is) and ContinueServiceDeployment (a lifecycle hook
// waiting for action).
//
// Thread-safety: every method may be called from any thread.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "storage/database.h"

namespace berth::ecs {

struct ListServiceDeploymentsQuery {
  std::optional<std::string> cluster;
  std::string service;
  std::vector<std::string> statuses;
  std::optional<double> created_after;
  std::optional<double> created_before;
  std::string token;
  size_t max_results = 20;
};

struct DescribeResult {
  std::vector<nlohmann::json> items;
  std::vector<nlohmann::json> failures;
};

class ServiceDeploymentService {
 public:
  explicit ServiceDeploymentService(storage::Database& database) : database_(database) {}
  void SetWaker(std::function<void()> waker) { waker_ = std::move(waker); }

  // Briefs, newest first; `next` is empty on the last page.
  std::vector<nlohmann::json> List(const aws::RequestContext& context,
                                   const ListServiceDeploymentsQuery& query, std::string& next);
  DescribeResult DescribeDeployments(const aws::RequestContext& context,
                                     const std::vector<std::string>& arns);
  DescribeResult DescribeRevisions(const aws::RequestContext& context,
                                   const std::vector<std::string>& arns);
  // Returns the deployment's ARN. Throws ServiceDeploymentNotFoundException,
  // ConflictException (already finished).
  std::string Stop(const aws::RequestContext& context, const std::string& arn,
                   const std::string& stop_type);
  // Throws ServiceDeploymentNotFoundException, InvalidParameterException (no
  // hook of that id waits for action).
  std::string Continue(const aws::RequestContext& context, const std::string& arn,
                       const std::string& hook_id, const std::string& action);

 private:
  void Wake() const {
    if (waker_) waker_();
  }

  storage::Database& database_;
  std::function<void()> waker_;
};

}  // namespace berth::ecs
