// Berth's registry driven by skopeo (containers/image): copy from an OCI
// layout, between repositories and back to a layout, inspect, list-tags and
// delete, with ECR credentials from get-login-password under --require-auth;
// and a multi-arch OCI index built by hand, copied with --all, inspected per
// platform and pulled and run by docker.

#include <string>
#include <vector>

#include "tests/integration/registry_client_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";

class RegistrySkopeoTest : public RegistryClientTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ProgramExists("skopeo")) << "skopeo is not installed (./dev install installs it)";
    RegistryClientTest::SetUp();
  }

  // Writes an OCI image layout at `dir` holding, under the name `ref`, an
  // index with one image per architecture: FROM-scratch images of one
  // uncompressed layer (busybox and a page naming the architecture) whose
  // config carries this test's labels. Returns the index.json document.
  json WriteOciLayout(const std::filesystem::path& dir, const std::string& ref,
                      const std::vector<std::string>& architectures) {
    std::filesystem::create_directories(dir / "blobs" / "sha256");
    WriteFile(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    const auto add_blob = [&](const std::string& content) {
      const std::string hex = crypto::Sha256Hex(content);
      WriteFile(dir / "blobs" / "sha256" / hex, content);
      return "sha256:" + hex;
    };
    json manifests = json::array();
    for (const auto& arch : architectures) {
      const std::filesystem::path root = std::filesystem::path(work_.path()) / ("root-" + arch);
      std::filesystem::create_directories(root / "bin");
      std::filesystem::create_directories(root / "www");
      std::filesystem::copy_file("/bin/busybox", root / "bin" / "busybox",
                                 std::filesystem::copy_options::overwrite_existing);
      WriteFile(root / "www" / "index.html", "<p>" + arch + "</p>\n");
      const std::string tar = work_.path() + "/layer-" + arch + ".tar";
      const CommandResult made =
          RunCommand({"tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner",
                      "--mtime=@0", "-C", root.string(), "-cf", tar, "bin", "www"});
      EXPECT_EQ(made.exit_code, 0) << made.err;
      const std::string layer = ReadFile(tar);
      const std::string layer_digest = add_blob(layer);
      const std::string config =
          json{{"architecture", arch},
               {"os", "linux"},
               {"config",
                {{"Entrypoint", {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"}},
                 {"ExposedPorts", {{"80/tcp", json::object()}}},
                 {"Labels", {{"berth.test", "1"}, {"berth.test.id", id_}}}}},
               {"rootfs", {{"type", "layers"}, {"diff_ids", {layer_digest}}}}}
              .dump();
      const std::string manifest = json{
          {"schemaVersion", 2},
          {"mediaType", kOciManifest},
          {"config",
           {{"mediaType", "application/vnd.oci.image.config.v1+json"},
            {"digest", add_blob(config)},
            {"size", config.size()}}},
          {"layers",
           {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
             {"digest", layer_digest},
             {"size", layer.size()}}}}}.dump();
      manifests.push_back({{"mediaType", kOciManifest},
                           {"digest", add_blob(manifest)},
                           {"size", manifest.size()},
                           {"platform", {{"architecture", arch}, {"os", "linux"}}}});
    }
    const std::string index =
        json{{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", manifests}}.dump();
    const json top = {{"schemaVersion", 2},
                      {"manifests",
                       {{{"mediaType", kOciIndex},
                         {"digest", add_blob(index)},
                         {"size", index.size()},
                         {"annotations", {{"org.opencontainers.image.ref.name", ref}}}}}}};
    WriteFile(dir / "index.json", top.dump());
    return top;
  }

  std::string Ref(const std::string& repository_and_tag) const {
    return "docker://" + host() + "/" + repository_and_tag;
  }

  static std::vector<std::string> Sorted(const json& list) {
    std::vector<std::string> out = list;
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(RegistrySkopeoTest, CopyInspectListTagsAndDeleteWithEcrCredentials) {
  StartBerth({"--require-auth"});
  Aws({"ecr", "create-repository", "--repository-name", "sk/app"});
  Aws({"ecr", "create-repository", "--repository-name", "sk/copy"});
  const std::string layout = work_.path() + "/layout";
  WriteOciLayout(layout, "v1", {"amd64"});
  const std::string creds = "AWS:" + LoginPassword();

  // Without credentials the push is refused.
  const CommandResult anonymous =
      Skopeo({"copy", "--dest-tls-verify=false", "oci:" + layout + ":v1", Ref("sk/app:v1")});
  EXPECT_NE(anonymous.exit_code, 0);
  EXPECT_NE(anonymous.err.find("unauthorized"), std::string::npos) << anonymous.err;

  // skopeo copy oci: → docker://
  SkopeoOk({"copy", "--dest-tls-verify=false", "--dest-creds", creds, "oci:" + layout + ":v1",
            Ref("sk/app:v1")});
  const json inspected =
      json::parse(SkopeoOk({"inspect", "--tls-verify=false", "--creds", creds, Ref("sk/app:v1")}));
  const std::string digest = inspected["Digest"];
  EXPECT_EQ(inspected["Architecture"], "amd64");
  EXPECT_EQ(inspected["Layers"].size(), 1u);
  EXPECT_EQ(inspected["RepoTags"], json::array({"v1"}));
  EXPECT_EQ(inspected["Labels"]["berth.test.id"], id_);
  const std::string raw =
      SkopeoOk({"inspect", "--raw", "--tls-verify=false", "--creds", creds, Ref("sk/app:v1")});
  EXPECT_EQ("sha256:" + crypto::Sha256Hex(raw), digest);
  EXPECT_EQ(json::parse(raw)["mediaType"], kOciManifest);
  const json described = Aws({"ecr", "describe-images", "--repository-name", "sk/app"});
  ASSERT_EQ(described["imageDetails"].size(), 1u) << described.dump();
  EXPECT_EQ(described["imageDetails"][0]["imageDigest"], digest);
  EXPECT_EQ(described["imageDetails"][0]["imageManifestMediaType"], kOciManifest);

  // Registry to registry (blobs may be mounted), and converted to Docker v2.
  SkopeoOk({"copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", creds,
            "--dest-creds", creds, Ref("sk/app:v1"), Ref("sk/copy:v1")});
  EXPECT_EQ(json::parse(SkopeoOk(
                {"inspect", "--tls-verify=false", "--creds", creds, Ref("sk/copy:v1")}))["Digest"],
            digest);
  SkopeoOk({"copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", creds,
            "--dest-creds", creds, "--format", "v2s2", Ref("sk/app:v1"), Ref("sk/copy:docker")});
  const json converted = json::parse(SkopeoOk(
      {"inspect", "--raw", "--tls-verify=false", "--creds", creds, Ref("sk/copy:docker")}));
  EXPECT_EQ(converted["mediaType"], "application/vnd.docker.distribution.manifest.v2+json");

  // Back to an OCI layout: the same manifest.
  const std::string out = work_.path() + "/out";
  SkopeoOk({"copy", "--src-tls-verify=false", "--src-creds", creds, Ref("sk/copy:v1"),
            "oci:" + out + ":v1"});
  EXPECT_EQ(json::parse(ReadFile(out + "/index.json"))["manifests"][0]["digest"], digest);

  // list-tags, then delete one image: its tag goes, the other stays.
  const json tags =
      json::parse(SkopeoOk({"list-tags", "--tls-verify=false", "--creds", creds, Ref("sk/copy")}));
  EXPECT_EQ(Sorted(tags["Tags"]), (std::vector<std::string>{"docker", "v1"}));
  SkopeoOk({"delete", "--tls-verify=false", "--creds", creds, Ref("sk/copy:v1")});
  EXPECT_EQ(json::parse(SkopeoOk(
                {"list-tags", "--tls-verify=false", "--creds", creds, Ref("sk/copy")}))["Tags"],
            json::array({"docker"}));
  EXPECT_NE(
      Skopeo({"inspect", "--tls-verify=false", "--creds", creds, Ref("sk/copy:v1")}).exit_code, 0);
  EXPECT_EQ(GetManifest("sk/copy", digest, {"-u", creds}).status, 404);
  EXPECT_EQ(Aws({"ecr", "list-images", "--repository-name", "sk/copy"})["imageIds"].size(), 1u);
  // The source repository still has it.
  EXPECT_EQ(GetManifest("sk/app", "v1", {"-u", creds}).Header("Docker-Content-Digest"), digest);
}

TEST_F(RegistrySkopeoTest, MultiArchIndexFromAnOciLayout) {
  Aws({"ecr", "create-repository", "--repository-name", "sk/multi"});
  const std::string layout = work_.path() + "/layout";
  WriteOciLayout(layout, "multi", {"amd64", "arm64"});

  SkopeoOk(
      {"copy", "--all", "--dest-tls-verify=false", "oci:" + layout + ":multi", Ref("sk/multi:v1")});
  const HttpReply index = GetManifest("sk/multi", "v1");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("Content-Type"), kOciIndex);
  const std::string index_digest = index.Header("Docker-Content-Digest");
  EXPECT_EQ("sha256:" + crypto::Sha256Hex(index.body), index_digest);
  const json parsed = json::parse(index.body);
  ASSERT_EQ(parsed["manifests"].size(), 2u);
  for (const auto& child : parsed["manifests"]) {
    const HttpReply manifest = GetManifest("sk/multi", child["digest"]);
    EXPECT_EQ(manifest.status, 200) << child.dump();
    EXPECT_EQ(manifest.Header("Content-Type"), child["mediaType"]);
  }

  // Each platform can be inspected.
  for (const std::string arch : {"amd64", "arm64"}) {
    const json inspected = json::parse(
        SkopeoOk({"--override-arch", arch, "inspect", "--tls-verify=false", Ref("sk/multi:v1")}));
    EXPECT_EQ(inspected["Architecture"], arch);
  }
  const json tags = json::parse(SkopeoOk({"list-tags", "--tls-verify=false", Ref("sk/multi")}));
  EXPECT_EQ(tags["Tags"], json::array({"v1"}));

  // ECR sees the index and both children.
  const json described = Aws({"ecr", "describe-images", "--repository-name", "sk/multi"});
  EXPECT_EQ(described["imageDetails"].size(), 3u) << described.dump();
  const json detail = Aws({"ecr", "describe-images", "--repository-name", "sk/multi", "--image-ids",
                           "imageTag=v1"})["imageDetails"][0];
  EXPECT_EQ(detail["imageDigest"], index_digest);
  EXPECT_EQ(detail["imageManifestMediaType"], kOciIndex);

  // The round trip to a layout keeps the index.
  const std::string out = work_.path() + "/out";
  SkopeoOk({"copy", "--all", "--src-tls-verify=false", Ref("sk/multi:v1"), "oci:" + out + ":v1"});
  EXPECT_EQ(json::parse(ReadFile(out + "/index.json"))["manifests"][0]["digest"], index_digest);

  // docker pulls this machine's platform from the index and runs it.
  const std::string image = host() + "/sk/multi:v1";
  EXPECT_EQ(Pull(image), index_digest);
  EXPECT_EQ(RunAndFetch(image), "<p>amd64</p>\n");
}

}  // namespace
}  // namespace berth::testing
