#include "server/aws/sigv4_signer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "server/util/crypto.h"
#include "server/util/percent_encoding.h"

namespace berth::aws {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

// The canonical value of a header: trimmed, inner runs of spaces collapsed.
std::string CanonicalValue(std::string_view value) {
  value = Trim(value);
  std::string out;
  out.reserve(value.size());
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Splits "Name=value" parameters of the Authorization header (separated by
// ',' and/or spaces) into name → value.
std::vector<std::pair<std::string_view, std::string_view>> Parameters(std::string_view text) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t comma = text.find(',', start);
    const std::string_view part =
        Trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
    if (const auto eq = part.find('='); eq != std::string_view::npos) {
      out.emplace_back(Trim(part.substr(0, eq)), Trim(part.substr(eq + 1)));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t at = text.find(separator, start);
    out.push_back(text.substr(start, at == std::string_view::npos ? text.npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

bool IsLowerHex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

SigV4Parse ParseSigV4Authorization(std::string_view header) {
  header = Trim(header);
  if (!header.starts_with(kSigV4Algorithm) ||
      (header.size() > kSigV4Algorithm.size() && header[kSigV4Algorithm.size()] != ' ')) {
    return {std::nullopt, "Unsupported signing algorithm; Berth accepts AWS4-HMAC-SHA256"};
  }
  std::optional<std::string_view> credential;
  std::optional<std::string_view> signed_headers;
  std::optional<std::string_view> signature;
  for (const auto& [name, value] : Parameters(header.substr(kSigV4Algorithm.size()))) {
    if (name == "Credential") credential = value;
    if (name == "SignedHeaders") signed_headers = value;
    if (name == "Signature") signature = value;
  }
  std::string problem;
  if (!credential) problem += "Authorization header requires 'Credential' parameter. ";
  if (!signature) problem += "Authorization header requires 'Signature' parameter. ";
  if (!signed_headers) problem += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!problem.empty()) {
    return {std::nullopt, problem + "Authorization=" + std::string(header)};
  }
  const auto scope = Split(*credential, '/');
  if (scope.size() != 5 || scope[0].empty() || scope[1].size() != 8 || scope[2].empty() ||
      scope[3].empty() || scope[4] != "aws4_request") {
    return {std::nullopt,
            "Credential should be scoped to a valid region, service and date, "
            "as <key>/<yyyymmdd>/<region>/<service>/aws4_request. Credential=" +
                std::string(*credential)};
  }
  if (!IsLowerHex(*signature)) {
    return {std::nullopt, "Signature must be lowercase hex. Signature=" + std::string(*signature)};
  }
  SigV4Authorization out;
  out.access_key_id = scope[0];
  out.date = scope[1];
  out.region = scope[2];
  out.service = scope[3];
  for (const auto name : Split(*signed_headers, ';')) {
    if (name.empty()) return {std::nullopt, "SignedHeaders must not contain empty names"};
    out.signed_headers.push_back(Lower(name));
  }
  out.signature = *signature;
  return {std::move(out), ""};
}

std::string SigV4UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0f];
    }
  }
  return out;
}

std::string CanonicalQuery(std::string_view raw_query) {
  if (raw_query.empty()) return "";
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto part : Split(raw_query, '&')) {
    if (part.empty()) continue;
    const auto eq = part.find('=');
    const std::string_view key = part.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    pairs.emplace_back(SigV4UriEncode(util::PercentDecode(key, false), false),
                       SigV4UriEncode(util::PercentDecode(value, false), false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out += '&';
    out += key + "=" + value;
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view raw_path,
                             std::string_view raw_query, const http::Headers& headers,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash) {
  std::string out;
  out += method;
  out += '\n';
  out += SigV4UriEncode(raw_path.empty() ? "/" : raw_path, true);
  out += '\n';
  out += CanonicalQuery(raw_query);
  out += '\n';
  std::string names;
  for (const auto& name : signed_headers) {
    std::string joined;
    bool first = true;
    for (const auto& [field, value] : headers.fields()) {
      if (!http::EqualsIgnoreCase(field, name)) continue;
      if (!first) joined += ',';
      joined += CanonicalValue(value);
      first = false;
    }
    out += name + ":" + joined + "\n";
    if (!names.empty()) names += ';';
    names += name;
  }
  out += '\n';
  out += names;
  out += '\n';
  out += payload_hash;
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kSigV4Algorithm);
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += crypto::Sha256Hex(canonical_request);
  return out;
}

std::string CredentialScopeOf(const SigV4Authorization& authorization) {
  return authorization.date + "/" + authorization.region + "/" + authorization.service +
         "/aws4_request";
}

std::string SigV4Signature(std::string_view secret, const SigV4Authorization& scope,
                           std::string_view string_to_sign) {
  const std::string date_key = crypto::HmacSha256("AWS4" + std::string(secret), scope.date);
  const std::string region_key = crypto::HmacSha256(date_key, scope.region);
  const std::string service_key = crypto::HmacSha256(region_key, scope.service);
  const std::string signing_key = crypto::HmacSha256(service_key, "aws4_request");
  return crypto::Hex(crypto::HmacSha256(signing_key, string_to_sign));
}

std::optional<int64_t> ParseAmzDate(std::string_view text) {
  // yyyymmddThhmmssZ
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  int fields[6] = {};
  const size_t starts[6] = {0, 4, 6, 9, 11, 13};
  const size_t lengths[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; ++i) {
    int value = 0;
    for (size_t j = 0; j < lengths[i]; ++j) {
      const char c = text[starts[i] + j];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    fields[i] = value;
  }
  using namespace std::chrono;
  const year_month_day day{year{fields[0]}, month{static_cast<unsigned>(fields[1])},
                           std::chrono::day{static_cast<unsigned>(fields[2])}};
  if (!day.ok() || fields[3] > 23 || fields[4] > 59 || fields[5] > 60) return std::nullopt;
  const auto days = sys_days(day).time_since_epoch().count();
  return static_cast<int64_t>(days) * 86400 + fields[3] * 3600 + fields[4] * 60 + fields[5];
}

std::string FormatAmzDate(int64_t epoch_seconds) {
  using namespace std::chrono;
  const int64_t days = epoch_seconds >= 0 ? epoch_seconds / 86400 : (epoch_seconds - 86399) / 86400;
  const int64_t rest = epoch_seconds - days * 86400;
  const year_month_day day{sys_days{std::chrono::days{days}}};
  char out[32];
  std::snprintf(out, sizeof out, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()),
                static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                static_cast<int>(rest % 60));
  return out;
}

}  // namespace berth::aws
