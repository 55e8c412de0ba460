#pragma once

// ECS task definition revisions and the per-family revision counter, one
// typed function per query. Listing uses keyset pagination on
// (family, revision), so a page costs the same with 100 or 100,000 revisions.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

// Where a listing of revisions resumes: strictly after this key in the order
// being listed.
struct RevisionKey {
  std::string family;
  int64_t revision = 0;
};

class TaskDefinitionStore {
 public:
  TaskDefinitionStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  // The next revision number of `family`: one past the highest it has or
  // ever had (1 for a new family), so never one given before, even when
  // revisions were deleted. Insert that revision in the same transaction
  // (until then, the number is not taken).
  int64_t NextRevision(std::string_view family);
  void Insert(const TaskDefinitionRecord& record);
  std::optional<TaskDefinitionRecord> Find(std::string_view family, int64_t revision);
  // Whether the revision is stored (its document is not read).
  bool Exists(std::string_view family, int64_t revision);
  std::optional<TaskDefinitionRecord> FindLatestActive(std::string_view family);
  void UpdateStatus(std::string_view family, int64_t revision, std::string_view status,
                    std::optional<double> deregistered_at,
                    std::optional<double> delete_requested_at);
  void Delete(std::string_view family, int64_t revision);

  // Revisions with `status` (of one family when `family` is set), ordered by
  // family then revision, ascending or descending, after `after` (exclusive).
  std::vector<RevisionKey> List(std::string_view status, const std::optional<std::string>& family,
                                bool descending, const std::optional<RevisionKey>& after,
                                size_t limit);
  // Revisions of one family with `status`, by revision ascending or
  // descending, after revision `after` (exclusive). Seeks the status index on
  // (family, revision), so a page costs the same however long the family is.
  std::vector<RevisionKey> ListFamilyRevisions(std::string_view status, std::string_view family,
                                               bool descending, std::optional<int64_t> after,
                                               size_t limit);

  enum class FamilyFilter { kActive, kInactive, kAll };
  // Family names starting with `prefix`, ordered, after `after` (exclusive).
  std::vector<std::string> ListFamilies(std::string_view prefix, FamilyFilter filter,
                                        std::string_view after, size_t limit);

 private:
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
