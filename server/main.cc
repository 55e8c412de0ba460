// Berth: a local emulator of Amazon ECR and Amazon ECS. This file only wires
// the parts together: config → database → services → dispatcher → router →
// HTTP server.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "server/admin/admin_handler.h"
#include "server/aws/dispatcher.h"
#include "server/config.h"
#include "server/coverage.h"
#include "server/ecr/ecr_api.h"
#include "server/ecr/ecr_service.h"
#include "server/ecs/ecs_api.h"
#include "server/ecs/ecs_service.h"
#include "server/http/server.h"
#include "server/maintenance.h"
#include "server/registry/registry.h"
#include "server/router.h"
#include "server/util/clock.h"
#include "server/util/log.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace {

std::optional<std::string> Env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

int Run(berth::Config config) {
  using namespace berth;
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    log::Error("cannot create data directory " + config.data_dir + ": " + ec.message());
    return 1;
  }
  storage::Database database(config.data_dir + "/berth.db");

  http::ServerOptions server_options;
  server_options.host = config.listen_host;
  server_options.port = config.listen_port;
  server_options.threads = config.threads;
  http::Server server(server_options);
  if (config.registry_host.empty()) {
    config.registry_host = "localhost:" + std::to_string(server.port());
  }

  SystemClock clock;
  storage::BlobStore blob_store(config.data_dir);
  ecr::ImageService images(database, blob_store);
  ecr::UploadService uploads(database, images);
  ecr::EcrService ecr_service(database, ecr::EcrOptions{config.registry_host}, images);
  ecr::EcrApi ecr_api(ecr_service);
  ecs::EcsServices ecs_services(database);
  ecs::EcsApi ecs_api(ecs_services);

  aws::Dispatcher dispatcher(aws::DispatcherOptions{config.account_id, config.region}, clock);
  dispatcher.Register(ecr_api);
  dispatcher.Register(ecs_api);
  registry::Registry registry(
      registry::RegistryOptions{config.account_id, config.region, config.require_auth},
      ecr_service, images, uploads, clock);
  admin::AdminHandler admin(database);
  admin.AddResetHook([&] {
    blob_store.Clear();
    uploads.Clear();
  });
  Router router(dispatcher, registry, admin);
  Maintenance maintenance(images, uploads, clock);

  log::Info("berth " BERTH_VERSION " listening on " + config.listen_host + ":" +
            std::to_string(server.port()) + " (data " + config.data_dir + ", registry " +
            config.registry_host + (config.require_auth ? ", tokens required" : "") + ")");
  server.Run(router);
  log::Info("berth stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "--list-operations") {
    std::printf("%s", berth::OperationsMarkdown().c_str());
    return 0;
  }
  berth::ParseResult parsed = berth::ParseConfig(args, Env);
  if (!parsed.config) {
    std::FILE* out = parsed.exit_code == 0 ? stdout : stderr;
    std::fprintf(out, "%s\n", parsed.message.c_str());
    return parsed.exit_code;
  }
  berth::log::SetLevel(parsed.config->log_level);
  try {
    return Run(*parsed.config);
  } catch (const std::exception& e) {
    berth::log::Error(std::string("berth cannot start: ") + e.what());
    return 1;
  }
}
