#pragma once

// The ECR errors of lifecycle previews and image storage classes (archive),
// named after the __type they produce; see ecr_errors.h for the others.

#include <string>

#include "server/aws/aws_error.h"

namespace berth::ecr {

inline aws::AwsError LifecyclePolicyPreviewNotFoundException(const std::string& name,
                                                             const std::string& registry) {
  return aws::AwsError("LifecyclePolicyPreviewNotFoundException",
                       "Lifecycle policy preview request does not exist for the repository with "
                       "name '" +
                           name + "' in the registry with id '" + registry + "'");
}
inline aws::AwsError LifecyclePolicyPreviewInProgressException(const std::string& name,
                                                               const std::string& registry) {
  return aws::AwsError("LifecyclePolicyPreviewInProgressException",
                       "Previous lifecycle policy preview request has not been completed for the "
                       "repository with name '" +
                           name + "' in the registry with id '" + registry + "'");
}
inline aws::AwsError ImageStorageClassUpdateNotSupportedException(const std::string& message) {
  return aws::AwsError("ImageStorageClassUpdateNotSupportedException", message);
}

}  // namespace berth::ecr
