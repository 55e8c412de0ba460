#include "server/ecr/auth_token.h"

#include <gtest/gtest.h>

#include "server/ecr/policy_document.h"

namespace berth::ecr {
namespace {

TEST(TokenIssuerTest, IssuedPasswordsVerifyUntilTheyExpire) {
  const TokenIssuer issuer("secret");
  int64_t expires = 0;
  const std::string password = issuer.Issue("123456789012", "eu-west-1", 1000, expires);
  EXPECT_EQ(expires, 1000 + 12 * 3600);
  EXPECT_EQ(password.find(':'), std::string::npos);
  const auto grant = issuer.Verify(password, 2000);
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->account_id, "123456789012");
  EXPECT_EQ(grant->region, "eu-west-1");
  EXPECT_FALSE(issuer.Verify(password, expires).has_value());
}

TEST(TokenIssuerTest, ForgedOrForeignPasswordsFail) {
  const TokenIssuer issuer("secret");
  int64_t expires = 0;
  std::string password = issuer.Issue("123456789012", "eu-west-1", 1000, expires);
  EXPECT_FALSE(TokenIssuer("other").Verify(password, 1000).has_value());
  password[3] = password[3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(issuer.Verify(password, 1000).has_value());
  EXPECT_FALSE(issuer.Verify("", 1000).has_value());
  EXPECT_FALSE(issuer.Verify("no-dot", 1000).has_value());
}

TEST(PolicyDocumentTest, AcceptsRealPoliciesAndRejectsNonsense) {
  EXPECT_TRUE(IsValidResourcePolicy(R"({"Version":"2012-10-17","Statement":[{"Sid":"pull",
    "Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"]},
    "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]})"));
  EXPECT_TRUE(IsValidResourcePolicy(
      R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"ecr:*"}})"));
  EXPECT_FALSE(IsValidResourcePolicy("not json"));
  EXPECT_FALSE(IsValidResourcePolicy(R"({"Version":"2012-10-17"})"));
  EXPECT_FALSE(IsValidResourcePolicy(R"({"Statement":[]})"));
  EXPECT_FALSE(IsValidResourcePolicy(R"({"Statement":[{"Effect":"Maybe","Principal":"*","Action":"x"}]})"));
  EXPECT_FALSE(IsValidResourcePolicy(R"({"Statement":[{"Effect":"Allow","Action":"x"}]})"));
  EXPECT_FALSE(IsValidResourcePolicy(R"({"Version":"2020-01-01","Statement":[{"Effect":"Allow","Principal":"*","Action":"x"}]})"));
}

}  // namespace
}  // namespace berth::ecr
