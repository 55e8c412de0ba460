#pragma once

// ECR pull-through cache rules, repository creation templates and the
// upstream check times of cached tags, one typed function per query. Rules
// and templates are keyed by prefix within a partition; a template is kept
// as the JSON document the API serves (only the prefix is a column).
// Knows nothing of AWS error names: absence is an empty optional.
//
// Thread-safety: as the Db it wraps (one thread at a time).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::storage {

// One pull-through cache rule.
struct PullThroughRuleRecord {
  std::string prefix;  // ecrRepositoryPrefix ("ROOT" or lowercase path)
  std::string upstream_url;
  std::string upstream_registry;
  std::optional<std::string> credential_arn;
  std::optional<std::string> custom_role_arn;
  std::optional<std::string> upstream_prefix;
  double created_at = 0;
  double updated_at = 0;
};

// One repository creation template: its prefix and the API document.
struct CreationTemplateRecord {
  std::string prefix;
  std::string document;  // JSON object (RepositoryCreationTemplate members)
  double created_at = 0;
  double updated_at = 0;
};

class PullThroughStore {
 public:
  PullThroughStore(Db& db, Partition partition) : db_(db), partition_(std::move(partition)) {}

  // False when a rule with that prefix exists already.
  bool InsertRule(const PullThroughRuleRecord& rule);
  std::optional<PullThroughRuleRecord> FindRule(std::string_view prefix);
  // Every rule of the partition, ordered by prefix.
  std::vector<PullThroughRuleRecord> ListRules();
  int64_t CountRules();
  void UpdateRuleCredentials(std::string_view prefix, const std::optional<std::string>& credential,
                             const std::optional<std::string>& role, double now);
  void DeleteRule(std::string_view prefix);

  // False when a template with that prefix exists already.
  bool InsertTemplate(const CreationTemplateRecord& record);
  std::optional<CreationTemplateRecord> FindTemplate(std::string_view prefix);
  // Every template of the partition, ordered by prefix.
  std::vector<CreationTemplateRecord> ListTemplates();
  void UpdateTemplate(std::string_view prefix, std::string_view document, double now);
  void DeleteTemplate(std::string_view prefix);

  // When the tag of a pull-through repository was last checked upstream.
  std::optional<double> TagCheckedAt(int64_t repository_id, std::string_view tag);
  void SetTagChecked(int64_t repository_id, std::string_view tag, double now);
  // Whether the pull-through cache imported anything into the repository.
  bool HoldsPullThroughImages(int64_t repository_id);

 private:
  Db& db_;
  Partition partition_;
};

}  // namespace berth::storage
