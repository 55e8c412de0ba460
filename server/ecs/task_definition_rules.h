#pragma once

// The rules real ECS applies to RegisterTaskDefinition, as pure functions (no
// storage, no clock): validation with ECS's own exceptions and messages, and
// the normalisation ECS echoes back (container defaults, port mappings, task
// cpu/memory units, computed compatibilities and requiresAttributes).
// See ../shared/reference/ecs-semantics.md sections 2.4, 2.6 and 4.
//
// Thread-safety: every function is pure and may be called from any thread.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace berth::ecs {

// The most containers one task definition may have (an ECS hard quota).
inline constexpr size_t kMaxContainersPerTaskDefinition = 10;

// Turns a RegisterTaskDefinitionRequest (already checked against the botocore
// model) into the TaskDefinition document to store: the request without
// `tags`, normalised, plus `compatibilities` and `requiresAttributes`. The
// fields only storage knows (taskDefinitionArn, revision, status,
// registeredAt, registeredBy, deregisteredAt, deleteRequestedAt) are left out.
// Throws ClientException with ECS's message for any rule the request breaks.
nlohmann::json NormaliseTaskDefinition(const nlohmann::json& request);

// A task-level `cpu` value as ECS stores it: "1 vCPU" / "0.5 vcpu" become CPU
// units (x 1024) and plain integers stay integers, always as a decimal
// string. Throws ClientException ("Invalid 'cpu' setting for task. ...") for
// anything else or for a value outside 128-196608 units.
std::string NormaliseTaskCpu(std::string_view value);
// A task-level `memory` value as ECS stores it: "1GB" / "2 gb" become MiB
// (x 1024) and plain integers stay integers. Throws ClientException
// ("Invalid 'memory' setting for task. ...") for anything else.
std::string NormaliseTaskMemory(std::string_view value);

// True when Fargate offers a task size of `cpu` units with `memory` MiB.
bool IsFargateTaskSize(int64_t cpu, int64_t memory);

// True for an image in a private Amazon ECR registry as AWS spells it:
// "<12 digits>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>...".
bool IsAwsEcrImage(std::string_view image);
// True for any image ECS pulls with ECR credentials: an AWS ECR image, or one
// whose registry host names a port (Berth's own "localhost:4566/<repo>").
bool IsEcrImage(std::string_view image);

}  // namespace berth::ecs
