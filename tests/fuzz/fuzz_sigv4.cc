// Fuzz target: SigV4, as strict authentication reads it. Input lines: the
// Authorization header, the X-Amz-Date header, the request target (path and
// query), then the body. The header goes through the credential-scope parser
// and the full verifier (canonical request, string to sign, signature) with
// a known key, and the target through the canonical query encoder. Promise
// checked: no crash; a refusal is always an AWS error (never another
// exception); an accepted scope names a key and a region; the account a key
// stands for is 12 digits.

#include <string>

#include "server/aws/authenticator.h"
#include "server/aws/aws_error.h"
#include "server/aws/credentials_file.h"
#include "server/aws/sigv4.h"
#include "server/aws/sigv4_signer.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

const berth::aws::Authenticator& Verifier() {
  static const berth::aws::Authenticator verifier(berth::aws::CredentialsFile::Parse(
      R"({"AKIDEXAMPLE": {"secretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",)"
      R"( "accountId": "123456789012"}})"));
  return verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = berth::fuzz::AsText(data, size);
  const auto [header, rest1] = berth::fuzz::SplitFirstLine(input);
  const auto [amz_date, rest2] = berth::fuzz::SplitFirstLine(rest1);
  const auto [target, body] = berth::fuzz::SplitFirstLine(rest2);

  if (const auto scope = berth::aws::ParseCredentialScope(header)) {
    (void)berth::aws::IsRegionName(scope->region);
    if (scope->access_key_id.empty() || scope->region.empty()) {
      berth::fuzz::Violation("accepted a scope with an empty part", header);
    }
    const std::string account =
        berth::aws::AccountForAccessKey(scope->access_key_id, "000000000000");
    if (account.size() != 12) berth::fuzz::Violation("account is not 12 digits", account);
  }
  (void)berth::aws::ParseSigV4Authorization(header);
  const size_t question = target.find('?');
  if (question != std::string_view::npos) {
    (void)berth::aws::CanonicalQuery(target.substr(question + 1));
  }

  berth::http::Request request;
  request.method = "POST";
  request.target = target.empty() ? "/" : std::string(target);
  request.headers.Add("Host", "localhost:4566");
  request.headers.Add("Authorization", std::string(header));
  request.headers.Add("X-Amz-Date", std::string(amz_date));
  request.headers.Add("Content-Type", "application/x-amz-json-1.1");
  request.body = std::string(body);
  try {
    (void)Verifier().Authenticate(request, "ecr", 1795000000.0);
  } catch (const berth::aws::AwsError&) {
  } catch (const std::exception& e) {
    berth::fuzz::Violation("a refusal that is not an AWS error", e.what());
  }
  return 0;
}
