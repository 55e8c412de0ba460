#pragma once

// ECR exceptions of the registry account surface (signing configuration,
// pull-time update exclusions, account-setting limits), named after the
// `__type` they produce. AWS publishes no message texts for these; the
// messages follow the wording of ECR's other not-found errors.

#include <string>

#include "server/aws/aws_error.h"

namespace berth::ecr {

inline aws::AwsError SigningConfigurationNotFoundException(const std::string& registry) {
  return aws::AwsError(
      "SigningConfigurationNotFoundException",
      "Signing configuration does not exist in the registry with id '" + registry + "'");
}
inline aws::AwsError ExclusionAlreadyExistsException(const std::string& principal,
                                                     const std::string& registry) {
  return aws::AwsError("ExclusionAlreadyExistsException",
                       "The pull time update exclusion for principal '" + principal +
                           "' already exists in the registry with id '" + registry + "'");
}
inline aws::AwsError ExclusionNotFoundException(const std::string& principal,
                                                const std::string& registry) {
  return aws::AwsError("ExclusionNotFoundException",
                       "The pull time update exclusion for principal '" + principal +
                           "' does not exist in the registry with id '" + registry + "'");
}
// LimitExceededException for the 101st exclusion (named apart from a general
// LimitExceededException helper so the two never clash).
inline aws::AwsError TooManyPullTimeExclusions(const std::string& registry) {
  return aws::AwsError("LimitExceededException",
                       "The registry with id '" + registry +
                           "' already has the maximum of 100 pull time update exclusions");
}

}  // namespace berth::ecr
