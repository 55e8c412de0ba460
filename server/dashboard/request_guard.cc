#include "server/dashboard/request_guard.h"

#include <algorithm>
#include <cctype>

namespace berth::dashboard {
namespace {

bool IsIpv4Literal(std::string_view host) {
  int parts = 0;
  size_t digits = 0;
  for (const char c : host) {
    if (c == '.') {
      if (digits == 0) return false;
      ++parts;
      digits = 0;
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 && digits < 3) {
      ++digits;
    } else {
      return false;
    }
  }
  return parts == 3 && digits > 0;
}

bool IsIpv6Literal(std::string_view host) {
  return !host.empty() && host.find(':') != std::string_view::npos &&
         std::all_of(host.begin(), host.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
         });
}

bool IsLocalhostName(std::string_view host) {
  return host == "localhost" || host.ends_with(".localhost");
}

}  // namespace

std::string HostPart(std::string_view host_header) {
  std::string_view host = host_header;
  if (host.starts_with('[')) {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return "";
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return "";
    host = host.substr(1, close - 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool RequestGuard::IsTrustedHost(std::string_view host_header) const {
  const std::string host = HostPart(host_header);
  if (host.empty()) return false;
  if (IsIpv4Literal(host) || IsLocalhostName(host)) return true;
  if (host_header.starts_with('[') && IsIpv6Literal(host)) return true;
  return std::find(host_names_.begin(), host_names_.end(), host) != host_names_.end();
}

std::optional<std::string> RequestGuard::RefuseRequest(const http::Request& request) const {
  const auto host = request.headers.Get("Host");
  if (!host || !IsTrustedHost(*host)) {
    return "The dashboard answers only requests addressed to an IP address, localhost or "
           "Berth's configured host name, not to " +
           std::string(host.value_or("(no Host header)"));
  }
  return std::nullopt;
}

std::optional<std::string> RequestGuard::RefuseAction(const http::Request& request,
                                                      std::string_view action) const {
  if (request.headers.Get(kActionHeader) != action) {
    return "Dashboard actions need the header " + std::string(kActionHeader) + ": " +
           std::string(action);
  }
  const std::string_view host = request.headers.Get("Host").value_or("");
  if (const auto origin = request.headers.Get("Origin")) {
    if (*origin != "http://" + std::string(host) && *origin != "https://" + std::string(host)) {
      return "Dashboard actions are accepted only from the dashboard's own origin, not from " +
             std::string(*origin);
    }
  }
  if (const auto site = request.headers.Get("Sec-Fetch-Site")) {
    if (*site != "same-origin" && *site != "none") {
      return "Dashboard actions are accepted only from the dashboard's own origin "
             "(Sec-Fetch-Site: " +
             std::string(*site) + ")";
    }
  }
  return std::nullopt;
}

}  // namespace berth::dashboard
