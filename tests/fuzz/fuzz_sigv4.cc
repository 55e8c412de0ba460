// Fuzz target: the SigV4 Authorization header and credential-scope parser,
// and the region and account rules applied to what it yields. Input: the
// header value. Promise checked: no crash; an accepted scope names a key
// and a region, and the account a key stands for is always 12 digits.

#include <string>

#include "server/aws/sigv4.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header = berth::fuzz::AsText(data, size);
  const auto scope = berth::aws::ParseCredentialScope(header);
  if (scope) {
    (void)berth::aws::IsRegionName(scope->region);
    if (scope->access_key_id.empty() || scope->region.empty()) {
      berth::fuzz::Violation("accepted a scope with an empty part", header);
    }
    const std::string account =
        berth::aws::AccountForAccessKey(scope->access_key_id, "000000000000");
    if (account.size() != 12) berth::fuzz::Violation("account is not 12 digits", account);
  }
  (void)berth::aws::IsRegionName(header);
  return 0;
}
