#pragma once

// Plain records the stores read and write. Nested AWS documents travel as
// opaque JSON text: storage never interprets them.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace berth::storage {

// Which account and region a resource belongs to; every table is keyed by it.
struct Partition {
  std::string account_id;
  std::string region;
};

// A resource tag, in the order the caller gave it.
struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

// An ECR repository and the per-repository settings stored with it.
struct RepositoryRecord {
  int64_t id = 0;
  std::string name;
  double created_at = 0;
  std::string tag_mutability;                        // MUTABLE, IMMUTABLE, ...
  std::optional<std::string> mutability_exclusions;  // JSON array of filters
  bool scan_on_push = false;
  std::string encryption_type;  // AES256, KMS, KMS_DSSE
  std::optional<std::string> kms_key;
  std::optional<std::string> policy_text;
  std::optional<std::string> lifecycle_policy;
  std::optional<double> lifecycle_evaluated_at;
};

// Registry-wide ECR settings of one account and region.
struct RegistryRecord {
  std::optional<std::string> policy_text;
  std::optional<std::string> scanning_configuration;     // JSON
  std::optional<std::string> replication_configuration;  // JSON
};

// An ECS cluster. `document` holds the stored cluster attributes (settings,
// configuration, capacity providers, strategy, service connect defaults).
struct ClusterRecord {
  std::string name;
  std::string status;  // ACTIVE or INACTIVE
  double created_at = 0;
  std::string document;
};

// One revision of an ECS task definition. `document` is the normalised
// definition as registered (without status and its timestamps).
struct TaskDefinitionRecord {
  std::string family;
  int64_t revision = 0;
  std::string status;  // ACTIVE, INACTIVE, DELETE_IN_PROGRESS
  double registered_at = 0;
  std::optional<double> deregistered_at;
  std::optional<double> delete_requested_at;
  std::string document;
};

// An ECS account setting stored for a principal (or the account default).
struct AccountSettingRecord {
  std::string principal_arn;
  std::string name;
  std::string value;
};

// A custom ECS attribute on a target (a container instance).
struct AttributeRecord {
  std::string cluster;
  std::string target_type;
  std::string target_id;
  std::string name;
  std::optional<std::string> value;
};

}  // namespace berth::storage
