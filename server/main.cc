// Berth: a local emulator of Amazon ECR and Amazon ECS. This file only wires
// the parts together: config → database → services → dispatcher → router →
// HTTP server.

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <malloc.h>
#include <map>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

#include "docker_backend/curl_docker_client.h"
#include "docker_backend/engine_probe.h"
#include "docker_backend/pause_image.h"
#include "server/admin/admin_handler.h"
#include "server/aws/authenticator.h"
#include "server/aws/credentials_file.h"
#include "server/aws/dispatcher.h"
#include "server/config.h"
#include "server/coverage.h"
#include "server/dashboard/dashboard_handler.h"
#include "server/dashboard/dashboard_state.h"
#include "server/ecr/creation_templates.h"
#include "server/ecr/ecr_api.h"
#include "server/ecr/ecr_service.h"
#include "server/ecr/lifecycle_service.h"
#include "server/ecr/pull_through_importer.h"
#include "server/ecr/pull_through_rules.h"
#include "server/ecr/registry_settings.h"
#include "server/ecr/replication_service.h"
#include "server/ecs/daemon_scheduler.h"
#include "server/ecs/ecs_api.h"
#include "server/ecs/ecs_service.h"
#include "server/ecs/service_scheduler.h"
#include "server/http/server.h"
#include "server/logs/log_service.h"
#include "server/logs/logs_api.h"
#include "server/maintenance.h"
#include "server/metadata/metadata_handler.h"
#include "server/metadata/task_credentials.h"
#include "server/reconciler/engine_tls.h"
#include "server/reconciler/image_resolver.h"
#include "server/reconciler/reconciler.h"
#include "server/reconciler/task_endpoints.h"
#include "server/registry/pull_through_cache.h"
#include "server/registry/registry.h"
#include "server/router.h"
#include "server/stop_signals.h"
#include "server/util/clock.h"
#include "server/util/crypto.h"
#include "server/util/engine_attributes.h"
#include "server/util/log.h"
#include "server/util/offset_clock.h"
#include "storage/blob_store.h"
#include "storage/database.h"
#include "storage/ecr_store.h"
#include "storage/meta_store.h"
#include "storage/out_of_space.h"
#include "upstream/registry_client.h"

namespace {

// Task steps Berth runs at once (each mostly waits on the Docker daemon).
constexpr int kTaskWorkers = 8;

std::optional<std::string> Env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// A secret of this data directory, made on first use (named `key` in the
// meta table).
std::string DataSecret(berth::storage::Database& database, const std::string& key) {
  auto lease = database.Acquire();
  berth::storage::MetaStore meta(lease.db());
  if (auto secret = meta.Get(key)) return *secret;
  const std::string secret = berth::crypto::RandomHex(64);
  meta.Set(key, secret);
  return secret;
}

// Berth's API as a container on the host's network reaches it.
std::string HostBerthUrl(const std::string& listen_host, uint16_t port) {
  const bool any = listen_host == "0.0.0.0" || listen_host == "::";
  const std::string host = any ? "127.0.0.1" : listen_host;
  return "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

// Live Tail's session length: AWS's 3 hours, unless the internal test knob
// BERTH_LIVE_TAIL_TIMEOUT_SECONDS (deliberately not a flag, and not in the
// README) says otherwise, so that integration tests can see a session time out.
berth::logs::LiveTailOptions LiveTailOptionsFromEnv() {
  berth::logs::LiveTailOptions options;
  const auto text = Env("BERTH_LIVE_TAIL_TIMEOUT_SECONDS");
  if (!text) return options;
  char* end = nullptr;
  const long long seconds = std::strtoll(text->c_str(), &end, 10);
  if (end == text->c_str() || *end != '\0' || seconds <= 0) {
    berth::log::Warn("ignoring BERTH_LIVE_TAIL_TIMEOUT_SECONDS='" + *text + "'");
    return options;
  }
  options.timeout = std::chrono::seconds(seconds);
  return options;
}

// A number of seconds from the environment variable `name`, or `fallback`
// when unset or malformed (with a warning).
double SecondsFromEnv(const std::string& name, double fallback) {
  const auto text = Env(name);
  if (!text) return fallback;
  char* end = nullptr;
  const double seconds = std::strtod(text->c_str(), &end);
  if (end == text->c_str() || *end != '\0') {
    berth::log::Warn("ignoring " + name + "='" + *text + "'");
    return fallback;
  }
  return seconds;
}

// This Berth's id on Docker labels: one per data directory, so several
// Berths on one Docker host never touch each other's containers.
std::string InstanceId(berth::storage::Database& database) {
  auto lease = database.Acquire();
  berth::storage::MetaStore meta(lease.db());
  if (auto id = meta.Get("berth.instance")) return *id;
  const std::string id = berth::crypto::RandomHex(12);
  meta.Set("berth.instance", id);
  return id;
}

// Creates the data directory if needed and checks that Berth can write
// there; on failure says why, in one line (empty when usable).
std::string PrepareDataDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create data directory " + dir + ": " + ec.message();
  if (!std::filesystem::is_directory(dir, ec)) {
    return "data directory " + dir + " is not a directory";
  }
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return "data directory " + dir + " is not writable: " + std::strerror(errno);
  }
  return "";
}

// Raises the soft limit on open files to the hard limit (at most 65536):
// every connection, upload and blob being served holds a descriptor, and
// Debian's soft default of 1024 is below --max-connections' default.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = std::min<rlim_t>(limit.rlim_max, 65536);
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = wanted;
  setrlimit(RLIMIT_NOFILE, &limit);
}

int Run(berth::Config config, berth::StopSignals& stop_signals) {
  using namespace berth;
  RaiseOpenFileLimit();
  // Strict authentication (issue 12): the access keys first, so that a bad
  // file stops Berth before it binds or creates anything.
  std::optional<aws::Authenticator> authenticator;
  if (!config.credentials_file.empty()) {
    try {
      authenticator.emplace(aws::CredentialsFile::Load(config.credentials_file));
    } catch (const std::exception& e) {
      log::Error(e.what());
      return 1;
    }
    config.require_auth = true;  // the registry takes only tokens issued to a valid key
  }
  // Docker's client TLS for tcp:// engines, read as the docker CLI reads it
  // (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH): a missing file stops Berth here.
  std::optional<docker::DockerTls> docker_tls;
  try {
    std::map<std::string, std::string> environment;
    for (const char* name : {"DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "HOME"}) {
      if (const auto value = Env(name)) environment[name] = *value;
    }
    docker_tls = docker::DockerTls::FromEnvironment(environment);
  } catch (const std::exception& e) {
    log::Error(e.what());
    return 1;
  }
  // The address first: a Berth that cannot serve leaves nothing behind, not
  // even a new data directory.
  http::ServerOptions server_options;
  server_options.host = config.listen_host;
  server_options.port = config.listen_port;
  server_options.threads = config.threads;
  server_options.max_connections = config.max_connections;
  http::Server server(server_options);
  if (const std::string problem = PrepareDataDir(config.data_dir); !problem.empty()) {
    log::Error(problem);
    return 1;
  }
  storage::Database database(config.data_dir + "/berth.db");

  if (config.registry_host.empty()) {
    config.registry_host = "localhost:" + std::to_string(server.port());
  }

  // BERTH_CLOCK_OFFSET_SECONDS moves Berth's clock (test-only, like
  // BERTH_LIVE_TAIL_TIMEOUT_SECONDS: not a flag, not in the README).
  SystemClock system_clock;
  const OffsetClock clock(system_clock, SecondsFromEnv("BERTH_CLOCK_OFFSET_SECONDS", 0));
  storage::BlobStore blob_store(config.data_dir);
  ecr::ImageService images(database, blob_store);
  ecr::UploadService uploads(database, images);
  ecr::EcrService ecr_service(database, ecr::EcrOptions{config.registry_host}, images);
  ecr::EcrApi ecr_api(ecr_service);
  // Lifecycle policies: evaluated on their own thread, periodically and after
  // each push; BERTH_ECR_RESTORE_SECONDS is how long a restore takes.
  ecr::LifecycleOptions lifecycle_options;
  lifecycle_options.restore_seconds =
      SecondsFromEnv("BERTH_ECR_RESTORE_SECONDS", lifecycle_options.restore_seconds);
  ecr::LifecycleService lifecycle(database, images, clock, lifecycle_options);
  images.SetPushObserver([&lifecycle](int64_t repository_id) { lifecycle.Poke(repository_id); });
  ecr_api.AttachLifecycle(&lifecycle);
  // Pushes replicate (in the background) and get their signing statuses.
  ecr::ReplicationService replication(database, images, clock);
  ecr::SigningRecorder signing(database, images);
  ecs::EcsServices ecs_services(database);
  ecs_services.register_local_instance = config.register_local_instance;
  ecs_services.engines = config.engines;
  ecs_services.endpoint_url = HostBerthUrl(config.listen_host, server.port());
  ecs::EcsApi ecs_api(ecs_services);
  logs::LogService log_service(database, clock);
  log_service.SetLiveTailOptions(LiveTailOptionsFromEnv());
  logs::LogsApi logs_api(log_service);

  aws::DispatcherOptions dispatcher_options;
  dispatcher_options.default_account_id = config.account_id;
  dispatcher_options.default_region = config.region;
  dispatcher_options.describe_fault = storage::OutOfSpaceMessage;
  // Group commit: concurrent API requests share one COMMIT, and each reply
  // waits for the commit its writes are in.
  dispatcher_options.group_writes = [&database](const std::function<void()>& handler) {
    storage::Database::RequestScope scope(database);
    handler();
    return scope.Settler();
  };
  aws::Dispatcher dispatcher(std::move(dispatcher_options), clock);
  dispatcher.Register(ecr_api);
  dispatcher.Register(ecs_api);
  dispatcher.Register(logs_api);
  registry::Registry registry(
      registry::RegistryOptions{config.account_id, config.region, config.require_auth}, ecr_service,
      images, uploads, clock);
  // Issue 11: pull-through cache rules (their upstream client, secrets file
  // and endpoint redirections from the environment) and creation templates.
  const auto upstream_client = upstream::MakeCurlRegistryClient();
  ecr::PullThroughRules pull_through_rules(database, *upstream_client,
                                           ecr::PullThroughOptionsFromEnv(Env));
  ecr::CreationTemplates creation_templates(database, ecr_service);
  replication.SetRepositoryMaker([&creation_templates](const storage::Partition& destination,
                                                       const std::string& name, double now) {
    return creation_templates.CreateFromTemplate(destination, name, "REPLICATION", now);
  });
  ecr_api.AttachPullThrough(&pull_through_rules, &creation_templates);
  ecr::PullThroughImporter pull_through_importer(pull_through_rules, creation_templates, images,
                                                 uploads, database, clock);
  ecr_api.AttachImporter(&pull_through_importer);
  registry::PullThroughCache pull_through_cache(pull_through_importer);
  registry.AttachPullThrough(&pull_through_cache, &creation_templates);
  admin::AdminHandler admin(database);
  admin.AddResetHook([&] {
    blob_store.Clear();
    uploads.Clear();
  });
  Router router(dispatcher, registry, admin);

  // ECS tasks become containers through the reconciler; its Docker client is
  // its own (libcurl handles are per thread).
  const docker::DockerEndpoint docker_endpoint =
      docker::DockerEndpoint::FromDockerHost(Env("DOCKER_HOST").value_or(""), docker_tls);
  docker::CurlDockerClient docker(docker_endpoint);
  reconciler::ImageResolver image_resolver(
      config.registry_host, [&](const storage::Partition& partition, const std::string& name) {
        auto lease = database.Acquire();
        return storage::EcrStore(lease.db(), partition).FindRepository(name).has_value();
      });
  reconciler::ReconcilerOptions reconciler_options{InstanceId(database), docker::kPauseImage};
  reconciler_options.workers = kTaskWorkers;
  // The task endpoints at 169.254.170.2: each awsvpc task's pause container
  // relays them to Berth on its network's gateway, where Berth then listens
  // too (and serves its API to the task's containers).
  reconciler::TaskEndpoints task_endpoints;
  reconciler_options.endpoints = &task_endpoints;
  reconciler_options.endpoint_port = server.port();
  reconciler_options.listen_on = [&server](const std::string& host) {
    return server.AddListener(host);
  };
  // Tasks on other engines reach them on a listener of their own each.
  reconciler_options.task_listeners.open = [&server](const std::string& host, uint16_t port) {
    return server.AddPortListener(host, port);
  };
  reconciler_options.task_listeners.close = [&server](const std::string& host, uint16_t port) {
    server.RemovePortListener(host, port);
  };
  reconciler_options.host_berth_url = HostBerthUrl(config.listen_host, server.port());
  // Container instances may stand for other Docker engines (issue 13):
  // their clients, and the probe that registers them.
  // How long an engine may not answer before its tasks are given up.
  reconciler_options.engine_lost_seconds =
      SecondsFromEnv("BERTH_ENGINE_LOST_SECONDS", reconciler_options.engine_lost_seconds);
  // Each engine with its instance's own TLS files, else Berth's setting.
  reconciler_options.engine_client = [&database, &docker_tls](const std::string& endpoint) {
    return std::make_unique<docker::CurlDockerClient>(
        reconciler::EngineEndpoint(database, endpoint, docker_tls));
  };
  ecs_services.container_instances.SetEngineProber([&docker_tls](const std::string& endpoint,
                                                                 const std::string& cert_path) {
    const std::optional<docker::DockerTls> tls =
        cert_path.empty() ? docker_tls
                          : docker::DockerTls::FromDirectory(cert_path, "berth.docker-cert-path");
    const docker::EngineProbe probe = docker::ProbeEngine(endpoint, tls);
    return ecs::EngineFacts{probe.info.cpus, probe.info.memory_bytes, probe.info.os_type,
                            probe.info.architecture, probe.local_address};
  });
  reconciler::Reconciler task_reconciler(
      database, docker,
      [&docker_endpoint] { return std::make_unique<docker::CurlDockerClient>(docker_endpoint); },
      image_resolver,
      [&](const storage::Partition& partition) {
        int64_t expires = 0;
        return ecr_service.tokens().Issue(partition.account_id, partition.region,
                                          static_cast<int64_t>(clock.Now()), expires);
      },
      clock, reconciler_options);
  // The service scheduler (ECS's control plane) runs at the start of every
  // reconciler pass, for the services whose tasks or desired state changed.
  ecs::ServiceScheduler scheduler(database, ecs_services.container_instances.host(), clock);
  // Daemons keep one task per container instance, in the same pass.
  ecs::DaemonScheduler daemon_scheduler(database, ecs_services.container_instances, clock);
  task_reconciler.SetControlPlane([&] {
    const bool services_moved = scheduler.Pass();
    const bool daemons_moved = daemon_scheduler.Pass();
    return services_moved || daemons_moved;
  });
  task_reconciler.SetTaskObserver([&](const storage::TaskRecord& t) { scheduler.TaskChanged(t); });
  // awslogs containers: their output is collected into Berth's CloudWatch Logs.
  task_reconciler.SetLogSink(&log_service);
  ecs_services.SetWaker([&] {
    scheduler.MarkAllDirty();
    task_reconciler.Poke();
  });
  admin.AddResetHook([&] { task_reconciler.RemoveAll(); });
  const metadata::TaskCredentials task_credentials(
      DataSecret(database, "berth.task-credentials-secret"));
  metadata::MetadataHandler task_metadata(
      database, task_endpoints, task_credentials, ecs_services.protection,
      [&docker_endpoint, engine_client = reconciler_options.engine_client](
          const std::string& engine) -> std::unique_ptr<docker::DockerApi> {
        if (engine == engines::kLocal) {
          return std::make_unique<docker::CurlDockerClient>(docker_endpoint);
        }
        return engine_client(engine);  // the reconciler's: each engine with its TLS files
      },
      clock);
  router.SetTaskEndpoints(task_metadata);
  if (authenticator) {
    // Tasks call back into Berth with their task-role credentials; their
    // session tokens verify like any key.
    authenticator->SetSessionResolver(
        [&task_credentials](std::string_view key, std::string_view token) {
          return task_credentials.Resolve(key, token);
        });
    dispatcher.RequireSignatures(&*authenticator);
  }
  // The dashboard at /_berth/ui, on Berth's own listener only (see Router).
  dashboard::DashboardState dashboard_state(database, ecr_service, ecs_services, log_service,
                                            clock);
  dashboard::DashboardOptions dashboard_options;
  dashboard_options.default_partition = {config.account_id, config.region};
  dashboard_options.host_names = {dashboard::HostPart(config.registry_host), config.listen_host};
  dashboard::DashboardHandler dashboard(dashboard_state, database, dashboard_options);
  router.SetDashboard(dashboard);
  Maintenance maintenance(images, uploads, ecs_services.tasks, ecs_services.services, log_service,
                          clock);
  task_reconciler.Start();
  lifecycle.Start();
  replication.Start();

  log::Info("berth " BERTH_VERSION " listening on " + config.listen_host + ":" +
            std::to_string(server.port()) + " (data " + config.data_dir + ", registry " +
            config.registry_host + (config.require_auth ? ", tokens required" : "") +
            (authenticator ? ", SigV4 signatures verified" : "") + ")");
  stop_signals.OnSignal([&server](int signal) {
    log::Info("received signal " + std::to_string(signal) +
              ", shutting down (a second one stops Berth at once)");
    server.Stop();
  });
  server.Run(router);
  stop_signals.OnSignal(nullptr);  // from here a signal ends the process at once
  task_reconciler.Stop();          // containers keep running; adopted on the next start
  lifecycle.Stop();
  replication.Stop();  // pending copies resume on the next start
  log::Info("berth stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives freed memory back to the kernel (madvise) as soon as 128 KiB
  // sit free at the top of a thread's heap; SQLite's per-statement journal
  // frees about that much on every write, and each give-back costs a TLB
  // shoot-down on every core. Keep up to 2 MiB per heap instead, and two
  // heaps at most (Berth has a few threads; RSS stays small).
  mallopt(M_TRIM_THRESHOLD, 2 << 20);
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  mallopt(M_ARENA_MAX, 2);
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
    // First, before any thread starts: every thread inherits its signal mask.
    berth::StopSignals stop_signals;
    return Run(*parsed.config, stop_signals);
  } catch (const std::exception& e) {
    berth::log::Error(std::string("berth cannot start: ") + e.what());
    return 1;
  }
}
