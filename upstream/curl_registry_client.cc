// RegistryClient over libcurl (loaded through docker_backend's CurlLibrary,
// the one loader of libcurl in Berth). One easy handle per request; tokens
// and Basic answers are cached per upstream and scope so that the pulls
// after the first skip the challenge round trip. libcurl's callbacks never
// let an exception cross into C.

#include <cctype>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "docker_backend/curl_library.h"
#include "docker_backend/docker_api.h"
#include "upstream/registry_client.h"

namespace berth::upstream {
namespace {

using docker::CurlLibrary;
using Kind = UpstreamError::Kind;

constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kMaxManifestBody = 4 * 1024 * 1024;

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
                   static_cast<uint32_t>(static_cast<unsigned char>(in[i + 2]));
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < in.size()) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

// The outcome of one HTTP exchange (the last response when redirected).
struct Reply {
  long status = 0;
  std::string content_type;
  std::string www_authenticate;
  std::string body;  // the body, unless it went to the sink
  bool stopped = false;
  std::exception_ptr failure;
  const std::function<bool(std::string_view)>* sink = nullptr;
  size_t body_limit = kMaxErrorBody;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* reply = static_cast<Reply*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    const auto space = line.find(' ');
    reply->status = space == std::string_view::npos
                        ? 0
                        : std::strtol(std::string(line.substr(space + 1, 3)).c_str(), nullptr, 10);
    reply->content_type.clear();
    reply->www_authenticate.clear();
    reply->body.clear();
  } else if (StartsWithIgnoreCase(line, "content-type:")) {
    reply->content_type = Trim(line.substr(13));
  } else if (StartsWithIgnoreCase(line, "www-authenticate:")) {
    if (reply->www_authenticate.empty()) reply->www_authenticate = Trim(line.substr(17));
  }
  return size * count;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* reply = static_cast<Reply*>(user);
  const std::string_view piece(data, size * count);
  try {
    if (reply->sink != nullptr && reply->status == 200) {
      if (!(*reply->sink)(piece)) {
        reply->stopped = true;
        return 0;
      }
      return piece.size();
    }
    if (reply->body.size() + piece.size() > reply->body_limit) return 0;
    reply->body.append(piece);
    return piece.size();
  } catch (...) {
    reply->failure = std::current_exception();
    return 0;
  }
}

// An easy handle, cleaned up on scope exit.
class EasyHandle {
 public:
  explicit EasyHandle(const CurlLibrary& lib) : lib_(lib), curl_(lib.easy_init()) {
    if (curl_ == nullptr) throw UpstreamError(Kind::kUnreachable, "curl_easy_init failed");
  }
  EasyHandle(const EasyHandle&) = delete;
  EasyHandle& operator=(const EasyHandle&) = delete;
  ~EasyHandle() { lib_.easy_cleanup(curl_); }
  CURL* get() const { return curl_; }

 private:
  const CurlLibrary& lib_;
  CURL* curl_;
};

const CurlLibrary& Library() {
  try {
    return CurlLibrary::Get();
  } catch (const docker::DockerError& e) {
    throw UpstreamError(Kind::kUnreachable, std::string("libcurl unavailable: ") + e.what());
  }
}

// One GET of `url` with `headers`; the body goes to `reply.sink` when set
// and the answer is 200.
void Get(const std::string& url, const std::vector<std::string>& headers, bool streaming,
         Reply& reply) {
  const CurlLibrary& lib = Library();
  EasyHandle easy(lib);
  CURL* curl = easy.get();
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = lib.slist_append(list, h.c_str());
  lib.easy_setopt(curl, CURLOPT_URL, url.c_str());
  lib.easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  lib.easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  lib.easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
  lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  lib.easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  // Blob stores redirect (S3, a CDN); curl drops our Authorization header
  // when the redirect leaves the host.
  lib.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  lib.easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  lib.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  lib.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  lib.easy_setopt(curl, CURLOPT_USERAGENT, "berth-pull-through/1");
  if (streaming) {
    // No overall limit for a blob, but a stalled transfer ends.
    lib.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    lib.easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  } else {
    lib.easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
  }
  const CURLcode rc = lib.easy_perform(curl);
  lib.slist_free_all(list);
  if (reply.failure) std::rethrow_exception(reply.failure);
  if (reply.stopped) return;
  if (rc != CURLE_OK) {
    throw UpstreamError(Kind::kUnreachable, "cannot reach " + url + ": " + lib.easy_strerror(rc));
  }
}

class CurlRegistryClient final : public RegistryClient {
 public:
  void Check(const Endpoint& endpoint) override {
    Reply reply;
    Authorized(endpoint, endpoint.base_url + "/v2/", "", {}, false, reply);
  }

  Manifest GetManifest(const Endpoint& endpoint, std::string_view repository,
                       std::string_view reference, std::string_view accept) override {
    Reply reply;
    reply.body_limit = kMaxManifestBody;
    Authorized(endpoint,
               endpoint.base_url + "/v2/" + std::string(repository) + "/manifests/" +
                   std::string(reference),
               Scope(repository), {"Accept: " + std::string(accept)}, false, reply);
    return {reply.content_type, std::move(reply.body)};
  }

  bool GetBlob(const Endpoint& endpoint, std::string_view repository, std::string_view digest,
               const std::function<bool(std::string_view)>& on_bytes) override {
    Reply reply;
    reply.sink = &on_bytes;
    Authorized(
        endpoint,
        endpoint.base_url + "/v2/" + std::string(repository) + "/blobs/" + std::string(digest),
        Scope(repository), {}, true, reply);
    return !reply.stopped;
  }

 private:
  static std::string Scope(std::string_view repository) {
    return "repository:" + std::string(repository) + ":pull";
  }

  // GETs `url`, answering one authentication challenge; throws
  // UpstreamError unless the final answer is 200.
  void Authorized(const Endpoint& endpoint, const std::string& url, const std::string& scope,
                  std::vector<std::string> headers, bool streaming, Reply& reply) {
    // Cached per identity: other credentials for the same upstream must
    // not ride on an answer earned by these.
    const std::string key =
        endpoint.base_url + " " + scope + " " +
        (endpoint.credentials
             ? Base64(endpoint.credentials->username + ":" + endpoint.credentials->password)
             : std::string());
    std::string auth = Cached(key);
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::vector<std::string> all = headers;
      if (!auth.empty()) all.push_back("Authorization: " + auth);
      Get(url, all, streaming, reply);
      if (reply.stopped || reply.status == 200) {
        if (!auth.empty()) Remember(key, auth);
        return;
      }
      if (reply.status != 401 || attempt == 1) break;
      const auto challenge = ParseChallenge(reply.www_authenticate);
      if (!challenge) break;
      auth = Answer(endpoint, *challenge, scope);
    }
    Fail(url, reply);
  }

  // The Authorization value that answers `challenge`.
  std::string Answer(const Endpoint& endpoint, const Challenge& challenge,
                     const std::string& scope) {
    const auto& creds = endpoint.credentials;
    const std::string basic =
        creds ? "Basic " + Base64(creds->username + ":" + creds->password) : std::string();
    if (challenge.scheme == "basic") {
      if (!creds)
        throw UpstreamError(Kind::kUnauthorized, "the upstream registry requires credentials");
      return basic;
    }
    if (challenge.scheme != "bearer" || challenge.realm.empty()) {
      throw UpstreamError(Kind::kFailed, "unsupported authentication scheme " + challenge.scheme);
    }
    std::string url = challenge.realm;
    char sep = url.find('?') == std::string::npos ? '?' : '&';
    if (!challenge.service.empty()) {
      url += sep + std::string("service=") + UrlEncode(challenge.service);
      sep = '&';
    }
    const std::string wanted = challenge.scope.empty() ? scope : challenge.scope;
    if (!wanted.empty()) url += sep + std::string("scope=") + UrlEncode(wanted);
    Reply reply;
    std::vector<std::string> headers;
    if (creds) headers.push_back("Authorization: " + basic);
    Get(url, headers, false, reply);
    if (reply.status != 200) Fail(url, reply);
    const auto body = nlohmann::json::parse(reply.body, nullptr, false);
    std::string token;
    if (body.is_object()) {
      token = body.value("token", body.value("access_token", std::string()));
    }
    if (token.empty()) throw UpstreamError(Kind::kFailed, "the token service sent no token");
    return "Bearer " + token;
  }

  [[noreturn]] static void Fail(const std::string& url, const Reply& reply) {
    const std::string what = "GET " + url + " answered " + std::to_string(reply.status) +
                             (reply.body.empty() ? "" : ": " + reply.body.substr(0, 300));
    if (reply.status == 401 || reply.status == 403) throw UpstreamError(Kind::kUnauthorized, what);
    if (reply.status == 404) throw UpstreamError(Kind::kNotFound, what);
    if (reply.status == 429) throw UpstreamError(Kind::kTooManyRequests, what);
    throw UpstreamError(Kind::kFailed, what);
  }

  std::string Cached(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto it = auth_.find(key);
    return it == auth_.end() ? std::string() : it->second;
  }
  void Remember(const std::string& key, const std::string& auth) {
    std::lock_guard lock(mutex_);
    auth_[key] = auth;
  }

  std::mutex mutex_;
  std::map<std::string, std::string> auth_;  // guarded by mutex_
};

}  // namespace

std::optional<Challenge> ParseChallenge(std::string_view header) {
  std::string_view rest = header;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const auto space = rest.find(' ');
  if (rest.empty()) return std::nullopt;
  Challenge c;
  for (const char ch : rest.substr(0, space)) {
    c.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) break;
    std::string name;
    for (const char ch : Trim(rest.substr(0, eq))) {
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    rest.remove_prefix(eq + 1);
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      rest.remove_prefix(1);
      while (!rest.empty() && rest.front() != '"') {
        if (rest.front() == '\\' && rest.size() > 1) rest.remove_prefix(1);
        value += rest.front();
        rest.remove_prefix(1);
      }
      if (!rest.empty()) rest.remove_prefix(1);
    } else {
      const auto comma = rest.find(',');
      value = Trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma);
    }
    if (name == "realm") c.realm = value;
    if (name == "service") c.service = value;
    if (name == "scope") c.scope = value;
  }
  return c;
}

std::unique_ptr<RegistryClient> MakeCurlRegistryClient() {
  return std::make_unique<CurlRegistryClient>();
}

}  // namespace berth::upstream
