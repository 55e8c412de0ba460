#pragma once

// Sends each request to the part of Berth that serves it:
//   /_berth/ui, /_berth/ui/...  dashboard::DashboardHandler (when set)
//   /_berth/...               AdminHandler
//   /v4/, /v3/, /api/, /v2/credentials/<id>, /v1/credentials
//                             metadata::MetadataHandler (the task endpoints)
//   /v2/...                   registry::Registry (docker push/pull)
//   POST / with X-Amz-Target  aws::Dispatcher (ECR and ECS)
//   anything else             a 404 naming the path
// It is the http::Application the server runs.
//
// Thread-safety: as its parts (all callable from any thread).

#include "server/admin/admin_handler.h"
#include "server/aws/dispatcher.h"
#include "server/dashboard/dashboard_handler.h"
#include "server/http/application.h"
#include "server/metadata/metadata_handler.h"
#include "server/registry/registry.h"

namespace berth {

class Router final : public http::Application {
 public:
  Router(aws::Dispatcher& dispatcher, registry::Registry& registry, admin::AdminHandler& admin)
      : dispatcher_(dispatcher), registry_(registry), admin_(admin) {}

  // Serves the task endpoints too (set before serving).
  void SetTaskEndpoints(metadata::MetadataHandler& handler) { metadata_ = &handler; }
  // Serves the dashboard at /_berth/ui too (set before serving).
  void SetDashboard(dashboard::DashboardHandler& handler) { dashboard_ = &handler; }

  http::BodyPlan Plan(const http::Request& head) override;
  // The requests that may wait outside the event loop: the dashboard's (its
  // first snapshot is built while they wait), the task stats (Docker), the
  // registry's and ECR's reads through a pull-through cache (upstream), and
  // their writes that sync a blob to disk.
  bool MayWait(const http::Request& head) override;
  http::Response Handle(http::Request& request) override;
  http::Response BodyTooLarge(const http::Request& head, uint64_t limit) override;

 private:
  aws::Dispatcher& dispatcher_;
  registry::Registry& registry_;
  admin::AdminHandler& admin_;
  metadata::MetadataHandler* metadata_ = nullptr;
  dashboard::DashboardHandler* dashboard_ = nullptr;
};

}  // namespace berth
