// Fuzz target: the registry protocol (Docker Registry v2 / OCI distribution)
// in process. Input: a request line "METHOD /v2/...?query", header lines
// "Name: value", an empty line, then the body; the body is streamed into the
// upload sink when the registry plans one, as the HTTP session does. Paths,
// query strings, Range and Content-Range, digests and manifests are all
// fuzzed. Promise checked: no crash, no server error, and every answer
// carries the API version header.

#include <algorithm>

#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_world.h"

namespace {

// Fills `request` from the input; returns the body.
std::string_view ReadRequest(std::string_view input, berth::http::Request& request) {
  auto [line, rest] = berth::fuzz::SplitFirstLine(input);
  const size_t space = line.find(' ');
  request.method = std::string(line.substr(0, space));
  request.target = space == std::string_view::npos ? "/v2/" : std::string(line.substr(space + 1));
  while (!rest.empty()) {
    auto [header, after] = berth::fuzz::SplitFirstLine(rest);
    rest = after;
    if (header.empty()) break;
    const size_t colon = header.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = header.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers.Add(std::string(header.substr(0, colon)), std::string(value));
  }
  return rest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static berth::fuzz::FuzzWorld* world = new berth::fuzz::FuzzWorld();
  static long calls = 0;
  if (calls++ % 2000 == 0) {
    // A fresh store now and then (uploads leave session files behind), with
    // the repositories the seeds use.
    world->MaybeReset(1);
    for (const char* name : {"app", "team/app", "other"}) {
      berth::ecr::RepositorySpec spec;
      spec.name = name;
      world->ecr_service.CreateRepository(
          berth::aws::RequestContext{"000000000000", "us-east-1", "fuzz", "AKIDFUZZ", 1795000000.0},
          {"000000000000", "us-east-1"}, spec);
    }
  }
  berth::http::Request request;
  const std::string_view body = ReadRequest(berth::fuzz::AsText(data, size), request);
  if (!request.headers.Get("Host")) request.headers.Add("Host", "localhost:4566");
  const berth::http::BodyPlan plan = world->registry.Plan(request);
  berth::http::Response response;
  if (body.size() > plan.limit) {
    response = world->registry.BodyTooLarge(request, plan.limit);
  } else {
    if (plan.sink) {
      request.sink = plan.sink;
      const size_t piece = std::max<size_t>(1, body.size() / 2 + 1);
      for (size_t at = 0; at < body.size(); at += piece) {
        if (!plan.sink->Write(body.substr(at, piece))) {
          request.body_complete = false;
          break;
        }
      }
    } else {
      request.body = std::string(body);
    }
    response = world->registry.Handle(request);
  }
  if (response.status >= 500) berth::fuzz::Violation("server error", response.body);
  if (response.headers.Get("Docker-Distribution-API-Version") != "registry/2.0") {
    berth::fuzz::Violation("no API version header", request.target);
  }
  return 0;
}
