#pragma once

// User capacity providers (Auto Scaling group providers): created, updated,
// deleted and described with ECS's rules. They have no local meaning beyond
// being stored: a task placed through one runs on the cluster's container
// instances (see ChoosePlacement). FARGATE and FARGATE_SPOT are built in.
//
// Thread-safety: every method may be called from any thread.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "storage/database.h"

namespace berth::ecs {

struct DescribeCapacityProvidersResult {
  std::vector<nlohmann::json> providers;  // CapacityProvider shapes, built in ones first
  std::vector<std::string> missing;       // ARNs to report
};

class CapacityProviderService {
 public:
  explicit CapacityProviderService(storage::Database& database) : database_(database) {}

  // `request` is a CreateCapacityProviderRequest checked against the model.
  // Throws ClientException (invalid or reserved name, already exists),
  // InvalidParameterException.
  nlohmann::json Create(const aws::RequestContext& context, const nlohmann::json& request);
  // Merges an AutoScalingGroupProviderUpdate. Throws ClientException when
  // the provider does not exist.
  nlohmann::json Update(const aws::RequestContext& context, const nlohmann::json& request);
  // Makes the provider INACTIVE; fails while a cluster has it associated
  // (and so while any service or task strategy can use it).
  nlohmann::json Delete(const aws::RequestContext& context, const std::string& identifier);
  // The named providers (names or ARNs), or every ACTIVE one when `names`
  // is empty and `all`.
  DescribeCapacityProvidersResult Describe(const aws::RequestContext& context,
                                           const std::vector<std::string>& names, bool all,
                                           bool with_tags);

 private:
  storage::Database& database_;
};

// The names of the partition's ACTIVE user capacity providers.
std::set<std::string> ActiveUserCapacityProviders(storage::Db& db,
                                                  const aws::RequestContext& context);

// The provider name an identifier (name, or capacity-provider ARN of this
// partition, region and account) names; nullopt for an ARN of anything else.
std::optional<std::string> CapacityProviderNameFrom(const aws::RequestContext& context,
                                                    const std::string& identifier);

}  // namespace berth::ecs
