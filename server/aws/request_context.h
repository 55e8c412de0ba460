#pragma once

// Who is calling and when: the account and region a request acts in (from its
// SigV4 credential scope), the IAM principal behind it, its request id, and
// the instant it arrived. Every timestamp a request writes uses `now`, so they
// agree within one request.

#include <string>

namespace berth::aws {

struct RequestContext {
  std::string account_id;
  std::string region;
  std::string request_id;
  std::string access_key_id;
  double now = 0;  // epoch seconds, millisecond precision
  // The caller's IAM principal: from the credentials file (or a task role's
  // session) under strict authentication, else the account's root user
  // (arn:aws:iam::<account>:root).
  std::string principal_arn = {};
};

}  // namespace berth::aws
