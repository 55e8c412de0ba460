#pragma once

// Resource tags on ECS resources (clusters, task definitions, tasks and
// container instances):
// ECS's tag rules, and Tag/Untag/ListTagsForResource by resource ARN.
//
// Thread-safety: every method may be called from any thread.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/request_context.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecs {

inline constexpr size_t kMaxTags = 50;

// ECS's rules: at most 50 tags, keys 1-128 characters, values at most 256, the
// "aws:" prefix reserved, no key twice. Throws InvalidParameterException.
void ValidateTags(const std::vector<storage::Tag>& tags);

// Tags between the wire's [{key, value}] and records; `member` of `in`
// (absent: none).
std::vector<storage::Tag> ReadEcsTags(const nlohmann::json& in, const char* member = "tags");
nlohmann::json EcsTagsJson(const std::vector<storage::Tag>& tags);

class TagService {
 public:
  explicit TagService(storage::Database& database) : database_(database) {}

  std::vector<storage::Tag> List(const aws::RequestContext& context, const std::string& arn);
  void Tag(const aws::RequestContext& context, const std::string& arn,
           const std::vector<storage::Tag>& tags);
  void Untag(const aws::RequestContext& context, const std::string& arn,
             const std::vector<std::string>& keys);

 private:
  // Throws unless `arn` names an existing taggable resource of the caller.
  void RequireResource(storage::Db& db, const aws::RequestContext& context, const std::string& arn);
  storage::Database& database_;
};

}  // namespace berth::ecs
