#pragma once

// ECS account settings: the value in force for a principal is its own
// setting, else the account default (stored under the root principal), else
// the AWS default this file knows for each setting name.
//
// Thread-safety: every method may be called from any thread.

#include <optional>
#include <string>
#include <vector>

#include "server/aws/request_context.h"
#include "storage/database.h"

namespace berth::ecs {

struct AccountSetting {
  std::string name;
  std::string value;
  std::string principal_arn;
  std::string type;  // user, aws_managed
};

class AccountSettingsService {
 public:
  explicit AccountSettingsService(storage::Database& database) : database_(database) {}

  // Sets `name` for `principal_arn` (the caller's root when empty).
  AccountSetting Put(const aws::RequestContext& context, const std::string& name,
                     const std::string& value, const std::optional<std::string>& principal_arn);
  // Sets the account default.
  AccountSetting PutDefault(const aws::RequestContext& context, const std::string& name,
                            const std::string& value);
  // Removes the principal's setting; returns what was removed (or, when
  // nothing was set, the value now in force).
  AccountSetting Delete(const aws::RequestContext& context, const std::string& name,
                        const std::optional<std::string>& principal_arn);
  // Settings of a principal: those it set, or with `effective` every setting
  // with the value in force. Optional name/value filters apply.
  std::vector<AccountSetting> List(const aws::RequestContext& context,
                                   const std::optional<std::string>& name,
                                   const std::optional<std::string>& value,
                                   const std::optional<std::string>& principal_arn, bool effective);
  // The value in force for the root principal.
  std::string Effective(const aws::RequestContext& context, const std::string& name);

 private:
  storage::Database& database_;
};

}  // namespace berth::ecs
