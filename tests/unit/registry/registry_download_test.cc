// The URLs GetDownloadUrlForLayer hands out, used against the registry the
// way a client would use ECR's pre-signed URL: with no credentials, for one
// hour, for that blob only. The JSON API and the registry run in process over
// the same services, with the registry requiring credentials for all else.

#include <string>
#include <vector>

#include "server/aws/dispatcher.h"
#include "server/ecr/auth_token.h"
#include "server/ecr/ecr_api.h"
#include "tests/unit/registry/registry_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

constexpr const char* kOtherAccount = "111122223333";

class RegistryDownloadTest : public RegistryAuthTest {
 protected:
  RegistryDownloadTest() { dispatcher_.Register(api_); }

  // The downloadUrl of GetDownloadUrlForLayer, called as `account`.
  std::string DownloadUrl(const std::string& repository, const std::string& digest,
                          const std::string& account = "000000000000") {
    http::Request request;
    request.method = "POST";
    request.target = "/";
    request.headers.Add("X-Amz-Target",
                        "AmazonEC2ContainerRegistry_V20150921.GetDownloadUrlForLayer");
    request.headers.Add("Content-Type", "application/x-amz-json-1.1");
    request.headers.Add("Authorization", "AWS4-HMAC-SHA256 Credential=" + account +
                                             "/20260101/us-east-1/ecr/aws4_request, "
                                             "SignedHeaders=host, Signature=0");
    request.body = json{{"repositoryName", repository}, {"layerDigest", digest}}.dump();
    const http::Response response = dispatcher_.Handle(request);
    EXPECT_EQ(response.status, 200u) << response.body;
    return json::parse(response.body).value("downloadUrl", "");
  }

  // The request-target of a URL on the registry host.
  static std::string Target(const std::string& url) {
    const std::string origin = "http://localhost:5000";
    EXPECT_TRUE(url.starts_with(origin + "/v2/")) << url;
    return url.substr(origin.size());
  }

  // The token in a download URL's query string.
  static std::string TokenOf(const std::string& url) {
    const std::string key = std::string(ecr::kDownloadTokenParam) + "=";
    const auto at = url.find(key);
    return at == std::string::npos ? "" : url.substr(at + key.size());
  }

  // An image in `repository` of `account`; returns the blob of its layer.
  Blob PushLayer(const std::string& repository, const std::string& layer_content,
                 const std::string& account = "000000000000") {
    CreateRepository(repository, account == "000000000000" ? "" : account);
    const Fields auth = {{"Authorization", Login(account)}};
    const Blob config = PushBlob(repository, R"({"layer":")" + layer_content + "\"}", auth);
    const Blob layer = PushBlob(repository, layer_content, auth);
    const RegistryReply put =
        Send("PUT", "/v2/" + repository + "/manifests/v1", ImageManifest(config, {layer}).dump(),
             {{"Content-Type", kDockerManifestType}, auth[0]});
    EXPECT_EQ(put.status, 201u) << put.body;
    return layer;
  }

  ecr::EcrApi api_{ecr_};
  aws::Dispatcher dispatcher_{aws::DispatcherOptions{}, clock_};
};

TEST_F(RegistryDownloadTest, TheUrlServesItsBlobWithoutCredentials) {
  // Given a layer of an image and its download URL.
  const Blob layer = PushLayer("app", "layer bytes");
  const std::string url = DownloadUrl("app", layer.digest);
  EXPECT_TRUE(url.starts_with("http://localhost:5000/v2/app/blobs/" + layer.digest + "?" +
                              std::string(ecr::kDownloadTokenParam) + "="))
      << url;

  // Then GET and HEAD with no Authorization header serve the blob.
  const RegistryReply got = Send("GET", Target(url));
  EXPECT_EQ(got.status, 200u) << got.body;
  EXPECT_EQ(got.body, "layer bytes");
  EXPECT_EQ(got.Header("Docker-Content-Digest"), layer.digest);
  const RegistryReply head = Send("HEAD", Target(url));
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.head_length, 11u);
  const RegistryReply range = Send("GET", Target(url), "", {{"Range", "bytes=0-4"}});
  EXPECT_EQ(range.status, 206u);
  EXPECT_EQ(range.body, "layer");
  // And the same path without the token is still challenged.
  ExpectChallenge(Send("GET", "/v2/app/blobs/" + layer.digest), "no token");
}

TEST_F(RegistryDownloadTest, TheUrlExpiresAfterAnHour) {
  const Blob layer = PushLayer("app", "layer bytes");
  const std::string target = Target(DownloadUrl("app", layer.digest));
  clock_.Advance(ecr::TokenIssuer::kDownloadLifetimeSeconds - 1);
  EXPECT_EQ(Send("GET", target).status, 200u);
  clock_.Advance(2);
  ExpectChallenge(Send("GET", target), "expired GET");
  ExpectChallenge(Send("HEAD", target), "expired HEAD");
}

TEST_F(RegistryDownloadTest, TheTokenOpensOnlyItsOwnBlobInItsOwnRepository) {
  // Given the same layer in two repositories, an image config beside it, and
  // a download token for the layer in "app".
  const Blob layer = PushLayer("app", "shared layer");
  PushLayer("copy", "shared layer");
  const std::string query =
      "?" + std::string(ecr::kDownloadTokenParam) + "=" + TokenOf(DownloadUrl("app", layer.digest));
  const std::string config = Sha256Of(R"({"layer":"shared layer"})");
  const std::string upload =
      Send("POST", "/v2/app/blobs/uploads/", "", {{"Authorization", Login()}}).Header("Location");
  ASSERT_FALSE(upload.empty());

  // Then every other use of the token is challenged, and changes nothing.
  const std::vector<Call> calls = {
      {"GET", "/v2/app/blobs/" + config + query, "", {}, false},
      {"GET", "/v2/copy/blobs/" + layer.digest + query, "", {}, false},
      {"HEAD", "/v2/copy/blobs/" + layer.digest + query, "", {}, false},
      {"DELETE", "/v2/app/blobs/" + layer.digest + query, "", {}, false},
      {"GET", "/v2/app/manifests/v1" + query, "", {}, false},
      {"DELETE", "/v2/app/manifests/v1" + query, "", {}, false},
      {"GET", "/v2/app/tags/list" + query, "", {}, false},
      {"GET", "/v2/_catalog" + query, "", {}, false},
      {"GET", "/v2/" + query, "", {}, false},
      {"POST", "/v2/app/blobs/uploads/" + query, "", {}, false},
      {"PATCH", upload + query, "bytes", {}, false},
      {"PUT", upload + query + "&digest=" + Sha256Of("x"), "x", {}, false},
      {"GET", upload + query, "", {}, false},
      {"DELETE", upload + query, "", {}, false},
  };
  const std::vector<std::string> files = FilesUnder(scratch_.data);
  for (const auto& call : calls) ExpectChallenge(Send(call), call.method + " " + call.target);
  EXPECT_EQ(FilesUnder(scratch_.data), files);
  const Fields auth = {{"Authorization", Login()}};
  EXPECT_EQ(Send("GET", upload, "", auth).status, 204u);
  EXPECT_EQ(Send("GET", "/v2/app/manifests/v1", "", auth).status, 200u);
}

TEST_F(RegistryDownloadTest, AlteredOrForeignTokensAreChallenged) {
  const Blob layer = PushLayer("app", "layer bytes");
  const std::string token = TokenOf(DownloadUrl("app", layer.digest));
  const std::string path =
      "/v2/app/blobs/" + layer.digest + "?" + std::string(ecr::kDownloadTokenParam) + "=";
  // A token signed by another Berth (another secret) for the same blob.
  const ecr::TokenIssuer other("another secret");
  const std::string foreign =
      other.IssueDownload(ecr::DownloadGrant{"000000000000", "us-east-1", "app", layer.digest, 0},
                          static_cast<int64_t>(clock_.Now()));
  // A registry password in place of a download token.
  const std::string password = Login().substr(6);
  std::string flipped = token;
  flipped[2] = flipped[2] == 'A' ? 'B' : 'A';
  std::string resigned = token;
  resigned.back() = resigned.back() == 'A' ? 'B' : 'A';
  for (const std::string& bad : {flipped, resigned, token.substr(0, token.size() - 1), foreign,
                                 password, std::string(""), std::string("nonsense")}) {
    ExpectChallenge(Send("GET", path + bad), "token " + bad);
  }
  EXPECT_EQ(Send("GET", path + token).status, 200u);
}

TEST_F(RegistryDownloadTest, TheTokenServesTheAccountItWasIssuedIn) {
  // Given a repository "app" in two accounts, with different layers.
  const Blob ours = PushLayer("app", "our layer");
  const Blob theirs = PushLayer("app", "their layer", kOtherAccount);

  // Then each account's URL serves its own layer...
  EXPECT_EQ(Send("GET", Target(DownloadUrl("app", theirs.digest, kOtherAccount))).body,
            "their layer");
  EXPECT_EQ(Send("GET", Target(DownloadUrl("app", ours.digest))).body, "our layer");
  // ...and a token of one account does not open the other's layer.
  const std::string their_token = TokenOf(DownloadUrl("app", theirs.digest, kOtherAccount));
  ExpectChallenge(Send("GET", "/v2/app/blobs/" + ours.digest + "?" +
                                  std::string(ecr::kDownloadTokenParam) + "=" + their_token),
                  "their token, our digest");
}

// Without --require-auth the blob path answers anyway; a download URL still
// works, and a broken token is refused as broken credentials are.
class RegistryOpenDownloadTest : public RegistryTest {
 protected:
  std::string Token(const std::string& repository, const std::string& digest) {
    return ecr_.tokens().IssueDownload(
        ecr::DownloadGrant{"000000000000", "us-east-1", repository, digest, 0},
        static_cast<int64_t>(clock_.Now()));
  }
};

TEST_F(RegistryOpenDownloadTest, AnonymousModeKeepsWorking) {
  CreateRepository("app");
  const Blob blob = PushBlob("app", "open blob");
  const std::string path = "/v2/app/blobs/" + blob.digest;
  const std::string key = "?" + std::string(ecr::kDownloadTokenParam) + "=";
  EXPECT_EQ(Send("GET", path).body, "open blob");
  EXPECT_EQ(Send("GET", path + key + Token("app", blob.digest)).body, "open blob");
  ExpectChallenge(Send("GET", path + key + "forged.token"), "forged");
}

}  // namespace
}  // namespace berth::testing
