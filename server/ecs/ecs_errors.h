#pragma once

// ECS's exceptions, named after the `__type` they produce, with the messages
// real ECS uses (see ../shared/reference/ecs-semantics.md).

#include <string>

#include "server/aws/aws_error.h"

namespace berth::ecs {

using aws::AwsError;

inline AwsError ClientException(const std::string& message) {
  return AwsError("ClientException", message);
}
inline AwsError InvalidParameterException(const std::string& message) {
  return AwsError("InvalidParameterException", message);
}
inline AwsError ClusterNotFoundException() {
  return AwsError("ClusterNotFoundException", "Cluster not found.");
}
inline AwsError ClusterInactiveException() {
  return AwsError("ClusterNotFoundException", "The referenced cluster was inactive.");
}
inline AwsError ClusterContainsTasksException() {
  return AwsError("ClusterContainsTasksException",
                  "The Cluster cannot be deleted while Tasks are active.");
}
inline AwsError ClusterContainsServicesException() {
  return AwsError("ClusterContainsServicesException",
                  "The Cluster cannot be deleted while Services are active.");
}
inline AwsError ServiceNotFoundException() {
  return AwsError("ServiceNotFoundException", "Service not found.");
}
inline AwsError ServiceNotActiveException() {
  return AwsError("ServiceNotActiveException", "Service was not ACTIVE.");
}
inline AwsError TaskSetNotFoundException() {
  return AwsError("TaskSetNotFoundException", "The specified task set does not exist.");
}
inline AwsError ServiceDeploymentNotFoundException() {
  return AwsError("ServiceDeploymentNotFoundException", "The service deployment does not exist.");
}
inline AwsError NamespaceNotFoundException() {
  return AwsError("NamespaceNotFoundException", "The specified namespace wasn't found.");
}
inline AwsError ResourceNotFoundException(const std::string& message) {
  return AwsError("ResourceNotFoundException", message);
}
inline AwsError TargetNotFoundException(const std::string& message) {
  return AwsError("TargetNotFoundException", message);
}
inline AwsError AttributeLimitExceededException(const std::string& message) {
  return AwsError("AttributeLimitExceededException", message);
}

}  // namespace berth::ecs
