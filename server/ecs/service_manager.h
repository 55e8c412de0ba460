#pragma once

// ECS services as the API sees them: CreateService, UpdateService,
// DeleteService, DescribeServices, ListServices and ListServicesByNamespace
// validate and record the desired state — the service, its deployments and
// their service deployments and revisions — and return at once, as ECS
// does. Nothing here starts or stops a task: the service scheduler
// (ServiceScheduler), run by the reconciler's loop, does that, woken
// through the waker.
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

struct DescribeServicesResult {
  std::vector<nlohmann::json> services;
  std::vector<nlohmann::json> failures;
};

// ListServices filters, as the API received them.
struct ListServicesQuery {
  std::optional<std::string> cluster;
  std::optional<std::string> launch_type;
  std::optional<std::string> scheduling_strategy;
  std::string token;
  size_t max_results = 10;
};

class ServiceManager {
 public:
  // INACTIVE services stay describable this long, then are purged.
  static constexpr double kInactiveRetentionSeconds = 60 * 60;

  explicit ServiceManager(storage::Database& database) : database_(database) {}

  // Called after every change of desired state (wakes the reconciler).
  void SetWaker(std::function<void()> waker) { waker_ = std::move(waker); }

  // `request` is a CreateServiceRequest checked against the model. Returns
  // the Service. Throws ClusterNotFoundException, ClientException,
  // InvalidParameterException, NamespaceNotFoundException.
  nlohmann::json CreateService(const aws::RequestContext& context, const nlohmann::json& request);
  // Throws ServiceNotFoundException, ServiceNotActiveException, and as above.
  nlohmann::json UpdateService(const aws::RequestContext& context, const nlohmann::json& request);
  // The service goes DRAINING (its tasks are stopped), then INACTIVE.
  nlohmann::json DeleteService(const aws::RequestContext& context,
                               const std::optional<std::string>& cluster,
                               const std::string& service, bool force);
  DescribeServicesResult DescribeServices(const aws::RequestContext& context,
                                          const std::optional<std::string>& cluster,
                                          const std::vector<std::string>& services,
                                          bool include_tags);
  // ARNs of one page of ACTIVE services; `next` is empty on the last page.
  std::vector<std::string> ListServices(const aws::RequestContext& context,
                                        const ListServicesQuery& query, std::string& next);
  std::vector<std::string> ListServicesByNamespace(const aws::RequestContext& context,
                                                   const std::string& service_namespace,
                                                   const std::string& token, size_t max_results,
                                                   std::string& next);

  // Removes services INACTIVE for longer than the retention.
  size_t PurgeInactive(double now);

 private:
  void Wake() const {
    if (waker_) waker_();
  }

  storage::Database& database_;
  std::function<void()> waker_;
};

}  // namespace berth::ecs
