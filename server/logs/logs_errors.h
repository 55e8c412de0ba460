#pragma once

// CloudWatch Logs' exceptions, named after the `__type` they produce, with the
// messages real CloudWatch Logs uses where they are known (see
// ../shared/reference/cloudwatch-logs.md; note "already exists" has no final
// period and "does not exist." has one).

#include <string>

#include "server/aws/aws_error.h"

namespace berth::logs {

using aws::AwsError;

inline AwsError InvalidParameterException(const std::string& message) {
  return AwsError("InvalidParameterException", message);
}
inline AwsError ResourceNotFoundException(const std::string& message) {
  return AwsError("ResourceNotFoundException", message);
}
inline AwsError LogGroupNotFound() {
  return ResourceNotFoundException("The specified log group does not exist.");
}
inline AwsError LogStreamNotFound() {
  return ResourceNotFoundException("The specified log stream does not exist.");
}
// A tagging ARN that names no existing resource.
inline AwsError TaggedResourceNotFound() {
  return ResourceNotFoundException("The specified resource does not exist.");
}
inline AwsError LogGroupAlreadyExists() {
  return AwsError("ResourceAlreadyExistsException", "The specified log group already exists");
}
inline AwsError LogStreamAlreadyExists() {
  return AwsError("ResourceAlreadyExistsException", "The specified log stream already exists");
}
inline AwsError ValidationException(const std::string& message) {
  return AwsError("ValidationException", message);
}
inline AwsError InvalidResourceArn() { return ValidationException("Invalid resourceArn"); }
inline AwsError InvalidNextToken() {
  return InvalidParameterException("The specified nextToken is invalid.");
}
inline AwsError TooManyTagsException(const std::string& resource_name) {
  return AwsError("TooManyTagsException",
                  "A resource can have no more than 50 tags; this request would exceed it.")
      .With("resourceName", resource_name);
}

}  // namespace berth::logs
