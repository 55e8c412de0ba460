#pragma once

// Where an EC2 task may go and which of those places comes first, as a
// RunTask request, a service and a task definition say it:
// placementConstraints (memberOf with a cluster query expression; a
// distinctInstance: no two tasks of one task group on an instance) and
// placementStrategy (binpack on cpu or memory, spread on instanceId, host or
// attribute:<name>, random), applied in order, each breaking the previous
// one's ties. Read and checked once per request; InstancePlacer applies them.
//
// Thread-safety: a value; immutable after From().

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::ecs {

struct PlacementRules {
  struct Strategy {
    enum class Kind { kRandom, kSpread, kBinpack };
    Kind kind = Kind::kRandom;
    // spread: "instanceId" (or "host"), or "attribute:<name>"; binpack:
    // "cpu" or "memory".
    std::string field;
  };

  // memberOf expressions (the request's and the task definition's).
  std::vector<std::string> member_of;
  bool distinct_instance = false;
  std::vector<Strategy> strategies;

  // The rules of `placement` (an object with placementConstraints and
  // placementStrategy, as RunTask's request or a service's document) and the
  // task definition's placementConstraints. Throws
  // InvalidParameterException naming what is wrong.
  static PlacementRules From(const nlohmann::json& placement,
                             const nlohmann::json& task_definition);
  // What a service places by when it names no strategy: across availability
  // zones, then across instances [unverified: ECS's documented default for
  // services; Berth applies it].
  static std::vector<Strategy> ServiceDefault();
};

}  // namespace berth::ecs
