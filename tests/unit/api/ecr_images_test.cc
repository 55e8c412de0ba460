// ECR calls that read images: ListImages, DescribeImages, BatchGetImage,
// scanning and referrers, and the registry path serving the same images.
// Images are built in process (ecr_images_fixture.h).

#include <string>
#include <vector>

#include "tests/unit/api/ecr_images_fixture.h"

namespace berth::testing {
namespace {

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

// --- Pull-time update exclusions (issue 12) ------------------------------------------

TEST_F(EcrImagesTest, PullsByAnExcludedPrincipalDoNotUpdateTheLastPullTime) {
  // given an image and two excluded principals: a user, and a role with a path
  const Image image = PushImage("pull me", "v1");
  EcrOk("RegisterPullTimeUpdateExclusion",
        {{"principalArn", "arn:aws:iam::000000000000:user/scanner"}});
  EcrOk("RegisterPullTimeUpdateExclusion",
        {{"principalArn", "arn:aws:iam::000000000000:role/ops/ci"}});

  // when the user pulls through the registry and a session of the role
  // through BatchGetImage
  images_.GetManifest(Registry(), "app", "v1", "", clock_.Now(), /*record_pull=*/true,
                      "arn:aws:iam::000000000000:user/scanner");
  const ecr::FetchedImages fetched =
      images_.GetImages(Registry(), "app", {ecr::ImageId{std::nullopt, "v1"}}, {}, clock_.Now(),
                        "arn:aws:sts::000000000000:assumed-role/ci/task-1");
  ASSERT_EQ(fetched.images.size(), 1u);

  // then the image was served but no pull recorded
  EXPECT_FALSE(Detail(image.digest).contains("lastRecordedPullTime"));

  // and a pull by anyone else (a role of the same name in another account,
  // the root user) is recorded
  images_.GetImages(Registry(), "app", {ecr::ImageId{std::nullopt, "v1"}}, {}, clock_.Now(),
                    "arn:aws:sts::111122223333:assumed-role/ci/task-1");
  const json first = Detail(image.digest);
  ASSERT_TRUE(first.contains("lastRecordedPullTime"));
  clock_.Advance(60);
  images_.GetManifest(Registry(), "app", "v1", "", clock_.Now(), /*record_pull=*/true,
                      "arn:aws:iam::000000000000:root");
  EXPECT_GT(Detail(image.digest)["lastRecordedPullTime"].get<double>(),
            first["lastRecordedPullTime"].get<double>());
}

TEST_F(EcrImagesTest, BatchGetImageRecordsThePullOfTheDefaultRootPrincipal) {
  // given an exclusion of a user, the default caller (the account's root) pulls
  const Image image = PushImage("pull me", "v1");
  EcrOk("RegisterPullTimeUpdateExclusion",
        {{"principalArn", "arn:aws:iam::000000000000:user/scanner"}});
  EcrOk("BatchGetImage", {{"repositoryName", "app"}, {"imageIds", {{{"imageTag", "v1"}}}}});
  EXPECT_TRUE(Detail(image.digest).contains("lastRecordedPullTime"));
}

}  // namespace
}  // namespace berth::testing
