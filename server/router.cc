#include "server/router.h"

#include <exception>

#include <nlohmann/json.hpp>

#include "server/util/log.h"
#include "server/util/wire_json.h"

namespace berth {
namespace {

constexpr size_t kAdminBodyLimit = 64 * 1024;

bool IsAdmin(const http::Request& request) { return request.Path().starts_with("/_berth/"); }

bool IsTaskEndpoint(const metadata::MetadataHandler* handler, const http::Request& request) {
  return handler != nullptr && metadata::MetadataHandler::Serves(request.Path());
}

bool IsAws(const http::Request& request) {
  return request.Path() == "/" && (request.method == "POST" || request.headers.Get("X-Amz-Target"));
}

}  // namespace

http::BodyPlan Router::Plan(const http::Request& head) {
  if (IsTaskEndpoint(metadata_, head)) return {kAdminBodyLimit, nullptr};
  if (registry::Registry::Serves(head.Path())) return registry_.Plan(head);
  if (IsAws(head)) return {dispatcher_.BodyLimit(head), nullptr};
  return {kAdminBodyLimit, nullptr};
}

bool Router::MayWait(const http::Request& head) {
  if (IsAdmin(head)) {
    return dashboard_ != nullptr && !head.added_listener &&
           dashboard::DashboardHandler::Serves(head.Path());
  }
  if (IsTaskEndpoint(metadata_, head)) return metadata::MetadataHandler::MayWait(head.Path());
  if (registry::Registry::Serves(head.Path())) return registry_.MayWait(head);
  return IsAws(head) && dispatcher_.MayWait(head);
}

http::Response Router::Handle(http::Request& request) {
  try {
    if (IsAdmin(request)) {
      // Berth's own endpoints (reset included) are for its user, not for the
      // tasks that reach Berth on their network's gateway.
      if (request.added_listener) {
        http::Response res;
        res.status = 403;
        res.headers.Add("Content-Type", "application/json");
        res.body = util::WireJson(
            nlohmann::json{{"message", "Berth's /_berth endpoints are not served to tasks"}});
        res.operation = "berth.forbidden";
        return res;
      }
      if (dashboard_ != nullptr && dashboard::DashboardHandler::Serves(request.Path())) {
        return dashboard_->Handle(request);
      }
      return admin_.Handle(request);
    }
    if (IsTaskEndpoint(metadata_, request)) return metadata_->Handle(request);
    if (registry::Registry::Serves(request.Path())) return registry_.Handle(request);
    if (IsAws(request)) return dispatcher_.Handle(request);
  } catch (const std::exception& e) {  // last resort: parts report their own errors
    log::Error(std::string("unhandled error: ") + e.what());
    http::Response res;
    res.status = 500;
    res.body = "Internal error\n";
    return res;
  }
  http::Response res;
  res.status = 404;
  res.headers.Add("Content-Type", "application/json");
  res.body = util::WireJson(nlohmann::json{
      {"message", "Berth serves no " + request.method + " " + std::string(request.Path())}});
  res.operation = "notfound";
  return res;
}

http::Response Router::BodyTooLarge(const http::Request& head, uint64_t limit) {
  if (!IsTaskEndpoint(metadata_, head) && registry::Registry::Serves(head.Path()))
    return registry_.BodyTooLarge(head, limit);
  if (IsAws(head)) return dispatcher_.BodyTooLarge(head, static_cast<size_t>(limit));
  http::Response res;
  res.status = 413;
  res.headers.Add("Content-Type", "application/json");
  res.body = util::WireJson(nlohmann::json{{"message", "Request body too large"}});
  res.close = true;
  return res;
}

}  // namespace berth
