// The ECR JSON API's image and layer operations: ListImages, DescribeImages,
// BatchGetImage, BatchDeleteImage, PutImage, the layer upload API, scanning
// and referrers. They act on the same ImageService and UploadService as the
// registry protocol, so an image pushed with docker shows up here and one put
// here can be pulled with docker. Each handler reads its input, calls the
// services and shapes the reply; ImageError and LayerUploadError become
// ECR's named exceptions here.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/aws/json_params.h"
#include "server/aws/pagination.h"
#include "server/ecr/auth_token.h"
#include "server/ecr/ecr_api.h"
#include "server/ecr/ecr_errors.h"
#include "server/ecr/image_error.h"
#include "server/ecr/image_service.h"
#include "server/ecr/lifecycle_errors.h"
#include "server/ecr/upload_service.h"
#include "server/ecr/upstream_images.h"
#include "server/util/crypto.h"

namespace berth::ecr {
namespace {

using aws::Has;
using aws::Member;
using aws::OptionalString;
using aws::RequiredString;
using nlohmann::json;
using storage::ImageRecord;
using storage::Partition;
using ErrorKind = ImageError::Kind;

constexpr size_t kImagePageSize = 100;
constexpr size_t kDefaultReferrerPageSize = 50;
// What BatchCheckLayerAvailability reports for every available blob.
constexpr std::string_view kLayerMediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip";
constexpr std::string_view kScanCompleteDescription = "The scan was completed successfully.";
constexpr std::string_view kImageListing = "ecr.images";
constexpr std::string_view kImageDetailListing = "ecr.image-details";
constexpr std::string_view kReferrerListing = "ecr.referrers";

// " in the repository with name 'R' in the registry with id 'A'"
std::string Where(const std::string& repository, const Partition& registry) {
  return " in the repository with name '" + repository + "' in the registry with id '" +
         registry.account_id + "'";
}

// The AWS error for an ImageError that the operation has no rule of its own
// for.
AwsError FromImageError(const ImageError& e, const std::string& repository,
                        const Partition& registry) {
  switch (e.kind()) {
    case ErrorKind::kRepositoryNotFound:
      return RepositoryNotFoundException(repository, registry.account_id);
    case ErrorKind::kManifestInvalid:
    case ErrorKind::kManifestTooLarge:
    case ErrorKind::kUnsupported:
      return InvalidParameterAt("ImageManifest", e.what());
    case ErrorKind::kMediaTypeMismatch:
      return InvalidParameterAt("imageManifestMediaType", e.what());
    case ErrorKind::kManifestBlobUnknown:
      return LayersNotFoundException("Layers with digests '[" + e.detail() +
                                     "]' required for pushing image into repository with name '" +
                                     repository + "' in the registry with id '" +
                                     registry.account_id + "' do not exist");
    case ErrorKind::kManifestChildUnknown:
      return ReferencedImagesNotFoundException(
          "Manifests with digests '[" + e.detail() +
          "]' required for pushing image into repository with name '" + repository +
          "' in the registry with id '" + registry.account_id + "' do not exist");
    case ErrorKind::kManifestUnknown:
      return ImageNotFoundException(e.what());
    case ErrorKind::kTagInvalid:
      return InvalidParameterAt(
          "imageTag", "must satisfy regular expression '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}'");
    case ErrorKind::kTagImmutable:
      return ImageTagAlreadyExistsException(e.what());
    case ErrorKind::kImageAlreadyExists:
      return ImageAlreadyExistsException(e.what());
    case ErrorKind::kBlobUnknown:
      return LayersNotFoundException("The layer with digest '" + e.detail() + "' does not exist" +
                                     Where(repository, registry));
    case ErrorKind::kUploadUnknown:
      return UploadNotFoundException("The upload with id '" + e.detail() + "' does not exist" +
                                     Where(repository, registry));
    case ErrorKind::kNameInvalid:
    case ErrorKind::kDigestInvalid:
    case ErrorKind::kReferencedByIndex:
    case ErrorKind::kUploadBusy:
    case ErrorKind::kRangeInvalid:
    case ErrorKind::kSizeInvalid:
      return InvalidParameterException(e.what());
    case ErrorKind::kStorage:
      return ServerException(e.what());
    case ErrorKind::kClassUnsupported:
      return ImageStorageClassUpdateNotSupportedException(e.what());
  }
  return ServerException(e.what());
}

size_t PageSize(const json& in, size_t fallback) {
  const auto max = aws::OptionalInt(in, "maxResults");
  return max ? static_cast<size_t>(*max) : fallback;
}

// The resume key inside `nextToken` (empty without one).
std::string ResumeKey(const json& in, std::string_view listing) {
  const auto token = OptionalString(in, "nextToken");
  if (!token) return "";
  auto key = aws::DecodePageToken(listing, *token);
  if (!key) throw InvalidParameterAt("nextToken", "Invalid NextToken");
  return std::move(*key);
}

void SetNextToken(json& out, std::string_view listing, const std::string& next) {
  if (!next.empty()) out["nextToken"] = aws::EncodePageToken(listing, next);
}

// filter.tagStatus: TAGGED → true, UNTAGGED → false, ANY (or none) → all.
std::optional<bool> TagFilter(const json& filter) {
  const auto status = OptionalString(filter, "tagStatus");
  if (status == "TAGGED") return true;
  if (status == "UNTAGGED") return false;
  return std::nullopt;
}

// filter.imageStatus: the status to list (ACTIVE when absent), nullopt for ANY.
std::optional<std::string> StatusFilter(const json& filter) {
  const auto status = OptionalString(filter, "imageStatus");
  if (!status) return "ACTIVE";
  if (*status == "ANY") return std::nullopt;
  return status;
}

// Referrers are never archived on their own in Berth: every one is ACTIVE, so
// an artifactStatus filter selects all of them or none.
bool SelectsActive(const json& filter, const char* member) {
  const auto status = OptionalString(filter, member);
  return !status || *status == "ACTIVE" || *status == "ANY";
}

ImageId ReadImageId(const json& id) {
  return {OptionalString(id, "imageDigest"), OptionalString(id, "imageTag")};
}

std::vector<ImageId> ReadImageIds(const json& list) {
  std::vector<ImageId> ids;
  for (const auto& id : list) ids.push_back(ReadImageId(id));
  return ids;
}

json ImageIdJson(const ImageId& id) {
  json out = json::object();
  if (id.digest) out["imageDigest"] = *id.digest;
  if (id.tag) out["imageTag"] = *id.tag;
  return out;
}

json FailureJson(const RefusedImageId& refused) {
  const char* code = "ImageNotFound";
  std::string reason = "Requested image not found";
  switch (refused.failure) {
    case ImageIdFailure::kMissingDigestAndTag:
      code = "MissingDigestAndTag";
      reason = "Invalid request parameters: both tag and digest cannot be null";
      break;
    case ImageIdFailure::kInvalidDigest:
      code = "InvalidImageDigest";
      reason =
          "Invalid request parameters: image digest should be a sha256 or sha512 digest "
          "(lowercase hex)";
      break;
    case ImageIdFailure::kInvalidTag:
      code = "InvalidImageTag";
      reason =
          "Invalid request parameters: image tag should satisfy the regex "
          "'[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}'";
      break;
    case ImageIdFailure::kNotFound:
      break;
    case ImageIdFailure::kTagDigestMismatch:
      code = "ImageTagDoesNotMatchDigest";
      reason = "Invalid request parameters: image tag digest did not match image digest";
      break;
    case ImageIdFailure::kReferencedByIndex:
      code = "ImageReferencedByManifestList";
      reason =
          "Requested image is referenced by a manifest list or image index in the "
          "repository";
      break;
    case ImageIdFailure::kArchived:
      reason = "Requested image is archived; restore it before pulling";
      break;
    case ImageIdFailure::kMediaTypeNotAccepted:
      reason =
          "Requested image not found: its manifest media type is not among the "
          "acceptedMediaTypes";
      break;
  }
  return {{"imageId", ImageIdJson(refused.id)}, {"failureCode", code}, {"failureReason", reason}};
}

json ScanStatusJson() {
  return {{"status", "COMPLETE"}, {"description", kScanCompleteDescription}};
}

json ImageDetailJson(const Partition& registry, const std::string& repository,
                     const ImageRecord& image) {
  json d = {{"registryId", registry.account_id},
            {"repositoryName", repository},
            {"imageDigest", image.digest}};
  if (!image.tags.empty()) d["imageTags"] = image.tags;
  d["imageSizeInBytes"] = image.image_size;
  d["imagePushedAt"] = image.pushed_at;
  d["imageManifestMediaType"] = image.media_type;
  if (image.artifact_media_type) d["artifactMediaType"] = *image.artifact_media_type;
  if (image.last_pulled_at) d["lastRecordedPullTime"] = *image.last_pulled_at;
  if (image.scanned_at) {
    d["imageScanStatus"] = ScanStatusJson();
    d["imageScanFindingsSummary"] = {{"imageScanCompletedAt", *image.scanned_at},
                                     {"vulnerabilitySourceUpdatedAt", *image.scanned_at},
                                     {"findingSeverityCounts", json::object()}};
  }
  if (image.subject_digest) d["subjectManifestDigest"] = *image.subject_digest;
  d["imageStatus"] = image.image_status;
  if (image.last_archived_at) d["lastArchivedAt"] = *image.last_archived_at;
  if (image.last_activated_at) d["lastActivatedAt"] = *image.last_activated_at;
  return d;
}

// The imageId a scan reply names: the digest, and the tag when one was asked.
json ScannedImageId(const ImageRecord& image, const ImageId& asked) {
  return ImageIdJson(ImageId{image.digest, asked.tag});
}

}  // namespace

json EcrApi::ListImages(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const json& filter = Member(in, "filter");
  const std::string after = ResumeKey(in, kImageListing);
  ImagePage<ImageId> page;
  try {
    page = service_.images().ListImageIds(registry, name, TagFilter(filter), after,
                                          PageSize(in, kImagePageSize), StatusFilter(filter));
  } catch (const ImageError& e) {
    throw FromImageError(e, name, registry);
  }
  json ids = json::array();
  for (const auto& id : page.items) ids.push_back(ImageIdJson(id));
  json out = {{"imageIds", std::move(ids)}};
  SetNextToken(out, kImageListing, page.next);
  return out;
}

json EcrApi::DescribeImages(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const json& filter = Member(in, "filter");
  std::vector<ImageRecord> records;
  json out = json::object();
  try {
    if (Has(in, "imageIds")) {
      if (Has(in, "maxResults")) {
        throw InvalidParameterAt("maxResults",
                                 "maxResults can not be specified together with imageIds");
      }
      records = service_.images().DescribeImages(registry, name, ReadImageIds(in.at("imageIds")));
    } else {
      const std::string after = ResumeKey(in, kImageDetailListing);
      auto page =
          service_.images().ListImageRecords(registry, name, TagFilter(filter), after,
                                             PageSize(in, kImagePageSize), StatusFilter(filter));
      records = std::move(page.items);
      SetNextToken(out, kImageDetailListing, page.next);
    }
  } catch (const ImageError& e) {
    throw FromImageError(e, name, registry);
  }
  json details = json::array();
  for (const auto& image : records) details.push_back(ImageDetailJson(registry, name, image));
  out["imageDetails"] = std::move(details);
  return out;
}

json EcrApi::BatchGetImage(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const std::vector<ImageId> ids = ReadImageIds(in.at("imageIds"));
  // Pull-through: import the uncached tags first (upstream_images.h).
  const UpstreamImports upstream = ImportUpstreamImages(importer_, registry, name, ids);
  FetchedImages fetched;
  try {
    fetched =
        service_.images().GetImages(registry, name, ids, aws::StringList(in, "acceptedMediaTypes"),
                                    context.now, context.principal_arn);
  } catch (const ImageError& e) {
    if (!upstream.covered || e.kind() != ErrorKind::kRepositoryNotFound) {
      throw FromImageError(e, name, registry);
    }
    // Under a rule, the upstream simply had none of them.
    for (const auto& id : ids) fetched.failures.push_back({id, ImageIdFailure::kNotFound});
  }
  json images = json::array();
  for (const auto& image : fetched.images) {
    images.push_back({{"registryId", registry.account_id},
                      {"repositoryName", name},
                      {"imageId", ImageIdJson(image.id)},
                      {"imageManifest", image.manifest.bytes},
                      {"imageManifestMediaType", image.manifest.media_type}});
  }
  json failures = json::array();
  for (const auto& refused : fetched.failures) {
    const auto why =
        refused.id.tag ? upstream.failures.find(*refused.id.tag) : upstream.failures.end();
    failures.push_back(why != upstream.failures.end() ? why->second : FailureJson(refused));
  }
  return {{"images", std::move(images)}, {"failures", std::move(failures)}};
}

json EcrApi::BatchDeleteImage(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  DeletedImages result;
  try {
    result = service_.images().DeleteImages(registry, name, ReadImageIds(in.at("imageIds")),
                                            context.now);
  } catch (const ImageError& e) {
    throw FromImageError(e, name, registry);
  }
  // One entry per removed tag; an untagged image is named by its digest.
  json ids = json::array();
  for (const auto& deleted : result.deleted) {
    if (deleted.tags.empty()) ids.push_back({{"imageDigest", deleted.digest}});
    for (const auto& tag : deleted.tags) {
      ids.push_back({{"imageDigest", deleted.digest}, {"imageTag", tag}});
    }
  }
  json failures = json::array();
  for (const auto& refused : result.failures) failures.push_back(FailureJson(refused));
  return {{"imageIds", std::move(ids)}, {"failures", std::move(failures)}};
}

json EcrApi::PutImage(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const std::string manifest = RequiredString(in, "imageManifest");
  const std::optional<std::string> tag = OptionalString(in, "imageTag");
  PutManifestResult put;
  try {
    put = service_.images().PutImage(
        registry, name, manifest, OptionalString(in, "imageManifestMediaType").value_or(""),
        tag.value_or(""), OptionalString(in, "imageDigest").value_or(""), context.now);
  } catch (const ImageError& e) {
    if (e.kind() == ErrorKind::kDigestInvalid) throw ImageDigestDoesNotMatchException(e.what());
    throw FromImageError(e, name, registry);
  }
  return {{"image",
           {{"registryId", registry.account_id},
            {"repositoryName", name},
            {"imageId", ImageIdJson(ImageId{put.digest, tag})},
            {"imageManifest", manifest},
            {"imageManifestMediaType", put.media_type}}}};
}

json EcrApi::BatchCheckLayerAvailability(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  std::vector<LayerCheck> checks;
  try {
    checks = service_.images().CheckLayers(registry, name, aws::StringList(in, "layerDigests"));
  } catch (const ImageError& e) {
    throw FromImageError(e, name, registry);
  }
  json layers = json::array();
  json failures = json::array();
  for (const auto& check : checks) {
    if (!check.valid) {
      failures.push_back({{"layerDigest", check.digest},
                          {"failureCode", "InvalidLayerDigest"},
                          {"failureReason", "Invalid layer digest"}});
    } else if (!check.size) {
      failures.push_back({{"layerDigest", check.digest},
                          {"failureCode", "MissingLayerDigest"},
                          {"failureReason", "Could not find layer"}});
    } else {
      layers.push_back({{"layerDigest", check.digest},
                        {"layerAvailability", "AVAILABLE"},
                        {"layerSize", *check.size},
                        {"mediaType", kLayerMediaType}});
    }
  }
  return {{"layers", std::move(layers)}, {"failures", std::move(failures)}};
}

json EcrApi::InitiateLayerUpload(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  try {
    ImageService& images = service_.images();
    const auto repository = images.Repository(registry, name);
    const UploadSession session = images.uploads().Start(repository.id, context.now);
    return {{"uploadId", session.uuid},
            {"partSize", static_cast<int64_t>(UploadService::kPartBytes)}};
  } catch (const ImageError& e) {
    throw FromImageError(e, name, registry);
  }
}

json EcrApi::UploadLayerPart(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const std::string upload_id = RequiredString(in, "uploadId");
  const auto first = in.at("partFirstByte").get<int64_t>();
  const auto last = in.at("partLastByte").get<int64_t>();
  const auto data = crypto::Base64Decode(RequiredString(in, "layerPartBlob"));
  if (!data) throw InvalidParameterAt("layerPartBlob", "must be base64-encoded");
  uint64_t received = 0;
  try {
    ImageService& images = service_.images();
    const auto repository = images.Repository(registry, name);
    received = images.uploads().AppendPart(upload_id, repository.id, static_cast<uint64_t>(first),
                                           static_cast<uint64_t>(last), *data, context.now);
  } catch (const ImageError& e) {
    throw FromImageError(e, name, registry);
  } catch (const LayerUploadError& e) {
    // lastValidByteReceived + 1 is where the next part must start (-1 when
    // nothing was received yet).
    throw InvalidLayerPartException("Invalid layer part: " + std::string(e.what()))
        .With("registryId", registry.account_id)
        .With("repositoryName", name)
        .With("uploadId", upload_id)
        .With("lastValidByteReceived", static_cast<int64_t>(e.received()) - 1);
  }
  return {{"registryId", registry.account_id},
          {"repositoryName", name},
          {"uploadId", upload_id},
          {"lastByteReceived", static_cast<int64_t>(received) - 1}};
}

json EcrApi::CompleteLayerUpload(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const std::string upload_id = RequiredString(in, "uploadId");
  const std::vector<std::string> digests = aws::StringList(in, "layerDigests");
  if (digests.size() != 1) {
    throw InvalidParameterAt("layerDigests", "must name exactly one layer digest");
  }
  const std::string& digest = digests.front();
  try {
    ImageService& images = service_.images();
    const auto repository = images.Repository(registry, name);
    images.uploads().CompleteLayer(upload_id, repository.id, digest, context.now);
  } catch (const ImageError& e) {
    if (e.kind() == ErrorKind::kDigestInvalid || e.kind() == ErrorKind::kUploadBusy) {
      throw InvalidLayerException("The layer digest '" + digest +
                                  "' does not match the uploaded content of upload '" + upload_id +
                                  "': " + e.what());
    }
    throw FromImageError(e, name, registry);
  } catch (const LayerUploadError& e) {
    switch (e.kind()) {
      case LayerUploadError::Kind::kEmpty:
        throw EmptyUploadException("The upload with id '" + upload_id + "' contains no data" +
                                   Where(name, registry));
      case LayerUploadError::Kind::kAlreadyExists:
        throw LayerAlreadyExistsException("The layer with digest '" + digest + "' already exists" +
                                          Where(name, registry));
      case LayerUploadError::Kind::kPartTooSmall:
        throw LayerPartTooSmallException(
            "All layer parts except the last part should be at least 5MB");
      case LayerUploadError::Kind::kPartInvalid:
        break;
    }
    throw InvalidLayerPartException(e.what());
  }
  return {{"registryId", registry.account_id},
          {"repositoryName", name},
          {"uploadId", upload_id},
          {"layerDigest", digest}};
}

json EcrApi::GetDownloadUrlForLayer(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const std::string digest = RequiredString(in, "layerDigest");
  std::optional<LayerInfo> layer;
  try {
    FetchUpstreamLayer(importer_, registry, name, digest);  // pull-through (upstream_images.h)
    layer = service_.images().FindLayer(registry, name, digest);
  } catch (const ImageError& e) {
    throw FromImageError(e, name, registry);
  }
  if (!layer) {
    throw LayersNotFoundException("The layer with digest '" + digest + "' does not exist" +
                                  Where(name, registry));
  }
  if (!layer->referenced) {
    throw LayerInaccessibleException("The layer with digest '" + digest +
                                     "' is not referenced by any image" + Where(name, registry));
  }
  // Like ECR's pre-signed URL, it works without credentials for an hour.
  const std::string token = service_.tokens().IssueDownload(
      DownloadGrant{registry.account_id, registry.region, name, digest, 0},
      static_cast<int64_t>(context.now));
  return {{"downloadUrl", "http://" + service_.registry_host() + "/v2/" + name + "/blobs/" +
                              digest + "?" + std::string(kDownloadTokenParam) + "=" + token},
          {"layerDigest", digest}};
}

json EcrApi::StartImageScan(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const ImageId id = ReadImageId(in.at("imageId"));
  ImageRecord image;
  try {
    image = service_.images().ScanImage(registry, name, id, context.now);
  } catch (const ImageError& e) {
    throw FromImageError(e, name, registry);
  }
  return {{"registryId", registry.account_id},
          {"repositoryName", name},
          {"imageId", ScannedImageId(image, id)},
          {"imageScanStatus", ScanStatusJson()}};
}

json EcrApi::DescribeImageScanFindings(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const ImageId id = ReadImageId(in.at("imageId"));
  ImageRecord image;
  try {
    image = service_.images().FindImage(registry, name, id);
  } catch (const ImageError& e) {
    throw FromImageError(e, name, registry);
  }
  if (!image.scanned_at) {
    throw ScanNotFoundException("Image scan does not exist for the image with '" +
                                DescribeImageId(id) + "'" + Where(name, registry));
  }
  // Berth's scans find nothing: one page, no findings.
  return {{"registryId", registry.account_id},
          {"repositoryName", name},
          {"imageId", ScannedImageId(image, id)},
          {"imageScanStatus", ScanStatusJson()},
          {"imageScanFindings",
           {{"imageScanCompletedAt", *image.scanned_at},
            {"vulnerabilitySourceUpdatedAt", *image.scanned_at},
            {"findingSeverityCounts", json::object()},
            {"findings", json::array()}}}};
}

json EcrApi::ListImageReferrers(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const std::string subject = RequiredString(in.at("subjectId"), "imageDigest");
  const json& filter = Member(in, "filter");
  const std::string after = ResumeKey(in, kReferrerListing);
  ImagePage<ImageRecord> page;
  try {
    page = service_.images().ListReferrers(registry, name, subject,
                                           aws::StringList(filter, "artifactTypes"), after,
                                           PageSize(in, kDefaultReferrerPageSize));
  } catch (const ImageError& e) {
    if (e.kind() == ErrorKind::kDigestInvalid) {
      throw InvalidParameterAt("subjectId.imageDigest",
                               "must be a sha256 or sha512 digest (lowercase hex)");
    }
    throw FromImageError(e, name, registry);
  }
  if (!SelectsActive(filter, "artifactStatus")) page = {};
  json referrers = json::array();
  for (const auto& image : page.items) {
    json r = {
        {"digest", image.digest}, {"mediaType", image.media_type}, {"size", image.manifest_size}};
    if (const auto type = ArtifactType(image)) r["artifactType"] = *type;
    if (image.annotations) {
      json annotations = json::parse(*image.annotations);
      if (!annotations.empty()) r["annotations"] = std::move(annotations);
    }
    r["artifactStatus"] = "ACTIVE";
    referrers.push_back(std::move(r));
  }
  json out = {{"referrers", std::move(referrers)}};
  SetNextToken(out, kReferrerListing, page.next);
  return out;
}

}  // namespace berth::ecr
