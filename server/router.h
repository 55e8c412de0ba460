#pragma once

// Sends each request to the part of Berth that serves it:
//   /_berth/...               AdminHandler
//   /v2/...                   registry::Registry (docker push/pull)
//   POST / with X-Amz-Target  aws::Dispatcher (ECR and ECS)
//   anything else             a 404 naming the path
// It is the http::Application the server runs.
//
// Thread-safety: as its parts (all callable from any thread).

#include "server/admin/admin_handler.h"
#include "server/aws/dispatcher.h"
#include "server/http/application.h"
#include "server/registry/registry.h"

namespace berth {

class Router final : public http::Application {
 public:
  Router(aws::Dispatcher& dispatcher, registry::Registry& registry, admin::AdminHandler& admin)
      : dispatcher_(dispatcher), registry_(registry), admin_(admin) {}

  http::BodyPlan Plan(const http::Request& head) override;
  http::Response Handle(http::Request& request) override;
  http::Response BodyTooLarge(const http::Request& head, uint64_t limit) override;

 private:
  aws::Dispatcher& dispatcher_;
  registry::Registry& registry_;
  admin::AdminHandler& admin_;
};

}  // namespace berth
