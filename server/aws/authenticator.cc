#include "server/aws/authenticator.h"

#include <algorithm>
#include <cmath>

#include <openssl/crypto.h>

#include "server/aws/aws_error.h"
#include "server/aws/sigv4_signer.h"
#include "server/util/crypto.h"

namespace berth::aws {
namespace {

constexpr std::string_view kSignatureMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

AwsError MissingAuthenticationToken() {
  return AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
}

AwsError IncompleteSignature(const std::string& message) {
  return AwsError("IncompleteSignatureException", message);
}

AwsError InvalidSignature(const std::string& message) {
  return AwsError("InvalidSignatureException", message);
}

AwsError UnrecognizedClient() {
  return AwsError("UnrecognizedClientException",
                  "The security token included in the request is invalid.");
}

// Refuses a request signed more than kMaxSkewSeconds away from `now`, in
// AWS's words.
void RequireCurrent(std::string_view amz_date, int64_t signed_at, double now) {
  const auto current = static_cast<int64_t>(std::floor(now));
  constexpr int64_t kSkew = Authenticator::kMaxSkewSeconds;
  if (signed_at < current - kSkew) {
    throw InvalidSignature("Signature expired: " + std::string(amz_date) + " is now earlier than " +
                           FormatAmzDate(current - kSkew) + " (" + FormatAmzDate(current) +
                           " - 15 min.)");
  }
  if (signed_at > current + kSkew) {
    throw InvalidSignature("Signature not yet current: " + std::string(amz_date) +
                           " is still later than " + FormatAmzDate(current + kSkew) + " (" +
                           FormatAmzDate(current) + " + 15 min.)");
  }
}

// The payload hash the client signed: x-amz-content-sha256 when it sent one
// (which must then be the body's), else the body's SHA-256.
std::string PayloadHash(const http::Request& request) {
  const std::string actual = crypto::Sha256Hex(request.body);
  const auto declared = request.headers.Get("X-Amz-Content-Sha256");
  if (!declared) return actual;
  if (*declared == "UNSIGNED-PAYLOAD") return std::string(*declared);
  if (*declared != actual) {
    throw InvalidSignature(
        "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return actual;
}

}  // namespace

Principal Authenticator::Authenticate(const http::Request& request, std::string_view service,
                                      double now) const {
  const auto header = request.headers.Get("Authorization");
  if (!header || header->empty()) throw MissingAuthenticationToken();
  SigV4Parse parsed = ParseSigV4Authorization(*header);
  if (!parsed.authorization) throw IncompleteSignature(parsed.problem);
  const SigV4Authorization& authorization = *parsed.authorization;

  // Who: a long-term key from the file, or a temporary one with its token.
  std::string secret;
  Principal principal{authorization.access_key_id, "", ""};
  if (const auto token = request.headers.Get("X-Amz-Security-Token")) {
    const auto session = sessions_ ? sessions_(authorization.access_key_id, *token) : std::nullopt;
    if (!session) throw UnrecognizedClient();
    if (session->expires_at <= now) {
      throw AwsError("ExpiredTokenException",
                     "The security token included in the request is expired");
    }
    secret = session->secret_access_key;
    principal.account_id = session->account_id;
    principal.principal_arn = session->principal_arn;
  } else if (const StaticCredential* credential = credentials_.Find(authorization.access_key_id)) {
    secret = credential->secret_access_key;
    principal.account_id = credential->account_id;
    principal.principal_arn = credential->principal_arn;
  } else {
    throw UnrecognizedClient();
  }

  // When: X-Amz-Date, on the scope's day, within 15 minutes of now.
  const auto amz_date = request.headers.Get("X-Amz-Date");
  if (!amz_date) {
    throw IncompleteSignature(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=" +
        std::string(*header));
  }
  const auto signed_at = ParseAmzDate(*amz_date);
  if (!signed_at) {
    throw IncompleteSignature(
        "X-Amz-Date must be in the ISO 8601 basic format "
        "yyyyMMdd'T'HHmmss'Z', not '" +
        std::string(*amz_date) + "'");
  }
  if (amz_date->substr(0, 8) != authorization.date) {
    throw InvalidSignature(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '" +
        authorization.date + "' != '" + std::string(amz_date->substr(0, 8)) + "', from '" +
        std::string(*amz_date) + "'.");
  }
  RequireCurrent(*amz_date, *signed_at, now);
  if (!service.empty() && authorization.service != service) {
    throw InvalidSignature("Credential should be scoped to correct service: '" +
                           std::string(service) + "'. ");
  }
  const auto& names = authorization.signed_headers;
  if (std::find(names.begin(), names.end(), "host") == names.end()) {
    throw InvalidSignature(
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
        "Authorization.");
  }

  // What: the signature over the canonical request.
  const std::string canonical = CanonicalRequest(request.method, request.Path(), request.Query(),
                                                 request.headers, names, PayloadHash(request));
  const std::string expected = SigV4Signature(
      secret, authorization, StringToSign(*amz_date, CredentialScopeOf(authorization), canonical));
  if (expected.size() != authorization.signature.size() ||
      CRYPTO_memcmp(expected.data(), authorization.signature.data(), expected.size()) != 0) {
    throw InvalidSignature(std::string(kSignatureMismatch));
  }
  return principal;
}

}  // namespace berth::aws
