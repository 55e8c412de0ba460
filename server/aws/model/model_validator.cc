#include "server/aws/model/model_validator.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/model/service_model.h"

namespace berth::aws::model {
namespace {

using nlohmann::json;
using Kind = ValidationIssue::Kind;

// ---------------------------------------------------------------------------
// Patterns

// libstdc++'s __polynomial flag selects its breadth-first (Thompson NFA)
// executor: matching time is O(value * pattern) and the stack does not grow
// with the value. The default depth-first executor recurses once per input
// character (megabytes of stack for a few thousand characters) and
// backtracks exponentially on some model patterns, e.g. ECR's
// ScanningRepositoryFilterValue "^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$"
// takes seconds on 24 characters. nosubs: we never read sub-matches.
#if defined(__GLIBCXX__)
constexpr auto kPatternSyntax = std::regex::ECMAScript | std::regex::optimize | std::regex::nosubs |
                                std::regex_constants::__polynomial;
#else
#error "MatchesPattern relies on libstdc++'s polynomial regex executor"
#endif

// Every compiled pattern, keyed by its (static) PatternModel. Compiled on
// first use under the mutex, so each at most once; never freed.
const std::regex& CompiledPattern(const PatternModel& pattern) {
  static std::mutex mutex;
  static auto* cache =
      new std::unordered_map<const PatternModel*, std::unique_ptr<const std::regex>>();
  std::lock_guard<std::mutex> lock(mutex);
  std::unique_ptr<const std::regex>& slot = (*cache)[&pattern];
  if (!slot) {
    slot = std::make_unique<const std::regex>(std::string(pattern.ecmascript), kPatternSyntax);
  }
  return *slot;
}

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

// ---------------------------------------------------------------------------
// Small parsers

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads `count` digits at `pos` into `out`; false if they are not all digits.
bool ReadDigits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(text[i])) return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

// An integral JSON number as int64, or nullopt (not a number, fractional,
// not finite, or outside int64).
std::optional<std::int64_t> AsInt64(const json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    return value.get<std::int64_t>();
  }
  if (value.is_number_unsigned()) {
    auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(u);
  }
  if (value.is_number_float()) {
    double d = value.get<double>();
    // 2^63 is exactly representable; int64 covers [-2^63, 2^63).
    constexpr double kTwo63 = 9223372036854775808.0;
    if (!std::isfinite(d) || std::trunc(d) != d || d < -kTwo63 || d >= kTwo63) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

bool IsIntegral(const json& value) {
  if (value.is_number_integer()) return true;
  if (!value.is_number_float()) return false;
  double d = value.get<double>();
  return std::isfinite(d) && std::trunc(d) == d;
}

// The value of a JSON number or of the strings AWS JSON uses for
// non-finite doubles; nullopt for anything else.
std::optional<double> AsDouble(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  return std::nullopt;
}

bool IsValidTimestamp(const json& value) {
  if (value.is_number()) return std::isfinite(value.get<double>());
  if (value.is_string()) {
    return IsIso8601Timestamp(value.get_ref<const std::string&>());
  }
  return false;
}

bool IsValidBlob(const json& value) {
  return value.is_string() && Base64DecodedSize(value.get_ref<const std::string&>()).has_value();
}

bool InEnum(const ShapeModel& shape, std::string_view value) {
  for (std::string_view v : shape.enum_values) {
    if (v == value) return true;
  }
  return false;
}

std::string EnumList(const ShapeModel& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.enum_values.size(); ++i) {
    if (i > 0) out += ", ";
    out += shape.enum_values[i];
  }
  out += "]";
  return out;
}

// ---------------------------------------------------------------------------
// Paths

// The path from the request body to the value being looked at, as a stack of
// segments; turned into a string only when there is something to report.
// Segments point into the model or into the JSON being checked, both of
// which outlive the Path. Owned by one walk on one thread; not thread-safe.
class Path {
 public:
  void PushName(std::string_view name) { segments_.push_back({name, 0}); }
  void PushIndex(std::size_t zero_based) { segments_.push_back({{}, zero_based + 1}); }
  void Pop() { segments_.pop_back(); }
  std::size_t depth() const { return segments_.size(); }

  // "a.b.1.c"; list indices are 1-based, as AWS prints them.
  std::string ToString() const {
    std::string out;
    for (const Segment& s : segments_) {
      if (!out.empty()) out += '.';
      if (s.index == 0) {
        out += s.name;
      } else {
        out += std::to_string(s.index);
      }
    }
    return out;
  }

 private:
  struct Segment {
    std::string_view name;
    std::size_t index;  // 1-based list index; 0 for a name or map key
  };
  std::vector<Segment> segments_;
};

// Pushes a segment onto a Path for the lifetime of the scope. Same thread
// rules as the Path.
class PathScope {
 public:
  PathScope(Path& path, std::string_view name) : path_(path) { path_.PushName(name); }
  PathScope(Path& path, std::size_t index) : path_(path) { path_.PushIndex(index); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;
  ~PathScope() { path_.Pop(); }

 private:
  Path& path_;
};

// ---------------------------------------------------------------------------
// Rendering values for messages

// Appends `value` the way Coral (Java toString) shows it. Nesting beyond
// kMaxValidationDepth is shown as "..." so that rendering stays bounded.
void Render(const json& value, std::size_t depth, std::string& out) {
  if (depth > kMaxValidationDepth) {
    out += "...";
    return;
  }
  switch (value.type()) {
    case json::value_t::string:
      out += value.get_ref<const std::string&>();
      return;
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const json& element : value) {
        if (!first) out += ", ";
        first = false;
        Render(element, depth + 1, out);
      }
      out += ']';
      return;
    }
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, element] : value.items()) {
        if (!first) out += ", ";
        first = false;
        out += key;
        out += '=';
        Render(element, depth + 1, out);
      }
      out += '}';
      return;
    }
    default:
      out += value.dump();
      return;
  }
}

std::string RenderValue(const ShapeModel& shape, const json& value, bool sensitive) {
  if (sensitive) return std::string(kRedactedValue);
  if (shape.type == ShapeType::kBlob && value.is_string()) {
    auto size = Base64DecodedSize(value.get_ref<const std::string&>());
    if (size) {
      std::string n = std::to_string(*size);
      return "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]";
    }
  }
  std::string out;
  Render(value, 0, out);
  return out;
}

// ---------------------------------------------------------------------------
// Input validation

// The first length (strings: code points) or size (lists, maps, blobs) bound
// that `size` violates, as AWS words it.
std::optional<std::string> SizeViolation(const ShapeModel& shape, std::size_t size) {
  // Sizes of in-memory values fit in int64.
  auto n = static_cast<std::int64_t>(size);
  if (shape.min && n < *shape.min) {
    return "Member must have length greater than or equal to " + std::to_string(*shape.min);
  }
  if (shape.max && n > *shape.max) {
    return "Member must have length less than or equal to " + std::to_string(*shape.max);
  }
  return std::nullopt;
}

// The first value bound that `n` violates, as AWS words it.
template <typename Number>
std::optional<std::string> RangeViolation(const ShapeModel& shape, Number n) {
  if (shape.min && n < static_cast<Number>(*shape.min)) {
    return "Member must have value greater than or equal to " + std::to_string(*shape.min);
  }
  if (shape.max && n > static_cast<Number>(*shape.max)) {
    return "Member must have value less than or equal to " + std::to_string(*shape.max);
  }
  return std::nullopt;
}

// The first of length, enum and pattern that `text` violates.
std::optional<std::string> StringViolation(const ShapeModel& shape, std::string_view text) {
  if (shape.min || shape.max) {
    if (auto violation = SizeViolation(shape, CountCodePoints(text))) {
      return violation;
    }
  }
  if (!shape.enum_values.empty() && !InEnum(shape, text)) {
    return "Member must satisfy enum value set: " + EnumList(shape);
  }
  if (shape.pattern != nullptr && !MatchesPattern(*shape.pattern, text)) {
    return "Member must satisfy regular expression pattern: " + std::string(shape.pattern->source);
  }
  return std::nullopt;
}

// Walks a request body against a shape; see ValidateInput. Holds the path of
// the value being checked. One instance per call; not shared.
class InputValidator {
 public:
  std::optional<ValidationIssue> Validate(const ShapeModel& shape, const json& value,
                                          bool sensitive) {
    sensitive = sensitive || shape.sensitive;
    if (path_.depth() > kMaxValidationDepth) {
      return TypeIssue("Member must not be nested more than " +
                           std::to_string(kMaxValidationDepth) + " levels deep",
                       shape, value, sensitive);
    }
    if (shape.document) return std::nullopt;
    switch (shape.type) {
      case ShapeType::kStructure:
        return ValidateStructure(shape, value, sensitive);
      case ShapeType::kList:
        return ValidateList(shape, value, sensitive);
      case ShapeType::kMap:
        return ValidateMap(shape, value, sensitive);
      case ShapeType::kString:
        if (!value.is_string()) {
          return TypeIssue("Member must be a string", shape, value, sensitive);
        }
        return Check(StringViolation(shape, value.get_ref<const std::string&>()), shape, value,
                     sensitive);
      case ShapeType::kInteger:
      case ShapeType::kLong:
        return ValidateInteger(shape, value, sensitive);
      case ShapeType::kBoolean:
        if (!value.is_boolean()) {
          return TypeIssue("Member must be a boolean", shape, value, sensitive);
        }
        return std::nullopt;
      case ShapeType::kTimestamp:
        if (!IsValidTimestamp(value)) {
          return TypeIssue(
              "Member must be a timestamp (epoch seconds or an ISO 8601 "
              "string)",
              shape, value, sensitive);
        }
        return std::nullopt;
      case ShapeType::kBlob:
        return ValidateBlob(shape, value, sensitive);
      case ShapeType::kDouble:
      case ShapeType::kFloat:
        return ValidateFloat(shape, value, sensitive);
    }
    return std::nullopt;
  }

 private:
  std::optional<ValidationIssue> ValidateStructure(const ShapeModel& shape, const json& value,
                                                   bool sensitive) {
    if (!value.is_object()) {
      return TypeIssue("Member must be a structure", shape, value, sensitive);
    }
    for (const MemberModel& member : shape.members) {
      auto it = value.find(member.name);
      PathScope scope(path_, member.name);
      if (it == value.end() || it->is_null()) {
        if (member.required) return NullIssue();
        continue;
      }
      if (auto issue = Validate(*member.target, *it, sensitive)) return issue;
    }
    return std::nullopt;
  }

  std::optional<ValidationIssue> ValidateList(const ShapeModel& shape, const json& value,
                                              bool sensitive) {
    if (!value.is_array()) {
      return TypeIssue("Member must be a list", shape, value, sensitive);
    }
    if (auto issue = Check(SizeViolation(shape, value.size()), shape, value, sensitive)) {
      return issue;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      PathScope scope(path_, i);
      const json& element = value[i];
      if (element.is_null()) return NullIssue();
      if (auto issue = Validate(*shape.member, element, sensitive)) {
        return issue;
      }
    }
    return std::nullopt;
  }

  std::optional<ValidationIssue> ValidateMap(const ShapeModel& shape, const json& value,
                                             bool sensitive) {
    if (!value.is_object()) {
      return TypeIssue("Member must be a map", shape, value, sensitive);
    }
    if (auto issue = Check(SizeViolation(shape, value.size()), shape, value, sensitive)) {
      return issue;
    }
    for (const auto& [key, element] : value.items()) {
      PathScope scope(path_, std::string_view(key));
      if (auto violation = StringViolation(*shape.key, key)) {
        bool redact = sensitive || shape.key->sensitive;
        return ValidationIssue{
            .path = path_.ToString(),
            .constraint = "Map keys must satisfy constraint: [" + *violation + "]",
            .value = redact ? std::string(kRedactedValue) : key,
            .kind = Kind::kConstraint};
      }
      if (element.is_null()) return NullIssue();
      if (auto issue = Validate(*shape.value, element, sensitive)) {
        return issue;
      }
    }
    return std::nullopt;
  }

  std::optional<ValidationIssue> ValidateInteger(const ShapeModel& shape, const json& value,
                                                 bool sensitive) {
    if (!IsIntegral(value)) {
      return TypeIssue("Member must be an integer", shape, value, sensitive);
    }
    std::optional<std::int64_t> n = AsInt64(value);
    bool is_int32 = shape.type == ShapeType::kInteger;
    if (!n || (is_int32 && (*n < std::numeric_limits<std::int32_t>::min() ||
                            *n > std::numeric_limits<std::int32_t>::max()))) {
      return TypeIssue(is_int32 ? "Member must be an integer between "
                                  "-2147483648 and 2147483647"
                                : "Member must be an integer between "
                                  "-9223372036854775808 and "
                                  "9223372036854775807",
                       shape, value, sensitive);
    }
    return Check(RangeViolation(shape, *n), shape, value, sensitive);
  }

  std::optional<ValidationIssue> ValidateFloat(const ShapeModel& shape, const json& value,
                                               bool sensitive) {
    std::optional<double> d = AsDouble(value);
    if (!d) {
      return TypeIssue("Member must be a number", shape, value, sensitive);
    }
    if (std::isnan(*d)) return std::nullopt;
    return Check(RangeViolation(shape, *d), shape, value, sensitive);
  }

  std::optional<ValidationIssue> ValidateBlob(const ShapeModel& shape, const json& value,
                                              bool sensitive) {
    std::optional<std::size_t> size;
    if (value.is_string()) {
      size = Base64DecodedSize(value.get_ref<const std::string&>());
    }
    if (!size) {
      return TypeIssue("Member must be a base64-encoded string", shape, value, sensitive);
    }
    return Check(SizeViolation(shape, *size), shape, value, sensitive);
  }

  // A constraint issue for `violation`, if there is one.
  std::optional<ValidationIssue> Check(std::optional<std::string> violation,
                                       const ShapeModel& shape, const json& value,
                                       bool sensitive) const {
    if (!violation) return std::nullopt;
    return ValidationIssue{.path = path_.ToString(),
                           .constraint = std::move(*violation),
                           .value = RenderValue(shape, value, sensitive),
                           .kind = Kind::kConstraint};
  }

  ValidationIssue TypeIssue(std::string constraint, const ShapeModel& shape, const json& value,
                            bool sensitive) const {
    return ValidationIssue{.path = path_.ToString(),
                           .constraint = std::move(constraint),
                           .value = RenderValue(shape, value, sensitive),
                           .kind = Kind::kSerialization};
  }

  ValidationIssue NullIssue() const {
    return ValidationIssue{.path = path_.ToString(),
                           .constraint = std::string(kNotNullConstraint),
                           .value = "null",
                           .kind = Kind::kConstraint};
  }

  Path path_;
};

// ---------------------------------------------------------------------------
// Output checking

// Walks a response body against a shape and collects every departure; see
// CheckOutput. One instance per call; not shared.
class OutputChecker {
 public:
  void Check(const ShapeModel& shape, const json& value) {
    if (path_.depth() > kMaxValidationDepth) {
      Report("nested more than " + std::to_string(kMaxValidationDepth) + " levels deep");
      return;
    }
    if (value.is_null()) {
      Report("null (AWS omits absent members instead of sending null)");
      return;
    }
    if (shape.document) return;
    switch (shape.type) {
      case ShapeType::kStructure:
        if (!Expect(value.is_object(), shape, value)) return;
        for (const auto& [key, element] : value.items()) {
          PathScope scope(path_, std::string_view(key));
          const MemberModel* member = shape.FindMember(key);
          if (member == nullptr) {
            Report("unknown member (structure " + std::string(shape.name) + " has no such member)");
            continue;
          }
          Check(*member->target, element);
        }
        return;
      case ShapeType::kList:
        if (!Expect(value.is_array(), shape, value)) return;
        for (std::size_t i = 0; i < value.size(); ++i) {
          PathScope scope(path_, i);
          Check(*shape.member, value[i]);
        }
        return;
      case ShapeType::kMap:
        if (!Expect(value.is_object(), shape, value)) return;
        for (const auto& [key, element] : value.items()) {
          PathScope scope(path_, std::string_view(key));
          CheckEnum(*shape.key, key, "map key ");
          Check(*shape.value, element);
        }
        return;
      case ShapeType::kString:
        if (!Expect(value.is_string(), shape, value)) return;
        CheckEnum(shape, value.get_ref<const std::string&>(), "");
        return;
      case ShapeType::kInteger:
      case ShapeType::kLong: {
        std::optional<std::int64_t> n = AsInt64(value);
        bool ok = n.has_value();
        if (ok && shape.type == ShapeType::kInteger) {
          ok = *n >= std::numeric_limits<std::int32_t>::min() &&
               *n <= std::numeric_limits<std::int32_t>::max();
        }
        Expect(ok, shape, value);
        return;
      }
      case ShapeType::kBoolean:
        Expect(value.is_boolean(), shape, value);
        return;
      case ShapeType::kTimestamp:
        Expect(value.is_number() && std::isfinite(value.get<double>()), shape, value);
        return;
      case ShapeType::kBlob:
        Expect(IsValidBlob(value), shape, value);
        return;
      case ShapeType::kDouble:
      case ShapeType::kFloat:
        Expect(AsDouble(value).has_value(), shape, value);
        return;
    }
  }

  void Report(const std::string& problem) {
    std::string where = path_.ToString();
    problems_.push_back((where.empty() ? "<root>" : where) + ": " + problem);
  }

  std::vector<std::string> TakeProblems() { return std::move(problems_); }

 private:
  // Reports a type mismatch unless `ok`; returns `ok`.
  bool Expect(bool ok, const ShapeModel& shape, const json& value) {
    if (!ok) {
      Report("expected " + Expected(shape.type) + " for " + std::string(ShapeTypeName(shape.type)) +
             " shape " + std::string(shape.name) + ", got " + std::string(value.type_name()) + " " +
             Snippet(value));
    }
    return ok;
  }

  void CheckEnum(const ShapeModel& shape, const std::string& text, std::string_view what) {
    if (!shape.enum_values.empty() && !InEnum(shape, text)) {
      Report(std::string(what) + "'" + text + "' is not in enum " + std::string(shape.name) + " " +
             EnumList(shape));
    }
  }

  static std::string Expected(ShapeType type) {
    switch (type) {
      case ShapeType::kStructure:
      case ShapeType::kMap:
        return "a JSON object";
      case ShapeType::kList:
        return "a JSON array";
      case ShapeType::kString:
        return "a JSON string";
      case ShapeType::kInteger:
        return "an integral JSON number within int32";
      case ShapeType::kLong:
        return "an integral JSON number within int64";
      case ShapeType::kBoolean:
        return "true or false";
      case ShapeType::kTimestamp:
        return "a JSON number of epoch seconds";
      case ShapeType::kBlob:
        return "a base64 JSON string";
      case ShapeType::kDouble:
      case ShapeType::kFloat:
        return "a JSON number";
    }
    return "?";
  }

  // A short rendering of `value` for a problem line.
  static std::string Snippet(const json& value) {
    constexpr std::size_t kMaxSnippet = 60;
    if (value.is_object() || value.is_array()) return "";
    std::string text = value.dump();
    if (text.size() > kMaxSnippet) text = text.substr(0, kMaxSnippet) + "...";
    return text;
  }

  Path path_;
  std::vector<std::string> problems_;
};

}  // namespace

// ---------------------------------------------------------------------------
// Public functions

bool MatchesPattern(const PatternModel& pattern, std::string_view value) {
  const std::regex& regex = CompiledPattern(pattern);
  if (!pattern.fold_non_ascii) {
    if (value.size() > kMaxPatternInputBytes) return false;
    return std::regex_match(value.begin(), value.end(), regex);
  }
  // Every non-ASCII code point becomes one ASCII letter, which the rewritten
  // \p{L} accepts (see PatternModel).
  if (CountCodePoints(value) > kMaxPatternInputBytes) return false;
  std::string folded;
  folded.reserve(value.size());
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x80U) {
      folded += c;
    } else if (!IsContinuationByte(c)) {
      folded += 'a';
    }
  }
  return std::regex_match(folded, regex);
}

std::size_t CountCodePoints(std::string_view utf8) {
  std::size_t count = 0;
  for (char c : utf8) {
    if (!IsContinuationByte(c)) ++count;
  }
  return count;
}

std::optional<std::size_t> Base64DecodedSize(std::string_view text) {
  std::size_t padding = 0;
  if (!text.empty() && text.size() % 4 == 0) {
    if (text.back() == '=') ++padding;
    if (text[text.size() - 2] == '=') ++padding;
  }
  std::string_view body = text.substr(0, text.size() - padding);
  for (char c : body) {
    if (!IsBase64Char(c)) return std::nullopt;
  }
  std::size_t rest = body.size() % 4;
  if (rest == 1) return std::nullopt;
  return body.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1);
}

bool IsIso8601Timestamp(std::string_view text) {
  // YYYY-MM-DD
  int year = 0;
  int month = 0;
  int day = 0;
  if (!ReadDigits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
      !ReadDigits(text, 5, 2, month) || text[7] != '-' || !ReadDigits(text, 8, 2, day)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return false;
  }
  if (text.size() == 10) return true;
  // Thh:mm[:ss[.fff]]
  if (text[10] != 'T' && text[10] != 't') return false;
  int hour = 0;
  int minute = 0;
  if (!ReadDigits(text, 11, 2, hour) || text.size() < 16 || text[13] != ':' ||
      !ReadDigits(text, 14, 2, minute) || hour > 23 || minute > 59) {
    return false;
  }
  std::size_t pos = 16;
  if (pos < text.size() && text[pos] == ':') {
    int second = 0;
    if (!ReadDigits(text, pos + 1, 2, second) || second > 60) return false;
    pos += 3;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      std::size_t digits = 0;
      for (++pos; pos < text.size() && IsDigit(text[pos]); ++pos) ++digits;
      if (digits == 0) return false;
    }
  }
  // [Z | ±hh[:]mm]
  if (pos == text.size()) return true;
  if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
    return true;
  }
  if (text[pos] != '+' && text[pos] != '-') return false;
  int offset_hour = 0;
  int offset_minute = 0;
  if (!ReadDigits(text, pos + 1, 2, offset_hour) || offset_hour > 23) {
    return false;
  }
  pos += 3;
  if (pos < text.size() && text[pos] == ':') ++pos;
  return ReadDigits(text, pos, 2, offset_minute) && offset_minute <= 59 && pos + 2 == text.size();
}

std::optional<ValidationIssue> ValidateInput(const ServiceModel& /*service*/,
                                             const OperationModel& operation, const json& input) {
  if (operation.input == nullptr) {
    if (input.is_object()) return std::nullopt;
    return ValidationIssue{.path = "",
                           .constraint = "Member must be a structure",
                           .value = RenderValue(ShapeModel{}, input, false),
                           .kind = Kind::kSerialization};
  }
  InputValidator validator;
  return validator.Validate(*operation.input, input, false);
}

std::string FormatValidationMessage(const ValidationIssue& issue) {
  std::string value =
      issue.constraint == kNotNullConstraint ? issue.value : "'" + issue.value + "'";
  std::string message = "Value " + value + " at '" + issue.path +
                        "' failed to satisfy constraint: " + issue.constraint;
  if (issue.kind == Kind::kConstraint) {
    return "1 validation error detected: " + message;
  }
  return message;
}

std::vector<std::string> CheckOutput(const ServiceModel& /*service*/,
                                     const OperationModel& operation, const json& output) {
  OutputChecker checker;
  if (operation.output == nullptr) {
    if (!output.is_object() || !output.empty()) {
      checker.Report("operation " + std::string(operation.name) +
                     " has no output shape; expected an empty object");
    }
  } else {
    checker.Check(*operation.output, output);
  }
  return checker.TakeProblems();
}

}  // namespace berth::aws::model
