// The registry's blob routes: GET/HEAD (with Range) of blobs (DELETE is
// refused in registry.cc, as ECR refuses it), and upload sessions (POST to
// start, mount or upload in one request; PATCH to append; PUT to finish; GET
// for status; DELETE to cancel).

#include <charconv>
#include <system_error>

#include "server/ecr/blob_mounting.h"
#include "server/ecr/digest.h"
#include "server/ecr/image_error.h"
#include "server/registry/pull_through_cache.h"
#include "server/registry/registry.h"
#include "server/registry/registry_error.h"
#include "server/registry/registry_support.h"

namespace berth::registry {
namespace {

using Kind = Route::Kind;

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};

std::optional<uint64_t> Number(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A "Range: bytes=..." request for a blob of `size` bytes. nullopt when the
// whole blob should be sent (no header, or several ranges); throws
// RANGE_INVALID (416) when the range cannot be satisfied.
std::optional<ByteRange> ParseRange(std::string_view header, uint64_t size) {
  if (header.empty()) return std::nullopt;
  if (!header.starts_with("bytes=")) return std::nullopt;
  const std::string_view spec = header.substr(6);
  if (spec.find(',') != std::string_view::npos) return std::nullopt;
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) throw RegistryError("RANGE_INVALID", "malformed range");
  const std::string_view a = spec.substr(0, dash);
  const std::string_view b = spec.substr(dash + 1);
  ByteRange range;
  if (a.empty()) {  // the last N bytes
    const auto n = Number(b);
    if (!n || *n == 0 || size == 0) throw RegistryError("RANGE_INVALID", "unsatisfiable range");
    range.first = size - std::min(*n, size);
    range.last = size - 1;
    return range;
  }
  const auto first = Number(a);
  const auto last = b.empty() ? std::optional<uint64_t>(size == 0 ? 0 : size - 1) : Number(b);
  if (!first || !last || *first > *last || *first >= size) {
    throw RegistryError("RANGE_INVALID", "unsatisfiable range");
  }
  range.first = *first;
  range.last = std::min(*last, size - 1);
  return range;
}

// "first-last" of a PATCH's Content-Range (inclusive, no unit).
std::optional<ByteRange> ParseContentRange(std::string_view header) {
  if (header.starts_with("bytes ")) header.remove_prefix(6);
  const auto slash = header.find('/');
  if (slash != std::string_view::npos) header = header.substr(0, slash);
  const auto dash = header.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto first = Number(header.substr(0, dash));
  const auto last = Number(header.substr(dash + 1));
  if (!first || !last || *first > *last) return std::nullopt;
  return ByteRange{*first, *last};
}

std::string RangeHeader(uint64_t size) { return "0-" + std::to_string(size == 0 ? 0 : size - 1); }

http::Response UploadReply(unsigned status, const std::string& name, const std::string& uuid,
                           uint64_t size) {
  http::Response res = Reply(status);
  res.headers.Add("Location", "/v2/" + name + "/blobs/uploads/" + uuid);
  res.headers.Add("Range", RangeHeader(size));
  res.headers.Add("Docker-Upload-UUID", uuid);
  return res;
}

http::Response BlobCreated(const std::string& name, const std::string& digest) {
  http::Response res = Reply(201);
  res.headers.Add("Location", "/v2/" + name + "/blobs/" + digest);
  res.headers.Add("Docker-Content-Digest", digest);
  return res;
}

// A plan that refuses the request with `reply`. The limit lets any body
// reach the sink, which refuses its first piece; a smaller limit would make
// the session answer 413 instead of the refusal.
http::BodyPlan Refuse(http::Response reply) {
  return {UINT64_MAX, std::make_shared<RefusalSink>(std::move(reply))};
}

std::string RequireDigest(const std::optional<std::string>& digest) {
  if (!digest || digest->empty()) throw RegistryError("DIGEST_INVALID", "digest missing");
  // Malformed or of another algorithm: a client error (400), never UNSUPPORTED,
  // whose 405 would say the method is not allowed.
  if (!ecr::ParseDigest(*digest)) {
    throw RegistryError("DIGEST_INVALID",
                        "invalid digest; Berth stores sha256 and sha512 digests only", *digest);
  }
  return *digest;
}

// The sink a PATCH or PUT on a session streamed into, if the session still
// exists: a DELETE may have cancelled it while the body was arriving, and
// then the request fails as if it had come after the DELETE.
// A request whose body did not reach its session file: the disk's own error
// (e.g. ENOSPC, which the registry answers as out of space) when it refused
// the bytes, else the connection ended early.
[[noreturn]] void ThrowNotStored(const UploadSink& sink) {
  if (sink.error() != 0) {
    throw std::system_error(sink.error(), std::generic_category(), "could not store the upload");
  }
  throw RegistryError("UNKNOWN", "could not store the upload");
}

UploadSink& RequireLiveSink(const http::Request& request, const Route& route) {
  auto* sink = dynamic_cast<UploadSink*>(request.sink.get());
  if (sink == nullptr || sink->cancelled()) {
    throw RegistryError("BLOB_UPLOAD_UNKNOWN", "blob upload unknown", route.reference);
  }
  return *sink;
}

}  // namespace

http::Response Registry::GetBlob(const http::Request& request, const Route& route,
                                 const storage::Partition& registry) {
  RequireRepository(registry, route.name);
  if (!ecr::ParseDigest(route.reference)) {
    throw RegistryError(ecr::LooksLikeDigest(route.reference) ? "BLOB_UNKNOWN" : "DIGEST_INVALID",
                        "invalid or unknown digest", route.reference);
  }
  if (pull_through_ != nullptr) {
    if (auto streamed = pull_through_->ServeBlob(registry, route.name, route.reference,
                                                 request.method == "HEAD")) {
      return std::move(*streamed);
    }
  }
  const auto size = static_cast<uint64_t>(images_.BlobSize(registry, route.name, route.reference));
  http::Response res = Reply(200);
  res.headers.Add("Docker-Content-Digest", route.reference);
  res.headers.Add("Accept-Ranges", "bytes");
  res.headers.Add("Content-Type", "application/octet-stream");
  res.headers.Add("ETag", "\"" + route.reference + "\"");
  if (request.method == "HEAD") {
    res.head_length = size;
    return res;
  }
  std::optional<ByteRange> range;
  try {
    range = ParseRange(request.headers.Get("Range").value_or(""), size);
  } catch (const RegistryError&) {
    http::Response unsatisfiable = Reply(416);
    unsatisfiable.headers.Add("Content-Range", "bytes */" + std::to_string(size));
    return unsatisfiable;
  }
  const uint64_t offset = range ? range->first : 0;
  const uint64_t length = range ? range->last - range->first + 1 : size;
  auto region =
      http::OpenFileRegion(images_.blobs().BlobPath(route.reference).string(), offset, length);
  if (!region) throw RegistryError("BLOB_UNKNOWN", "blob content missing", route.reference);
  if (range) {
    res.status = 206;
    res.headers.Add("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                         std::to_string(range->last) + "/" + std::to_string(size));
  }
  res.file = std::move(region);
  return res;
}

http::BodyPlan Registry::PlanUpload(const http::Request& head, const Route& route) {
  const bool monolithic = route.kind == Kind::kUploads && head.method == "POST" &&
                          QueryParam(head.Query(), "digest").has_value() &&
                          !QueryParam(head.Query(), "mount").has_value();
  const bool appending =
      route.kind == Kind::kUpload && (head.method == "PATCH" || head.method == "PUT");
  if (!monolithic && !appending) return {64 * 1024, nullptr};
  try {
    const storage::Partition registry = Authenticate(head);
    const auto repo = monolithic ? RequirePushRepository(registry, route.name)
                                 : RequireRepository(registry, route.name);
    const double now = clock_.Now();
    std::string uuid;
    if (monolithic) {
      RequireDigest(QueryParam(head.Query(), "digest"));
      uuid = uploads_.Start(repo.id, now).uuid;
    } else {
      if (!IsValidUploadId(route.reference)) {
        throw RegistryError("BLOB_UPLOAD_UNKNOWN", "blob upload unknown", route.reference);
      }
      uuid = route.reference;
      const auto session = uploads_.Find(uuid, repo.id);
      if (!session) throw RegistryError("BLOB_UPLOAD_UNKNOWN", "blob upload unknown", uuid);
      // The closing PUT's digest is checked before any byte of its body is
      // taken: a refused PUT leaves the session as it was.
      if (head.method == "PUT") RequireDigest(QueryParam(head.Query(), "digest"));
      if (const auto header = head.headers.Get("Content-Range")) {
        const auto range = ParseContentRange(*header);
        const auto length = head.headers.Get("Content-Length");
        const bool consistent = range && range->first == session->size &&
                                (!length || Number(*length) == range->last - range->first + 1);
        if (!consistent) {
          // Out of order or inconsistent: the session stays usable.
          http::Response res = UploadReply(416, route.name, uuid, session->size);
          return Refuse(std::move(res));
        }
      }
    }
    auto writer = uploads_.OpenWriter(uuid, repo.id, now);
    return {UINT64_MAX, std::make_shared<UploadSink>(std::move(writer), uuid)};
  } catch (const RegistryError& error) {
    // Handle() turns a 401 into ECR's challenge.
    return Refuse(ErrorResponse(error));
  } catch (const ecr::ImageError& error) {
    return Refuse(ErrorResponse(FromImageError(error)));
  }
}

http::Response Registry::StartUpload(const http::Request& request, const Route& route,
                                     const storage::Partition& registry) {
  const auto repo = RequirePushRepository(registry, route.name);
  const double now = clock_.Now();
  if (auto* sink = dynamic_cast<UploadSink*>(request.sink.get())) {
    // One-request upload: the body was the whole blob.
    const std::string digest = RequireDigest(QueryParam(request.Query(), "digest"));
    if (!request.body_complete) ThrowNotStored(*sink);
    sink->Release();
    uploads_.Complete(sink->uuid(), repo.id, digest, now);
    return BlobCreated(route.name, digest);
  }
  if (const auto mount = QueryParam(request.Query(), "mount")) {
    const auto from = QueryParam(request.Query(), "from");
    // ECR's rule (BLOB_MOUNTING, same encryption, a referenced blob; see
    // blob_mounting.h); otherwise, or without `from`, a normal upload.
    if (ecr::ParseDigest(*mount) && from && IsValidRepositoryName(*from) &&
        ecr::MountBlob(ecr_.database(), uploads_, registry, repo, *from, *mount, now)) {
      return BlobCreated(route.name, *mount);
    }
  }
  const ecr::UploadSession session = uploads_.Start(repo.id, now);
  return UploadReply(202, route.name, session.uuid, 0);
}

http::Response Registry::UploadStatus(const Route& route, const storage::Partition& registry) {
  const auto repo = RequireRepository(registry, route.name);
  const auto session =
      IsValidUploadId(route.reference) ? uploads_.Find(route.reference, repo.id) : std::nullopt;
  if (!session) throw RegistryError("BLOB_UPLOAD_UNKNOWN", "blob upload unknown", route.reference);
  return UploadReply(204, route.name, session->uuid, session->size);
}

http::Response Registry::PatchUpload(const http::Request& request, const Route& route,
                                     const storage::Partition& registry) {
  UploadSink& sink = RequireLiveSink(request, route);
  (void)registry;
  if (!request.body_complete) ThrowNotStored(sink);
  const uint64_t size = sink.size();
  sink.Release();
  return UploadReply(202, route.name, sink.uuid(), size);
}

http::Response Registry::FinishUpload(const http::Request& request, const Route& route,
                                      const storage::Partition& registry) {
  UploadSink& sink = RequireLiveSink(request, route);
  if (!request.body_complete) ThrowNotStored(sink);
  sink.Release();
  const auto repo = RequireRepository(registry, route.name);
  const std::string digest = RequireDigest(QueryParam(request.Query(), "digest"));
  // A digest that does not match ends the session, as distribution does
  // (UploadService::Complete); the client starts over with a POST.
  uploads_.Complete(sink.uuid(), repo.id, digest, clock_.Now());
  return BlobCreated(route.name, digest);
}

http::Response Registry::CancelUpload(const Route& route, const storage::Partition& registry) {
  const auto repo = RequireRepository(registry, route.name);
  if (!IsValidUploadId(route.reference)) {
    throw RegistryError("BLOB_UPLOAD_UNKNOWN", "blob upload unknown", route.reference);
  }
  uploads_.Cancel(route.reference, repo.id);
  return Reply(204);
}

}  // namespace berth::registry
