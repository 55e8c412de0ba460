#include "server/ecr/policy_document.h"

#include <nlohmann/json.hpp>

namespace berth::ecr {
namespace {

using nlohmann::json;

bool IsStringOrStringList(const json& value) {
  if (value.is_string()) return !value.get_ref<const std::string&>().empty();
  if (!value.is_array() || value.empty()) return false;
  for (const auto& item : value) {
    if (!item.is_string()) return false;
  }
  return true;
}

bool IsPrincipal(const json& value) {
  if (value.is_string()) return value == "*";
  if (!value.is_object() || value.empty()) return false;
  for (const auto& [kind, ids] : value.items()) {
    if (kind != "AWS" && kind != "Service" && kind != "Federated" && kind != "CanonicalUser") {
      return false;
    }
    if (!IsStringOrStringList(ids)) return false;
  }
  return true;
}

bool IsStatement(const json& s) {
  if (!s.is_object()) return false;
  for (const auto& [key, value] : s.items()) {
    if (key != "Sid" && key != "Effect" && key != "Principal" && key != "NotPrincipal" &&
        key != "Action" && key != "NotAction" && key != "Resource" && key != "NotResource" &&
        key != "Condition") {
      return false;
    }
  }
  if (s.contains("Sid") && !s["Sid"].is_string()) return false;
  if (!s.contains("Effect") || (s["Effect"] != "Allow" && s["Effect"] != "Deny")) return false;
  const bool principal = s.contains("Principal");
  const bool not_principal = s.contains("NotPrincipal");
  if (principal == not_principal) return false;
  if (!IsPrincipal(principal ? s["Principal"] : s["NotPrincipal"])) return false;
  const bool action = s.contains("Action");
  const bool not_action = s.contains("NotAction");
  if (action == not_action) return false;
  if (!IsStringOrStringList(action ? s["Action"] : s["NotAction"])) return false;
  for (const char* key : {"Resource", "NotResource"}) {
    if (s.contains(key) && !IsStringOrStringList(s[key])) return false;
  }
  if (s.contains("Condition") && !s["Condition"].is_object()) return false;
  return true;
}

}  // namespace

bool IsValidResourcePolicy(std::string_view text) {
  const json policy = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!policy.is_object()) return false;
  for (const auto& [key, value] : policy.items()) {
    if (key != "Version" && key != "Id" && key != "Statement") return false;
  }
  if (policy.contains("Version") && policy["Version"] != "2012-10-17" &&
      policy["Version"] != "2008-10-17") {
    return false;
  }
  if (!policy.contains("Statement")) return false;
  const json& statements = policy["Statement"];
  if (statements.is_array()) {
    if (statements.empty()) return false;
    for (const auto& s : statements) {
      if (!IsStatement(s)) return false;
    }
    return true;
  }
  return IsStatement(statements);
}

}  // namespace berth::ecr
