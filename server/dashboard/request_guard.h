#pragma once

// Keeps other web pages from using the dashboard through the user's browser.
// A loopback service is reachable from any site the browser visits, so:
//   - Every dashboard request must name a host that cannot be re-pointed by
//     DNS (an IP literal, `localhost` or `*.localhost`, or one of the names
//     Berth was configured with): a DNS-rebinding page, whose requests carry
//     its own name, is refused.
//   - An action (a POST that changes something) must also carry
//     `X-Berth-Action: <action>`, a header a cross-site page can send only
//     after a CORS preflight Berth never grants (so a plain form POST or a
//     no-cors fetch from another site fails), and, when the browser says
//     where it comes from (Origin, Sec-Fetch-Site), come from the page's own
//     origin.
//
// Thread-safety: immutable after construction; any thread.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/message.h"

namespace berth::dashboard {

inline constexpr std::string_view kActionHeader = "X-Berth-Action";

class RequestGuard {
 public:
  // `host_names`: names besides IP literals and localhost that requests may
  // address Berth by (e.g. the registry host's name), without ports.
  explicit RequestGuard(std::vector<std::string> host_names) : host_names_(std::move(host_names)) {}

  // Why a dashboard request must be refused, or nullopt to serve it.
  std::optional<std::string> RefuseRequest(const http::Request& request) const;
  // The same for an action named `action` (checked after RefuseRequest).
  std::optional<std::string> RefuseAction(const http::Request& request,
                                          std::string_view action) const;

 private:
  bool IsTrustedHost(std::string_view host_header) const;
  std::vector<std::string> host_names_;
};

// The host part of a Host header value ("[::1]:4566" → "::1",
// "localhost:4566" → "localhost"), lowercased; empty when malformed.
std::string HostPart(std::string_view host_header);

}  // namespace berth::dashboard
