#pragma once

// Berth's dashboard, at /_berth/ui/ on Berth's own listener (the router
// refuses /_berth/* on the task-facing ones):
//   GET  /_berth/ui/                 the page (index.html), dashboard.css and
//                                    dashboard.js: embedded, ETag-validated
//   GET  /_berth/ui/api/state?account=&region=
//                                    the snapshot of one account and region
//                                    (DashboardState::Snapshot) plus the
//                                    accounts and regions in use; ETag /
//                                    If-None-Match → 304 while nothing changed
//   GET  /_berth/ui/api/logs?account=&region=&cluster=&task=
//                                    the last lines of the task's awslogs
//                                    containers
//   POST /_berth/ui/api/stop-task    {account, region, cluster, task}: stops
//                                    the task as StopTask does; needs
//                                    `X-Berth-Action: stop-task` (RequestGuard)
// Everything else is read-only. Every response forbids framing and, for the
// page, anything but its own scripts and styles (Content-Security-Policy).
//
// Thread-safety: Handle() may be called from any thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/dashboard/dashboard_state.h"
#include "server/dashboard/request_guard.h"
#include "server/dashboard/snapshot_cache.h"
#include "server/http/message.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::dashboard {

struct DashboardOptions {
  storage::Partition default_partition;  // what the page shows first
  // Host names (no ports) besides IP literals and localhost that requests
  // may address Berth by.
  std::vector<std::string> host_names;
  // Rebuild a partition's snapshot at most this often.
  std::chrono::milliseconds min_rebuild_interval{250};
};

class DashboardHandler {
 public:
  DashboardHandler(DashboardState& state, storage::Database& database, DashboardOptions options);

  // Whether `path` is the dashboard's.
  static bool Serves(std::string_view path);

  http::Response Handle(const http::Request& request);

  // How many snapshots were built (for tests).
  int64_t snapshot_builds() const { return cache_.builds(); }

 private:
  http::Response State(const http::Request& request);
  http::Response Logs(const http::Request& request);
  http::Response StopTask(const http::Request& request);
  // The partition the query names (account=, region=), the default one for
  // what it leaves out; nullopt when malformed.
  std::optional<storage::Partition> PartitionFrom(std::string_view query) const;
  Snapshot BuildSnapshot(const storage::Partition& partition);

  DashboardState& state_;
  const DashboardOptions options_;
  const RequestGuard guard_;
  SnapshotCache cache_;
};

// The value of `name` in a query string, percent-decoded ('+' is a space);
// nullopt when absent or badly encoded.
std::optional<std::string> QueryValue(std::string_view query, std::string_view name);

}  // namespace berth::dashboard
