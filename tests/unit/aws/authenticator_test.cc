// Strict authentication: the SigV4 verifier against AWS's published
// sig-v4-test-suite vectors (get-vanilla, post-vanilla,
// get-vanilla-query-order-key-case, post-header-value-case: credentials
// AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, us-east-1, service
// "service", 20150830T123600Z), tampering, unknown keys, the 15-minute window,
// session tokens, and the credentials file.

#include "server/aws/authenticator.h"

#include <gtest/gtest.h>

#include "server/aws/aws_error.h"
#include "server/aws/credentials_file.h"
#include "server/aws/sigv4_signer.h"

namespace berth::aws {
namespace {

constexpr const char* kKey = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kDate = "20150830T123600Z";
constexpr double kSignedAt = 1440938160;  // 20150830T123600Z

std::string Authorization(const std::string& signed_headers, const std::string& signature,
                          const std::string& key = kKey) {
  return "AWS4-HMAC-SHA256 Credential=" + key +
         "/20150830/us-east-1/service/aws4_request, SignedHeaders=" + signed_headers +
         ", Signature=" + signature;
}

http::Request VectorRequest(const std::string& method, const std::string& target) {
  http::Request request;
  request.method = method;
  request.target = target;
  request.headers.Add("Host", "example.amazonaws.com");
  request.headers.Add("X-Amz-Date", kDate);
  return request;
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest()
      : authenticator_(CredentialsFile::Parse(
            R"({"AKIDEXAMPLE": {"secretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "accountId": "123456789012",
                "principalArn": "arn:aws:iam::123456789012:user/ci"}})")) {}

  // The AwsError Authenticate throws, or "" when it accepts.
  std::string Refusal(const http::Request& request, double now = kSignedAt,
                      std::string_view service = "service") {
    try {
      authenticator_.Authenticate(request, service, now);
    } catch (const AwsError& e) {
      status_ = e.http_status();
      message_ = e.what();
      return e.type();
    }
    return "";
  }

  // get-vanilla, signed.
  static http::Request GetVanilla() {
    http::Request request = VectorRequest("GET", "/");
    request.headers.Add(
        "Authorization",
        Authorization("host;x-amz-date",
                      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
    return request;
  }

  Authenticator authenticator_;
  unsigned status_ = 0;
  std::string message_;
};

TEST_F(AuthenticatorTest, CanonicalRequestOfGetVanillaIsTheSuites) {
  const http::Request request = VectorRequest("GET", "/");
  EXPECT_EQ(CanonicalRequest("GET", "/", "", request.headers, {"host", "x-amz-date"},
                             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(CanonicalQuery("Param2=value2&Param1=value1"), "Param1=value1&Param2=value2");
  EXPECT_EQ(CanonicalQuery("b=%7e x&a"), "a=&b=~%20x");
  EXPECT_EQ(SigV4UriEncode("/a b/ሴ", true), "/a%20b/%E1%88%B4");
}

TEST_F(AuthenticatorTest, AcceptsThePublishedTestSuiteVectors) {
  const Principal principal = authenticator_.Authenticate(GetVanilla(), "service", kSignedAt);
  EXPECT_EQ(principal.access_key_id, kKey);
  EXPECT_EQ(principal.account_id, "123456789012");
  EXPECT_EQ(principal.principal_arn, "arn:aws:iam::123456789012:user/ci");

  http::Request post = VectorRequest("POST", "/");
  post.headers.Add(
      "Authorization",
      Authorization("host;x-amz-date",
                    "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
  EXPECT_EQ(Refusal(post), "");

  http::Request query = VectorRequest("GET", "/?Param2=value2&Param1=value1");
  query.headers.Add(
      "Authorization",
      Authorization("host;x-amz-date",
                    "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
  EXPECT_EQ(Refusal(query), "");

  http::Request header_case = VectorRequest("POST", "/");
  header_case.headers.Add("My-Header1", "VALUE1");
  header_case.headers.Add(
      "Authorization",
      Authorization("host;my-header1;x-amz-date",
                    "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"));
  EXPECT_EQ(Refusal(header_case), "");
}

TEST_F(AuthenticatorTest, RefusesTamperedRequests) {
  const std::string mismatch =
      "The request signature we calculated does not match the signature you provided. Check "
      "your AWS Secret Access Key and signing method. Consult the service documentation for "
      "details.";
  http::Request body = GetVanilla();
  body.body = "{}";
  EXPECT_EQ(Refusal(body), "InvalidSignatureException");
  EXPECT_EQ(status_, 400u);
  EXPECT_EQ(message_, mismatch);

  http::Request method = GetVanilla();
  method.method = "POST";
  EXPECT_EQ(Refusal(method), "InvalidSignatureException");

  http::Request query = GetVanilla();
  query.target = "/?a=b";
  EXPECT_EQ(Refusal(query), "InvalidSignatureException");

  http::Request host = GetVanilla();
  host.headers.Set("Host", "other.amazonaws.com");
  EXPECT_EQ(Refusal(host), "InvalidSignatureException");

  http::Request signature = VectorRequest("GET", "/");
  signature.headers.Add(
      "Authorization",
      Authorization("host;x-amz-date",
                    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30"));
  EXPECT_EQ(Refusal(signature), "InvalidSignatureException");
  EXPECT_EQ(message_, mismatch);

  // An unsigned header may change; a payload hash must be the body's.
  http::Request extra = GetVanilla();
  extra.headers.Add("User-Agent", "anything");
  EXPECT_EQ(Refusal(extra), "");
  http::Request declared = GetVanilla();
  declared.headers.Add("X-Amz-Content-Sha256", std::string(64, 'a'));
  EXPECT_EQ(Refusal(declared), "InvalidSignatureException");
}

TEST_F(AuthenticatorTest, RefusesUnknownKeysAndMissingOrIncompleteHeaders) {
  http::Request unknown = VectorRequest("GET", "/");
  unknown.headers.Add("Authorization",
                      Authorization("host;x-amz-date", std::string(64, '0'), "AKIDUNKNOWN"));
  EXPECT_EQ(Refusal(unknown), "UnrecognizedClientException");
  EXPECT_EQ(status_, 400u);
  EXPECT_EQ(message_, "The security token included in the request is invalid.");

  EXPECT_EQ(Refusal(VectorRequest("GET", "/")), "MissingAuthenticationTokenException");
  EXPECT_EQ(status_, 403u);
  EXPECT_EQ(message_, "Missing Authentication Token");

  http::Request incomplete = VectorRequest("GET", "/");
  incomplete.headers.Add("Authorization", "AWS4-HMAC-SHA256 Credential=" + std::string(kKey) +
                                              "/20150830/us-east-1/service/aws4_request");
  EXPECT_EQ(Refusal(incomplete), "IncompleteSignatureException");
  EXPECT_NE(message_.find("Authorization header requires 'Signature' parameter."),
            std::string::npos);

  http::Request no_date = GetVanilla();
  no_date.headers.Set("X-Amz-Date", "");
  EXPECT_NE(Refusal(no_date), "");

  http::Request host_unsigned = VectorRequest("GET", "/");
  host_unsigned.headers.Add("Authorization", Authorization("x-amz-date", std::string(64, '0')));
  EXPECT_EQ(Refusal(host_unsigned), "InvalidSignatureException");
  EXPECT_NE(message_.find("'Host'"), std::string::npos);
}

TEST_F(AuthenticatorTest, RefusesRequestsOutsideTheFifteenMinuteWindow) {
  EXPECT_EQ(Refusal(GetVanilla(), kSignedAt + 15 * 60), "");
  EXPECT_EQ(Refusal(GetVanilla(), kSignedAt - 15 * 60), "");
  EXPECT_EQ(Refusal(GetVanilla(), kSignedAt + 16 * 60), "InvalidSignatureException");
  EXPECT_EQ(status_, 400u);
  EXPECT_EQ(message_,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z "
            "(20150830T125200Z - 15 min.)");
  EXPECT_EQ(Refusal(GetVanilla(), kSignedAt - 16 * 60), "InvalidSignatureException");
  EXPECT_EQ(message_,
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z "
            "(20150830T122000Z + 15 min.)");
}

TEST_F(AuthenticatorTest, RefusesAScopeOfAnotherDayOrService) {
  EXPECT_EQ(Refusal(GetVanilla(), kSignedAt, "ecr"), "InvalidSignatureException");
  EXPECT_EQ(message_, "Credential should be scoped to correct service: 'ecr'. ");
  http::Request other_day = GetVanilla();
  other_day.headers.Set("X-Amz-Date", "20150831T000000Z");
  EXPECT_EQ(Refusal(other_day, kSignedAt + 11 * 3600), "InvalidSignatureException");
  EXPECT_NE(message_.find("Date in Credential scope does not match"), std::string::npos);
}

TEST_F(AuthenticatorTest, VerifiesSessionTokensThroughTheResolver) {
  authenticator_.SetSessionResolver(
      [](std::string_view key, std::string_view token) -> std::optional<SessionCredential> {
        if (key != "111122223333" || token != "good-token") return std::nullopt;
        return SessionCredential{"session-secret", "111122223333",
                                 "arn:aws:sts::111122223333:assumed-role/app/1", kSignedAt + 60};
      });
  // Signed like botocore does with a session token: the token is a signed header.
  SigV4Authorization scope{"111122223333",
                           "20150830",
                           "us-east-1",
                           "service",
                           {"host", "x-amz-date", "x-amz-security-token"},
                           ""};
  http::Request request = VectorRequest("GET", "/");
  request.headers.Add("X-Amz-Security-Token", "good-token");
  const std::string canonical =
      CanonicalRequest("GET", "/", "", request.headers, scope.signed_headers,
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string signature = SigV4Signature(
      "session-secret", scope, StringToSign(kDate, CredentialScopeOf(scope), canonical));
  request.headers.Add("Authorization",
                      "AWS4-HMAC-SHA256 Credential=111122223333/20150830/us-east-1/service/"
                      "aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, "
                      "Signature=" +
                          signature);
  const Principal principal = authenticator_.Authenticate(request, "service", kSignedAt);
  EXPECT_EQ(principal.account_id, "111122223333");
  EXPECT_EQ(principal.principal_arn, "arn:aws:sts::111122223333:assumed-role/app/1");

  EXPECT_EQ(Refusal(request, kSignedAt + 61), "ExpiredTokenException");
  http::Request forged = request;
  forged.headers.Set("X-Amz-Security-Token", "forged");
  EXPECT_EQ(Refusal(forged), "UnrecognizedClientException");
}

TEST(CredentialsFileTest, ParsesKeysAndDefaultsThePrincipalToTheRoot) {
  const CredentialsFile file = CredentialsFile::Parse(
      R"({"AKIAONE": {"secretAccessKey": "s1", "accountId": "111122223333"},
          "AKIATWO": {"secretAccessKey": "s2", "accountId": "444455556666",
                      "principalArn": "arn:aws:iam::444455556666:role/deployer"}})");
  ASSERT_NE(file.Find("AKIAONE"), nullptr);
  EXPECT_EQ(file.Find("AKIAONE")->principal_arn, "arn:aws:iam::111122223333:root");
  EXPECT_EQ(file.Find("AKIATWO")->principal_arn, "arn:aws:iam::444455556666:role/deployer");
  EXPECT_EQ(file.Find("AKIATHREE"), nullptr);
}

TEST(CredentialsFileTest, RefusesMalformedFiles) {
  for (const char* text :
       {"[]", "{}", "not json", R"({"K": {"accountId": "111122223333"}})",
        R"({"K": {"secretAccessKey": "s", "accountId": "1"}})",
        R"({"K": {"secretAccessKey": "s", "accountId": "111122223333", "secret": "x"}})",
        R"({"K": {"secretAccessKey": "s", "accountId": "111122223333", "principalArn": "x"}})",
        R"({"bad key": {"secretAccessKey": "s", "accountId": "111122223333"}})"}) {
    EXPECT_THROW(CredentialsFile::Parse(text), std::runtime_error) << text;
  }
}

TEST(AmzDateTest, ParsesAndFormatsIso8601Basic) {
  EXPECT_EQ(ParseAmzDate("20150830T123600Z"), 1440938160);
  EXPECT_EQ(FormatAmzDate(1440938160), "20150830T123600Z");
  EXPECT_FALSE(ParseAmzDate("2015-08-30T12:36:00Z"));
  EXPECT_FALSE(ParseAmzDate("20150230T123600Z"));
}

}  // namespace
}  // namespace berth::aws
