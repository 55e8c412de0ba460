#pragma once

// Resource tags of any ARN (ECR repositories, ECS clusters, task definitions,
// ...). The ARN carries account and region, so tags are partitioned with it.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

class TagStore {
 public:
  explicit TagStore(Db& db) : db_(db) {}

  // Tags in the order they were first added.
  std::vector<Tag> List(std::string_view arn);
  size_t Count(std::string_view arn);
  // Adds the tags; a key that exists gets the new value and keeps its place.
  void Put(std::string_view arn, const std::vector<Tag>& tags);
  // Removes these keys; absent keys are ignored.
  void Remove(std::string_view arn, const std::vector<std::string>& keys);
  void RemoveAll(std::string_view arn);

 private:
  Db& db_;
};

}  // namespace berth::storage
