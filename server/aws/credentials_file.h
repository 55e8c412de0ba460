#pragma once

// The access keys strict authentication accepts (--credentials FILE or
// BERTH_CREDENTIALS_FILE): a JSON object from access key id to its secret,
// the account it acts in and, optionally, the IAM principal it stands for:
//
//   {"AKIAIOSFODNN7EXAMPLE": {"secretAccessKey": "wJalr…",
//                             "accountId": "123456789012",
//                             "principalArn": "arn:aws:iam::123456789012:user/ci"}}
//
// Without principalArn the key is the account's root user
// (arn:aws:iam::<accountId>:root). Unknown members are refused, so that a
// misspelt one is not silently ignored.
//
// Thread-safety: immutable after loading; use from any thread.

#include <map>
#include <string>
#include <string_view>

namespace berth::aws {

// One long-term access key.
struct StaticCredential {
  std::string secret_access_key;
  std::string account_id;
  std::string principal_arn;
};

class CredentialsFile {
 public:
  // Reads and parses `path`. Throws std::runtime_error naming the file and
  // the first problem.
  static CredentialsFile Load(const std::string& path);
  // Parses the JSON text. Throws std::runtime_error naming the first problem.
  static CredentialsFile Parse(std::string_view text);

  // The credential of `access_key_id`, nullptr when the file has none.
  const StaticCredential* Find(std::string_view access_key_id) const;
  size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, StaticCredential, std::less<>> keys_;
};

// The root user of an account: arn:aws:iam::<account>:root.
std::string RootPrincipalArn(std::string_view account_id);

}  // namespace berth::aws
