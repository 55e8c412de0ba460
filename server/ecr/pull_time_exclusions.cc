#include "server/ecr/pull_time_exclusions.h"

#include "server/ecr/registry_settings.h"
#include "storage/registry_settings_store.h"

namespace berth::ecr {
namespace {

// "<partition>|<account>|<role name>" of a role ARN
// (arn:<partition>:iam::<account>:role[/path]/<name>) or of a role session
// (arn:<partition>:sts::<account>:assumed-role/<name>/<session>); empty for
// anything else.
std::string RoleKey(std::string_view arn, std::string_view service, std::string_view kind) {
  if (!arn.starts_with("arn:")) return "";
  const std::string marker = ":" + std::string(service) + "::";
  const auto at = arn.find(marker);
  if (at == std::string_view::npos) return "";
  const std::string_view partition = arn.substr(4, at - 4);
  const std::string_view rest = arn.substr(at + marker.size());  // <account>:<kind>/...
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return "";
  const std::string_view account = rest.substr(0, colon);
  std::string_view resource = rest.substr(colon + 1);
  if (!resource.starts_with(std::string(kind) + "/")) return "";
  resource.remove_prefix(kind.size() + 1);
  std::string_view name;
  if (kind == "role") {
    name = resource.substr(resource.rfind('/') + 1);  // after any path
  } else {
    name = resource.substr(0, resource.find('/'));  // before the session
  }
  if (name.empty()) return "";
  return std::string(partition) + "|" + std::string(account) + "|" + std::string(name);
}

}  // namespace

bool IsExcludedPrincipal(const std::vector<std::string>& exclusions,
                         std::string_view principal_arn) {
  if (principal_arn.empty()) return false;
  const std::string session = RoleKey(principal_arn, "sts", "assumed-role");
  for (const auto& excluded : exclusions) {
    if (excluded == principal_arn) return true;
    if (!session.empty() && RoleKey(excluded, "iam", "role") == session) return true;
  }
  return false;
}

bool RecordsPullBy(storage::Db& db, const storage::Partition& registry,
                   std::string_view principal_arn) {
  if (principal_arn.empty()) return true;
  storage::RegistrySettingsStore store(db, registry);
  std::vector<std::string> exclusions;
  for (auto& record : store.PullTimeExclusions("", RegistrySettings::kMaxPullTimeExclusions)) {
    exclusions.push_back(std::move(record.principal_arn));
  }
  return !IsExcludedPrincipal(exclusions, principal_arn);
}

}  // namespace berth::ecr
