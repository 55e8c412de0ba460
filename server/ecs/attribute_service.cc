#include "server/ecs/attribute_service.h"

#include <cctype>

#include "server/ecs/container_instance_service.h"
#include "server/ecs/ecs_errors.h"
#include "storage/cluster_store.h"
#include "storage/container_instance_store.h"
#include "storage/ecs_settings_store.h"

namespace berth::ecs {
namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '/' ||
         c == '.';
}

// ECS's rule for attribute values (the model's documentation).
bool IsAttributeValue(std::string_view v) {
  if (v.empty() || v.size() > 128 || v.front() == ' ' || v.back() == ' ') return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("-_.@/\\: ").find(c) != std::string_view::npos;
  });
}

}  // namespace

void ValidateAttribute(const storage::AttributeRecord& a) {
  const bool name_ok = !a.name.empty() && a.name.size() <= 128 &&
                       std::isalnum(static_cast<unsigned char>(a.name[0])) != 0 &&
                       std::all_of(a.name.begin(), a.name.end(), IsNameChar);
  if (!name_ok) {
    throw InvalidParameterException("Attribute name " + a.name +
                                    " is invalid. Names can be up to 128 letters, numbers, "
                                    "hyphens, underscores, forward slashes and periods.");
  }
  if (a.value && !IsAttributeValue(*a.value)) {
    throw InvalidParameterException(
        "Attribute value for " + a.name +
        " is invalid. Values can be 1-128 letters, numbers, hyphens, underscores, periods, at "
        "signs, slashes, back slashes, colons and spaces, not starting or ending with a space.");
  }
  if (a.target_type != "container-instance") {
    throw InvalidParameterException("targetType must be container-instance.");
  }
}

std::string AttributeService::ResolveTarget(storage::Db& db, const aws::RequestContext& context,
                                            const std::string& cluster,
                                            const std::string& target_id) {
  if (target_id.empty()) throw InvalidParameterException("targetId must be specified.");
  if (auto record = ResolveContainerInstance(db, context, cluster, target_id);
      record && record->status != "INACTIVE") {
    return record->instance_id;
  }
  throw TargetNotFoundException("Could not find " + target_id + ".");
}

std::vector<storage::AttributeRecord> AttributeService::Put(
    const aws::RequestContext& context, const std::optional<std::string>& cluster,
    std::vector<storage::AttributeRecord> attributes) {
  if (attributes.empty()) throw InvalidParameterException("Attributes cannot be empty.");
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const std::string name = clusters_.RequireActive(lease.db(), context, cluster);
  storage::EcsSettingsStore store(lease.db(), {context.account_id, context.region});
  for (auto& attribute : attributes) {
    attribute.target_type =
        attribute.target_type.empty() ? "container-instance" : attribute.target_type;
    ValidateAttribute(attribute);
    attribute.target_id = ResolveTarget(lease.db(), context, name, attribute.target_id);
    attribute.cluster = name;
    store.PutAttribute(attribute);
  }
  tx.Commit();
  return attributes;
}

std::vector<storage::AttributeRecord> AttributeService::Delete(
    const aws::RequestContext& context, const std::optional<std::string>& cluster,
    std::vector<storage::AttributeRecord> attributes) {
  if (attributes.empty()) throw InvalidParameterException("Attributes cannot be empty.");
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  const std::string name = clusters_.RequireActive(lease.db(), context, cluster);
  storage::EcsSettingsStore store(lease.db(), {context.account_id, context.region});
  for (auto& attribute : attributes) {
    attribute.target_id = ResolveTarget(lease.db(), context, name, attribute.target_id);
    attribute.cluster = name;
    store.DeleteAttribute(name, attribute.target_id, attribute.name);
  }
  tx.Commit();
  return attributes;
}

std::vector<storage::AttributeRecord> AttributeService::List(
    const aws::RequestContext& context, const std::optional<std::string>& cluster,
    const std::optional<std::string>& name, const std::optional<std::string>& value) {
  if (value && !name) {
    throw InvalidParameterException("attributeName must be specified with attributeValue.");
  }
  auto lease = database_.Acquire();
  const std::string cluster_name = clusters_.RequireActive(lease.db(), context, cluster);
  const storage::Partition partition{context.account_id, context.region};
  // Each registered instance's attributes (as it registered them), then the
  // custom ones.
  std::vector<storage::AttributeRecord> all;
  for (const auto& instance :
       storage::ContainerInstanceStore(lease.db(), partition).List(cluster_name, 0)) {
    if (instance.status == "INACTIVE") continue;
    for (const auto& a :
         nlohmann::json::parse(instance.document).value("attributes", nlohmann::json::array())) {
      std::optional<std::string> v;
      if (a.contains("value")) v = a.at("value").get<std::string>();
      all.push_back({cluster_name, "container-instance", instance.instance_id,
                     a.at("name").get<std::string>(), v});
    }
  }
  for (auto& a : storage::EcsSettingsStore(lease.db(), partition).ListAttributes(cluster_name)) {
    all.push_back(std::move(a));
  }
  std::vector<storage::AttributeRecord> out;
  for (auto& a : all) {
    if (name && a.name != *name) continue;
    if (value && a.value != *value) continue;
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace berth::ecs
