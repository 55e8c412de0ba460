// The ECR operations of lifecycle previews and image storage classes:
// StartLifecyclePolicyPreview, GetLifecyclePolicyPreview and
// UpdateImageStorageClass (EcrApi members; the rules are LifecycleService's).

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "server/aws/json_params.h"
#include "server/aws/pagination.h"
#include "server/ecr/ecr_api.h"
#include "server/ecr/ecr_errors.h"
#include "server/ecr/image_error.h"
#include "server/ecr/lifecycle_errors.h"
#include "server/ecr/lifecycle_service.h"

namespace berth::ecr {
namespace {

using aws::Has;
using aws::OptionalString;
using aws::RequiredString;
using nlohmann::json;
using storage::Partition;

constexpr size_t kPreviewPageSize = 100;
constexpr std::string_view kPreviewListing = "ecr.lifecycle-preview";

json PreviewResultJson(const PreviewImage& image) {
  json out = {{"imageDigest", image.digest}, {"imagePushedAt", image.pushed_at}};
  if (!image.tags.empty()) out["imageTags"] = image.tags;
  out["action"] = image.transition ? json{{"type", "TRANSITION"}, {"targetStorageClass", "ARCHIVE"}}
                                   : json{{"type", "EXPIRE"}};
  out["appliedRulePriority"] = image.rule_priority;
  out["storageClass"] = image.archived ? "ARCHIVE" : "STANDARD";
  return out;
}

json SummaryJson(const std::vector<PreviewImage>& images) {
  const auto transitioning = std::count_if(images.begin(), images.end(),
                                           [](const PreviewImage& i) { return i.transition; });
  json summary = {{"expiringImageTotalCount", static_cast<int64_t>(images.size()) - transitioning}};
  if (transitioning > 0) {
    summary["transitioningImageTotalCounts"] =
        json::array({{{"targetStorageClass", "ARCHIVE"}, {"imageTotalCount", transitioning}}});
  }
  return summary;
}

// Whether the result is one of the image ids asked for.
bool Named(const PreviewImage& image, const json& ids) {
  for (const auto& id : ids) {
    const auto digest = OptionalString(id, "imageDigest");
    const auto tag = OptionalString(id, "imageTag");
    if (!digest && !tag) continue;
    if (digest && *digest != image.digest) continue;
    if (tag && std::find(image.tags.begin(), image.tags.end(), *tag) == image.tags.end()) continue;
    return true;
  }
  return false;
}

}  // namespace

LifecycleService& EcrApi::lifecycle() {
  if (lifecycle_ == nullptr) throw ServerException("lifecycle evaluation is not running");
  return *lifecycle_;
}

json EcrApi::StartLifecyclePolicyPreview(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const Preview preview =
      lifecycle().StartPreview(registry, name, OptionalString(in, "lifecyclePolicyText"));
  return {{"registryId", registry.account_id},
          {"repositoryName", name},
          {"lifecyclePolicyText", preview.policy_text},
          {"status", preview.status}};
}

json EcrApi::GetLifecyclePolicyPreview(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  if (Has(in, "imageIds") && Has(in, "maxResults")) {
    throw InvalidParameterAt("maxResults",
                             "maxResults can not be specified together with imageIds");
  }
  const Preview preview = lifecycle().GetPreview(registry, name);
  json out = {{"registryId", registry.account_id},
              {"repositoryName", name},
              {"lifecyclePolicyText", preview.policy_text},
              {"status", preview.status}};
  if (preview.status != "COMPLETE") return out;

  const auto tag_status =
      OptionalString(Has(in, "filter") ? in.at("filter") : json::object(), "tagStatus");
  std::vector<const PreviewImage*> selected;
  for (const auto& image : preview.images) {
    if (tag_status == "TAGGED" && image.tags.empty()) continue;
    if (tag_status == "UNTAGGED" && !image.tags.empty()) continue;
    if (Has(in, "imageIds") && !Named(image, in.at("imageIds"))) continue;
    selected.push_back(&image);
  }
  size_t start = 0;
  if (const auto token = OptionalString(in, "nextToken")) {
    const auto key = aws::DecodePageToken(kPreviewListing, *token);
    if (!key || key->empty() ||
        !std::all_of(key->begin(), key->end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw InvalidParameterAt("nextToken", "Invalid NextToken");
    }
    start = std::min(selected.size(), static_cast<size_t>(std::stoull(*key)));
  }
  const auto max = aws::OptionalInt(in, "maxResults");
  const size_t limit = max ? static_cast<size_t>(*max) : kPreviewPageSize;
  const size_t end = std::min(selected.size(), start + limit);
  json results = json::array();
  for (size_t i = start; i < end; ++i) results.push_back(PreviewResultJson(*selected[i]));
  out["previewResults"] = std::move(results);
  if (end < selected.size()) {
    out["nextToken"] = aws::EncodePageToken(kPreviewListing, std::to_string(end));
  }
  out["summary"] = SummaryJson(preview.images);
  return out;
}

json EcrApi::UpdateImageStorageClass(const json& in, const Context& context) {
  const Partition registry = RegistryOf(in, context);
  const std::string name = RequiredString(in, "repositoryName");
  const json& id_json = in.at("imageId");
  const ImageId id{OptionalString(id_json, "imageDigest"), OptionalString(id_json, "imageTag")};
  if (!id.digest && !id.tag) {
    throw InvalidParameterException(
        "Invalid request parameters: both tag and digest cannot be null");
  }
  StorageClassChange change;
  try {
    change = lifecycle().UpdateStorageClass(registry, name, id,
                                            RequiredString(in, "targetStorageClass"));
  } catch (const ImageError& e) {
    switch (e.kind()) {
      case ImageError::Kind::kRepositoryNotFound:
        throw RepositoryNotFoundException(name, registry.account_id);
      case ImageError::Kind::kManifestUnknown:
        throw ImageNotFoundException(e.what());
      case ImageError::Kind::kClassUnsupported:
        throw ImageStorageClassUpdateNotSupportedException(e.what());
      default:
        throw ServerException(e.what());
    }
  }
  json image_id = {{"imageDigest", change.digest}};
  if (id.tag) image_id["imageTag"] = *id.tag;
  return {{"registryId", registry.account_id},
          {"repositoryName", name},
          {"imageId", std::move(image_id)},
          {"imageStatus", change.status}};
}

}  // namespace berth::ecr
