#pragma once

// ECR lifecycle policies at work: evaluates each repository's policy
// (EvaluateLifecycle) and applies it -- expiring images through the same
// path as BatchDeleteImage, archiving those a `transition` rule names --,
// answers lifecycle policy previews, and moves images between the STANDARD
// and ARCHIVE storage classes (UpdateImageStorageClass, restores finishing
// after LifecycleOptions::restore_seconds).
//
// When evaluation runs: on its own worker thread, for every repository with
// a policy at start and every `period_seconds`, and for one repository soon
// after each push to it (ImageService's push observer pokes it) or a new
// policy. Evaluation reads a repository's images under one short lease,
// computes without the lease, and applies in batches of `batch` images, each
// under its own lease and re-checked there, so API requests wait at most for
// one batch. Time comes from the injected Clock only (tests move it).
//
// Thread-safety: every public method may be called from any thread; the
// worker is the only thread that evaluates (tests without Start() call
// RunPending themselves).

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/ecr/image_service.h"
#include "server/util/clock.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecr {

struct LifecycleOptions {
  double period_seconds = 300;  // every policy is evaluated this often
  double restore_seconds = 1;   // how long an archived image stays ACTIVATING
  size_t batch = 100;           // images changed under one lease
};

// One image a preview says the policy acts on.
struct PreviewImage {
  std::string digest;
  std::vector<std::string> tags;
  double pushed_at = 0;
  int64_t rule_priority = 0;
  bool transition = false;  // to ARCHIVE; otherwise EXPIRE
  bool archived = false;    // the image's storage class is ARCHIVE
};

// A repository's lifecycle policy preview.
struct Preview {
  std::string policy_text;
  std::string status;                // IN_PROGRESS, COMPLETE, FAILED
  std::vector<PreviewImage> images;  // once COMPLETE; oldest first
};

class LifecycleService {
 public:
  LifecycleService(storage::Database& database, ImageService& images, const Clock& clock,
                   LifecycleOptions options = {});
  LifecycleService(const LifecycleService&) = delete;
  LifecycleService& operator=(const LifecycleService&) = delete;
  ~LifecycleService();

  // Starts the worker thread (once); Stop() (or the destructor) joins it.
  void Start();
  void Stop();

  // Queues an evaluation of the repository (cheap; any thread).
  void Poke(int64_t repository_id);
  // The same by name (after PutLifecyclePolicy); quiet for an unknown one.
  void Poke(const storage::Partition& registry, const std::string& repository);

  // Does what is due now on the calling thread: the periodic evaluation of
  // every policy, queued evaluations, previews in progress, restores.
  void RunPending();
  // Evaluates and applies one repository's policy now; returns how many
  // images were expired or archived. Quiet when it has no policy.
  size_t EvaluateRepository(int64_t repository_id);

  // StartLifecyclePolicyPreview: the text previewed (the stored policy when
  // `policy_text` is absent) and the status (IN_PROGRESS). Throws
  // RepositoryNotFoundException, LifecyclePolicyNotFoundException,
  // LifecyclePolicyPreviewInProgressException, InvalidParameterException.
  Preview StartPreview(const storage::Partition& registry, const std::string& repository,
                       const std::optional<std::string>& policy_text);
  // GetLifecyclePolicyPreview. Throws RepositoryNotFoundException,
  // LifecyclePolicyPreviewNotFoundException.
  Preview GetPreview(const storage::Partition& registry, const std::string& repository);

  // UpdateImageStorageClass (`target` STANDARD or ARCHIVE): the new
  // imageStatus. Throws ImageError as ImageService::UpdateStorageClass.
  StorageClassChange UpdateStorageClass(const storage::Partition& registry,
                                        const std::string& repository, const ImageId& id,
                                        const std::string& target);

  const Clock& clock() const { return clock_; }

 private:
  void WorkerLoop();
  void ComputePreview(int64_t repository_id);
  int64_t RequireRepositoryId(const storage::Partition& registry, const std::string& name);

  storage::Database& database_;
  ImageService& images_;
  const Clock& clock_;
  const LifecycleOptions options_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::set<int64_t> queued_;          // guarded by mutex_
  bool previews_queued_ = true;       // guarded by mutex_
  std::optional<double> next_sweep_;  // guarded by mutex_; clock time of the next full pass
  bool stopping_ = false;             // guarded by mutex_
  std::thread thread_;
};

}  // namespace berth::ecr
