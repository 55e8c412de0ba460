#include "server/ecs/ecs_api.h"

#include <charconv>

#include "server/aws/json_params.h"
#include "server/aws/pagination.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"

namespace berth::ecs {
namespace {

using aws::Has;
using aws::OptionalString;
using aws::RequiredString;
using nlohmann::json;
using Context = aws::RequestContext;

constexpr int64_t kClusterPageSize = 100;

}  // namespace

const std::array<aws::OperationRow<EcsApi>, 77> EcsApi::kOperations = {{
    {"ContinueServiceDeployment", &EcsApi::ContinueServiceDeployment},
    {"CreateCapacityProvider", &EcsApi::CreateCapacityProvider},
    {"CreateCluster", &EcsApi::CreateCluster},
    {"CreateDaemon", &EcsApi::CreateDaemon},
    {"CreateExpressGatewayService", &EcsApi::CreateExpressGatewayService},
    {"CreateService", &EcsApi::CreateService},
    {"CreateTaskSet", &EcsApi::CreateTaskSet},
    {"DeleteAccountSetting", &EcsApi::DeleteAccountSetting},
    {"DeleteAttributes", &EcsApi::DeleteAttributes},
    {"DeleteCapacityProvider", &EcsApi::DeleteCapacityProvider},
    {"DeleteCluster", &EcsApi::DeleteCluster},
    {"DeleteDaemon", &EcsApi::DeleteDaemon},
    {"DeleteDaemonTaskDefinition", &EcsApi::DeleteDaemonTaskDefinition},
    {"DeleteExpressGatewayService", &EcsApi::DeleteExpressGatewayService},
    {"DeleteService", &EcsApi::DeleteService},
    {"DeleteTaskDefinitions", &EcsApi::DeleteTaskDefinitions},
    {"DeleteTaskSet", &EcsApi::DeleteTaskSet},
    {"DeregisterContainerInstance", &EcsApi::DeregisterContainerInstance},
    {"DeregisterTaskDefinition", &EcsApi::DeregisterTaskDefinition},
    {"DescribeCapacityProviders", &EcsApi::DescribeCapacityProviders},
    {"DescribeClusters", &EcsApi::DescribeClusters},
    {"DescribeContainerInstances", &EcsApi::DescribeContainerInstances},
    {"DescribeDaemon", &EcsApi::DescribeDaemon},
    {"DescribeDaemonDeployments", &EcsApi::DescribeDaemonDeployments},
    {"DescribeDaemonRevisions", &EcsApi::DescribeDaemonRevisions},
    {"DescribeDaemonTaskDefinition", &EcsApi::DescribeDaemonTaskDefinition},
    {"DescribeExpressGatewayService", &EcsApi::DescribeExpressGatewayService},
    {"DescribeServiceDeployments", &EcsApi::DescribeServiceDeployments},
    {"DescribeServiceRevisions", &EcsApi::DescribeServiceRevisions},
    {"DescribeServices", &EcsApi::DescribeServices},
    {"DescribeTaskDefinition", &EcsApi::DescribeTaskDefinition},
    {"DescribeTaskSets", &EcsApi::DescribeTaskSets},
    {"DescribeTasks", &EcsApi::DescribeTasks},
    {"DiscoverPollEndpoint", &EcsApi::DiscoverPollEndpoint},
    {"ExecuteCommand", &EcsApi::ExecuteCommand},
    {"GetTaskProtection", &EcsApi::GetTaskProtection},
    {"ListAccountSettings", &EcsApi::ListAccountSettings},
    {"ListAttributes", &EcsApi::ListAttributes},
    {"ListClusters", &EcsApi::ListClusters},
    {"ListContainerInstances", &EcsApi::ListContainerInstances},
    {"ListDaemonDeployments", &EcsApi::ListDaemonDeployments},
    {"ListDaemonTaskDefinitions", &EcsApi::ListDaemonTaskDefinitions},
    {"ListDaemons", &EcsApi::ListDaemons},
    {"ListServiceDeployments", &EcsApi::ListServiceDeployments},
    {"ListServices", &EcsApi::ListServices},
    {"ListServicesByNamespace", &EcsApi::ListServicesByNamespace},
    {"ListTagsForResource", &EcsApi::ListTagsForResource},
    {"ListTaskDefinitionFamilies", &EcsApi::ListTaskDefinitionFamilies},
    {"ListTaskDefinitions", &EcsApi::ListTaskDefinitions},
    {"ListTasks", &EcsApi::ListTasks},
    {"PutAccountSetting", &EcsApi::PutAccountSetting},
    {"PutAccountSettingDefault", &EcsApi::PutAccountSettingDefault},
    {"PutAttributes", &EcsApi::PutAttributes},
    {"PutClusterCapacityProviders", &EcsApi::PutClusterCapacityProviders},
    {"RegisterContainerInstance", &EcsApi::RegisterContainerInstance},
    {"RegisterDaemonTaskDefinition", &EcsApi::RegisterDaemonTaskDefinition},
    {"RegisterTaskDefinition", &EcsApi::RegisterTaskDefinition},
    {"RunTask", &EcsApi::RunTask},
    {"StartTask", &EcsApi::StartTask},
    {"StopServiceDeployment", &EcsApi::StopServiceDeployment},
    {"StopTask", &EcsApi::StopTask},
    {"SubmitAttachmentStateChanges", &EcsApi::SubmitAttachmentStateChanges},
    {"SubmitContainerStateChange", &EcsApi::SubmitContainerStateChange},
    {"SubmitTaskStateChange", &EcsApi::SubmitTaskStateChange},
    {"TagResource", &EcsApi::TagResource},
    {"UntagResource", &EcsApi::UntagResource},
    {"UpdateCapacityProvider", &EcsApi::UpdateCapacityProvider},
    {"UpdateCluster", &EcsApi::UpdateCluster},
    {"UpdateClusterSettings", &EcsApi::UpdateClusterSettings},
    {"UpdateContainerAgent", &EcsApi::UpdateContainerAgent},
    {"UpdateContainerInstancesState", &EcsApi::UpdateContainerInstancesState},
    {"UpdateDaemon", &EcsApi::UpdateDaemon},
    {"UpdateExpressGatewayService", &EcsApi::UpdateExpressGatewayService},
    {"UpdateService", &EcsApi::UpdateService},
    {"UpdateServicePrimaryTaskSet", &EcsApi::UpdateServicePrimaryTaskSet},
    {"UpdateTaskProtection", &EcsApi::UpdateTaskProtection},
    {"UpdateTaskSet", &EcsApi::UpdateTaskSet},
}};

const aws::ServiceModel& EcsApi::Model() const { return aws::model::EcsModel(); }

bool EcsApi::Implements(std::string_view operation) const {
  return aws::FindOperationRow(kOperations, operation) != nullptr;
}

std::vector<std::string_view> EcsApi::OperationNames() {
  std::vector<std::string_view> names;
  for (const auto& row : kOperations) names.push_back(row.name);
  return names;
}

json EcsApi::Invoke(std::string_view operation, const json& input, const Context& context) {
  const auto* row = aws::FindOperationRow(kOperations, operation);
  return (this->*(row->handler))(input, context);
}

aws::AwsError EcsApi::ValidationError(const aws::OperationModel& operation,
                                      const aws::ValidationIssue& issue) const {
  (void)operation;
  return InvalidParameterException(aws::CoralValidationMessage(issue));
}

namespace {

enum Include : unsigned {
  kIncludeNone = 0,
  kIncludeAttachments = 1,
  kIncludeConfigurations = 2,
  kIncludeSettings = 4,
  kIncludeStatistics = 8,
  kIncludeTags = 16,
  kIncludeAll = 31,
};

unsigned ReadInclude(const json& in) {
  unsigned include = kIncludeNone;
  for (const auto& field : aws::StringList(in, "include")) {
    if (field == "ATTACHMENTS") include |= kIncludeAttachments;
    if (field == "CONFIGURATIONS") include |= kIncludeConfigurations;
    if (field == "SETTINGS") include |= kIncludeSettings;
    if (field == "STATISTICS") include |= kIncludeStatistics;
    if (field == "TAGS") include |= kIncludeTags;
  }
  return include;
}

json Statistic(const char* name, int64_t value) {
  return {{"name", name}, {"value", std::to_string(value)}};
}

json ClusterJson(const Context& context, const Cluster& c, unsigned include) {
  json out = {
      {"clusterArn", ClusterArn(context, c.name)},
      {"clusterName", c.name},
      {"status", c.status},
      {"registeredContainerInstancesCount", c.registered_instances},
      {"runningTasksCount", c.running_tasks},
      {"pendingTasksCount", c.pending_tasks},
      {"activeServicesCount", c.active_services},
      {"statistics", json::array()},
      {"tags", (include & kIncludeTags) != 0 ? EcsTagsJson(c.tags) : json::array()},
      {"settings", (include & kIncludeSettings) != 0 ? c.document.at("settings") : json::array()},
      {"capacityProviders", c.document.at("capacityProviders")},
      {"defaultCapacityProviderStrategy", c.document.at("defaultCapacityProviderStrategy")},
  };
  if ((include & kIncludeStatistics) != 0) {
    // Berth runs every task locally; the Fargate/EC2 split follows launch types.
    out["statistics"] = json::array({
        Statistic("runningEC2TasksCount", c.tasks.running_ec2),
        Statistic("runningFargateTasksCount", c.tasks.running_fargate),
        Statistic("pendingEC2TasksCount", c.tasks.pending_ec2),
        Statistic("pendingFargateTasksCount", c.tasks.pending_fargate),
        Statistic("activeEC2ServiceCount", c.services.active_ec2),
        Statistic("activeFargateServiceCount", c.services.active_fargate),
        Statistic("drainingEC2ServiceCount", c.services.draining_ec2),
        Statistic("drainingFargateServiceCount", c.services.draining_fargate),
    });
  }
  if ((include & kIncludeConfigurations) != 0 && c.document.contains("configuration")) {
    out["configuration"] = c.document.at("configuration");
  }
  if ((include & kIncludeAttachments) != 0) out["attachments"] = json::array();
  if (c.document.contains("serviceConnectDefaults")) {
    out["serviceConnectDefaults"] = c.document.at("serviceConnectDefaults");
  }
  return out;
}

ClusterChanges ReadClusterChanges(const json& in) {
  ClusterChanges changes;
  if (Has(in, "settings")) changes.settings = in.at("settings");
  if (Has(in, "configuration")) changes.configuration = in.at("configuration");
  if (Has(in, "capacityProviders")) changes.capacity_providers = in.at("capacityProviders");
  if (Has(in, "defaultCapacityProviderStrategy")) {
    changes.default_strategy = in.at("defaultCapacityProviderStrategy");
  }
  if (Has(in, "serviceConnectDefaults")) {
    changes.service_connect_defaults =
        json::object({{"namespace", in.at("serviceConnectDefaults").at("namespace")}});
  }
  return changes;
}

}  // namespace

json EcsApi::CreateCluster(const json& in, const Context& context) {
  const std::string name = OptionalString(in, "clusterName").value_or(std::string(kDefaultCluster));
  Cluster cluster =
      services_.clusters.Create(context, name, ReadClusterChanges(in), ReadEcsTags(in));
  if (services_.register_local_instance) {
    // As an ECS agent on the local host configured with this cluster.
    services_.container_instances.RegisterLocal(context, name);
  }
  for (const auto& endpoint : services_.engines) {
    services_.container_instances.RegisterEngine(context, name, endpoint);
  }
  if (services_.register_local_instance || !services_.engines.empty()) {
    std::vector<std::string> missing;
    cluster = services_.clusters.Describe(context, {name}, missing).at(0);
  }
  return {{"cluster", ClusterJson(context, cluster,
                                  kIncludeTags | kIncludeSettings | kIncludeConfigurations)}};
}

json EcsApi::DescribeClusters(const json& in, const Context& context) {
  std::vector<std::string> identifiers = aws::StringList(in, "clusters");
  // No clusters (or an empty list): the default cluster is assumed.
  if (identifiers.empty()) identifiers.emplace_back(kDefaultCluster);
  if (identifiers.size() > 100) {
    throw InvalidParameterException("clusters can have at most 100 items.");
  }
  std::vector<std::string> missing;
  const auto clusters = services_.clusters.Describe(context, identifiers, missing);
  const unsigned include = ReadInclude(in);
  json out = {{"clusters", json::array()}, {"failures", json::array()}};
  for (const auto& cluster : clusters)
    out["clusters"].push_back(ClusterJson(context, cluster, include));
  for (const auto& arn : missing) out["failures"].push_back({{"arn", arn}, {"reason", "MISSING"}});
  return out;
}

json EcsApi::ListClusters(const json& in, const Context& context) {
  const int64_t max = aws::OptionalInt(in, "maxResults").value_or(kClusterPageSize);
  if (max < 1 || max > 100) {
    throw InvalidParameterException("maxResults must be between 1 and 100.");
  }
  std::string next;
  json out = {
      {"clusterArns", services_.clusters.List(context, OptionalString(in, "nextToken").value_or(""),
                                              static_cast<size_t>(max), next)}};
  if (!next.empty()) out["nextToken"] = next;
  return out;
}

json EcsApi::DeleteCluster(const json& in, const Context& context) {
  const Cluster cluster = services_.clusters.Delete(context, RequiredString(in, "cluster"));
  return {{"cluster", ClusterJson(context, cluster, kIncludeSettings | kIncludeConfigurations)}};
}

json EcsApi::UpdateCluster(const json& in, const Context& context) {
  ClusterChanges changes = ReadClusterChanges(in);
  changes.capacity_providers.reset();
  changes.default_strategy.reset();
  const Cluster cluster =
      services_.clusters.Update(context, RequiredString(in, "cluster"), changes);
  return {{"cluster", ClusterJson(context, cluster, kIncludeSettings | kIncludeConfigurations)}};
}

json EcsApi::UpdateClusterSettings(const json& in, const Context& context) {
  ClusterChanges changes;
  changes.settings = in.at("settings");
  const Cluster cluster =
      services_.clusters.Update(context, RequiredString(in, "cluster"), changes);
  return {{"cluster", ClusterJson(context, cluster, kIncludeSettings | kIncludeConfigurations)}};
}

json EcsApi::PutClusterCapacityProviders(const json& in, const Context& context) {
  ClusterChanges changes;
  changes.capacity_providers = in.at("capacityProviders");
  changes.default_strategy = in.at("defaultCapacityProviderStrategy");
  const Cluster cluster =
      services_.clusters.Update(context, RequiredString(in, "cluster"), changes);
  return {{"cluster", ClusterJson(context, cluster, kIncludeSettings | kIncludeConfigurations)}};
}

namespace {

// The offset a page token resumes at: decimal digits only.
std::optional<size_t> ParseOffset(std::string_view text) {
  size_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || stop != end) return std::nullopt;
  return value;
}

}  // namespace

json EcsApi::DescribeCapacityProviders(const json& in, const Context& context) {
  if (Has(in, "cluster")) services_.clusters.EnsureActive(context, OptionalString(in, "cluster"));
  const bool with_tags = aws::StringList(in, "include") == std::vector<std::string>{"TAGS"};
  const auto described = services_.capacity_providers.Describe(
      context, aws::StringList(in, "capacityProviders"), !Has(in, "capacityProviders"), with_tags);
  json failures = json::array();
  for (const auto& arn : described.missing) {
    failures.push_back({{"arn", arn}, {"reason", "MISSING"}});
  }
  const auto& providers = described.providers;
  // Pages of maxResults providers (the failures come with the first page).
  const int64_t max = aws::OptionalInt(in, "maxResults").value_or(10);
  if (max < 1 || max > 10) throw InvalidParameterException("maxResults must be between 1 and 10.");
  size_t start = 0;
  if (const auto token = OptionalString(in, "nextToken")) {
    const auto key = aws::DecodePageToken("ecs.capacity-providers", *token);
    const auto offset = key ? ParseOffset(*key) : std::nullopt;
    if (!offset || *offset > providers.size())
      throw InvalidParameterException("Invalid nextToken.");
    start = *offset;
    failures = json::array();
  }
  const size_t end = std::min(providers.size(), start + static_cast<size_t>(max));
  json page = json::array();
  for (size_t i = start; i < end; ++i) page.push_back(providers[i]);
  json out = {{"capacityProviders", page}, {"failures", failures}};
  if (end < providers.size()) {
    out["nextToken"] = aws::EncodePageToken("ecs.capacity-providers", std::to_string(end));
  }
  return out;
}

namespace {

json SettingJson(const AccountSetting& s) {
  return {
      {"name", s.name}, {"value", s.value}, {"principalArn", s.principal_arn}, {"type", s.type}};
}

}  // namespace

json EcsApi::PutAccountSetting(const json& in, const Context& context) {
  return {{"setting", SettingJson(services_.settings.Put(context, RequiredString(in, "name"),
                                                         RequiredString(in, "value"),
                                                         OptionalString(in, "principalArn")))}};
}

json EcsApi::PutAccountSettingDefault(const json& in, const Context& context) {
  return {{"setting", SettingJson(services_.settings.PutDefault(context, RequiredString(in, "name"),
                                                                RequiredString(in, "value")))}};
}

json EcsApi::DeleteAccountSetting(const json& in, const Context& context) {
  return {{"setting", SettingJson(services_.settings.Delete(context, RequiredString(in, "name"),
                                                            OptionalString(in, "principalArn")))}};
}

json EcsApi::ListAccountSettings(const json& in, const Context& context) {
  const int64_t max = aws::OptionalInt(in, "maxResults").value_or(10);
  if (max < 1 || max > 10) throw InvalidParameterException("maxResults must be between 1 and 10.");
  const auto settings =
      services_.settings.List(context, OptionalString(in, "name"), OptionalString(in, "value"),
                              OptionalString(in, "principalArn"),
                              aws::OptionalBool(in, "effectiveSettings").value_or(false));
  // Pages are offsets into the (small, fixed-order) list of setting names.
  size_t start = 0;
  if (const auto token = OptionalString(in, "nextToken")) {
    const auto key = aws::DecodePageToken("ecs.settings", *token);
    const auto offset = key ? ParseOffset(*key) : std::nullopt;
    if (!offset) throw InvalidParameterException("Invalid nextToken.");
    start = std::min(*offset, settings.size());  // the list may have shrunk since
  }
  json out = {{"settings", json::array()}};
  const size_t end = std::min(settings.size(), start + static_cast<size_t>(max));
  for (size_t i = start; i < end; ++i) out["settings"].push_back(SettingJson(settings[i]));
  if (end < settings.size())
    out["nextToken"] = aws::EncodePageToken("ecs.settings", std::to_string(end));
  return out;
}

namespace {

std::vector<storage::AttributeRecord> ReadAttributes(const json& in) {
  std::vector<storage::AttributeRecord> out;
  for (const auto& a : in.at("attributes")) {
    storage::AttributeRecord record;
    record.name = a.at("name").get<std::string>();
    record.value = OptionalString(a, "value");
    record.target_type = OptionalString(a, "targetType").value_or("container-instance");
    record.target_id = OptionalString(a, "targetId").value_or("");
    out.push_back(std::move(record));
  }
  return out;
}

// Targets are reported by ARN, as ECS does.
json AttributesJson(const Context& context,
                    const std::vector<storage::AttributeRecord>& attributes) {
  json list = json::array();
  for (const auto& a : attributes) {
    json item = {{"name", a.name},
                 {"targetType", a.target_type},
                 {"targetId", ContainerInstanceArn(context, a.cluster, a.target_id)}};
    if (a.value) item["value"] = *a.value;
    list.push_back(std::move(item));
  }
  return list;
}

}  // namespace

json EcsApi::PutAttributes(const json& in, const Context& context) {
  return {{"attributes",
           AttributesJson(context, services_.attributes.Put(context, OptionalString(in, "cluster"),
                                                            ReadAttributes(in)))}};
}

json EcsApi::DeleteAttributes(const json& in, const Context& context) {
  return {{"attributes", AttributesJson(context, services_.attributes.Delete(
                                                     context, OptionalString(in, "cluster"),
                                                     ReadAttributes(in)))}};
}

json EcsApi::ListAttributes(const json& in, const Context& context) {
  return {{"attributes", AttributesJson(context, services_.attributes.List(
                                                     context, OptionalString(in, "cluster"),
                                                     OptionalString(in, "attributeName"),
                                                     OptionalString(in, "attributeValue")))}};
}

json EcsApi::ListTagsForResource(const json& in, const Context& context) {
  return {{"tags", EcsTagsJson(services_.tags.List(context, RequiredString(in, "resourceArn")))}};
}

json EcsApi::TagResource(const json& in, const Context& context) {
  services_.tags.Tag(context, RequiredString(in, "resourceArn"), ReadEcsTags(in));
  return json::object();
}

json EcsApi::UntagResource(const json& in, const Context& context) {
  services_.tags.Untag(context, RequiredString(in, "resourceArn"), aws::StringList(in, "tagKeys"));
  return json::object();
}

}  // namespace berth::ecs
