#include "server/admin/admin_handler.h"

#include <exception>

#include <nlohmann/json.hpp>

#include "server/util/log.h"
#include "server/util/wire_json.h"
#include "storage/migrations.h"
#include "storage/task_store.h"

namespace berth::admin {
namespace {

http::Response Json(unsigned status, const nlohmann::json& body) {
  http::Response res;
  res.status = status;
  res.headers.Add("Content-Type", "application/json");
  res.body = util::WireJson(body);
  return res;
}

// The background checkpointer's figures, for benches and the curious.
nlohmann::json CheckpointFigures(const storage::WalCheckpointer::Stats& stats) {
  return {{"checkpoints", stats.checkpoints},
          {"catchUps", stats.catch_ups},
          {"longestCatchUpMicros", stats.longest_catch_up_us},
          {"closeIns", stats.close_ins},
          {"largestCatchUpCopyPages", stats.largest_catch_up_copy},
          {"shrinks", stats.shrinks},
          {"writeBehinds", stats.write_behinds},
          {"databaseSyncs", stats.database_syncs},
          {"walRestarts", stats.restarts},
          {"failures", stats.failures}};
}

}  // namespace

http::Response AdminHandler::TaskView(std::string_view task_id) {
  std::optional<storage::TaskRecord> task;
  {
    auto lease = database_.Acquire();
    task = storage::TaskStore(lease.db()).FindById(task_id);
  }
  http::Response res;
  if (!task) {
    res = Json(404, {{"message", "No task " + std::string(task_id)}});
  } else {
    const nlohmann::json document = nlohmann::json::parse(task->document);
    const nlohmann::json runtime = nlohmann::json::parse(task->runtime);
    res = Json(200, {{"taskArn", document.at("taskArn")},
                     {"lastStatus", task->last_status},
                     {"desiredStatus", task->desired_status},
                     {"local", runtime},
                     {"notHonoured", runtime.value("notes", nlohmann::json::array())}});
  }
  res.operation = "berth.TaskView";
  return res;
}

namespace {

// The methods a known Berth path answers, or nullptr for unknown paths.
const char* AllowedMethods(std::string_view path) {
  if (path == "/_berth/health") return "GET, HEAD";
  if (path == "/_berth/stats") return "GET";
  if (path == "/_berth/reset") return "POST";
  if (path.starts_with("/_berth/tasks/")) return "GET";
  return nullptr;
}

}  // namespace

http::Response AdminHandler::Handle(const http::Request& request) {
  const std::string_view path = request.Path();
  http::Response res;
  if (path == "/_berth/health" && (request.method == "GET" || request.method == "HEAD")) {
    res = Json(200, {{"service", "berth"},
                     {"version", BERTH_VERSION},
                     {"ready", true},
                     {"schemaVersion", storage::LatestSchemaVersion()}});
    res.operation = "berth.Health";
  } else if (path == "/_berth/stats" && request.method == "GET") {
    res = Json(200, {{"walCheckpoints", CheckpointFigures(database_.CheckpointStats())}});
    res.operation = "berth.Stats";
  } else if (path.starts_with("/_berth/tasks/") && request.method == "GET") {
    res = TaskView(path.substr(std::string_view("/_berth/tasks/").size()));
  } else if (path == "/_berth/reset" && request.method == "POST") {
    try {
      database_.Reset();
      for (const auto& hook : reset_hooks_) hook();
      res = Json(200, {{"reset", true}});
    } catch (const std::exception& e) {
      log::Error(std::string("reset failed: ") + e.what());
      res = Json(500, {{"reset", false}, {"message", e.what()}});
    }
    res.operation = "berth.Reset";
  } else if (const char* allowed = AllowedMethods(path); allowed != nullptr) {
    res = Json(
        405, {{"message", std::string(path) + " answers " + allowed + ", not " + request.method}});
    res.headers.Add("Allow", allowed);
    res.operation = "berth.MethodNotAllowed";
  } else {
    res = Json(404, {{"message", "No Berth endpoint " + request.method + " " + std::string(path)}});
    res.operation = "berth.NotFound";
  }
  return res;
}

}  // namespace berth::admin
