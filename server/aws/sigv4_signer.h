#pragma once

// The pieces of AWS Signature Version 4 (header form) that a verifier needs,
// as pure functions: parsing the Authorization header, the canonical request,
// the string to sign, the signing key and the signature. The verifier
// (Authenticator) recomputes what the client signed and compares; these
// functions know nothing of credentials or clocks.
//
// Canonicalization follows botocore's signer for non-S3 services: the path is
// URI-encoded once more as received (it is "/" for every JSON-protocol call),
// query pairs are sorted after normalizing their encoding, header values are
// trimmed with inner runs of spaces collapsed, and repeated headers are joined
// with ','.
//
// Thread-safety: pure functions; call from any thread.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/message.h"

namespace berth::aws {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";

// The three parts of "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
// Signature=…", with the credential scope split.
struct SigV4Authorization {
  std::string access_key_id;
  std::string date;  // yyyymmdd of the scope
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lowercase, in the order given
  std::string signature;                    // lowercase hex
};

// What is wrong with an Authorization header that is not a complete SigV4
// one, in AWS's words (IncompleteSignatureException); empty when complete.
struct SigV4Parse {
  std::optional<SigV4Authorization> authorization;
  std::string problem;
};

// Parses a SigV4 Authorization header. `problem` is set (and `authorization`
// empty) when a part is missing or malformed.
SigV4Parse ParseSigV4Authorization(std::string_view header);

// The URI encoding of SigV4: every byte but A-Z a-z 0-9 - _ . ~ becomes %XX
// (uppercase hex); '/' is kept when `keep_slash`.
std::string SigV4UriEncode(std::string_view text, bool keep_slash);

// The canonical query string of a raw query (without '?').
std::string CanonicalQuery(std::string_view raw_query);

// The canonical request for `signed_headers` (lowercase names, sorted by the
// caller or not: they are used in the order given, as AWS does).
std::string CanonicalRequest(std::string_view method, std::string_view raw_path,
                             std::string_view raw_query, const http::Headers& headers,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash);

// "AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256 of canonical request>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// "<date>/<region>/<service>/aws4_request".
std::string CredentialScopeOf(const SigV4Authorization& authorization);

// The hex HMAC of `string_to_sign` under the key derived from `secret` and
// the scope's date, region and service.
std::string SigV4Signature(std::string_view secret, const SigV4Authorization& scope,
                           std::string_view string_to_sign);

// Parses an ISO 8601 basic timestamp (20150830T123600Z) to epoch seconds.
std::optional<int64_t> ParseAmzDate(std::string_view text);
// Formats epoch seconds as an ISO 8601 basic timestamp.
std::string FormatAmzDate(int64_t epoch_seconds);

}  // namespace berth::aws
