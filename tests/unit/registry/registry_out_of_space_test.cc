// The registry's answer to an unexpected failure: a full data directory is
// 507 Insufficient Storage naming the cause (in the reason phrase too, which
// is what docker prints for a 5xx); anything else stays 500 UNKNOWN.

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/registry/registry_error.h"
#include "storage/out_of_space.h"

namespace berth::registry {
namespace {

TEST(RegistryOutOfSpaceTest, FullDiskIsInsufficientStorageNamingTheCause) {
  // Given the disk refused an upload's bytes
  const std::system_error full(ENOSPC, std::generic_category(), "could not store the upload");
  // When the registry answers
  const http::Response res = ServerFault(full);
  // Then docker sees 507 with the cause in the status line and the body
  EXPECT_EQ(res.status, 507u);
  EXPECT_EQ(res.reason, "Insufficient Storage: no space left on device");
  const auto body = nlohmann::json::parse(res.body);
  ASSERT_EQ(body["errors"].size(), 1u);
  EXPECT_EQ(body["errors"][0]["code"], "UNKNOWN");
  EXPECT_TRUE(body["errors"][0]["message"].get<std::string>().starts_with(storage::kNoSpaceLeft));
}

TEST(RegistryOutOfSpaceTest, OtherFailuresAreUnknown) {
  const http::Response res = ServerFault(std::runtime_error("boom"));
  EXPECT_EQ(res.status, 500u);
  EXPECT_TRUE(res.reason.empty());
  EXPECT_EQ(nlohmann::json::parse(res.body)["errors"][0]["code"], "UNKNOWN");
}

}  // namespace
}  // namespace berth::registry
