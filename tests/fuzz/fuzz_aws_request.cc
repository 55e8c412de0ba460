// Fuzz target: the AWS JSON 1.1 request path. Input: the X-Amz-Target on the
// first line, the request body after it. The request goes through model
// validation into the ECR, ECS and Logs handlers over a real (in-memory)
// store. Promise checked: every answer is JSON (or, for StartLiveTail, an
// event stream), and an error is an AWS-shaped client error (__type and
// message), never a server error.

#include <nlohmann/json.hpp>

#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static berth::fuzz::FuzzWorld* world = new berth::fuzz::FuzzWorld();
  const auto [target, body] = berth::fuzz::SplitFirstLine(berth::fuzz::AsText(data, size));
  berth::http::Request request;
  request.method = "POST";
  request.target = "/";
  request.headers.Add("X-Amz-Target", std::string(target));
  request.headers.Add("Content-Type", "application/x-amz-json-1.1");
  request.body = std::string(body);
  const berth::http::Response response = world->dispatcher.Handle(request);
  if (response.producer) {
    // A streamed reply (StartLiveTail's event stream): its body comes from
    // the producer, whose first piece holds at least the initial-response
    // event.
    if (response.status != 200) berth::fuzz::Violation("streamed error", response.body);
    if (response.producer->Next().bytes.empty()) {
      berth::fuzz::Violation("stream without its initial-response", response.body);
    }
    world->MaybeReset();
    return 0;
  }
  const auto reply = nlohmann::json::parse(response.body, nullptr, false);
  if (reply.is_discarded()) berth::fuzz::Violation("reply is not JSON", response.body);
  if (response.status >= 500) berth::fuzz::Violation("server error", response.body);
  if (response.status != 200 && (!reply.contains("__type") || !reply.contains("message"))) {
    berth::fuzz::Violation("error without __type and message", response.body);
  }
  world->MaybeReset();
  return 0;
}
