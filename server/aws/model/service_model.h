#pragma once

// The AWS API contract for ECS, ECR and CloudWatch Logs, as tables generated
// from botocore's service models (server/aws/model/ecs_model.cc, ecr_model.cc
// and logs_model.cc, written by tools/gen_service_model.py; do not edit those
// by hand).
//
// Every table is a constexpr array of plain structs: nothing is parsed or
// allocated at start-up, and all of it is immutable, so any thread may read
// any of it at any time without locking. Pointers between tables (a member's
// target shape, an operation's input shape, ...) never dangle: everything has
// static storage duration.
//
// Only shapes reachable from an operation's input, output or declared errors
// are included. Documentation is left out.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace berth::aws::model {

// The botocore shape types that occur in JSON-protocol services.
enum class ShapeType : std::uint8_t {
  kStructure,
  kList,
  kMap,
  kString,
  kInteger,
  kLong,
  kBoolean,
  kTimestamp,
  kBlob,
  kDouble,
  kFloat,
};

// The botocore spelling of `type`: "structure", "list", ..., "float".
std::string_view ShapeTypeName(ShapeType type);

struct ShapeModel;

// A regular expression from a shape's `pattern` trait. Immutable.
//
// `source` is the pattern exactly as botocore has it; AWS quotes it in
// "Member must satisfy regular expression pattern: ..." messages. `ecmascript`
// is what std::regex compiles: the same pattern with the Unicode property
// classes std::regex lacks (\p{L}, \p{N}, \p{Z}) rewritten to their ASCII
// members. When that rewrite happened `fold_non_ascii` is set, and a value
// must have every non-ASCII code point replaced by an ASCII letter before it
// is matched (all non-ASCII code points count as letters: an approximation of
// \p{L} that errs on the side of accepting). Patterns must match the whole
// value (std::regex_match), as AWS applies them.
struct PatternModel {
  std::string_view source = {};
  std::string_view ecmascript = {};
  bool fold_non_ascii = false;
};

// One member of a structure shape. Immutable.
struct MemberModel {
  std::string_view name = {};  // the JSON key on the wire
  const ShapeModel* target = nullptr;
  bool required = false;
  bool deprecated = false;
  bool idempotency_token = false;  // SDKs fill it with a UUID when absent
};

// One shape of a service model. Immutable. Which fields are meaningful depends
// on `type`:
//   - kStructure: `members` (in model order); `document` means any JSON value
//     is allowed and `members` is empty; `is_union` means exactly one member
//     must be set (the validator does not check it: ECS and ECR have no
//     union, and Logs has two, both used only by PutIntegration, which Berth
//     does not emulate); `exception`/`fault` mark error shapes.
//   - kList: `member`; `min`/`max` bound the number of elements.
//   - kMap: `key` and `value`; `min`/`max` bound the number of entries.
//   - kString: `min`/`max` bound the length in Unicode code points;
//     `enum_values` (exact match, model order) and `pattern` restrict it.
//   - kBlob: `min`/`max` bound the decoded length in bytes.
//   - kInteger, kLong, kDouble, kFloat: `min`/`max` bound the value.
struct ShapeModel {
  std::string_view name = {};
  ShapeType type = ShapeType::kStructure;
  bool document = false;
  bool is_union = false;
  bool deprecated = false;
  bool sensitive = false;  // values must not be echoed in messages or logs
  bool exception = false;
  bool fault = false;  // server fault (5xx) rather than client fault (4xx)
  std::optional<std::int64_t> min = std::nullopt;
  std::optional<std::int64_t> max = std::nullopt;
  const PatternModel* pattern = nullptr;  // nullptr when there is none
  std::span<const std::string_view> enum_values = {};
  std::span<const MemberModel> members = {};
  const ShapeModel* member = nullptr;  // list element shape
  const ShapeModel* key = nullptr;     // map key shape
  const ShapeModel* value = nullptr;   // map value shape

  // The member called `member_name`, or nullptr. Linear in the member count.
  const MemberModel* FindMember(std::string_view member_name) const;
};

// One operation of a service. Immutable.
struct OperationModel {
  std::string_view name = {};
  const ShapeModel* input = nullptr;              // nullptr when the model has none
  const ShapeModel* output = nullptr;             // nullptr when the model has none
  std::span<const std::string_view> errors = {};  // in model order
  bool deprecated = false;
};

// An error shape a service declares (shape trait `exception`). Immutable.
struct ExceptionModel {
  std::string_view name = {};
  const ShapeModel* shape = nullptr;
  bool fault = false;  // server fault (5xx) rather than client fault (4xx)
};

// One AWS service as botocore describes it. Immutable; the lookups are const
// and safe to call from any thread.
struct ServiceModel {
  std::string_view service_id = {};                 // metadata.serviceId: "ECS", "ECR"
  std::string_view target_prefix = {};              // metadata.targetPrefix (X-Amz-Target)
  std::string_view api_version = {};                // metadata.apiVersion
  std::string_view botocore_version = {};           // the botocore the tables came from
  std::span<const OperationModel> operations = {};  // sorted by name
  std::span<const ExceptionModel> exceptions = {};  // sorted by name
  std::span<const ShapeModel> shapes = {};          // sorted by name
  std::span<const PatternModel> patterns = {};      // distinct; model order

  // The operation called `name` (exact, case-sensitive), or nullptr.
  // Binary search.
  const OperationModel* FindOperation(std::string_view name) const;
  // The exception shape called `name`, or nullptr. Binary search.
  const ExceptionModel* FindException(std::string_view name) const;
  bool HasException(std::string_view name) const;
  // The shape called `name`, or nullptr. Binary search.
  const ShapeModel* FindShape(std::string_view name) const;
};

// The Amazon ECS (2014-11-13), Amazon ECR (2015-09-21) and Amazon CloudWatch
// Logs (2014-03-28) models. Each returns a reference to a constant-initialised
// object; never throws.
const ServiceModel& EcsModel();
const ServiceModel& EcrModel();
const ServiceModel& LogsModel();

}  // namespace berth::aws::model
