// Lifecycle policies, previews and the archive storage class through the
// real AWS CLI against a real berth, with images pushed over the registry
// protocol (curl): a count rule expires right after a push, an age rule once
// Berth's clock has moved (a restart with the test-only
// BERTH_CLOCK_OFFSET_SECONDS on the same data directory), the preview lists
// exactly what expires, and an archived image cannot be pulled until it is
// restored.

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "server/util/crypto.h"
#include "tests/integration/cli_fixture.h"
#include "tests/support/berth_server.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kManifestType = "application/vnd.docker.distribution.manifest.v2+json";

const char* kKeepTwo =
    R"({"rules":[{"rulePriority":1,"description":"keep two","selection":{"tagStatus":"tagged",)"
    R"("tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":2},)"
    R"("action":{"type":"expire"}}]})";
const char* kUntaggedAfterADay =
    R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":)"
    R"("sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]})";

// One CLI (the `aws` first in PATH: awscli v1, which knows every operation
// used here) and one Berth per test, started by the test with what it needs.
class EcrLifecycleCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ProgramExists("aws")) << "no aws CLI in PATH (./dev install installs it)";
    ASSERT_TRUE(ProgramExists("curl")) << "curl is required";
  }

  void Start(const std::string& data_dir = "", const std::map<std::string, std::string>& env = {}) {
    server_ = std::make_unique<BerthServer>(std::vector<std::string>{}, data_dir, env);
  }

  json Ok(const std::vector<std::string>& args) {
    const AwsResult r = RunAws("aws", server_->endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << "aws " << Join(args) << "\nstderr: " << r.err << "\nlog:\n"
                              << server_->Log();
    return r.json;
  }

  void Fails(const std::vector<std::string>& args, const std::string& error_code) {
    const AwsResult r = RunAws("aws", server_->endpoint(), args);
    EXPECT_NE(r.exit_code, 0) << "aws " << Join(args) << " succeeded: " << r.out;
    EXPECT_NE(r.err.find("(" + error_code + ")"), std::string::npos) << r.err;
  }

  std::unique_ptr<BerthServer> server_;

  std::string Registry() const { return server_->endpoint() + "/v2/"; }

  // Uploads a blob over the registry protocol; returns its digest.
  std::string PushBlob(const std::string& repository, const std::string& content) {
    const std::string digest = "sha256:" + crypto::Sha256Hex(content);
    const CommandResult r =
        RunCommand({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                    "--data-binary", "@-", "-H", "Content-Type: application/octet-stream",
                    Registry() + repository + "/blobs/uploads/?digest=" + digest},
                   {}, content);
    EXPECT_EQ(r.out, "201") << r.err;
    return digest;
  }

  // Pushes a one-layer image (unique per seed) as docker would; returns its
  // digest. An empty tag pushes by digest (an untagged image).
  std::string PushImage(const std::string& repository, const std::string& tag,
                        const std::string& seed) {
    const std::string config_text =
        R"({"architecture":"amd64","os":"linux","seed":")" + seed + "\"}";
    const std::string layer_text = "layer of " + seed;
    const std::string config = PushBlob(repository, config_text);
    const std::string layer = PushBlob(repository, layer_text);
    const std::string manifest =
        json{{"schemaVersion", 2},
             {"mediaType", kManifestType},
             {"config",
              {{"mediaType", "application/vnd.docker.container.image.v1+json"},
               {"digest", config},
               {"size", config_text.size()}}},
             {"layers",
              json::array({{{"mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip"},
                            {"digest", layer},
                            {"size", layer_text.size()}}})}}
            .dump();
    const std::string digest = "sha256:" + crypto::Sha256Hex(manifest);
    const CommandResult r =
        RunCommand({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT",
                    "--data-binary", "@-", "-H", std::string("Content-Type: ") + kManifestType,
                    Registry() + repository + "/manifests/" + (tag.empty() ? digest : tag)},
                   {}, manifest);
    EXPECT_EQ(r.out, "201") << r.err;
    return digest;
  }

  // The status and body of a manifest GET.
  std::pair<std::string, std::string> Pull(const std::string& repository,
                                           const std::string& reference) {
    const CommandResult r = RunCommand({"curl", "-sS", "-w", "\n%{http_code}", "-H",
                                        std::string("Accept: ") + kManifestType,
                                        Registry() + repository + "/manifests/" + reference});
    const auto newline = r.out.rfind('\n');
    return {r.out.substr(newline + 1), r.out.substr(0, newline)};
  }

  std::set<std::string> Described(const std::string& repository,
                                  const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"ecr", "describe-images", "--repository-name", repository};
    args.insert(args.end(), extra.begin(), extra.end());
    std::set<std::string> out;
    const json described = Ok(args);
    for (const auto& d : described["imageDetails"]) out.insert(d["imageDigest"].get<std::string>());
    return out;
  }

  // Polls `done` every 100 ms for up to `seconds`.
  template <class F>
  bool Eventually(F done, double seconds = 15) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  }
};

TEST_F(EcrLifecycleCliTest, CountRuleExpiresAfterPushAndPreviewShowsExactlyThat) {
  Start();
  Ok({"ecr", "create-repository", "--repository-name", "lc"});
  const std::string v1 = PushImage("lc", "v1", "one");
  const std::string v2 = PushImage("lc", "v2", "two");
  const std::string v3 = PushImage("lc", "v3", "three");
  // the preview of "keep two v*" lists v1 only, and changes nothing
  const json started = Ok({"ecr", "start-lifecycle-policy-preview", "--repository-name", "lc",
                           "--lifecycle-policy-text", kKeepTwo});
  EXPECT_EQ(started["status"], "IN_PROGRESS");
  json preview;
  ASSERT_TRUE(Eventually([&] {
    preview = Ok({"ecr", "get-lifecycle-policy-preview", "--repository-name", "lc"});
    return preview["status"] == "COMPLETE";
  }));
  ASSERT_EQ(preview["previewResults"].size(), 1u) << preview.dump();
  EXPECT_EQ(preview["previewResults"][0]["imageDigest"], v1);
  EXPECT_EQ(preview["previewResults"][0]["imageTags"], json::array({"v1"}));
  EXPECT_EQ(preview["previewResults"][0]["action"]["type"], "EXPIRE");
  EXPECT_EQ(preview["previewResults"][0]["appliedRulePriority"], 1);
  EXPECT_EQ(preview["summary"]["expiringImageTotalCount"], 1);
  EXPECT_EQ(Described("lc"), (std::set<std::string>{v1, v2, v3}));
  // when the policy is put, v1 expires: gone from the API and the registry
  Ok({"ecr", "put-lifecycle-policy", "--repository-name", "lc", "--lifecycle-policy-text",
      kKeepTwo});
  ASSERT_TRUE(Eventually([&] { return Pull("lc", "v1").first == "404"; }));
  EXPECT_EQ(Described("lc"), (std::set<std::string>{v2, v3}));
  const json got =
      Ok({"ecr", "batch-get-image", "--repository-name", "lc", "--image-ids", "imageTag=v1"});
  EXPECT_TRUE(got["images"].empty());
  EXPECT_EQ(got["failures"][0]["failureCode"], "ImageNotFound");
  const auto [status, body] = Pull("lc", "v1");
  EXPECT_EQ(status, "404");
  EXPECT_NE(body.find("MANIFEST_UNKNOWN"), std::string::npos) << body;
  // and a push makes the next oldest expire right away
  const std::string v4 = PushImage("lc", "v4", "four");
  ASSERT_TRUE(Eventually([&] { return Pull("lc", "v2").first == "404"; }));
  EXPECT_EQ(Pull("lc", "v3").first, "200");
  EXPECT_EQ(Pull("lc", "v4").first, "200");
  const json policy = Ok({"ecr", "get-lifecycle-policy", "--repository-name", "lc"});
  EXPECT_GT(EpochOf(policy["lastEvaluatedAt"]), 0);
}

TEST_F(EcrLifecycleCliTest, AgeRuleExpiresOnceBerthsClockHasMoved) {
  TempDir data;
  Start(data.path());
  Ok({"ecr", "create-repository", "--repository-name", "aged"});
  const std::string loose = PushImage("aged", "", "loose");
  const std::string kept = PushImage("aged", "release", "kept");
  Ok({"ecr", "put-lifecycle-policy", "--repository-name", "aged", "--lifecycle-policy-text",
      kUntaggedAfterADay});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Pull("aged", loose).first, "200");
  // when Berth comes back a day and an hour later (same data directory)
  ASSERT_TRUE(server_->Stop());
  server_.reset();
  Start(data.path(), {{"BERTH_CLOCK_OFFSET_SECONDS", "90000"}});
  // then its start-up pass expires the untagged image
  ASSERT_TRUE(Eventually([&] { return Pull("aged", loose).first == "404"; }));
  EXPECT_EQ(Described("aged"), std::set<std::string>{kept});
}

TEST_F(EcrLifecycleCliTest, ArchivedImageCannotBePulledUntilRestored) {
  Start("", {{"BERTH_ECR_RESTORE_SECONDS", "1"}});
  Ok({"ecr", "create-repository", "--repository-name", "cold"});
  const std::string digest = PushImage("cold", "v1", "cold");
  const json archived = Ok({"ecr", "update-image-storage-class", "--repository-name", "cold",
                            "--image-id", "imageTag=v1", "--target-storage-class", "ARCHIVE"});
  EXPECT_EQ(archived["imageStatus"], "ARCHIVED");
  EXPECT_EQ(archived["imageId"]["imageDigest"], digest);
  // archived: not pullable, hidden unless the filter asks
  const auto [status, body] = Pull("cold", "v1");
  EXPECT_EQ(status, "404");
  EXPECT_NE(body.find("MANIFEST_UNKNOWN"), std::string::npos) << body;
  EXPECT_TRUE(Described("cold").empty());
  const json details = Ok(
      {"ecr", "describe-images", "--repository-name", "cold", "--filter", "imageStatus=ARCHIVED"});
  ASSERT_EQ(details["imageDetails"].size(), 1u);
  EXPECT_EQ(details["imageDetails"][0]["imageStatus"], "ARCHIVED");
  EXPECT_TRUE(details["imageDetails"][0].contains("lastArchivedAt"));
  Fails({"ecr", "update-image-storage-class", "--repository-name", "cold", "--image-id",
         "imageTag=v1", "--target-storage-class", "ARCHIVE"},
        "ImageStorageClassUpdateNotSupportedException");
  // restored: ACTIVATING, then ACTIVE and pullable
  const json restoring =
      Ok({"ecr", "update-image-storage-class", "--repository-name", "cold", "--image-id",
          "imageDigest=" + digest, "--target-storage-class", "STANDARD"});
  EXPECT_EQ(restoring["imageStatus"], "ACTIVATING");
  ASSERT_TRUE(Eventually([&] { return Pull("cold", "v1").first == "200"; }));
  const json active = Ok({"ecr", "describe-images", "--repository-name", "cold"});
  ASSERT_EQ(active["imageDetails"].size(), 1u);
  EXPECT_EQ(active["imageDetails"][0]["imageStatus"], "ACTIVE");
  EXPECT_TRUE(active["imageDetails"][0].contains("lastActivatedAt"));
}

}  // namespace
}  // namespace berth::testing
