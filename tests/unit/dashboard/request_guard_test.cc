// RequestGuard: which hosts the dashboard answers, and what an action needs
// so that another web page cannot trigger it through the user's browser.

#include "server/dashboard/request_guard.h"

#include <gtest/gtest.h>

namespace berth::dashboard {
namespace {

http::Request RequestTo(const std::string& host) {
  http::Request request;
  request.method = "GET";
  request.target = "/_berth/ui/";
  if (!host.empty()) request.headers.Add("Host", host);
  return request;
}

http::Request Action(const std::string& host, const std::string& action) {
  http::Request request = RequestTo(host);
  request.method = "POST";
  request.target = "/_berth/ui/api/stop-task";
  if (!action.empty()) request.headers.Add("X-Berth-Action", action);
  return request;
}

TEST(RequestGuardTest, HostPartDropsPortAndBrackets) {
  EXPECT_EQ(HostPart("127.0.0.1:4566"), "127.0.0.1");
  EXPECT_EQ(HostPart("[::1]:4566"), "::1");
  EXPECT_EQ(HostPart("[::1]"), "::1");
  EXPECT_EQ(HostPart("LocalHost:80"), "localhost");
  EXPECT_EQ(HostPart("berth.example"), "berth.example");
  EXPECT_EQ(HostPart("[::1"), "");
}

TEST(RequestGuardTest, AnswersIpLiteralsLocalhostAndConfiguredNames) {
  const RequestGuard guard({"berth.internal"});
  for (const char* host : {"127.0.0.1:4566", "[::1]:4566", "localhost:4566", "app.localhost",
                           "192.168.1.20:4566", "berth.internal:4566", "BERTH.internal"}) {
    EXPECT_EQ(guard.RefuseRequest(RequestTo(host)), std::nullopt) << host;
  }
}

TEST(RequestGuardTest, RefusesNamesDnsCouldRebind) {
  // Given a page on evil.example whose name now resolves to 127.0.0.1,
  // its requests carry Host: evil.example.
  const RequestGuard guard({});
  for (const char* host : {"evil.example:4566", "localhost.evil.example", "127.0.0.1.nip.io",
                           "1.2.3", "[evil]:80", ""}) {
    EXPECT_NE(guard.RefuseRequest(RequestTo(host)), std::nullopt) << host;
  }
}

TEST(RequestGuardTest, ActionsNeedTheirHeader) {
  const RequestGuard guard({});
  // A plain cross-site form POST cannot set headers at all.
  EXPECT_NE(guard.RefuseAction(Action("127.0.0.1:4566", ""), "stop-task"), std::nullopt);
  EXPECT_NE(guard.RefuseAction(Action("127.0.0.1:4566", "reset"), "stop-task"), std::nullopt);
  EXPECT_EQ(guard.RefuseAction(Action("127.0.0.1:4566", "stop-task"), "stop-task"), std::nullopt);
}

TEST(RequestGuardTest, ActionsMustComeFromTheDashboardsOrigin) {
  const RequestGuard guard({});
  http::Request same = Action("127.0.0.1:4566", "stop-task");
  same.headers.Add("Origin", "http://127.0.0.1:4566");
  same.headers.Add("Sec-Fetch-Site", "same-origin");
  EXPECT_EQ(guard.RefuseAction(same, "stop-task"), std::nullopt);

  http::Request other = Action("127.0.0.1:4566", "stop-task");
  other.headers.Add("Origin", "https://evil.example");
  EXPECT_NE(guard.RefuseAction(other, "stop-task"), std::nullopt);

  http::Request other_port = Action("127.0.0.1:4566", "stop-task");
  other_port.headers.Add("Origin", "http://127.0.0.1:8080");
  EXPECT_NE(guard.RefuseAction(other_port, "stop-task"), std::nullopt);

  http::Request opaque = Action("127.0.0.1:4566", "stop-task");
  opaque.headers.Add("Origin", "null");
  EXPECT_NE(guard.RefuseAction(opaque, "stop-task"), std::nullopt);

  http::Request cross_site = Action("127.0.0.1:4566", "stop-task");
  cross_site.headers.Add("Sec-Fetch-Site", "cross-site");
  EXPECT_NE(guard.RefuseAction(cross_site, "stop-task"), std::nullopt);
}

}  // namespace
}  // namespace berth::dashboard
