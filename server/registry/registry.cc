#include "server/registry/registry.h"

#include <charconv>
#include <exception>

#include <nlohmann/json.hpp>

#include "server/ecr/auth_token.h"
#include "server/ecr/digest.h"
#include "server/ecr/image_error.h"
#include "server/ecr/manifest.h"
#include "server/registry/registry_error.h"
#include "server/registry/registry_support.h"
#include "server/util/crypto.h"
#include "server/util/log.h"
#include "server/util/percent_encoding.h"
#include "server/util/wire_json.h"
#include "storage/ecr_store.h"

namespace berth::registry {
namespace {

using nlohmann::json;
using Kind = Route::Kind;

constexpr uint64_t kSmallBodyLimit = 64 * 1024;
constexpr size_t kDefaultPageSize = 1000;
constexpr size_t kMaxPageSize = 10000;

// `n` of a paginated listing: absent → default; not a number → error.
size_t PageSize(std::string_view query) {
  const auto n = QueryParam(query, "n");
  if (!n) return kDefaultPageSize;
  size_t value = 0;
  const auto [end, ec] = std::from_chars(n->data(), n->data() + n->size(), value);
  if (ec != std::errc() || end != n->data() + n->size()) {
    throw RegistryError("PAGINATION_NUMBER_INVALID", "invalid number of results requested", *n);
  }
  return std::min(value, kMaxPageSize);
}

// A `Link` to the next page, as distribution sends it.
std::string NextLink(const std::string& path, size_t n, const std::string& last) {
  return "<" + path + "?n=" + std::to_string(n) + "&last=" + last + ">; rel=\"next\"";
}

}  // namespace

std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  size_t start = 0;
  while (start <= query.size()) {
    const auto amp = query.find('&', start);
    const std::string_view pair =
        query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    const auto eq = pair.find('=');
    if (util::PercentDecode(pair.substr(0, eq), true) == name) {
      return eq == std::string_view::npos ? std::string()
                                          : util::PercentDecode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return std::nullopt;
}

http::Response Reply(unsigned status) {
  http::Response res;
  res.status = status;
  res.headers.Add("Docker-Distribution-API-Version", "registry/2.0");
  return res;
}

http::Response JsonReply(unsigned status, std::string body) {
  http::Response res = Reply(status);
  res.headers.Add("Content-Type", "application/json");
  res.body = std::move(body);
  return res;
}

storage::Partition Registry::Authenticate(const http::Request& request) const {
  std::string principal_arn;
  return Authenticate(request, principal_arn);
}

storage::Partition Registry::Authenticate(const http::Request& request,
                                          std::string& principal_arn) const {
  const auto header = request.headers.Get("Authorization");
  if (!header || header->empty()) {
    if (options_.require_auth) throw RegistryError("UNAUTHORIZED", "authentication required");
    principal_arn = "arn:aws:iam::" + options_.default_account_id + ":root";
    return {options_.default_account_id, options_.default_region};
  }
  const std::string_view value = *header;
  if (value.size() < 6 || !http::EqualsIgnoreCase(value.substr(0, 6), "Basic ")) {
    throw RegistryError("UNAUTHORIZED", "Berth accepts only Basic AWS:<token> credentials");
  }
  const auto decoded = crypto::Base64Decode(value.substr(6));
  const auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos || decoded->substr(0, colon) != "AWS") {
    throw RegistryError("UNAUTHORIZED", "the user name must be AWS");
  }
  const auto grant = ecr_.tokens().Verify(std::string_view(*decoded).substr(colon + 1),
                                          static_cast<int64_t>(clock_.Now()));
  if (!grant) {
    throw RegistryError("UNAUTHORIZED",
                        "Your authorization token is invalid or has expired; run aws ecr "
                        "get-login-password again");
  }
  principal_arn = grant->principal_arn;
  return {grant->account_id, grant->region};
}

std::optional<storage::Partition> Registry::SignedDownload(const http::Request& request,
                                                           const Route& route) const {
  const bool read = request.method == "GET" || request.method == "HEAD";
  if (route.kind != Kind::kBlob || !read) return std::nullopt;
  const auto token = QueryParam(request.Query(), ecr::kDownloadTokenParam);
  if (!token) return std::nullopt;
  const auto grant = ecr_.tokens().VerifyDownload(*token, static_cast<int64_t>(clock_.Now()));
  if (!grant || grant->repository != route.name || grant->digest != route.reference) {
    throw RegistryError("UNAUTHORIZED", "the download URL is invalid or has expired");
  }
  return storage::Partition{grant->account_id, grant->region};
}

storage::Partition Registry::Caller(const http::Request& request, const Route& route,
                                    std::string& principal_arn) const {
  if (auto partition = SignedDownload(request, route)) return std::move(*partition);
  return Authenticate(request, principal_arn);
}

http::Response Challenge(const http::Request& request) {
  http::Response res = Reply(401);
  const std::string host(request.headers.Get("Host").value_or("localhost"));
  res.headers.Add("WWW-Authenticate",
                  "Basic realm=\"https://" + host + "/\",service=\"ecr.amazonaws.com\"");
  res.headers.Add("Content-Type", "text/plain");
  res.body = "Not Authorized";
  return res;
}

storage::RepositoryRecord Registry::RequireRepository(const storage::Partition& registry,
                                                      const std::string& name) {
  if (!IsValidRepositoryName(name)) {
    throw RegistryError("NAME_INVALID", "invalid repository name", name);
  }
  // The lease is short: one lookup.
  try {
    return images_.Repository(registry, name);
  } catch (const ecr::ImageError& e) {
    throw FromImageError(e);
  }
}

bool Registry::MayWait(const http::Request& head) const {
  const auto route = ParseRoute(head.Path());
  if (!route) return false;
  const bool read = head.method == "GET" || head.method == "HEAD";
  switch (route->kind) {
    case Route::Kind::kManifest:
      return head.method == "PUT" || (read && pull_through_ != nullptr);
    case Route::Kind::kBlob:
      return read && pull_through_ != nullptr;
    case Route::Kind::kUpload:
      return head.method == "PUT";
    case Route::Kind::kUploads:
      return head.method == "POST" && QueryParam(head.Query(), "digest").has_value();
    default:
      return false;
  }
}

http::BodyPlan Registry::Plan(const http::Request& head) {
  const auto route = ParseRoute(head.Path());
  if (route && (route->kind == Kind::kUpload || route->kind == Kind::kUploads)) {
    return PlanUpload(head, *route);
  }
  if (route && route->kind == Kind::kManifest && head.method == "PUT") {
    return {ecr::kMaxManifestBytes, nullptr};
  }
  return {kSmallBodyLimit, nullptr};
}

http::Response Registry::BodyTooLarge(const http::Request& head, uint64_t limit) {
  http::Response res = ErrorResponse(RegistryError(
      "MANIFEST_TOO_LARGE", "request body exceeds " + std::to_string(limit) + " bytes"));
  (void)head;
  res.close = true;
  return res;
}

http::Response Registry::Handle(const http::Request& request) {
  http::Response res;
  try {
    if (const auto* refusal = dynamic_cast<const RefusalSink*>(request.sink.get())) {
      res = refusal->reply();
      res.close = res.close || !request.body_complete;
    } else if (const auto route = ParseRoute(request.Path()); !route) {
      res = ErrorResponse(
          RegistryError("NAME_UNKNOWN", "no such registry route", std::string(request.Path())));
      res.status = 404;
    } else {
      std::string principal_arn;
      const storage::Partition registry = Caller(request, *route, principal_arn);
      res = Dispatch(request, *route, registry, principal_arn);
    }
  } catch (const RegistryError& error) {
    res = ErrorResponse(error);
  } catch (const ecr::ImageError& error) {
    res = ErrorResponse(FromImageError(error));
  } catch (const std::exception& error) {
    log::Error(std::string("registry request failed: ") + error.what());
    res = ServerFault(error);
  }
  if (res.status == 401) {
    // ECR's challenge, whatever the reason: docker login answers it with the
    // AWS credentials.
    const bool close = res.close;
    res = Challenge(request);
    res.close = close;
  }
  if (const auto route = ParseRoute(request.Path()); route && res.status == 405) {
    res.headers.Set("Allow", AllowedMethods(route->kind));
  }
  if (!request.body_complete) res.close = true;
  res.operation = "registry." + request.method;
  return res;
}

http::Response Registry::Dispatch(const http::Request& request, const Route& route,
                                  const storage::Partition& registry,
                                  const std::string& principal_arn) {
  const std::string& method = request.method;
  const bool read = method == "GET" || method == "HEAD";
  switch (route.kind) {
    case Kind::kBase:
      if (read) return Base(request);
      break;
    case Kind::kCatalog:
      if (method == "GET") return Catalog(request, registry);
      break;
    case Kind::kTags:
      if (method == "GET") return Tags(request, route, registry);
      break;
    case Kind::kReferrers:
      if (method == "GET") return Referrers(request, route, registry);
      break;
    case Kind::kManifest:
      if (read) return GetManifest(request, route, registry, principal_arn);
      if (method == "PUT") return PutManifest(request, route, registry);
      if (method == "DELETE") return DeleteManifest(route, registry);
      break;
    case Kind::kBlob:
      if (read) return GetBlob(request, route, registry);
      if (method == "DELETE") {
        // ECR has no blob deletion: layers go when no image needs them.
        throw RegistryError("UNSUPPORTED",
                            "The operation is unsupported: blobs are removed with the images "
                            "that use them (BatchDeleteImage)");
      }
      break;
    case Kind::kUploads:
      if (method == "POST") return StartUpload(request, route, registry);
      break;
    case Kind::kUpload:
      if (method == "GET") return UploadStatus(route, registry);
      if (method == "PATCH") return PatchUpload(request, route, registry);
      if (method == "PUT") return FinishUpload(request, route, registry);
      if (method == "DELETE") return CancelUpload(route, registry);
      break;
  }
  throw RegistryError("UNSUPPORTED", "method " + method + " is not supported here");
}

std::string AllowedMethods(Route::Kind kind) {
  switch (kind) {
    case Kind::kBase:
    case Kind::kBlob:
      return "GET, HEAD";
    case Kind::kCatalog:
    case Kind::kTags:
    case Kind::kReferrers:
      return "GET";
    case Kind::kManifest:
      return "GET, HEAD, PUT, DELETE";
    case Kind::kUploads:
      return "POST";
    case Kind::kUpload:
      return "GET, PATCH, PUT, DELETE";
  }
  return "";
}

http::Response Registry::Base(const http::Request& request) {
  (void)request;
  return JsonReply(200, "{}");
}

http::Response Registry::Catalog(const http::Request& request, const storage::Partition& registry) {
  const size_t n = PageSize(request.Query());
  const std::string last = QueryParam(request.Query(), "last").value_or("");
  std::vector<std::string> names;
  {
    auto records = ecr_.ListRepositoryNames(registry, last, n + 1);
    names = std::move(records);
  }
  http::Response res;
  const bool more = names.size() > n;
  if (more) names.resize(n);
  res = JsonReply(200, util::WireJson(json{{"repositories", names}}));
  if (more && !names.empty()) res.headers.Add("Link", NextLink("/v2/_catalog", n, names.back()));
  return res;
}

http::Response Registry::Tags(const http::Request& request, const Route& route,
                              const storage::Partition& registry) {
  RequireRepository(registry, route.name);
  const size_t n = PageSize(request.Query());
  const std::string last = QueryParam(request.Query(), "last").value_or("");
  std::vector<std::string> tags =
      n == 0 ? std::vector<std::string>{} : images_.Tags(registry, route.name, last, n + 1);
  const bool more = tags.size() > n;
  if (more) tags.resize(n);
  http::Response res = JsonReply(200, util::WireJson(json{{"name", route.name}, {"tags", tags}}));
  if (more && !tags.empty()) {
    res.headers.Add("Link", NextLink("/v2/" + route.name + "/tags/list", n, tags.back()));
  }
  return res;
}

http::Response Registry::Referrers(const http::Request& request, const Route& route,
                                   const storage::Partition& registry) {
  RequireRepository(registry, route.name);
  if (!ecr::ParseDigest(route.reference)) {
    throw RegistryError("DIGEST_INVALID", "invalid digest", route.reference);
  }
  const auto filter = QueryParam(request.Query(), "artifactType");
  json manifests = json::array();
  for (const auto& image : images_.Referrers(registry, route.name, route.reference)) {
    const std::optional<std::string> type =
        image.artifact_type ? image.artifact_type : image.artifact_media_type;
    if (filter && type != *filter) continue;
    json descriptor = {
        {"mediaType", image.media_type}, {"digest", image.digest}, {"size", image.manifest_size}};
    if (type) descriptor["artifactType"] = *type;
    if (image.annotations) descriptor["annotations"] = json::parse(*image.annotations);
    manifests.push_back(std::move(descriptor));
  }
  http::Response res = Reply(200);
  res.headers.Add("Content-Type", std::string(ecr::kOciIndex));
  if (filter) res.headers.Add("OCI-Filters-Applied", "artifactType");
  res.body =
      json{{"schemaVersion", 2}, {"mediaType", ecr::kOciIndex}, {"manifests", manifests}}.dump();
  return res;
}

}  // namespace berth::registry
