#pragma once

// ECR replication that acts: told of every push (a PushListener on the
// ImageService), it records one IN_PROGRESS status per destination registry
// the registry's replication configuration names for the repository, and a
// background worker then copies the image (its manifest, an index's
// children, their blob links and the pushed tags) into each destination
// account and region hosted by this Berth, creating the destination
// repository when missing. Copies are rows: blobs are content-addressed and
// shared on disk. Statuses end COMPLETE or FAILED with a failure code; the
// status table is the queue, so pending copies survive a restart.
//
// AWS rules kept: only pushes made while a rule matches replicate (no
// back-fill), a replica is never replicated again (no chaining: copies
// bypass PutManifest), deletes are not replicated, a tag the destination
// repository holds immutably on another image is left off the replica, and
// a cross-account destination needs the destination registry's policy to
// allow the source account ecr:ReplicateImage (and ecr:CreateRepository when
// the repository does not exist yet).
//
// Thread-safety: every method may be called from any thread. Start() runs
// one worker thread; Stop() (or the destructor) joins it.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "server/ecr/image_service.h"
#include "server/util/clock.h"
#include "storage/database.h"
#include "storage/records.h"
#include "storage/replication_store.h"

namespace berth::ecr {

// Failure codes DescribeImageReplicationStatus reports (AWS publishes none;
// these are Berth's, in the style of ECR's ImageFailureCode values).
inline constexpr const char* kReplicationImageNotFound = "ImageNotFound";
inline constexpr const char* kReplicationAccessDenied = "AccessDenied";
inline constexpr const char* kReplicationRepositoryNotFound = "RepositoryNotFound";
inline constexpr const char* kReplicationCrossPartition = "CrossPartitionReplicationNotSupported";
inline constexpr const char* kReplicationInternalError = "InternalError";

// The destination registries a replication configuration (the stored
// ReplicationConfiguration JSON text) sends `repository` to: every
// destination of every rule with no filters or a PREFIX_MATCH filter the
// name starts with, each once, in rule order.
std::vector<storage::Partition> ReplicationDestinations(const std::string& configuration,
                                                        const std::string& repository);

// Whether the resource policy `policy_text` allows `account` (the source
// registry) the `action`: an Allow statement whose Principal is "*", the
// account id or arn:<partition>:iam::<account>:root and whose Action matches
// (wildcards allowed, case-insensitive), and no Deny statement that does.
bool RegistryPolicyAllows(const std::optional<std::string>& policy_text, const std::string& account,
                          const std::string& action);

// Creates the destination repository of a replication with default settings
// (MUTABLE, scan on push off, AES256, no tags), when no repository creation
// template for REPLICATION made it first (ReplicationService's
// RepositoryMaker). Runs in the caller's transaction.
storage::RepositoryRecord CreateReplicaRepository(storage::Db& db,
                                                  const storage::Partition& destination,
                                                  const std::string& name, double now);

class ReplicationService final : public PushListener {
 public:
  // Registers itself with `images` as a push listener.
  ReplicationService(storage::Database& database, ImageService& images, const Clock& clock);
  ReplicationService(const ReplicationService&) = delete;
  ReplicationService& operator=(const ReplicationService&) = delete;
  ~ReplicationService() override;

  // Records the pending copies of a push and wakes the worker.
  void ManifestPushed(const storage::Partition& registry, const std::string& repository,
                      const std::string& digest, const std::string& tag,
                      double now) noexcept override;

  // Makes every pending copy now, on the calling thread; returns how many
  // were made (COMPLETE or FAILED). Tests call it instead of Start().
  size_t ReplicatePending();

  // Makes a missing destination repository from the registry's repository
  // creation templates (appliedFor REPLICATION): true when it did (or the
  // repository exists), false when no template applies. Called without the
  // database lease, before the copy; set before Start().
  using RepositoryMaker = std::function<bool(const storage::Partition& destination,
                                             const std::string& name, double now)>;
  void SetRepositoryMaker(RepositoryMaker maker) { repository_maker_ = std::move(maker); }

  // Starts / stops the background worker (idempotent).
  void Start();
  void Stop();

 private:
  void Run(const std::stop_token& stop);
  void Replicate(const storage::ReplicationRecord& record);
  // Runs repository_maker_ when the copy will create the destination
  // repository (it is missing, and a cross-account destination's policy
  // allows the source to create it).
  void MakeRepositoryFromTemplate(const storage::ReplicationRecord& record, double now);

  storage::Database& database_;
  ImageService& images_;
  const Clock& clock_;
  RepositoryMaker repository_maker_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool poked_ = false;
  std::jthread worker_;
};

}  // namespace berth::ecr
