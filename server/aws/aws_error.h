#pragma once

// An AWS error for the current request: the exception name that goes into
// `__type`, the message, and the HTTP status. Services throw these (or their
// named subclasses); aws::Dispatcher is the one place that catches them and
// writes the error body.

#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace berth::aws {

class AwsError : public std::runtime_error {
 public:
  AwsError(std::string type, const std::string& message, unsigned http_status = 400)
      : std::runtime_error(message), type_(std::move(type)), http_status_(http_status) {}

  const std::string& type() const noexcept { return type_; }
  unsigned http_status() const noexcept { return http_status_; }
  // Members beyond __type and message that the error shape carries (e.g.
  // InvalidLayerPartException's lastValidByteReceived).
  const nlohmann::json& extra() const noexcept { return extra_; }
  AwsError& With(const std::string& member, nlohmann::json value) {
    extra_[member] = std::move(value);
    return *this;
  }

 private:
  std::string type_;
  unsigned http_status_;
  nlohmann::json extra_ = nlohmann::json::object();
};

// Errors of the JSON protocol itself, common to every service.
inline AwsError SerializationException(const std::string& message) {
  return AwsError("SerializationException", message);
}
inline AwsError UnknownOperationException(const std::string& message) {
  return AwsError("UnknownOperationException", message);
}
// An operation that exists in the AWS model but that Berth does not emulate.
inline AwsError NotImplementedError(const std::string& service, const std::string& operation) {
  return AwsError("NotImplementedException",
                  "Berth does not emulate " + service + " operation " + operation + " yet");
}
inline AwsError InternalFailure(const std::string& message) {
  return AwsError("InternalFailure", message, 500);
}

}  // namespace berth::aws
