#pragma once

// Berth's services in one process for the fuzz targets: the real dispatcher
// (ECR, ECS and CloudWatch Logs APIs, model validation first) and the real
// registry, over an in-memory database and a blob store in a temporary
// directory. Nothing leaves the process: pull-through rules get an upstream
// client that refuses every request, and no reconciler or Docker client
// exists. The database is emptied every few thousand inputs so that memory
// stays bounded over millions of executions.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "server/aws/dispatcher.h"
#include "server/ecr/creation_templates.h"
#include "server/ecr/ecr_api.h"
#include "server/ecr/ecr_service.h"
#include "server/ecr/image_service.h"
#include "server/ecr/lifecycle_service.h"
#include "server/ecr/pull_through_importer.h"
#include "server/ecr/pull_through_rules.h"
#include "server/ecr/upload_service.h"
#include "server/ecs/ecs_api.h"
#include "server/ecs/ecs_service.h"
#include "server/logs/log_service.h"
#include "server/logs/logs_api.h"
#include "server/registry/pull_through_cache.h"
#include "server/registry/registry.h"
#include "server/util/clock.h"
#include "storage/blob_store.h"
#include "storage/database.h"
#include "tests/support/temp_dir.h"
#include "upstream/registry_client.h"

namespace berth::fuzz {

// An upstream registry that cannot be reached: the fuzzer has no network.
class OfflineUpstream final : public upstream::RegistryClient {
 public:
  void Check(const upstream::Endpoint&) override { Refuse(); }
  upstream::Manifest GetManifest(const upstream::Endpoint&, std::string_view, std::string_view,
                                 std::string_view) override {
    Refuse();
  }
  bool GetBlob(const upstream::Endpoint&, std::string_view, std::string_view,
               const std::function<bool(std::string_view)>&) override {
    Refuse();
  }

 private:
  [[noreturn]] static void Refuse() {
    throw upstream::UpstreamError(upstream::UpstreamError::Kind::kUnreachable,
                                  "the fuzzer has no network");
  }
};

// A fixed instant, so that runs are reproducible.
class FixedClock final : public Clock {
 public:
  double Now() const override { return 1795000000.125; }
};

// The services, wired as main.cc wires them (minus Docker and threads).
struct FuzzWorld {
  FuzzWorld() {
    dispatcher.Register(ecr_api);
    dispatcher.Register(ecs_api);
    dispatcher.Register(logs_api);
    ecr_api.AttachPullThrough(&pull_through_rules, &creation_templates);
    ecr_api.AttachImporter(&importer);
    ecr_api.AttachLifecycle(&lifecycle);
    registry.AttachPullThrough(&pull_through_cache, &creation_templates);
  }

  // Empties the database every `every` calls (memory stays bounded).
  void MaybeReset(int every = 2000) {
    if (++calls_ % every != 0) return;
    database.Reset();
    blob_store.Clear();
    uploads.Clear();
  }

  berth::testing::TempDir scratch{"berth-fuzz"};
  storage::Database database{":memory:"};
  FixedClock clock;
  storage::BlobStore blob_store{scratch.path()};
  ecr::ImageService images{database, blob_store};
  ecr::UploadService uploads{database, images};
  ecr::EcrService ecr_service{database, ecr::EcrOptions{"localhost:4566"}, images};
  ecr::EcrApi ecr_api{ecr_service};
  ecr::LifecycleService lifecycle{database, images, clock, ecr::LifecycleOptions{}};
  OfflineUpstream upstream_client;
  ecr::PullThroughRules pull_through_rules{database, upstream_client, {}};
  ecr::CreationTemplates creation_templates{database, ecr_service};
  ecr::PullThroughImporter importer{
      pull_through_rules, creation_templates, images, uploads, database, clock};
  ecs::EcsServices ecs_services{database, /*register_local_instance=*/true};
  ecs::EcsApi ecs_api{ecs_services};
  logs::LogService log_service{database, clock};
  logs::LogsApi logs_api{log_service};
  aws::Dispatcher dispatcher{aws::DispatcherOptions{}, clock};
  registry::Registry registry{registry::RegistryOptions{}, ecr_service, images, uploads, clock};
  registry::PullThroughCache pull_through_cache{importer};

 private:
  long calls_ = 0;
};

}  // namespace berth::fuzz
