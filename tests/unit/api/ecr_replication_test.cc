// ECR replication through the API: PutReplicationConfiguration, pushes
// (PutImage) replicated by ReplicationService into other regions and
// accounts, DescribeImageReplicationStatus; plus the ECR fidelity fixes
// (enum wording, the source-registry destination, the default KMS key).

#include <regex>

#include "server/ecr/creation_templates.h"
#include "server/ecr/replication_service.h"
#include "tests/unit/api/ecr_images_fixture.h"

namespace berth::testing {
namespace {

constexpr const char* kWest = "us-west-2";
constexpr const char* kOther = "111111111111";

class EcrReplicationTest : public EcrImagesTest {
 protected:
  // A call in another account and region (the SigV4 credential scope).
  ApiReply EcrIn(const std::string& account, const std::string& region,
                 const std::string& operation, const json& input) {
    const std::string auth = "AWS4-HMAC-SHA256 Credential=" + account + "/20260101/" + region +
                             "/ecr/aws4_request, SignedHeaders=host, Signature=x";
    return Raw(std::string(kEcrPrefix) + operation, input.dump(), "application/x-amz-json-1.1",
               auth);
  }

  void Replicate(const json& rules) {
    EcrOk("PutReplicationConfiguration", {{"replicationConfiguration", {{"rules", rules}}}});
  }

  static json Destination(const std::string& region, const std::string& account) {
    return {{"region", region}, {"registryId", account}};
  }

  // "region/account STATUS[ code]" per destination.
  std::vector<std::string> Statuses(const std::string& digest,
                                    const std::string& repository = "app") {
    const json out =
        EcrOk("DescribeImageReplicationStatus",
              {{"repositoryName", repository}, {"imageId", {{"imageDigest", digest}}}});
    std::vector<std::string> statuses;
    for (const auto& s : out["replicationStatuses"]) {
      std::string entry = s["region"].get<std::string>() + "/" +
                          s["registryId"].get<std::string>() + " " + s["status"].get<std::string>();
      if (s.contains("failureCode")) entry += " " + s["failureCode"].get<std::string>();
      statuses.push_back(entry);
    }
    return statuses;
  }

  // Lets account kOther's registry accept replicas from kAccount.
  void AllowReplicationInto(const std::string& account, const std::string& region,
                            const std::vector<std::string>& actions) {
    const json policy = {
        {"Version", "2012-10-17"},
        {"Statement",
         {{{"Sid", "replication"},
           {"Effect", "Allow"},
           {"Principal", {{"AWS", std::string("arn:aws:iam::") + kAccount + ":root"}}},
           {"Action", actions},
           {"Resource", "arn:aws:ecr:" + region + ":" + account + ":repository/*"}}}}};
    const ApiReply r = EcrIn(account, region, "PutRegistryPolicy", {{"policyText", policy.dump()}});
    ASSERT_EQ(r.status, 200u) << r.raw;
  }

  ecr::ReplicationService replication_{database_, images_, clock_};
};

TEST_F(EcrReplicationTest, PushIsCopiedToAnotherRegionAndAnotherAccount) {
  // Given replication of "ap*" to us-west-2 (same account) and to another
  // account whose registry policy lets this account replicate and create.
  AllowReplicationInto(kOther, "us-east-1", {"ecr:ReplicateImage", "ecr:CreateRepository"});
  Replicate({{{"destinations", {Destination(kWest, kAccount), Destination("us-east-1", kOther)}},
              {"repositoryFilters", {{{"filter", "ap"}, {"filterType", "PREFIX_MATCH"}}}}}});

  // When an image is pushed: both copies are pending until the worker runs.
  const Image image = PushImage("one", "v1");
  EXPECT_EQ(Statuses(image.digest),
            (std::vector<std::string>{"us-east-1/111111111111 IN_PROGRESS",
                                      "us-west-2/000000000000 IN_PROGRESS"}));
  EXPECT_EQ(replication_.ReplicatePending(), 2u);
  EXPECT_EQ(Statuses(image.digest), (std::vector<std::string>{"us-east-1/111111111111 COMPLETE",
                                                              "us-west-2/000000000000 COMPLETE"}));
  // The imageId names the image by tag too.
  const json by_tag = EcrOk("DescribeImageReplicationStatus",
                            {{"repositoryName", "app"}, {"imageId", {{"imageTag", "v1"}}}});
  EXPECT_EQ(by_tag["imageId"]["imageDigest"], image.digest);
  EXPECT_EQ(by_tag["imageId"]["imageTag"], "v1");

  // Then each destination has the repository (created with defaults), the
  // image under its tag, the same manifest and every layer.
  for (const auto& [account, region] :
       std::vector<std::pair<std::string, std::string>>{{kAccount, kWest}, {kOther, "us-east-1"}}) {
    const ApiReply repos =
        EcrIn(account, region, "DescribeRepositories", {{"repositoryNames", {"app"}}});
    ASSERT_EQ(repos.status, 200u) << repos.raw;
    const json& repo = repos.body["repositories"][0];
    EXPECT_EQ(repo["imageTagMutability"], "MUTABLE");
    EXPECT_EQ(repo["encryptionConfiguration"]["encryptionType"], "AES256");
    EXPECT_EQ(repo["repositoryArn"], "arn:aws:ecr:" + region + ":" + account + ":repository/app");
    const ApiReply got = EcrIn(account, region, "BatchGetImage",
                               {{"repositoryName", "app"}, {"imageIds", {{{"imageTag", "v1"}}}}});
    ASSERT_EQ(got.status, 200u) << got.raw;
    ASSERT_EQ(got.body["images"].size(), 1u) << got.raw;
    EXPECT_EQ(got.body["images"][0]["imageManifest"], image.manifest);
    EXPECT_EQ(got.body["images"][0]["imageId"]["imageDigest"], image.digest);
    for (const auto& layer : image.layers) {
      const ApiReply url = EcrIn(account, region, "GetDownloadUrlForLayer",
                                 {{"repositoryName", "app"}, {"layerDigest", layer.digest}});
      EXPECT_EQ(url.status, 200u) << url.raw;
    }
  }
  // A repository no filter matches is not replicated.
  CreateRepository("other");
  const Image unmatched = PushImage("two", "v1", "other");
  EXPECT_TRUE(Statuses(unmatched.digest, "other").empty());
  EXPECT_EQ(replication_.ReplicatePending(), 0u);
}

TEST_F(EcrReplicationTest, ADestinationRepositoryIsMadeFromAReplicationTemplate) {
  // Given, in the destination region, a ROOT template for REPLICATION that
  // makes immutable repositories with a tag, and one for another scenario.
  ecr::CreationTemplates templates(database_, ecr_service_);
  replication_.SetRepositoryMaker(
      [&templates](const storage::Partition& destination, const std::string& name, double now) {
        return templates.CreateFromTemplate(destination, name, "REPLICATION", now);
      });
  const storage::Partition west{kAccount, kWest};
  templates.Create(
      west,
      {{"prefix", "ROOT"}, {"appliedFor", {"REPLICATION"}}, {"imageTagMutability", "IMMUTABLE"}},
      clock_.Now());
  templates.Create(west,
                   {{"prefix", "team"},
                    {"appliedFor", {"PULL_THROUGH_CACHE"}},
                    {"imageTagMutability", "MUTABLE"}},
                   clock_.Now());
  Replicate({{{"destinations", {Destination(kWest, kAccount)}}}});

  // When images are pushed to "app" and "team/api" and replicated
  const Image app = PushImage("one", "v1");
  CreateRepository("team/api");
  const Image api = PushImage("two", "v1", "team/api");
  EXPECT_EQ(replication_.ReplicatePending(), 2u);

  // then both replicas exist, in repositories the REPLICATION template made
  // (the "team" template is not for replication).
  for (const auto& [name, image] :
       std::vector<std::pair<std::string, Image>>{{"app", app}, {"team/api", api}}) {
    EXPECT_EQ(Statuses(image.digest, name),
              (std::vector<std::string>{"us-west-2/" + std::string(kAccount) + " COMPLETE"}));
    const ApiReply repos =
        EcrIn(kAccount, kWest, "DescribeRepositories", {{"repositoryNames", {name}}});
    ASSERT_EQ(repos.status, 200u) << repos.raw;
    EXPECT_EQ(repos.body["repositories"][0]["imageTagMutability"], "IMMUTABLE") << name;
  }
}

TEST_F(EcrReplicationTest, NoBackfillNoChainingAndDeletesStay) {
  // An image pushed before replication was configured is never copied.
  const Image before = PushImage("before", "old");
  Replicate({{{"destinations", {Destination(kWest, kAccount)}}}});
  // us-west-2 replicates on to eu-west-1: a push to us-east-1 stops at
  // us-west-2 (no chaining).
  const ApiReply chained =
      EcrIn(kAccount, kWest, "PutReplicationConfiguration",
            {{"replicationConfiguration",
              {{"rules", {{{"destinations", {Destination("eu-west-1", kAccount)}}}}}}}});
  ASSERT_EQ(chained.status, 200u) << chained.raw;
  EXPECT_TRUE(Statuses(before.digest).empty());

  const Image image = PushImage("after", "new");
  EXPECT_EQ(replication_.ReplicatePending(), 1u);
  const ApiReply west = EcrIn(kAccount, kWest, "ListImages", {{"repositoryName", "app"}});
  ASSERT_EQ(west.status, 200u) << west.raw;
  EXPECT_EQ(west.body["imageIds"],
            json::array({{{"imageDigest", image.digest}, {"imageTag", "new"}}}));
  EXPECT_AWS_ERROR(
      EcrIn(kAccount, "eu-west-1", "DescribeRepositories", {{"repositoryNames", {"app"}}}),
      "RepositoryNotFoundException");

  // Deleting the source image leaves the replica.
  Delete({{{"imageDigest", image.digest}}});
  EXPECT_EQ(replication_.ReplicatePending(), 0u);
  EXPECT_EQ(
      EcrIn(kAccount, kWest, "ListImages", {{"repositoryName", "app"}}).body["imageIds"].size(),
      1u);
}

TEST_F(EcrReplicationTest, AnIndexIsCopiedWithItsChildren) {
  Replicate({{{"destinations", {Destination(kWest, kAccount)}}}});
  const Image a = PushImage("arch-a");
  const Image b = PushImage("arch-b");
  const std::string index = IndexText({a, b});
  ASSERT_EQ(Put(index, "multi").status, 200u);
  replication_.ReplicatePending();
  EXPECT_EQ(Statuses(Sha256(index)), (std::vector<std::string>{"us-west-2/000000000000 COMPLETE"}));
  const ApiReply got = EcrIn(
      kAccount, kWest, "BatchGetImage",
      {{"repositoryName", "app"},
       {"imageIds",
        {{{"imageTag", "multi"}}, {{"imageDigest", a.digest}}, {{"imageDigest", b.digest}}}}});
  ASSERT_EQ(got.status, 200u) << got.raw;
  EXPECT_EQ(got.body["images"].size(), 3u) << got.raw;
  EXPECT_TRUE(got.body["failures"].empty()) << got.raw;
  // The index still protects its children in the replica.
  const ApiReply deleted =
      EcrIn(kAccount, kWest, "BatchDeleteImage",
            {{"repositoryName", "app"}, {"imageIds", {{{"imageDigest", a.digest}}}}});
  EXPECT_EQ(deleted.body["failures"].size(), 1u) << deleted.raw;
}

TEST_F(EcrReplicationTest, AnImmutableTagInTheDestinationIsLeftOffTheReplica) {
  // The destination repository exists, IMMUTABLE, with v1 on another image.
  const ApiReply created = EcrIn(kAccount, kWest, "CreateRepository",
                                 {{"repositoryName", "app"}, {"imageTagMutability", "IMMUTABLE"}});
  ASSERT_EQ(created.status, 200u) << created.raw;
  Replicate({{{"destinations", {Destination(kWest, kAccount)}}}});
  const Image first = PushImage("first", "v1");
  replication_.ReplicatePending();
  const Image second = PushImage("second", "v1");  // moves v1 in the mutable source
  replication_.ReplicatePending();

  // The replication completes; the replica arrives untagged.
  EXPECT_EQ(Statuses(second.digest), (std::vector<std::string>{"us-west-2/000000000000 COMPLETE"}));
  const ApiReply listed = EcrIn(kAccount, kWest, "ListImages", {{"repositoryName", "app"}});
  std::vector<std::string> entries;
  for (const auto& id : listed.body["imageIds"]) {
    entries.push_back(id["imageDigest"].get<std::string>() + " " + id.value("imageTag", "-"));
  }
  std::vector<std::string> expected = {first.digest + " v1", second.digest + " -"};
  std::sort(expected.begin(), expected.end());
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, expected);
}

TEST_F(EcrReplicationTest, CrossAccountNeedsTheDestinationRegistryPolicy) {
  Replicate({{{"destinations", {Destination("us-east-1", kOther)}}}});
  // No registry policy in the destination: access denied.
  const Image denied = PushImage("denied", "v1");
  replication_.ReplicatePending();
  EXPECT_EQ(Statuses(denied.digest),
            (std::vector<std::string>{"us-east-1/111111111111 FAILED AccessDenied"}));
  // ReplicateImage only: the repository must already exist.
  AllowReplicationInto(kOther, "us-east-1", {"ecr:ReplicateImage"});
  const Image missing = PushImage("missing", "v2");
  replication_.ReplicatePending();
  EXPECT_EQ(Statuses(missing.digest),
            (std::vector<std::string>{"us-east-1/111111111111 FAILED RepositoryNotFound"}));
  ASSERT_EQ(EcrIn(kOther, "us-east-1", "CreateRepository", {{"repositoryName", "app"}}).status,
            200u);
  const Image allowed = PushImage("allowed", "v3");
  replication_.ReplicatePending();
  EXPECT_EQ(Statuses(allowed.digest),
            (std::vector<std::string>{"us-east-1/111111111111 COMPLETE"}));
  // A re-push of a failed image replicates again.
  ASSERT_EQ(Put(denied.manifest, "again").status, 200u);
  replication_.ReplicatePending();
  EXPECT_EQ(Statuses(denied.digest), (std::vector<std::string>{"us-east-1/111111111111 COMPLETE"}));
}

TEST_F(EcrReplicationTest, DescribeImageReplicationStatusErrors) {
  EXPECT_AWS_ERROR(Ecr("DescribeImageReplicationStatus",
                       {{"repositoryName", "nope"}, {"imageId", {{"imageTag", "v1"}}}}),
                   "RepositoryNotFoundException");
  EXPECT_AWS_ERROR(Ecr("DescribeImageReplicationStatus",
                       {{"repositoryName", "app"}, {"imageId", {{"imageTag", "v1"}}}}),
                   "ImageNotFoundException");
}

TEST_F(EcrReplicationTest, TheSourceRegistryCannotBeADestination) {
  const ApiReply r =
      Ecr("PutReplicationConfiguration",
          {{"replicationConfiguration",
            {{"rules", {{{"destinations", {Destination("us-east-1", kAccount)}}}}}}}});
  EXPECT_AWS_ERROR(r, "InvalidParameterException");
  EXPECT_EQ(r.message(),
            "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: "
            "'Replication destination cannot be the same as the source registry'");
  // 25 unique destinations are allowed, repeated ones count once.
  json destinations = json::array();
  for (int i = 0; i < 25; ++i) {
    destinations.push_back(Destination("us-west-2", "1000000000" + std::to_string(10 + i)));
  }
  destinations.push_back(destinations[0]);
  EcrOk("PutReplicationConfiguration",
        {{"replicationConfiguration", {{"rules", {{{"destinations", destinations}}}}}}});
}

TEST_F(EcrReplicationTest, EnumViolationsUseEcrsMemberWording) {
  const ApiReply r =
      Ecr("CreateRepository", {{"repositoryName", "enum"}, {"imageTagMutability", "SOMETIMES"}});
  EXPECT_AWS_ERROR(r, "InvalidParameterException");
  EXPECT_TRUE(r.message().starts_with(
      "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must "
      "satisfy enum value set: ["))
      << r.message();
  EXPECT_TRUE(r.message().ends_with("]'")) << r.message();
  // Other constraints keep ECR's wording without "Member".
  EXPECT_EQ(Ecr("CreateRepository", {{"repositoryName", "a"}}).message(),
            "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length "
            "greater than or equal to 2'");
}

TEST_F(EcrReplicationTest, KmsWithoutAKeyReportsTheRegistrysStableKeyArn) {
  const json kms = {{"encryptionType", "KMS"}};
  const json a =
      EcrOk("CreateRepository", {{"repositoryName", "kms-a"}, {"encryptionConfiguration", kms}});
  const json b =
      EcrOk("CreateRepository", {{"repositoryName", "kms-b"}, {"encryptionConfiguration", kms}});
  const std::string key = a["repository"]["encryptionConfiguration"]["kmsKey"];
  EXPECT_TRUE(std::regex_match(
      key, std::regex("arn:aws:kms:us-east-1:000000000000:key/"
                      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << key;
  EXPECT_EQ(b["repository"]["encryptionConfiguration"]["kmsKey"], key);
  const ApiReply west = EcrIn(kAccount, kWest, "CreateRepository",
                              {{"repositoryName", "kms-a"}, {"encryptionConfiguration", kms}});
  const std::string west_key = west.body["repository"]["encryptionConfiguration"]["kmsKey"];
  EXPECT_TRUE(west_key.starts_with("arn:aws:kms:us-west-2:000000000000:key/")) << west_key;
  EXPECT_NE(west_key.substr(west_key.find("key/")), key.substr(key.find("key/")));
  // Described later, the same key.
  EXPECT_EQ(EcrOk("DescribeRepositories",
                  {{"repositoryNames",
                    {"kms-a"}}})["repositories"][0]["encryptionConfiguration"]["kmsKey"],
            key);
}

}  // namespace
}  // namespace berth::testing
