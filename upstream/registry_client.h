#pragma once

// A client of another container registry (the upstream of a pull-through
// cache rule), over the Registry HTTP API v2: it authenticates as a docker
// client does (answers a 401's Bearer challenge with a token from the realm,
// using Basic credentials there when it has any; or answers a Basic
// challenge with them), fetches manifests and streams blobs. Plain types
// only; callers never see libcurl.
//
// Thread-safety: every method may be called from any thread at once.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace berth::upstream {

struct Credentials {
  std::string username;
  std::string password;
};

// Where the upstream registry is and who to be there.
struct Endpoint {
  std::string base_url;  // scheme://host[:port], no trailing slash
  std::optional<Credentials> credentials;
};

// Why a request to the upstream failed.
class UpstreamError : public std::runtime_error {
 public:
  enum class Kind {
    kUnreachable,      // no connection, or a transfer that broke off
    kUnauthorized,     // 401/403: no or wrong credentials
    kNotFound,         // 404: no such repository, tag or blob
    kTooManyRequests,  // 429: the upstream's rate limit
    kFailed,           // any other answer
  };
  UpstreamError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

// A manifest as the upstream served it.
struct Manifest {
  std::string media_type;  // Content-Type of the reply
  std::string bytes;
};

class RegistryClient {
 public:
  virtual ~RegistryClient() = default;

  // Reaches the upstream and authenticates (GET /v2/, answering its
  // challenge). Throws UpstreamError.
  virtual void Check(const Endpoint& endpoint) = 0;
  // GET /v2/<repository>/manifests/<reference> with `accept` as the Accept
  // header. Throws UpstreamError.
  virtual Manifest GetManifest(const Endpoint& endpoint, std::string_view repository,
                               std::string_view reference, std::string_view accept) = 0;
  // GET /v2/<repository>/blobs/<digest>, following redirects, handing each
  // piece of the body to `on_bytes` as it arrives; `on_bytes` returns false
  // to stop (then this returns false). Throws UpstreamError.
  virtual bool GetBlob(const Endpoint& endpoint, std::string_view repository,
                       std::string_view digest,
                       const std::function<bool(std::string_view)>& on_bytes) = 0;
};

// The libcurl implementation (libcurl is loaded on first use).
std::unique_ptr<RegistryClient> MakeCurlRegistryClient();

// One parsed WWW-Authenticate challenge: its scheme and parameters.
struct Challenge {
  std::string scheme;  // lower case: "bearer", "basic"
  std::string realm;
  std::string service;
  std::string scope;
};
// Parses the first challenge of a WWW-Authenticate value; nullopt when
// there is none.
std::optional<Challenge> ParseChallenge(std::string_view header);

}  // namespace berth::upstream
