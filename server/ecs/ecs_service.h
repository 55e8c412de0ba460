#pragma once

// The ECS services over one database, built together in one place so main
// and tests wire ECS with a single line.
//
// Thread-safety: as each service (any thread).

#include "server/ecs/account_settings.h"
#include "server/ecs/attribute_service.h"
#include "server/ecs/capacity_provider_service.h"
#include "server/ecs/cluster_service.h"
#include "server/ecs/container_instance_service.h"
#include "server/ecs/daemon_service.h"
#include "server/ecs/ecs_tags.h"
#include "server/ecs/express_gateway_service.h"
#include "server/ecs/service_deployment_service.h"
#include "server/ecs/service_manager.h"
#include "server/ecs/task_definition_service.h"
#include "server/ecs/task_protection_service.h"
#include "server/ecs/task_service.h"
#include "server/ecs/task_set_manager.h"
#include "storage/database.h"

namespace berth::ecs {

struct EcsServices {
  // `register_local`: see register_local_instance.
  explicit EcsServices(storage::Database& database, bool register_local = false)
      : settings(database),
        clusters(database, settings),
        task_definitions(database),
        attributes(database, clusters),
        tags(database),
        container_instances(database, clusters),
        tasks(database, task_definitions, container_instances.host()),
        services(database),
        task_sets(database),
        service_deployments(database),
        protection(database),
        daemons(database, clusters),
        express(database, clusters, task_definitions, services),
        capacity_providers(database),
        register_local_instance(register_local) {}

  // Every service whose changes the reconciler must act on wakes it.
  void SetWaker(const std::function<void()>& waker) {
    tasks.SetWaker(waker);
    container_instances.SetWaker(waker);
    services.SetWaker(waker);
    task_sets.SetWaker(waker);
    service_deployments.SetWaker(waker);
    protection.SetWaker(waker);
    daemons.SetWaker(waker);
  }

  AccountSettingsService settings;
  ClusterService clusters;
  TaskDefinitionService task_definitions;
  AttributeService attributes;
  TagService tags;
  ContainerInstanceService container_instances;
  TaskService tasks;
  ServiceManager services;
  TaskSetManager task_sets;
  ServiceDeploymentService service_deployments;
  TaskProtectionService protection;
  DaemonService daemons;
  ExpressGatewayService express;
  CapacityProviderService capacity_providers;

  // Options main sets before serving. register_local_instance: every new
  // cluster gets the local Docker host as a container instance (as an ECS
  // agent would register it). endpoint_url: Berth's own URL, which
  // DiscoverPollEndpoint answers.
  bool register_local_instance = false;
  // Every new cluster also gets an instance of each of these Docker engines
  // (berth --engine).
  std::vector<std::string> engines;
  std::string endpoint_url = "http://127.0.0.1:4566";
};

}  // namespace berth::ecs
