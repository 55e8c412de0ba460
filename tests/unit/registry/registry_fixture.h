#pragma once

// In-process tests of the registry protocol: the real registry::Registry over
// ImageService, UploadService and EcrService on an in-memory database and a
// blob store in a temporary directory, fed raw http::Requests the way the
// HTTP session feeds them (header first, then the body into the plan's sink
// or into Request::body, refusing bodies over the plan's limit).

#include <algorithm>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/ecr/ecr_service.h"
#include "server/ecr/image_service.h"
#include "server/ecr/upload_service.h"
#include "server/registry/registry.h"
#include "server/util/crypto.h"
#include "storage/blob_store.h"
#include "storage/database.h"
#include "storage/registry_settings_store.h"
#include "tests/support/api_fixture.h"
#include "tests/support/fuzz_seeds.h"

namespace berth::testing {

inline constexpr const char* kDockerManifestType =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerListType =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndexType = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kEmptyConfigType = "application/vnd.oci.empty.v1+json";
inline constexpr const char* kEmptyConfigDigest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

using Fields = std::vector<std::pair<std::string, std::string>>;

// ECR's Basic challenge for a client that reached the registry as
// localhost:5000 (the Host every test request carries).
inline constexpr const char* kChallenge =
    R"(Basic realm="https://localhost:5000/",service="ecr.amazonaws.com")";

// One reply, with a file body read into `body`.
struct RegistryReply {
  unsigned status = 0;
  http::Headers headers;
  std::string body;
  bool close = false;
  std::optional<uint64_t> head_length;

  std::string Header(std::string_view name) const {
    return std::string(headers.Get(name).value_or(""));
  }
  bool Has(std::string_view name) const { return headers.Get(name).has_value(); }
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
  // The code of the first error in an {"errors":[...]} body.
  std::string Error() const {
    const auto doc = Json();
    if (doc.is_discarded() || !doc.contains("errors") || doc["errors"].empty()) return "";
    return doc["errors"][0].value("code", "");
  }
  std::string Message() const { return Json()["errors"][0].value("message", ""); }
};

// Expects ECR's exact answer to missing or invalid credentials (reference
// §2.2): 401, the Basic challenge, and a text/plain "Not Authorized" body
// (no {"errors":[...]} document). `what` names the request in failures.
inline void ExpectChallenge(const RegistryReply& r, const std::string& what) {
  EXPECT_EQ(r.status, 401u) << what << ": " << r.body;
  EXPECT_EQ(r.Header("WWW-Authenticate"), kChallenge) << what;
  EXPECT_EQ(r.Header("Content-Type"), "text/plain") << what;
  EXPECT_EQ(r.body, "Not Authorized") << what;
  EXPECT_EQ(r.Header("Docker-Distribution-API-Version"), "registry/2.0") << what;
}

// A request to send; `chunked` leaves out Content-Length, as a client
// streaming with Transfer-Encoding: chunked does.
struct Call {
  std::string method;
  std::string target;
  std::string body;
  Fields headers;
  bool chunked = false;
};

// A blob's descriptor fields.
struct Blob {
  std::string digest;
  int64_t size = 0;
};

inline std::string Sha256Of(std::string_view content) {
  return "sha256:" + crypto::Sha256Hex(content);
}
inline std::string Sha512Of(std::string_view content) {
  crypto::Hasher hasher(crypto::Hasher::Algorithm::kSha512);
  hasher.Update(content);
  return "sha512:" + hasher.FinalHex();
}

class RegistryTest : public ::testing::Test {
 protected:
  explicit RegistryTest(bool require_auth = false)
      : registry_(registry::RegistryOptions{"000000000000", "us-east-1", require_auth}, ecr_,
                  images_, uploads_, clock_) {}

  // Sends one request as the HTTP session would: asks for the body plan,
  // refuses a declared or actual body over its limit, streams the body into
  // the plan's sink in a few pieces (stopping when the sink refuses), then
  // lets the registry handle it. Every reply must carry the API version.
  RegistryReply Send(const Call& call) {
    http::Request request;
    request.method = call.method;
    request.target = call.target;
    request.headers.Add("Host", "localhost:5000");
    for (const auto& [name, value] : call.headers) request.headers.Add(name, value);
    const bool has_body = !call.body.empty() || call.method == "PUT" || call.method == "PATCH" ||
                          call.method == "POST";
    if (!call.chunked && has_body) {
      request.headers.Add("Content-Length", std::to_string(call.body.size()));
    }
    RecordSeeds(call);
    const http::BodyPlan plan = registry_.Plan(request);
    http::Response response;
    if (call.body.size() > plan.limit) {
      response = registry_.BodyTooLarge(request, plan.limit);
    } else {
      if (plan.sink) {
        request.sink = plan.sink;
        const size_t piece = std::max<size_t>(1, call.body.size() / 3 + 1);
        for (size_t at = 0; at < call.body.size(); at += piece) {
          if (!plan.sink->Write(std::string_view(call.body).substr(at, piece))) {
            request.body_complete = false;
            break;
          }
        }
      } else {
        request.body = call.body;
      }
      response = registry_.Handle(request);
    }
    RegistryReply reply{response.status, response.headers, std::move(response.body), response.close,
                        response.head_length};
    if (response.file) reply.body = ReadRegion(*response.file);
    EXPECT_EQ(reply.Header("Docker-Distribution-API-Version"), "registry/2.0")
        << call.method << " " << call.target << " → " << reply.status;
    return reply;
  }
  // Fuzz seeds (tests/support/fuzz_seeds.h): the request, and the manifest
  // it carries.
  static void RecordSeeds(const Call& call) {
    if (std::getenv("BERTH_FUZZ_SEEDS") == nullptr) return;
    std::string text = call.method + " " + call.target + "\n";
    std::string content_type;
    for (const auto& [name, value] : call.headers) {
      text += name + ": " + value + "\n";
      if (name == "Content-Type") content_type = value;
    }
    RecordFuzzSeed("fuzz_registry", text + "\n" + call.body);
    if (call.method == "PUT" && call.target.find("/manifests/") != std::string::npos) {
      RecordFuzzSeed("fuzz_documents", "manifest " + content_type + "\n" + call.body);
    }
  }

  RegistryReply Send(const std::string& method, const std::string& target,
                     const std::string& body = "", const Fields& headers = {}) {
    return Send(Call{method, target, body, headers, false});
  }

  // Creates a repository in `account` (the default account when empty).
  void CreateRepository(const std::string& name, const std::string& account = "") {
    const storage::Partition registry{account.empty() ? "000000000000" : account, "us-east-1"};
    ecr::RepositorySpec spec;
    spec.name = name;
    ecr_.CreateRepository(Context(registry.account_id), registry, spec);
  }

  // Turns on cross-repository blob mounts (ECR's BLOB_MOUNTING account
  // setting) in `account` (the default account when empty).
  void EnableBlobMounting(const std::string& account = "") {
    auto lease = database_.Acquire();
    storage::RegistrySettingsStore(
        lease.db(), storage::Partition{account.empty() ? "000000000000" : account, "us-east-1"})
        .PutAccountSetting("BLOB_MOUNTING", "ENABLED");
  }

  // "Basic <token>" as docker sends it after `docker login` with the
  // password GetAuthorizationToken issued for `account`.
  std::string Login(const std::string& account = "000000000000") {
    return "Basic " + ecr_.GetAuthorizationToken(Context(account), account).token;
  }

  // Uploads `content` in one request (POST ?digest=); returns its descriptor.
  Blob PushBlob(const std::string& repository, const std::string& content,
                const Fields& auth = {}) {
    const std::string digest = Sha256Of(content);
    const RegistryReply r =
        Send("POST", "/v2/" + repository + "/blobs/uploads/?digest=" + digest, content, auth);
    EXPECT_EQ(r.status, 201u) << r.body;
    return {digest, static_cast<int64_t>(content.size())};
  }

  // Stores a manifest; returns the reply.
  RegistryReply PutManifest(const std::string& repository, const std::string& reference,
                            const std::string& bytes, const std::string& media_type,
                            const Fields& extra = {}) {
    Fields headers = {{"Content-Type", media_type}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return Send("PUT", "/v2/" + repository + "/manifests/" + reference, bytes, headers);
  }

  // A one-layer image in `repository` with unique content; returns the
  // manifest bytes.
  std::string PushImage(const std::string& repository, const std::string& tag,
                        const std::string& seed = "a",
                        const std::string& media_type = kDockerManifestType) {
    const Blob config = PushBlob(repository, R"({"architecture":"amd64","seed":")" + seed + "\"}");
    const Blob layer = PushBlob(repository, "layer-" + seed);
    const std::string bytes = ImageManifest(config, {layer}, media_type).dump();
    const RegistryReply r = PutManifest(repository, tag, bytes, media_type);
    EXPECT_EQ(r.status, 201u) << r.body;
    return bytes;
  }

  static nlohmann::json Descriptor(const std::string& media_type, const Blob& blob) {
    return {{"mediaType", media_type}, {"digest", blob.digest}, {"size", blob.size}};
  }

  static nlohmann::json ImageManifest(const Blob& config, const std::vector<Blob>& layers,
                                      const std::string& media_type = kDockerManifestType) {
    const bool oci = media_type == kOciManifestType;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& layer : layers) {
      list.push_back(Descriptor(oci ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                    : "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                layer));
    }
    return {{"schemaVersion", 2},
            {"mediaType", media_type},
            {"config", Descriptor(oci ? "application/vnd.oci.image.config.v1+json"
                                      : "application/vnd.docker.container.image.v1+json",
                                  config)},
            {"layers", list}};
  }

  // Files under `dir` (relative paths), recursively.
  static std::vector<std::string> FilesUnder(const std::filesystem::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
      if (entry.is_regular_file()) {
        out.push_back(std::filesystem::relative(entry.path(), dir).string());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  static aws::RequestContext Context(const std::string& account) {
    return aws::RequestContext{account, "us-east-1", "test-request", "AKIDTEST", 1795000000.0};
  }

  // The temporary directory holds the blob store's root ("data") so that
  // tests can see whether anything was written beside it.
  struct Scratch {
    Scratch() : root(MakeDir()), data(root / "data") {}
    static std::filesystem::path MakeDir() {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "berth-registry-XXXXXX").string();
      if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
      return pattern;
    }
    ~Scratch() {
      std::error_code ec;
      std::filesystem::remove_all(root, ec);
    }
    std::filesystem::path root;
    std::filesystem::path data;
  };

  Scratch scratch_;
  storage::Database database_{":memory:"};
  ManualClock clock_;
  storage::BlobStore blobs_{scratch_.data};
  ecr::ImageService images_{database_, blobs_};
  ecr::UploadService uploads_{database_, images_};
  ecr::EcrService ecr_{database_, ecr::EcrOptions{"localhost:5000"}, images_};
  registry::Registry registry_;

 private:
  static std::string ReadRegion(const http::FileRegion& region) {
    std::string out(region.length, '\0');
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::pread(*region.fd, out.data() + done, out.size() - done,
                                static_cast<off_t>(region.offset + done));
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    out.resize(done);
    return out;
  }
};

// The same registry answering only callers with a valid token.
class RegistryAuthTest : public RegistryTest {
 protected:
  RegistryAuthTest() : RegistryTest(/*require_auth=*/true) {}
};

}  // namespace berth::testing
