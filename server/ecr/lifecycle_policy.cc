#include "server/ecr/lifecycle_policy.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace berth::ecr {
namespace {

using nlohmann::json;

[[noreturn]] void Fail(const std::string& detail) { throw LifecyclePolicyError(detail); }

void CheckProperties(const json& object, const std::string& where,
                     std::initializer_list<std::string_view> allowed,
                     std::initializer_list<std::string_view> required) {
  std::vector<std::string> missing;
  for (const auto key : required) {
    if (!object.contains(key)) missing.push_back("\"" + std::string(key) + "\"");
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ",") + m;
    Fail(where + "object has missing required properties ([" + list + "])");
  }
  std::vector<std::string> extra;
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      extra.push_back("\"" + key + "\"");
    }
  }
  if (!extra.empty()) {
    std::string list;
    for (const auto& e : extra) list += (list.empty() ? "" : ",") + e;
    Fail(where + "object instance has properties which are not allowed by the schema: [" + list +
         "]");
  }
}

std::string EnumValue(const json& value, const std::string& where,
                      std::initializer_list<std::string_view> allowed) {
  if (!value.is_string())
    Fail(where + "instance type (" + value.type_name() +
         ") does not match any allowed primitive type ([\"string\"])");
  const auto& text = value.get_ref<const std::string&>();
  if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
    std::string list;
    for (const auto a : allowed) list += (list.empty() ? "\"" : ",\"") + std::string(a) + "\"";
    Fail(where + "instance value (\"" + text + "\") not found in enum (possible values: [" + list +
         "])");
  }
  return text;
}

int64_t PositiveInteger(const json& value, const std::string& where) {
  if (!value.is_number_integer()) {
    Fail(where + "instance type (" + std::string(value.type_name()) +
         ") does not match any allowed primitive type ([\"integer\"])");
  }
  const auto number = value.get<int64_t>();
  if (number < 1)
    Fail(where + "numeric instance is lower than the required minimum (minimum: 1, found: " +
         std::to_string(number) + ")");
  return number;
}

std::vector<std::string> StringList(const json& value, const std::string& where) {
  if (!value.is_array() || value.empty()) Fail(where + "must be a non-empty array of strings");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
      Fail(where + "must be a non-empty array of strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

LifecycleRule ParseRule(const json& r, size_t index) {
  const std::string where = "rules[" + std::to_string(index) + "]: ";
  if (!r.is_object()) Fail(where + "instance type is not an object");
  CheckProperties(r, where, {"rulePriority", "description", "selection", "action"},
                  {"rulePriority", "selection", "action"});
  LifecycleRule rule;
  rule.priority = PositiveInteger(r["rulePriority"], where + "rulePriority: ");
  if (r.contains("description")) {
    if (!r["description"].is_string()) Fail(where + "description: must be a string");
    rule.description = r["description"].get<std::string>();
  }

  const json& s = r["selection"];
  const std::string sel = where + "selection: ";
  if (!s.is_object()) Fail(sel + "instance type is not an object");
  CheckProperties(s, sel,
                  {"tagStatus", "tagPatternList", "tagPrefixList", "storageClass", "countType",
                   "countUnit", "countNumber"},
                  {"tagStatus", "countType", "countNumber"});
  rule.tag_status = EnumValue(s["tagStatus"], sel + "tagStatus: ", {"tagged", "untagged", "any"});
  if (s.contains("tagPatternList"))
    rule.tag_patterns = StringList(s["tagPatternList"], sel + "tagPatternList: ");
  if (s.contains("tagPrefixList"))
    rule.tag_prefixes = StringList(s["tagPrefixList"], sel + "tagPrefixList: ");
  const bool has_filters = s.contains("tagPatternList") || s.contains("tagPrefixList");
  if (rule.tag_status == "tagged" && !has_filters) {
    Fail(sel + "tagPrefixList or tagPatternList is required when tagStatus is tagged");
  }
  if (rule.tag_status != "tagged" && has_filters) {
    Fail(sel + "tagPrefixList and tagPatternList can be used only when tagStatus is tagged");
  }
  if (s.contains("tagPatternList") && s.contains("tagPrefixList")) {
    Fail(sel + "tagPrefixList and tagPatternList cannot be used together");
  }
  for (const auto& pattern : rule.tag_patterns) {
    if (std::count(pattern.begin(), pattern.end(), '*') > 4) {
      Fail(sel + "tagPatternList: a pattern can contain at most 4 wildcards (" + pattern + ")");
    }
  }
  if (s.contains("storageClass")) {
    rule.storage_class =
        EnumValue(s["storageClass"], sel + "storageClass: ", {"standard", "archive"});
  }
  rule.count_type = EnumValue(
      s["countType"], sel + "countType: ",
      {"imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned"});
  const bool since = rule.count_type != "imageCountMoreThan";
  if (since && !s.contains("countUnit"))
    Fail(sel + "countUnit is required when countType is " + rule.count_type);
  if (!since && s.contains("countUnit"))
    Fail(sel + "countUnit cannot be used when countType is imageCountMoreThan");
  if (s.contains("countUnit"))
    rule.count_unit = EnumValue(s["countUnit"], sel + "countUnit: ", {"days"});
  rule.count_number = PositiveInteger(s["countNumber"], sel + "countNumber: ");

  const json& a = r["action"];
  const std::string act = where + "action: ";
  if (!a.is_object()) Fail(act + "instance type is not an object");
  CheckProperties(a, act, {"type", "targetStorageClass"}, {"type"});
  rule.action_type = EnumValue(a["type"], act + "type: ", {"expire", "transition"});
  if (rule.action_type == "transition") {
    if (!a.contains("targetStorageClass"))
      Fail(act + "targetStorageClass is required when type is transition");
    rule.target_storage_class =
        EnumValue(a["targetStorageClass"], act + "targetStorageClass: ", {"archive"});
  } else if (a.contains("targetStorageClass")) {
    Fail(act + "targetStorageClass can be used only when type is transition");
  }
  return rule;
}

}  // namespace

std::vector<LifecycleRule> ParseLifecyclePolicy(std::string_view text) {
  const json policy = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (policy.is_discarded()) Fail("the policy is not valid JSON");
  if (!policy.is_object())
    Fail("instance type (" + std::string(policy.type_name()) +
         ") does not match any allowed primitive type ([\"object\"])");
  CheckProperties(policy, "", {"rules"}, {"rules"});
  const json& rules = policy["rules"];
  if (!rules.is_array() || rules.empty())
    Fail("rules: array is too short: must have at least 1 elements but instance has 0 elements");

  std::vector<LifecycleRule> parsed;
  std::set<int64_t> priorities;
  for (size_t i = 0; i < rules.size(); ++i) {
    LifecycleRule rule = ParseRule(rules[i], i);
    if (!priorities.insert(rule.priority).second) {
      Fail("rulePriority " + std::to_string(rule.priority) + " is used by more than one rule");
    }
    parsed.push_back(std::move(rule));
  }
  std::sort(parsed.begin(), parsed.end(),
            [](const auto& a, const auto& b) { return a.priority < b.priority; });
  const auto untagged = std::count_if(parsed.begin(), parsed.end(),
                                      [](const auto& r) { return r.tag_status == "untagged"; });
  if (untagged > 1) Fail("only one rule can select untagged images");
  for (size_t i = 0; i + 1 < parsed.size(); ++i) {
    if (parsed[i].tag_status == "any") {
      Fail("the rule with tagStatus any must have the highest rulePriority");
    }
  }
  return parsed;
}

}  // namespace berth::ecr
