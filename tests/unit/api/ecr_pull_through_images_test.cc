// The pull-through cache on the ECR API path, in process against an
// in-memory upstream: BatchGetImage imports an uncached tag (creating the
// repository), GetDownloadUrlForLayer fetches an uncached layer, and the
// upstream's failures become ECR's exceptions or per-image failure codes
// (server/ecr/upstream_images.h has the decisions). Every reply is checked
// against the model's output shape.

#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "server/ecr/creation_templates.h"
#include "server/ecr/pull_through_importer.h"
#include "server/ecr/pull_through_rules.h"
#include "server/util/crypto.h"
#include "tests/support/api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using UpstreamKind = upstream::UpstreamError::Kind;

constexpr const char* kHubSecretArn =
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/hub-AbCdEf";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";

std::string Digest(const std::string& bytes) { return "sha256:" + crypto::Sha256Hex(bytes); }

// A registry in memory: manifests by repository and reference, blobs by
// digest, and a failure to answer with instead when one is set.
class MemoryUpstream final : public upstream::RegistryClient {
 public:
  void Check(const upstream::Endpoint&) override { MaybeFail(); }
  upstream::Manifest GetManifest(const upstream::Endpoint&, std::string_view repository,
                                 std::string_view reference, std::string_view) override {
    MaybeFail();
    std::lock_guard lock(mutex_);
    const auto it = manifests_.find(std::string(repository) + ":" + std::string(reference));
    if (it == manifests_.end()) throw upstream::UpstreamError(UpstreamKind::kNotFound, "404");
    return it->second;
  }
  bool GetBlob(const upstream::Endpoint&, std::string_view, std::string_view digest,
               const std::function<bool(std::string_view)>& on_bytes) override {
    std::string bytes;
    {
      std::lock_guard lock(mutex_);
      if (blob_failure_) throw upstream::UpstreamError(*blob_failure_, "blob failure");
      const auto it = blobs_.find(std::string(digest));
      if (it == blobs_.end()) throw upstream::UpstreamError(UpstreamKind::kNotFound, "404");
      bytes = it->second;
    }
    return on_bytes(bytes);
  }

  // Stores a one-layer image as repository:tag (and by digest); returns
  // {manifest bytes, layer digest}.
  std::pair<std::string, std::string> AddImage(const std::string& repository,
                                               const std::string& tag, const std::string& seed) {
    const std::string config = R"({"architecture":"amd64","seed":")" + seed + "\"}";
    const std::string layer = "layer bytes of " + seed;
    const json manifest = {
        {"schemaVersion", 2},
        {"mediaType", kOciManifest},
        {"config",
         {{"mediaType", "application/vnd.oci.image.config.v1+json"},
          {"digest", Digest(config)},
          {"size", config.size()}}},
        {"layers", json::array({{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                 {"digest", Digest(layer)},
                                 {"size", layer.size()}}})}};
    const std::string bytes = manifest.dump();
    std::lock_guard lock(mutex_);
    manifests_[repository + ":" + tag] = {kOciManifest, bytes};
    manifests_[repository + ":" + Digest(bytes)] = {kOciManifest, bytes};
    blobs_[Digest(config)] = config;
    blobs_[Digest(layer)] = layer;
    return {bytes, Digest(layer)};
  }
  void Fail(std::optional<UpstreamKind> kind) {
    std::lock_guard lock(mutex_);
    failure_ = kind;
  }
  void FailBlobs(std::optional<UpstreamKind> kind) {
    std::lock_guard lock(mutex_);
    blob_failure_ = kind;
  }

 private:
  void MaybeFail() {
    std::lock_guard lock(mutex_);
    if (failure_) throw upstream::UpstreamError(*failure_, "upstream failure");
  }
  std::mutex mutex_;
  std::map<std::string, upstream::Manifest> manifests_;
  std::map<std::string, std::string> blobs_;
  std::optional<UpstreamKind> failure_;
  std::optional<UpstreamKind> blob_failure_;
};

class EcrPullThroughImagesTest : public ApiTest {
 protected:
  EcrPullThroughImagesTest() {
    std::ofstream(secrets_path_)
        << json{{kHubSecretArn, {{"username", "u"}, {"accessToken", "t"}}}}.dump();
    ecr_api_.AttachPullThrough(&rules_, &templates_);
    ecr_api_.AttachImporter(&importer_);
    EcrOk("CreatePullThroughCacheRule",
          {{"ecrRepositoryPrefix", "quay"}, {"upstreamRegistryUrl", "quay.io"}});
  }

  static ecr::PullThroughOptions Options(const std::string& secrets) {
    ecr::PullThroughOptions options;
    options.secrets_file = secrets;
    options.upstream_endpoints["quay.io"] = "http://127.0.0.1:5998";
    options.upstream_endpoints["registry-1.docker.io"] = "http://127.0.0.1:5999";
    return options;
  }

  json GetImage(const std::string& repository, const std::vector<json>& ids) {
    return EcrOk("BatchGetImage", {{"repositoryName", repository}, {"imageIds", json(ids)}});
  }
  static json Tag(const std::string& tag) { return {{"imageTag", tag}}; }
  bool RepositoryExists(const std::string& name) {
    return Ecr("DescribeRepositories", {{"repositoryNames", {name}}}).status == 200;
  }

  std::string secrets_path_ = blobs_.path + "/secrets.json";
  MemoryUpstream upstream_;
  ecr::PullThroughRules rules_{database_, upstream_, Options(secrets_path_)};
  ecr::CreationTemplates templates_{database_, ecr_service_};
  ecr::PullThroughImporter importer_{rules_, templates_, images_, uploads_, database_, clock_};
};

TEST_F(EcrPullThroughImagesTest, BatchGetImageImportsAnUncachedTagAndCreatesTheRepository) {
  // given an image upstream and no repository yet
  const auto [manifest, layer] = upstream_.AddImage("library/web", "1", "web");
  ASSERT_FALSE(RepositoryExists("quay/library/web"));

  // when BatchGetImage asks for its tag
  const json got = GetImage("quay/library/web", {Tag("1")});

  // then the upstream's manifest is the answer, and the repository now holds it
  ASSERT_EQ(got["images"].size(), 1u) << got.dump();
  EXPECT_EQ(got["images"][0]["imageManifest"], manifest);
  EXPECT_EQ(got["images"][0]["imageManifestMediaType"], kOciManifest);
  EXPECT_EQ(got["images"][0]["imageId"]["imageDigest"], Digest(manifest));
  EXPECT_EQ(got["failures"], json::array());
  EXPECT_TRUE(RepositoryExists("quay/library/web"));
  const json listed = EcrOk("ListImages", {{"repositoryName", "quay/library/web"}});
  EXPECT_EQ(listed["imageIds"],
            json::array({{{"imageDigest", Digest(manifest)}, {"imageTag", "1"}}}));
}

TEST_F(EcrPullThroughImagesTest, GetDownloadUrlForLayerFetchesTheLayerFromTheUpstream) {
  const auto [manifest, layer] = upstream_.AddImage("library/web", "1", "web");
  GetImage("quay/library/web", {Tag("1")});
  const json before = EcrOk("BatchCheckLayerAvailability",
                            {{"repositoryName", "quay/library/web"}, {"layerDigests", {layer}}});
  EXPECT_EQ(before["failures"].size(), 1u) << before.dump();  // not fetched yet

  const json url = EcrOk("GetDownloadUrlForLayer",
                         {{"repositoryName", "quay/library/web"}, {"layerDigest", layer}});
  EXPECT_EQ(url["layerDigest"], layer);
  EXPECT_NE(url["downloadUrl"].get<std::string>().find("/v2/quay/library/web/blobs/" + layer),
            std::string::npos);
  // the layer is now local, with the upstream's bytes
  const json after = EcrOk("BatchCheckLayerAvailability",
                           {{"repositoryName", "quay/library/web"}, {"layerDigests", {layer}}});
  ASSERT_EQ(after["layers"].size(), 1u) << after.dump();
  EXPECT_EQ(after["layers"][0]["layerAvailability"], "AVAILABLE");
  EXPECT_EQ(blobs_.store.ReadBlob(layer), "layer bytes of web");
}

TEST_F(EcrPullThroughImagesTest, ALayerTheUpstreamCannotGiveIsUnableToGetUpstreamLayer) {
  const auto [manifest, layer] = upstream_.AddImage("library/web", "1", "web");
  GetImage("quay/library/web", {Tag("1")});
  upstream_.FailBlobs(UpstreamKind::kUnreachable);
  EXPECT_AWS_ERROR(Ecr("GetDownloadUrlForLayer",
                       {{"repositoryName", "quay/library/web"}, {"layerDigest", layer}}),
                   "UnableToGetUpstreamLayerException");
  // once the upstream is back it works
  upstream_.FailBlobs(std::nullopt);
  const ApiReply again = Ecr("GetDownloadUrlForLayer",
                             {{"repositoryName", "quay/library/web"}, {"layerDigest", layer}});
  EXPECT_EQ(again.status, 200u) << again.raw;
}

TEST_F(EcrPullThroughImagesTest, UpstreamDownWithNothingCachedIsUnableToGetUpstreamImage) {
  upstream_.AddImage("library/web", "1", "web");
  for (const auto kind : {UpstreamKind::kUnreachable, UpstreamKind::kUnauthorized,
                          UpstreamKind::kTooManyRequests, UpstreamKind::kFailed}) {
    upstream_.Fail(kind);
    const ApiReply reply = Ecr("BatchGetImage", {{"repositoryName", "quay/library/web"},
                                                 {"imageIds", json::array({Tag("1")})}});
    EXPECT_AWS_ERROR(reply, "UnableToGetUpstreamImageException");
    EXPECT_NE(reply.message().find("quay/library/web:1"), std::string::npos) << reply.raw;
  }
  EXPECT_FALSE(RepositoryExists("quay/library/web"));
}

TEST_F(EcrPullThroughImagesTest, UpstreamFailuresForACachedRepositoryArePerImage) {
  // given tag 1 cached
  upstream_.AddImage("library/web", "1", "web");
  const std::string manifest = upstream_.AddImage("library/web", "2", "two").first;
  GetImage("quay/library/web", {Tag("1")});

  const std::vector<std::pair<UpstreamKind, std::string>> cases = {
      {UpstreamKind::kUnauthorized, "UpstreamAccessDenied"},
      {UpstreamKind::kTooManyRequests, "UpstreamTooManyRequests"},
      {UpstreamKind::kUnreachable, "UpstreamUnavailable"},
      {UpstreamKind::kFailed, "UpstreamUnavailable"}};
  for (const auto& [kind, code] : cases) {
    upstream_.Fail(kind);
    // when both tags are asked for, tag 1 comes from the cache and tag 2 fails
    const json got = GetImage("quay/library/web", {Tag("1"), Tag("2")});
    ASSERT_EQ(got["images"].size(), 1u) << got.dump();
    EXPECT_EQ(got["images"][0]["imageId"]["imageTag"], "1");
    ASSERT_EQ(got["failures"].size(), 1u) << got.dump();
    EXPECT_EQ(got["failures"][0]["imageId"], Tag("2"));
    EXPECT_EQ(got["failures"][0]["failureCode"], code) << got.dump();
  }
  EXPECT_NE(GetImage("quay/library/web", {Tag("2")})["failures"][0]["failureReason"]
                .get<std::string>()
                .find("unavailable"),
            std::string::npos);
  // an upstream without the tag: ImageNotFound
  upstream_.Fail(std::nullopt);
  const json missing = GetImage("quay/library/web", {Tag("3")});
  EXPECT_EQ(missing["failures"][0]["failureCode"], "ImageNotFound");
  EXPECT_EQ(missing["failures"][0]["failureReason"], "Requested image not found");
  // and when it is back, tag 2 is imported
  EXPECT_EQ(GetImage("quay/library/web", {Tag("2")})["images"][0]["imageManifest"], manifest);
}

TEST_F(EcrPullThroughImagesTest, AnImageTheUpstreamDoesNotHaveIsNotFoundAndCreatesNothing) {
  const json got = GetImage("quay/library/none", {Tag("1"), {{"imageDigest", Digest("x")}}});
  EXPECT_EQ(got["images"], json::array());
  ASSERT_EQ(got["failures"].size(), 2u) << got.dump();
  EXPECT_EQ(got["failures"][0]["failureCode"], "ImageNotFound");
  EXPECT_EQ(got["failures"][1]["failureCode"], "ImageNotFound");
  EXPECT_FALSE(RepositoryExists("quay/library/none"));
  // outside every rule a missing repository is still RepositoryNotFoundException
  EXPECT_AWS_ERROR(Ecr("BatchGetImage",
                       {{"repositoryName", "other/none"}, {"imageIds", json::array({Tag("1")})}}),
                   "RepositoryNotFoundException");
}

TEST_F(EcrPullThroughImagesTest, AnUnreadableSecretIsUnableToGetUpstreamImage) {
  EcrOk("CreatePullThroughCacheRule", {{"ecrRepositoryPrefix", "hub"},
                                       {"upstreamRegistryUrl", "registry-1.docker.io"},
                                       {"credentialArn", kHubSecretArn}});
  std::ofstream(secrets_path_) << "{}";  // the secret is gone
  EXPECT_AWS_ERROR(Ecr("BatchGetImage", {{"repositoryName", "hub/library/web"},
                                         {"imageIds", json::array({Tag("1")})}}),
                   "UnableToGetUpstreamImageException");
}

}  // namespace
}  // namespace berth::testing
