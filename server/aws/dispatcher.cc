#include "server/aws/dispatcher.h"

#include <algorithm>
#include <exception>

#include "server/aws/event_stream_body.h"
#include "server/aws/input_pruner.h"
#include "server/aws/sigv4.h"
#include "server/util/crypto.h"
#include "server/util/log.h"
#include "server/util/wire_json.h"

namespace berth::aws {
namespace {

using nlohmann::json;

constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";
constexpr std::string_view kEventStreamContentType = "application/vnd.amazon.eventstream";
constexpr size_t kMaxJsonDepth = 64;

// Nesting depth of a JSON text, counted without parsing (strings skipped), so
// absurdly deep input is refused before any recursive code sees it.
size_t JsonDepth(std::string_view text) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

bool AcceptableContentType(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  std::string_view media = content_type.substr(0, semicolon);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return http::EqualsIgnoreCase(media, kJsonContentType) ||
         http::EqualsIgnoreCase(media, "application/x-amz-json-1.0");
}

http::Response JsonResponse(unsigned status, std::string body, const std::string& request_id) {
  http::Response res;
  res.status = status;
  res.headers.Add("Content-Type", std::string(kJsonContentType));
  res.headers.Add("x-amzn-RequestId", request_id);
  res.body = std::move(body);
  return res;
}

}  // namespace

http::Response ErrorResponse(const AwsError& error, const std::string& request_id) {
  json body = error.extra();
  body["__type"] = error.type();
  body["message"] = error.what();
  http::Response res = JsonResponse(error.http_status(), util::WireJson(body), request_id);
  res.headers.Add("X-Amzn-ErrorType", error.type());
  return res;
}

Dispatcher::Dispatcher(DispatcherOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

void Dispatcher::Register(ServiceApi& service) { services_.push_back(&service); }

size_t Dispatcher::BodyLimit(const http::Request& head) const {
  const auto target = head.headers.Get("X-Amz-Target");
  if (target && target->ends_with(".UploadLayerPart")) return kLayerPartBodyLimit;
  return kBodyLimit;
}

http::Response Dispatcher::BodyTooLarge(const http::Request& head, size_t limit) const {
  http::Response res = ErrorResponse(
      AwsError("RequestEntityTooLargeException",
               "Request body exceeds the limit of " + std::to_string(limit) + " bytes"),
      crypto::Uuid());
  res.close = true;
  res.operation = LabelOf(head.headers.Get("X-Amz-Target").value_or(""));
  return res;
}

Dispatcher::Resolved Dispatcher::Resolve(std::string_view target) const {
  const auto dot = target.rfind('.');
  if (dot == std::string_view::npos) return {};
  const std::string_view prefix = target.substr(0, dot);
  for (ServiceApi* candidate : services_) {
    if (candidate->Model().target_prefix != prefix) continue;
    const OperationModel* operation = candidate->Model().FindOperation(target.substr(dot + 1));
    if (operation != nullptr) return {candidate, operation};
  }
  return {};
}

bool Dispatcher::MayWait(const http::Request& head) const {
  const auto target = head.headers.Get("X-Amz-Target");
  if (!target) return false;
  const Resolved resolved = Resolve(*target);
  return resolved.operation != nullptr &&
         resolved.service->MayWait(target->substr(target->rfind('.') + 1));
}

std::string Dispatcher::LabelOf(std::string_view target) const {
  const Resolved resolved = Resolve(target);
  if (resolved.operation == nullptr) return "unknown";
  return std::string(resolved.service->Name()) + "." +
         std::string(target.substr(target.rfind('.') + 1));
}

RequestContext Dispatcher::ContextFor(const http::Request& request) const {
  RequestContext context;
  context.account_id = options_.default_account_id;
  context.region = options_.default_region;
  if (const auto authorization = request.headers.Get("Authorization")) {
    if (auto scope = ParseCredentialScope(*authorization)) {
      context.account_id = AccountForAccessKey(scope->access_key_id, options_.default_account_id);
      context.region = std::move(scope->region);
      context.access_key_id = std::move(scope->access_key_id);
    }
  }
  context.principal_arn = RootPrincipalArn(context.account_id);
  context.request_id = crypto::FastUuid();
  context.now = clock_.Now();
  return context;
}

AwsError Dispatcher::ServerFault(std::string_view target, const std::exception& error,
                                 const std::string& request_id) const {
  std::optional<std::string> cause;
  if (options_.describe_fault) cause = options_.describe_fault(error);
  if (!cause)
    return InternalFailure("Internal error in Berth; see its log for request " + request_id);
  // The operation's own server fault when its model declares one.
  std::string type = "InternalFailure";
  if (const auto* operation = Resolve(target).operation) {
    for (const std::string_view declared : {"ServerException", "ServiceUnavailableException"}) {
      if (std::find(operation->errors.begin(), operation->errors.end(), declared) !=
          operation->errors.end()) {
        type = declared;
        break;
      }
    }
  }
  return AwsError(type, *cause, type == "ServiceUnavailableException" ? 503 : 500);
}

http::Response Dispatcher::Handle(const http::Request& request) const {
  RequestContext context = ContextFor(request);
  const std::string_view target = request.headers.Get("X-Amz-Target").value_or("");
  std::string label;
  http::Response res;
  const auto handle = [&] {
    try {
      res = Dispatch(request, context, label);
    } catch (const AwsError& error) {
      res = ErrorResponse(error, context.request_id);
    } catch (const json::exception& error) {
      // A handler read a member with the wrong type: the model let through
      // something the handler did not expect. Report it as the caller's fault.
      res = ErrorResponse(SerializationException(error.what()), context.request_id);
    } catch (const std::exception& error) {
      log::Error("request " + context.request_id + " (" + label + ") failed: " + error.what());
      res = ErrorResponse(ServerFault(target, error, context.request_id), context.request_id);
    }
  };
  if (!options_.group_writes) {
    handle();
  } else if (auto settle = options_.group_writes(handle)) {
    // The reply waits for the commit its writes (or what it read) are in.
    res.before_send = [this, settle = std::move(settle), target = std::string(target), label,
                       request_id = context.request_id](http::Response& reply) {
      const std::exception_ptr failed = settle();
      if (!failed) return;
      const auto fail = [&](const std::exception& error) {
        log::Error("request " + request_id + " (" + label + ") failed: " + error.what());
        const std::string operation = reply.operation;
        reply = ErrorResponse(ServerFault(target, error, request_id), request_id);
        reply.operation = operation;
      };
      try {
        std::rethrow_exception(failed);
      } catch (const std::exception& error) {
        fail(error);
      } catch (...) {
        fail(std::runtime_error("the commit failed"));
      }
    };
  }
  res.operation = label.empty() ? "aws" : label;
  if (res.status >= 400 && log::Enabled(log::Level::kDebug)) {
    log::Debug(label + " -> " + res.body);
  }
  return res;
}

http::Response Dispatcher::Dispatch(const http::Request& request, RequestContext& context,
                                    std::string& label) const {
  const std::string_view target = request.headers.Get("X-Amz-Target").value_or("");
  const auto [service, operation] = Resolve(target);
  if (authenticator_ != nullptr) {
    // Signed by a known key before anything else is looked at, as on AWS.
    Principal principal = authenticator_->Authenticate(
        request, service != nullptr ? service->Name() : std::string_view(), context.now);
    context.account_id = std::move(principal.account_id);
    context.principal_arn = std::move(principal.principal_arn);
  }
  if (operation == nullptr) {
    label = "unknown";
    throw UnknownOperationException("Unknown operation '" + std::string(target) + "'");
  }
  const std::string_view operation_name = target.substr(target.rfind('.') + 1);
  label = std::string(service->Name()) + "." + std::string(operation_name);
  if (!IsRegionName(context.region)) {
    throw AwsError("InvalidSignatureException",
                   "Credential should be scoped to a valid region, not '" + context.region + "'. ");
  }

  if (request.method != "POST") {
    throw SerializationException("The AWS JSON protocol expects POST, not " + request.method);
  }
  const auto content_type = request.headers.Get("Content-Type");
  if (!content_type || !AcceptableContentType(*content_type)) {
    throw AwsError("UnsupportedMediaTypeException",
                   "Content-Type must be application/x-amz-json-1.1, not '" +
                       std::string(content_type.value_or("")) + "'",
                   400);
  }
  if (!service->Implements(operation_name)) {
    throw NotImplementedError(std::string(service->Model().service_id),
                              std::string(operation_name));
  }

  json input;
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    input = json::object();
  } else {
    if (JsonDepth(request.body) > kMaxJsonDepth) {
      throw SerializationException("Request body is nested too deeply");
    }
    input = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (input.is_discarded()) throw SerializationException("Request body is not valid JSON");
    if (!input.is_object()) throw SerializationException("Request body must be a JSON object");
  }
  service->BeforeValidation(*operation, input);
  if (auto issue = model::ValidateInput(service->Model(), *operation, input)) {
    if (issue->kind == ValidationIssue::Kind::kSerialization) {
      throw SerializationException("Cannot read '" + issue->path + "': " + issue->constraint);
    }
    throw service->ValidationError(*operation, *issue);
  }
  if (operation->input != nullptr) PruneToShape(*operation->input, input);
  if (service->StreamsOutput(operation_name)) {
    // Errors so far are plain JSON replies; from here on the reply is a
    // stream of events.
    auto source = service->OpenEventStream(operation_name, input, context);
    http::Response res;
    res.headers.Add("Content-Type", std::string(kEventStreamContentType));
    res.headers.Add("x-amzn-RequestId", context.request_id);
    res.producer = std::make_shared<EventStreamBody>(std::move(source));
    return res;
  }
  json output = service->Invoke(operation_name, input, context);
  if (output.is_null()) output = json::object();
  return JsonResponse(200, util::WireJson(output), context.request_id);
}

}  // namespace berth::aws
