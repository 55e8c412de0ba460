// Lifecycle policies at work through the ECR API: evaluation after a push
// and on the periodic pass (the test's clock moved by hand, the same path
// as production), previews, and the archive storage class.

#include <set>
#include <string>
#include <vector>

#include "server/ecr/lifecycle_service.h"
#include "tests/unit/api/ecr_images_fixture.h"

namespace berth::testing {
namespace {

constexpr double kDay = 86400;

class EcrLifecycleTest : public EcrImagesTest {
 protected:
  EcrLifecycleTest() {
    ecr_api_.AttachLifecycle(&lifecycle_);
    images_.SetPushObserver([this](int64_t id) { lifecycle_.Poke(id); });
  }

  void PutPolicy(const std::string& text, const std::string& repository = "app") {
    EcrOk("PutLifecyclePolicy", {{"repositoryName", repository}, {"lifecyclePolicyText", text}});
  }

  // The digests DescribeImages lists (ACTIVE unless `status` says otherwise).
  std::set<std::string> Digests(const std::string& status = "") {
    json input = json::object();
    if (!status.empty()) input["filter"] = {{"imageStatus", status}};
    std::set<std::string> out;
    for (const auto& d : Details(input)) out.insert(d["imageDigest"].get<std::string>());
    return out;
  }

  json GetImage(const std::string& tag) {
    return EcrOk("BatchGetImage", {{"repositoryName", "app"}, {"imageIds", {{{"imageTag", tag}}}}});
  }

  ApiReply Storage(const std::string& digest, const std::string& target) {
    return Ecr("UpdateImageStorageClass", {{"repositoryName", "app"},
                                           {"imageId", {{"imageDigest", digest}}},
                                           {"targetStorageClass", target}});
  }

  ecr::LifecycleService lifecycle_{database_, images_, clock_, ecr::LifecycleOptions{300, 60, 100}};
};

const char* kKeepTwo = R"({"rules":[{"rulePriority":1,"description":"keep two",
  "selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan",
  "countNumber":2},"action":{"type":"expire"}}]})";

const char* kUntaggedAfterADay = R"({"rules":[{"rulePriority":1,
  "selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days",
  "countNumber":1},"action":{"type":"expire"}}]})";

TEST_F(EcrLifecycleTest, CountRuleExpiresImagesAfterAPush) {
  // given a policy keeping two v* images
  PutPolicy(kKeepTwo);
  const Image v1 = PushImage("one", "v1");
  clock_.Advance(1);
  const Image v2 = PushImage("two", "v2");
  clock_.Advance(1);
  lifecycle_.RunPending();
  EXPECT_EQ(Digests(), (std::set<std::string>{v1.digest, v2.digest}));
  // when a third is pushed and the evaluation that push queued runs
  clock_.Advance(1);
  const Image v3 = PushImage("three", "v3");
  lifecycle_.RunPending();
  // then the oldest is gone from every API
  EXPECT_EQ(Digests(), (std::set<std::string>{v2.digest, v3.digest}));
  EXPECT_EQ(Listed().size(), 2u);
  const json got = GetImage("v1");
  EXPECT_TRUE(got["images"].empty());
  ASSERT_EQ(got["failures"].size(), 1u);
  EXPECT_EQ(got["failures"][0]["failureCode"], "ImageNotFound");
  // and the evaluation is stamped
  const json policy = EcrOk("GetLifecyclePolicy", {{"repositoryName", "app"}});
  EXPECT_GT(policy["lastEvaluatedAt"].get<double>(), 0);
}

TEST_F(EcrLifecycleTest, AgeRuleExpiresOnceTheClockHasMoved) {
  PutPolicy(kUntaggedAfterADay);
  const Image untagged = PushImage("loose");
  const Image tagged = PushImage("kept", "release");
  lifecycle_.RunPending();
  EXPECT_EQ(Digests(), (std::set<std::string>{untagged.digest, tagged.digest}));
  // a day and a second later, the periodic pass expires the untagged one
  clock_.Advance(kDay + 1);
  lifecycle_.RunPending();
  EXPECT_EQ(Digests(), std::set<std::string>{tagged.digest});
}

TEST_F(EcrLifecycleTest, PreviewShowsExactlyWhatWouldExpireAndChangesNothing) {
  std::vector<Image> images;
  for (int i = 0; i < 4; ++i) {
    images.push_back(PushImage("img" + std::to_string(i), "v" + std::to_string(i)));
    clock_.Advance(1);
  }
  const Image untagged = PushImage("untagged");
  // when a preview of "keep two v*" starts
  const json started = EcrOk("StartLifecyclePolicyPreview",
                             {{"repositoryName", "app"}, {"lifecyclePolicyText", kKeepTwo}});
  EXPECT_EQ(started["status"], "IN_PROGRESS");
  EXPECT_EQ(started["lifecyclePolicyText"], kKeepTwo);
  // then a second one waits for it
  EXPECT_AWS_ERROR(Ecr("StartLifecyclePolicyPreview",
                       {{"repositoryName", "app"}, {"lifecyclePolicyText", kKeepTwo}}),
                   "LifecyclePolicyPreviewInProgressException");
  const json pending = EcrOk("GetLifecyclePolicyPreview", {{"repositoryName", "app"}});
  EXPECT_EQ(pending["status"], "IN_PROGRESS");
  EXPECT_FALSE(pending.contains("previewResults"));
  // and once it ran it lists v0 and v1, oldest first
  lifecycle_.RunPending();
  const json done = EcrOk("GetLifecyclePolicyPreview", {{"repositoryName", "app"}});
  EXPECT_EQ(done["status"], "COMPLETE");
  ASSERT_EQ(done["previewResults"].size(), 2u);
  EXPECT_EQ(done["previewResults"][0]["imageDigest"], images[0].digest);
  EXPECT_EQ(done["previewResults"][0]["imageTags"], json::array({"v0"}));
  EXPECT_EQ(done["previewResults"][0]["action"], json({{"type", "EXPIRE"}}));
  EXPECT_EQ(done["previewResults"][0]["appliedRulePriority"], 1);
  EXPECT_EQ(done["previewResults"][0]["storageClass"], "STANDARD");
  EXPECT_GT(done["previewResults"][0]["imagePushedAt"].get<double>(), 0);
  EXPECT_EQ(done["previewResults"][1]["imageDigest"], images[1].digest);
  EXPECT_EQ(done["summary"], json({{"expiringImageTotalCount", 2}}));
  // nothing expired
  EXPECT_EQ(Digests().size(), 5u);
  // pages of one
  const json first =
      EcrOk("GetLifecyclePolicyPreview", {{"repositoryName", "app"}, {"maxResults", 1}});
  ASSERT_EQ(first["previewResults"].size(), 1u);
  ASSERT_TRUE(first.contains("nextToken"));
  const json second =
      EcrOk("GetLifecyclePolicyPreview",
            {{"repositoryName", "app"}, {"maxResults", 1}, {"nextToken", first["nextToken"]}});
  ASSERT_EQ(second["previewResults"].size(), 1u);
  EXPECT_EQ(second["previewResults"][0]["imageDigest"], images[1].digest);
  EXPECT_FALSE(second.contains("nextToken"));
  // filters
  EXPECT_TRUE(
      EcrOk("GetLifecyclePolicyPreview",
            {{"repositoryName", "app"}, {"filter", {{"tagStatus", "UNTAGGED"}}}})["previewResults"]
          .empty());
  const json named = EcrOk("GetLifecyclePolicyPreview",
                           {{"repositoryName", "app"}, {"imageIds", {{{"imageTag", "v1"}}}}});
  ASSERT_EQ(named["previewResults"].size(), 1u);
  EXPECT_EQ(named["previewResults"][0]["imageDigest"], images[1].digest);
  EXPECT_AWS_ERROR(
      Ecr("GetLifecyclePolicyPreview",
          {{"repositoryName", "app"}, {"imageIds", {{{"imageTag", "v1"}}}}, {"maxResults", 1}}),
      "InvalidParameterException");
  (void)untagged;
}

TEST_F(EcrLifecycleTest, PreviewErrors) {
  EXPECT_AWS_ERROR(Ecr("GetLifecyclePolicyPreview", {{"repositoryName", "app"}}),
                   "LifecyclePolicyPreviewNotFoundException");
  EXPECT_AWS_ERROR(Ecr("StartLifecyclePolicyPreview", {{"repositoryName", "app"}}),
                   "LifecyclePolicyNotFoundException");
  EXPECT_AWS_ERROR(Ecr("StartLifecyclePolicyPreview",
                       {{"repositoryName", "nope"}, {"lifecyclePolicyText", kKeepTwo}}),
                   "RepositoryNotFoundException");
  EXPECT_AWS_ERROR(Ecr("GetLifecyclePolicyPreview", {{"repositoryName", "nope"}}),
                   "RepositoryNotFoundException");
  const std::string invalid =
      R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})";
  EXPECT_AWS_ERROR(Ecr("StartLifecyclePolicyPreview",
                       {{"repositoryName", "app"}, {"lifecyclePolicyText", invalid}}),
                   "InvalidParameterException");
  // with no text, the stored policy is previewed
  PutPolicy(kKeepTwo);
  const json started = EcrOk("StartLifecyclePolicyPreview", {{"repositoryName", "app"}});
  EXPECT_EQ(started["lifecyclePolicyText"], kKeepTwo);
}

TEST_F(EcrLifecycleTest, ArchivedImagesCannotBePulledUntilRestored) {
  const Image image = PushImage("cold", "v1");
  // when it is archived
  const ApiReply archived = Storage(image.digest, "ARCHIVE");
  ASSERT_EQ(archived.status, 200u) << archived.raw;
  EXPECT_EQ(archived.body["imageStatus"], "ARCHIVED");
  EXPECT_EQ(archived.body["imageId"]["imageDigest"], image.digest);
  // then listings hide it unless asked, and it cannot be pulled
  EXPECT_TRUE(Digests().empty());
  EXPECT_TRUE(Listed().empty());
  EXPECT_EQ(Listed({{"filter", {{"imageStatus", "ARCHIVED"}}}}).size(), 1u);
  const json details = Details({{"filter", {{"imageStatus", "ANY"}}}});
  ASSERT_EQ(details.size(), 1u);
  EXPECT_EQ(details[0]["imageStatus"], "ARCHIVED");
  EXPECT_TRUE(details[0].contains("lastArchivedAt"));
  EXPECT_EQ(GetImage("v1")["failures"].size(), 1u);
  EXPECT_AWS_ERROR(Storage(image.digest, "ARCHIVE"),
                   "ImageStorageClassUpdateNotSupportedException");
  // when it is restored, it is ACTIVATING for the restore time
  const ApiReply restoring = Storage(image.digest, "STANDARD");
  ASSERT_EQ(restoring.status, 200u) << restoring.raw;
  EXPECT_EQ(restoring.body["imageStatus"], "ACTIVATING");
  lifecycle_.RunPending();
  EXPECT_EQ(Digests("ACTIVATING"), std::set<std::string>{image.digest});
  EXPECT_EQ(GetImage("v1")["failures"].size(), 1u);
  EXPECT_AWS_ERROR(Storage(image.digest, "STANDARD"),
                   "ImageStorageClassUpdateNotSupportedException");
  // and then ACTIVE and pullable again
  clock_.Advance(61);
  lifecycle_.RunPending();
  EXPECT_EQ(Digests(), std::set<std::string>{image.digest});
  const json active = Detail(image.digest);
  EXPECT_EQ(active["imageStatus"], "ACTIVE");
  EXPECT_TRUE(active.contains("lastActivatedAt"));
  EXPECT_EQ(GetImage("v1")["images"].size(), 1u);
  EXPECT_AWS_ERROR(Ecr("UpdateImageStorageClass", {{"repositoryName", "app"},
                                                   {"imageId", {{"imageTag", "nope"}}},
                                                   {"targetStorageClass", "ARCHIVE"}}),
                   "ImageNotFoundException");
}

TEST_F(EcrLifecycleTest, RepushingAnArchivedImageRestoresItAtOnce) {
  const Image image = PushImage("again", "v1");
  ASSERT_EQ(Storage(image.digest, "ARCHIVE").status, 200u);
  ASSERT_EQ(Put(image.manifest, "v1").status, 400u);  // PutImage: already exists
  ASSERT_EQ(Put(image.manifest, "v2").status, 200u);
  EXPECT_EQ(Detail(image.digest)["imageStatus"], "ACTIVE");
  EXPECT_EQ(GetImage("v1")["images"].size(), 1u);
}

TEST_F(EcrLifecycleTest, TransitionRuleArchivesAndPreviewSaysSo) {
  const char* policy = R"({"rules":[{"rulePriority":3,
    "selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days",
    "countNumber":7},"action":{"type":"transition","targetStorageClass":"archive"}}]})";
  const Image image = PushImage("old", "v1");
  clock_.Advance(8 * kDay);
  EcrOk("StartLifecyclePolicyPreview",
        {{"repositoryName", "app"}, {"lifecyclePolicyText", policy}});
  lifecycle_.RunPending();
  const json preview = EcrOk("GetLifecyclePolicyPreview", {{"repositoryName", "app"}});
  ASSERT_EQ(preview["previewResults"].size(), 1u);
  EXPECT_EQ(preview["previewResults"][0]["action"],
            json({{"type", "TRANSITION"}, {"targetStorageClass", "ARCHIVE"}}));
  EXPECT_EQ(preview["previewResults"][0]["appliedRulePriority"], 3);
  EXPECT_EQ(preview["summary"]["expiringImageTotalCount"], 0);
  EXPECT_EQ(preview["summary"]["transitioningImageTotalCounts"],
            json::array({{{"targetStorageClass", "ARCHIVE"}, {"imageTotalCount", 1}}}));
  // when the policy is set, the image is archived, not deleted
  PutPolicy(policy);
  lifecycle_.RunPending();
  EXPECT_TRUE(Digests().empty());
  EXPECT_EQ(Digests("ARCHIVED"), std::set<std::string>{image.digest});
  EXPECT_TRUE(HasBlobFile(image.layers[0].digest));
}

TEST_F(EcrLifecycleTest, ExpiredImagesLeaveTheirBlobsToTheCollector) {
  PutPolicy(kUntaggedAfterADay);
  const Image image = PushImage("gone");
  clock_.Advance(kDay + 1);
  lifecycle_.RunPending();
  EXPECT_TRUE(Digests().empty());
  clock_.Advance(7200);
  images_.CollectOrphans(clock_.Now() - 3600);
  EXPECT_FALSE(HasBlobFile(image.digest));
  EXPECT_FALSE(HasBlobFile(image.layers[0].digest));
  EXPECT_FALSE(HasBlobFile(image.config.digest));
}

}  // namespace
}  // namespace berth::testing
