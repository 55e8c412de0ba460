#include "server/metadata/task_metadata.h"

#include <algorithm>

#include "server/aws/arn.h"
#include "server/reconciler/awslogs.h"
#include "server/reconciler/container_spec.h"
#include "server/util/time_format.h"

namespace berth::metadata {
namespace {

using nlohmann::json;

constexpr const char* kNever = "0001-01-01T00:00:00Z";

// Epoch seconds in the document → RFC 3339, or "" when absent.
std::string Time(const json& doc, const char* key) {
  if (!doc.contains(key) || !doc.at(key).is_number()) return "";
  return FormatRfc3339(doc.at(key).get<double>());
}

void PutTime(json& out, const char* key, const json& doc, const char* from) {
  const std::string t = Time(doc, from);
  if (!t.empty()) out[key] = t;
}

// Docker's RFC 3339 time, unless it is Docker's "never".
void PutDockerTime(json& out, const char* key, const json& runtime, const char* from) {
  const std::string t = runtime.value(from, "");
  if (!t.empty() && !t.starts_with("0001-01-01")) out[key] = t;
}

// Member `key` of `doc` by reference (json::value() would copy), or an
// empty object.
const json& Member(const json& doc, const char* key) {
  static const json kEmpty = json::object();
  return doc.is_object() && doc.contains(key) ? doc.at(key) : kEmpty;
}

// The element of array `list` named `name`, or an empty object.
const json& Named(const json& list, const std::string& name) {
  static const json kEmpty = json::object();
  if (!list.is_array()) return kEmpty;
  for (const auto& item : list) {
    if (item.value("name", "") == name) return item;
  }
  return kEmpty;
}

const json& Definition(const TaskView& task, const std::string& name) {
  return Named(Member(task.task_definition, "containerDefinitions"), name);
}

const json& ContainerDocument(const TaskView& task, const std::string& name) {
  return Named(Member(task.document, "containers"), name);
}

const json& Runtime(const TaskView& task, const std::string& name) {
  return Member(Member(task.runtime, "containers"), name.c_str());
}

std::string TaskId(const TaskView& task) {
  const std::string arn = task.document.value("taskArn", "");
  return arn.substr(arn.rfind('/') + 1);
}

// The task ARN's parts (empty when it does not parse).
aws::Arn TaskArnOf(const TaskView& task) {
  return aws::Arn::Parse(task.document.value("taskArn", "")).value_or(aws::Arn{});
}

std::string ClusterName(const TaskView& task) {
  const std::string arn = task.document.value("clusterArn", "");
  return arn.substr(arn.rfind('/') + 1);
}

// The agent's internal status names (NONE, PULLED, CREATED, RUNNING,
// STOPPED), not the API's.
std::string ContainerKnownStatus(const json& runtime, const json& container) {
  if (container.value("lastStatus", "") == "STOPPED" || runtime.value("state", "") == "exited") {
    return "STOPPED";
  }
  const std::string state = runtime.value("state", "");
  if (state == "running") return "RUNNING";
  if (runtime.contains("id")) return "CREATED";
  if (runtime.contains("image")) return "PULLED";
  return "NONE";
}

std::string TaskKnownStatus(const json& doc) {
  const std::string last = doc.value("lastStatus", "");
  if (last == "STOPPED") return "STOPPED";
  if (last == "RUNNING" || last == "DEACTIVATING" || last == "STOPPING" ||
      last == "DEPROVISIONING") {
    return "RUNNING";
  }
  if (doc.contains("pullStoppedAt")) return "PULLED";
  return "NONE";
}

std::string DesiredStatus(const json& doc) {
  return doc.value("desiredStatus", "RUNNING") == "STOPPED" ? "STOPPED" : "RUNNING";
}

json Networks(const TaskView& task, Version version) {
  const std::string mode = task.task_definition.value("networkMode", "bridge");
  if (mode != "awsvpc") {
    return json::array({{{"NetworkMode", mode}, {"IPv4Addresses", json::array()}}});
  }
  const json pause = task.runtime.value("pause", json::object());
  json network = {{"NetworkMode", "awsvpc"},
                  {"IPv4Addresses", json::array({pause.value("ip", "")})}};
  if (version == Version::kV4) {
    network["AttachmentIndex"] = 0;
    for (const auto& attachment : task.document.value("attachments", json::array())) {
      if (attachment.value("type", "") != "ElasticNetworkInterface") continue;
      for (const auto& d : attachment.value("details", json::array())) {
        const std::string name = d.value("name", "");
        if (name == "macAddress") network["MACAddress"] = d.at("value");
        if (name == "privateDnsName") network["PrivateDNSName"] = d.at("value");
      }
    }
    // Docker's embedded DNS answers in every user-defined network.
    network["DomainNameServers"] = json::array({"127.0.0.11"});
    network["DomainNameSearchList"] = json::array({TaskArnOf(task).region + ".compute.internal"});
    const std::string gateway = pause.value("gateway", "");
    if (!gateway.empty()) network["SubnetGatewayIpv4Address"] = gateway;
  }
  return json::array({network});
}

json Ports(const TaskView& task, const std::string& name) {
  json ports = json::array();
  for (const auto& b : ContainerDocument(task, name).value("networkBindings", json::array())) {
    ports.push_back({{"ContainerPort", b.value("containerPort", 0)},
                     {"Protocol", b.value("protocol", "tcp")},
                     {"HostPort", b.value("hostPort", 0)},
                     {"HostIp", b.value("bindIP", "127.0.0.1")}});
  }
  return ports;
}

}  // namespace

std::string DockerIdOf(const TaskView& task, const std::string& name) {
  return Runtime(task, name).value("id", "");
}

json ContainerMetadata(const TaskView& task, const std::string& name, Version version) {
  const json& d = Definition(task, name);
  const json& c = ContainerDocument(task, name);
  const json& rt = Runtime(task, name);
  const std::string family = task.task_definition.value("family", "");
  const int64_t revision = task.task_definition.value("revision", int64_t{0});
  json out = json::object();
  if (rt.contains("id")) out["DockerId"] = rt.at("id");
  out["Name"] = name;
  out["DockerName"] =
      reconciler::DockerName(family, revision, name, task.runtime.value("suffix", ""));
  out["Image"] = d.value("image", c.value("image", ""));
  const std::string image_id = rt.value("imageId", "");
  if (!image_id.empty()) out["ImageID"] = image_id;
  const json ports = Ports(task, name);
  if (!ports.empty()) out["Ports"] = ports;

  json labels = d.value("dockerLabels", json::object());
  labels["com.amazonaws.ecs.cluster"] = ClusterName(task);
  labels["com.amazonaws.ecs.container-name"] = name;
  labels["com.amazonaws.ecs.task-arn"] = task.document.value("taskArn", "");
  labels["com.amazonaws.ecs.task-definition-family"] = family;
  labels["com.amazonaws.ecs.task-definition-version"] = std::to_string(revision);
  out["Labels"] = labels;

  out["DesiredStatus"] = DesiredStatus(task.document);
  out["KnownStatus"] = ContainerKnownStatus(rt, c);
  if (rt.contains("exitCode") && out["KnownStatus"] == "STOPPED") out["ExitCode"] = rt["exitCode"];
  out["Limits"] = {{"CPU", std::max<int64_t>(d.value("cpu", int64_t{0}), 2)},
                   {"Memory", d.value("memory", int64_t{0})}};
  PutDockerTime(out, "CreatedAt", rt, "dockerStartedAt");
  PutDockerTime(out, "StartedAt", rt, "dockerStartedAt");
  PutDockerTime(out, "FinishedAt", rt, "dockerFinishedAt");
  out["Type"] = "NORMAL";
  if (d.contains("healthCheck")) {
    json health = json::object();
    const std::string status = c.value("healthStatus", "UNKNOWN");
    if (status != "UNKNOWN") health["status"] = status;
    out["Health"] = health;
  }
  if (d.contains("logConfiguration")) {
    const json& log = d.at("logConfiguration");
    const std::string driver = log.value("logDriver", "");
    json options = log.value("options", json::object());
    if (driver == "awslogs") {
      // What ECS reports: the options with awslogs-region and the computed
      // awslogs-stream (the collector's own reading of them).
      const aws::Arn arn = TaskArnOf(task);
      try {
        const auto settings = reconciler::AwslogsFor(d, {arn.account_id, arn.region, TaskId(task)},
                                                     DockerIdOf(task, name));
        if (settings) options = settings->docker_options;
      } catch (const reconciler::AwslogsOptionError&) {
        // Options Docker refuses: the task never ran this container.
      }
    }
    out["LogDriver"] = driver;
    out["LogOptions"] = options;
  }
  if (c.contains("containerArn")) out["ContainerARN"] = c.at("containerArn");
  out["Networks"] = Networks(task, version);
  return out;
}

json TaskMetadata(const TaskView& task, Version version, double now, const json& tags) {
  const json& doc = task.document;
  const bool fargate = doc.value("launchType", "") == "FARGATE";
  json out = json::object();
  out["Cluster"] = fargate ? doc.value("clusterArn", "") : ClusterName(task);
  out["TaskARN"] = doc.value("taskArn", "");
  out["Family"] = task.task_definition.value("family", "");
  out["Revision"] = std::to_string(task.task_definition.value("revision", int64_t{0}));
  out["DesiredStatus"] = DesiredStatus(doc);
  out["KnownStatus"] = TaskKnownStatus(doc);
  const std::string cpu = doc.value("cpu", "");
  const std::string memory = doc.value("memory", "");
  if (!cpu.empty() || !memory.empty()) {
    json limits = json::object();
    if (!cpu.empty()) limits["CPU"] = std::stod(cpu) / 1024.0;
    if (!memory.empty()) limits["Memory"] = std::stoll(memory);
    out["Limits"] = limits;
  }
  PutTime(out, "PullStartedAt", doc, "pullStartedAt");
  PutTime(out, "PullStoppedAt", doc, "pullStoppedAt");
  PutTime(out, "ExecutionStoppedAt", doc, "executionStoppedAt");
  out["AvailabilityZone"] = doc.value("availabilityZone", "");
  out["LaunchType"] = doc.value("launchType", "EC2");
  const std::string group = doc.value("group", "");
  if (group.starts_with("service:")) out["ServiceName"] = group.substr(8);
  json containers = json::array();
  for (const auto& d : task.task_definition.value("containerDefinitions", json::array())) {
    containers.push_back(ContainerMetadata(task, d.value("name", ""), version));
  }
  out["Containers"] = containers;
  if (fargate && version == Version::kV4) {
    // The host's clock is the task's: synchronized as of when the task's
    // network came up (Fargate reports its last measurement).
    const double reference = doc.contains("connectivityAt") && doc.at("connectivityAt").is_number()
                                 ? doc.at("connectivityAt").get<double>()
                                 : now;
    out["ClockDrift"] = {{"ClockErrorBound", 0.5},
                         {"ReferenceTimestamp", FormatRfc3339(reference)},
                         {"ClockSynchronizationStatus", "SYNCHRONIZED"}};
  }
  if (!tags.is_null()) out["TaskTags"] = tags;
  out["FaultInjectionEnabled"] = false;
  return out;
}

}  // namespace berth::metadata
