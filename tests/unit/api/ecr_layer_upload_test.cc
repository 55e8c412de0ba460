// The ECR layer upload API: InitiateLayerUpload, UploadLayerPart,
// CompleteLayerUpload, BatchCheckLayerAvailability and GetDownloadUrlForLayer.
// Every refused call is followed by a read that proves nothing was stored.

#include <string>
#include <vector>

#include "tests/unit/api/ecr_images_fixture.h"

namespace berth::testing {
namespace {

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

}  // namespace
}  // namespace berth::testing
