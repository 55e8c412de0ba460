// Lifecycle evaluation at scale: a repository of N images (default 10,000;
// tagged and untagged, some sharing prefixes) on an in-memory database, a
// three-rule policy, and the time of each step: reading the candidates,
// evaluating the rules (pure), and the full pass that expires and archives
// (batches of 100, each under its own lease). Prints figures only; the
// target is a full pass of 10,000 images in under a second.
// Usage: lifecycle_bench [IMAGES]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "server/ecr/image_service.h"
#include "server/ecr/lifecycle_evaluator.h"
#include "server/ecr/lifecycle_service.h"
#include "server/util/crypto.h"
#include "storage/blob_store.h"
#include "storage/database.h"
#include "storage/ecr_store.h"
#include "storage/image_store.h"
#include "storage/lifecycle_store.h"

namespace {

class FixedClock final : public berth::Clock {
 public:
  double Now() const override { return 1800000000; }
};

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

constexpr const char* kPolicy = R"({"rules":[
  {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],
   "countType":"imageCountMoreThan","countNumber":500},"action":{"type":"expire"}},
  {"rulePriority":2,"selection":{"tagStatus":"tagged","tagPatternList":["dev-*-x*"],
   "countType":"sinceImagePushed","countUnit":"days","countNumber":30},
   "action":{"type":"transition","targetStorageClass":"archive"}},
  {"rulePriority":3,"selection":{"tagStatus":"any","countType":"sinceImagePushed",
   "countUnit":"days","countNumber":60},"action":{"type":"expire"}}]})";

}  // namespace

int main(int argc, char** argv) {
  using namespace berth;
  const long count = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 10000;
  char dir_template[] = "/tmp/berth-lifecycle-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return 1;
  storage::Database database(":memory:");
  storage::BlobStore blobs(dir_template);
  ecr::ImageService images(database, blobs);
  FixedClock clock;
  ecr::LifecycleService lifecycle(database, images, clock);
  const double now = clock.Now();

  int64_t repository_id = 0;
  {
    auto lease = database.Acquire();
    storage::Tx tx(lease.db());
    storage::RepositoryRecord repo;
    repo.name = "bench";
    repo.created_at = now;
    repo.tag_mutability = "MUTABLE";
    repo.encryption_type = "AES256";
    repo.lifecycle_policy = kPolicy;
    storage::EcrStore ecr(lease.db(), {"000000000000", "us-east-1"});
    repository_id = *ecr.InsertRepository(repo);
    ecr.UpdateLifecyclePolicy(repository_id, std::string(kPolicy));
    storage::ImageStore store(lease.db());
    for (long i = 0; i < count; ++i) {
      storage::ImageRecord image;
      image.repository_id = repository_id;
      image.digest = "sha256:" + crypto::Sha256Hex(std::to_string(i));
      image.media_type = "application/vnd.docker.distribution.manifest.v2+json";
      image.pushed_at = now - static_cast<double>(i) * 900;  // one every 15 minutes
      store.UpsertImage(image);
      if (i % 3 == 0) store.SetTag(repository_id, "prod-" + std::to_string(i), image.digest);
      if (i % 3 == 1) store.SetTag(repository_id, "dev-" + std::to_string(i) + "-x", image.digest);
      // every third image is untagged
    }
    tx.Commit();
  }

  auto start = std::chrono::steady_clock::now();
  std::vector<storage::LifecycleCandidate> candidates;
  {
    auto lease = database.Acquire();
    candidates = storage::LifecycleStore(lease.db()).Candidates(repository_id);
  }
  const double read_ms = Since(start);
  start = std::chrono::steady_clock::now();
  const auto actions = ecr::EvaluateLifecycle(ecr::ParseLifecyclePolicy(kPolicy), candidates, now);
  const double evaluate_ms = Since(start);
  start = std::chrono::steady_clock::now();
  const size_t acted = lifecycle.EvaluateRepository(repository_id);
  const double pass_ms = Since(start);

  std::printf("images: %ld\n", count);
  std::printf("read candidates: %.1f ms\n", read_ms);
  std::printf("evaluate rules: %.1f ms (%zu actions)\n", evaluate_ms, actions.size());
  std::printf("full pass (read, evaluate, apply %zu): %.1f ms\n", acted, pass_ms);
  std::printf("full pass vs 1 s target: %.2fx\n", pass_ms / 1000.0);
  std::filesystem::remove_all(dir_template);
  return 0;
}
