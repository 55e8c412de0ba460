#pragma once

// ECR's registry-wide account surface beyond policies and replication:
// account settings (BASIC_SCAN_TYPE_VERSION, REGISTRY_POLICY_SCOPE,
// BLOB_MOUNTING), the managed-signing configuration and the signing status
// it gives each push, pull-time update exclusions, and the scanning
// configuration each repository ends up with (registry rules plus its own
// scanOnPush). Validates what the model cannot and throws ECR's errors.
//
// Berth runs no AWS Signer: a push matching a signing rule records, per
// signing profile, a FAILED status with failure code kSignerUnavailable
// (never a COMPLETE signature that does not exist).
//
// Thread-safety: every method may be called from any thread (one database
// lease per call).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/ecr/image_service.h"
#include "storage/database.h"
#include "storage/records.h"
#include "storage/registry_settings_store.h"

namespace berth::ecr {

inline constexpr const char* kSignerUnavailable = "SignerUnavailable";
inline constexpr const char* kSignerUnavailableReason =
    "Berth does not run AWS Signer, so the image was not signed";

// One page of pull-time exclusions; `next` is an opaque token, empty on the
// last page.
struct ExclusionPage {
  std::vector<std::string> principals;
  std::string next;
};

// A repository's effective scanning configuration, or why there is none.
struct RepositoryScanning {
  std::string name;
  bool found = false;
  bool scan_on_push = false;
  std::string frequency;              // SCAN_ON_PUSH, CONTINUOUS_SCAN, MANUAL
  std::optional<std::string> filter;  // the registry filter that applied
};

class RegistrySettings {
 public:
  static constexpr size_t kMaxPullTimeExclusions = 100;

  explicit RegistrySettings(storage::Database& database) : database_(database) {}

  // The stored value, or the setting's default. InvalidParameterException for
  // an unknown name.
  std::string GetAccountSetting(const storage::Partition& registry, const std::string& name);
  // InvalidParameterException for an unknown name or a value the name does
  // not take.
  std::string PutAccountSetting(const storage::Partition& registry, const std::string& name,
                                const std::string& value);

  // Stores {rules} and returns it.
  nlohmann::json PutSigningConfiguration(const storage::Partition& registry,
                                         const nlohmann::json& configuration);
  // SigningConfigurationNotFoundException when none is set.
  nlohmann::json GetSigningConfiguration(const storage::Partition& registry);
  // Removes and returns it; SigningConfigurationNotFoundException when none.
  nlohmann::json DeleteSigningConfiguration(const storage::Partition& registry);
  std::vector<storage::SigningStatusRecord> SigningStatuses(const storage::Partition& registry,
                                                            const std::string& repository,
                                                            const std::string& digest);

  // ExclusionAlreadyExistsException, LimitExceededException.
  double RegisterPullTimeUpdateExclusion(const storage::Partition& registry,
                                         const std::string& principal_arn, double now);
  // ExclusionNotFoundException.
  void DeregisterPullTimeUpdateExclusion(const storage::Partition& registry,
                                         const std::string& principal_arn);
  // InvalidParameterException for a token this listing did not make.
  ExclusionPage ListPullTimeUpdateExclusions(const storage::Partition& registry,
                                             const std::string& token, size_t max_results);

  // Each name once, in the order given.
  std::vector<RepositoryScanning> RepositoryScanningConfigurations(
      const storage::Partition& registry, const std::vector<std::string>& names);

 private:
  storage::Database& database_;
};

// Records each push's signing statuses (see RegistrySettings).
class SigningRecorder final : public PushListener {
 public:
  SigningRecorder(storage::Database& database, ImageService& images);
  SigningRecorder(const SigningRecorder&) = delete;
  SigningRecorder& operator=(const SigningRecorder&) = delete;
  ~SigningRecorder() override;

  void ManifestPushed(const storage::Partition& registry, const std::string& repository,
                      const std::string& digest, const std::string& tag,
                      double now) noexcept override;

 private:
  storage::Database& database_;
  ImageService& images_;
};

// The signing profiles of a signing configuration (JSON text) whose rules
// match `repository`: rules with no filters match every repository, else a
// WILDCARD_MATCH filter must match the whole name ('*' = any run).
std::vector<std::string> MatchingSigningProfiles(const std::string& configuration,
                                                 const std::string& repository);

}  // namespace berth::ecr
