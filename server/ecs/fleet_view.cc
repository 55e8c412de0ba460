#include "server/ecs/fleet_view.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "storage/container_instance_store.h"
#include "storage/ecs_settings_store.h"

namespace berth::ecs {
namespace {

using json = nlohmann::json;

// Builds the attribute columns: per name, one value id per instance.
class ColumnBuilder {
 public:
  explicit ColumnBuilder(size_t instances) : instances_(instances) {}

  void Set(const std::string& name, size_t instance, const std::string& value) {
    auto [found, fresh] = columns_.try_emplace(name);
    Building& column = found->second;
    if (fresh) {
      column.column.values = {std::string(), std::string()};  // 0: none, 1: ""
      column.column.of_instance.assign(instances_, 0);
      column.ids[""] = 1;
    }
    auto [id, added] = column.ids.try_emplace(value, column.column.values.size());
    if (added) column.column.values.push_back(value);
    column.column.of_instance[instance] = id->second;
  }

  std::map<std::string, FleetView::Column, std::less<>> Take() {
    std::map<std::string, FleetView::Column, std::less<>> out;
    for (auto& [name, building] : columns_) out.emplace(name, std::move(building.column));
    return out;
  }

 private:
  struct Building {
    FleetView::Column column;
    std::unordered_map<std::string, uint32_t> ids;
  };
  size_t instances_;
  std::map<std::string, Building> columns_;
};

}  // namespace

FleetView::FleetView(storage::Db& db, const aws::RequestContext& context,
                     const std::string& cluster) {
  const storage::Partition partition{context.account_id, context.region};
  std::vector<storage::ContainerInstanceRecord> records;
  for (auto& record : storage::ContainerInstanceStore(db, partition).List(cluster, 0)) {
    if (record.status == "ACTIVE") records.push_back(std::move(record));
  }
  instances_.reserve(records.size());
  std::unordered_map<std::string, size_t> by_id;
  ColumnBuilder columns(records.size());
  for (const auto& record : records) {
    const json registered = json::parse(record.document);
    const size_t index = instances_.size();
    Instance instance;
    instance.arn = ContainerInstanceArn(context, cluster, record.instance_id);
    instance.ec2_instance_id = registered.value("ec2InstanceId", "");
    instance.resources = RegisteredResourcesOf(registered);
    instance.agent_connected = registered.value("agentConnected", true);
    for (const auto& a : registered.value("attributes", json::array())) {
      columns.Set(a.value("name", ""), index, a.value("value", ""));
    }
    by_arn_.emplace(instance.arn, index);
    by_id.emplace(record.instance_id, index);
    instances_.push_back(std::move(instance));
  }
  // Custom attributes replace registered ones of the same name.
  for (const auto& a : storage::EcsSettingsStore(db, partition).ListAttributes(cluster)) {
    const auto found = by_id.find(a.target_id);
    if (found != by_id.end()) columns.Set(a.name, found->second, a.value.value_or(""));
  }
  columns_ = columns.Take();
}

std::optional<size_t> FleetView::IndexOf(const std::string& arn) const {
  const auto found = by_arn_.find(arn);
  if (found == by_arn_.end()) return std::nullopt;
  return found->second;
}

const FleetView::Column* FleetView::ColumnOf(std::string_view name) const {
  const auto found = columns_.find(name);
  return found == columns_.end() ? nullptr : &found->second;
}

std::vector<bool> FleetView::Matching(const ClusterQuery& query) const {
  // Each comparison's column, looked up once.
  std::map<const ClusterQuery::Comparison*, const Column*> column_of;
  for (const auto& all_of : query.any_of()) {
    for (const auto& comparison : all_of) column_of[&comparison] = ColumnOf(comparison.name);
  }
  std::vector<bool> out(instances_.size());
  for (size_t i = 0; i < instances_.size(); ++i) {
    out[i] =
        query.Matches([&](const ClusterQuery::Comparison& c) -> std::optional<std::string_view> {
          if (c.subject == ClusterQuery::Comparison::Subject::kEc2InstanceId) {
            return instances_[i].ec2_instance_id;
          }
          const Column* column = column_of.at(&c);
          if (column == nullptr) return std::nullopt;
          return column->ValueOf(i);
        });
  }
  return out;
}

FleetViews& FleetViews::Shared() {
  static FleetViews* views = new FleetViews();  // never destroyed: used up to exit
  return *views;
}

std::shared_ptr<const FleetView> FleetViews::Get(storage::Db& db,
                                                 const aws::RequestContext& context,
                                                 const std::string& cluster) {
  // The stamp first: rows read after it are at least as new.
  const std::optional<int64_t> stamp =
      storage::ContainerInstanceStore(db, {context.account_id, context.region}).FleetStamp(cluster);
  Key key{&db, context.account_id, context.region, cluster};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = entries_.find(key);
    if (found != entries_.end() && found->second.view && found->second.stamp == stamp) {
      found->second.last_used = ++uses_;
      return found->second.view;
    }
  }
  auto view = std::make_shared<const FleetView>(db, context, cluster);
  std::lock_guard<std::mutex> lock(mutex_);
  ++builds_;
  Entry& entry = entries_[key];
  entry.stamp = stamp;
  entry.view = view;
  entry.last_used = ++uses_;
  while (entries_.size() > kMaxViews) {
    entries_.erase(std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; }));
  }
  return view;
}

int64_t FleetViews::builds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return builds_;
}

}  // namespace berth::ecs
