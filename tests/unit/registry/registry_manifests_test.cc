// Manifests through the registry protocol: PUT by tag and by digest, GET and
// HEAD with Accept negotiation, the checks on what a manifest references
// (blobs, child manifests), indexes and manifest lists, artifacts, subjects
// and the referrers API, DELETE, tag immutability, and what is refused
// (schema 1, oversized or malformed manifests).

#include <string>
#include <vector>

#include "server/ecr/manifest.h"
#include "tests/unit/registry/registry_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

class RegistryManifestTest : public RegistryTest {
 protected:
  RegistryManifestTest() { CreateRepository("app"); }

  // An OCI index (or Docker manifest list) of the given manifests.
  static std::string Index(const std::vector<std::pair<std::string, std::string>>& children,
                           const std::string& media_type = kOciIndexType) {
    json manifests = json::array();
    const char* platforms[] = {"amd64", "arm64", "s390x"};
    size_t i = 0;
    for (const auto& [bytes, type] : children) {
      json d = {{"mediaType", type}, {"digest", Sha256Of(bytes)}, {"size", bytes.size()}};
      d["platform"] = {{"os", "linux"}, {"architecture", platforms[i++ % 3]}};
      manifests.push_back(d);
    }
    return json{{"schemaVersion", 2}, {"mediaType", media_type}, {"manifests", manifests}}.dump();
  }

  // An artifact manifest: the empty config, no layers, optional subject.
  std::string Artifact(const std::string& artifact_type, const std::string& subject_bytes = "",
                       const std::string& subject_type = kDockerManifestType,
                       const json& annotations = nullptr) {
    const Blob empty = PushBlob("app", "{}");
    EXPECT_EQ(empty.digest, kEmptyConfigDigest);
    json m = {{"schemaVersion", 2},
              {"mediaType", kOciManifestType},
              {"artifactType", artifact_type},
              {"config", Descriptor(kEmptyConfigType, empty)},
              {"layers", json::array()}};
    if (!subject_bytes.empty()) {
      m["subject"] = {{"mediaType", subject_type},
                      {"digest", Sha256Of(subject_bytes)},
                      {"size", subject_bytes.size()}};
    }
    if (!annotations.is_null()) m["annotations"] = annotations;
    return m.dump();
  }

  std::vector<std::string> Tags(const std::string& repository = "app") {
    return Send("GET", "/v2/" + repository + "/tags/list").Json()["tags"];
  }
};

TEST_F(RegistryManifestTest, PutByTagThenGetAndHead) {
  const std::string bytes = PushImage("app", "latest");
  const std::string digest = Sha256Of(bytes);
  // The PUT answered with the digest of the exact bytes (checked again here).
  EXPECT_EQ(PutManifest("app", "latest", bytes, kDockerManifestType).Header("Location"),
            "/v2/app/manifests/" + digest);

  for (const std::string& reference : {std::string("latest"), digest}) {
    RegistryReply r = Send("GET", "/v2/app/manifests/" + reference);
    EXPECT_EQ(r.status, 200u) << reference;
    EXPECT_EQ(r.body, bytes);
    EXPECT_EQ(r.Header("Content-Type"), kDockerManifestType);
    EXPECT_EQ(r.Header("Docker-Content-Digest"), digest);
    r = Send("HEAD", "/v2/app/manifests/" + reference);
    EXPECT_EQ(r.status, 200u) << reference;
    EXPECT_EQ(r.head_length, bytes.size());
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.Header("Docker-Content-Digest"), digest);
    EXPECT_EQ(r.Header("Content-Type"), kDockerManifestType);
  }
  EXPECT_EQ(Tags(), std::vector<std::string>{"latest"});
}

TEST_F(RegistryManifestTest, PutKeepsTheExactBytes) {
  const Blob config = PushBlob("app", "{}");
  const Blob layer = PushBlob("app", "layer");
  // Odd spacing and key order: the digest is of these bytes, never re-encoded.
  const std::string bytes =
      "{\n  \"schemaVersion\": 2,\n  \"layers\": [" +
      Descriptor("application/vnd.oci.image.layer.v1.tar", layer).dump() + "],\n  \"config\":   " +
      Descriptor("application/vnd.oci.image.config.v1+json", config).dump() + "\n}\n";
  const RegistryReply r = PutManifest("app", "spaced", bytes, kOciManifestType);
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Header("Docker-Content-Digest"), Sha256Of(bytes));
  EXPECT_EQ(Send("GET", "/v2/app/manifests/spaced").body, bytes);
  EXPECT_EQ(Send("GET", "/v2/app/manifests/spaced").Header("Content-Type"), kOciManifestType);
}

TEST_F(RegistryManifestTest, PutByDigest) {
  const Blob config = PushBlob("app", "{}");
  const std::string bytes = ImageManifest(config, {}, kOciManifestType).dump();
  const std::string digest = Sha256Of(bytes);
  RegistryReply r = PutManifest("app", digest, bytes, kOciManifestType);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Header("Docker-Content-Digest"), digest);
  EXPECT_EQ(Send("GET", "/v2/app/manifests/" + digest).body, bytes);
  EXPECT_EQ(Tags(), std::vector<std::string>{});

  // Bytes that do not hash to the digest in the path.
  const std::string other = ImageManifest(config, {}, kOciManifestType).dump(2);
  r = PutManifest("app", digest, other, kOciManifestType);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Error(), "DIGEST_INVALID");
  EXPECT_EQ(Send("GET", "/v2/app/manifests/" + Sha256Of(other)).Error(), "MANIFEST_UNKNOWN");
  // Malformed digests and tags are 400, never 500.
  EXPECT_EQ(PutManifest("app", "sha256:short", bytes, kOciManifestType).Error(), "DIGEST_INVALID");
  EXPECT_EQ(PutManifest("app", ".hidden", bytes, kOciManifestType).Error(), "TAG_INVALID");
  EXPECT_EQ(PutManifest("app", std::string(129, 't'), bytes, kOciManifestType).Error(),
            "TAG_INVALID");
  EXPECT_EQ(PutManifest("app", std::string(128, 't'), bytes, kOciManifestType).status, 201u);
}

TEST_F(RegistryManifestTest, Sha512References) {
  const Blob config = PushBlob("app", "{}");
  const std::string bytes = ImageManifest(config, {}, kOciManifestType).dump();
  const std::string digest = Sha512Of(bytes);
  RegistryReply r = PutManifest("app", digest, bytes, kOciManifestType);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Header("Docker-Content-Digest"), digest);
  r = Send("GET", "/v2/app/manifests/" + digest);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, bytes);
  EXPECT_EQ(r.Header("Docker-Content-Digest"), digest);
}

TEST_F(RegistryManifestTest, AcceptNegotiation) {
  const std::string bytes = PushImage("app", "docker");
  const std::string path = "/v2/app/manifests/docker";
  // Acceptable: nothing said, wildcards, JSON, the type itself (with
  // parameters, in a list, or as one of several Accept fields).
  const std::vector<Fields> acceptable = {
      {},
      {{"Accept", "*/*"}},
      {{"Accept", "application/json"}},
      {{"Accept", std::string(kDockerManifestType) + "; q=0.9"}},
      {{"Accept", std::string(kOciManifestType) + ", " + kDockerManifestType}},
      {{"Accept", kOciIndexType}, {"Accept", kDockerManifestType}},
  };
  for (const auto& headers : acceptable) {
    const RegistryReply r = Send("GET", path, "", headers);
    EXPECT_EQ(r.status, 200u) << ::testing::PrintToString(headers);
    EXPECT_EQ(r.body, bytes);
  }
  // Not acceptable: 404 MANIFEST_UNKNOWN, never rewritten bytes.
  for (const char* method : {"GET", "HEAD"}) {
    const RegistryReply r =
        Send(method, path, "", {{"Accept", kOciManifestType}, {"Accept", kOciIndexType}});
    EXPECT_EQ(r.status, 404u) << method;
    EXPECT_EQ(r.Error(), "MANIFEST_UNKNOWN") << method;
  }
  EXPECT_EQ(Send("GET", "/v2/app/manifests/" + Sha256Of(bytes), "", {{"Accept", kOciManifestType}})
                .status,
            404u);
}

TEST_F(RegistryManifestTest, UnknownManifests) {
  RegistryReply r = Send("GET", "/v2/app/manifests/nope");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.Error(), "MANIFEST_UNKNOWN");
  r = Send("HEAD", "/v2/app/manifests/" + Sha256Of("nothing"));
  EXPECT_EQ(r.status, 404u);
  // A blob is not a manifest.
  const Blob layer = PushBlob("app", "just a layer");
  EXPECT_EQ(Send("GET", "/v2/app/manifests/" + layer.digest).Error(), "MANIFEST_UNKNOWN");
  r = Send("GET", "/v2/missing/manifests/latest");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.Error(), "NAME_UNKNOWN");
}

TEST_F(RegistryManifestTest, MissingBlobsAreRefused) {
  CreateRepository("other");
  const Blob config = PushBlob("app", "{\"config\":1}");
  const Blob layer = PushBlob("app", "present layer");
  const Blob elsewhere = PushBlob("other", "layer of another repository");
  const Blob absent{Sha256Of("absent"), 6};
  const std::vector<std::pair<json, std::string>> cases = {
      {ImageManifest(absent, {layer}), absent.digest},
      {ImageManifest(config, {layer, absent}), absent.digest},
      {ImageManifest(config, {elsewhere}), elsewhere.digest},
      {ImageManifest(config, {absent}, kOciManifestType), absent.digest},
  };
  for (const auto& [manifest, missing] : cases) {
    const RegistryReply r = PutManifest("app", "broken", manifest.dump(), manifest["mediaType"]);
    EXPECT_EQ(r.status, 400u) << manifest.dump();
    EXPECT_EQ(r.Error(), "MANIFEST_BLOB_UNKNOWN");
    EXPECT_EQ(r.Json()["errors"][0]["detail"], missing);
  }
  EXPECT_EQ(Tags(), std::vector<std::string>{});

  // Foreign (non-distributable) layers with URLs are not looked for.
  json foreign = ImageManifest(config, {layer}, kOciManifestType);
  foreign["layers"].push_back(
      {{"mediaType", "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
       {"digest", absent.digest},
       {"size", 6},
       {"urls", {"https://example.com/layer"}}});
  EXPECT_EQ(PutManifest("app", "foreign", foreign.dump(), kOciManifestType).status, 201u);
}

TEST_F(RegistryManifestTest, IndexesAndManifestLists) {
  const std::string amd = PushImage("app", "amd", "amd");
  const std::string arm = PushImage("app", "arm", "arm", kOciManifestType);
  const std::string oci = Index({{amd, kDockerManifestType}, {arm, kOciManifestType}});
  RegistryReply r = PutManifest("app", "multi", oci, kOciIndexType);
  EXPECT_EQ(r.status, 201u) << r.body;
  r = Send("GET", "/v2/app/manifests/multi");
  EXPECT_EQ(r.body, oci);
  EXPECT_EQ(r.Header("Content-Type"), kOciIndexType);
  // A Docker manifest list.
  const std::string list = Index({{amd, kDockerManifestType}}, kDockerListType);
  r = PutManifest("app", "list", list, kDockerListType);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(Send("GET", "/v2/app/manifests/list").Header("Content-Type"), kDockerListType);
  EXPECT_EQ(Send("GET", "/v2/app/manifests/list", "", {{"Accept", kOciIndexType}}).status, 404u);
  // Children are served by digest.
  EXPECT_EQ(Send("GET", "/v2/app/manifests/" + Sha256Of(arm)).body, arm);
  // Indexes may nest.
  const std::string nested = Index({{oci, kOciIndexType}, {amd, kDockerManifestType}});
  EXPECT_EQ(PutManifest("app", "nested", nested, kOciIndexType).status, 201u);

  // A child that is not in the repository.
  const std::string stranger = ImageManifest(Blob{Sha256Of("x"), 1}, {}).dump();
  const std::string broken = Index({{amd, kDockerManifestType}, {stranger, kDockerManifestType}});
  r = PutManifest("app", "broken", broken, kOciIndexType);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Error(), "MANIFEST_BLOB_UNKNOWN");
  EXPECT_EQ(r.Json()["errors"][0]["detail"], Sha256Of(stranger));

  // A child an index still names cannot be deleted by digest.
  r = Send("DELETE", "/v2/app/manifests/" + Sha256Of(arm));
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(Send("GET", "/v2/app/manifests/" + Sha256Of(arm)).status, 200u);
}

TEST_F(RegistryManifestTest, ArtifactsWithTheEmptyConfig) {
  const std::string bytes = Artifact("application/vnd.example.sbom");
  const RegistryReply r = PutManifest("app", "sbom", bytes, kOciManifestType);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_FALSE(r.Has("OCI-Subject"));
  EXPECT_EQ(Send("GET", "/v2/app/manifests/sbom").body, bytes);
  EXPECT_EQ(Send("GET", "/v2/app/blobs/" + std::string(kEmptyConfigDigest)).body, "{}");
}

TEST_F(RegistryManifestTest, SubjectsAndReferrers) {
  const std::string subject = PushImage("app", "latest");
  const std::string subject_digest = Sha256Of(subject);
  const std::string path = "/v2/app/referrers/" + subject_digest;
  EXPECT_EQ(Send("GET", path).Json()["manifests"], json::array());

  // An artifact with an artifactType, one typed only by its config, and one
  // pushed before its subject exists.
  const std::string sbom = Artifact("application/vnd.example.sbom", subject, kDockerManifestType,
                                    {{"org.example.kind", "sbom"}});
  RegistryReply r = PutManifest("app", Sha256Of(sbom), sbom, kOciManifestType);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Header("OCI-Subject"), subject_digest);
  const Blob sig_config = PushBlob("app", "{\"signature\":true}");
  json signature = {
      {"schemaVersion", 2},
      {"mediaType", kOciManifestType},
      {"config", Descriptor("application/vnd.example.signature", sig_config)},
      {"layers", json::array()},
      {"subject",
       {{"mediaType", kDockerManifestType}, {"digest", subject_digest}, {"size", subject.size()}}}};
  r = PutManifest("app", Sha256Of(signature.dump()), signature.dump(), kOciManifestType);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Header("OCI-Subject"), subject_digest);
  const std::string orphan_subject = "{\"not pushed\":true}";
  const std::string early = Artifact("application/vnd.example.early", orphan_subject);
  r = PutManifest("app", Sha256Of(early), early, kOciManifestType);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Header("OCI-Subject"), Sha256Of(orphan_subject));

  r = Send("GET", path);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.Header("Content-Type"), kOciIndexType);
  EXPECT_FALSE(r.Has("OCI-Filters-Applied"));
  const json index = r.Json();
  EXPECT_EQ(index["schemaVersion"], 2);
  EXPECT_EQ(index["mediaType"], kOciIndexType);
  json expected = json::array();
  expected.push_back({{"mediaType", kOciManifestType},
                      {"digest", Sha256Of(sbom)},
                      {"size", sbom.size()},
                      {"artifactType", "application/vnd.example.sbom"},
                      {"annotations", {{"org.example.kind", "sbom"}}}});
  expected.push_back({{"mediaType", kOciManifestType},
                      {"digest", Sha256Of(signature.dump())},
                      {"size", signature.dump().size()},
                      {"artifactType", "application/vnd.example.signature"}});
  std::sort(expected.begin(), expected.end(),
            [](const json& a, const json& b) { return a["digest"] < b["digest"]; });
  json got = index["manifests"];
  std::sort(got.begin(), got.end(),
            [](const json& a, const json& b) { return a["digest"] < b["digest"]; });
  EXPECT_EQ(got, expected);
  EXPECT_EQ(Send("GET", "/v2/app/referrers/" + Sha256Of(orphan_subject)).Json()["manifests"].size(),
            1u);

  // Filtered by artifactType.
  r = Send("GET", path + "?artifactType=application%2Fvnd.example.signature");
  EXPECT_EQ(r.Header("OCI-Filters-Applied"), "artifactType");
  ASSERT_EQ(r.Json()["manifests"].size(), 1u);
  EXPECT_EQ(r.Json()["manifests"][0]["digest"], Sha256Of(signature.dump()));
  r = Send("GET", path + "?artifactType=application/none");
  EXPECT_EQ(r.Json()["manifests"], json::array());
  EXPECT_EQ(r.Header("OCI-Filters-Applied"), "artifactType");

  // Unknown subjects list nothing; malformed digests are 400.
  EXPECT_EQ(Send("GET", "/v2/app/referrers/" + Sha256Of("nothing")).Json()["manifests"],
            json::array());
  r = Send("GET", "/v2/app/referrers/latest");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Error(), "DIGEST_INVALID");

  // A deleted referrer leaves the list.
  EXPECT_EQ(Send("DELETE", "/v2/app/manifests/" + Sha256Of(sbom)).status, 202u);
  r = Send("GET", path);
  ASSERT_EQ(r.Json()["manifests"].size(), 1u);
  EXPECT_EQ(r.Json()["manifests"][0]["digest"], Sha256Of(signature.dump()));
}

TEST_F(RegistryManifestTest, DeleteByTagAndByDigest) {
  const std::string bytes = PushImage("app", "one");
  const std::string digest = Sha256Of(bytes);
  ASSERT_EQ(PutManifest("app", "two", bytes, kDockerManifestType).status, 201u);

  // By tag: only the tag goes.
  EXPECT_EQ(Send("DELETE", "/v2/app/manifests/one").status, 202u);
  EXPECT_EQ(Tags(), std::vector<std::string>{"two"});
  EXPECT_EQ(Send("GET", "/v2/app/manifests/" + digest).status, 200u);
  EXPECT_EQ(Send("GET", "/v2/app/manifests/one").Error(), "MANIFEST_UNKNOWN");
  EXPECT_EQ(Send("DELETE", "/v2/app/manifests/one").Error(), "MANIFEST_UNKNOWN");

  // By digest: the image and every tag on it.
  EXPECT_EQ(Send("DELETE", "/v2/app/manifests/" + digest).status, 202u);
  EXPECT_EQ(Tags(), std::vector<std::string>{});
  EXPECT_EQ(Send("GET", "/v2/app/manifests/two").Error(), "MANIFEST_UNKNOWN");
  EXPECT_EQ(Send("GET", "/v2/app/manifests/" + digest).Error(), "MANIFEST_UNKNOWN");
  const RegistryReply r = Send("DELETE", "/v2/app/manifests/" + digest);
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.Error(), "MANIFEST_UNKNOWN");
}

TEST_F(RegistryManifestTest, ImmutableTags) {
  ecr_.PutImageTagMutability({"000000000000", "us-east-1"}, "app", "IMMUTABLE", {});
  const std::string first = PushImage("app", "v1", "first");
  // The same image again is an idempotent re-push.
  EXPECT_EQ(PutManifest("app", "v1", first, kDockerManifestType).status, 201u);
  // Another image under the same tag is refused with ECR's words.
  const Blob config = PushBlob("app", "{\"second\":true}");
  const std::string second = ImageManifest(config, {}).dump();
  const RegistryReply r = PutManifest("app", "v1", second, kDockerManifestType);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Error(), "TAG_INVALID");
  EXPECT_EQ(r.Message(),
            "The image tag 'v1' already exists in the 'app' repository and cannot be overwritten "
            "because the repository is immutable.");
  EXPECT_EQ(Send("GET", "/v2/app/manifests/v1").Header("Docker-Content-Digest"), Sha256Of(first));
  // New tags are fine.
  EXPECT_EQ(PutManifest("app", "v2", second, kDockerManifestType).status, 201u);
}

TEST_F(RegistryManifestTest, MutableTagsMove) {
  const std::string first = PushImage("app", "latest", "first");
  const std::string second = PushImage("app", "latest", "second");
  EXPECT_EQ(Send("GET", "/v2/app/manifests/latest").Header("Docker-Content-Digest"),
            Sha256Of(second));
  EXPECT_EQ(Send("GET", "/v2/app/manifests/" + Sha256Of(first)).status, 200u);
}

TEST_F(RegistryManifestTest, SchemaOneIsRefused) {
  const std::string schema1 =
      R"({"schemaVersion":1,"name":"app","tag":"old","architecture":"amd64","fsLayers":[],)"
      R"("history":[],"signatures":[]})";
  for (const char* type :
       {"application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json", "application/json", ""}) {
    const RegistryReply r = PutManifest("app", "old", schema1, type);
    EXPECT_EQ(r.status, 400u) << type;
    EXPECT_EQ(r.Error(), "MANIFEST_INVALID") << type;
  }
  EXPECT_EQ(Tags(), std::vector<std::string>{});
}

TEST_F(RegistryManifestTest, MalformedManifests) {
  const Blob config = PushBlob("app", "{}");
  const std::string good = ImageManifest(config, {}, kOciManifestType).dump();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", kOciManifestType},
      {"[]", kOciManifestType},
      {R"({"schemaVersion":2})", kOciManifestType},
      {R"({"schemaVersion":"2","config":{}})", kOciManifestType},
      // The body's mediaType disagrees with Content-Type.
      {good, kDockerManifestType},
      // An index declared as an image manifest.
      {R"({"schemaVersion":2,"manifests":[]})", kOciManifestType},
      {R"({"schemaVersion":2,"mediaType":"application/vnd.example+json","config":{}})", ""},
      // A descriptor without a size.
      {R"({"schemaVersion":2,"config":{"mediaType":"a/b","digest":")" + config.digest + R"("}})",
       kOciManifestType},
  };
  for (const auto& [bytes, type] : cases) {
    const RegistryReply r = PutManifest("app", "bad", bytes, type);
    EXPECT_EQ(r.status, 400u) << bytes;
    EXPECT_EQ(r.Error(), "MANIFEST_INVALID") << bytes << " → " << r.body;
  }
  EXPECT_EQ(Tags(), std::vector<std::string>{});
  // Without Content-Type the media type is sniffed.
  EXPECT_EQ(PutManifest("app", "sniffed",
                        R"({"schemaVersion":2,"config":)" + Descriptor("a/b", config).dump() +
                            R"(,"layers":[]})",
                        "")
                .status,
            201u);
  EXPECT_EQ(Send("GET", "/v2/app/manifests/sniffed").Header("Content-Type"), kOciManifestType);
}

TEST_F(RegistryManifestTest, OversizedManifestsAre413) {
  const Blob config = PushBlob("app", "{}");
  json manifest = ImageManifest(config, {}, kOciManifestType);
  manifest["annotations"] = {{"padding", std::string(ecr::kMaxManifestBytes, 'x')}};
  const std::string bytes = manifest.dump();
  for (const bool chunked : {false, true}) {
    const RegistryReply r = Send(Call{
        "PUT", "/v2/app/manifests/huge", bytes, {{"Content-Type", kOciManifestType}}, chunked});
    EXPECT_EQ(r.status, 413u);
    EXPECT_EQ(r.Error(), "MANIFEST_INVALID");
    EXPECT_TRUE(r.close);
  }
  EXPECT_EQ(Tags(), std::vector<std::string>{});
  // Up to 4 MiB is accepted.
  manifest["annotations"]["padding"] = std::string(ecr::kMaxManifestBytes - 400, 'x');
  const std::string fits = manifest.dump();
  ASSERT_LE(fits.size(), ecr::kMaxManifestBytes);
  EXPECT_EQ(PutManifest("app", "big", fits, kOciManifestType).status, 201u);
}

}  // namespace
}  // namespace berth::testing
