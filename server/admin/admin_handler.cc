#include "server/admin/admin_handler.h"

#include <exception>

#include <nlohmann/json.hpp>

#include "server/util/log.h"
#include "storage/migrations.h"

namespace berth::admin {
namespace {

http::Response Json(unsigned status, const nlohmann::json& body) {
  http::Response res;
  res.status = status;
  res.headers.Add("Content-Type", "application/json");
  res.body = body.dump();
  return res;
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
  } else {
    res = Json(404, {{"message", "No Berth endpoint " + request.method + " " + std::string(path)}});
    res.operation = "berth.NotFound";
  }
  return res;
}

}  // namespace berth::admin
