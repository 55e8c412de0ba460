#include "server/ecr/secrets_file.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace berth::ecr {

SecretLookup SecretsFile::Lookup(const std::string& arn) const {
  using Status = SecretLookup::Status;
  SecretLookup out;
  if (path_.empty()) {
    out.status = Status::kNotFound;
    out.detail = "no secrets file is configured (BERTH_SECRETS_FILE)";
    return out;
  }
  std::ifstream in(path_);
  if (!in) {
    out.status = Status::kNoFile;
    out.detail = "the secrets file " + path_ + " cannot be read";
    return out;
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (!doc.is_object()) {
    out.status = Status::kUndecryptable;
    out.detail = "the secrets file " + path_ + " is not a JSON object";
    return out;
  }
  // The entry: by full ARN, else by secret name (with or without the
  // six-character suffix Secrets Manager appends).
  const auto marker = arn.find(":secret:");
  const std::string name = marker == std::string::npos ? arn : arn.substr(marker + 8);
  const std::string base =
      name.size() > 7 && name[name.size() - 7] == '-' ? name.substr(0, name.size() - 7) : name;
  const nlohmann::json* entry = nullptr;
  for (const std::string& key : {arn, name, base}) {
    if (doc.contains(key)) {
      entry = &doc.at(key);
      break;
    }
  }
  if (entry == nullptr) {
    out.status = Status::kNotFound;
    out.detail = "the secret " + arn + " is not in " + path_;
    return out;
  }
  if (!entry->is_object() || !entry->contains("username") || !entry->contains("accessToken") ||
      !entry->at("username").is_string() || !entry->at("accessToken").is_string()) {
    out.status = Status::kUndecryptable;
    out.detail = "the secret " + arn + " must be {\"username\": ..., \"accessToken\": ...}";
    return out;
  }
  out.status = Status::kFound;
  out.credentials = {entry->at("username").get<std::string>(),
                     entry->at("accessToken").get<std::string>()};
  return out;
}

}  // namespace berth::ecr
