#include "server/aws/service_api.h"

namespace berth::aws {
namespace {

constexpr std::string_view kMemberPrefix = "Member ";
constexpr std::string_view kEnumPrefix = "must satisfy enum value set";
constexpr std::string_view kPatternPrefix = "must satisfy regular expression pattern: ";

std::string RenderValue(const ValidationIssue& issue) {
  if (issue.value == "null") return "null";
  return "'" + issue.value + "'";
}

}  // namespace

std::string CoralValidationMessage(const ValidationIssue& issue) {
  return "1 validation error detected: Value " + RenderValue(issue) + " at '" + issue.path +
         "' failed to satisfy constraint: " + issue.constraint;
}

std::string EcrValidationMessage(const ValidationIssue& issue) {
  std::string_view constraint = issue.constraint;
  // ECR keeps Coral's "Member must satisfy enum value set: [...]" for enums
  // and drops "Member" elsewhere.
  if (constraint.starts_with(kMemberPrefix) &&
      !constraint.substr(kMemberPrefix.size()).starts_with(kEnumPrefix)) {
    constraint.remove_prefix(kMemberPrefix.size());
  }
  std::string text;
  if (constraint.starts_with(kPatternPrefix)) {
    text = "must satisfy regular expression '" +
           std::string(constraint.substr(kPatternPrefix.size())) + "'";
  } else {
    text = std::string(constraint);
  }
  return "Invalid parameter at '" + issue.path + "' failed to satisfy constraint: '" + text + "'";
}

}  // namespace berth::aws
