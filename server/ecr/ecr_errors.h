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

// Images and layers.
inline AwsError ImageNotFoundException(const std::string& message) {
  return AwsError("ImageNotFoundException", message);
}
inline AwsError ImageAlreadyExistsException(const std::string& message) {
  return AwsError("ImageAlreadyExistsException", message);
}
inline AwsError ImageTagAlreadyExistsException(const std::string& message) {
  return AwsError("ImageTagAlreadyExistsException", message);
}
inline AwsError ImageDigestDoesNotMatchException(const std::string& message) {
  return AwsError("ImageDigestDoesNotMatchException", message);
}
inline AwsError LayersNotFoundException(const std::string& message) {
  return AwsError("LayersNotFoundException", message);
}
inline AwsError ReferencedImagesNotFoundException(const std::string& message) {
  return AwsError("ReferencedImagesNotFoundException", message);
}
inline AwsError LayerInaccessibleException(const std::string& message) {
  return AwsError("LayerInaccessibleException", message);
}
inline AwsError UploadNotFoundException(const std::string& message) {
  return AwsError("UploadNotFoundException", message);
}
inline AwsError InvalidLayerPartException(const std::string& message) {
  return AwsError("InvalidLayerPartException", message);
}
inline AwsError InvalidLayerException(const std::string& message) {
  return AwsError("InvalidLayerException", message);
}
inline AwsError EmptyUploadException(const std::string& message) {
  return AwsError("EmptyUploadException", message);
}
inline AwsError LayerAlreadyExistsException(const std::string& message) {
  return AwsError("LayerAlreadyExistsException", message);
}
inline AwsError LayerPartTooSmallException(const std::string& message) {
  return AwsError("LayerPartTooSmallException", message);
}
inline AwsError ScanNotFoundException(const std::string& message) {
  return AwsError("ScanNotFoundException", message);
}
inline AwsError ServerException(const std::string& message) {
  return AwsError("ServerException", message, 500);
}

}  // namespace berth::ecr
