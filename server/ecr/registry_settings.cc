#include "server/ecr/registry_settings.h"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include "server/aws/pagination.h"
#include "server/ecr/ecr_errors.h"
#include "server/ecr/settings_errors.h"
#include "server/util/log.h"
#include "storage/ecr_store.h"

namespace berth::ecr {
namespace {

using nlohmann::json;
using storage::Partition;

constexpr std::string_view kExclusionListing = "ecr.pull-time-exclusions";

// An account setting: its name, the values it takes (the current model's
// documentation) and the value of a registry that never set it.
struct AccountSettingSpec {
  std::string_view name;
  std::vector<std::string_view> values;
  std::string_view fallback;
};

const std::array<AccountSettingSpec, 3>& AccountSettingSpecs() {
  static const std::array<AccountSettingSpec, 3> specs = {{
      {"BASIC_SCAN_TYPE_VERSION", {"AWS_NATIVE"}, "AWS_NATIVE"},
      {"BLOB_MOUNTING", {"ENABLED", "DISABLED"}, "DISABLED"},
      {"REGISTRY_POLICY_SCOPE", {"V2"}, "V2"},
  }};
  return specs;
}

std::string EnumSet(const std::vector<std::string_view>& values) {
  std::string text = "Member must satisfy enum value set: [";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += ", ";
    text += values[i];
  }
  return text + "]";
}

const AccountSettingSpec& RequireSetting(const std::string& name) {
  const auto& specs = AccountSettingSpecs();
  const auto it = std::find_if(specs.begin(), specs.end(),
                               [&](const AccountSettingSpec& s) { return s.name == name; });
  if (it == specs.end()) {
    std::vector<std::string_view> names;
    for (const auto& s : specs) names.push_back(s.name);
    throw InvalidParameterAt("name", EnumSet(names));
  }
  return *it;
}

bool FilterMatches(const json& rule, const std::string& repository, std::string_view type) {
  if (!rule.contains("repositoryFilters") || rule.at("repositoryFilters").empty()) return true;
  for (const auto& f : rule.at("repositoryFilters")) {
    if (f.value("filterType", "") == type && WildcardMatch(f.value("filter", ""), repository)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string RegistrySettings::GetAccountSetting(const Partition& registry,
                                                const std::string& name) {
  const AccountSettingSpec& spec = RequireSetting(name);
  auto lease = database_.Acquire();
  return storage::RegistrySettingsStore(lease.db(), registry)
      .AccountSetting(name)
      .value_or(std::string(spec.fallback));
}

std::string RegistrySettings::PutAccountSetting(const Partition& registry, const std::string& name,
                                                const std::string& value) {
  const AccountSettingSpec& spec = RequireSetting(name);
  if (std::find(spec.values.begin(), spec.values.end(), value) == spec.values.end()) {
    throw InvalidParameterAt("value", EnumSet(spec.values));
  }
  auto lease = database_.Acquire();
  storage::RegistrySettingsStore(lease.db(), registry).PutAccountSetting(name, value);
  return value;
}

json RegistrySettings::PutSigningConfiguration(const Partition& registry,
                                               const json& configuration) {
  auto lease = database_.Acquire();
  storage::RegistrySettingsStore(lease.db(), registry)
      .PutSigningConfiguration(configuration.dump());
  return configuration;
}

json RegistrySettings::GetSigningConfiguration(const Partition& registry) {
  auto lease = database_.Acquire();
  const auto document = storage::RegistrySettingsStore(lease.db(), registry).SigningConfiguration();
  if (!document) throw SigningConfigurationNotFoundException(registry.account_id);
  return json::parse(*document);
}

json RegistrySettings::DeleteSigningConfiguration(const Partition& registry) {
  auto lease = database_.Acquire();
  storage::RegistrySettingsStore store(lease.db(), registry);
  const auto document = store.SigningConfiguration();
  if (!document) throw SigningConfigurationNotFoundException(registry.account_id);
  store.DeleteSigningConfiguration();
  return json::parse(*document);
}

std::vector<storage::SigningStatusRecord> RegistrySettings::SigningStatuses(
    const Partition& registry, const std::string& repository, const std::string& digest) {
  auto lease = database_.Acquire();
  return storage::RegistrySettingsStore(lease.db(), registry).SigningStatuses(repository, digest);
}

double RegistrySettings::RegisterPullTimeUpdateExclusion(const Partition& registry,
                                                         const std::string& principal_arn,
                                                         double now) {
  auto lease = database_.Acquire();
  storage::Tx tx(lease.db());
  storage::RegistrySettingsStore store(lease.db(), registry);
  if (store.CountPullTimeExclusions() >= static_cast<int64_t>(kMaxPullTimeExclusions)) {
    throw TooManyPullTimeExclusions(registry.account_id);
  }
  if (!store.AddPullTimeExclusion(principal_arn, now)) {
    throw ExclusionAlreadyExistsException(principal_arn, registry.account_id);
  }
  tx.Commit();
  return now;
}

void RegistrySettings::DeregisterPullTimeUpdateExclusion(const Partition& registry,
                                                         const std::string& principal_arn) {
  auto lease = database_.Acquire();
  if (!storage::RegistrySettingsStore(lease.db(), registry)
           .RemovePullTimeExclusion(principal_arn)) {
    throw ExclusionNotFoundException(principal_arn, registry.account_id);
  }
}

ExclusionPage RegistrySettings::ListPullTimeUpdateExclusions(const Partition& registry,
                                                             const std::string& token,
                                                             size_t max_results) {
  std::string after;
  if (!token.empty()) {
    auto key = aws::DecodePageToken(kExclusionListing, token);
    if (!key) throw InvalidParameterAt("nextToken", "Invalid NextToken");
    after = std::move(*key);
  }
  auto lease = database_.Acquire();
  auto records = storage::RegistrySettingsStore(lease.db(), registry)
                     .PullTimeExclusions(after, max_results + 1);
  ExclusionPage page;
  if (records.size() > max_results) {
    records.resize(max_results);
    page.next = aws::EncodePageToken(kExclusionListing, records.back().principal_arn);
  }
  for (auto& r : records) page.principals.push_back(std::move(r.principal_arn));
  return page;
}

std::vector<RepositoryScanning> RegistrySettings::RepositoryScanningConfigurations(
    const Partition& registry, const std::vector<std::string>& names) {
  auto lease = database_.Acquire();
  storage::EcrStore store(lease.db(), registry);
  const auto stored = store.GetRegistry().scanning_configuration;
  const json configuration =
      stored ? json::parse(*stored) : json{{"scanType", "BASIC"}, {"rules", json::array()}};
  const json& rules = configuration.at("rules");
  std::vector<RepositoryScanning> out;
  std::set<std::string> seen;
  for (const auto& name : names) {
    if (!seen.insert(name).second) continue;
    RepositoryScanning scanning;
    scanning.name = name;
    const auto repository = store.FindRepository(name);
    if (!repository) {
      out.push_back(std::move(scanning));
      continue;
    }
    scanning.found = true;
    // The registry's rules decide; the first rule (in order) with a filter
    // matching the name gives the frequency and the filter that applied.
    for (const auto& rule : rules) {
      for (const auto& f : rule.at("repositoryFilters")) {
        if (scanning.filter) break;
        if (WildcardMatch(f.value("filter", ""), name)) {
          scanning.frequency = rule.value("scanFrequency", "MANUAL");
          scanning.filter = f.value("filter", "");
        }
      }
    }
    if (!scanning.filter) {
      // No rule: the repository's own (legacy) scanOnPush, else manual scans.
      scanning.frequency = repository->scan_on_push ? "SCAN_ON_PUSH" : "MANUAL";
    }
    scanning.scan_on_push = repository->scan_on_push || scanning.frequency == "SCAN_ON_PUSH";
    out.push_back(std::move(scanning));
  }
  return out;
}

std::vector<std::string> MatchingSigningProfiles(const std::string& configuration,
                                                 const std::string& repository) {
  std::vector<std::string> profiles;
  const json document = json::parse(configuration, nullptr, false);
  if (!document.is_object() || !document.contains("rules")) return profiles;
  for (const auto& rule : document.at("rules")) {
    if (!FilterMatches(rule, repository, "WILDCARD_MATCH")) continue;
    const std::string profile = rule.value("signingProfileArn", "");
    if (std::find(profiles.begin(), profiles.end(), profile) == profiles.end()) {
      profiles.push_back(profile);
    }
  }
  return profiles;
}

SigningRecorder::SigningRecorder(storage::Database& database, ImageService& images)
    : database_(database), images_(images) {
  images_.AddPushListener(this);
}

SigningRecorder::~SigningRecorder() { images_.RemovePushListener(this); }

void SigningRecorder::ManifestPushed(const Partition& registry, const std::string& repository,
                                     const std::string& digest, const std::string& tag,
                                     double now) noexcept {
  (void)tag;
  (void)now;
  try {
    auto lease = database_.Acquire();
    storage::RegistrySettingsStore store(lease.db(), registry);
    const auto configuration = store.SigningConfiguration();
    if (!configuration) return;
    for (const auto& profile : MatchingSigningProfiles(*configuration, repository)) {
      store.PutSigningStatus(repository, digest,
                             {profile, "FAILED", kSignerUnavailable, kSignerUnavailableReason});
    }
  } catch (const std::exception& e) {
    log::Error("signing status of " + repository + "@" + digest + " not recorded: " + e.what());
  }
}

}  // namespace berth::ecr
