#pragma once

// ECR lifecycle policies: the parsed form of a policy document, and its
// validation with the JSON-schema style details ECR reports inside
// "Lifecycle policy validation failure: <detail>".

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace berth::ecr {

struct LifecycleRule {
  int64_t priority = 0;
  std::string description;
  std::string tag_status;  // tagged, untagged, any
  std::vector<std::string> tag_patterns;
  std::vector<std::string> tag_prefixes;
  std::string count_type;                 // imageCountMoreThan, sinceImagePushed, ...
  std::optional<std::string> count_unit;  // days
  int64_t count_number = 0;
  std::string storage_class = "standard";
  std::string action_type;  // expire, transition
  std::optional<std::string> target_storage_class;
};

// A policy that breaks the grammar; what() is the detail for the message.
class LifecyclePolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses and validates `text`; rules come back sorted by priority.
// Throws LifecyclePolicyError.
std::vector<LifecycleRule> ParseLifecyclePolicy(std::string_view text);

}  // namespace berth::ecr
