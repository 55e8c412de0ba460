#include "server/ecr/blob_mounting.h"

#include "storage/ecr_store.h"
#include "storage/image_store.h"
#include "storage/pull_through_store.h"
#include "storage/registry_settings_store.h"

namespace berth::ecr {

bool MountBlob(storage::Database& database, UploadService& uploads,
               const storage::Partition& registry, const storage::RepositoryRecord& to,
               const std::string& from, const std::string& digest, double now) {
  int64_t source_id = 0;
  {
    auto lease = database.Acquire();
    if (storage::RegistrySettingsStore(lease.db(), registry)
            .AccountSetting(kBlobMountingSetting)
            .value_or("DISABLED") != kBlobMountingEnabled) {
      return false;
    }
    const auto source = storage::EcrStore(lease.db(), registry).FindRepository(from);
    if (!source || source->id == to.id) return false;
    if (source->encryption_type != to.encryption_type || source->kms_key != to.kms_key) {
      return false;
    }
    if (storage::PullThroughStore(lease.db(), registry).HoldsPullThroughImages(source->id)) {
      return false;
    }
    if (!storage::ImageStore(lease.db()).IsReferenced(source->id, digest)) return false;
    source_id = source->id;
  }
  // Mount checks that the source holds the bytes.
  return uploads.Mount(to.id, source_id, digest, now);
}

}  // namespace berth::ecr
