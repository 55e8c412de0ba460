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

TEST(TokenIssuerTest, DownloadTokensNameOneBlobForAnHour) {
  const TokenIssuer issuer("secret");
  const DownloadGrant asked{"123456789012", "eu-west-1", "team/app", "sha256:abc", 0};
  const std::string token = issuer.IssueDownload(asked, 1000);
  EXPECT_EQ(token.find_first_of(":/?&=+% "), std::string::npos) << token;
  const auto grant = issuer.VerifyDownload(token, 1000 + 3599);
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->account_id, "123456789012");
  EXPECT_EQ(grant->region, "eu-west-1");
  EXPECT_EQ(grant->repository, "team/app");
  EXPECT_EQ(grant->digest, "sha256:abc");
  EXPECT_EQ(grant->expires_at, 1000 + 3600);
  EXPECT_FALSE(issuer.VerifyDownload(token, 1000 + 3600).has_value());
  EXPECT_FALSE(TokenIssuer("other").VerifyDownload(token, 1000).has_value());
}

TEST(TokenIssuerTest, PasswordsAndDownloadTokensAreNotInterchangeable) {
  const TokenIssuer issuer("secret");
  int64_t expires = 0;
  const std::string password = issuer.Issue("123456789012", "eu-west-1", 1000, expires);
  const std::string token =
      issuer.IssueDownload({"123456789012", "eu-west-1", "app", "sha256:abc", 0}, 1000);
  EXPECT_FALSE(issuer.VerifyDownload(password, 1000).has_value());
  EXPECT_FALSE(issuer.Verify(token, 1000).has_value());
}

TEST(PolicyDocumentTest, AcceptsRealPoliciesAndRejectsNonsense) {
  EXPECT_TRUE(IsValidResourcePolicy(R"({"Version":"2012-10-17","Statement":[{"Sid":"pull",
    "Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"]},
    "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]})"));
  EXPECT_TRUE(
      IsValidResourcePolicy(R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"ecr:*"}})"));
  EXPECT_FALSE(IsValidResourcePolicy("not json"));
  EXPECT_FALSE(IsValidResourcePolicy(R"({"Version":"2012-10-17"})"));
  EXPECT_FALSE(IsValidResourcePolicy(R"({"Statement":[]})"));
  EXPECT_FALSE(
      IsValidResourcePolicy(R"({"Statement":[{"Effect":"Maybe","Principal":"*","Action":"x"}]})"));
  EXPECT_FALSE(IsValidResourcePolicy(R"({"Statement":[{"Effect":"Allow","Action":"x"}]})"));
  EXPECT_FALSE(IsValidResourcePolicy(
      R"({"Version":"2020-01-01","Statement":[{"Effect":"Allow","Principal":"*","Action":"x"}]})"));
}

}  // namespace
}  // namespace berth::ecr
