#include "server/ecs/account_settings.h"

#include <algorithm>
#include <array>

#include "server/ecs/ecs_errors.h"
#include "server/ecs/ecs_names.h"
#include "storage/ecs_settings_store.h"

namespace berth::ecs {
namespace {

// Every setting name ECS knows, the values it accepts and its AWS default.
struct SettingRule {
  std::string_view name;
  std::vector<std::string_view> values;
  std::string_view default_value;
  bool account_default_only;  // only PutAccountSettingDefault may set it
  bool read_only;             // reported, never set (GuardDuty controls it)
};

const std::vector<SettingRule>& Rules() {
  static const std::vector<SettingRule> kRules = {
      {"awsvpcTrunking", {"enabled", "disabled"}, "disabled", false, false},
      {"containerInsights", {"enabled", "disabled", "enhanced"}, "disabled", false, false},
      {"containerInstanceLongArnFormat", {"enabled", "disabled"}, "enabled", false, false},
      {"defaultLogDriverMode", {"blocking", "non-blocking"}, "non-blocking", false, false},
      {"fargateEventWindows", {"enabled", "disabled"}, "disabled", true, false},
      {"fargateFIPSMode", {"enabled", "disabled"}, "disabled", true, false},
      {"fargateTaskRetirementWaitPeriod", {"0", "7", "14"}, "7", true, false},
      {"guardDutyActivate", {"on", "off"}, "off", false, true},
      {"serviceLongArnFormat", {"enabled", "disabled"}, "enabled", false, false},
      {"tagResourceAuthorization", {"on", "off"}, "on", false, false},
      {"taskLongArnFormat", {"enabled", "disabled"}, "enabled", false, false},
  };
  return kRules;
}

const SettingRule& RuleFor(const std::string& name) {
  const auto& rules = Rules();
  const auto it = std::find_if(rules.begin(), rules.end(),
                               [&](const SettingRule& r) { return r.name == name; });
  if (it == rules.end()) throw InvalidParameterException("Unknown account setting: " + name);
  return *it;
}

void ValidateValue(const SettingRule& rule, const std::string& value) {
  if (std::find(rule.values.begin(), rule.values.end(), value) != rule.values.end()) return;
  std::string allowed;
  for (const auto v : rule.values) allowed += (allowed.empty() ? "" : ", ") + std::string(v);
  throw InvalidParameterException("The value for " + std::string(rule.name) +
                                  " must be one of: " + allowed + ".");
}

// Throws unless `principal` is an IAM ARN (user, role or the account root).
void ValidatePrincipal(const std::string& principal) {
  if (!principal.starts_with("arn:") || principal.find(":iam::") == std::string::npos) {
    throw InvalidParameterException(
        "principalArn must be the ARN of an IAM user, role or the "
        "account root.");
  }
}

}  // namespace

AccountSetting AccountSettingsService::Put(const aws::RequestContext& context,
                                           const std::string& name, const std::string& value,
                                           const std::optional<std::string>& principal_arn) {
  const SettingRule& rule = RuleFor(name);
  if (rule.read_only) {
    throw InvalidParameterException("The " + name + " setting is read-only.");
  }
  ValidateValue(rule, value);
  const std::string root = RootPrincipalArn(context);
  const std::string principal = principal_arn.value_or(root);
  if (rule.account_default_only && principal != root) {
    throw InvalidParameterException("The " + name +
                                    " setting can only be set as the account default.");
  }
  ValidatePrincipal(principal);
  auto lease = database_.Acquire();
  storage::EcsSettingsStore(lease.db(), PartitionOf(context)).PutSetting({principal, name, value});
  return {name, value, principal, "user"};
}

AccountSetting AccountSettingsService::PutDefault(const aws::RequestContext& context,
                                                  const std::string& name,
                                                  const std::string& value) {
  return Put(context, name, value, RootPrincipalArn(context));
}

std::string AccountSettingsService::Effective(const aws::RequestContext& context,
                                              const std::string& name) {
  const SettingRule& rule = RuleFor(name);
  auto lease = database_.Acquire();
  auto stored = storage::EcsSettingsStore(lease.db(), PartitionOf(context))
                    .GetSetting(RootPrincipalArn(context), name);
  return stored.value_or(std::string(rule.default_value));
}

AccountSetting AccountSettingsService::Delete(const aws::RequestContext& context,
                                              const std::string& name,
                                              const std::optional<std::string>& principal_arn) {
  const SettingRule& rule = RuleFor(name);
  const std::string principal = principal_arn.value_or(RootPrincipalArn(context));
  ValidatePrincipal(principal);
  auto lease = database_.Acquire();
  storage::EcsSettingsStore store(lease.db(), PartitionOf(context));
  if (auto stored = store.GetSetting(principal, name)) {
    store.DeleteSetting(principal, name);
    return {name, *stored, principal, "user"};
  }
  return {name, std::string(rule.default_value), principal, "aws_managed"};
}

std::vector<AccountSetting> AccountSettingsService::List(
    const aws::RequestContext& context, const std::optional<std::string>& name,
    const std::optional<std::string>& value, const std::optional<std::string>& principal_arn,
    bool effective) {
  if (value && !name) {
    throw InvalidParameterException("A setting name must be specified with a setting value.");
  }
  const std::string root = RootPrincipalArn(context);
  const std::string principal = principal_arn.value_or(root);
  auto lease = database_.Acquire();
  storage::EcsSettingsStore store(lease.db(), PartitionOf(context));
  std::vector<AccountSetting> out;
  for (const auto& rule : Rules()) {
    const std::string rule_name(rule.name);
    if (name && *name != rule_name) continue;
    std::optional<AccountSetting> setting;
    if (auto own = store.GetSetting(principal, rule_name)) {
      setting = AccountSetting{rule_name, *own, principal, "user"};
    } else if (effective) {
      if (auto account_default = store.GetSetting(root, rule_name)) {
        setting = AccountSetting{rule_name, *account_default, root, "user"};
      } else {
        setting = AccountSetting{rule_name, std::string(rule.default_value), root, "aws_managed"};
      }
    }
    if (!setting || (value && setting->value != *value)) continue;
    out.push_back(std::move(*setting));
  }
  return out;
}

}  // namespace berth::ecs
