// Blob garbage collection racing real registry-protocol pushes: pushers
// reuse shared layers (HEAD, upload only when missing, then the manifest
// PUT) while another thread deletes images and runs the collector. Every
// manifest that was stored must still have all its blobs, and once
// everything is deleted and collected no blob file is left.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/registry/registry_fixture.h"

namespace berth::testing {
namespace {

class RegistryGcTest : public RegistryTest {
 protected:
  RegistryGcTest() { CreateRepository("app"); }

  // Uploads the blob unless the registry says it has it (as docker does).
  Blob EnsureBlob(const std::string& content) {
    const std::string digest = Sha256Of(content);
    if (Send("HEAD", "/v2/app/blobs/" + digest).status != 200) {
      const RegistryReply r = Send("POST", "/v2/app/blobs/uploads/?digest=" + digest, content);
      EXPECT_EQ(r.status, 201u) << r.body;
    }
    return {digest, static_cast<int64_t>(content.size())};
  }

  // Pushes one image, starting over (like a client retrying) when the
  // collector took a blob between the HEAD and the manifest PUT. Returns the
  // attempts it took, or 0 when it gave up after kAttempts.
  static constexpr int kAttempts = 10;
  int Push(const std::string& tag, const std::vector<std::string>& layers) {
    for (int attempt = 1;; ++attempt) {
      const Blob config = EnsureBlob(R"({"architecture":"amd64","tag":")" + tag + "\"}");
      std::vector<Blob> blobs;
      for (const auto& layer : layers) blobs.push_back(EnsureBlob(layer));
      const RegistryReply r =
          PutManifest("app", tag, ImageManifest(config, blobs).dump(), kDockerManifestType);
      if (r.status == 201) return attempt;
      EXPECT_EQ(r.Error(), "MANIFEST_BLOB_UNKNOWN") << r.body;
      if (attempt == kAttempts) return 0;
    }
  }

  struct RaceResult {
    int retried = 0;  // pushes that needed more than one attempt
    int failed = 0;   // pushes that gave up
  };
  // Runs pushers against a deleter + collector using `grace` seconds.
  RaceResult Race(double grace) {
    constexpr int kPushers = 2;
    constexpr int kImages = 10;
    std::atomic<int> pushers_left{kPushers};
    std::atomic<int> retries{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kPushers; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kImages; ++i) {
          const std::string tag = "t" + std::to_string(t) + "-" + std::to_string(i);
          const int attempts =
              Push(tag, {"shared-" + std::to_string(i % 3), "own-" + tag + std::string(64, 'x')});
          if (attempts != 1) ++retries;
          if (attempts == 0) ++failures;
        }
        --pushers_left;
      });
    }
    threads.emplace_back([&] {
      const storage::Partition registry{"000000000000", "us-east-1"};
      while (pushers_left > 0) {
        // delete every image but the newest few, then collect
        const auto page = images_.ListImageIds(registry, "app", true, "", 1000, std::nullopt);
        std::vector<ecr::ImageId> doomed;
        for (size_t i = 0; i + 4 < page.items.size(); ++i) doomed.push_back(page.items[i]);
        images_.DeleteImages(registry, "app", doomed, clock_.Now());
        images_.CollectOrphans(clock_.Now() - grace + 0.001);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
    for (auto& thread : threads) thread.join();
    return {retries, failures};
  }

  // Every stored image's manifest and blobs are served.
  void ExpectEveryImageWhole() {
    const storage::Partition registry{"000000000000", "us-east-1"};
    const auto page =
        images_.ListImageRecords(registry, "app", std::nullopt, "", 10000, std::nullopt);
    EXPECT_FALSE(page.items.empty());
    for (const auto& image : page.items) {
      const RegistryReply manifest =
          Send("GET", "/v2/app/manifests/" + image.digest, "", {{"Accept", kDockerManifestType}});
      ASSERT_EQ(manifest.status, 200u) << image.digest;
      const auto doc = manifest.Json();
      std::vector<std::string> digests = {doc["config"]["digest"].get<std::string>()};
      for (const auto& layer : doc["layers"]) digests.push_back(layer["digest"].get<std::string>());
      for (const auto& digest : digests) {
        EXPECT_TRUE(std::filesystem::exists(blobs_.BlobPath(digest))) << digest;
        EXPECT_EQ(Send("GET", "/v2/app/blobs/" + digest).status, 200u) << digest;
      }
    }
  }

  // Deletes everything and collects with no grace: no blob file may remain.
  void ExpectNothingLeftAfterCollection() {
    const storage::Partition registry{"000000000000", "us-east-1"};
    for (;;) {
      const auto page = images_.ListImageIds(registry, "app", std::nullopt, "", 1000, std::nullopt);
      if (page.items.empty()) break;
      images_.DeleteImages(registry, "app", page.items, clock_.Now());
    }
    clock_.Advance(1);
    images_.CollectOrphans(clock_.Now());
    EXPECT_TRUE(FilesUnder(scratch_.data / "blobs").empty())
        << ::testing::PrintToString(FilesUnder(scratch_.data / "blobs"));
  }
};

TEST_F(RegistryGcTest, CollectingWithNoGraceNeverBreaksAStoredManifest) {
  // The worst case: the collector takes every unreferenced blob at once, so
  // pushes may have to upload again (or give up), but nothing stored ever
  // loses a blob.
  const RaceResult result = Race(0);
  EXPECT_LT(result.failed, 20) << "no push got through at all";
  ExpectEveryImageWhole();
  ExpectNothingLeftAfterCollection();
}

TEST_F(RegistryGcTest, WithAGracePeriodConcurrentPushesNeverFail) {
  // The clock stands still here: nothing is ever older than the grace
  // period, so the collector removes nothing a push could still use.
  const RaceResult result = Race(3600);
  EXPECT_EQ(result.retried, 0);
  EXPECT_EQ(result.failed, 0);
  ExpectEveryImageWhole();
  ExpectNothingLeftAfterCollection();
}

}  // namespace
}  // namespace berth::testing
