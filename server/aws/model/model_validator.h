#pragma once

// Request validation against the botocore models, as AWS's front end does it
// before the service code runs, and a strict response checker for tests.
//
// All functions here are free functions over immutable model tables and may
// be called from any thread at the same time. Patterns are compiled lazily,
// at most once each, behind a mutex (see MatchesPattern).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "server/aws/model/service_model.h"

namespace berth::aws::model {

// Containers (structures, lists, maps) nested deeper than this are rejected.
inline constexpr std::size_t kMaxValidationDepth = 64;

// A pattern is never run on a value longer than this many bytes (after the
// non-ASCII folding of PatternModel); such a value counts as a mismatch.
inline constexpr std::size_t kMaxPatternInputBytes = 4096;

// The constraint text for a missing or null required member.
inline constexpr std::string_view kNotNullConstraint = "Member must not be null";

// What `value` shows for members the model marks sensitive (and everything
// inside them), instead of the value itself.
inline constexpr std::string_view kRedactedValue = "*** Sensitive Data Redacted ***";

// The first problem ValidateInput found. A plain value type: copy it, move
// it, hand it to another thread.
struct ValidationIssue {
  // kConstraint: a model constraint failed (AWS: ValidationException).
  // kSerialization: the JSON does not have the shape's type, or is nested too
  // deeply (AWS: SerializationException, before any constraint is checked).
  enum class Kind { kConstraint, kSerialization };

  // Where, as AWS prints it: member names joined by '.', list elements as
  // 1-based indices, map entries by their key, e.g.
  // "containerDefinitions.1.portMappings.2.containerPort" or "tags.team".
  // Empty for the request body itself.
  std::string path = {};
  // AWS (Coral) wording, e.g. "Member must have length less than or equal to
  // 256", "Member must satisfy enum value set: [ACTIVE, INACTIVE]".
  std::string constraint = {};
  // The offending value as AWS renders it in messages: strings raw, numbers
  // and booleans as JSON, lists "[a, b]", objects "{k=v}", blobs as
  // "java.nio.HeapByteBuffer[pos=0 lim=N cap=N]", sensitive values as
  // kRedactedValue, and "null" when the member is missing or null.
  std::string value = {};
  Kind kind = Kind::kConstraint;
};

// Validates `input` (the parsed request body) against the input shape of
// `operation`, which must belong to `service`. Returns the first problem, or
// nullopt when the request is valid. The order is deterministic: members in
// model order, depth first, and for each value its type, then length or
// size, then value range, enum and pattern. Members the model does not know
// are ignored, as AWS ignores them, and so is a null optional member.
//
// Work is linear in the size of `input` and recursion is bounded by
// kMaxValidationDepth. Throws std::regex_error only if a model pattern fails
// to compile, which the unit tests rule out.
[[nodiscard]] std::optional<ValidationIssue> ValidateInput(const ServiceModel& service,
                                                           const OperationModel& operation,
                                                           const nlohmann::json& input);

// The message AWS sends with the error for `issue`, e.g.
// "1 validation error detected: Value 'a' at 'repositoryName' failed to
// satisfy constraint: Member must have length greater than or equal to 2".
// Null values are shown unquoted ("Value null at 'family' ...").
std::string FormatValidationMessage(const ValidationIssue& issue);

// For tests of server responses: every way `output` departs from the output
// shape of `operation`, one line each as "<path>: <problem>" (path "<root>"
// for the body itself). Reports members the shape does not have (at any
// depth), JSON types that do not match (timestamps must be numbers, i.e.
// epoch seconds; blobs base64 strings; integers integral and in range),
// string values outside their enum, and every null (AWS omits absent members
// rather than sending null). An operation without an output shape must
// answer with an empty object. Empty when `output` conforms.
[[nodiscard]] std::vector<std::string> CheckOutput(const ServiceModel& service,
                                                   const OperationModel& operation,
                                                   const nlohmann::json& output);

// Whether `value` matches `pattern` as a whole (std::regex_match), after
// folding non-ASCII code points when the pattern asks for it. Values longer
// than kMaxPatternInputBytes do not match. The regex is compiled on first use
// and cached for the life of the process; matching uses libstdc++'s
// polynomial (Thompson NFA) executor, so time is linear in the value and
// stack use does not grow with it. Throws std::regex_error if the pattern
// does not compile.
[[nodiscard]] bool MatchesPattern(const PatternModel& pattern, std::string_view value);

// The number of Unicode code points in `utf8` (bytes that are not UTF-8
// continuation bytes; so malformed input still gets a sensible count).
[[nodiscard]] std::size_t CountCodePoints(std::string_view utf8);

// The decoded size of standard base64 `text` (padding optional, as Java's
// decoder accepts), or nullopt if it is not base64.
[[nodiscard]] std::optional<std::size_t> Base64DecodedSize(std::string_view text);

// Whether `text` is an ISO 8601 date-time, e.g. "2024-05-01T12:30:00Z",
// "2024-05-01T12:30:00.123+02:00", "2024-05-01".
[[nodiscard]] bool IsIso8601Timestamp(std::string_view text);

}  // namespace berth::aws::model
