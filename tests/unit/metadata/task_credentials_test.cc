// Task-role credentials verify under strict authentication: Resolve recovers
// the secret Issue handed out from the key id and session token alone, and
// refuses forged or misapplied tokens.

#include "server/metadata/task_credentials.h"

#include <gtest/gtest.h>

namespace berth::metadata {
namespace {

TEST(TaskCredentialsTest, ResolveRecoversTheIssuedSecretAndTheRoleSession) {
  const TaskCredentials credentials("data-dir-secret");
  const double now = 1795000000;
  const auto issued =
      credentials.Issue("cred-1", "111122223333", "arn:aws:iam::111122223333:role/ops/app", now);
  const std::string token = issued["Token"];

  const auto resolved = credentials.Resolve("111122223333", token);
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->secret_access_key, issued["SecretAccessKey"]);
  EXPECT_EQ(resolved->account_id, "111122223333");
  EXPECT_EQ(resolved->principal_arn, "arn:aws:sts::111122223333:assumed-role/app/cred-1");
  EXPECT_GT(resolved->expires_at, now);
  EXPECT_LE(resolved->expires_at, now + TaskCredentials::kLifetimeSeconds);

  // Another key, a changed token, another data directory's secret: refused.
  EXPECT_FALSE(credentials.Resolve("444455556666", token));
  EXPECT_FALSE(credentials.Resolve("111122223333", token + "x"));
  EXPECT_FALSE(credentials.Resolve("111122223333", "x" + token));
  EXPECT_FALSE(TaskCredentials("other").Resolve("111122223333", token));
}

TEST(TaskCredentialsTest, WithoutARoleTheSessionIsTheAccountsRoot) {
  const TaskCredentials credentials("s");
  const auto issued = credentials.Issue("cred-2", "111122223333", "", 1795000000);
  const auto resolved = credentials.Resolve("111122223333", issued["Token"].get<std::string>());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->principal_arn, "arn:aws:iam::111122223333:root");
  EXPECT_EQ(AssumedRoleArn("arn:aws:iam::1:role/a/b/name", "s"),
            "arn:aws:sts::1:assumed-role/name/s");
  EXPECT_EQ(AssumedRoleArn("arn:aws:iam::1:user/u", "s"), "");
}

}  // namespace
}  // namespace berth::metadata
