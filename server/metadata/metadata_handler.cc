#include "server/metadata/metadata_handler.h"

#include <algorithm>
#include <exception>

#include "server/aws/aws_error.h"
#include "server/util/crypto.h"
#include "server/util/log.h"
#include "server/util/time_format.h"
#include "server/util/wire_json.h"
#include "storage/ecs_document_store.h"
#include "storage/tag_store.h"
#include "storage/task_definition_store.h"
#include "storage/task_store.h"

namespace berth::metadata {
namespace {

using nlohmann::json;

constexpr size_t kMaxSamples = 4096;
// Parsed tasks and task definitions kept for the next request.
constexpr size_t kMaxCached = 1024;

http::Response JsonText(unsigned status, std::string body) {
  http::Response res;
  res.status = status;
  res.headers.Add("Content-Type", "application/json");
  res.body = std::move(body);
  res.operation = "taskmetadata";
  return res;
}

http::Response Json(unsigned status, const json& body) {
  return JsonText(status, util::WireJson(body));
}

// Whether `request` comes from the task `target` is: on the listener of its
// own when it runs on another engine (its requests come from that engine's
// address), else from its own address.
bool FromTask(const reconciler::TaskEndpointTarget& target, const http::Request& request) {
  if (target.arrival_port != 0) {
    return request.added_listener && request.local_port == target.arrival_port;
  }
  return target.source_address == request.remote_address;
}

// The agent's metadata errors: a JSON-encoded string.
http::Response MetadataError(unsigned status, const std::string& message) {
  return Json(status, json(message));
}

http::Response CredentialsError(const std::string& code, const std::string& message) {
  return Json(400, {{"code", code}, {"message", message}});
}

// "<id>" and what follows it in "<id>/<rest>".
std::pair<std::string, std::string_view> SplitId(std::string_view path) {
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return {std::string(path), ""};
  return {std::string(path.substr(0, slash)), path.substr(slash)};
}

std::string QueryValue(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.starts_with(key) && pair.size() > key.size() && pair[key.size()] == '=') {
      return std::string(pair.substr(key.size() + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

}  // namespace

struct MetadataHandler::Found {
  TaskView view;
  std::string task_arn;
  std::string account_id;
  std::string region;
  std::string cluster;
  // The stored text it was parsed from (a changed task is parsed again).
  std::string document_text;
  std::string runtime_text;
  // Bodies already rendered from it, by version and path ("4/app", "3/task").
  mutable std::mutex mutex;
  mutable std::map<std::string, std::string> bodies;

  // The body under `key`, rendered by `render` the first time.
  template <class Render>
  std::string Body(const std::string& key, Render render) const {
    {
      std::lock_guard lock(mutex);
      if (const auto it = bodies.find(key); it != bodies.end()) return it->second;
    }
    std::string body = util::WireJson(render());
    std::lock_guard lock(mutex);
    bodies.emplace(key, body);
    return body;
  }
};

MetadataHandler::MetadataHandler(storage::Database& database,
                                 const reconciler::TaskEndpoints& endpoints,
                                 const TaskCredentials& credentials,
                                 ecs::TaskProtectionService& protection,
                                 reconciler::EngineClientFactory make_docker, const Clock& clock)
    : database_(database),
      endpoints_(endpoints),
      credentials_(credentials),
      protection_(protection),
      make_docker_(std::move(make_docker)),
      clock_(clock) {}

bool MetadataHandler::Serves(std::string_view path) {
  if (path.starts_with("/v4/") || path.starts_with("/v3/") || path.starts_with("/api/")) {
    return true;
  }
  if (path == "/v1/credentials" || path == "/v2/credentials" || path == "/v2/credentials/") {
    return true;
  }
  if (!path.starts_with("/v2/credentials/")) return false;
  return path.substr(16).find('/') == std::string_view::npos;
}

http::Response MetadataHandler::Handle(const http::Request& request) {
  try {
    const std::string_view path = request.Path();
    if (path.starts_with("/v2/credentials")) {
      const std::string id = path.size() > 16 ? std::string(path.substr(16)) : "";
      return Credentials(request, id, true);
    }
    if (path == "/v1/credentials") {
      return Credentials(request, QueryValue(request.Query(), "id"), false);
    }
    if (path.starts_with("/v4/")) return Metadata(request, Version::kV4, path.substr(4));
    if (path.starts_with("/v3/")) return Metadata(request, Version::kV3, path.substr(4));
    return Protection(request, path.substr(5));
  } catch (const std::exception& e) {
    log::Error(std::string("task metadata: ") + e.what());
    return MetadataError(500, "Berth task metadata handler: internal error");
  }
}

std::shared_ptr<const MetadataHandler::Found> MetadataHandler::Load(
    const reconciler::TaskEndpointTarget& target) {
  std::optional<storage::TaskRecord> task;
  {
    auto lease = database_.Acquire();
    task = storage::TaskStore(lease.db()).Find(target.partition, target.cluster, target.task_id);
  }
  if (!task) return nullptr;
  // Tasks are asked about far more often than they change: reuse what was
  // parsed while the stored task is the same.
  {
    std::lock_guard lock(mutex_);
    const auto cached = tasks_.find(task->task_id);
    if (cached != tasks_.end() && cached->second->document_text == task->document &&
        cached->second->runtime_text == task->runtime) {
      return cached->second;
    }
  }
  // A daemon's task runs from its daemon task definition.
  const bool daemon_task = task->group.value_or("").starts_with("daemon:");
  const std::string td_key = target.partition.account_id + "|" + target.partition.region + "|" +
                             (daemon_task ? "daemon|" : "") + task->family + "|" +
                             std::to_string(task->revision);
  std::shared_ptr<const json> definition;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = definitions_.find(td_key); it != definitions_.end()) {
      definition = it->second;
    }
  }
  if (!definition) {
    std::optional<storage::TaskDefinitionRecord> record;
    {
      auto lease = database_.Acquire();
      if (daemon_task) {
        if (auto runnable = storage::EcsDocumentStore(lease.db(), target.partition)
                                .Find(storage::EcsDocumentStore::kRunnable, task->family,
                                      storage::EcsDocumentStore::RevisionKey(task->revision))) {
          record = storage::TaskDefinitionRecord{};
          record->document = runnable->document;
        }
      } else {
        record = storage::TaskDefinitionStore(lease.db(), target.partition)
                     .Find(task->family, task->revision);
      }
    }
    if (!record) return nullptr;
    auto parsed = std::make_shared<json>(json::parse(record->document));
    (*parsed)["revision"] = task->revision;
    definition = parsed;
    std::lock_guard lock(mutex_);
    if (definitions_.size() >= kMaxCached) definitions_.clear();
    definitions_[td_key] = definition;  // a revision never changes
  }
  auto found = std::make_shared<Found>();
  found->view.document = json::parse(task->document);
  found->view.runtime = json::parse(task->runtime);
  found->view.task_definition = *definition;
  found->task_arn = found->view.document.value("taskArn", "");
  found->account_id = target.partition.account_id;
  found->region = target.partition.region;
  found->cluster = target.cluster;
  found->document_text = std::move(task->document);
  found->runtime_text = std::move(task->runtime);
  std::lock_guard lock(mutex_);
  if (tasks_.size() >= kMaxCached) tasks_.clear();
  tasks_[task->task_id] = found;
  return found;
}

http::Response MetadataHandler::Metadata(const http::Request& request, Version version,
                                         std::string_view rest) {
  const char* const name = version == Version::kV4 ? "V4" : "V3";
  if (request.method != "GET" && request.method != "HEAD") {
    return MetadataError(405, std::string(name) + " task metadata handler: method not allowed");
  }
  // Not a structured binding: clang 14 cannot capture one in not_found.
  const auto split = SplitId(rest);
  const auto& id = split.first;
  const auto& what = split.second;
  const auto target = endpoints_.ByEndpointId(id);
  std::shared_ptr<const Found> found;
  if (target && FromTask(*target, request)) found = Load(*target);
  const auto not_found = [&](const char* handler) {
    return MetadataError(404, std::string(name) + " " + handler +
                                  " handler: unable to get task arn from request: unable to get "
                                  "task arn from endpoint id: " +
                                  id);
  };
  const std::string v = version == Version::kV4 ? "4/" : "3/";
  if (what.empty() || what == "/") {
    if (!found) return not_found("container metadata");
    return JsonText(200, found->Body(v + "container/" + target->container, [&] {
      return ContainerMetadata(found->view, target->container, version);
    }));
  }
  if (what == "/task" || what == "/taskWithTags") {
    if (!found) return not_found("task metadata");
    if (what == "/task") {
      return JsonText(200, found->Body(v + "task", [&] {
        return TaskMetadata(found->view, version, clock_.Now());
      }));
    }
    json tags = nullptr;
    {
      tags = json::object();
      auto lease = database_.Acquire();
      for (const auto& tag : storage::TagStore(lease.db()).List(found->task_arn)) {
        tags[tag.key] = tag.value;
      }
    }
    return Json(200, TaskMetadata(found->view, version, clock_.Now(), tags));
  }
  if (what == "/stats") {
    if (!found) return not_found("container stats");
    const std::string docker_id = DockerIdOf(found->view, target->container);
    if (docker_id.empty()) return Json(200, json::object());
    return Json(200, Stats(target->engine, docker_id, version));
  }
  if (what == "/task/stats") {
    if (!found) return not_found("task stats");
    json out = json::object();
    for (const auto& d : found->view.task_definition.value("containerDefinitions", json::array())) {
      const std::string docker_id = DockerIdOf(found->view, d.value("name", ""));
      if (docker_id.empty()) continue;
      out[docker_id] = Stats(target->engine, docker_id, version);
    }
    return Json(200, out);
  }
  return MetadataError(404, std::string(name) + " task metadata handler: no such path " +
                                std::string(request.Path()));
}

http::Response MetadataHandler::Credentials(const http::Request& request, const std::string& id,
                                            bool v2) {
  const std::string kind = v2 ? "CredentialsV2Request" : "CredentialsV1Request";
  if (id.empty()) return CredentialsError("NoIdInRequest", kind + ": No ID in the request");
  const auto target = endpoints_.ByCredentialsId(id);
  if (!target || !FromTask(*target, request)) {
    return CredentialsError("InvalidIdInRequest", kind + ": Credentials not found");
  }
  const auto found = Load(*target);
  if (!found || found->view.document.value("lastStatus", "") == "STOPPED") {
    return CredentialsError("InvalidIdInRequest", kind + ": Credentials not found");
  }
  const std::string role = found->view.runtime.value("taskRoleArn", "");
  return Json(200, credentials_.Issue(id, found->account_id, role, clock_.Now()));
}

http::Response MetadataHandler::Protection(const http::Request& request, std::string_view rest) {
  // Not a structured binding: clang 14 cannot capture one in not_found.
  const auto split = SplitId(rest);
  const auto& id = split.first;
  const auto& what = split.second;
  const auto target = endpoints_.ByEndpointId(id);
  std::shared_ptr<const Found> found;
  if (target && FromTask(*target, request)) found = Load(*target);
  if (!found || what != "/task-protection/v1/state") {
    return Json(404, {{"error",
                       {{"Code", "ResourceNotFoundException"},
                        {"Message", "Failed to find a task for the request"}}}});
  }
  const std::string& arn = found->task_arn;
  const auto error = [&arn](unsigned status, const std::string& code, const std::string& message) {
    return Json(status, {{"error", {{"Arn", arn}, {"Code", code}, {"Message", message}}}});
  };
  if (found->view.runtime.value("credentialsId", "").empty()) {
    return error(403, "AccessDeniedException",
                 "Invalid Request: no task IAM role credentials available for task");
  }
  aws::RequestContext context{found->account_id, found->region, crypto::FastUuid(),
                              found->account_id, clock_.Now()};
  ecs::TaskProtectionResult result;
  if (request.method == "PUT") {
    json body;
    try {
      body = json::parse(request.body);
    } catch (const json::exception&) {
      body = nullptr;
    }
    // The agent's decoder matches keys case-insensitively and refuses
    // unknown ones.
    std::optional<bool> enabled;
    std::optional<int64_t> minutes;
    bool decodable = body.is_object();
    if (decodable) {
      for (const auto& [key, value] : body.items()) {
        std::string lower = key;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lower == "protectionenabled" && value.is_boolean()) {
          enabled = value.get<bool>();
        } else if (lower == "expiresinminutes" && value.is_number_integer()) {
          minutes = value.get<int64_t>();
        } else {
          decodable = false;
        }
      }
    }
    if (!decodable) {
      return Json(400, {{"error",
                         {{"Code", "InvalidParameterException"},
                          {"Message", "UpdateTaskProtection: failed to decode request"}}}});
    }
    if (!enabled) {
      return error(400, "InvalidParameterException",
                   "Invalid request: does not contain 'ProtectionEnabled' field");
    }
    try {
      result = protection_.Update(context, found->cluster, {arn}, *enabled, minutes);
    } catch (const aws::AwsError& e) {
      return Json(e.http_status(),
                  {{"requestID", context.request_id},
                   {"error", {{"Arn", arn}, {"Code", e.type()}, {"Message", e.what()}}}});
    }
  } else if (request.method == "GET") {
    result = protection_.Get(context, found->cluster, {arn});
  } else {
    return error(405, "InvalidParameterException", "method not allowed");
  }
  if (result.failures.size() + result.protected_tasks.size() != 1) {
    return error(500, "ServerException", "Unexpected error occurred");
  }
  if (!result.failures.empty()) {
    const json& f = result.failures.front();
    return Json(200, {{"failure",
                       {{"Arn", f.value("arn", arn)},
                        {"Detail", f.contains("detail") ? f.at("detail") : json(nullptr)},
                        {"Reason", f.value("reason", "")}}}});
  }
  const json& p = result.protected_tasks.front();
  json expiration = nullptr;
  if (p.contains("expirationDate") && p.at("expirationDate").is_number()) {
    expiration = FormatRfc3339(p.at("expirationDate").get<double>(), 0);
  }
  return Json(200, {{"protection",
                     {{"ExpirationDate", expiration},
                      {"ProtectionEnabled", p.value("protectionEnabled", false)},
                      {"TaskArn", p.value("taskArn", arn)}}}});
}

std::unique_ptr<docker::DockerApi> MetadataHandler::TakeDocker(const std::string& engine) {
  {
    std::lock_guard lock(mutex_);
    auto& idle = idle_docker_[engine];
    if (!idle.empty()) {
      auto docker = std::move(idle.back());
      idle.pop_back();
      return docker;
    }
  }
  return make_docker_(engine);
}

void MetadataHandler::ReturnDocker(const std::string& engine,
                                   std::unique_ptr<docker::DockerApi> docker) {
  std::lock_guard lock(mutex_);
  idle_docker_[engine].push_back(std::move(docker));
}

json MetadataHandler::Stats(const std::string& engine, const std::string& docker_id,
                            Version version) {
  json stats;
  try {
    auto docker = TakeDocker(engine);
    const std::string text = docker->ContainerStats(docker_id);
    ReturnDocker(engine, std::move(docker));
    stats = json::parse(text);
  } catch (const std::exception&) {
    return json::object();  // not readable (yet): the agent's {}
  }
  if (!stats.is_object()) return json::object();
  const double now = clock_.Now();
  double rx = 0;
  double tx = 0;
  const json networks =
      stats.value("networks", json::object());  // named: items() of a temporary dangles
  for (const auto& [name, network] : networks.items()) {
    rx += network.value("rx_bytes", 0.0);
    tx += network.value("tx_bytes", 0.0);
  }
  Sample previous;
  bool have_previous = false;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = samples_.find(docker_id); it != samples_.end()) {
      previous = it->second;
      have_previous = true;
    }
    if (samples_.size() >= kMaxSamples && !have_previous) samples_.erase(samples_.begin());
    samples_[docker_id] = {now, stats.value("cpu_stats", json::object()), stats.value("read", ""),
                           rx, tx};
  }
  if (have_previous) {
    stats["precpu_stats"] = previous.cpu_stats;
    stats["preread"] = previous.read;
  }
  if (version == Version::kV4) {
    const double elapsed = have_previous ? now - previous.at : 0;
    stats["network_rate_stats"] = {
        {"rx_bytes_per_sec", elapsed > 0 ? std::max(0.0, rx - previous.rx_bytes) / elapsed : 0.0},
        {"tx_bytes_per_sec", elapsed > 0 ? std::max(0.0, tx - previous.tx_bytes) / elapsed : 0.0}};
  }
  return stats;
}

}  // namespace berth::metadata
