#include "server/ecr/lifecycle_service.h"

#include <algorithm>
#include <chrono>
#include <exception>

#include <nlohmann/json.hpp>

#include "server/ecr/ecr_errors.h"
#include "server/ecr/image_error.h"
#include "server/ecr/lifecycle_errors.h"
#include "server/ecr/lifecycle_evaluator.h"
#include "server/ecr/lifecycle_policy.h"
#include "server/util/log.h"
#include "storage/ecr_store.h"
#include "storage/image_store.h"
#include "storage/lifecycle_store.h"

namespace berth::ecr {
namespace {

using nlohmann::json;
using storage::LifecycleCandidate;
using storage::LifecycleStore;

// The stored form of a preview's results (internal names; the API shapes
// the reply).
json ResultsJson(const std::vector<LifecycleAction>& actions,
                 const std::vector<LifecycleCandidate>& images) {
  json out = json::array();
  for (const auto& action : actions) {
    const LifecycleCandidate& image = images[action.image];
    out.push_back({{"digest", image.digest},
                   {"tags", image.tags},
                   {"pushed_at", image.pushed_at},
                   {"priority", action.rule_priority},
                   {"transition", action.transition},
                   {"archived", image.image_status != "ACTIVE"}});
  }
  return out;
}

std::vector<PreviewImage> ReadResults(const std::string& text) {
  std::vector<PreviewImage> out;
  for (const auto& r : json::parse(text)) {
    out.push_back({r.at("digest").get<std::string>(), r.at("tags").get<std::vector<std::string>>(),
                   r.at("pushed_at").get<double>(), r.at("priority").get<int64_t>(),
                   r.at("transition").get<bool>(), r.at("archived").get<bool>()});
  }
  return out;
}

}  // namespace

LifecycleService::LifecycleService(storage::Database& database, ImageService& images,
                                   const Clock& clock, LifecycleOptions options)
    : database_(database), images_(images), clock_(clock), options_(options) {}

LifecycleService::~LifecycleService() { Stop(); }

void LifecycleService::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { WorkerLoop(); });
}

void LifecycleService::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LifecycleService::Poke(int64_t repository_id) {
  {
    std::lock_guard lock(mutex_);
    queued_.insert(repository_id);
  }
  wake_.notify_all();
}

void LifecycleService::Poke(const storage::Partition& registry, const std::string& repository) {
  std::optional<storage::RepositoryRecord> record;
  {
    auto lease = database_.Acquire();
    record = storage::EcrStore(lease.db(), registry).FindRepository(repository);
  }
  if (record) Poke(record->id);
}

void LifecycleService::WorkerLoop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    RunPending();
    std::optional<double> restore;
    try {
      restore = images_.NextRestore();
    } catch (const std::exception& e) {  // a thread entry point catches everything
      log::Error(std::string("lifecycle: ") + e.what());
    }
    lock.lock();
    if (stopping_ || !queued_.empty() || previews_queued_) continue;
    const double now = clock_.Now();
    double wait = next_sweep_ ? *next_sweep_ - now : 0;
    if (restore) wait = std::min(wait, *restore - now);
    wait = std::clamp(wait, 0.01, options_.period_seconds);
    wake_.wait_for(lock, std::chrono::duration<double>(wait),
                   [this] { return stopping_ || !queued_.empty() || previews_queued_; });
  }
}

void LifecycleService::RunPending() {
  try {
    const double now = clock_.Now();
    std::set<int64_t> work;
    bool sweep = false;
    bool previews = false;
    {
      std::lock_guard lock(mutex_);
      if (!next_sweep_ || now >= *next_sweep_) {
        sweep = true;
        next_sweep_ = now + options_.period_seconds;
      }
      work.swap(queued_);
      previews = previews_queued_;
      previews_queued_ = false;
    }
    if (sweep) {
      auto lease = database_.Acquire();
      for (const auto& repository : LifecycleStore(lease.db()).RepositoriesWithPolicy()) {
        work.insert(repository.id);
      }
    }
    for (const int64_t id : work) {
      try {
        EvaluateRepository(id);
      } catch (const std::exception& e) {  // one repository's failure stays with it
        log::Error("lifecycle: evaluating repository " + std::to_string(id) + ": " + e.what());
      }
    }
    if (previews) {
      std::vector<int64_t> ids;
      {
        auto lease = database_.Acquire();
        ids = LifecycleStore(lease.db()).PreviewsInProgress();
      }
      for (const int64_t id : ids) ComputePreview(id);
    }
    images_.FinishRestores(clock_.Now());
  } catch (const std::exception& e) {  // runs on the worker thread: catch everything
    log::Error(std::string("lifecycle: ") + e.what());
  }
}

size_t LifecycleService::EvaluateRepository(int64_t repository_id) {
  std::optional<std::string> policy;
  std::vector<LifecycleCandidate> images;
  {
    auto lease = database_.Acquire();
    LifecycleStore store(lease.db());
    policy = store.Policy(repository_id);
    if (!policy) return 0;
    images = store.Candidates(repository_id);
  }
  std::vector<LifecycleRule> rules;
  try {
    rules = ParseLifecyclePolicy(*policy);
  } catch (const LifecyclePolicyError& e) {  // stored policies were validated; be safe
    log::Warn(std::string("lifecycle: repository policy is invalid: ") + e.what());
    return 0;
  }
  const double now = clock_.Now();
  const std::vector<LifecycleAction> actions = EvaluateLifecycle(rules, images, now);

  size_t expired = 0;
  size_t archived = 0;
  for (size_t start = 0; start < actions.size(); start += options_.batch) {
    const size_t end = std::min(actions.size(), start + options_.batch);
    auto lease = database_.Acquire();
    storage::Tx tx(lease.db());
    storage::ImageStore store(lease.db());
    DoomedBlobs doomed;
    for (size_t n = start; n < end; ++n) {
      const LifecycleCandidate& image = images[actions[n].image];
      // Act only on the image as it was evaluated (a push or retag since
      // then waits for the next evaluation).
      const auto current = store.FindImage(repository_id, image.digest);
      if (!current || current->image_status != image.image_status || current->tags != image.tags ||
          current->pushed_at != image.pushed_at) {
        continue;
      }
      if (actions[n].transition) {
        if (store.IsReferenced(repository_id, image.digest)) continue;
        store.ArchiveImage(repository_id, image.digest, now);
        ++archived;
        continue;
      }
      try {
        images_.DeleteImage(lease.db(), repository_id, image.digest, std::nullopt, now, doomed);
        ++expired;
      } catch (const ImageError& e) {
        if (e.kind() != ImageError::Kind::kReferencedByIndex) throw;
      }
    }
    tx.Commit();
    images_.RemoveFiles(doomed);
  }
  {
    auto lease = database_.Acquire();
    LifecycleStore(lease.db()).StampEvaluated(repository_id, now);
  }
  if (expired + archived > 0) {
    log::Info("lifecycle: repository " + std::to_string(repository_id) + ": expired " +
              std::to_string(expired) + ", archived " + std::to_string(archived) + " images");
  }
  return expired + archived;
}

int64_t LifecycleService::RequireRepositoryId(const storage::Partition& registry,
                                              const std::string& name) {
  auto lease = database_.Acquire();
  const auto record = storage::EcrStore(lease.db(), registry).FindRepository(name);
  if (!record) throw RepositoryNotFoundException(name, registry.account_id);
  return record->id;
}

Preview LifecycleService::StartPreview(const storage::Partition& registry,
                                       const std::string& repository,
                                       const std::optional<std::string>& policy_text) {
  std::string text;
  {
    auto lease = database_.Acquire();
    storage::Tx tx(lease.db());
    const auto record = storage::EcrStore(lease.db(), registry).FindRepository(repository);
    if (!record) throw RepositoryNotFoundException(repository, registry.account_id);
    if (policy_text) {
      text = *policy_text;
    } else if (record->lifecycle_policy) {
      text = *record->lifecycle_policy;
    } else {
      throw LifecyclePolicyNotFoundException(repository, registry.account_id);
    }
    try {
      ParseLifecyclePolicy(text);
    } catch (const LifecyclePolicyError& e) {
      throw InvalidParameterAt("LifecyclePolicyText",
                               std::string("Lifecycle policy validation failure: ") + e.what());
    }
    LifecycleStore store(lease.db());
    const auto existing = store.FindPreview(record->id);
    if (existing && existing->status == "IN_PROGRESS") {
      throw LifecyclePolicyPreviewInProgressException(repository, registry.account_id);
    }
    store.StartPreview(record->id, text, clock_.Now());
    tx.Commit();
  }
  {
    std::lock_guard lock(mutex_);
    previews_queued_ = true;
  }
  wake_.notify_all();
  return {text, "IN_PROGRESS", {}};
}

void LifecycleService::ComputePreview(int64_t repository_id) {
  std::optional<storage::PreviewRecord> preview;
  std::vector<LifecycleCandidate> images;
  {
    auto lease = database_.Acquire();
    LifecycleStore store(lease.db());
    preview = store.FindPreview(repository_id);
    if (!preview || preview->status != "IN_PROGRESS") return;
    images = store.Candidates(repository_id);
  }
  std::string status = "COMPLETE";
  json results = json::array();
  try {
    const auto rules = ParseLifecyclePolicy(preview->policy_text);
    results = ResultsJson(EvaluateLifecycle(rules, images, clock_.Now()), images);
  } catch (const LifecyclePolicyError& e) {
    status = "FAILED";
    log::Warn(std::string("lifecycle preview failed: ") + e.what());
  }
  auto lease = database_.Acquire();
  LifecycleStore(lease.db()).FinishPreview(repository_id, status, results.dump());
}

Preview LifecycleService::GetPreview(const storage::Partition& registry,
                                     const std::string& repository) {
  const int64_t id = RequireRepositoryId(registry, repository);
  std::optional<storage::PreviewRecord> record;
  {
    auto lease = database_.Acquire();
    record = LifecycleStore(lease.db()).FindPreview(id);
  }
  if (!record) throw LifecyclePolicyPreviewNotFoundException(repository, registry.account_id);
  Preview preview{record->policy_text, record->status, {}};
  if (record->results) preview.images = ReadResults(*record->results);
  return preview;
}

StorageClassChange LifecycleService::UpdateStorageClass(const storage::Partition& registry,
                                                        const std::string& repository,
                                                        const ImageId& id,
                                                        const std::string& target) {
  StorageClassChange change = images_.UpdateStorageClass(registry, repository, id, target,
                                                         clock_.Now(), options_.restore_seconds);
  {
    std::lock_guard lock(mutex_);
    previews_queued_ = true;  // wakes the worker, which then waits for the restore
  }
  wake_.notify_all();
  return change;
}

}  // namespace berth::ecr
