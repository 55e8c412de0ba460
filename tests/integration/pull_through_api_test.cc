// The pull-through cache on the ECR API path with the real AWS CLI against a
// real upstream (Debian's docker-registry on loopback, seeded over the
// registry protocol with curl): batch-get-image of an uncached tag imports
// it and creates the repository, get-download-url-for-layer fetches the
// layer and its URL serves the bytes, and with the upstream stopped the
// upstream exceptions and failure codes appear.

#include <filesystem>

#include <gtest/gtest.h>

#include "server/util/crypto.h"
#include "tests/integration/upstream_registry.h"
#include "tests/support/berth_server.h"
#include "tests/support/text_files.h"

namespace berth::testing {
namespace {

using nlohmann::json;

std::string Digest(const std::string& bytes) { return "sha256:" + crypto::Sha256Hex(bytes); }

class PullThroughApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(UpstreamRegistry::kBinary))
        << "Debian's docker-registry is not installed (apt-get install docker-registry)";
    upstream_ = std::make_unique<UpstreamRegistry>(storage_.path());
    server_ = std::make_unique<BerthServer>(
        std::vector<std::string>{}, "",
        std::map<std::string, std::string>{
            {"BERTH_UPSTREAM_ENDPOINTS", "quay.io=" + upstream_->url()}});
    // A CLI that knows the pull-through cache rule commands (Debian's v2.9
    // predates them).
    for (const auto& candidate : AwsClis()) {
      if (RunAws(candidate, server_->endpoint(), {"ecr", "create-pull-through-cache-rule", "help"},
                 {{"PAGER", "cat"}})
              .exit_code == 0) {
        cli_ = candidate;
        break;
      }
    }
    ASSERT_FALSE(cli_.empty()) << "no AWS CLI with create-pull-through-cache-rule";
  }

  json Aws(const std::vector<std::string>& args) {
    const AwsResult r = RunAws(cli_, server_->endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << Join(args) << "\n" << r.err << "\n" << server_->Log();
    return r.json;
  }
  AwsResult AwsRaw(const std::vector<std::string>& args) {
    return RunAws(cli_, server_->endpoint(), args);
  }

  // Uploads `bytes` to the upstream repository; returns its digest.
  std::string UpstreamBlob(const std::string& repository, const std::string& bytes) {
    const HttpReply started =
        Curl(upstream_->url() + "/v2/" + repository + "/blobs/uploads/", {"-X", "POST"});
    EXPECT_EQ(started.status, 202) << started.body;
    std::string location = started.Header("Location");
    if (location.starts_with("/")) location = upstream_->url() + location;
    const std::string digest = Digest(bytes);
    const HttpReply put =
        Curl(location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + digest,
             {"-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary", bytes});
    EXPECT_EQ(put.status, 201) << put.body;
    return digest;
  }

  // Seeds repository:tag upstream with a one-layer OCI image; returns
  // {manifest, config digest, layer digest}.
  std::tuple<std::string, std::string, std::string> SeedUpstream(const std::string& repository,
                                                                 const std::string& tag,
                                                                 const std::string& layer) {
    const std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{}})";
    const std::string config_digest = UpstreamBlob(repository, config);
    const std::string layer_digest = UpstreamBlob(repository, layer);
    const std::string manifest =
        json{{"schemaVersion", 2},
             {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
             {"config",
              {{"mediaType", "application/vnd.oci.image.config.v1+json"},
               {"digest", config_digest},
               {"size", config.size()}}},
             {"layers", json::array({{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                      {"digest", layer_digest},
                                      {"size", layer.size()}}})}}
            .dump();
    const HttpReply put =
        Curl(upstream_->url() + "/v2/" + repository + "/manifests/" + tag,
             {"-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.manifest.v1+json",
              "--data-binary", manifest});
    EXPECT_EQ(put.status, 201) << put.body;
    return {manifest, config_digest, layer_digest};
  }

  TempDir storage_;
  std::unique_ptr<UpstreamRegistry> upstream_;
  std::unique_ptr<BerthServer> server_;
  std::string cli_;
};

TEST_F(PullThroughApiTest, BatchGetImageAndLayerUrlsImportFromTheUpstream) {
  Aws({"ecr", "create-pull-through-cache-rule", "--ecr-repository-prefix", "quay",
       "--upstream-registry-url", "quay.io"});
  const std::string layer_bytes = "the layer's bytes, served by the upstream\n";
  const auto [manifest, config_digest, layer_digest] =
      SeedUpstream("library/web", "1", layer_bytes);

  // when batch-get-image asks for a tag nothing cached yet
  const json got = Aws({"ecr", "batch-get-image", "--repository-name", "quay/library/web",
                        "--image-ids", "imageTag=1"});
  // then the upstream's manifest is the answer and the repository exists
  ASSERT_EQ(got["images"].size(), 1u) << got.dump();
  EXPECT_EQ(got["images"][0]["imageManifest"], manifest);
  EXPECT_EQ(got["images"][0]["imageId"]["imageDigest"], Digest(manifest));
  EXPECT_EQ(got["failures"], json::array());
  const json repos =
      Aws({"ecr", "describe-repositories", "--repository-names", "quay/library/web"});
  ASSERT_EQ(repos["repositories"].size(), 1u);
  EXPECT_EQ(repos["repositories"][0]["imageTagMutability"], "MUTABLE");

  // get-download-url-for-layer fetches the layer; its URL serves those bytes
  const json url = Aws({"ecr", "get-download-url-for-layer", "--repository-name",
                        "quay/library/web", "--layer-digest", layer_digest});
  const HttpReply blob = Curl(url["downloadUrl"].get<std::string>());
  EXPECT_EQ(blob.status, 200);
  EXPECT_EQ(Digest(blob.body), layer_digest);
  EXPECT_EQ(blob.body, layer_bytes);

  // with the upstream stopped:
  upstream_->Stop();
  // an uncached image of a new repository is UnableToGetUpstreamImageException
  const AwsResult down = AwsRaw({"ecr", "batch-get-image", "--repository-name",
                                 "quay/library/other", "--image-ids", "imageTag=1"});
  EXPECT_NE(down.exit_code, 0);
  EXPECT_NE(down.err.find("(UnableToGetUpstreamImageException)"), std::string::npos) << down.err;
  // in the cached repository, the cached tag is served and the other one fails
  const json mixed = Aws({"ecr", "batch-get-image", "--repository-name", "quay/library/web",
                          "--image-ids", "imageTag=1", "imageTag=2"});
  ASSERT_EQ(mixed["images"].size(), 1u) << mixed.dump();
  EXPECT_EQ(mixed["images"][0]["imageManifest"], manifest);
  ASSERT_EQ(mixed["failures"].size(), 1u) << mixed.dump();
  EXPECT_EQ(mixed["failures"][0]["failureCode"], "UpstreamUnavailable");
  // the fetched layer still downloads, the never-fetched config cannot
  EXPECT_EQ(Curl(Aws({"ecr", "get-download-url-for-layer", "--repository-name", "quay/library/web",
                      "--layer-digest", layer_digest})["downloadUrl"]
                     .get<std::string>())
                .body,
            layer_bytes);
  const AwsResult no_layer = AwsRaw({"ecr", "get-download-url-for-layer", "--repository-name",
                                     "quay/library/web", "--layer-digest", config_digest});
  EXPECT_NE(no_layer.exit_code, 0);
  EXPECT_NE(no_layer.err.find("(UnableToGetUpstreamLayerException)"), std::string::npos)
      << no_layer.err;
}

}  // namespace
}  // namespace berth::testing
