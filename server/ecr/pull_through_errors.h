#pragma once

// The pull-through cache's and creation templates' ECR exceptions, named
// after the `__type` they produce (messages from
// ../shared/reference/ecr-features.md where AWS's are known).

#include <string>

#include "server/aws/aws_error.h"

namespace berth::ecr {

inline aws::AwsError PullThroughCacheRuleAlreadyExistsException(const std::string& prefix,
                                                                const std::string& registry) {
  return aws::AwsError("PullThroughCacheRuleAlreadyExistsException",
                       "The pull through cache rule with Amazon ECR repository prefix '" + prefix +
                           "' already exists in the registry with id '" + registry + "'");
}
inline aws::AwsError PullThroughCacheRuleNotFoundException(const std::string& prefix,
                                                           const std::string& registry) {
  return aws::AwsError("PullThroughCacheRuleNotFoundException",
                       "The pull through cache rule with Amazon ECR repository prefix '" + prefix +
                           "' does not exist in the registry with id '" + registry + "'");
}
inline aws::AwsError UnsupportedUpstreamRegistryException(const std::string& message) {
  return aws::AwsError("UnsupportedUpstreamRegistryException", message);
}
inline aws::AwsError SecretNotFoundException(const std::string& arn) {
  return aws::AwsError("SecretNotFoundException",
                       "The ARN of the secret specified in the pull through cache rule was not "
                       "found: '" +
                           arn +
                           "'. Berth reads secrets from the file named by BERTH_SECRETS_FILE.");
}
inline aws::AwsError UnableToAccessSecretException(const std::string& message) {
  return aws::AwsError("UnableToAccessSecretException", message);
}
inline aws::AwsError UnableToDecryptSecretValueException(const std::string& message) {
  return aws::AwsError("UnableToDecryptSecretValueException", message);
}
inline aws::AwsError LimitExceededException(const std::string& message) {
  return aws::AwsError("LimitExceededException", message);
}
inline aws::AwsError UnableToGetUpstreamImageException(const std::string& message) {
  return aws::AwsError("UnableToGetUpstreamImageException", message);
}
inline aws::AwsError UnableToGetUpstreamLayerException(const std::string& message) {
  return aws::AwsError("UnableToGetUpstreamLayerException", message);
}
inline aws::AwsError TemplateAlreadyExistsException(const std::string& prefix,
                                                    const std::string& registry) {
  return aws::AwsError("TemplateAlreadyExistsException",
                       "The repository creation template with the prefix '" + prefix +
                           "' already exists in the registry with id '" + registry + "'");
}
inline aws::AwsError TemplateNotFoundException(const std::string& prefix,
                                               const std::string& registry) {
  return aws::AwsError("TemplateNotFoundException",
                       "The repository creation template with the prefix '" + prefix +
                           "' does not exist in the registry with id '" + registry + "'");
}

}  // namespace berth::ecr
