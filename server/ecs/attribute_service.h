#pragma once

// Custom attributes on ECS targets (container instances). Targets must exist
// in the cluster: each cluster's one container instance (see
// container_instance_service.h); any other target answers
// TargetNotFoundException, as ECS does.
//
// Thread-safety: every method may be called from any thread.

#include <optional>
#include <string>
#include <vector>

#include "server/aws/request_context.h"
#include "server/ecs/cluster_service.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecs {

class AttributeService {
 public:
  AttributeService(storage::Database& database, ClusterService& clusters)
      : database_(database), clusters_(clusters) {}

  std::vector<storage::AttributeRecord> Put(const aws::RequestContext& context,
                                            const std::optional<std::string>& cluster,
                                            std::vector<storage::AttributeRecord> attributes);
  std::vector<storage::AttributeRecord> Delete(const aws::RequestContext& context,
                                               const std::optional<std::string>& cluster,
                                               std::vector<storage::AttributeRecord> attributes);
  std::vector<storage::AttributeRecord> List(const aws::RequestContext& context,
                                             const std::optional<std::string>& cluster,
                                             const std::optional<std::string>& name,
                                             const std::optional<std::string>& value);

 private:
  // The container instance id a targetId (id or ARN) names in `cluster`;
  // TargetNotFoundException when there is none.
  std::string ResolveTarget(storage::Db& db, const aws::RequestContext& context,
                            const std::string& cluster, const std::string& target_id);
  storage::Database& database_;
  ClusterService& clusters_;
};

// Attribute names are 1-128 of letters, digits, '-', '_', '/', '.' starting
// with a letter or digit; values up to 128 printable characters.
void ValidateAttribute(const storage::AttributeRecord& attribute);

}  // namespace berth::ecs
