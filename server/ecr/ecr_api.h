#pragma once

// The ECR JSON API: one member function per emulated operation, named after
// it. Each reads its (model-validated) input, calls EcrService (or, for
// images and layers, its ImageService and UploadService), and shapes the
// reply as botocore's ECR model describes. AWS member names live here only.
// Repository operations are in ecr_api.cc, image and layer operations in
// ecr_image_api.cc.
//
// Thread-safety: as EcrService (any thread).

#include <array>
#include <string_view>

#include "server/aws/service_api.h"
#include "server/ecr/ecr_service.h"

namespace berth::ecr {

class LifecycleService;
class PullThroughRules;
class CreationTemplates;
class PullThroughImporter;

class EcrApi final : public aws::ServiceApi {
 public:
  explicit EcrApi(EcrService& service) : service_(service) {}
  // The lifecycle service (previews, storage classes); attach during wiring.
  void AttachLifecycle(LifecycleService* lifecycle) { lifecycle_ = lifecycle; }

  const aws::ServiceModel& Model() const override;
  std::string_view Name() const override { return "ecr"; }
  bool Implements(std::string_view operation) const override;
  // The operations that may import from a pull-through cache's upstream
  // (BatchGetImage, GetDownloadUrlForLayer), call it
  // (ValidatePullThroughCacheRule), or sync a blob to disk (PutImage,
  // CompleteLayerUpload).
  bool MayWait(std::string_view operation) const override;
  nlohmann::json Invoke(std::string_view operation, const nlohmann::json& input,
                        const aws::RequestContext& context) override;
  aws::AwsError ValidationError(const aws::OperationModel& operation,
                                const aws::ValidationIssue& issue) const override;

  // Operation names in table order (for coverage listings).
  static std::vector<std::string_view> OperationNames();

  using Json = nlohmann::json;
  using Context = aws::RequestContext;
  Json BatchCheckLayerAvailability(const Json& in, const Context& context);
  Json BatchDeleteImage(const Json& in, const Context& context);
  Json BatchGetImage(const Json& in, const Context& context);
  Json BatchGetRepositoryScanningConfiguration(const Json& in, const Context& context);
  Json CompleteLayerUpload(const Json& in, const Context& context);
  Json CreatePullThroughCacheRule(const Json& in, const Context& context);
  Json CreateRepository(const Json& in, const Context& context);
  Json CreateRepositoryCreationTemplate(const Json& in, const Context& context);
  Json DeleteLifecyclePolicy(const Json& in, const Context& context);
  Json DeletePullThroughCacheRule(const Json& in, const Context& context);
  Json DeleteRegistryPolicy(const Json& in, const Context& context);
  Json DeleteRepository(const Json& in, const Context& context);
  Json DeleteRepositoryCreationTemplate(const Json& in, const Context& context);
  Json DeleteRepositoryPolicy(const Json& in, const Context& context);
  Json DeleteSigningConfiguration(const Json& in, const Context& context);
  Json DeregisterPullTimeUpdateExclusion(const Json& in, const Context& context);
  Json DescribeImageReplicationStatus(const Json& in, const Context& context);
  Json DescribeImageScanFindings(const Json& in, const Context& context);
  Json DescribeImageSigningStatus(const Json& in, const Context& context);
  Json DescribeImages(const Json& in, const Context& context);
  Json DescribePullThroughCacheRules(const Json& in, const Context& context);
  Json DescribeRegistry(const Json& in, const Context& context);
  Json DescribeRepositories(const Json& in, const Context& context);
  Json DescribeRepositoryCreationTemplates(const Json& in, const Context& context);
  Json GetAccountSetting(const Json& in, const Context& context);
  Json GetAuthorizationToken(const Json& in, const Context& context);
  Json GetDownloadUrlForLayer(const Json& in, const Context& context);
  Json GetLifecyclePolicy(const Json& in, const Context& context);
  Json GetLifecyclePolicyPreview(const Json& in, const Context& context);
  Json GetRegistryPolicy(const Json& in, const Context& context);
  Json GetRegistryScanningConfiguration(const Json& in, const Context& context);
  Json GetRepositoryPolicy(const Json& in, const Context& context);
  Json GetSigningConfiguration(const Json& in, const Context& context);
  Json InitiateLayerUpload(const Json& in, const Context& context);
  Json ListImageReferrers(const Json& in, const Context& context);
  Json ListImages(const Json& in, const Context& context);
  Json ListPullTimeUpdateExclusions(const Json& in, const Context& context);
  Json ListTagsForResource(const Json& in, const Context& context);
  Json PutAccountSetting(const Json& in, const Context& context);
  Json PutImage(const Json& in, const Context& context);
  Json PutImageScanningConfiguration(const Json& in, const Context& context);
  Json PutImageTagMutability(const Json& in, const Context& context);
  Json PutLifecyclePolicy(const Json& in, const Context& context);
  Json PutRegistryPolicy(const Json& in, const Context& context);
  Json PutRegistryScanningConfiguration(const Json& in, const Context& context);
  Json PutReplicationConfiguration(const Json& in, const Context& context);
  Json PutSigningConfiguration(const Json& in, const Context& context);
  Json RegisterPullTimeUpdateExclusion(const Json& in, const Context& context);
  Json SetRepositoryPolicy(const Json& in, const Context& context);
  Json StartImageScan(const Json& in, const Context& context);
  Json StartLifecyclePolicyPreview(const Json& in, const Context& context);
  Json TagResource(const Json& in, const Context& context);
  Json UntagResource(const Json& in, const Context& context);
  Json UpdateImageStorageClass(const Json& in, const Context& context);
  Json UpdatePullThroughCacheRule(const Json& in, const Context& context);
  Json UpdateRepositoryCreationTemplate(const Json& in, const Context& context);
  Json UploadLayerPart(const Json& in, const Context& context);
  Json ValidatePullThroughCacheRule(const Json& in, const Context& context);

  // Pull-through cache rules and repository creation templates (issue 11),
  // wired by main; until attached their operations answer ServerException.
  void AttachPullThrough(PullThroughRules* rules, CreationTemplates* templates) {
    pull_through_ = rules;
    templates_ = templates;
  }
  // The pull-through importer BatchGetImage and GetDownloadUrlForLayer use
  // for what is not cached yet; until attached they serve the cache only.
  void AttachImporter(PullThroughImporter* importer) { importer_ = importer; }

 private:
  static const std::array<aws::OperationRow<EcrApi>, 58> kOperations;
  // The registry a request names (`registryId`), or the caller's own.
  static storage::Partition RegistryOf(const Json& in, const Context& context);
  LifecycleService& lifecycle();
  EcrService& service_;
  LifecycleService* lifecycle_ = nullptr;
  PullThroughRules* pull_through_ = nullptr;
  CreationTemplates* templates_ = nullptr;
  PullThroughImporter* importer_ = nullptr;
};

}  // namespace berth::ecr
