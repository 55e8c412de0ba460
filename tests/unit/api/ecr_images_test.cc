// ECR images through the JSON API: the layer upload API, PutImage,
// ListImages, DescribeImages, BatchGetImage, BatchDeleteImage (with blob
// garbage collection), scanning, referrers, and DeleteRepository of a
// repository with images. Images are built in process: blobs through
// InitiateLayerUpload/UploadLayerPart/CompleteLayerUpload, manifests through
// PutImage. Every refused call is followed by a read that proves nothing was
// stored.

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "server/ecr/image_error.h"
#include "server/ecr/image_service.h"
#include "server/util/crypto.h"
#include "tests/support/api_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kAccount = "000000000000";
constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
constexpr const char* kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kOciEmpty = "application/vnd.oci.empty.v1+json";
constexpr const char* kMissingBoth =
    "Invalid request parameters: both tag and digest cannot be null";
constexpr const char* kNotFound = "Requested image not found";

// A blob as a manifest names it.
struct Blob {
  std::string digest;
  int64_t size = 0;
};

// An image put through the API: its manifest and the blobs it names.
struct Image {
  std::string digest;
  std::string manifest;
  Blob config;
  std::vector<Blob> layers;
};

std::string Sha256(const std::string& content) { return "sha256:" + crypto::Sha256Hex(content); }

json Descriptor(const char* media_type, const Blob& blob) {
  return {{"mediaType", media_type}, {"digest", blob.digest}, {"size", blob.size}};
}

// A Docker schema 2 manifest (or another type with the same shape).
std::string ManifestText(const Blob& config, const std::vector<Blob>& layers,
                         const char* media_type = kDockerManifest,
                         const char* config_type = kDockerConfig) {
  json layer_list = json::array();
  for (const auto& layer : layers) layer_list.push_back(Descriptor(kDockerLayer, layer));
  return json{{"schemaVersion", 2},
              {"mediaType", media_type},
              {"config", Descriptor(config_type, config)},
              {"layers", layer_list}}
      .dump();
}

class EcrImagesTest : public ApiTest {
 protected:
  EcrImagesTest() { CreateRepository("app"); }

  void CreateRepository(const std::string& name, json extra = json::object()) {
    extra["repositoryName"] = name;
    EcrOk("CreateRepository", extra);
  }

  std::string Initiate(const std::string& repository = "app") {
    const json out = EcrOk("InitiateLayerUpload", {{"repositoryName", repository}});
    return out.value("uploadId", "");
  }

  ApiReply Part(const std::string& upload, int64_t first, const std::string& data,
                const std::string& repository = "app") {
    return Ecr("UploadLayerPart", {{"repositoryName", repository},
                                   {"uploadId", upload},
                                   {"partFirstByte", first},
                                   {"partLastByte", first + static_cast<int64_t>(data.size()) - 1},
                                   {"layerPartBlob", crypto::Base64Encode(data)}});
  }

  ApiReply Complete(const std::string& upload, const std::string& digest,
                    const std::string& repository = "app") {
    return Ecr("CompleteLayerUpload",
               {{"repositoryName", repository}, {"uploadId", upload}, {"layerDigests", {digest}}});
  }

  // Uploads `content` as one layer through the layer API, unless the
  // repository has it already (as clients check first).
  Blob Upload(const std::string& content, const std::string& repository = "app") {
    const Blob blob{Sha256(content), static_cast<int64_t>(content.size())};
    if (LayerAvailable(blob.digest, repository)) return blob;
    const std::string upload = Initiate(repository);
    EXPECT_EQ(Part(upload, 0, content, repository).status, 200u);
    const std::string digest = Sha256(content);
    const json done =
        EcrOk("CompleteLayerUpload",
              {{"repositoryName", repository}, {"uploadId", upload}, {"layerDigests", {digest}}});
    EXPECT_EQ(done.value("layerDigest", ""), digest);
    return {digest, static_cast<int64_t>(content.size())};
  }

  ApiReply Put(const std::string& manifest, const std::string& tag = "",
               const std::string& repository = "app", json extra = json::object()) {
    extra["repositoryName"] = repository;
    extra["imageManifest"] = manifest;
    if (!tag.empty()) extra["imageTag"] = tag;
    return Ecr("PutImage", extra);
  }

  // Uploads a config and layers named after `seed` and puts the manifest.
  Image PushImage(const std::string& seed, const std::string& tag = "",
                  const std::string& repository = "app",
                  const std::vector<std::string>& shared_layers = {}) {
    Image image;
    image.config = Upload("{\"config\":\"" + seed + "\"}", repository);
    for (const auto& content : shared_layers) image.layers.push_back(Upload(content, repository));
    image.layers.push_back(Upload("layer-one-" + seed, repository));
    image.layers.push_back(Upload("layer-two-" + seed + "-longer", repository));
    image.manifest = ManifestText(image.config, image.layers);
    image.digest = Sha256(image.manifest);
    const ApiReply r = Put(image.manifest, tag, repository);
    EXPECT_EQ(r.status, 200u) << r.raw;
    return image;
  }

  // An index naming `children`.
  static std::string IndexText(const std::vector<Image>& children) {
    json manifests = json::array();
    for (const auto& child : children) {
      json d =
          Descriptor(kDockerManifest, {child.digest, static_cast<int64_t>(child.manifest.size())});
      d["platform"] = {{"architecture", "amd64"}, {"os", "linux"}};
      manifests.push_back(std::move(d));
    }
    return json{{"schemaVersion", 2}, {"mediaType", kDockerList}, {"manifests", manifests}}.dump();
  }

  // Every ListImages entry across all pages, as "digest" or "digest tag".
  std::vector<std::string> Listed(json input = json::object(),
                                  const std::string& repository = "app") {
    input["repositoryName"] = repository;
    std::vector<std::string> entries;
    for (int page = 0; page < 100; ++page) {
      const json out = EcrOk("ListImages", input);
      for (const auto& id : out.value("imageIds", json::array())) {
        std::string entry = id.value("imageDigest", "");
        if (id.contains("imageTag")) entry += " " + id["imageTag"].get<std::string>();
        entries.push_back(entry);
      }
      if (!out.contains("nextToken")) break;
      input["nextToken"] = out["nextToken"];
    }
    return entries;
  }

  json Details(json input = json::object(), const std::string& repository = "app") {
    input["repositoryName"] = repository;
    return EcrOk("DescribeImages", input).value("imageDetails", json::array());
  }

  json Detail(const std::string& digest, const std::string& repository = "app") {
    const json details = Details({{"imageIds", {{{"imageDigest", digest}}}}}, repository);
    return details.size() == 1 ? details[0] : json();
  }

  bool HasBlobFile(const std::string& digest) const {
    return std::filesystem::exists(blobs_.store.BlobPath(digest));
  }

  bool LayerAvailable(const std::string& digest, const std::string& repository = "app") {
    const json out = EcrOk("BatchCheckLayerAvailability",
                           {{"repositoryName", repository}, {"layerDigests", {digest}}});
    return out.value("layers", json::array()).size() == 1;
  }

  json Delete(const json& ids, const std::string& repository = "app") {
    return EcrOk("BatchDeleteImage", {{"repositoryName", repository}, {"imageIds", ids}});
  }

  static std::string Entry(const std::string& digest, const std::string& tag = "") {
    return tag.empty() ? digest : digest + " " + tag;
  }

  storage::Partition Registry() const { return {kAccount, "us-east-1"}; }
};

// --- Layer upload API ---------------------------------------------------------

TEST_F(EcrImagesTest, InitiateLayerUploadReturnsAUuidAndThePartSize) {
  const json out = EcrOk("InitiateLayerUpload", {{"repositoryName", "app"}});
  const std::string id = out.value("uploadId", "");
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(out["partSize"], 10485760);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_NE(Initiate(), id);
}

TEST_F(EcrImagesTest, InitiateLayerUploadNeedsTheRepository) {
  const ApiReply r = Ecr("InitiateLayerUpload", {{"repositoryName", "nope"}});
  EXPECT_AWS_ERROR(r, "RepositoryNotFoundException");
  EXPECT_EQ(r.message(),
            "The repository with name 'nope' does not exist in the registry with id '" +
                std::string(kAccount) + "'");
}

TEST_F(EcrImagesTest, UploadedLayerBecomesAvailable) {
  // given an upload in two parts
  const std::string upload = Initiate();
  const json first = EcrOk("UploadLayerPart", {{"repositoryName", "app"},
                                               {"uploadId", upload},
                                               {"partFirstByte", 0},
                                               {"partLastByte", 4},
                                               {"layerPartBlob", crypto::Base64Encode("hello")}});
  EXPECT_EQ(first, json({{"registryId", kAccount},
                         {"repositoryName", "app"},
                         {"uploadId", upload},
                         {"lastByteReceived", 4}}));
  const std::string digest = Sha256("hello");
  ASSERT_FALSE(LayerAvailable(digest));
  // when it completes
  const json done =
      EcrOk("CompleteLayerUpload",
            {{"repositoryName", "app"}, {"uploadId", upload}, {"layerDigests", {digest}}});
  // then the layer is there, with its size and the Docker layer type
  EXPECT_EQ(done, json({{"registryId", kAccount},
                        {"repositoryName", "app"},
                        {"uploadId", upload},
                        {"layerDigest", digest}}));
  const json check =
      EcrOk("BatchCheckLayerAvailability", {{"repositoryName", "app"}, {"layerDigests", {digest}}});
  EXPECT_EQ(check, json({{"layers",
                          {{{"layerDigest", digest},
                            {"layerAvailability", "AVAILABLE"},
                            {"layerSize", 5},
                            {"mediaType", kDockerLayer}}}},
                         {"failures", json::array()}}));
  EXPECT_TRUE(HasBlobFile(digest));
  // and the session is over
  EXPECT_AWS_ERROR(Part(upload, 5, "more"), "UploadNotFoundException");
}

TEST_F(EcrImagesTest, PartsMustContinueTheUpload) {
  const std::string big(5 * 1024 * 1024, 'b');
  const auto size = static_cast<int64_t>(big.size());
  const std::string upload = Initiate();
  ASSERT_EQ(Part(upload, 0, big).status, 200u);
  // a gap
  const ApiReply gap = Part(upload, size + 2, "def");
  EXPECT_AWS_ERROR(gap, "InvalidLayerPartException");
  EXPECT_EQ(gap.body.value("lastValidByteReceived", int64_t{-100}), size - 1);
  EXPECT_EQ(gap.body.value("registryId", ""), kAccount);
  EXPECT_EQ(gap.body.value("repositoryName", ""), "app");
  EXPECT_EQ(gap.body.value("uploadId", ""), upload);
  // a repeat of bytes already received
  const ApiReply overlap = Part(upload, 0, "abc");
  EXPECT_AWS_ERROR(overlap, "InvalidLayerPartException");
  EXPECT_EQ(overlap.body.value("lastValidByteReceived", int64_t{-100}), size - 1);
  // the refused parts stored nothing: the next part still starts right after
  const json next = EcrOk("UploadLayerPart", {{"repositoryName", "app"},
                                              {"uploadId", upload},
                                              {"partFirstByte", size},
                                              {"partLastByte", size + 2},
                                              {"layerPartBlob", crypto::Base64Encode("def")}});
  EXPECT_EQ(next["lastByteReceived"], size + 2);
  EXPECT_EQ(Complete(upload, Sha256(big + "def")).status, 200u);
  EXPECT_TRUE(LayerAvailable(Sha256(big + "def")));
}

TEST_F(EcrImagesTest, PartFirstByteOfAFreshUploadIsZero) {
  const std::string upload = Initiate();
  const ApiReply r = Part(upload, 1, "abc");
  EXPECT_AWS_ERROR(r, "InvalidLayerPartException");
  EXPECT_EQ(r.body.value("lastValidByteReceived", -100), -1);
}

TEST_F(EcrImagesTest, PartLastByteMustMatchThePartSize) {
  const std::string upload = Initiate();
  for (int64_t last : {1, 3, 100}) {
    const ApiReply r = Ecr("UploadLayerPart", {{"repositoryName", "app"},
                                               {"uploadId", upload},
                                               {"partFirstByte", 0},
                                               {"partLastByte", last},
                                               {"layerPartBlob", crypto::Base64Encode("abc")}});
    EXPECT_AWS_ERROR(r, "InvalidLayerPartException");
  }
  const ApiReply empty = Ecr("UploadLayerPart", {{"repositoryName", "app"},
                                                 {"uploadId", upload},
                                                 {"partFirstByte", 0},
                                                 {"partLastByte", 0},
                                                 {"layerPartBlob", ""}});
  EXPECT_AWS_ERROR(empty, "InvalidLayerPartException");
  EXPECT_EQ(Part(upload, 0, "abc").status, 200u);
}

TEST_F(EcrImagesTest, UploadsAreScopedToTheirRepository) {
  CreateRepository("other");
  const std::string upload = Initiate();
  EXPECT_AWS_ERROR(Part(upload, 0, "abc", "other"), "UploadNotFoundException");
  EXPECT_AWS_ERROR(Complete(upload, Sha256("abc"), "other"), "UploadNotFoundException");
  const ApiReply unknown = Part("01234567-89ab-cdef-0123-456789abcdef", 0, "abc");
  EXPECT_AWS_ERROR(unknown, "UploadNotFoundException");
  EXPECT_NE(unknown.message().find("01234567-89ab-cdef-0123-456789abcdef"), std::string::npos);
  EXPECT_AWS_ERROR(Part(upload, 0, "abc", "nope"), "RepositoryNotFoundException");
  EXPECT_EQ(Part(upload, 0, "abc").status, 200u);
}

TEST_F(EcrImagesTest, CompleteLayerUploadChecksTheDigest) {
  const std::string upload = Initiate();
  ASSERT_EQ(Part(upload, 0, "content").status, 200u);
  const ApiReply r = Complete(upload, Sha256("other content"));
  EXPECT_AWS_ERROR(r, "InvalidLayerException");
  // nothing stored under either digest, and the session is gone
  EXPECT_FALSE(LayerAvailable(Sha256("content")));
  EXPECT_FALSE(LayerAvailable(Sha256("other content")));
  EXPECT_FALSE(HasBlobFile(Sha256("content")));
  EXPECT_AWS_ERROR(Complete(upload, Sha256("content")), "UploadNotFoundException");
}

TEST_F(EcrImagesTest, CompleteLayerUploadRefusesAnEmptyUpload) {
  const std::string upload = Initiate();
  EXPECT_AWS_ERROR(Complete(upload, Sha256("")), "EmptyUploadException");
  EXPECT_FALSE(LayerAvailable(Sha256("")));
  // the session stays open
  ASSERT_EQ(Part(upload, 0, "late").status, 200u);
  EXPECT_EQ(Complete(upload, Sha256("late")).status, 200u);
}

TEST_F(EcrImagesTest, CompleteLayerUploadRefusesALayerTheRepositoryHas) {
  const Blob layer = Upload("twice");
  const std::string upload = Initiate();
  ASSERT_EQ(Part(upload, 0, "twice").status, 200u);
  EXPECT_AWS_ERROR(Complete(upload, layer.digest), "LayerAlreadyExistsException");
  EXPECT_TRUE(LayerAvailable(layer.digest));
  // the same bytes in another repository are a new layer there
  CreateRepository("other");
  EXPECT_EQ(Upload("twice", "other").digest, layer.digest);
}

TEST_F(EcrImagesTest, CompleteLayerUploadNeedsExactlyOneDigest) {
  const std::string upload = Initiate();
  ASSERT_EQ(Part(upload, 0, "abc").status, 200u);
  const ApiReply r = Ecr("CompleteLayerUpload", {{"repositoryName", "app"},
                                                 {"uploadId", upload},
                                                 {"layerDigests", {Sha256("abc"), Sha256("x")}}});
  EXPECT_AWS_ERROR(r, "InvalidParameterException");
  EXPECT_EQ(Complete(upload, Sha256("abc")).status, 200u);
}

TEST_F(EcrImagesTest, MultiPartUploadWithFullSizedPartsSucceeds) {
  const std::string big(5 * 1024 * 1024, 'x');
  const std::string upload = Initiate();
  ASSERT_EQ(Part(upload, 0, big).status, 200u);
  const ApiReply tail = Part(upload, static_cast<int64_t>(big.size()), "tail");
  ASSERT_EQ(tail.status, 200u);
  EXPECT_EQ(tail.body["lastByteReceived"], static_cast<int64_t>(big.size()) + 3);
  EXPECT_EQ(Complete(upload, Sha256(big + "tail")).status, 200u);
  const json check = EcrOk("BatchCheckLayerAvailability",
                           {{"repositoryName", "app"}, {"layerDigests", {Sha256(big + "tail")}}});
  EXPECT_EQ(check["layers"][0]["layerSize"], static_cast<int64_t>(big.size()) + 4);
}

TEST_F(EcrImagesTest, PartsBeforeTheLastMustBeFiveMebibytes) {
  const std::string upload = Initiate();
  ASSERT_EQ(Part(upload, 0, "small").status, 200u);
  ASSERT_EQ(Part(upload, 5, "parts").status, 200u);
  const ApiReply r = Complete(upload, Sha256("smallparts"));
  EXPECT_AWS_ERROR(r, "LayerPartTooSmallException");
  EXPECT_EQ(r.message(), "All layer parts except the last part should be at least 5MB");
  EXPECT_FALSE(LayerAvailable(Sha256("smallparts")));
  EXPECT_AWS_ERROR(Complete(upload, Sha256("smallparts")), "UploadNotFoundException");
}

TEST_F(EcrImagesTest, BatchCheckLayerAvailabilityReportsMissingAndMalformedDigests) {
  const Blob layer = Upload("present");
  const std::string missing = Sha256("absent");
  const json out =
      EcrOk("BatchCheckLayerAvailability",
            {{"repositoryName", "app"}, {"layerDigests", {layer.digest, missing, "not-a-digest"}}});
  ASSERT_EQ(out["layers"].size(), 1u);
  EXPECT_EQ(out["layers"][0]["layerDigest"], layer.digest);
  EXPECT_EQ(out["failures"], json::array({{{"layerDigest", missing},
                                           {"failureCode", "MissingLayerDigest"},
                                           {"failureReason", "Could not find layer"}},
                                          {{"layerDigest", "not-a-digest"},
                                           {"failureCode", "InvalidLayerDigest"},
                                           {"failureReason", "Invalid layer digest"}}}));
  // a layer of another repository is not available here
  CreateRepository("other");
  EXPECT_FALSE(LayerAvailable(layer.digest, "other"));
  EXPECT_AWS_ERROR(
      Ecr("BatchCheckLayerAvailability", {{"repositoryName", "nope"}, {"layerDigests", {missing}}}),
      "RepositoryNotFoundException");
}

TEST_F(EcrImagesTest, GetDownloadUrlForLayerPointsAtTheRegistry) {
  const Image image = PushImage("dl", "v1");
  const std::string digest = image.layers[0].digest;
  const json out =
      EcrOk("GetDownloadUrlForLayer", {{"repositoryName", "app"}, {"layerDigest", digest}});
  EXPECT_EQ(out["layerDigest"], digest);
  // The blob URL of the registry, with a token granting that one blob for an
  // hour (the registry tests use it).
  const std::string url = out.value("downloadUrl", "");
  const std::string prefix = "http://localhost:4566/v2/app/blobs/" + digest + "?X-Berth-Token=";
  ASSERT_TRUE(url.starts_with(prefix)) << url;
  const auto grant = ecr_service_.tokens().VerifyDownload(url.substr(prefix.size()),
                                                          static_cast<int64_t>(clock_.Now()));
  ASSERT_TRUE(grant.has_value()) << url;
  EXPECT_EQ(grant->account_id, kAccount);
  EXPECT_EQ(grant->region, "us-east-1");
  EXPECT_EQ(grant->repository, "app");
  EXPECT_EQ(grant->digest, digest);
  EXPECT_EQ(grant->expires_at, static_cast<int64_t>(clock_.Now()) + 3600);
}

TEST_F(EcrImagesTest, GetDownloadUrlForLayerNeedsAReferencedLayer) {
  const ApiReply unknown = Ecr("GetDownloadUrlForLayer",
                               {{"repositoryName", "app"}, {"layerDigest", Sha256("nothing")}});
  EXPECT_AWS_ERROR(unknown, "LayersNotFoundException");
  const Blob loose = Upload("uploaded but never used");
  EXPECT_AWS_ERROR(
      Ecr("GetDownloadUrlForLayer", {{"repositoryName", "app"}, {"layerDigest", loose.digest}}),
      "LayerInaccessibleException");
  EXPECT_AWS_ERROR(
      Ecr("GetDownloadUrlForLayer", {{"repositoryName", "nope"}, {"layerDigest", loose.digest}}),
      "RepositoryNotFoundException");
}

// --- PutImage -------------------------------------------------------------------

TEST_F(EcrImagesTest, PutImageStoresTheManifestAsGiven) {
  const Blob config = Upload("{}");
  const Blob layer = Upload("layer");
  const std::string manifest = ManifestText(config, {layer});
  const ApiReply r = Put(manifest, "v1");
  ASSERT_EQ(r.status, 200u) << r.raw;
  EXPECT_EQ(r.body, json({{"image",
                           {{"registryId", kAccount},
                            {"repositoryName", "app"},
                            {"imageId", {{"imageDigest", Sha256(manifest)}, {"imageTag", "v1"}}},
                            {"imageManifest", manifest},
                            {"imageManifestMediaType", kDockerManifest}}}}));
  EXPECT_EQ(Listed(), std::vector<std::string>{Entry(Sha256(manifest), "v1")});
  EXPECT_TRUE(HasBlobFile(Sha256(manifest)));
}

TEST_F(EcrImagesTest, PutImageWithoutATagStoresAnUntaggedImage) {
  const Blob config = Upload("{}");
  const std::string manifest = ManifestText(config, {});
  const ApiReply r = Put(manifest);
  ASSERT_EQ(r.status, 200u) << r.raw;
  EXPECT_EQ(r.body["image"]["imageId"], json({{"imageDigest", Sha256(manifest)}}));
  EXPECT_EQ(Listed(), std::vector<std::string>{Sha256(manifest)});
}

TEST_F(EcrImagesTest, PutImageChecksTheGivenDigest) {
  const Blob config = Upload("{}");
  const std::string manifest = ManifestText(config, {});
  const ApiReply wrong = Put(manifest, "v1", "app", {{"imageDigest", Sha256("something else")}});
  EXPECT_AWS_ERROR(wrong, "ImageDigestDoesNotMatchException");
  EXPECT_TRUE(Listed().empty());
  EXPECT_FALSE(HasBlobFile(Sha256(manifest)));
  const ApiReply right = Put(manifest, "v1", "app", {{"imageDigest", Sha256(manifest)}});
  ASSERT_EQ(right.status, 200u) << right.raw;
  EXPECT_EQ(right.body["image"]["imageId"]["imageDigest"], Sha256(manifest));
}

TEST_F(EcrImagesTest, PutImageRefusesInvalidJson) {
  for (const std::string manifest : {"{not json", "[1,2]", "\"text\""}) {
    const ApiReply r = Put(manifest, "v1");
    EXPECT_AWS_ERROR(r, "InvalidParameterException");
    EXPECT_EQ(r.message(),
              "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON "
              "syntax'");
  }
  EXPECT_TRUE(Listed().empty());
}

TEST_F(EcrImagesTest, PutImageOfAnOciManifestWithoutMediaTypeNeedsTheParameter) {
  const Blob config = Upload("{}");
  const Blob layer = Upload("oci layer");
  const std::string manifest =
      json{{"schemaVersion", 2},
           {"config", Descriptor(kOciEmpty, config)},
           {"layers", {Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer)}}}
          .dump();
  const ApiReply bare = Put(manifest, "oci");
  EXPECT_AWS_ERROR(bare, "InvalidParameterException");
  EXPECT_EQ(bare.message(),
            "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON "
            "syntax'");
  EXPECT_TRUE(Listed().empty());
  const ApiReply typed = Put(manifest, "oci", "app", {{"imageManifestMediaType", kOciManifest}});
  ASSERT_EQ(typed.status, 200u) << typed.raw;
  EXPECT_EQ(typed.body["image"]["imageManifestMediaType"], kOciManifest);
  EXPECT_EQ(Detail(Sha256(manifest))["artifactMediaType"], kOciEmpty);
}

TEST_F(EcrImagesTest, PutImageRefusesAMediaTypeThatContradictsTheManifest) {
  const Blob config = Upload("{}");
  const ApiReply r =
      Put(ManifestText(config, {}), "v1", "app", {{"imageManifestMediaType", kOciManifest}});
  EXPECT_AWS_ERROR(r, "InvalidParameterException");
  // Worded for the API's parameter, not the registry's Content-Type.
  EXPECT_EQ(r.message(),
            std::string("Invalid parameter at 'imageManifestMediaType' failed to satisfy "
                        "constraint: 'imageManifestMediaType ") +
                kOciManifest + " does not match the mediaType " + kDockerManifest +
                " of the image manifest'");
  EXPECT_TRUE(Listed().empty());
  // The matching type passes.
  const ApiReply same = Put(ManifestText(config, {}), "v1", "app",
                            {{"imageManifestMediaType", std::string(kDockerManifest)}});
  EXPECT_EQ(same.status, 200u) << same.raw;
}

TEST_F(EcrImagesTest, PutImageNeedsEveryLayerInTheRepository) {
  const Blob config = Upload("{}");
  const Blob missing{Sha256("never uploaded"), 14};
  const std::string manifest = ManifestText(config, {missing});
  const ApiReply r = Put(manifest, "v1");
  EXPECT_AWS_ERROR(r, "LayersNotFoundException");
  EXPECT_NE(r.message().find(missing.digest), std::string::npos) << r.message();
  EXPECT_TRUE(Listed().empty());
  EXPECT_FALSE(HasBlobFile(Sha256(manifest)));
  // a layer uploaded to another repository does not count
  CreateRepository("other");
  const Blob elsewhere = Upload("elsewhere", "other");
  EXPECT_AWS_ERROR(Put(ManifestText(config, {elsewhere}), "v1"), "LayersNotFoundException");
  // nor does a missing config
  const Blob layer = Upload("layer");
  EXPECT_AWS_ERROR(Put(ManifestText({Sha256("no config"), 9}, {layer}), "v1"),
                   "LayersNotFoundException");
  EXPECT_TRUE(Listed().empty());
}

TEST_F(EcrImagesTest, PutImageOfAnIndexNeedsItsChildren) {
  const Image child = PushImage("amd64");
  const Image absent{Sha256("absent manifest"), "{}", {}, {}};
  const std::string broken = IndexText({child, absent});
  const ApiReply r = Put(broken, "multi");
  EXPECT_AWS_ERROR(r, "ReferencedImagesNotFoundException");
  EXPECT_NE(r.message().find(absent.digest), std::string::npos) << r.message();
  EXPECT_EQ(Listed(), std::vector<std::string>{child.digest});
  const std::string index = IndexText({child});
  const ApiReply ok = Put(index, "multi");
  ASSERT_EQ(ok.status, 200u) << ok.raw;
  EXPECT_EQ(ok.body["image"]["imageManifestMediaType"], kDockerList);
  // an index reports the largest child's size
  EXPECT_EQ(Detail(Sha256(index))["imageSizeInBytes"], Detail(child.digest)["imageSizeInBytes"]);
}

TEST_F(EcrImagesTest, PutImageRefusesAnImageThatIsAlreadyThere) {
  const Image image = PushImage("same", "v1");
  const ApiReply again = Put(image.manifest, "v1");
  EXPECT_AWS_ERROR(again, "ImageAlreadyExistsException");
  EXPECT_EQ(again.message(), "Image with digest '" + image.digest +
                                 "' and tag 'v1' already exists in the repository with name "
                                 "'app' in registry with id '" +
                                 kAccount + "'");
  EXPECT_AWS_ERROR(Put(image.manifest), "ImageAlreadyExistsException");
  // a new tag on the same manifest is a new image id
  ASSERT_EQ(Put(image.manifest, "v2").status, 200u);
  EXPECT_EQ(Listed(),
            (std::vector<std::string>{Entry(image.digest, "v1"), Entry(image.digest, "v2")}));
}

TEST_F(EcrImagesTest, PutImageMovesAMutableTag) {
  const Image old_image = PushImage("old", "latest");
  const Image new_image = PushImage("new", "latest");
  const std::set<std::string> listed = [&] {
    const auto v = Listed();
    return std::set<std::string>(v.begin(), v.end());
  }();
  EXPECT_EQ(listed, (std::set<std::string>{old_image.digest, Entry(new_image.digest, "latest")}));
  EXPECT_FALSE(Detail(old_image.digest).contains("imageTags"));
}

TEST_F(EcrImagesTest, PutImageKeepsAnImmutableTag) {
  CreateRepository("fixed", {{"imageTagMutability", "IMMUTABLE"}});
  const Image first = PushImage("first", "v1", "fixed");
  Image second;
  second.config = Upload("{\"second\":1}", "fixed");
  second.manifest = ManifestText(second.config, {});
  const ApiReply r = Put(second.manifest, "v1", "fixed");
  EXPECT_AWS_ERROR(r, "ImageTagAlreadyExistsException");
  EXPECT_EQ(r.message(),
            "The image tag 'v1' already exists in the 'fixed' repository and cannot be "
            "overwritten because the repository is immutable.");
  EXPECT_EQ(Listed({}, "fixed"), std::vector<std::string>{Entry(first.digest, "v1")});
  EXPECT_FALSE(HasBlobFile(Sha256(second.manifest)));
}

TEST_F(EcrImagesTest, PutImageChecksTheTagAndTheRepository) {
  const Blob config = Upload("{}");
  const std::string manifest = ManifestText(config, {});
  for (const char* tag : {"-dash", "has:colon", "sp ace"}) {
    EXPECT_AWS_ERROR(Put(manifest, tag), "InvalidParameterException");
  }
  EXPECT_TRUE(Listed().empty());
  EXPECT_AWS_ERROR(Put(manifest, "v1", "nope"), "RepositoryNotFoundException");
}

// --- ListImages -----------------------------------------------------------------

TEST_F(EcrImagesTest, ListImagesHasOneEntryPerTag) {
  const Image tagged = PushImage("tagged", "a");
  ASSERT_EQ(Put(tagged.manifest, "b").status, 200u);
  ASSERT_EQ(Put(tagged.manifest, "c").status, 200u);
  const Image untagged = PushImage("untagged");
  const auto all = Listed();
  const std::set<std::string> entries(all.begin(), all.end());
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(entries, (std::set<std::string>{Entry(tagged.digest, "a"), Entry(tagged.digest, "b"),
                                            Entry(tagged.digest, "c"), untagged.digest}));
  EXPECT_EQ(Listed({{"filter", {{"tagStatus", "TAGGED"}}}}).size(), 3u);
  EXPECT_EQ(Listed({{"filter", {{"tagStatus", "UNTAGGED"}}}}),
            std::vector<std::string>{untagged.digest});
  EXPECT_EQ(Listed({{"filter", {{"tagStatus", "ANY"}}}}).size(), 4u);
  EXPECT_EQ(Listed({{"filter", {{"imageStatus", "ACTIVE"}}}}).size(), 4u);
  EXPECT_TRUE(Listed({{"filter", {{"imageStatus", "ARCHIVED"}}}}).empty());
}

TEST_F(EcrImagesTest, ListImagesPagesThroughTagsOfOneImage) {
  const Image many = PushImage("many", "t0");
  for (int i = 1; i < 5; ++i) ASSERT_EQ(Put(many.manifest, "t" + std::to_string(i)).status, 200u);
  const Image other = PushImage("other", "x");
  const Image loose = PushImage("loose");
  const auto everything = Listed();
  ASSERT_EQ(everything.size(), 7u);
  for (int size : {1, 2, 3, 6, 7, 8}) {
    std::vector<std::string> paged;
    json input = {{"repositoryName", "app"}, {"maxResults", size}};
    int pages = 0;
    for (; pages < 20; ++pages) {
      const json out = EcrOk("ListImages", input);
      EXPECT_LE(out["imageIds"].size(), static_cast<size_t>(size));
      for (const auto& id : out["imageIds"]) {
        std::string entry = id["imageDigest"];
        if (id.contains("imageTag")) entry += " " + id["imageTag"].get<std::string>();
        paged.push_back(entry);
      }
      if (!out.contains("nextToken")) break;
      input["nextToken"] = out["nextToken"];
    }
    EXPECT_EQ(paged, everything) << "page size " << size;
  }
}

TEST_F(EcrImagesTest, ListImagesOfAnEmptyOrMissingRepository) {
  EXPECT_EQ(EcrOk("ListImages", {{"repositoryName", "app"}}), json({{"imageIds", json::array()}}));
  EXPECT_AWS_ERROR(Ecr("ListImages", {{"repositoryName", "nope"}}), "RepositoryNotFoundException");
  EXPECT_AWS_ERROR(Ecr("ListImages", {{"repositoryName", "app"}, {"nextToken", "garbage"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("ListImages", {{"repositoryName", "app"}, {"maxResults", 0}}),
                   "InvalidParameterException");
}

// --- DescribeImages -------------------------------------------------------------

TEST_F(EcrImagesTest, DescribeImagesReportsEveryDetail) {
  const Image image = PushImage("detail", "v2");
  ASSERT_EQ(Put(image.manifest, "v1").status, 200u);
  const int64_t size = image.layers[0].size + image.layers[1].size;
  const json details = Details();
  ASSERT_EQ(details.size(), 1u);
  EXPECT_EQ(details[0], json({{"registryId", kAccount},
                              {"repositoryName", "app"},
                              {"imageDigest", image.digest},
                              {"imageTags", {"v1", "v2"}},
                              {"imageSizeInBytes", size},
                              {"imagePushedAt", clock_.Now()},
                              {"imageManifestMediaType", kDockerManifest},
                              {"artifactMediaType", kDockerConfig},
                              {"imageStatus", "ACTIVE"}}));
}

TEST_F(EcrImagesTest, DescribeImagesOmitsTagsOfAnUntaggedImage) {
  const Image image = PushImage("bare");
  const json detail = Detail(image.digest);
  EXPECT_FALSE(detail.contains("imageTags"));
  EXPECT_FALSE(detail.contains("lastRecordedPullTime"));
  EXPECT_FALSE(detail.contains("imageScanStatus"));
  EXPECT_FALSE(detail.contains("subjectManifestDigest"));
}

TEST_F(EcrImagesTest, DescribeImagesByIdNamesTheMissingOneExactly) {
  const Image image = PushImage("named", "v1");
  const json by_tag = Details({{"imageIds", {{{"imageTag", "v1"}}}}});
  ASSERT_EQ(by_tag.size(), 1u);
  EXPECT_EQ(by_tag[0]["imageDigest"], image.digest);
  // the same image twice is described once
  EXPECT_EQ(Details({{"imageIds", {{{"imageTag", "v1"}}, {{"imageDigest", image.digest}}}}}).size(),
            1u);
  const ApiReply missing =
      Ecr("DescribeImages",
          {{"repositoryName", "app"}, {"imageIds", {{{"imageTag", "v1"}}, {{"imageTag", "v9"}}}}});
  EXPECT_AWS_ERROR(missing, "ImageNotFoundException");
  EXPECT_EQ(missing.message(),
            "The image with imageId {imageDigest:'null', imageTag:'v9'} does not exist within "
            "the repository with name 'app' in the registry with id '" +
                std::string(kAccount) + "'");
  const std::string absent = Sha256("absent");
  const ApiReply by_digest =
      Ecr("DescribeImages", {{"repositoryName", "app"}, {"imageIds", {{{"imageDigest", absent}}}}});
  EXPECT_EQ(by_digest.message(),
            "The image with imageId {imageDigest:'" + absent +
                "', imageTag:'null'} does not exist within the repository with name 'app' in the "
                "registry with id '" +
                kAccount + "'");
}

TEST_F(EcrImagesTest, DescribeImagesRefusesMaxResultsWithImageIds) {
  PushImage("x", "v1");
  EXPECT_AWS_ERROR(
      Ecr("DescribeImages",
          {{"repositoryName", "app"}, {"imageIds", {{{"imageTag", "v1"}}}}, {"maxResults", 5}}),
      "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("DescribeImages", {{"repositoryName", "nope"}}),
                   "RepositoryNotFoundException");
}

TEST_F(EcrImagesTest, DescribeImagesPagesAndFilters) {
  std::set<std::string> digests;
  for (int i = 0; i < 5; ++i) {
    digests.insert(
        PushImage("img" + std::to_string(i), i % 2 == 0 ? "t" + std::to_string(i) : "").digest);
  }
  std::set<std::string> seen;
  json input = {{"repositoryName", "app"}, {"maxResults", 2}};
  for (int page = 0; page < 10; ++page) {
    const json out = EcrOk("DescribeImages", input);
    EXPECT_LE(out["imageDetails"].size(), 2u);
    for (const auto& d : out["imageDetails"]) {
      EXPECT_TRUE(seen.insert(d["imageDigest"].get<std::string>()).second);
    }
    if (!out.contains("nextToken")) break;
    input["nextToken"] = out["nextToken"];
  }
  EXPECT_EQ(seen, digests);
  EXPECT_EQ(Details({{"filter", {{"tagStatus", "TAGGED"}}}}).size(), 3u);
  EXPECT_EQ(Details({{"filter", {{"tagStatus", "UNTAGGED"}}}}).size(), 2u);
  EXPECT_TRUE(Details({{"filter", {{"imageStatus", "ARCHIVED"}}}}).empty());
  // a ListImages token is no DescribeImages token
  const json listed = EcrOk("ListImages", {{"repositoryName", "app"}, {"maxResults", 1}});
  EXPECT_AWS_ERROR(
      Ecr("DescribeImages", {{"repositoryName", "app"}, {"nextToken", listed["nextToken"]}}),
      "InvalidParameterException");
}

// --- BatchGetImage --------------------------------------------------------------

TEST_F(EcrImagesTest, BatchGetImageReturnsTheStoredBytes) {
  // a manifest with unusual spacing must come back byte for byte
  const Blob config = Upload("{}");
  const Blob layer = Upload("spaced");
  const std::string manifest =
      "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"" + std::string(kDockerManifest) +
      "\",\n  \"config\": " + Descriptor(kDockerConfig, config).dump() + ",\n  \"layers\": [" +
      Descriptor(kDockerLayer, layer).dump() + "]\n}\n";
  ASSERT_EQ(Put(manifest, "v1").status, 200u);
  const json out = EcrOk(
      "BatchGetImage",
      {{"repositoryName", "app"},
       {"imageIds",
        {{{"imageTag", "v1"}}, {{"imageDigest", Sha256(manifest)}}, {{"imageTag", "nope"}}}}});
  ASSERT_EQ(out["images"].size(), 2u);
  EXPECT_EQ(out["images"][0],
            json({{"registryId", kAccount},
                  {"repositoryName", "app"},
                  {"imageId", {{"imageDigest", Sha256(manifest)}, {"imageTag", "v1"}}},
                  {"imageManifest", manifest},
                  {"imageManifestMediaType", kDockerManifest}}));
  EXPECT_EQ(out["images"][1]["imageId"], json({{"imageDigest", Sha256(manifest)}}));
  EXPECT_EQ(out["images"][1]["imageManifest"], manifest);
  EXPECT_EQ(out["failures"], json::array({{{"imageId", {{"imageTag", "nope"}}},
                                           {"failureCode", "ImageNotFound"},
                                           {"failureReason", kNotFound}}}));
}

TEST_F(EcrImagesTest, BatchGetImageRecordsAPull) {
  const Image image = PushImage("pulled", "v1");
  EXPECT_FALSE(Detail(image.digest).contains("lastRecordedPullTime"));
  clock_.Advance(60);
  EcrOk("BatchGetImage", {{"repositoryName", "app"}, {"imageIds", {{{"imageTag", "v1"}}}}});
  const json detail = Detail(image.digest);
  EXPECT_EQ(detail["lastRecordedPullTime"], clock_.Now());
  EXPECT_EQ(detail["imagePushedAt"], clock_.Now() - 60);
}

TEST_F(EcrImagesTest, BatchGetImageHonoursAcceptedMediaTypes) {
  const Image image = PushImage("typed", "v1");
  const json refused = EcrOk("BatchGetImage", {{"repositoryName", "app"},
                                               {"imageIds", {{{"imageTag", "v1"}}}},
                                               {"acceptedMediaTypes", {kOciManifest}}});
  EXPECT_TRUE(refused["images"].empty());
  ASSERT_EQ(refused["failures"].size(), 1u);
  EXPECT_EQ(refused["failures"][0]["failureCode"], "ImageNotFound");
  EXPECT_FALSE(Detail(image.digest).contains("lastRecordedPullTime"));
  const json accepted =
      EcrOk("BatchGetImage", {{"repositoryName", "app"},
                              {"imageIds", {{{"imageTag", "v1"}}}},
                              {"acceptedMediaTypes", {kOciManifest, kDockerManifest}}});
  ASSERT_EQ(accepted["images"].size(), 1u);
  EXPECT_TRUE(accepted["failures"].empty());
}

TEST_F(EcrImagesTest, BatchGetImageReportsMalformedIds) {
  const Image image = PushImage("ids", "v1");
  const Image other = PushImage("other", "v2");
  const json out =
      EcrOk("BatchGetImage", {{"repositoryName", "app"},
                              {"imageIds",
                               {json::object(),
                                {{"imageDigest", "sha256:XYZ"}},
                                {{"imageTag", "v1"}, {"imageDigest", other.digest}},
                                {{"imageTag", "v1"}, {"imageDigest", image.digest}}}}});
  ASSERT_EQ(out["images"].size(), 1u);
  EXPECT_EQ(out["images"][0]["imageId"], json({{"imageDigest", image.digest}, {"imageTag", "v1"}}));
  ASSERT_EQ(out["failures"].size(), 3u);
  EXPECT_EQ(out["failures"][0], json({{"imageId", json::object()},
                                      {"failureCode", "MissingDigestAndTag"},
                                      {"failureReason", kMissingBoth}}));
  EXPECT_EQ(out["failures"][1]["failureCode"], "InvalidImageDigest");
  EXPECT_EQ(out["failures"][2]["failureCode"], "ImageTagDoesNotMatchDigest");
  EXPECT_AWS_ERROR(
      Ecr("BatchGetImage", {{"repositoryName", "nope"}, {"imageIds", {{{"imageTag", "v1"}}}}}),
      "RepositoryNotFoundException");
}

// --- BatchDeleteImage -----------------------------------------------------------

TEST_F(EcrImagesTest, DeletingATagKeepsAnImageWithOtherTags) {
  const Image image = PushImage("multi", "a");
  ASSERT_EQ(Put(image.manifest, "b").status, 200u);
  const json out = Delete({{{"imageTag", "a"}}});
  EXPECT_EQ(out, json({{"imageIds", {{{"imageDigest", image.digest}, {"imageTag", "a"}}}},
                       {"failures", json::array()}}));
  EXPECT_EQ(Listed(), std::vector<std::string>{Entry(image.digest, "b")});
  EXPECT_TRUE(HasBlobFile(image.digest));
  // the last tag takes the image with it
  const json last = Delete({{{"imageTag", "b"}}});
  EXPECT_EQ(last["imageIds"], json({{{"imageDigest", image.digest}, {"imageTag", "b"}}}));
  EXPECT_TRUE(Listed().empty());
  EXPECT_FALSE(HasBlobFile(image.digest));
}

TEST_F(EcrImagesTest, DeletingByDigestRemovesEveryTag) {
  const Image image = PushImage("digest", "x");
  ASSERT_EQ(Put(image.manifest, "y").status, 200u);
  const Image untagged = PushImage("untagged");
  const json out = Delete({{{"imageDigest", image.digest}}, {{"imageDigest", untagged.digest}}});
  EXPECT_EQ(out, json({{"imageIds",
                        {{{"imageDigest", image.digest}, {"imageTag", "x"}},
                         {{"imageDigest", image.digest}, {"imageTag", "y"}},
                         {{"imageDigest", untagged.digest}}}},
                       {"failures", json::array()}}));
  EXPECT_TRUE(Listed().empty());
}

TEST_F(EcrImagesTest, DeletingByTagAndDigestNeedsThemToAgree) {
  const Image image = PushImage("both", "v1");
  const Image other = PushImage("other", "v2");
  const json refused = Delete({{{"imageTag", "v1"}, {"imageDigest", other.digest}}});
  EXPECT_TRUE(refused["imageIds"].empty());
  EXPECT_EQ(refused["failures"],
            json::array({{{"imageId", {{"imageDigest", other.digest}, {"imageTag", "v1"}}},
                          {"failureCode", "ImageTagDoesNotMatchDigest"},
                          {"failureReason",
                           "Invalid request parameters: image tag digest did not match image "
                           "digest"}}}));
  const json agreed = Delete({{{"imageTag", "v1"}, {"imageDigest", image.digest}}});
  EXPECT_EQ(agreed["imageIds"], json({{{"imageDigest", image.digest}, {"imageTag", "v1"}}}));
  EXPECT_EQ(Listed(), std::vector<std::string>{Entry(other.digest, "v2")});
}

TEST_F(EcrImagesTest, BatchDeleteImageReportsEachRefusedId) {
  const Image image = PushImage("kept", "v1");
  const json out = Delete({json::object(),
                           {{"imageDigest", "sha256:nothex"}},
                           {{"imageTag", "bad tag"}},
                           {{"imageTag", "v9"}},
                           {{"imageDigest", Sha256("absent")}}});
  EXPECT_TRUE(out["imageIds"].empty());
  ASSERT_EQ(out["failures"].size(), 5u);
  EXPECT_EQ(out["failures"][0], json({{"imageId", json::object()},
                                      {"failureCode", "MissingDigestAndTag"},
                                      {"failureReason", kMissingBoth}}));
  EXPECT_EQ(out["failures"][1]["failureCode"], "InvalidImageDigest");
  EXPECT_EQ(out["failures"][1]["imageId"], json({{"imageDigest", "sha256:nothex"}}));
  EXPECT_EQ(out["failures"][2]["failureCode"], "InvalidImageTag");
  EXPECT_EQ(out["failures"][3], json({{"imageId", {{"imageTag", "v9"}}},
                                      {"failureCode", "ImageNotFound"},
                                      {"failureReason", kNotFound}}));
  EXPECT_EQ(out["failures"][4]["failureCode"], "ImageNotFound");
  EXPECT_EQ(Listed(), std::vector<std::string>{Entry(image.digest, "v1")});
  EXPECT_AWS_ERROR(
      Ecr("BatchDeleteImage", {{"repositoryName", "nope"}, {"imageIds", {{{"imageTag", "v1"}}}}}),
      "RepositoryNotFoundException");
}

TEST_F(EcrImagesTest, BatchDeleteImageMixesSuccessesAndFailures) {
  const Image a = PushImage("a", "a");
  const Image b = PushImage("b", "b");
  const json out = Delete({{{"imageTag", "a"}}, {{"imageTag", "a"}}, {{"imageTag", "b"}}});
  EXPECT_EQ(out["imageIds"], json({{{"imageDigest", a.digest}, {"imageTag", "a"}},
                                   {{"imageDigest", b.digest}, {"imageTag", "b"}}}));
  EXPECT_EQ(out["failures"], json::array({{{"imageId", {{"imageTag", "a"}}},
                                           {"failureCode", "ImageNotFound"},
                                           {"failureReason", kNotFound}}}));
  EXPECT_TRUE(Listed().empty());
}

TEST_F(EcrImagesTest, AChildOfAnIndexCannotBeDeleted) {
  const Image child = PushImage("child");
  const std::string index = IndexText({child});
  ASSERT_EQ(Put(index, "multi").status, 200u);
  const json refused = Delete({{{"imageDigest", child.digest}}});
  ASSERT_EQ(refused["failures"].size(), 1u);
  EXPECT_EQ(refused["failures"][0]["failureCode"], "ImageReferencedByManifestList");
  EXPECT_TRUE(HasBlobFile(child.digest));
  // once the index is gone the child can go too
  EXPECT_EQ(Delete({{{"imageTag", "multi"}}})["imageIds"].size(), 1u);
  EXPECT_EQ(Listed(), std::vector<std::string>{child.digest});
  EXPECT_EQ(Delete({{{"imageDigest", child.digest}}})["imageIds"].size(), 1u);
  EXPECT_TRUE(Listed().empty());
}

TEST_F(EcrImagesTest, BatchDeleteImageCollectsBlobsNothingRefersTo) {
  // given two images sharing one layer
  const Image first = PushImage("first", "one", "app", {"shared layer"});
  const Image second = PushImage("second", "two", "app", {"shared layer"});
  const std::string shared = first.layers[0].digest;
  ASSERT_EQ(second.layers[0].digest, shared);
  // and a layer uploaded but never used
  const Blob loose = Upload("loose");
  // when the first image goes
  Delete({{{"imageTag", "one"}}});
  // then its own blobs and manifest are gone, the shared layer is not
  EXPECT_FALSE(HasBlobFile(first.digest));
  EXPECT_FALSE(HasBlobFile(first.config.digest));
  EXPECT_FALSE(HasBlobFile(first.layers[1].digest));
  EXPECT_FALSE(HasBlobFile(first.layers[2].digest));
  EXPECT_FALSE(LayerAvailable(first.layers[1].digest));
  EXPECT_TRUE(HasBlobFile(shared));
  EXPECT_TRUE(LayerAvailable(shared));
  EXPECT_TRUE(HasBlobFile(loose.digest));
  // the second image is still whole and servable
  const json got =
      EcrOk("BatchGetImage", {{"repositoryName", "app"}, {"imageIds", {{{"imageTag", "two"}}}}});
  EXPECT_EQ(got["images"][0]["imageManifest"], second.manifest);
  // when the second goes too, the shared layer goes with it
  Delete({{{"imageDigest", second.digest}}});
  EXPECT_FALSE(HasBlobFile(shared));
  EXPECT_FALSE(HasBlobFile(second.digest));
  EXPECT_TRUE(HasBlobFile(loose.digest));
}

TEST_F(EcrImagesTest, GarbageCollectionSparesBlobsOfOtherRepositories) {
  CreateRepository("other");
  const Image here = PushImage("here", "v1", "app", {"common"});
  const Image there = PushImage("there", "v1", "other", {"common"});
  Delete({{{"imageTag", "v1"}}});
  EXPECT_FALSE(HasBlobFile(here.layers[1].digest));
  EXPECT_TRUE(HasBlobFile(there.layers[0].digest));
  EXPECT_TRUE(LayerAvailable(there.layers[0].digest, "other"));
}

// --- Scanning -------------------------------------------------------------------

TEST_F(EcrImagesTest, ScanFindingsExistOnlyAfterAScan) {
  const Image image = PushImage("scan", "v1");
  const ApiReply before = Ecr("DescribeImageScanFindings",
                              {{"repositoryName", "app"}, {"imageId", {{"imageTag", "v1"}}}});
  EXPECT_AWS_ERROR(before, "ScanNotFoundException");
  EXPECT_EQ(before.message(),
            "Image scan does not exist for the image with '{imageDigest:'null', imageTag:'v1'}' "
            "in the repository with name 'app' in the registry with id '" +
                std::string(kAccount) + "'");
  EXPECT_FALSE(Detail(image.digest).contains("imageScanStatus"));

  clock_.Advance(5);
  const json started =
      EcrOk("StartImageScan", {{"repositoryName", "app"}, {"imageId", {{"imageTag", "v1"}}}});
  const json status = {{"status", "COMPLETE"},
                       {"description", "The scan was completed successfully."}};
  EXPECT_EQ(started, json({{"registryId", kAccount},
                           {"repositoryName", "app"},
                           {"imageId", {{"imageDigest", image.digest}, {"imageTag", "v1"}}},
                           {"imageScanStatus", status}}));

  const json findings =
      EcrOk("DescribeImageScanFindings",
            {{"repositoryName", "app"}, {"imageId", {{"imageDigest", image.digest}}}});
  EXPECT_EQ(findings, json({{"registryId", kAccount},
                            {"repositoryName", "app"},
                            {"imageId", {{"imageDigest", image.digest}}},
                            {"imageScanStatus", status},
                            {"imageScanFindings",
                             {{"imageScanCompletedAt", clock_.Now()},
                              {"vulnerabilitySourceUpdatedAt", clock_.Now()},
                              {"findingSeverityCounts", json::object()},
                              {"findings", json::array()}}}}));
  const json detail = Detail(image.digest);
  EXPECT_EQ(detail["imageScanStatus"], status);
  EXPECT_EQ(detail["imageScanFindingsSummary"],
            json({{"imageScanCompletedAt", clock_.Now()},
                  {"vulnerabilitySourceUpdatedAt", clock_.Now()},
                  {"findingSeverityCounts", json::object()}}));
}

TEST_F(EcrImagesTest, ScanningNeedsAnImage) {
  const ApiReply r =
      Ecr("StartImageScan", {{"repositoryName", "app"}, {"imageId", {{"imageTag", "none"}}}});
  EXPECT_AWS_ERROR(r, "ImageNotFoundException");
  EXPECT_EQ(r.message(),
            "The image with imageId {imageDigest:'null', imageTag:'none'} does not exist within "
            "the repository with name 'app' in the registry with id '" +
                std::string(kAccount) + "'");
  EXPECT_AWS_ERROR(Ecr("DescribeImageScanFindings",
                       {{"repositoryName", "app"}, {"imageId", {{"imageTag", "none"}}}}),
                   "ImageNotFoundException");
  EXPECT_AWS_ERROR(
      Ecr("StartImageScan", {{"repositoryName", "nope"}, {"imageId", {{"imageTag", "v1"}}}}),
      "RepositoryNotFoundException");
}

// --- Referrers ------------------------------------------------------------------

TEST_F(EcrImagesTest, ListImageReferrersFindsArtifactsOfASubject) {
  const Image subject = PushImage("subject", "v1");
  const Blob empty = Upload("{}");
  std::vector<std::string> referrers;
  int n = 0;
  for (const char* type : {"application/vnd.example.sbom", "application/vnd.example.sig",
                           "application/vnd.example.sbom"}) {
    ++n;
    const std::string text =
        json{{"schemaVersion", 2},
             {"mediaType", kOciManifest},
             {"artifactType", type},
             {"config", Descriptor(kOciEmpty, empty)},
             {"layers", json::array({Descriptor(kOciEmpty, empty)})},
             {"subject",
              Descriptor(kDockerManifest,
                         {subject.digest, static_cast<int64_t>(subject.manifest.size())})},
             {"annotations", {{"org.example.kind", type}, {"org.example.n", std::to_string(n)}}}}
            .dump();
    ASSERT_EQ(Put(text).status, 200u);
    referrers.push_back(Sha256(text));
    EXPECT_EQ(Detail(Sha256(text))["subjectManifestDigest"], subject.digest);
  }
  const json all = EcrOk("ListImageReferrers", {{"repositoryName", "app"},
                                                {"subjectId", {{"imageDigest", subject.digest}}}});
  ASSERT_EQ(all["referrers"].size(), 3u);
  EXPECT_FALSE(all.contains("nextToken"));
  const json& first = all["referrers"][0];
  EXPECT_EQ(first["mediaType"], kOciManifest);
  EXPECT_EQ(first["artifactStatus"], "ACTIVE");
  EXPECT_TRUE(first.contains("size"));
  EXPECT_EQ(first["annotations"]["org.example.kind"], first["artifactType"]);
  const json sboms = EcrOk("ListImageReferrers",
                           {{"repositoryName", "app"},
                            {"subjectId", {{"imageDigest", subject.digest}}},
                            {"filter", {{"artifactTypes", {"application/vnd.example.sbom"}}}}});
  EXPECT_EQ(sboms["referrers"].size(), 2u);
  // paging, one at a time
  std::set<std::string> seen;
  json input = {{"repositoryName", "app"},
                {"subjectId", {{"imageDigest", subject.digest}}},
                {"maxResults", 1}};
  for (int page = 0; page < 10; ++page) {
    const json out = EcrOk("ListImageReferrers", input);
    EXPECT_EQ(out["referrers"].size(), 1u);
    for (const auto& r : out["referrers"]) seen.insert(r["digest"].get<std::string>());
    if (!out.contains("nextToken")) break;
    input["nextToken"] = out["nextToken"];
  }
  EXPECT_EQ(seen, std::set<std::string>(referrers.begin(), referrers.end()));
}

TEST_F(EcrImagesTest, ListImageReferrersOfAnUnreferencedOrMalformedSubject) {
  EXPECT_EQ(EcrOk("ListImageReferrers",
                  {{"repositoryName", "app"}, {"subjectId", {{"imageDigest", Sha256("none")}}}}),
            json({{"referrers", json::array()}}));
  EXPECT_AWS_ERROR(Ecr("ListImageReferrers",
                       {{"repositoryName", "app"}, {"subjectId", {{"imageDigest", "sha256:Z"}}}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(Ecr("ListImageReferrers", {{"repositoryName", "nope"},
                                              {"subjectId", {{"imageDigest", Sha256("none")}}}}),
                   "RepositoryNotFoundException");
}

// --- The registry protocol sees the same images ------------------------------------

TEST_F(EcrImagesTest, AnImagePutHereIsServedByTheRegistryPath) {
  const Image image = PushImage("pull me", "v1");
  const ecr::ManifestContent served =
      images_.GetManifest(Registry(), "app", "v1", "", clock_.Now(), /*record_pull=*/true);
  EXPECT_EQ(served.digest, image.digest);
  EXPECT_EQ(served.bytes, image.manifest);
  EXPECT_EQ(served.media_type, kDockerManifest);
  for (const auto& layer : image.layers) {
    EXPECT_EQ(images_.BlobSize(Registry(), "app", layer.digest), layer.size);
  }
  EXPECT_EQ(images_.BlobSize(Registry(), "app", image.config.digest), image.config.size);
  EXPECT_TRUE(Detail(image.digest).contains("lastRecordedPullTime"));
}

TEST_F(EcrImagesTest, AnImagePushedThroughTheRegistryPathIsVisibleHere) {
  // given blobs uploaded the way a registry PATCH/PUT does it
  const auto repository = images_.Repository(Registry(), "app");
  const auto push_blob = [&](const std::string& content) {
    const ecr::UploadSession session = uploads_.Start(repository.id, clock_.Now());
    {
      auto writer = uploads_.OpenWriter(session.uuid, repository.id, clock_.Now());
      EXPECT_TRUE(writer->Write(content));
    }
    const std::string digest = Sha256(content);
    uploads_.Complete(session.uuid, repository.id, digest, clock_.Now());
    return Blob{digest, static_cast<int64_t>(content.size())};
  };
  const Blob config = push_blob("{\"pushed\":true}");
  const Blob layer = push_blob("pushed layer");
  const std::string manifest = ManifestText(config, {layer});
  images_.PutManifest(Registry(), "app", "pushed", manifest, kDockerManifest, clock_.Now(),
                      ecr::PutMode::kRegistry);
  // then the JSON API lists, describes and serves it
  EXPECT_EQ(Listed(), std::vector<std::string>{Entry(Sha256(manifest), "pushed")});
  EXPECT_EQ(Detail(Sha256(manifest))["imageSizeInBytes"], layer.size);
  const json got =
      EcrOk("BatchGetImage", {{"repositoryName", "app"}, {"imageIds", {{{"imageTag", "pushed"}}}}});
  EXPECT_EQ(got["images"][0]["imageManifest"], manifest);
  EXPECT_TRUE(LayerAvailable(layer.digest));
  EXPECT_EQ(
      EcrOk("GetDownloadUrlForLayer", {{"repositoryName", "app"}, {"layerDigest", layer.digest}})
          .value("layerDigest", ""),
      layer.digest);
}

// --- DeleteRepository with images ------------------------------------------------

TEST_F(EcrImagesTest, DeleteRepositoryRefusesARepositoryWithImages) {
  const Image image = PushImage("keep", "v1");
  const ApiReply r = Ecr("DeleteRepository", {{"repositoryName", "app"}});
  EXPECT_AWS_ERROR(r, "RepositoryNotEmptyException");
  EXPECT_EQ(r.message(), "The repository with name 'app' in registry with id '" +
                             std::string(kAccount) +
                             "' cannot be deleted because it still contains images");
  EXPECT_EQ(Listed(), std::vector<std::string>{Entry(image.digest, "v1")});
  EXPECT_TRUE(HasBlobFile(image.digest));
}

TEST_F(EcrImagesTest, DeleteRepositoryWithoutImagesNeedsNoForce) {
  const Blob loose = Upload("only a layer");
  const json out = EcrOk("DeleteRepository", {{"repositoryName", "app"}});
  EXPECT_EQ(out["repository"]["repositoryName"], "app");
  EXPECT_FALSE(HasBlobFile(loose.digest));
}

TEST_F(EcrImagesTest, DeleteRepositoryEndsItsOpenUploads) {
  const std::string upload = Initiate();
  ASSERT_EQ(Part(upload, 0, "half a layer").status, 200u);
  EcrOk("DeleteRepository", {{"repositoryName", "app"}});
  CreateRepository("app");
  EXPECT_AWS_ERROR(Part(upload, 12, "more"), "UploadNotFoundException");
  EXPECT_AWS_ERROR(Complete(upload, Sha256("half a layer")), "UploadNotFoundException");
}

TEST_F(EcrImagesTest, ForcedDeleteRepositoryRemovesImagesAndCollectsBlobs) {
  CreateRepository("other");
  const Image image = PushImage("gone", "v1", "app", {"kept elsewhere"});
  const Image other = PushImage("stays", "v1", "other", {"kept elsewhere"});
  const json out = EcrOk("DeleteRepository", {{"repositoryName", "app"}, {"force", true}});
  EXPECT_EQ(out["repository"]["repositoryName"], "app");
  EXPECT_AWS_ERROR(Ecr("ListImages", {{"repositoryName", "app"}}), "RepositoryNotFoundException");
  EXPECT_FALSE(HasBlobFile(image.digest));
  EXPECT_FALSE(HasBlobFile(image.config.digest));
  EXPECT_FALSE(HasBlobFile(image.layers[1].digest));
  EXPECT_TRUE(HasBlobFile(other.layers[0].digest));
  EXPECT_EQ(Listed({}, "other"), std::vector<std::string>{Entry(other.digest, "v1")});
  // a repository of the same name starts empty
  CreateRepository("app");
  EXPECT_TRUE(Listed().empty());
  EXPECT_FALSE(LayerAvailable(image.layers[0].digest));
}

}  // namespace
}  // namespace berth::testing
