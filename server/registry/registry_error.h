#pragma once

// Registry errors as the distribution spec defines them: a code with its
// HTTP status, written as {"errors":[{"code","message","detail"}]}; and the
// mapping from ECR's ImageError to them.

#include <exception>
#include <string>
#include <string_view>

#include "server/ecr/image_error.h"
#include "server/http/message.h"

namespace berth::registry {

class RegistryError : public std::runtime_error {
 public:
  RegistryError(std::string code, const std::string& message, std::string detail = "")
      : std::runtime_error(message), code_(std::move(code)), detail_(std::move(detail)) {}
  const std::string& code() const noexcept { return code_; }
  const std::string& detail() const noexcept { return detail_; }

 private:
  std::string code_;
  std::string detail_;
};

// The HTTP status of an error code (BLOB_UNKNOWN → 404, ...).
unsigned StatusOf(std::string_view code);
// The reply for an error, with the headers every registry reply carries.
http::Response ErrorResponse(const RegistryError& error);
// The reply to an unexpected failure: 507 with a reason phrase and message
// naming the cause when the data directory is full, else 500 UNKNOWN.
http::Response ServerFault(const std::exception& error);
// The registry error an ImageError stands for.
RegistryError FromImageError(const ecr::ImageError& error);

}  // namespace berth::registry
