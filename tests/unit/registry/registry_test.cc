// The registry protocol in process: ping and ECR's Basic authentication,
// catalog and tag listings with their pagination, blob reads with ranges,
// every way of uploading a blob (monolithic, chunked, streamed, mounted),
// and requests that try to reach files outside the data directory.

#include <csignal>
#include <string>
#include <sys/resource.h>
#include <vector>

#include "storage/image_store.h"
#include "tests/unit/registry/registry_fixture.h"

namespace berth::testing {
namespace {

using nlohmann::json;

// --- Ping and authentication -------------------------------------------------

TEST_F(RegistryTest, PingIsOpenByDefault) {
  for (const char* path : {"/v2/", "/v2"}) {
    const RegistryReply r = Send("GET", path);
    EXPECT_EQ(r.status, 200u) << path;
    EXPECT_EQ(r.body, "{}");
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
  }
  EXPECT_EQ(Send("HEAD", "/v2/").status, 200u);
  EXPECT_EQ(Send("GET", "/v2/", "", {{"Authorization", Login()}}).status, 200u);
}

TEST_F(RegistryTest, BadCredentialsAreRefusedEvenWhenOpen) {
  // Given credentials that are present but not a token Berth issued.
  const std::vector<std::string> bad = {
      "Basic !!!notbase64",
      "Bearer " + crypto::Base64Encode("AWS:x"),
      "Basic " + crypto::Base64Encode("admin:" + Login().substr(6)),
      "Basic " + crypto::Base64Encode("AWS:forged-password"),
      "Basic " + crypto::Base64Encode("AWS"),
  };
  for (const auto& authorization : bad) {
    // Then the registry answers 401 with ECR's challenge.
    ExpectChallenge(Send("GET", "/v2/", "", {{"Authorization", authorization}}), authorization);
  }
}

TEST_F(RegistryAuthTest, PingWithoutCredentialsIsChallenged) {
  ExpectChallenge(Send("GET", "/v2/"), "GET /v2/");
  // docker login retries with the password from get-login-password.
  EXPECT_EQ(Send("GET", "/v2/", "", {{"Authorization", Login()}}).status, 200u);
}

TEST_F(RegistryAuthTest, ExpiredTokenIsRefused) {
  const std::string authorization = Login();
  clock_.Advance(ecr::TokenIssuer::kLifetimeSeconds - 1);
  EXPECT_EQ(Send("GET", "/v2/", "", {{"Authorization", authorization}}).status, 200u);
  clock_.Advance(2);
  ExpectChallenge(Send("GET", "/v2/", "", {{"Authorization", authorization}}), "expired");
}

TEST_F(RegistryAuthTest, TokenOfAnotherBerthIsRefused) {
  // Given a token issued by another Berth (another signing secret).
  storage::Database other_database(":memory:");
  ecr::ImageService other_images(other_database, blobs_);
  ecr::EcrService other(other_database, ecr::EcrOptions{"localhost:5000"}, other_images);
  const std::string foreign =
      "Basic " + other.GetAuthorizationToken(Context("000000000000"), "000000000000").token;
  ExpectChallenge(Send("GET", "/v2/", "", {{"Authorization", foreign}}), "foreign token");
}

TEST_F(RegistryAuthTest, EveryRouteIsChallenged) {
  CreateRepository("app");
  const std::string digest = Sha256Of("x");
  const std::string upload = "/v2/app/blobs/uploads/" + crypto::Uuid();
  const std::vector<Call> calls = {
      {"GET", "/v2/_catalog", "", {}, false},
      {"GET", "/v2/app/tags/list", "", {}, false},
      {"GET", "/v2/app/manifests/latest", "", {}, false},
      {"HEAD", "/v2/app/manifests/latest", "", {}, false},
      {"PUT", "/v2/app/manifests/latest", "{}", {{"Content-Type", kOciManifestType}}, false},
      {"DELETE", "/v2/app/manifests/latest", "", {}, false},
      {"GET", "/v2/app/blobs/" + digest, "", {}, false},
      {"HEAD", "/v2/app/blobs/" + digest, "", {}, false},
      {"GET", "/v2/app/referrers/" + digest, "", {}, false},
      {"POST", "/v2/app/blobs/uploads/", "", {}, false},
      {"POST", "/v2/app/blobs/uploads/?digest=" + digest, "x", {}, false},
      {"PATCH", upload, "some bytes", {}, false},
      {"PATCH", upload, "streamed bytes", {}, true},
      {"PUT", upload + "?digest=" + digest, "x", {}, false},
      {"GET", upload, "", {}, false},
      {"DELETE", upload, "", {}, false},
  };
  for (const auto& call : calls) ExpectChallenge(Send(call), call.method + " " + call.target);
  // Nothing was written on the way.
  EXPECT_EQ(FilesUnder(scratch_.data / "uploads"), std::vector<std::string>{});
  EXPECT_EQ(FilesUnder(scratch_.data / "blobs"), std::vector<std::string>{});
}

TEST_F(RegistryAuthTest, TokenSelectsItsAccount) {
  // Given one repository in the default account and one in another.
  CreateRepository("ours");
  CreateRepository("theirs", "111122223333");
  const Fields theirs = {{"Authorization", Login("111122223333")}};
  const Fields ours = {{"Authorization", Login()}};

  // Then each token sees its own account's repositories only.
  EXPECT_EQ(Send("GET", "/v2/_catalog", "", theirs).Json()["repositories"], json({"theirs"}));
  EXPECT_EQ(Send("GET", "/v2/_catalog", "", ours).Json()["repositories"], json({"ours"}));
  EXPECT_EQ(Send("GET", "/v2/ours/tags/list", "", theirs).Error(), "NAME_UNKNOWN");
  EXPECT_EQ(Send("GET", "/v2/theirs/tags/list", "", theirs).status, 200u);

  // And a push with the other account's token lands in that account.
  PushBlob("theirs", "their layer", theirs);
  EXPECT_EQ(Send("HEAD", "/v2/theirs/blobs/" + Sha256Of("their layer"), "", theirs).status, 200u);
  EXPECT_EQ(Send("POST", "/v2/ours/blobs/uploads/", "", theirs).Error(), "NAME_UNKNOWN");
}

TEST_F(RegistryTest, UnknownRoutesAndMethods) {
  CreateRepository("app");
  RegistryReply r = Send("GET", "/v2/app/nothing/here");
  EXPECT_EQ(r.status, 404u);
  r = Send("POST", "/v2/app/manifests/latest");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.Error(), "UNSUPPORTED");
  r = Send("GET", "/v2/nope/tags/list");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.Error(), "NAME_UNKNOWN");
  EXPECT_EQ(r.Message(),
            "The repository with name 'nope' does not exist in the registry with id "
            "'000000000000'");
  r = Send("GET", "/v2/Bad_Name/tags/list");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Error(), "NAME_INVALID");
  // Found by fuzz_registry: a name that is not UTF-8 is echoed in the error,
  // which must still serialise.
  r = Send("HEAD", "/v\\\xad\xec/manifests/latest");
  EXPECT_LT(r.status, 500u);
  r = Send("GET",
           "/v2/a\xad"
           "b/tags/list");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Error(), "NAME_INVALID");
}

// --- Catalog and tags --------------------------------------------------------

TEST_F(RegistryTest, CatalogPagesWithLinks) {
  for (const char* name : {"zeta", "alpha", "beta/one", "beta/two", "gamma"}) {
    CreateRepository(name);
  }
  RegistryReply r = Send("GET", "/v2/_catalog");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.Json()["repositories"], json({"alpha", "beta/one", "beta/two", "gamma", "zeta"}));
  EXPECT_FALSE(r.Has("Link"));

  r = Send("GET", "/v2/_catalog?n=2");
  EXPECT_EQ(r.Json()["repositories"], json({"alpha", "beta/one"}));
  EXPECT_EQ(r.Header("Link"), "</v2/_catalog?n=2&last=beta/one>; rel=\"next\"");
  r = Send("GET", "/v2/_catalog?n=2&last=beta/one");
  EXPECT_EQ(r.Json()["repositories"], json({"beta/two", "gamma"}));
  EXPECT_EQ(r.Header("Link"), "</v2/_catalog?n=2&last=gamma>; rel=\"next\"");
  r = Send("GET", "/v2/_catalog?n=2&last=gamma");
  EXPECT_EQ(r.Json()["repositories"], json({"zeta"}));
  EXPECT_FALSE(r.Has("Link"));
  // Exactly n left: no Link either.
  r = Send("GET", "/v2/_catalog?n=5");
  EXPECT_EQ(r.Json()["repositories"].size(), 5u);
  EXPECT_FALSE(r.Has("Link"));

  r = Send("GET", "/v2/_catalog?n=0");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.Json()["repositories"], json::array());
  EXPECT_FALSE(r.Has("Link"));

  for (const char* bad : {"abc", "-1", "1.5", ""}) {
    r = Send("GET", std::string("/v2/_catalog?n=") + bad);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(r.Error(), "PAGINATION_NUMBER_INVALID") << bad;
  }
}

TEST_F(RegistryTest, TagsAreSortedAndPaged) {
  CreateRepository("app");
  CreateRepository("empty");
  PushImage("app", "v1", "1");
  for (const char* tag : {"latest", "V2", "a", "v1.1"}) {
    const RegistryReply get = Send("GET", "/v2/app/manifests/v1");
    ASSERT_EQ(PutManifest("app", tag, get.body, kDockerManifestType).status, 201u);
  }
  // Byte order, as Go's sort.Strings: upper case first.
  RegistryReply r = Send("GET", "/v2/app/tags/list");
  EXPECT_EQ(r.Json(), json({{"name", "app"}, {"tags", {"V2", "a", "latest", "v1", "v1.1"}}}));
  EXPECT_FALSE(r.Has("Link"));

  r = Send("GET", "/v2/app/tags/list?n=2");
  EXPECT_EQ(r.Json()["tags"], json({"V2", "a"}));
  EXPECT_EQ(r.Header("Link"), "</v2/app/tags/list?n=2&last=a>; rel=\"next\"");
  r = Send("GET", "/v2/app/tags/list?n=2&last=a");
  EXPECT_EQ(r.Json()["tags"], json({"latest", "v1"}));
  r = Send("GET", "/v2/app/tags/list?n=2&last=v1");
  EXPECT_EQ(r.Json()["tags"], json({"v1.1"}));
  EXPECT_FALSE(r.Has("Link"));
  r = Send("GET", "/v2/app/tags/list?last=latest");
  EXPECT_EQ(r.Json()["tags"], json({"v1", "v1.1"}));

  r = Send("GET", "/v2/app/tags/list?n=0");
  EXPECT_EQ(r.Json(), json({{"name", "app"}, {"tags", json::array()}}));
  EXPECT_FALSE(r.Has("Link"));
  r = Send("GET", "/v2/app/tags/list?n=x");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Error(), "PAGINATION_NUMBER_INVALID");

  EXPECT_EQ(Send("GET", "/v2/empty/tags/list").Json(),
            json({{"name", "empty"}, {"tags", json::array()}}));
  EXPECT_EQ(Send("GET", "/v2/missing/tags/list").Error(), "NAME_UNKNOWN");
}

// --- Blob reads --------------------------------------------------------------

TEST_F(RegistryTest, BlobHeadAndGet) {
  CreateRepository("app");
  CreateRepository("other");
  const Blob blob = PushBlob("app", "0123456789");

  RegistryReply r = Send("HEAD", "/v2/app/blobs/" + blob.digest);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.head_length, 10u);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.Header("Docker-Content-Digest"), blob.digest);

  r = Send("GET", "/v2/app/blobs/" + blob.digest);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "0123456789");
  EXPECT_EQ(r.Header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(r.Header("Docker-Content-Digest"), blob.digest);
  EXPECT_EQ(r.Header("Accept-Ranges"), "bytes");

  // Blobs belong to repositories: the other one cannot serve it.
  r = Send("GET", "/v2/other/blobs/" + blob.digest);
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.Error(), "BLOB_UNKNOWN");
  r = Send("HEAD", "/v2/app/blobs/" + Sha256Of("never pushed"));
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.Error(), "BLOB_UNKNOWN");
  // Malformed digests are client errors, never 500.
  EXPECT_EQ(Send("GET", "/v2/app/blobs/not-a-digest").status, 400u);
  EXPECT_EQ(Send("GET", "/v2/app/blobs/sha256:abc").status, 404u);
  EXPECT_EQ(Send("GET", "/v2/app/blobs/md5:0123456789abcdef0123456789abcdef").status, 404u);
}

TEST_F(RegistryTest, BlobRanges) {
  CreateRepository("app");
  const Blob blob = PushBlob("app", "0123456789");
  const std::string path = "/v2/app/blobs/" + blob.digest;
  struct Case {
    std::string range;
    unsigned status;
    std::string body;
    std::string content_range;
  };
  const std::vector<Case> cases = {
      {"bytes=2-5", 206, "2345", "bytes 2-5/10"},
      {"bytes=0-0", 206, "0", "bytes 0-0/10"},
      {"bytes=7-", 206, "789", "bytes 7-9/10"},
      {"bytes=-3", 206, "789", "bytes 7-9/10"},
      {"bytes=-100", 206, "0123456789", "bytes 0-9/10"},
      {"bytes=3-100", 206, "3456789", "bytes 3-9/10"},
      {"bytes=5-2", 416, "", "bytes */10"},
      {"bytes=10-", 416, "", "bytes */10"},
      {"bytes=10-12", 416, "", "bytes */10"},
      {"bytes=-0", 416, "", "bytes */10"},
  };
  for (const auto& c : cases) {
    const RegistryReply r = Send("GET", path, "", {{"Range", c.range}});
    EXPECT_EQ(r.status, c.status) << c.range;
    EXPECT_EQ(r.Header("Content-Range"), c.content_range) << c.range;
    if (c.status == 206) {
      EXPECT_EQ(r.body, c.body) << c.range;
      EXPECT_EQ(r.Header("Docker-Content-Digest"), blob.digest) << c.range;
    }
  }
}

TEST_F(RegistryTest, BlobDeleteIsUnsupportedAndChangesNothing) {
  // Given a blob an image uses and one nothing uses.
  CreateRepository("app");
  PushImage("app", "latest");
  const Blob used = PushBlob("app", "layer-a");
  const Blob unused = PushBlob("app", "short-lived");
  const std::vector<std::string> files = FilesUnder(scratch_.data);

  // When blobs are deleted (known, unknown, malformed, unknown repository),
  // then each answer is 405 UNSUPPORTED in the errors format (as ECR, which
  // has no blob deletion)...
  for (const std::string& path :
       {"/v2/app/blobs/" + used.digest, "/v2/app/blobs/" + unused.digest,
        "/v2/app/blobs/" + Sha256Of("never pushed"), std::string("/v2/app/blobs/nonsense"),
        "/v2/nope/blobs/" + unused.digest}) {
    const RegistryReply r = Send("DELETE", path);
    EXPECT_EQ(r.status, 405u) << path << ": " << r.body;
    EXPECT_EQ(r.Error(), "UNSUPPORTED") << path;
    EXPECT_EQ(r.Header("Content-Type"), "application/json") << path;
    EXPECT_EQ(r.Header("Allow"), "GET, HEAD") << path;
  }
  // ...and both blobs are still served, with every file in place.
  EXPECT_EQ(Send("GET", "/v2/app/blobs/" + used.digest).body, "layer-a");
  EXPECT_EQ(Send("GET", "/v2/app/blobs/" + unused.digest).body, "short-lived");
  EXPECT_EQ(FilesUnder(scratch_.data), files);
  auto lease = database_.Acquire();
  EXPECT_TRUE(storage::ImageStore(lease.db()).BlobSize(unused.digest));
}

// --- Uploads -----------------------------------------------------------------

TEST_F(RegistryTest, StartingAnUpload) {
  CreateRepository("team/app");
  for (const char* path : {"/v2/team/app/blobs/uploads/", "/v2/team/app/blobs/uploads"}) {
    const RegistryReply r = Send("POST", path);
    EXPECT_EQ(r.status, 202u);
    const std::string uuid = r.Header("Docker-Upload-UUID");
    EXPECT_TRUE(registry::IsValidUploadId(uuid)) << uuid;
    EXPECT_EQ(r.Header("Location"), "/v2/team/app/blobs/uploads/" + uuid);
    EXPECT_EQ(r.Header("Range"), "0-0");
  }
  EXPECT_EQ(Send("POST", "/v2/nope/blobs/uploads/").Error(), "NAME_UNKNOWN");
}

TEST_F(RegistryTest, MonolithicUploads) {
  CreateRepository("app");
  // POST, then PUT ?digest= with the whole body.
  const std::string content = "monolithic content";
  const std::string digest = Sha256Of(content);
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  RegistryReply r = Send("PUT", location + "?digest=" + digest, content);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Header("Location"), "/v2/app/blobs/" + digest);
  EXPECT_EQ(r.Header("Docker-Content-Digest"), digest);
  EXPECT_EQ(Send("GET", "/v2/app/blobs/" + digest).body, content);
  // The session is over.
  EXPECT_EQ(Send("GET", location).Error(), "BLOB_UPLOAD_UNKNOWN");

  // One request: POST ?digest= with the body.
  r = Send("POST", "/v2/app/blobs/uploads/?digest=" + Sha256Of("one shot"), "one shot");
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Header("Location"), "/v2/app/blobs/" + Sha256Of("one shot"));
  EXPECT_EQ(Send("GET", "/v2/app/blobs/" + Sha256Of("one shot")).body, "one shot");

  // Pushing what exists already is fine (content addressing).
  EXPECT_EQ(Send("POST", "/v2/app/blobs/uploads/?digest=" + digest, content).status, 201u);
  EXPECT_EQ(FilesUnder(scratch_.data / "uploads"), std::vector<std::string>{});
}

TEST_F(RegistryTest, ChunkedUploadWithContentRange) {
  CreateRepository("app");
  const std::string content = "aaaaabbbbbcccccddddd";
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  const std::string uuid = location.substr(location.rfind('/') + 1);

  RegistryReply r = Send("PATCH", location, "aaaaa",
                         {{"Content-Range", "0-4"}, {"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(r.status, 202u) << r.body;
  EXPECT_EQ(r.Header("Range"), "0-4");
  EXPECT_EQ(r.Header("Location"), location);
  EXPECT_EQ(r.Header("Docker-Upload-UUID"), uuid);
  r = Send("PATCH", r.Header("Location"), "bbbbb", {{"Content-Range", "5-9"}});
  EXPECT_EQ(r.status, 202u) << r.body;
  EXPECT_EQ(r.Header("Range"), "0-9");

  // Out of order (a gap, then a repeat): 416 with the range received; the
  // session stays usable.
  for (const char* bad : {"15-19", "0-4", "5-9"}) {
    r = Send("PATCH", location, "xxxxx", {{"Content-Range", bad}});
    EXPECT_EQ(r.status, 416u) << bad << ": " << r.body;
    EXPECT_EQ(r.Header("Range"), "0-9") << bad;
    EXPECT_EQ(r.Header("Location"), location) << bad;
  }
  // Status tells the client where to resume.
  r = Send("GET", location);
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(r.Header("Range"), "0-9");
  EXPECT_EQ(r.Header("Docker-Upload-UUID"), uuid);
  EXPECT_EQ(r.Header("Location"), location);

  r = Send("PATCH", location, "ccccc", {{"Content-Range", "10-14"}});
  EXPECT_EQ(r.status, 202u) << r.body;
  EXPECT_EQ(r.Header("Range"), "0-14");
  // The final chunk rides on the PUT.
  r = Send("PUT", location + "?digest=" + Sha256Of(content), "ddddd", {{"Content-Range", "15-19"}});
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(Send("GET", "/v2/app/blobs/" + Sha256Of(content)).body, content);
}

TEST_F(RegistryTest, StreamedUploadWithoutContentRange) {
  CreateRepository("app");
  std::string content;
  for (int i = 0; i < 5000; ++i) content += "streamed-" + std::to_string(i);
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  // One PATCH, Transfer-Encoding: chunked, as docker and skopeo do.
  RegistryReply r =
      Send(Call{"PATCH", location, content, {{"Transfer-Encoding", "chunked"}}, true});
  EXPECT_EQ(r.status, 202u) << r.body;
  EXPECT_EQ(r.Header("Range"), "0-" + std::to_string(content.size() - 1));
  // A second streamed PATCH appends.
  r = Send(Call{"PATCH", r.Header("Location"), "tail", {}, true});
  EXPECT_EQ(r.Header("Range"), "0-" + std::to_string(content.size() + 3));
  r = Send("PUT", r.Header("Location") + "?digest=" + Sha256Of(content + "tail"));
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(Send("GET", "/v2/app/blobs/" + Sha256Of(content + "tail")).body, content + "tail");
}

TEST_F(RegistryTest, EmptyBlob) {
  CreateRepository("app");
  const std::string empty = Sha256Of("");
  RegistryReply r = Send("POST", "/v2/app/blobs/uploads/?digest=" + empty);
  EXPECT_EQ(r.status, 201u) << r.body;
  r = Send("HEAD", "/v2/app/blobs/" + empty);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.head_length, 0u);
  r = Send("GET", "/v2/app/blobs/" + empty);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(Send("GET", "/v2/app/blobs/" + empty, "", {{"Range", "bytes=0-"}}).status, 416u);
  // Through a session closed without any PATCH.
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  EXPECT_EQ(Send("PUT", location + "?digest=" + empty).status, 201u);
}

TEST_F(RegistryTest, AWriteTheDiskRefusesFailsTheRequestNotTheSession) {
  CreateRepository("app");
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  const std::string first(256 * 1024, 'a');
  ASSERT_EQ(Send("PATCH", location, first).status, 202u);

  // Given a file size limit the next PATCH runs into (as a full disk would).
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = 512 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  const RegistryReply refused = Send("PATCH", location, std::string(512 * 1024, 'b'));
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous);

  // Then the request fails with a 500 and the connection closes...
  EXPECT_EQ(refused.status, 500u) << refused.body;
  EXPECT_EQ(refused.Error(), "UNKNOWN");
  EXPECT_TRUE(refused.close);
  // ...while the session reports what it holds and can be finished with it.
  const RegistryReply status = Send("GET", location);
  EXPECT_EQ(status.status, 204u);
  EXPECT_EQ(status.Header("Range"), "0-" + std::to_string(512 * 1024 - 1));
  const std::string stored = first + std::string(256 * 1024, 'b');
  const RegistryReply done = Send("PUT", location + "?digest=" + Sha256Of(stored));
  EXPECT_EQ(done.status, 201u) << done.body;
  EXPECT_EQ(Send("GET", "/v2/app/blobs/" + Sha256Of(stored)).body, stored);
}

TEST_F(RegistryTest, CancellingAnUpload) {
  CreateRepository("app");
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  Send("PATCH", location, "partial");
  EXPECT_EQ(FilesUnder(scratch_.data / "uploads").size(), 1u);
  EXPECT_EQ(Send("DELETE", location).status, 204u);
  EXPECT_EQ(FilesUnder(scratch_.data / "uploads"), std::vector<std::string>{});
  EXPECT_EQ(Send("GET", location).Error(), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_EQ(Send("DELETE", location).Error(), "BLOB_UPLOAD_UNKNOWN");
  const RegistryReply r = Send("PATCH", location, "more");
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(r.Error(), "BLOB_UPLOAD_UNKNOWN");
}

TEST_F(RegistryTest, UnknownAndMalformedUploadIds) {
  CreateRepository("app");
  CreateRepository("other");
  // A live session of another repository is unknown here.
  const std::string foreign = Send("POST", "/v2/other/blobs/uploads/").Header("Docker-Upload-UUID");
  const std::string upper = "ABCDEF01-2345-4678-9ABC-DEF012345678";
  for (const std::string& id :
       {crypto::Uuid(), std::string("not-a-uuid"), upper, foreign, std::string("..%2f..%2fx")}) {
    const std::string location = "/v2/app/blobs/uploads/" + id;
    const std::vector<Call> calls = {
        {"GET", location, "", {}, false},
        {"DELETE", location, "", {}, false},
        {"PATCH", location, "bytes", {}, false},
        {"PATCH", location, "bytes", {}, true},
        {"PATCH", location, "bytes", {{"Content-Range", "0-4"}}, false},
        {"PUT", location + "?digest=" + Sha256Of("bytes"), "bytes", {}, false},
        {"PUT", location + "?digest=" + Sha256Of(""), "", {}, false},
    };
    for (const auto& call : calls) {
      const RegistryReply r = Send(call);
      EXPECT_EQ(r.status, 404u) << call.method << " " << id << ": " << r.body;
      EXPECT_EQ(r.Error(), "BLOB_UPLOAD_UNKNOWN") << call.method << " " << id;
    }
  }
  // The other repository's session was not touched.
  EXPECT_EQ(Send("GET", "/v2/other/blobs/uploads/" + foreign).status, 204u);
}

TEST_F(RegistryTest, WrongDigestStoresNothing) {
  CreateRepository("app");
  const std::string content = "the real content";
  const std::string claimed = Sha256Of("something else");

  // Chunked session closed with the wrong digest.
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  Send("PATCH", location, content);
  RegistryReply r = Send("PUT", location + "?digest=" + claimed);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Error(), "DIGEST_INVALID");
  // One request with the wrong digest.
  r = Send("POST", "/v2/app/blobs/uploads/?digest=" + claimed, content);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Error(), "DIGEST_INVALID");
  // The final PUT carrying the body.
  const std::string second = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  r = Send("PUT", second + "?digest=" + claimed, content);
  EXPECT_EQ(r.Error(), "DIGEST_INVALID");

  // Then no file, no row, no session.
  EXPECT_EQ(FilesUnder(scratch_.data / "blobs"), std::vector<std::string>{});
  EXPECT_EQ(FilesUnder(scratch_.data / "uploads"), std::vector<std::string>{});
  for (const auto& digest : {claimed, Sha256Of(content)}) {
    EXPECT_EQ(Send("HEAD", "/v2/app/blobs/" + digest).status, 404u);
    auto lease = database_.Acquire();
    EXPECT_FALSE(storage::ImageStore(lease.db()).BlobSize(digest)) << digest;
  }
  EXPECT_EQ(Send("GET", location).Error(), "BLOB_UPLOAD_UNKNOWN");
}

TEST_F(RegistryTest, MissingOrMalformedDigestOnPut) {
  CreateRepository("app");
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  for (const std::string& query :
       {std::string(""), std::string("?digest="), std::string("?digest=sha256:xyz"),
        std::string("?digest=sha256:") + std::string(64, 'A'), std::string("?digest=nothing")}) {
    const RegistryReply r = Send("PUT", location + query, "data");
    EXPECT_EQ(r.status, 400u) << query << ": " << r.body;
    EXPECT_EQ(r.Error(), "DIGEST_INVALID") << query;
  }
}

TEST_F(RegistryTest, PutWithABadDigestTakesNoByteOfItsBody) {
  // Given a session holding three bytes.
  CreateRepository("app");
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  const std::string uuid = location.substr(location.rfind('/') + 1);
  ASSERT_EQ(Send("PATCH", location, "abc").status, 202u);

  for (const std::string& query :
       {std::string(""), std::string("?digest="), std::string("?digest=sha256:xyz"),
        std::string("?digest=sha256:") + std::string(64, 'A'), std::string("?digest=nothing"),
        std::string("?digest=sha384:") + std::string(96, 'a'), std::string("?other=1")}) {
    for (const bool chunked : {false, true}) {
      // When the closing PUT carries a body but no valid digest...
      const RegistryReply r = Send(Call{"PUT", location + query, "data", {}, chunked});
      // ...then it is refused before its body is read (so the connection
      // closes)...
      EXPECT_EQ(r.status, 400u) << query << ": " << r.body;
      EXPECT_EQ(r.Error(), "DIGEST_INVALID") << query;
      EXPECT_TRUE(r.close) << query;
      // ...and the session is exactly as it was.
      const RegistryReply status = Send("GET", location);
      EXPECT_EQ(status.status, 204u) << query;
      EXPECT_EQ(status.Header("Range"), "0-2") << query;
      EXPECT_EQ(blobs_.UploadSize(uuid), 3u) << query;
    }
  }
  // A bad digest with a Content-Range is refused the same way.
  RegistryReply r = Send("PUT", location + "?digest=bad", "defg", {{"Content-Range", "3-6"}});
  EXPECT_EQ(r.Error(), "DIGEST_INVALID");
  EXPECT_EQ(blobs_.UploadSize(uuid), 3u);
  // And the session still completes with what it holds.
  r = Send("PUT", location + "?digest=" + Sha256Of("abc"));
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(Send("GET", "/v2/app/blobs/" + Sha256Of("abc")).body, "abc");
}

TEST_F(RegistryTest, WrongDigestEndsTheSessionAndTheRetryStartsOver) {
  // Given a session closed with a well-formed digest that does not match.
  CreateRepository("app");
  const std::string content = "the real content";
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  ASSERT_EQ(Send("PATCH", location, content).status, 202u);
  RegistryReply r = Send("PUT", location + "?digest=" + Sha256Of("something else"), "!");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Error(), "DIGEST_INVALID");

  // Then the session is over, as distribution cancels it: retrying it with
  // the right digest, appending, asking for status or cancelling all answer
  // 404 BLOB_UPLOAD_UNKNOWN, and nothing of it is left on disk.
  const std::vector<Call> retries = {
      {"PUT", location + "?digest=" + Sha256Of(content), "", {}, false},
      {"PUT", location + "?digest=" + Sha256Of(content + "!"), "", {}, false},
      {"PATCH", location, "more", {}, false},
      {"GET", location, "", {}, false},
      {"DELETE", location, "", {}, false},
  };
  for (const auto& call : retries) {
    r = Send(call);
    EXPECT_EQ(r.status, 404u) << call.method << " " << call.target << ": " << r.body;
    EXPECT_EQ(r.Error(), "BLOB_UPLOAD_UNKNOWN") << call.method;
  }
  EXPECT_EQ(FilesUnder(scratch_.data / "uploads"), std::vector<std::string>{});
  EXPECT_EQ(FilesUnder(scratch_.data / "blobs"), std::vector<std::string>{});

  // And the client's retry from a fresh session succeeds.
  const std::string again = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  r = Send("PUT", again + "?digest=" + Sha256Of(content), content);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(Send("GET", "/v2/app/blobs/" + Sha256Of(content)).body, content);
}

TEST_F(RegistryTest, CancellingDuringAStreamingPatchFailsThePatch) {
  CreateRepository("app");
  for (const bool cancel_mid_body : {true, false}) {
    const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
    // Given a streamed PATCH whose header was planned and whose body is
    // arriving (the first piece is in; in the second round, all of it)...
    http::Request patch;
    patch.method = "PATCH";
    patch.target = location;
    patch.headers.Add("Host", "localhost:5000");
    patch.headers.Add("Transfer-Encoding", "chunked");
    const http::BodyPlan plan = registry_.Plan(patch);
    ASSERT_TRUE(plan.sink);
    patch.sink = plan.sink;
    ASSERT_TRUE(plan.sink->Write("first piece "));
    if (!cancel_mid_body) {
      ASSERT_TRUE(plan.sink->Write("last piece"));
    }

    // ...when a DELETE cancels the session meanwhile...
    EXPECT_EQ(Send("DELETE", location).status, 204u);
    // ...then the rest of the body is refused...
    if (cancel_mid_body) {
      EXPECT_FALSE(plan.sink->Write("last piece"));
      patch.body_complete = false;
    }
    // ...and the PATCH fails as if it had come after the DELETE.
    const http::Response res = registry_.Handle(patch);
    EXPECT_EQ(res.status, 404u) << res.body;
    const json body = json::parse(res.body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << res.body;
    EXPECT_EQ(body["errors"][0]["code"], "BLOB_UPLOAD_UNKNOWN");
    EXPECT_FALSE(res.headers.Get("Location").has_value());
    EXPECT_EQ(res.close, cancel_mid_body);
    // No file is left behind, and the session stays gone.
    EXPECT_EQ(FilesUnder(scratch_.data / "uploads"), std::vector<std::string>{});
    EXPECT_EQ(Send("GET", location).Error(), "BLOB_UPLOAD_UNKNOWN");
  }
}

TEST_F(RegistryTest, Sha512Digests) {
  CreateRepository("app");
  const std::string content = "hashed with sha512";
  const std::string digest = Sha512Of(content);
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  Send("PATCH", location, content);
  RegistryReply r = Send("PUT", location + "?digest=" + digest);
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Header("Docker-Content-Digest"), digest);
  r = Send("GET", "/v2/app/blobs/" + digest);
  EXPECT_EQ(r.body, content);
  EXPECT_EQ(r.Header("Docker-Content-Digest"), digest);
  EXPECT_TRUE(std::filesystem::exists(blobs_.BlobPath(digest)));
  EXPECT_EQ(blobs_.BlobPath(digest).parent_path().parent_path().filename(), "sha512");

  r = Send("POST", "/v2/app/blobs/uploads/?digest=" + Sha512Of("one shot"), "one shot");
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(Send("HEAD", "/v2/app/blobs/" + Sha512Of("one shot")).head_length, 8u);
  // The wrong sha512 is refused like the wrong sha256.
  r = Send("POST", "/v2/app/blobs/uploads/?digest=" + Sha512Of("other"), "one shot!");
  EXPECT_EQ(r.Error(), "DIGEST_INVALID");
}

TEST_F(RegistryTest, UnsupportedDigestAlgorithmIsAClientError) {
  CreateRepository("app");
  const std::string sha384 = "sha384:" + std::string(96, 'a');
  const std::string location = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  RegistryReply r = Send("PUT", location + "?digest=" + sha384, "data");
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_TRUE(r.Error() == "DIGEST_INVALID" || r.Error() == "UNSUPPORTED") << r.body;
  r = Send("POST", "/v2/app/blobs/uploads/?digest=" + sha384, "data");
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_TRUE(r.Error() == "DIGEST_INVALID" || r.Error() == "UNSUPPORTED") << r.body;
  EXPECT_EQ(FilesUnder(scratch_.data / "blobs"), std::vector<std::string>{});
}

TEST_F(RegistryTest, CrossRepositoryMount) {
  // ECR mounts only with BLOB_MOUNTING enabled (registry_mount_test.cc has
  // the rule's other cases), and only blobs an image of the source names.
  EnableBlobMounting();
  CreateRepository("source");
  CreateRepository("target");
  PushImage("source", "v1", "shared");
  const Blob blob{Sha256Of("layer-shared"), 12};

  // The source has it: 201 and the blob is now the target's too.
  RegistryReply r = Send("POST", "/v2/target/blobs/uploads/?mount=" + blob.digest + "&from=source");
  EXPECT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.Header("Location"), "/v2/target/blobs/" + blob.digest);
  EXPECT_EQ(r.Header("Docker-Content-Digest"), blob.digest);
  EXPECT_EQ(Send("GET", "/v2/target/blobs/" + blob.digest).body, "layer-shared");

  // Otherwise a plain upload session starts (202).
  const std::string missing = Sha256Of("not there");
  for (const std::string& query : std::vector<std::string>{
           "?mount=" + missing + "&from=source", "?mount=" + blob.digest + "&from=nowhere",
           "?mount=" + blob.digest, "?mount=sha256:..%2F..%2Fx&from=source",
           "?mount=" + blob.digest + "&from=..%2Fsource"}) {
    r = Send("POST", "/v2/target/blobs/uploads/" + query);
    EXPECT_EQ(r.status, 202u) << query << ": " << r.body;
    EXPECT_TRUE(registry::IsValidUploadId(r.Header("Docker-Upload-UUID"))) << query;
    EXPECT_EQ(r.Header("Location"), "/v2/target/blobs/uploads/" + r.Header("Docker-Upload-UUID"));
  }
  // A mount into another account's repository of the same name is not a
  // mount from it: repositories are per account.
  CreateRepository("source", "111122223333");
  r = Send("POST", "/v2/source/blobs/uploads/?mount=" + blob.digest + "&from=source", "",
           {{"Authorization", Login("111122223333")}});
  EXPECT_EQ(r.status, 202u);
}

// --- Paths that try to leave the data directory ------------------------------

TEST_F(RegistryTest, PathTraversalIsRefused) {
  CreateRepository("app");
  const std::string manifest = PushImage("app", "latest");
  const std::string upload = Send("POST", "/v2/app/blobs/uploads/").Header("Location");
  const Fields docker = {{"Content-Type", kDockerManifestType}};
  const std::string evil_layer =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json",)"
      R"("digest":"sha256:../../x","size":2},"layers":[]})";
  struct Case {
    Call call;
    unsigned status;
  };
  const std::vector<Case> cases = {
      {{"GET", "/v2/../../etc/passwd/manifests/latest", "", {}, false}, 400},
      {{"GET", "/v2//etc/passwd/manifests/latest", "", {}, false}, 400},
      {{"GET", "/v2/%2e%2e/%2e%2e/tags/list", "", {}, false}, 400},
      {{"POST", "/v2/..%2F..%2Fx/blobs/uploads/", "", {}, false}, 400},
      {{"GET", "/v2/app/manifests/../../../x", "", {}, false}, 404},
      {{"GET", "/v2/app/manifests/%2e%2e", "", {}, false}, 400},
      {{"GET", "/v2/app/manifests/sha256:..%2F..%2Fx", "", {}, false}, 400},
      {{"PUT", "/v2/app/manifests/..%2F..%2Fx", manifest, docker, false}, 400},
      {{"PUT", "/v2/app/manifests/sha256:..%2F..%2Fx", manifest, docker, false}, 400},
      {{"PUT", "/v2/app/manifests/evil", evil_layer, {{"Content-Type", kOciManifestType}}, false},
       400},
      {{"DELETE", "/v2/app/manifests/..%2Fx", "", {}, false}, 400},
      {{"GET", "/v2/app/blobs/sha256:../../x", "", {}, false}, 404},
      {{"GET", "/v2/app/blobs/sha256:..%2F..%2Fx", "", {}, false}, 400},
      {{"GET", "/v2/app/blobs//etc/passwd", "", {}, false}, 404},
      {{"DELETE", "/v2/app/blobs/sha256:..%2F..%2Fx", "", {}, false}, 405},
      {{"GET", "/v2/app/referrers/sha256:..%2F..%2Fx", "", {}, false}, 400},
      {{"PATCH", "/v2/app/blobs/uploads/../../../x", "data", {}, false}, 404},
      {{"PATCH", "/v2/app/blobs/uploads/..%2F..%2Fx", "data", {}, false}, 404},
      {{"PUT", "/v2/app/blobs/uploads/%2Ftmp%2Fx?digest=" + Sha256Of("data"), "data", {}, false},
       404},
      {{"PUT", upload + "?digest=sha256:..%2F..%2Fx", "data", {}, false}, 400},
      {{"PUT", upload + "?digest=%2Ftmp%2Fx", "", {}, false}, 400},
      {{"POST", "/v2/app/blobs/uploads/?digest=sha256:..%2F..%2Fx", "data", {}, false}, 400},
      {{"POST", "/v2/app/blobs/uploads/?digest=sha256%3A..%2F..%2Fx", "data", {}, true}, 400},
  };
  for (const auto& c : cases) {
    const RegistryReply r = Send(c.call);
    EXPECT_EQ(r.status, c.status) << c.call.method << " " << c.call.target << ": " << r.body;
  }
  // Nothing was written beside the data directory, and inside it only blobs
  // named by their digest and upload files.
  for (const auto& file : FilesUnder(scratch_.root)) {
    EXPECT_TRUE(file.starts_with("data/blobs/sha256/") || file.starts_with("data/uploads/"))
        << file;
  }
  for (const auto& file : FilesUnder(scratch_.data / "blobs")) {
    const std::string hex = std::filesystem::path(file).filename().string();
    EXPECT_EQ(file, "sha256/" + hex.substr(0, 2) + "/" + hex);
  }
}

TEST_F(RegistryTest, OnlyRequestsThatSyncToDiskMayWaitWithoutAPullThroughCache) {
  // No pull-through cache is attached here: reads never wait on an upstream,
  // and what makes a blob or manifest durable waits on the disk.
  const auto may_wait = [&](const std::string& method, const std::string& target) {
    http::Request head;
    head.method = method;
    head.target = target;
    return registry_.MayWait(head);
  };
  const std::string digest = "sha256:" + std::string(64, 'a');
  const std::string upload = "/v2/app/blobs/uploads/0b0e5d1c-7c4e-4a8e-9d3e-2a1f00000001";
  EXPECT_TRUE(may_wait("PUT", "/v2/app/manifests/latest"));
  EXPECT_TRUE(may_wait("PUT", upload + "?digest=" + digest));
  EXPECT_TRUE(may_wait("POST", "/v2/app/blobs/uploads/?digest=" + digest));
  EXPECT_FALSE(may_wait("POST", "/v2/app/blobs/uploads/"));
  EXPECT_FALSE(may_wait("PATCH", upload));
  EXPECT_FALSE(may_wait("GET", "/v2/app/manifests/latest"));
  EXPECT_FALSE(may_wait("HEAD", "/v2/app/blobs/" + digest));
  EXPECT_FALSE(may_wait("GET", "/v2/_catalog"));
  EXPECT_FALSE(may_wait("GET", "/v2/"));
  EXPECT_FALSE(may_wait("GET", "/v2/../../etc/passwd"));
}

}  // namespace
}  // namespace berth::testing
