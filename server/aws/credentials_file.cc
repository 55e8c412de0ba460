#include "server/aws/credentials_file.h"

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace berth::aws {
namespace {

// Access key ids: word characters, up to 128 (IAM's are 16 or more; shorter test keys such as
// AKIDEXAMPLE are allowed).
bool IsAccessKeyId(const std::string& key) {
  static const std::regex kKey(R"([\w]{1,128})");
  return std::regex_match(key, kKey);
}

bool IsAccountId(const std::string& id) {
  static const std::regex kAccount("[0-9]{12}");
  return std::regex_match(id, kAccount);
}

bool IsPrincipalArn(const std::string& arn) {
  static const std::regex kArn(R"(arn:aws(-[a-z]+)*:(iam|sts)::[0-9]{12}:[\w+=,.@/:-]+)");
  return std::regex_match(arn, kArn);
}

std::string StringMember(const nlohmann::json& entry, const std::string& key,
                         const std::string& member, bool required) {
  const auto it = entry.find(member);
  if (it == entry.end()) {
    if (required) throw std::runtime_error("key " + key + " has no \"" + member + "\"");
    return "";
  }
  if (!it->is_string() || it->get<std::string>().empty()) {
    throw std::runtime_error("\"" + member + "\" of key " + key + " must be a non-empty string");
  }
  return it->get<std::string>();
}

}  // namespace

std::string RootPrincipalArn(std::string_view account_id) {
  return "arn:aws:iam::" + std::string(account_id) + ":root";
}

CredentialsFile CredentialsFile::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read credentials file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return Parse(text.str());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("credentials file " + path + ": " + e.what());
  }
}

CredentialsFile CredentialsFile::Parse(std::string_view text) {
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw std::runtime_error("expected a JSON object of access key id -> credential");
  }
  if (doc.empty()) throw std::runtime_error("no access keys");
  CredentialsFile file;
  for (const auto& [key, entry] : doc.items()) {
    if (!IsAccessKeyId(key)) {
      throw std::runtime_error("'" + key +
                               "' is not an access key id (1 to 128 letters, digits or _)");
    }
    if (!entry.is_object()) throw std::runtime_error("key " + key + " must map to an object");
    for (const auto& [member, value] : entry.items()) {
      (void)value;
      if (member != "secretAccessKey" && member != "accountId" && member != "principalArn") {
        throw std::runtime_error("key " + key + " has an unknown member \"" + member +
                                 "\" (expected secretAccessKey, accountId, principalArn)");
      }
    }
    StaticCredential credential;
    credential.secret_access_key = StringMember(entry, key, "secretAccessKey", true);
    credential.account_id = StringMember(entry, key, "accountId", true);
    if (!IsAccountId(credential.account_id)) {
      throw std::runtime_error("accountId of key " + key + " must be 12 digits");
    }
    credential.principal_arn = StringMember(entry, key, "principalArn", false);
    if (credential.principal_arn.empty()) {
      credential.principal_arn = RootPrincipalArn(credential.account_id);
    } else if (!IsPrincipalArn(credential.principal_arn)) {
      throw std::runtime_error("principalArn of key " + key +
                               " must be an IAM ARN such as arn:aws:iam::" + credential.account_id +
                               ":user/ci");
    }
    file.keys_.emplace(key, std::move(credential));
  }
  return file;
}

const StaticCredential* CredentialsFile::Find(std::string_view access_key_id) const {
  const auto it = keys_.find(access_key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace berth::aws
