#pragma once

// The AWS JSON 1.1 protocol: turns `POST /` with X-Amz-Target into a call on
// the right service's operation, and the result or the AwsError into the
// response botocore expects (an event stream for operations whose output is
// one, see ServiceApi::OpenEventStream). The one catch site for AwsError.
//
// Thread-safety: Handle() may run on every server thread at once once all
// services are registered.

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/aws/authenticator.h"
#include "server/aws/service_api.h"
#include "server/http/message.h"
#include "server/util/clock.h"

namespace berth::aws {

struct DispatcherOptions {
  std::string default_account_id = "000000000000";
  std::string default_region = "us-east-1";
  // Names a server-side condition behind an unexpected exception (e.g. the
  // data directory is full: storage::OutOfSpaceMessage), or std::nullopt.
  // Such a failure answers the operation's own server fault (ECR's and ECS's
  // ServerException) with that message instead of an opaque InternalFailure.
  std::function<std::optional<std::string>(const std::exception&)> describe_fault;
  // Group commit: runs one request's handler and returns what its reply must
  // wait for, a function that makes the request's writes durable and returns
  // their error (null once durable), or an empty function when nothing is
  // pending (storage::Database::RequestScope). Absent: a handler's writes
  // are durable when it returns.
  std::function<std::function<std::exception_ptr()>(const std::function<void()>& handler)>
      group_writes;
};

class Dispatcher {
 public:
  // Request bodies above this are refused (UploadLayerPart carries up to
  // 20 MiB of base64-encoded layer data, so it gets more).
  static constexpr size_t kBodyLimit = 8 * 1024 * 1024;
  static constexpr size_t kLayerPartBodyLimit = 32 * 1024 * 1024;

  Dispatcher(DispatcherOptions options, const Clock& clock);

  // Services must be registered before serving; each keeps its target prefix.
  void Register(ServiceApi& service);
  // Strict authentication: every call must be signed with a key `authenticator`
  // knows, and acts in that key's account (set before serving; default: any
  // credentials, no signature check).
  void RequireSignatures(const Authenticator* authenticator) { authenticator_ = authenticator; }

  size_t BodyLimit(const http::Request& head) const;
  // Whether the request's operation may wait on something outside Berth
  // (ServiceApi::MayWait), from its X-Amz-Target.
  bool MayWait(const http::Request& head) const;
  // Serves one request (never throws).
  http::Response Handle(const http::Request& request) const;
  // The JSON error reply for a body over `limit` (`head` names the operation
  // for the request log).
  http::Response BodyTooLarge(const http::Request& head, size_t limit) const;

  // The context (account, region, id, time) a request runs in.
  RequestContext ContextFor(const http::Request& request) const;

 private:
  // The service answering `target` and its operation, nullptrs when neither
  // model has it.
  struct Resolved {
    ServiceApi* service = nullptr;
    const OperationModel* operation = nullptr;
  };
  Resolved Resolve(std::string_view target) const;
  // "ecs.RunTask" for the request log; "unknown" for a target in no model.
  std::string LabelOf(std::string_view target) const;
  http::Response Dispatch(const http::Request& request, RequestContext& context,
                          std::string& operation_label) const;
  // The error an unexpected exception answers: a named server fault when
  // describe_fault knows the cause, else InternalFailure.
  AwsError ServerFault(std::string_view target, const std::exception& error,
                       const std::string& request_id) const;

  DispatcherOptions options_;
  const Clock& clock_;
  std::vector<ServiceApi*> services_;
  const Authenticator* authenticator_ = nullptr;
};

// The AWS JSON error response for `error`.
http::Response ErrorResponse(const AwsError& error, const std::string& request_id);

}  // namespace berth::aws
