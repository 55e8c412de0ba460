#pragma once

// The ECS services over one database, built together in one place so main
// and tests wire ECS with a single line.
//
// Thread-safety: as each service (any thread).

#include "server/ecs/account_settings.h"
#include "server/ecs/attribute_service.h"
#include "server/ecs/cluster_service.h"
#include "server/ecs/container_instance_service.h"
#include "server/ecs/ecs_tags.h"
#include "server/ecs/task_definition_service.h"
#include "server/ecs/task_service.h"
#include "storage/database.h"

namespace berth::ecs {

struct EcsServices {
  explicit EcsServices(storage::Database& database)
      : settings(database),
        clusters(database, settings),
        task_definitions(database),
        attributes(database, clusters),
        tags(database),
        container_instances(database, clusters),
        tasks(database, task_definitions, container_instances.host()) {}

  AccountSettingsService settings;
  ClusterService clusters;
  TaskDefinitionService task_definitions;
  AttributeService attributes;
  TagService tags;
  ContainerInstanceService container_instances;
  TaskService tasks;
};

}  // namespace berth::ecs
