// The ECR JSON API's per-image status operations of the registry features:
// DescribeImageReplicationStatus (one status per replication destination of
// the push, from ReplicationService's records) and DescribeImageSigningStatus
// (one status per signing profile, from SigningRecorder's records).

#include "server/aws/json_params.h"
#include "server/ecr/ecr_api.h"
#include "server/ecr/ecr_errors.h"
#include "server/ecr/image_error.h"
#include "server/ecr/registry_settings.h"
#include "storage/replication_store.h"

namespace berth::ecr {
namespace {

using aws::OptionalString;
using aws::RequiredString;
using nlohmann::json;
using storage::Partition;

// The image an imageId names, with the errors both operations declare.
storage::ImageRecord ResolveImage(EcrService& service, const Partition& registry,
                                  const std::string& repository, const ImageId& id) {
  try {
    return service.images().FindImage(registry, repository, id);
  } catch (const ImageError& e) {
    if (e.kind() == ImageError::Kind::kRepositoryNotFound) {
      throw RepositoryNotFoundException(repository, registry.account_id);
    }
    if (e.kind() == ImageError::Kind::kManifestUnknown) throw ImageNotFoundException(e.what());
    throw InvalidParameterException(e.what());
  }
}

ImageId ReadId(const json& in) {
  const json& id = in.at("imageId");
  return {OptionalString(id, "imageDigest"), OptionalString(id, "imageTag")};
}

json IdJson(const storage::ImageRecord& image, const ImageId& asked) {
  json out = {{"imageDigest", image.digest}};
  if (asked.tag) out["imageTag"] = *asked.tag;
  return out;
}

}  // namespace

json EcrApi::DescribeImageReplicationStatus(const json& in, const Context& context) {
  const Partition registry = EcrService::Registry(context, OptionalString(in, "registryId"));
  const std::string name = RequiredString(in, "repositoryName");
  const ImageId id = ReadId(in);
  const storage::ImageRecord image = ResolveImage(service_, registry, name, id);
  std::vector<storage::ReplicationRecord> records;
  {
    auto lease = service_.database().Acquire();
    records = storage::ReplicationStore(lease.db()).ForImage(registry, name, image.digest);
  }
  json statuses = json::array();
  for (const auto& r : records) {
    json status = {{"region", r.destination.region},
                   {"registryId", r.destination.account_id},
                   {"status", r.status}};
    if (r.failure_code) status["failureCode"] = *r.failure_code;
    statuses.push_back(std::move(status));
  }
  return {{"repositoryName", name},
          {"imageId", IdJson(image, id)},
          {"replicationStatuses", std::move(statuses)}};
}

json EcrApi::DescribeImageSigningStatus(const json& in, const Context& context) {
  const Partition registry = EcrService::Registry(context, OptionalString(in, "registryId"));
  const std::string name = RequiredString(in, "repositoryName");
  const ImageId id = ReadId(in);
  const storage::ImageRecord image = ResolveImage(service_, registry, name, id);
  json statuses = json::array();
  for (const auto& s :
       RegistrySettings(service_.database()).SigningStatuses(registry, name, image.digest)) {
    json status = {{"signingProfileArn", s.profile_arn}, {"status", s.status}};
    if (s.failure_code) status["failureCode"] = *s.failure_code;
    if (s.failure_reason) status["failureReason"] = *s.failure_reason;
    statuses.push_back(std::move(status));
  }
  return {{"repositoryName", name},
          {"imageId", IdJson(image, id)},
          {"registryId", registry.account_id},
          {"signingStatuses", std::move(statuses)}};
}

}  // namespace berth::ecr
