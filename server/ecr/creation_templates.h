#pragma once

// ECR repository creation templates: their rules and storage per registry
// (a template is kept as the RepositoryCreationTemplate document the API
// serves), the matcher (templates whose appliedFor lists the scenario; the
// longest prefix covering the name wins, ROOT only when none does), and the
// creation of a repository from the matching template for the scenarios in
// which ECR creates repositories on the caller's behalf: PULL_THROUGH_CACHE,
// CREATE_ON_PUSH and REPLICATION.
//
// Thread-safety: every method may be called from any thread.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/ecr/ecr_service.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecr {

inline constexpr std::string_view kPullThroughCache = "PULL_THROUGH_CACHE";
inline constexpr std::string_view kCreateOnPush = "CREATE_ON_PUSH";
inline constexpr std::string_view kReplication = "REPLICATION";

// Why a repository could not be made from a template (the template asks for
// resource tags or KMS without a customRoleArn, or its settings are refused).
class TemplateCreationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CreationTemplates {
 public:
  CreationTemplates(storage::Database& database, EcrService& ecr)
      : database_(database), ecr_(ecr) {}

  // The API operations. `in` is the (model-validated) request; each returns
  // the RepositoryCreationTemplate document. Throw ECR's errors.
  nlohmann::json Create(const storage::Partition& registry, const nlohmann::json& in, double now);
  // The named templates that exist (unknown prefixes are left out), or all.
  std::vector<nlohmann::json> Describe(const storage::Partition& registry,
                                       const std::vector<std::string>& prefixes);
  nlohmann::json Update(const storage::Partition& registry, const nlohmann::json& in, double now);
  nlohmann::json Delete(const storage::Partition& registry, const std::string& prefix);

  // The template that applies to creating `name` for `applied_for`, if any.
  std::optional<nlohmann::json> Match(const storage::Partition& registry, const std::string& name,
                                      std::string_view applied_for);

  // Creates the repository `name` as ECR does for `applied_for`: from the
  // matching template, or (PULL_THROUGH_CACHE only) with the defaults when
  // none matches. Returns false when no template allows the creation
  // (CREATE_ON_PUSH, REPLICATION); true when the repository was created or
  // already exists. Throws TemplateCreationError when the template's
  // settings cannot be applied.
  bool CreateFromTemplate(const storage::Partition& registry, const std::string& name,
                          std::string_view applied_for, double now);

 private:
  storage::Database& database_;
  EcrService& ecr_;
};

}  // namespace berth::ecr
