#pragma once

// Pieces the registry's handler files share: reply builders with the
// registry's standard headers, and the body sinks of upload requests.

#include <memory>
#include <string>

#include "server/ecr/upload_service.h"
#include "server/http/message.h"
#include "server/registry/routes.h"

namespace berth::registry {

// A reply carrying Docker-Distribution-API-Version, as every one must.
http::Response Reply(unsigned status);
// A JSON reply.
http::Response JsonReply(unsigned status, std::string body);
// ECR's answer to a request without valid credentials: 401, its Basic
// challenge naming the Host the client used, and a plain "Not Authorized".
http::Response Challenge(const http::Request& request);
// The methods a route serves, for the Allow header of a 405.
std::string AllowedMethods(Route::Kind kind);

// Streams an upload body into its session file.
class UploadSink final : public http::BodySink {
 public:
  UploadSink(std::unique_ptr<ecr::UploadService::Writer> writer, std::string uuid)
      : writer_(std::move(writer)), uuid_(std::move(uuid)) {}
  bool Write(std::string_view piece) override { return writer_->Write(piece); }
  uint64_t size() const { return writer_ ? writer_->size() : 0; }
  const std::string& uuid() const { return uuid_; }
  // True when the session was cancelled while this request wrote to it.
  bool cancelled() const { return writer_ && writer_->cancelled(); }
  // The errno of the write the disk refused; 0 if none was.
  int error() const { return writer_ ? writer_->error() : 0; }
  // Ends the write so another request may continue the session at once.
  void Release() { writer_.reset(); }

 private:
  std::unique_ptr<ecr::UploadService::Writer> writer_;
  std::string uuid_;
};

// Stands in for a request refused when its header arrived: it takes no body
// (the connection closes if one was sent) and carries the reply.
class RefusalSink final : public http::BodySink {
 public:
  explicit RefusalSink(http::Response reply) : reply_(std::move(reply)) {}
  bool Write(std::string_view /*piece*/) override { return false; }
  const http::Response& reply() const { return reply_; }

 private:
  http::Response reply_;
};

}  // namespace berth::registry
