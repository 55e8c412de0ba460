// ECR replication and the registry account surface through the real AWS CLI
// and skopeo: replication configured to another region and another account,
// an image pushed with skopeo, describe-image-replication-status waited on
// until COMPLETE, and the replicas pulled from the destination repositories
// with each destination's own credentials; then account settings, signing,
// pull-time update exclusions and repository scanning configuration, each
// asserted by its effect.

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/registry_client_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kSource = "000000000000";
constexpr const char* kOther = "111111111111";

class EcrReplicationCliTest : public RegistryClientTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ProgramExists("skopeo")) << "skopeo is not installed (./dev install installs it)";
    RegistryClientTest::SetUp();
    // The operations of 2025 (signing, exclusions) need a recent CLI: the
    // one first in PATH (awscli v1 with botocore's current model), not an
    // older distribution package.
    aws_cli_ = AwsClis().back();
    StartBerth({"--require-auth"});
  }

  // The AWS CLI as `account` in `region` (Berth maps a 12-digit access key
  // to that account).
  AwsResult AwsAs(const std::string& account, const std::string& region,
                  const std::vector<std::string>& args) {
    std::vector<std::string> full = args;
    full.insert(full.end(), {"--region", region});
    return RunAws(aws_cli_, server_->endpoint(), full, {{"AWS_ACCESS_KEY_ID", account}});
  }
  json AwsAsOk(const std::string& account, const std::string& region,
               const std::vector<std::string>& args) {
    const AwsResult r = AwsAs(account, region, args);
    EXPECT_EQ(r.exit_code, 0) << "aws " << Join(args) << "\nstderr: " << r.err;
    return r.json;
  }
  // Expects the CLI to fail with `code`; returns stderr.
  std::string AwsFails(const std::vector<std::string>& args, const std::string& code) {
    const AwsResult r = RunAws(aws_cli_, server_->endpoint(), args);
    EXPECT_NE(r.exit_code, 0) << "aws " << Join(args) << " succeeded: " << r.out;
    EXPECT_NE(r.err.find("(" + code + ")"), std::string::npos) << r.err;
    return r.err;
  }

  // skopeo credentials for one registry (account and region).
  std::string Creds(const std::string& account, const std::string& region) {
    const AwsResult r = AwsAs(account, region, {"ecr", "get-login-password"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return "AWS:" + Trim(r.out);
  }

  // An OCI layout at `dir` holding one small image (one layer) as `ref`;
  // returns the image manifest's digest.
  std::string WriteLayout(const std::filesystem::path& dir, const std::string& ref,
                          const std::string& seed) {
    std::filesystem::create_directories(dir / "blobs" / "sha256");
    WriteFile(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    const auto add_blob = [&](const std::string& content) {
      const std::string hex = crypto::Sha256Hex(content);
      WriteFile(dir / "blobs" / "sha256" / hex, content);
      return "sha256:" + hex;
    };
    const std::filesystem::path root = std::filesystem::path(work_.path()) / ("root-" + seed);
    std::filesystem::create_directories(root);
    WriteFile(root / "seed.txt", seed + " " + id_ + "\n");
    const std::string tar = work_.path() + "/layer-" + seed + ".tar";
    const CommandResult made =
        RunCommand({"tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0",
                    "-C", root.string(), "-cf", tar, "seed.txt"});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    const std::string layer = ReadFile(tar);
    const std::string layer_digest = add_blob(layer);
    const std::string config =
        json{{"architecture", "amd64"},
             {"os", "linux"},
             {"config", {{"Labels", {{"berth.test", "1"}, {"berth.test.id", id_}}}}},
             {"rootfs", {{"type", "layers"}, {"diff_ids", {layer_digest}}}}}
            .dump();
    const std::string manifest = json{
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
        {"config",
         {{"mediaType", "application/vnd.oci.image.config.v1+json"},
          {"digest", add_blob(config)},
          {"size", config.size()}}},
        {"layers",
         {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
           {"digest", layer_digest},
           {"size", layer.size()}}}}}.dump();
    const std::string digest = add_blob(manifest);
    WriteFile(dir / "index.json",
              json{{"schemaVersion", 2},
                   {"manifests",
                    {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                      {"digest", digest},
                      {"size", manifest.size()},
                      {"annotations", {{"org.opencontainers.image.ref.name", ref}}}}}}}
                  .dump());
    return digest;
  }

  // skopeo copy of a fresh one-layer image into the source registry.
  void Push(const std::string& repository_and_tag, const std::string& seed) {
    const std::string layout = work_.path() + "/layout-" + seed;
    WriteLayout(layout, "v", seed);
    SkopeoOk({"copy", "--dest-tls-verify=false", "--dest-creds", Creds(kSource, "us-east-1"),
              "oci:" + layout + ":v", "docker://" + host() + "/" + repository_and_tag});
  }

  // Polls describe-image-replication-status until no destination is
  // IN_PROGRESS (or 30 s pass); returns "region/account STATUS" entries.
  std::vector<std::string> WaitForReplication(const std::string& repository,
                                              const std::string& tag) {
    std::vector<std::string> statuses;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      const json out = Aws({"ecr", "describe-image-replication-status", "--repository-name",
                            repository, "--image-id", "imageTag=" + tag});
      statuses.clear();
      bool pending = false;
      for (const auto& s : out["replicationStatuses"]) {
        statuses.push_back(s["region"].get<std::string>() + "/" +
                           s["registryId"].get<std::string>() + " " +
                           s["status"].get<std::string>());
        pending = pending || s["status"] == "IN_PROGRESS";
      }
      if (!pending) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return statuses;
  }
};

TEST_F(EcrReplicationCliTest, PushReplicatesToAnotherRegionAndAccountAndThePullWorks) {
  // The other account's registry lets this account replicate into it.
  const json policy = {
      {"Version", "2012-10-17"},
      {"Statement",
       {{{"Effect", "Allow"},
         {"Principal", {{"AWS", std::string("arn:aws:iam::") + kSource + ":root"}}},
         {"Action", {"ecr:CreateRepository", "ecr:ReplicateImage"}},
         {"Resource", std::string("arn:aws:ecr:us-east-1:") + kOther + ":repository/*"}}}}};
  AwsAsOk(kOther, "us-east-1", {"ecr", "put-registry-policy", "--policy-text", policy.dump()});
  const json configuration = {
      {"rules",
       {{{"destinations",
          {{{"region", "us-west-2"}, {"registryId", kSource}},
           {{"region", "us-east-1"}, {"registryId", kOther}}}},
         {"repositoryFilters", {{{"filter", "rep/"}, {"filterType", "PREFIX_MATCH"}}}}}}}};
  Aws({"ecr", "put-replication-configuration", "--replication-configuration",
       configuration.dump()});
  // The source registry itself is refused as a destination.
  const std::string refused = AwsFails(
      {"ecr", "put-replication-configuration", "--replication-configuration",
       R"({"rules":[{"destinations":[{"region":"us-east-1","registryId":"000000000000"}]}]})"},
      "InvalidParameterException");
  EXPECT_NE(refused.find("cannot be the same as the source registry"), std::string::npos);

  Aws({"ecr", "create-repository", "--repository-name", "rep/app"});
  Push("rep/app:v1", "replicated");
  EXPECT_EQ(WaitForReplication("rep/app", "v1"),
            (std::vector<std::string>{"us-east-1/111111111111 COMPLETE",
                                      "us-west-2/000000000000 COMPLETE"}));
  // The digest as stored (skopeo may rewrite the layout's manifest).
  const std::string digest = Aws(
      {"ecr", "describe-images", "--repository-name", "rep/app"})["imageDetails"][0]["imageDigest"];

  for (const auto& [account, region] : std::vector<std::pair<std::string, std::string>>{
           {kSource, "us-west-2"}, {kOther, "us-east-1"}}) {
    // The destination repository (created by replication) holds the image
    // under its tag.
    const json images =
        AwsAsOk(account, region, {"ecr", "describe-images", "--repository-name", "rep/app"});
    ASSERT_EQ(images["imageDetails"].size(), 1u) << images.dump();
    EXPECT_EQ(images["imageDetails"][0]["imageDigest"], digest);
    EXPECT_EQ(images["imageDetails"][0]["imageTags"], json::array({"v1"}));
    EXPECT_EQ(images["imageDetails"][0]["registryId"], account);
    // Pulled from the destination's URI with the destination's credentials.
    const std::string out = work_.path() + "/pulled-" + account + "-" + region;
    SkopeoOk({"copy", "--src-tls-verify=false", "--src-creds", Creds(account, region),
              "docker://" + host() + "/rep/app:v1", "oci:" + out + ":v1"});
    EXPECT_EQ(json::parse(ReadFile(out + "/index.json"))["manifests"][0]["digest"], digest);
  }
}

TEST_F(EcrReplicationCliTest, AccountSigningExclusionsAndScanningSurface) {
  // Account settings: defaults, put then get, invalid values refused.
  EXPECT_EQ(Aws({"ecr", "get-account-setting", "--name", "BLOB_MOUNTING"})["value"], "DISABLED");
  Aws({"ecr", "put-account-setting", "--name", "BLOB_MOUNTING", "--value", "ENABLED"});
  EXPECT_EQ(Aws({"ecr", "get-account-setting", "--name", "BLOB_MOUNTING"})["value"], "ENABLED");
  const std::string bad =
      AwsFails({"ecr", "put-account-setting", "--name", "REGISTRY_POLICY_SCOPE", "--value", "V9"},
               "InvalidParameterException");
  EXPECT_NE(bad.find("Member must satisfy enum value set: [V2]"), std::string::npos) << bad;

  // Signing configuration: put, get, a push gets a status per profile,
  // delete, and then it is gone.
  const std::string profile = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/release";
  const json signing = {
      {"rules",
       {{{"signingProfileArn", profile},
         {"repositoryFilters", {{{"filter", "signed/*"}, {"filterType", "WILDCARD_MATCH"}}}}}}}};
  Aws({"ecr", "put-signing-configuration", "--signing-configuration", signing.dump()});
  EXPECT_EQ(Aws({"ecr", "get-signing-configuration"})["signingConfiguration"], signing);
  Aws({"ecr", "create-repository", "--repository-name", "signed/app"});
  Push("signed/app:v1", "signed");
  const json status = Aws({"ecr", "describe-image-signing-status", "--repository-name",
                           "signed/app", "--image-id", "imageTag=v1"});
  ASSERT_EQ(status["signingStatuses"].size(), 1u) << status.dump();
  EXPECT_EQ(status["signingStatuses"][0]["signingProfileArn"], profile);
  EXPECT_EQ(status["signingStatuses"][0]["status"], "FAILED");
  EXPECT_EQ(status["signingStatuses"][0]["failureCode"], "SignerUnavailable");
  EXPECT_EQ(Aws({"ecr", "delete-signing-configuration"})["signingConfiguration"], signing);
  AwsFails({"ecr", "delete-signing-configuration"}, "SigningConfigurationNotFoundException");

  // Pull-time update exclusions: register, list, deregister.
  const std::string role = "arn:aws:iam::000000000000:role/ci";
  EXPECT_EQ(
      Aws({"ecr", "register-pull-time-update-exclusion", "--principal-arn", role})["principalArn"],
      role);
  EXPECT_EQ(Aws({"ecr", "list-pull-time-update-exclusions"})["pullTimeUpdateExclusions"],
            json::array({role}));
  Aws({"ecr", "deregister-pull-time-update-exclusion", "--principal-arn", role});
  EXPECT_EQ(Aws({"ecr", "list-pull-time-update-exclusions"})["pullTimeUpdateExclusions"],
            json::array());

  // Repository scanning configuration follows the registry's rules.
  Aws({"ecr", "put-registry-scanning-configuration", "--scan-type", "ENHANCED", "--rules",
       R"([{"scanFrequency":"CONTINUOUS_SCAN","repositoryFilters":[{"filter":"signed/*","filterType":"WILDCARD"}]}])"});
  const json scanning = Aws({"ecr", "batch-get-repository-scanning-configuration",
                             "--repository-names", "signed/app", "missing"});
  ASSERT_EQ(scanning["scanningConfigurations"].size(), 1u) << scanning.dump();
  EXPECT_EQ(scanning["scanningConfigurations"][0]["scanFrequency"], "CONTINUOUS_SCAN");
  EXPECT_EQ(scanning["scanningConfigurations"][0]["appliedScanFilters"][0]["filter"], "signed/*");
  EXPECT_EQ(scanning["failures"][0]["failureCode"], "REPOSITORY_NOT_FOUND");

  // The default KMS key is a key ARN, not an alias.
  const json kms = Aws({"ecr", "create-repository", "--repository-name", "kms/a",
                        "--encryption-configuration", "encryptionType=KMS"});
  const std::string key = kms["repository"]["encryptionConfiguration"]["kmsKey"];
  EXPECT_TRUE(key.starts_with("arn:aws:kms:us-east-1:000000000000:key/")) << key;
}

}  // namespace
}  // namespace berth::testing
