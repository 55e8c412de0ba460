#include "server/ecs/express_gateway_service.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <set>
#include <sys/socket.h>
#include <unistd.h>

#include "server/aws/arn.h"
#include "server/aws/json_params.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "server/ecs/ecs_tags.h"
#include "server/ecs/service_common.h"
#include "server/util/crypto.h"
#include "storage/ecs_document_store.h"

namespace berth::ecs {
namespace {

using nlohmann::json;
using storage::EcsDocumentStore;

// A TCP port nothing listens on now, as the kernel hands out for port 0
// on the loopback interface; 0 if none could be had.
int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  int port = 0;
  socklen_t length = sizeof(address);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  auto* generic = reinterpret_cast<sockaddr*>(&address);
  if (::bind(fd, generic, sizeof(address)) == 0 && ::getsockname(fd, generic, &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

struct ServiceKey {
  std::string cluster;
  std::string name;
  std::string Key() const { return cluster + "/" + name; }
};

ServiceKey ParseServiceArn(const aws::RequestContext& context, const std::string& text) {
  const auto arn = aws::Arn::Parse(text);
  if (arn && arn->service == "ecs" && arn->account_id == context.account_id &&
      arn->region == context.region && arn->resource.starts_with("service/")) {
    const std::string rest = arn->resource.substr(8);
    const size_t slash = rest.find('/');
    if (slash != std::string::npos && rest.find('/', slash + 1) == std::string::npos) {
      return {rest.substr(0, slash), rest.substr(slash + 1)};
    }
  }
  throw InvalidParameterException("Invalid service ARN: " + text);
}

// The configuration with every default ECS applies made explicit.
json ConfigurationOf(const json& request, const json& previous) {
  json config = previous.is_null() ? json::object() : previous;
  for (const char* key : {"executionRoleArn", "taskRoleArn", "healthCheckPath", "cpu", "memory",
                          "networkConfiguration", "primaryContainer", "scalingTarget"}) {
    if (request.contains(key)) config[key] = request.at(key);
  }
  if (!config.contains("healthCheckPath")) config["healthCheckPath"] = "/ping";
  if (!config.contains("cpu")) config["cpu"] = "256";
  if (!config.contains("memory")) config["memory"] = "512";
  json& container = config["primaryContainer"];
  if (!container.contains("containerPort")) container["containerPort"] = 80;
  if (container.contains("awsLogsConfiguration") &&
      !container["awsLogsConfiguration"].contains("logStreamPrefix")) {
    container["awsLogsConfiguration"]["logStreamPrefix"] = "ecs";
  }
  json scaling = config.value("scalingTarget", json::object());
  if (!scaling.contains("minTaskCount")) scaling["minTaskCount"] = 1;
  if (!scaling.contains("maxTaskCount")) scaling["maxTaskCount"] = scaling["minTaskCount"];
  if (!scaling.contains("autoScalingMetric")) scaling["autoScalingMetric"] = "AVERAGE_CPU";
  if (!scaling.contains("autoScalingTargetValue")) scaling["autoScalingTargetValue"] = 60;
  config["scalingTarget"] = scaling;
  return config;
}

// The task definition the service runs: the primary container, its port
// published on `host_port`.
json TaskDefinitionRequest(const aws::RequestContext& context, const std::string& family,
                           const json& config, int host_port) {
  const json& primary = config.at("primaryContainer");
  json container = {{"name", "Main"},
                    {"image", primary.at("image")},
                    {"essential", true},
                    {"portMappings",
                     {{{"containerPort", primary.at("containerPort")},
                       {"hostPort", host_port},
                       {"protocol", "tcp"}}}}};
  for (const char* key : {"command", "environment", "secrets", "repositoryCredentials"}) {
    if (primary.contains(key)) container[key] = primary.at(key);
  }
  if (primary.contains("awsLogsConfiguration")) {
    const json& logs = primary.at("awsLogsConfiguration");
    container["logConfiguration"] = {
        {"logDriver", "awslogs"},
        {"options",
         {{"awslogs-group", logs.value("logGroup", "/aws/ecs/default/" + family)},
          {"awslogs-region", context.region},
          {"awslogs-stream-prefix", logs.value("logStreamPrefix", "ecs")},
          {"awslogs-create-group", "true"}}}};
  }
  json td = {{"family", family},
             {"networkMode", "bridge"},
             {"cpu", config.at("cpu")},
             {"memory", config.at("memory")},
             {"containerDefinitions", {container}}};
  for (const char* key : {"executionRoleArn", "taskRoleArn"}) {
    if (config.contains(key)) td[key] = config.at(key);
  }
  return td;
}

// The revision ARN of the service's PRIMARY deployment.
std::string PrimaryRevisionArn(const json& service) {
  const json revisions = service.value("currentServiceRevisions", json::array());
  const json deployments = service.value("deployments", json::array());
  for (size_t i = 0; i < deployments.size() && i < revisions.size(); ++i) {
    if (deployments[i].value("status", "") == "PRIMARY") return revisions[i].value("arn", "");
  }
  return revisions.empty() ? "" : revisions[0].value("arn", "");
}

json StatusOf(const json& service) {
  const std::string status = service.value("status", "ACTIVE");
  return {{"statusCode", status == "DRAINING"   ? "DRAINING"
                         : status == "INACTIVE" ? "INACTIVE"
                                                : "ACTIVE"}};
}

// The configuration as activeConfigurations/targetConfiguration show it.
json ShownConfiguration(const json& stored, int port) {
  json config = stored;
  config["ingressPaths"] = {
      {{"accessType", "PUBLIC"}, {"endpoint", "http://127.0.0.1:" + std::to_string(port) + "/"}}};
  return config;
}

json ExpressJson(const json& express, const json& service, bool with_tags) {
  const int port = express.at("hostPort").get<int>();
  json out = {{"cluster", express.at("cluster")},
              {"serviceName", express.at("serviceName")},
              {"serviceArn", service.at("serviceArn")},
              {"infrastructureRoleArn", express.at("infrastructureRoleArn")},
              {"status", StatusOf(service)},
              {"activeConfigurations", json::array()},
              {"createdAt", express.at("createdAt")},
              {"updatedAt", express.at("updatedAt")}};
  if (service.contains("currentServiceDeployment")) {
    out["currentDeployment"] = service.at("currentServiceDeployment");
  }
  if (service.value("status", "") != "INACTIVE") {
    out["activeConfigurations"].push_back(ShownConfiguration(express.at("configuration"), port));
  }
  if (with_tags) out["tags"] = service.value("tags", json::array());
  return out;
}

}  // namespace

json ExpressGatewayService::Create(const aws::RequestContext& context, const json& request) {
  const std::string name =
      aws::OptionalString(request, "serviceName").value_or("express-" + crypto::RandomHex(8));
  if (!IsEcsName(name)) {
    throw InvalidParameterException(
        "Service name must be 1-255 characters: letters, numbers, hyphens and underscores.");
  }
  std::string cluster;
  if (const auto given = aws::OptionalString(request, "cluster")) {
    cluster = clusters_.EnsureActive(context, given);
  } else {
    // The default cluster, made if need be (as the console's Express flow).
    cluster = clusters_.Create(context, std::string(kDefaultCluster), {}, {}).name;
  }
  const json config = ConfigurationOf(request, nullptr);
  // A host port that no other Express service of Berth holds.
  std::set<int> taken;
  {
    auto lease = database_.Acquire();
    if (EcsDocumentStore(lease.db(), PartitionOf(context))
            .Find(EcsDocumentStore::kExpressService, cluster + "/" + name, "")) {
      throw InvalidParameterException("Creation of service was not idempotent.");
    }
    for (const auto& o :
         EcsDocumentStore::AllOfKind(lease.db(), EcsDocumentStore::kExpressService)) {
      taken.insert(json::parse(o.document).value("hostPort", 0));
    }
  }
  int port = 0;
  for (int attempt = 0; attempt < 20 && (port == 0 || taken.contains(port)); ++attempt) {
    port = FreeLoopbackPort();
  }
  if (port == 0) throw AwsError("ServerException", "No free host port for the service.", 500);
  const TaskDefinition td =
      task_definitions_.Register(context, TaskDefinitionRequest(context, name, config, port));
  json service_request = {
      {"cluster", cluster},
      {"serviceName", name},
      {"taskDefinition", td.document.at("taskDefinitionArn")},
      {"desiredCount", 1},
      {"launchType", "EC2"},
      {"deploymentConfiguration", {{"minimumHealthyPercent", 0}, {"maximumPercent", 100}}},
      {"propagateTags", "SERVICE"}};
  if (request.contains("tags")) service_request["tags"] = request.at("tags");
  const json service = services_.CreateService(context, service_request);
  json stored_config = config;
  stored_config["serviceRevisionArn"] = PrimaryRevisionArn(service);
  stored_config["createdAt"] = context.now;
  const json express = {{"cluster", cluster},
                        {"serviceName", name},
                        {"infrastructureRoleArn", request.at("infrastructureRoleArn")},
                        {"hostPort", port},
                        {"configuration", stored_config},
                        {"createdAt", context.now},
                        {"updatedAt", context.now}};
  {
    auto lease = database_.Acquire();
    EcsDocumentStore(lease.db(), PartitionOf(context))
        .Put(EcsDocumentStore::kExpressService, cluster + "/" + name, "", context.now,
             express.dump());
  }
  json described = service;
  described["tags"] = request.value("tags", json::array());
  return {{"service", ExpressJson(express, described, request.contains("tags"))}};
}

json ExpressGatewayService::Describe(const aws::RequestContext& context,
                                     const std::string& service_arn, bool with_tags) {
  const ServiceKey key = ParseServiceArn(context, service_arn);
  std::optional<storage::EcsDocument> found;
  {
    auto lease = database_.Acquire();
    found = EcsDocumentStore(lease.db(), PartitionOf(context))
                .Find(EcsDocumentStore::kExpressService, key.Key(), "");
  }
  const auto described = services_.DescribeServices(context, key.cluster, {key.name}, with_tags);
  if (!found || described.services.empty()) {
    throw ResourceNotFoundException("The specified Express service does not exist.");
  }
  return {{"service",
           ExpressJson(json::parse(found->document), described.services.front(), with_tags)}};
}

json ExpressGatewayService::Update(const aws::RequestContext& context, const json& request) {
  const ServiceKey key = ParseServiceArn(context, aws::RequiredString(request, "serviceArn"));
  std::optional<storage::EcsDocument> found;
  {
    auto lease = database_.Acquire();
    found = EcsDocumentStore(lease.db(), PartitionOf(context))
                .Find(EcsDocumentStore::kExpressService, key.Key(), "");
  }
  const auto described = services_.DescribeServices(context, key.cluster, {key.name}, false);
  if (!found || described.services.empty()) throw ServiceNotFoundException();
  if (described.services.front().value("status", "") != "ACTIVE") {
    throw ServiceNotActiveException();
  }
  json express = json::parse(found->document);
  const int port = express.at("hostPort").get<int>();
  json config = ConfigurationOf(request, express.at("configuration"));
  config.erase("serviceRevisionArn");
  config.erase("createdAt");
  const TaskDefinition td =
      task_definitions_.Register(context, TaskDefinitionRequest(context, key.name, config, port));
  const json service =
      services_.UpdateService(context, {{"cluster", key.cluster},
                                        {"service", key.name},
                                        {"taskDefinition", td.document.at("taskDefinitionArn")}});
  config["serviceRevisionArn"] = PrimaryRevisionArn(service);
  config["createdAt"] = context.now;
  express["configuration"] = config;
  express["updatedAt"] = context.now;
  {
    auto lease = database_.Acquire();
    EcsDocumentStore(lease.db(), PartitionOf(context))
        .Put(EcsDocumentStore::kExpressService, key.Key(), "", found->created_at, express.dump());
  }
  return {{"service",
           {{"serviceArn", service.at("serviceArn")},
            {"cluster", key.cluster},
            {"serviceName", key.name},
            {"status", StatusOf(service)},
            {"targetConfiguration", ShownConfiguration(config, port)},
            {"createdAt", express.at("createdAt")},
            {"updatedAt", context.now}}}};
}

json ExpressGatewayService::Delete(const aws::RequestContext& context,
                                   const std::string& service_arn) {
  const ServiceKey key = ParseServiceArn(context, service_arn);
  std::optional<storage::EcsDocument> found;
  {
    auto lease = database_.Acquire();
    found = EcsDocumentStore(lease.db(), PartitionOf(context))
                .Find(EcsDocumentStore::kExpressService, key.Key(), "");
  }
  if (!found) throw ServiceNotFoundException();
  const auto described = services_.DescribeServices(context, key.cluster, {key.name}, false);
  if (described.services.empty()) throw ServiceNotFoundException();
  if (described.services.front().value("status", "") != "ACTIVE") {
    throw ServiceNotActiveException();
  }
  const json service = services_.DeleteService(context, key.cluster, key.name, true);
  json express = json::parse(found->document);
  express["updatedAt"] = context.now;
  {
    auto lease = database_.Acquire();
    EcsDocumentStore(lease.db(), PartitionOf(context))
        .Put(EcsDocumentStore::kExpressService, key.Key(), "", found->created_at, express.dump());
  }
  return {{"service", ExpressJson(express, service, false)}};
}

std::vector<std::string> ExpressGatewayService::ListServiceArns(
    const aws::RequestContext& context, const std::optional<std::string>& cluster) {
  const std::string name = clusters_.EnsureActive(context, cluster);
  std::vector<storage::EcsDocument> found;
  {
    auto lease = database_.Acquire();
    found = EcsDocumentStore(lease.db(), PartitionOf(context))
                .List(EcsDocumentStore::kExpressService, std::nullopt, name + "/");
  }
  std::vector<std::string> names;
  for (const auto& o : found) names.push_back(json::parse(o.document).at("serviceName"));
  std::vector<std::string> arns;
  if (names.empty()) return arns;
  for (const auto& service : services_.DescribeServices(context, name, names, false).services) {
    if (service.value("status", "") == "ACTIVE") arns.push_back(service.at("serviceArn"));
  }
  return arns;
}

}  // namespace berth::ecs
