// Cross-repository blob mounts under ECR's rule (server/ecr/blob_mounting.h):
// off by default (BLOB_MOUNTING DISABLED) and then a normal upload session
// starts (202); when ENABLED, only blobs an image of the source repository
// names, between repositories with the same encryption, never from images
// the pull-through cache created.

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "storage/ecr_store.h"
#include "storage/pull_through_store.h"
#include "tests/unit/registry/registry_fixture.h"

namespace berth::testing {
namespace {

class RegistryMountTest : public RegistryTest {
 protected:
  // The layer of PushImage(repository, tag, seed).
  static std::string LayerOf(const std::string& seed) { return Sha256Of("layer-" + seed); }

  RegistryReply Mount(const std::string& to, const std::string& digest, const std::string& from) {
    return Send("POST", "/v2/" + to + "/blobs/uploads/?mount=" + digest + "&from=" + from);
  }

  // Whether `repository` can serve `digest`.
  bool Holds(const std::string& repository, const std::string& digest) {
    return Send("HEAD", "/v2/" + repository + "/blobs/" + digest).status == 200;
  }

  static void ExpectUploadSession(const RegistryReply& r, const std::string& repository) {
    EXPECT_EQ(r.status, 202u) << r.body;
    EXPECT_TRUE(registry::IsValidUploadId(r.Header("Docker-Upload-UUID")));
    EXPECT_EQ(r.Header("Location"),
              "/v2/" + repository + "/blobs/uploads/" + r.Header("Docker-Upload-UUID"));
  }
};

TEST_F(RegistryMountTest, DisabledByDefaultFallsBackToAnUpload) {
  // given an image in `source` and the account's default settings
  CreateRepository("source");
  CreateRepository("target");
  PushImage("source", "v1", "one");

  // when a client asks to mount its layer, then an upload session starts instead
  ExpectUploadSession(Mount("target", LayerOf("one"), "source"), "target");
  EXPECT_FALSE(Holds("target", LayerOf("one")));
}

TEST_F(RegistryMountTest, EnabledMountsOnlyBlobsAnImageOfTheSourceNames) {
  EnableBlobMounting();
  CreateRepository("source");
  CreateRepository("target");
  PushImage("source", "v1", "one");
  const Blob loose = PushBlob("source", "pushed but in no image");

  // a referenced layer is mounted
  const RegistryReply mounted = Mount("target", LayerOf("one"), "source");
  EXPECT_EQ(mounted.status, 201u) << mounted.body;
  EXPECT_EQ(mounted.Header("Docker-Content-Digest"), LayerOf("one"));
  EXPECT_TRUE(Holds("target", LayerOf("one")));
  // a blob no image names is not
  ExpectUploadSession(Mount("target", loose.digest, "source"), "target");
  EXPECT_FALSE(Holds("target", loose.digest));
  // nor one from an unknown repository, or without `from`
  ExpectUploadSession(Mount("target", LayerOf("one"), "nowhere"), "target");
  ExpectUploadSession(Send("POST", "/v2/target/blobs/uploads/?mount=" + LayerOf("one")), "target");
}

TEST_F(RegistryMountTest, TheSettingIsPerAccount) {
  // given mounting enabled in another account only
  EnableBlobMounting("111122223333");
  CreateRepository("source");
  CreateRepository("target");
  PushImage("source", "v1", "one");

  // then this account still uploads
  ExpectUploadSession(Mount("target", LayerOf("one"), "source"), "target");
}

TEST_F(RegistryMountTest, EncryptionMustBeIdentical) {
  EnableBlobMounting();
  CreateRepository("source");
  const storage::Partition registry{"000000000000", "us-east-1"};
  for (const auto& [name, type, key] :
       std::vector<std::tuple<std::string, std::string, std::optional<std::string>>>{
           {"kms-default", "KMS", std::nullopt},
           {"kms-key", "KMS", "arn:aws:kms:us-east-1:000000000000:key/abc"},
           {"aes", "AES256", std::nullopt}}) {
    ecr::RepositorySpec spec;
    spec.name = name;
    spec.encryption_type = type;
    spec.kms_key = key;
    ecr_.CreateRepository(Context(registry.account_id), registry, spec);
  }
  PushImage("source", "v1", "one");  // AES256

  ExpectUploadSession(Mount("kms-default", LayerOf("one"), "source"), "kms-default");
  ExpectUploadSession(Mount("kms-key", LayerOf("one"), "source"), "kms-key");
  EXPECT_EQ(Mount("aes", LayerOf("one"), "source").status, 201u);

  // KMS to KMS needs the same key too
  PushImage("kms-key", "v1", "two");
  ExpectUploadSession(Mount("kms-default", LayerOf("two"), "kms-key"), "kms-default");
}

TEST_F(RegistryMountTest, NotFromImagesThePullThroughCacheCreated) {
  EnableBlobMounting();
  CreateRepository("cache/library/app");
  CreateRepository("target");
  PushImage("cache/library/app", "v1", "one");
  {
    // the pull-through cache imported tag v1 there
    auto lease = database_.Acquire();
    const storage::Partition registry{"000000000000", "us-east-1"};
    const auto repo = storage::EcrStore(lease.db(), registry).FindRepository("cache/library/app");
    ASSERT_TRUE(repo);
    storage::PullThroughStore(lease.db(), registry).SetTagChecked(repo->id, "v1", 1.0);
  }
  ExpectUploadSession(Mount("target", LayerOf("one"), "cache/library/app"), "target");
}

}  // namespace
}  // namespace berth::testing
