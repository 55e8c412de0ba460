#include "server/registry/registry_error.h"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "server/util/wire_json.h"
#include "storage/out_of_space.h"

namespace berth::registry {
namespace {

// Error codes and statuses (OCI distribution spec, plus distribution's and
// ECR's extras).
constexpr std::array<std::pair<std::string_view, unsigned>, 20> kStatuses = {{
    {"BLOB_UNKNOWN", 404},
    {"BLOB_UPLOAD_INVALID", 400},
    {"BLOB_UPLOAD_UNKNOWN", 404},
    {"DENIED", 403},
    {"DIGEST_INVALID", 400},
    {"MANIFEST_BLOB_UNKNOWN", 400},
    {"MANIFEST_INVALID", 400},
    {"MANIFEST_UNKNOWN", 404},
    {"NAME_INVALID", 400},
    {"NAME_UNKNOWN", 404},
    {"PAGINATION_NUMBER_INVALID", 400},
    {"RANGE_INVALID", 416},
    {"SIZE_INVALID", 400},
    {"TAG_INVALID", 400},
    {"TOOMANYREQUESTS", 429},
    {"UNAUTHORIZED", 401},
    {"UNAVAILABLE", 503},
    {"UNKNOWN", 500},
    {"UNSUPPORTED", 405},
    {"MANIFEST_TOO_LARGE", 413},
}};

}  // namespace

unsigned StatusOf(std::string_view code) {
  for (const auto& [name, status] : kStatuses) {
    if (name == code) return status;
  }
  return 500;
}

http::Response ErrorResponse(const RegistryError& error) {
  http::Response res;
  res.status = StatusOf(error.code());
  // MANIFEST_TOO_LARGE is Berth's name for the 413 case; on the wire it is
  // MANIFEST_INVALID, as distribution sends it.
  const std::string code = error.code() == "MANIFEST_TOO_LARGE" ? "MANIFEST_INVALID" : error.code();
  nlohmann::json item = {{"code", code}, {"message", error.what()}};
  if (!error.detail().empty()) item["detail"] = error.detail();
  res.body = util::WireJson(nlohmann::json{{"errors", nlohmann::json::array({item})}});
  res.headers.Add("Content-Type", "application/json");
  res.headers.Add("Docker-Distribution-API-Version", "registry/2.0");
  return res;
}

RegistryError FromImageError(const ecr::ImageError& error) {
  using ErrorKind = ecr::ImageError::Kind;
  const char* code = "UNKNOWN";
  switch (error.kind()) {
    case ErrorKind::kRepositoryNotFound:
      code = "NAME_UNKNOWN";
      break;
    case ErrorKind::kNameInvalid:
      code = "NAME_INVALID";
      break;
    case ErrorKind::kManifestInvalid:
    case ErrorKind::kMediaTypeMismatch:
    case ErrorKind::kReferencedByIndex:
      code = "MANIFEST_INVALID";
      break;
    case ErrorKind::kManifestBlobUnknown:
    case ErrorKind::kManifestChildUnknown:
      code = "MANIFEST_BLOB_UNKNOWN";
      break;
    case ErrorKind::kManifestUnknown:
      code = "MANIFEST_UNKNOWN";
      break;
    case ErrorKind::kManifestTooLarge:
      code = "MANIFEST_TOO_LARGE";
      break;
    case ErrorKind::kDigestInvalid:
      code = "DIGEST_INVALID";
      break;
    case ErrorKind::kTagInvalid:
    case ErrorKind::kTagImmutable:
    case ErrorKind::kImageAlreadyExists:
      code = "TAG_INVALID";
      break;
    case ErrorKind::kBlobUnknown:
      code = "BLOB_UNKNOWN";
      break;
    case ErrorKind::kUploadUnknown:
      code = "BLOB_UPLOAD_UNKNOWN";
      break;
    case ErrorKind::kUploadBusy:
    case ErrorKind::kRangeInvalid:
      code = "RANGE_INVALID";
      break;
    case ErrorKind::kSizeInvalid:
      code = "SIZE_INVALID";
      break;
    case ErrorKind::kUnsupported:
    case ErrorKind::kClassUnsupported:
      code = "UNSUPPORTED";
      break;
    case ErrorKind::kStorage:
      code = "UNKNOWN";
      break;
  }
  return RegistryError(code, error.what(), error.detail());
}

http::Response ServerFault(const std::exception& error) {
  const auto cause = storage::OutOfSpaceMessage(error);
  if (!cause)
    return ErrorResponse(RegistryError("UNKNOWN", "internal error in Berth; see its log"));
  // 507 Insufficient Storage (RFC 4918). docker shows only the status line of
  // a 5xx, so the reason phrase names the cause; with "no space left on
  // device" in it docker also stops retrying the push.
  http::Response res = ErrorResponse(RegistryError("UNKNOWN", *cause));
  res.status = 507;
  res.reason = "Insufficient Storage: " + std::string(storage::kNoSpaceLeft);
  return res;
}

}  // namespace berth::registry
