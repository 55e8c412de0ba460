#pragma once

// ECR's rule for cross-repository blob mounts (`POST /v2/<name>/blobs/
// uploads/?mount=<digest>&from=<other>`): a mount happens only when the
// registry's BLOB_MOUNTING account setting is ENABLED (ECR's default is
// DISABLED), `from` is a repository of the same registry (account and
// region) whose images reference the blob and hold it locally, the source's
// images were not created by the pull-through cache, and both repositories
// have the same encryption (type and KMS key). Otherwise the caller starts
// a normal upload session (202), as the registry protocol says.
//
// Thread-safety: any thread (each call leases the database).

#include <string>

#include "server/ecr/upload_service.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecr {

// The account setting's name and the value that turns mounts on.
inline constexpr std::string_view kBlobMountingSetting = "BLOB_MOUNTING";
inline constexpr std::string_view kBlobMountingEnabled = "ENABLED";

// Links `digest` from repository `from` into `to` when the rule above allows
// it; returns whether it did. Never throws for a refused mount.
bool MountBlob(storage::Database& database, UploadService& uploads,
               const storage::Partition& registry, const storage::RepositoryRecord& to,
               const std::string& from, const std::string& digest, double now);

}  // namespace berth::ecr
