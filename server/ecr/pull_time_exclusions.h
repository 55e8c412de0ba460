#pragma once

// Whether a pull by a principal updates an image's lastRecordedPullTime: not
// when the principal is on the registry's pull-time update exclusion list
// (RegisterPullTimeUpdateExclusion). An exclusion names an IAM user or role;
// a role's sessions (arn:aws:sts::<account>:assumed-role/<name>/<session>,
// e.g. an ECS task's role credentials) are that role, matched by account and
// role name (the session ARN carries no role path).
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

#include "storage/records.h"
#include "storage/sqlite/db.h"

namespace berth::ecr {

// True when `principal_arn` is one of `exclusions` or a session of one.
bool IsExcludedPrincipal(const std::vector<std::string>& exclusions,
                         std::string_view principal_arn);

// True when a pull of an image of `registry` by `principal_arn` is recorded
// (an empty principal always is). Reads the exclusion list through `db`.
bool RecordsPullBy(storage::Db& db, const storage::Partition& registry,
                   std::string_view principal_arn);

}  // namespace berth::ecr
