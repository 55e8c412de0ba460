// Berth's registry driven by the real docker CLI and daemon: the ECR part of
// the walkthrough command for command (create-repository, get-login-password
// | docker login, build, tag, push, list-images/describe-images), pulling
// and running what was pushed, pushing again, multi-layer images, blob
// mounts across repositories (off by default, as ECR's BLOB_MOUNTING), a multi-arch manifest list,
// --require-auth, and a berth killed in the middle of a streamed upload.

#include <chrono>
#include <signal.h>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/registry_client_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";

class RegistryDockerTest : public RegistryClientTest {};

TEST_F(RegistryDockerTest, WalkthroughPushListDescribePullRun) {
  // 1. aws ecr create-repository --repository-name test-repo
  const json created = Aws({"ecr", "create-repository", "--repository-name", "test-repo"});
  const std::string uri = created["repository"]["repositoryUri"];
  ASSERT_EQ(uri, host() + "/test-repo");
  // 2. aws ecr get-login-password --region <region> | docker login --username AWS
  //    --password-stdin <registry host>, as one shell pipeline.
  const AwsResult login =
      RunLoginPipeline(aws_cli_, server_->endpoint(), host(), docker_config_.path());
  ASSERT_EQ(login.exit_code, 0) << login.out << login.err;
  EXPECT_NE(login.out.find("Login Succeeded"), std::string::npos) << login.out;
  // 3. docker build -t test .   (a local name of this test's own)
  const std::string local = tag_id();
  BuildImage(local, "<h1>walkthrough</h1>\n");
  // 4. docker tag test:latest <repositoryUri>:latest
  Tag(local + ":latest", uri + ":latest");
  // 5. docker push <repositoryUri>:latest
  const std::string digest = Push(uri + ":latest");
  ASSERT_FALSE(digest.empty());

  // The image shows in list-images and describe-images.
  const json listed = Aws({"ecr", "list-images", "--repository-name", "test-repo"});
  EXPECT_EQ(listed["imageIds"], json::array({{{"imageDigest", digest}, {"imageTag", "latest"}}}))
      << listed.dump();
  const json described = Aws({"ecr", "describe-images", "--repository-name", "test-repo"});
  ASSERT_EQ(described["imageDetails"].size(), 1u) << described.dump();
  const json& detail = described["imageDetails"][0];
  EXPECT_EQ(detail["imageDigest"], digest);
  EXPECT_EQ(detail["imageTags"], json::array({"latest"}));
  EXPECT_EQ(detail["repositoryName"], "test-repo");
  EXPECT_EQ(detail["imageManifestMediaType"], kDockerManifest);
  EXPECT_GT(detail.value("imageSizeInBytes", 0), 1000000) << detail.dump();  // busybox is ~2 MB
  const json by_tag = Aws({"ecr", "describe-images", "--repository-name", "test-repo",
                           "--image-ids", "imageTag=latest"});
  EXPECT_EQ(by_tag["imageDetails"][0]["imageDigest"], digest);

  // The registry serves the same manifest docker pushed.
  const HttpReply manifest = GetManifest("test-repo", "latest");
  EXPECT_EQ(manifest.status, 200);
  EXPECT_EQ(manifest.Header("Docker-Content-Digest"), digest);
  EXPECT_EQ("sha256:" + crypto::Sha256Hex(manifest.body), digest);

  // docker rmi, then docker pull brings back the same image, and it runs.
  DockerOk({"rmi", uri + ":latest", local + ":latest"});
  EXPECT_NE(Docker({"image", "inspect", uri + ":latest"}).exit_code, 0);
  EXPECT_EQ(Pull(uri + ":latest"), digest);
  EXPECT_EQ(Pull(uri + "@" + digest), digest);
  EXPECT_EQ(RunAndFetch(uri + ":latest"), "<h1>walkthrough</h1>\n");

  // Pushing again: every layer is already there, the digest is unchanged.
  std::string output;
  EXPECT_EQ(Push(uri + ":latest", &output), digest);
  EXPECT_NE(output.find("Layer already exists"), std::string::npos) << output;
  EXPECT_EQ(output.find("Pushed"), std::string::npos) << output;
  EXPECT_EQ(Aws({"ecr", "list-images", "--repository-name", "test-repo"})["imageIds"].size(), 1u);
}

TEST_F(RegistryDockerTest, MultiLayerImagesAndMountsAcrossRepositories) {
  Aws({"ecr", "create-repository", "--repository-name", "layers/one"});
  Aws({"ecr", "create-repository", "--repository-name", "layers/two"});
  Aws({"ecr", "create-repository", "--repository-name", "layers/three"});
  ASSERT_EQ(DockerLogin(), 0);
  const std::string local = tag_id();
  BuildImage(local, "<p>many layers</p>\n", /*extra_layers=*/4);
  const std::string image_id = Trim(DockerOk({"image", "inspect", "--format", "{{.Id}}", local}));

  Tag(local, host() + "/layers/one:v1");
  std::string output;
  const std::string digest = Push(host() + "/layers/one:v1", &output);
  const json manifest = json::parse(GetManifest("layers/one", "v1").body);
  EXPECT_EQ(manifest["mediaType"], kDockerManifest);
  EXPECT_EQ(manifest["layers"].size(), 6u) << manifest.dump();  // busybox, page, 4 extras
  EXPECT_EQ(manifest["config"]["digest"], image_id);
  // Every layer and the config can be fetched and match their digests.
  for (const auto& layer : manifest["layers"]) {
    const HttpReply blob = Curl(Url("/v2/layers/one/blobs/" + layer["digest"].get<std::string>()));
    EXPECT_EQ(blob.status, 200);
    EXPECT_EQ(static_cast<int64_t>(blob.body.size()), layer["size"].get<int64_t>());
    EXPECT_EQ("sha256:" + crypto::Sha256Hex(blob.body), layer["digest"]);
  }

  // The same layers pushed to another repository: ECR's default
  // (BLOB_MOUNTING DISABLED) answers docker's mount requests with upload
  // sessions, so the layers are sent again.
  // (Debian's CLI v2.9 predates the account setting commands: use one that has them.)
  std::string settings_cli;
  for (const auto& cli : AwsClis()) {
    if (RunAws(cli, server_->endpoint(), {"ecr", "put-account-setting", "help"}, {{"PAGER", "cat"}})
            .exit_code == 0) {
      settings_cli = cli;
      break;
    }
  }
  ASSERT_FALSE(settings_cli.empty()) << "no AWS CLI with put-account-setting";
  EXPECT_EQ(RunAws(settings_cli, server_->endpoint(),
                   {"ecr", "get-account-setting", "--name", "BLOB_MOUNTING"})
                .json["value"],
            "DISABLED");
  Tag(local, host() + "/layers/two:v1");
  EXPECT_EQ(Push(host() + "/layers/two:v1", &output), digest);
  EXPECT_EQ(output.find("Mounted from"), std::string::npos) << output;
  EXPECT_NE(output.find("Pushed"), std::string::npos) << output;
  EXPECT_EQ(server_->Log().find("POST /v2/layers/two/blobs/uploads/ registry.POST 201"),
            std::string::npos);
  EXPECT_NE(server_->Log().find("POST /v2/layers/two/blobs/uploads/ registry.POST 202"),
            std::string::npos);
  // With mounting enabled they are mounted, not sent.
  EXPECT_EQ(RunAws(settings_cli, server_->endpoint(),
                   {"ecr", "put-account-setting", "--name", "BLOB_MOUNTING", "--value", "ENABLED"})
                .exit_code,
            0);
  Tag(local, host() + "/layers/three:v1");
  EXPECT_EQ(Push(host() + "/layers/three:v1", &output), digest);
  EXPECT_NE(output.find("Mounted from layers/"), std::string::npos) << output;
  EXPECT_NE(server_->Log().find("POST /v2/layers/three/blobs/uploads/ registry.POST 201"),
            std::string::npos);

  // Pulled back from the second repository, it is the same image.
  DockerOk({"rmi", local, host() + "/layers/one:v1", host() + "/layers/two:v1",
            host() + "/layers/three:v1"});
  EXPECT_EQ(Pull(host() + "/layers/two:v1"), digest);
  EXPECT_EQ(Trim(DockerOk({"image", "inspect", "--format", "{{.Id}}", host() + "/layers/two:v1"})),
            image_id);
  EXPECT_EQ(RunAndFetch(host() + "/layers/two:v1", "/extra-3.txt"),
            "extra layer 3 of " + local + "\n");
}

TEST_F(RegistryDockerTest, MultiArchManifestList) {
  Aws({"ecr", "create-repository", "--repository-name", "multi"});
  ASSERT_EQ(DockerLogin(), 0);
  const std::string repo = host() + "/multi";
  BuildImage(repo + ":amd64", "<p>amd64</p>\n");
  BuildImage(repo + ":arm64", "<p>arm64</p>\n");
  const std::string amd64 = Push(repo + ":amd64");
  const std::string arm64 = Push(repo + ":arm64");

  // docker manifest create/annotate/push (--insecure: the CLI itself talks
  // to the registry, over plain HTTP).
  DockerOk(
      {"manifest", "create", "--insecure", repo + ":latest", repo + ":amd64", repo + ":arm64"});
  DockerOk({"manifest", "annotate", repo + ":latest", repo + ":arm64", "--os", "linux", "--arch",
            "arm64"});
  const std::string list_digest =
      Trim(DockerOk({"manifest", "push", "--insecure", repo + ":latest"}));
  ASSERT_TRUE(list_digest.starts_with("sha256:")) << list_digest;

  const HttpReply list = GetManifest("multi", "latest");
  EXPECT_EQ(list.Header("Content-Type"), kDockerList);
  EXPECT_EQ(list.Header("Docker-Content-Digest"), list_digest);
  const json index = json::parse(list.body);
  ASSERT_EQ(index["manifests"].size(), 2u);
  std::map<std::string, std::string> by_arch;
  for (const auto& m : index["manifests"]) by_arch[m["platform"]["architecture"]] = m["digest"];
  EXPECT_EQ(by_arch["amd64"], amd64);
  EXPECT_EQ(by_arch["arm64"], arm64);

  // ECR sees three images: the list and its two children.
  const json described = Aws({"ecr", "describe-images", "--repository-name", "multi"});
  EXPECT_EQ(described["imageDetails"].size(), 3u) << described.dump();
  const json list_detail = Aws({"ecr", "describe-images", "--repository-name", "multi",
                                "--image-ids", "imageTag=latest"})["imageDetails"][0];
  EXPECT_EQ(list_detail["imageDigest"], list_digest);
  EXPECT_EQ(list_detail["imageManifestMediaType"], kDockerList);

  // docker pull of the list picks this machine's platform, which runs.
  DockerOk({"rmi", repo + ":amd64", repo + ":arm64"});
  EXPECT_EQ(Pull(repo + ":latest"), list_digest);
  EXPECT_EQ(RunAndFetch(repo + ":latest"), "<p>amd64</p>\n");
}

TEST_F(RegistryDockerTest, RequireAuth) {
  StartBerth({"--require-auth"});
  Aws({"ecr", "create-repository", "--repository-name", "private"});
  const std::string image = host() + "/private:v1";
  BuildImage(image, "<p>private</p>\n");

  // Without docker login, the push is refused with ECR's challenge.
  const HttpReply ping = Curl(Url("/v2/"));
  EXPECT_EQ(ping.status, 401);
  EXPECT_EQ(ping.Header("WWW-Authenticate"),
            "Basic realm=\"https://127.0.0.1:" + std::to_string(server_->port()) +
                "/\",service=\"ecr.amazonaws.com\"");
  CommandResult push = Docker({"push", image});
  EXPECT_NE(push.exit_code, 0) << push.out;
  EXPECT_NE((push.out + push.err).find("no basic auth credentials"), std::string::npos)
      << push.out << push.err;
  // A wrong password does not log in.
  const CommandResult wrong =
      Docker({"login", "--username", "AWS", "--password-stdin", host()}, "not-a-token");
  EXPECT_NE(wrong.exit_code, 0);

  // After docker login with get-login-password, it works.
  ASSERT_EQ(DockerLogin(), 0);
  const std::string digest = Push(image);
  EXPECT_EQ(GetManifest("private", "v1", {"-u", "AWS:" + LoginPassword()})
                .Header("Docker-Content-Digest"),
            digest);
  EXPECT_EQ(GetManifest("private", "v1").status, 401);
  // ECR's exact 401: a plain "Not Authorized".
  EXPECT_EQ(ping.body, "Not Authorized");
  EXPECT_EQ(ping.Header("Content-Type"), "text/plain");

  // GetDownloadUrlForLayer's URL serves the layer with no credentials, as
  // ECR's pre-signed URL does; its path alone is still challenged.
  const json manifest = json::parse(
      GetManifest("private", "v1", {"-u", "AWS:" + LoginPassword()}).body, nullptr, false);
  ASSERT_TRUE(manifest.contains("layers")) << manifest.dump();
  const std::string layer = manifest["layers"][0]["digest"];
  const std::string url = Aws({"ecr", "get-download-url-for-layer", "--repository-name", "private",
                               "--layer-digest", layer})["downloadUrl"];
  const HttpReply download = Curl(url);
  EXPECT_EQ(download.status, 200) << url << "\n" << download.body;
  EXPECT_EQ("sha256:" + crypto::Sha256Hex(download.body), layer);
  EXPECT_EQ(Curl(url.substr(0, url.find('?'))).status, 401);

  // Logged out again, the pull is refused; logged in, it works.
  DockerOk({"rmi", image});
  DockerOk({"logout", host()});
  const CommandResult pull = Docker({"pull", image});
  EXPECT_NE(pull.exit_code, 0) << pull.out;
  ASSERT_EQ(DockerLogin(), 0);
  EXPECT_EQ(Pull(image), digest);
}

// --- A berth killed in the middle of an upload ----------------------------------

TEST_F(RegistryDockerTest, KilledDuringAStreamedUploadLosesNothing) {
  // Given a berth on a data directory of ours, holding one pushed image.
  TempDir data;
  StartBerth({}, data.path());
  Aws({"ecr", "create-repository", "--repository-name", "crash"});
  const std::string image = host() + "/crash:v1";
  BuildImage(image, "<p>before the crash</p>\n");
  const std::string digest = Push(image);
  const std::string tags_before = Curl(Url("/v2/crash/tags/list")).body;
  const std::string manifest_before = GetManifest("crash", "v1").body;

  // When a 64 MiB blob is being streamed slowly (one chunked PATCH, as
  // docker sends it)...
  std::string big;
  big.reserve(64 << 20);
  for (int i = 0; big.size() < (64u << 20); ++i) big += "block " + std::to_string(i) + "\n";
  big.resize(64 << 20);
  const std::string big_digest = "sha256:" + crypto::Sha256Hex(big);
  const std::string big_path = work_.path() + "/big.bin";
  WriteFile(big_path, big);
  const HttpReply started = Curl(Url("/v2/crash/blobs/uploads/"), {"-X", "POST"});
  ASSERT_EQ(started.status, 202);
  const std::string location = started.Header("Location");
  auto upload = std::make_unique<ChildProcess>(
      std::vector<std::string>{"curl", "-sS", "-X", "PATCH", "--limit-rate", "4M", "-H",
                               "Content-Type: application/octet-stream", "-H",
                               "Transfer-Encoding: chunked", "-T", big_path, Url(location)},
      std::map<std::string, std::string>{}, work_.path() + "/curl.log");
  const std::filesystem::path uploads = std::filesystem::path(data.path()) / "uploads";
  const auto received = [&] {
    uintmax_t total = 0;
    for (const auto& entry : std::filesystem::directory_iterator(uploads)) {
      if (entry.is_regular_file()) total += entry.file_size();
    }
    return total;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (received() < (8u << 20) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(received(), 8u << 20) << ReadFile(work_.path() + "/curl.log");
  ASSERT_LT(received(), 64u << 20) << "the upload finished before the kill";
  // ... berth is killed.
  ASSERT_TRUE(server_->process().Stop(SIGKILL).has_value());
  upload.reset();

  // Then, restarted on the same data directory:
  StartBerth({}, data.path());
  // the blob is not served,
  EXPECT_EQ(Curl(Url("/v2/crash/blobs/" + big_digest), {"-I"}).status, 404);
  // what was pushed before is unchanged,
  EXPECT_EQ(Curl(Url("/v2/crash/tags/list")).body, tags_before);
  const HttpReply manifest = GetManifest("crash", "v1");
  EXPECT_EQ(manifest.body, manifest_before);
  EXPECT_EQ(manifest.Header("Docker-Content-Digest"), digest);
  // the interrupted session survived, holding a prefix of the bytes,
  const HttpReply status = Curl(Url(location));
  ASSERT_EQ(status.status, 204);
  // a fresh streamed push of the same content succeeds,
  const HttpReply again = Curl(Url("/v2/crash/blobs/uploads/"), {"-X", "POST"});
  ASSERT_EQ(again.status, 202);
  const HttpReply patched = Curl(Url(again.Header("Location")),
                                 {"-X", "PATCH", "-H", "Transfer-Encoding: chunked", "-H",
                                  "Content-Type: application/octet-stream", "-T", big_path});
  ASSERT_EQ(patched.status, 202) << patched.body;
  EXPECT_EQ(patched.Header("Range"), "0-" + std::to_string((64 << 20) - 1));
  const HttpReply put =
      Curl(Url(patched.Header("Location") + "?digest=" + big_digest), {"-X", "PUT"});
  EXPECT_EQ(put.status, 201) << put.body;
  const HttpReply head = Curl(Url("/v2/crash/blobs/" + big_digest), {"-I"});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("Content-Length"), std::to_string(64 << 20));
  // the interrupted session resumes where its bytes end,
  const std::string range = status.Header("Range");
  ASSERT_TRUE(range.starts_with("0-")) << range;
  const size_t offset = std::stoull(range.substr(2)) + 1;
  ASSERT_LT(offset, big.size());
  const std::string rest_path = work_.path() + "/rest.bin";
  WriteFile(rest_path, big.substr(offset));
  const HttpReply resumed =
      Curl(Url(location),
           {"-X", "PATCH", "-H", "Content-Type: application/octet-stream", "-H",
            "Content-Range: " + std::to_string(offset) + "-" + std::to_string(big.size() - 1), "-T",
            rest_path});
  EXPECT_EQ(resumed.status, 202) << resumed.body;
  const HttpReply closed =
      Curl(Url(resumed.Header("Location") + "?digest=" + big_digest), {"-X", "PUT"});
  EXPECT_EQ(closed.status, 201) << closed.body;
  // so does a docker push and pull of the image (berth's port changed),
  ASSERT_EQ(DockerLogin(), 0);
  const std::string moved = host() + "/crash:v1";
  Tag(image, moved);
  std::string output;
  EXPECT_EQ(Push(moved, &output), digest);
  EXPECT_NE(output.find("Layer already exists"), std::string::npos) << output;
  DockerOk({"rmi", image, moved});
  EXPECT_EQ(Pull(moved), digest);
  // and every blob file holds exactly the bytes its name says.
  EXPECT_GE(ExpectBlobsIntact(data.path()), 5u);
}

}  // namespace
}  // namespace berth::testing
