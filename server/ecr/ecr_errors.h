#pragma once

// ECR's exceptions, named after the `__type` they produce, with the messages
// real ECR uses (see ../shared/reference/ecr-registry.md).

#include <string>

#include "server/aws/aws_error.h"

namespace berth::ecr {

using aws::AwsError;

inline AwsError InvalidParameterException(const std::string& message) {
  return AwsError("InvalidParameterException", message);
}
// "Invalid parameter at '<where>' failed to satisfy constraint: '<what>'"
inline AwsError InvalidParameterAt(const std::string& where, const std::string& what) {
  return InvalidParameterException("Invalid parameter at '" + where +
                                   "' failed to satisfy constraint: '" + what + "'");
}
inline AwsError InvalidTagParameterException(const std::string& message) {
  return AwsError("InvalidTagParameterException", message);
}
inline AwsError TooManyTagsException(const std::string& message) {
  return AwsError("TooManyTagsException", message);
}
inline AwsError RepositoryNotFoundException(const std::string& name, const std::string& registry) {
  return AwsError("RepositoryNotFoundException", "The repository with name '" + name +
                                                     "' does not exist in the registry with id '" +
                                                     registry + "'");
}
inline AwsError RepositoryAlreadyExistsException(const std::string& name,
                                                 const std::string& registry) {
  return AwsError("RepositoryAlreadyExistsException",
                  "The repository with name '" + name +
                      "' already exists in the registry with id '" + registry + "'");
}
inline AwsError RepositoryNotEmptyException(const std::string& name, const std::string& registry) {
  return AwsError("RepositoryNotEmptyException",
                  "The repository with name '" + name + "' in registry with id '" + registry +
                      "' cannot be deleted because it still contains images");
}
inline AwsError RepositoryPolicyNotFoundException(const std::string& name,
                                                  const std::string& registry) {
  return AwsError("RepositoryPolicyNotFoundException",
                  "Repository policy does not exist for the repository with name '" + name +
                      "' in the registry with id '" + registry + "'");
}
inline AwsError LifecyclePolicyNotFoundException(const std::string& name,
                                                 const std::string& registry) {
  return AwsError("LifecyclePolicyNotFoundException",
                  "Lifecycle policy does not exist for the repository with name '" + name +
                      "' in the registry with id '" + registry + "'");
}
inline AwsError RegistryPolicyNotFoundException(const std::string& registry) {
  return AwsError("RegistryPolicyNotFoundException",
                  "Registry policy does not exist in the registry with id '" + registry + "'");
}
inline AwsError ValidationException(const std::string& message) {
  return AwsError("ValidationException", message);
}

}  // namespace berth::ecr
