// Strict authentication (issue 12) end to end: a berth started with
// --credentials, driven by both AWS CLIs, boto3 and docker. Good credentials
// work and act in their key's account; a wrong secret, an unknown key and a
// request signed outside the 15-minute window are refused with AWS's errors;
// the registry takes only tokens GetAuthorizationToken issued to a valid key,
// scoped to its account; and pulls by a principal on the pull-time update
// exclusion list leave lastRecordedPullTime alone.

#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/cli_fixture.h"
#include "tests/integration/registry_client_fixture.h"
#include "tests/support/berth_server.h"
#include "tests/support/subprocess.h"

namespace berth::testing {
namespace {

using nlohmann::json;

// The keys of these tests: the one RunAws signs with by default (a CI user
// of account 111122223333), and a second account's key.
constexpr const char* kCredentials = R"({
  "AKIDBERTHTEST": {"secretAccessKey": "berth-test-secret", "accountId": "111122223333",
                    "principalArn": "arn:aws:iam::111122223333:user/ci"},
  "AKIDOTHERACCOUNT": {"secretAccessKey": "other-secret", "accountId": "444455556666"}
})";

const std::map<std::string, std::string> kWrongSecret = {
    {"AWS_SECRET_ACCESS_KEY", "not-the-secret"}};
const std::map<std::string, std::string> kUnknownKey = {{"AWS_ACCESS_KEY_ID", "AKIDNOBODY"}};
const std::map<std::string, std::string> kOtherAccount = {
    {"AWS_ACCESS_KEY_ID", "AKIDOTHERACCOUNT"}, {"AWS_SECRET_ACCESS_KEY", "other-secret"}};

// Writes the credentials file into `dir` and returns its path.
std::string WriteCredentials(const TempDir& dir) {
  const std::string path = dir.path() + "/credentials.json";
  std::ofstream(path) << kCredentials;
  return path;
}

// --- Both AWS CLIs ---------------------------------------------------------------

class StrictAuthCliTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!ProgramExists(GetParam()) && !std::filesystem::exists(GetParam())) {
      FAIL() << "AWS CLI " << GetParam() << " is not installed (./dev install installs it)";
    }
  }
  void Start(const std::map<std::string, std::string>& env = {}) {
    server_ = std::make_unique<BerthServer>(
        std::vector<std::string>{"--credentials", WriteCredentials(dir_)}, "", env);
  }
  AwsResult Run(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {}) {
    return RunAws(GetParam(), server_->endpoint(), args, env);
  }
  json Ok(const std::vector<std::string>& args) {
    const AwsResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << Join(args) << "\n" << r.err << "\n" << server_->Log();
    return r.json;
  }
  // Expects the call to fail with `code`; returns stderr.
  std::string Refused(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env, const std::string& code) {
    const AwsResult r = Run(args, env);
    EXPECT_NE(r.exit_code, 0) << Join(args) << " succeeded: " << r.out;
    EXPECT_NE(r.err.find("(" + code + ")"), std::string::npos) << Join(args) << "\n" << r.err;
    return r.err;
  }

  TempDir dir_;
  std::unique_ptr<BerthServer> server_;
};

TEST_P(StrictAuthCliTest, GoodCredentialsWorkInTheirKeysAccount) {
  Start();
  // ECR, ECS and CloudWatch Logs all verify, and act in the key's account.
  EXPECT_EQ(
      Ok({"ecr", "create-repository", "--repository-name", "strict"})["repository"]["registryId"],
      "111122223333");
  EXPECT_EQ(Ok({"ecs", "create-cluster", "--cluster-name", "strict"})["cluster"]["clusterArn"],
            "arn:aws:ecs:us-east-1:111122223333:cluster/strict");
  Ok({"logs", "create-log-group", "--log-group-name", "strict"});
  EXPECT_EQ(Ok({"logs", "describe-log-groups"})["logGroups"][0]["logGroupName"], "strict");
  // Another key sees its own account only.
  const AwsResult other = Run({"ecr", "describe-repositories"}, kOtherAccount);
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(other.json["repositories"], json::array());
}

TEST_P(StrictAuthCliTest, WrongSecretAndUnknownKeyAreRefused) {
  Start();
  const std::string wrong = Refused({"ecr", "create-repository", "--repository-name", "nope"},
                                    kWrongSecret, "InvalidSignatureException");
  EXPECT_NE(wrong.find("The request signature we calculated does not match the signature you "
                       "provided. Check your AWS Secret Access Key and signing method."),
            std::string::npos)
      << wrong;
  const std::string unknown = Refused({"ecs", "create-cluster", "--cluster-name", "nope"},
                                      kUnknownKey, "UnrecognizedClientException");
  EXPECT_NE(unknown.find("The security token included in the request is invalid."),
            std::string::npos);
  Refused({"logs", "describe-log-groups"}, kWrongSecret, "InvalidSignatureException");
  // Nothing was created.
  EXPECT_EQ(Ok({"ecr", "describe-repositories"})["repositories"], json::array());
  EXPECT_EQ(Ok({"ecs", "list-clusters"})["clusterArns"], json::array());
}

TEST_P(StrictAuthCliTest, RequestsSignedOutsideTheFifteenMinuteWindowAreRefused) {
  // Berth's clock 20 minutes ahead: every signature the CLI makes is expired.
  Start({{"BERTH_CLOCK_OFFSET_SECONDS", "1200"}});
  const std::string err =
      Refused({"ecr", "describe-repositories"}, {}, "InvalidSignatureException");
  EXPECT_NE(err.find("Signature expired: "), std::string::npos) << err;
  EXPECT_NE(err.find(" - 15 min.)"), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(Clis, StrictAuthCliTest, ::testing::ValuesIn(AwsClis()), CliName);

// --- boto3, with requests signed by hand --------------------------------------------

// Prints a JSON summary: what a good and a wrong client got, and how requests
// signed now (sent twice), 20 minutes ago and 20 minutes ahead were answered.
constexpr const char* kBotoScript = R"py(
import datetime, json, sys, urllib.error, urllib.request
import boto3, botocore.auth, botocore.config, botocore.exceptions
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

endpoint = sys.argv[1]
config = botocore.config.Config(retries={"total_max_attempts": 1})
def client(secret):
    return boto3.client("ecr", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="AKIDBERTHTEST", aws_secret_access_key=secret,
                        config=config)
out = {}
good = client("berth-test-secret")
good.create_repository(repositoryName="boto")
out["repositories"] = [r["registryId"] + "/" + r["repositoryName"]
                       for r in good.describe_repositories()["repositories"]]
try:
    client("wrong").create_repository(repositoryName="wrong")
    out["wrong"] = "accepted"
except botocore.exceptions.ClientError as e:
    out["wrong"] = e.response["Error"]["Code"]

def signed(offset):
    request = AWSRequest(method="POST", url=endpoint + "/", data=b"{}", headers={
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
        "Content-Type": "application/x-amz-json-1.1"})
    real = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: real() + datetime.timedelta(seconds=offset)
    try:
        botocore.auth.SigV4Auth(Credentials("AKIDBERTHTEST", "berth-test-secret"), "ecr",
                                "us-east-1").add_auth(request)
    finally:
        botocore.auth.get_current_datetime = real
    return request.prepare()

def send(prepared):
    request = urllib.request.Request(prepared.url, data=prepared.body,
                                     headers=dict(prepared.headers), method=prepared.method)
    try:
        with urllib.request.urlopen(request) as response:
            return [response.status, json.loads(response.read())]
    except urllib.error.HTTPError as e:
        return [e.code, json.loads(e.read())]

fresh = signed(0)
out["fresh"] = [send(fresh)[0], send(fresh)[0]]
out["old"] = send(signed(-20 * 60))
out["ahead"] = send(signed(20 * 60))
print(json.dumps(out))
)py";

TEST(StrictAuthBotoTest, GoodWrongAndReplayedOutsideTheWindow) {
  TempDir dir;
  BerthServer server({"--credentials", WriteCredentials(dir)});
  const CommandResult r = RunCommand({"python3", "-c", kBotoScript, server.endpoint()},
                                     {{"AWS_EC2_METADATA_DISABLED", "true"},
                                      {"AWS_CONFIG_FILE", "/dev/null"},
                                      {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"}});
  ASSERT_EQ(r.exit_code, 0) << r.err << "\n" << server.Log();
  const json out = json::parse(r.out);
  EXPECT_EQ(out["repositories"], json({"111122223333/boto"}));
  EXPECT_EQ(out["wrong"], "InvalidSignatureException");
  // Within the window a signed request may be sent again (AWS does not
  // refuse replays inside it); outside, it is refused either way.
  EXPECT_EQ(out["fresh"], json({200, 200}));
  EXPECT_EQ(out["old"][0], 400);
  EXPECT_EQ(out["old"][1]["__type"], "InvalidSignatureException");
  EXPECT_TRUE(out["old"][1]["message"].get<std::string>().starts_with("Signature expired: "))
      << out.dump();
  EXPECT_EQ(out["ahead"][0], 400);
  EXPECT_TRUE(
      out["ahead"][1]["message"].get<std::string>().starts_with("Signature not yet current: "))
      << out.dump();
}

// --- docker login/push/pull, token scope and pull-time update exclusions ------------

class StrictAuthRegistryTest : public RegistryClientTest {
 protected:
  json LastPull(const std::string& repository) {
    const json images =
        Aws({"ecr", "describe-images", "--repository-name", repository})["imageDetails"];
    return images.empty() ? json() : images[0].value("lastRecordedPullTime", json());
  }
  // Through the pip CLI (v1) on PATH: Debian's v2.9 predates the pull-time
  // update exclusion commands.
  void AwsV1(const std::vector<std::string>& args) {
    const AwsResult r = RunAws("aws", server_->endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << Join(args) << "\n" << r.err;
  }
  TempDir dir_;
};

TEST_F(StrictAuthRegistryTest, DockerWithATokenFromAValidKeyAndExclusionsTakeEffect) {
  StartBerth({"--credentials", WriteCredentials(dir_)});
  Aws({"ecr", "create-repository", "--repository-name", "private"});
  const std::string image = host() + "/private:v1";
  BuildImage(image, "<p>strict</p>\n");

  // The registry wants a token even though --require-auth was not given.
  EXPECT_EQ(Curl(Url("/v2/")).status, 401);
  EXPECT_NE(Docker({"push", image}).exit_code, 0);
  EXPECT_NE(Docker({"login", "--username", "AWS", "--password-stdin", host()}, "forged").exit_code,
            0);
  // A valid key's token logs docker in; push and pull work.
  ASSERT_EQ(DockerLogin(), 0);
  const std::string digest = Push(image);
  EXPECT_TRUE(LastPull("private").is_null());

  // Another account's token does not reach this account's repository.
  const AwsResult other =
      RunAws(aws_cli_, server_->endpoint(), {"ecr", "get-login-password"}, kOtherAccount);
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(GetManifest("private", "v1", {"-u", "AWS:" + Trim(other.out)}).status, 404);

  // Pulls by the excluded CI user (docker, and BatchGetImage) leave the
  // last pull time alone...
  AwsV1({"ecr", "register-pull-time-update-exclusion", "--principal-arn",
         "arn:aws:iam::111122223333:user/ci"});
  DockerOk({"rmi", image});
  EXPECT_EQ(Pull(image), digest);
  Aws({"ecr", "batch-get-image", "--repository-name", "private", "--image-ids", "imageTag=v1"});
  EXPECT_TRUE(LastPull("private").is_null());
  // ...and once it is deregistered, its pulls are recorded again.
  AwsV1({"ecr", "deregister-pull-time-update-exclusion", "--principal-arn",
         "arn:aws:iam::111122223333:user/ci"});
  EXPECT_EQ(GetManifest("private", "v1", {"-u", "AWS:" + LoginPassword()}).status, 200);
  EXPECT_FALSE(LastPull("private").is_null());
}

// --- A bad credentials file stops Berth before it starts ------------------------------

TEST(StrictAuthStartTest, AMissingOrMalformedCredentialsFileStopsBerth) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  const std::string malformed = dir.path() + "/bad.json";
  std::ofstream(malformed) << R"({"AKIDX": {"secretAccessKey": "s", "accountId": "12"}})";
  for (const auto& [path, message] : std::vector<std::pair<std::string, std::string>>{
           {dir.path() + "/missing.json", "cannot read credentials file"},
           {malformed, "accountId of key AKIDX must be 12 digits"}}) {
    const CommandResult r = RunCommand(
        {BerthBinary(), "--listen", "127.0.0.1:0", "--data-dir", data, "--credentials", path});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(data));
  }
}

}  // namespace
}  // namespace berth::testing
