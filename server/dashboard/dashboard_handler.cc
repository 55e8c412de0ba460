#include "server/dashboard/dashboard_handler.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <utility>

#include <nlohmann/json.hpp>

#include "server/aws/aws_error.h"
#include "server/dashboard/static_assets.h"
#include "server/util/log.h"
#include "server/util/percent_encoding.h"

namespace berth::dashboard {
namespace {

using nlohmann::json;

constexpr std::string_view kRoot = "/_berth/ui";
constexpr std::string_view kStopAction = "stop-task";
// The page may run its own script and style and talk to its own origin;
// nothing else (no inline script, no other site, no framing).
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// Headers every dashboard response carries.
void AddCommonHeaders(http::Response& res) {
  res.headers.Add("X-Content-Type-Options", "nosniff");
  res.headers.Add("X-Frame-Options", "DENY");
  res.headers.Add("Referrer-Policy", "no-referrer");
  res.headers.Add("Cross-Origin-Resource-Policy", "same-origin");
}

// JSON text that never fails on bytes that are not UTF-8 (log lines and
// container output are user data): they become U+FFFD.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

http::Response Json(unsigned status, const json& body, const char* operation) {
  http::Response res;
  res.status = status;
  res.headers.Add("Content-Type", "application/json");
  res.headers.Add("Cache-Control", "no-store");
  AddCommonHeaders(res);
  res.body = Dump(body);
  res.operation = operation;
  return res;
}

http::Response Message(unsigned status, const std::string& message, const char* operation) {
  return Json(status, {{"message", message}}, operation);
}

http::Response MethodNotAllowed(const http::Request& request, const char* allowed) {
  http::Response res =
      Message(405, std::string(request.Path()) + " answers " + allowed + ", not " + request.method,
              "berth.ui.MethodNotAllowed");
  res.headers.Add("Allow", allowed);
  return res;
}

http::Response Asset(const http::Request& request, const StaticAsset& asset) {
  http::Response res;
  AddCommonHeaders(res);
  res.headers.Add("ETag", asset.etag);
  // Cached, but checked with the ETag every time (a new Berth may serve a
  // new page).
  res.headers.Add("Cache-Control", "no-cache");
  res.operation = "berth.ui.Page";
  if (asset.name.empty()) res.headers.Add("Content-Security-Policy", kContentSecurityPolicy);
  if (request.headers.Get("If-None-Match") == asset.etag) {
    res.status = 304;
    res.routine = true;
    return res;
  }
  res.headers.Add("Content-Type", std::string(asset.content_type));
  res.body = std::string(asset.body);
  return res;
}

bool IsAccountId(std::string_view text) {
  return text.size() == 12 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         });
}

bool IsRegion(std::string_view text) {
  return !text.empty() && text.size() <= 32 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) != 0 ||
           std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
}

bool IsTaskId(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
  });
}

bool IsClusterName(std::string_view text) {
  return !text.empty() && text.size() <= 255 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
}

json PartitionJson(const storage::Partition& p) {
  return {{"account", p.account_id}, {"region", p.region}};
}

}  // namespace

std::optional<std::string> QueryValue(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    std::string value;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        value += ' ';
      } else if (raw[i] == '%') {
        if (i + 2 >= raw.size()) return std::nullopt;
        const int high = util::HexDigitValue(raw[i + 1]);
        const int low = util::HexDigitValue(raw[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        value += static_cast<char>(high * 16 + low);
        i += 2;
      } else {
        value += raw[i];
      }
    }
    return value;
  }
  return std::nullopt;
}

DashboardHandler::DashboardHandler(DashboardState& state, storage::Database& database,
                                   DashboardOptions options)
    : state_(state),
      options_(std::move(options)),
      guard_(options_.host_names),
      cache_([&database] { return database.ChangeCount(); },
             [this](const storage::Partition& p) { return BuildSnapshot(p); },
             options_.min_rebuild_interval) {}

bool DashboardHandler::Serves(std::string_view path) {
  return path == kRoot || (path.starts_with(kRoot) && path[kRoot.size()] == '/');
}

std::optional<storage::Partition> DashboardHandler::PartitionFrom(std::string_view query) const {
  storage::Partition partition = options_.default_partition;
  if (auto account = QueryValue(query, "account"); account && !account->empty()) {
    partition.account_id = std::move(*account);
  }
  if (auto region = QueryValue(query, "region"); region && !region->empty()) {
    partition.region = std::move(*region);
  }
  if (!IsAccountId(partition.account_id) || !IsRegion(partition.region)) return std::nullopt;
  return partition;
}

Snapshot DashboardHandler::BuildSnapshot(const storage::Partition& partition) {
  std::vector<storage::Partition> partitions = state_.Partitions();
  for (const auto& p : {options_.default_partition, partition}) {
    const bool listed = std::any_of(partitions.begin(), partitions.end(), [&](const auto& q) {
      return q.account_id == p.account_id && q.region == p.region;
    });
    if (!listed) partitions.push_back(p);
  }
  json list = json::array();
  for (const auto& p : partitions) list.push_back(PartitionJson(p));
  return state_.Build(partition, {{"partitions", std::move(list)},
                                  {"defaultPartition", PartitionJson(options_.default_partition)}});
}

http::Response DashboardHandler::State(const http::Request& request) {
  const auto partition = PartitionFrom(request.Query());
  if (!partition) {
    return Message(400, "account must be 12 digits and region a region name", "berth.ui.State");
  }
  const auto if_none_match = request.headers.Get("If-None-Match");
  const SnapshotCache::Result result = cache_.Get(*partition, if_none_match);
  http::Response res;
  AddCommonHeaders(res);
  res.headers.Add("ETag", result.etag);
  res.headers.Add("Cache-Control", "no-cache");
  res.operation = "berth.ui.State";
  res.routine = true;  // the page polls every second
  if (result.not_modified) {
    res.status = 304;
    return res;
  }
  res.headers.Add("Content-Type", "application/json");
  // A page that asks for deltas and holds a snapshot still kept gets only
  // what changed since; anyone else the whole snapshot.
  const bool delta = QueryValue(request.Query(), "delta") == "1";
  res.body = delta && result.base
                 ? result.snapshot->DeltaFrom(*result.base, std::string(*if_none_match))
                 : result.snapshot->Full();
  return res;
}

http::Response DashboardHandler::Logs(const http::Request& request) {
  const auto partition = PartitionFrom(request.Query());
  const auto cluster = QueryValue(request.Query(), "cluster");
  const auto task = QueryValue(request.Query(), "task");
  if (!partition || !cluster || !IsClusterName(*cluster) || !task || !IsTaskId(*task)) {
    return Message(400, "logs need account, region, cluster and task", "berth.ui.Logs");
  }
  auto logs = state_.TaskLogs(*partition, *cluster, *task);
  if (!logs) return Message(404, "No task " + *task + " in cluster " + *cluster, "berth.ui.Logs");
  return Json(200, *logs, "berth.ui.Logs");
}

http::Response DashboardHandler::StopTask(const http::Request& request) {
  if (auto refusal = guard_.RefuseAction(request, kStopAction)) {
    return Message(403, *refusal, "berth.ui.StopTask");
  }
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const auto text = [&](const char* key) {
    return body.is_object() && body.contains(key) && body.at(key).is_string()
               ? body.at(key).get<std::string>()
               : std::string();
  };
  storage::Partition partition = options_.default_partition;
  if (!text("account").empty()) partition.account_id = text("account");
  if (!text("region").empty()) partition.region = text("region");
  const std::string cluster = text("cluster");
  const std::string task = text("task");
  if (!IsAccountId(partition.account_id) || !IsRegion(partition.region) ||
      !IsClusterName(cluster) || !IsTaskId(task)) {
    return Message(400, "stop-task needs a JSON body {account, region, cluster, task}",
                   "berth.ui.StopTask");
  }
  try {
    const json row = state_.StopTask(partition, cluster, task);
    log::Info("dashboard: stopped task " + task + " of cluster " + cluster);
    return Json(200, {{"task", row}}, "berth.ui.StopTask");
  } catch (const aws::AwsError& e) {
    return Json(e.http_status(), {{"error", e.type()}, {"message", e.what()}}, "berth.ui.StopTask");
  }
}

http::Response DashboardHandler::Handle(const http::Request& request) {
  if (auto refusal = guard_.RefuseRequest(request)) {
    return Message(403, *refusal, "berth.ui.Forbidden");
  }
  const std::string_view path = request.Path();
  const bool read = request.method == "GET" || request.method == "HEAD";
  try {
    if (path == kRoot) {
      if (!read) return MethodNotAllowed(request, "GET, HEAD");
      http::Response res;
      res.status = 308;
      AddCommonHeaders(res);
      res.headers.Add("Location", "/_berth/ui/");
      res.operation = "berth.ui.Page";
      return res;
    }
    const std::string_view rest = path.substr(kRoot.size() + 1);  // after "/_berth/ui/"
    if (rest == "api/state") return read ? State(request) : MethodNotAllowed(request, "GET, HEAD");
    if (rest == "api/logs") return read ? Logs(request) : MethodNotAllowed(request, "GET, HEAD");
    if (rest == "api/stop-task") {
      return request.method == "POST" ? StopTask(request) : MethodNotAllowed(request, "POST");
    }
    if (const StaticAsset* asset = FindAsset(rest)) {
      return read ? Asset(request, *asset) : MethodNotAllowed(request, "GET, HEAD");
    }
  } catch (const std::exception& e) {
    log::Error(std::string("dashboard: ") + e.what());
    return Message(500, e.what(), "berth.ui.Error");
  }
  return Message(404, "The dashboard has no " + std::string(path), "berth.ui.NotFound");
}

}  // namespace berth::dashboard
