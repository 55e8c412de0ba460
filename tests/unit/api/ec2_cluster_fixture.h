#pragma once

// An API fixture with cluster "c" and no container instance in it (Berth's
// default, as on AWS), and task definition "web" (one container, 512 MiB,
// 256 CPU units) for EC2 tasks: the start of the container-instance and
// placement tests.

#include <nlohmann/json.hpp>

#include "tests/support/api_fixture.h"

namespace berth::testing {

class Ec2ClusterTest : public ApiTest {
 protected:
  Ec2ClusterTest() {
    ecs_services_.register_local_instance = false;
    EcsOk("CreateCluster", {{"clusterName", "c"}});
    EcsOk("RegisterTaskDefinition", nlohmann::json::parse(R"({"family": "web",
              "containerDefinitions": [
                {"name": "web", "image": "app:1", "memory": 512, "cpu": 256}]})"));
  }
};

}  // namespace berth::testing
