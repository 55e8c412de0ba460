#include "server/ecs/ecs_tags.h"

#include <charconv>
#include <set>

#include "server/aws/arn.h"
#include "server/ecs/container_instance_service.h"
#include "server/ecs/ecs_errors.h"
#include "storage/cluster_store.h"
#include "storage/container_instance_store.h"
#include "storage/service_store.h"
#include "storage/tag_store.h"
#include "storage/task_definition_store.h"
#include "storage/task_store.h"

namespace berth::ecs {

void ValidateTags(const std::vector<storage::Tag>& tags) {
  if (tags.size() > kMaxTags) {
    throw InvalidParameterException("The tags for this resource exceed the maximum of 50.");
  }
  std::set<std::string> keys;
  for (const auto& tag : tags) {
    if (tag.key.empty() || tag.key.size() > 128) {
      throw InvalidParameterException("Tag keys must be between 1 and 128 characters.");
    }
    if (tag.value.size() > 256) {
      throw InvalidParameterException("Tag values must be at most 256 characters.");
    }
    if (tag.key.starts_with("aws:")) {
      throw InvalidParameterException("Tag keys with the prefix 'aws:' are reserved for AWS use.");
    }
    if (!keys.insert(tag.key).second) {
      throw InvalidParameterException("Tag key '" + tag.key + "' is specified more than once.");
    }
  }
}

std::vector<storage::Tag> ReadEcsTags(const nlohmann::json& in, const char* member) {
  std::vector<storage::Tag> tags;
  if (!in.contains(member) || !in.at(member).is_array()) return tags;
  for (const auto& tag : in.at(member)) {
    tags.push_back({tag.value("key", ""), tag.value("value", "")});
  }
  return tags;
}

nlohmann::json EcsTagsJson(const std::vector<storage::Tag>& tags) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& tag : tags) list.push_back({{"key", tag.key}, {"value", tag.value}});
  return list;
}

void TagService::RequireResource(storage::Db& db, const aws::RequestContext& context,
                                 const std::string& arn) {
  const auto parsed = aws::Arn::Parse(arn);
  if (!parsed || parsed->service != "ecs") {
    throw InvalidParameterException("The ARN provided is invalid.");
  }
  const storage::Partition partition{parsed->account_id, parsed->region};
  // Tags are kept under the canonical ARN, so the partition must match too.
  if (parsed->account_id != context.account_id || parsed->region != context.region ||
      parsed->partition != aws::PartitionForRegion(context.region)) {
    throw InvalidParameterException("The ARN provided is invalid.");
  }
  const std::string& resource = parsed->resource;
  if (resource.starts_with("cluster/")) {
    const auto cluster = storage::ClusterStore(db, partition).Find(resource.substr(8));
    if (!cluster) throw ClusterNotFoundException();
    // As ECS answers cleanup tools that tag a cluster they listed.
    if (cluster->status != "ACTIVE") {
      throw InvalidParameterException(
          "The specified cluster is inactive. Specify an active cluster and try again.");
    }
    return;
  }
  if (resource.starts_with("capacity-provider/")) {
    const auto provider = storage::CapacityProviderStore(db, partition).Find(resource.substr(18));
    if (!provider || provider->status != "ACTIVE") {
      throw InvalidParameterException("The specified capacity provider does not exist.");
    }
    return;
  }
  if (resource.starts_with("task-definition/")) {
    const std::string_view ref = std::string_view(resource).substr(16);
    const auto colon = ref.rfind(':');
    int64_t revision = 0;
    if (colon != std::string_view::npos) {
      const auto digits = ref.substr(colon + 1);
      const auto [end, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), revision);
      // Only the canonical spelling: tags are kept under the ARN as given.
      if (ec != std::errc() || end != digits.data() + digits.size() ||
          digits != std::to_string(revision)) {
        revision = 0;
      }
    }
    if (revision <= 0 ||
        !storage::TaskDefinitionStore(db, partition).Find(ref.substr(0, colon), revision)) {
      throw InvalidParameterException("The specified task definition does not exist.");
    }
    return;
  }
  if (resource.starts_with("task/") || resource.starts_with("container-instance/")) {
    // <kind>/<cluster>/<id>
    const size_t slash = resource.find('/');
    const size_t second = resource.find('/', slash + 1);
    if (second == std::string::npos)
      throw InvalidParameterException("The ARN provided is invalid.");
    const std::string cluster_name = resource.substr(slash + 1, second - slash - 1);
    const std::string id = resource.substr(second + 1);
    const auto cluster = storage::ClusterStore(db, partition).Find(cluster_name);
    if (!cluster) throw ClusterNotFoundException();
    const bool found =
        resource.starts_with("task/")
            ? storage::TaskStore(db).Find(partition, cluster_name, id).has_value()
            : cluster->status == "ACTIVE" &&
                  ResolveContainerInstance(db, context, cluster_name, id).has_value();
    if (!found) {
      throw InvalidParameterException(resource.starts_with("task/")
                                          ? "The specified task does not exist."
                                          : "The specified container instance does not exist.");
    }
    return;
  }
  if (resource.starts_with("service/") || resource.starts_with("task-set/")) {
    // service/<cluster>/<name>, task-set/<cluster>/<service>/ecs-svc/<n>
    const bool task_set = resource.starts_with("task-set/");
    const std::string rest = resource.substr(task_set ? 9 : 8);
    const size_t slash = rest.find('/');
    if (slash == std::string::npos) throw InvalidParameterException("The ARN provided is invalid.");
    const std::string cluster_name = rest.substr(0, slash);
    std::string service = rest.substr(slash + 1);
    std::string set_id;
    if (task_set) {
      const size_t next = service.find('/');
      if (next == std::string::npos)
        throw InvalidParameterException("The ARN provided is invalid.");
      set_id = service.substr(next + 1);
      service.resize(next);
    }
    storage::ServiceStore services(db, partition);
    const auto found = services.Find(cluster_name, service);
    if (!found || found->status == "INACTIVE") {
      throw InvalidParameterException("The specified service does not exist.");
    }
    if (task_set) {
      const auto set = services.FindDeployment(cluster_name, service, set_id);
      if (!set || set->status == "INACTIVE") {
        throw InvalidParameterException("The specified task set does not exist.");
      }
    }
    return;
  }
  throw InvalidParameterException("The ARN provided is invalid.");
}

std::vector<storage::Tag> TagService::List(const aws::RequestContext& context,
                                           const std::string& arn) {
  auto lease = database_.Acquire();
  RequireResource(lease.db(), context, arn);
  return storage::TagStore(lease.db()).List(arn);
}

void TagService::Tag(const aws::RequestContext& context, const std::string& arn,
                     const std::vector<storage::Tag>& tags) {
  ValidateTags(tags);
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  RequireResource(lease.db(), context, arn);
  storage::TagStore store(lease.db());
  store.Put(arn, tags);
  if (store.Count(arn) > kMaxTags) {
    throw InvalidParameterException("The tags for this resource exceed the maximum of 50.");
  }
  tx.Commit();
}

void TagService::Untag(const aws::RequestContext& context, const std::string& arn,
                       const std::vector<std::string>& keys) {
  auto lease = database_.Acquire();
  RequireResource(lease.db(), context, arn);
  storage::TagStore(lease.db()).Remove(arn, keys);
}

}  // namespace berth::ecs
