#pragma once

// CloudWatch Logs names in one place: ARNs of groups and streams, group
// identifiers (name or ARN), and the opaque strings the API hands out
// (GetLogEvents' f/…/s and b/…/s tokens, 56-digit event ids and sequence
// tokens).
//
// Thread-safety: pure functions; any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/aws/request_context.h"
#include "storage/log_store.h"
#include "storage/records.h"

namespace berth::logs {

// arn:aws:logs:<region>:<account>:log-group:<name> (logGroupArn, and the
// form tagging takes); `arn` in DescribeLogGroups adds ":*".
std::string LogGroupArn(const storage::Partition& partition, std::string_view group);
// arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream>
std::string LogStreamArn(const storage::Partition& partition, std::string_view group,
                         std::string_view stream);

// The model's rules for names: a group is 1-512 of [.-_/#A-Za-z0-9]; a
// stream is 1-512 characters without ':' or '*'.
bool IsLogGroupName(std::string_view name);
bool IsLogStreamName(std::string_view name);

// A log group as a request names it: where it lives and its name.
struct GroupRef {
  storage::Partition partition;
  std::string name;
};

// The group a logGroupIdentifier names: a plain name (the caller's account
// and region) or a log-group ARN with or without ":*" (its own account and
// region). nullopt when it is neither.
std::optional<GroupRef> ParseGroupIdentifier(std::string_view identifier,
                                             const aws::RequestContext& context);
// The group a tagging `resourceArn` names: only the log-group ARN without
// ":*". nullopt otherwise (AWS: ValidationException "Invalid resourceArn").
std::optional<GroupRef> ParseTaggableArn(std::string_view arn);

// GetLogEvents' tokens: "f/<56 digits>/s" (forward) and "b/<56 digits>/s"
// (backward), the digits holding the stream's id and a position in it.
struct StreamToken {
  bool forward = true;
  int64_t stream_id = 0;
  storage::EventPosition position;
};
std::string EncodeStreamToken(const StreamToken& token);
// nullopt when `text` is not a token EncodeStreamToken made.
std::optional<StreamToken> DecodeStreamToken(std::string_view text);

// A 56-digit event id, unique and stable for an event (from its timestamp
// and seq).
std::string EventId(int64_t timestamp, int64_t seq);
// A 56-digit upload sequence token: the stream's id and how many appends it
// has had; SequenceCounter reads the count back (0 for anything else).
std::string SequenceToken(int64_t stream_id, int64_t counter);
int64_t SequenceCounter(std::string_view token);

// Where GetLogEvents' backward reading starts when no token says otherwise:
// after every event (timestamps are below 10^16 ms, year 318857).
inline constexpr int64_t kEndOfTime = 9'999'999'999'999'999;

}  // namespace berth::logs
