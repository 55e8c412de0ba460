// ECR calls that change images: PutImage (digests, media types, references,
// tags and immutability), BatchDeleteImage (with blob garbage collection) and
// DeleteRepository of a repository with images. Every refused call is
// followed by a read that proves nothing was stored.

#include <string>
#include <vector>

#include "tests/unit/api/ecr_images_fixture.h"

namespace berth::testing {
namespace {

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
  // its blobs go with the collector's next sweep after the grace period
  EXPECT_TRUE(HasBlobFile(image.digest));
  clock_.Advance(7200);
  images_.CollectOrphans(clock_.Now() - 3600);
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
  constexpr double kGrace = 3600;
  clock_.Advance(2 * kGrace);
  // when the first image goes
  Delete({{{"imageTag", "one"}}});
  // then its blobs stay for the grace period (a push in flight may reuse
  // them), while the abandoned upload's grace is over
  EXPECT_TRUE(HasBlobFile(first.layers[1].digest));
  EXPECT_TRUE(LayerAvailable(first.layers[1].digest));
  images_.CollectOrphans(clock_.Now() - kGrace);
  EXPECT_TRUE(HasBlobFile(first.layers[1].digest));
  EXPECT_FALSE(HasBlobFile(loose.digest));
  // after the grace period its own blobs and manifest are gone, the shared
  // layer is not
  clock_.Advance(2 * kGrace);
  images_.CollectOrphans(clock_.Now() - kGrace);
  EXPECT_FALSE(HasBlobFile(first.digest));
  EXPECT_FALSE(HasBlobFile(first.config.digest));
  EXPECT_FALSE(HasBlobFile(first.layers[1].digest));
  EXPECT_FALSE(HasBlobFile(first.layers[2].digest));
  EXPECT_FALSE(LayerAvailable(first.layers[1].digest));
  EXPECT_TRUE(HasBlobFile(shared));
  EXPECT_TRUE(LayerAvailable(shared));
  // the second image is still whole and servable
  const json got =
      EcrOk("BatchGetImage", {{"repositoryName", "app"}, {"imageIds", {{{"imageTag", "two"}}}}});
  EXPECT_EQ(got["images"][0]["imageManifest"], second.manifest);
  // when the second goes too, the shared layer goes with it
  Delete({{{"imageDigest", second.digest}}});
  clock_.Advance(2 * kGrace);
  images_.CollectOrphans(clock_.Now() - kGrace);
  EXPECT_FALSE(HasBlobFile(shared));
  EXPECT_FALSE(HasBlobFile(second.digest));
}

TEST_F(EcrImagesTest, ReusingALayerWithinTheGracePeriodKeepsIt) {
  // given an image whose layer a new push reuses right after the image went
  const Image old_image = PushImage("old", "v1", "app", {"reused"});
  const std::string reused = old_image.layers[0].digest;
  Delete({{{"imageTag", "v1"}}});
  // (the client saw the layer available and did not upload it again)
  ASSERT_TRUE(LayerAvailable(reused));
  const Blob config = Upload("new config");
  const std::string manifest = ManifestText(config, {{reused, 6}});
  ASSERT_EQ(Put(manifest, "v2").status, 200u);
  // when the collector runs with no grace left for the old image
  clock_.Advance(7200);
  images_.CollectOrphans(clock_.Now());
  // then the layer the new image refers to is still there
  EXPECT_TRUE(HasBlobFile(reused));
  EXPECT_TRUE(LayerAvailable(reused));
  EXPECT_FALSE(HasBlobFile(old_image.digest));
}

TEST_F(EcrImagesTest, GarbageCollectionSparesBlobsOfOtherRepositories) {
  CreateRepository("other");
  const Image here = PushImage("here", "v1", "app", {"common"});
  const Image there = PushImage("there", "v1", "other", {"common"});
  Delete({{{"imageTag", "v1"}}});
  clock_.Advance(7200);
  images_.CollectOrphans(clock_.Now());
  EXPECT_FALSE(HasBlobFile(here.layers[1].digest));
  EXPECT_TRUE(HasBlobFile(there.layers[0].digest));
  EXPECT_TRUE(LayerAvailable(there.layers[0].digest, "other"));
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
