#include "server/logs/filter_values.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "server/logs/filter_pattern.h"

namespace berth::logs::filter {
namespace {

// As in server/aws/model/model_validator.cc: the polynomial (Thompson NFA)
// executor keeps matching linear and the stack flat; the default executor
// recurses once per character.
#if defined(__GLIBCXX__)
constexpr auto kRegexSyntax = std::regex::ECMAScript | std::regex::optimize | std::regex::nosubs |
                              std::regex_constants::__polynomial;
#else
#error "filter regexes rely on libstdc++'s polynomial regex executor"
#endif

// What AWS allows inside %...%: letters, digits, a few symbols and the
// regex operators; no groups, nothing outside ASCII.
bool AllowedInRegex(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x80) return false;
  if (std::isalnum(u) != 0) return true;
  return std::string_view(":_#=@/;,- ^$?[]{}|\\*+.").find(c) != std::string_view::npos;
}

bool CompareNumbers(double a, Op op, double b) {
  switch (op) {
    case Op::kEq:
      return a == b;
    case Op::kNe:
      return a != b;
    case Op::kLt:
      return a < b;
    case Op::kGt:
      return a > b;
    case Op::kLe:
      return a <= b;
    case Op::kGe:
      return a >= b;
  }
  return false;
}

// = and != on a text for string and regex values (the parser allows no
// other operator with them).
bool CompareAsText(std::string_view text, Op op, const Value& value) {
  bool equal = false;
  if (value.kind == Value::Kind::kRegex) {
    equal = value.regex->FoundIn(text);
  } else {
    equal = WildcardMatch(text, value.text);
  }
  if (op == Op::kEq) return equal;
  if (op == Op::kNe) return !equal;
  return false;
}

}  // namespace

Regex::Regex(std::string_view body) {
  if (body.empty()) throw InvalidFilterPattern("Invalid filter pattern");
  for (const char c : body) {
    if (!AllowedInRegex(c)) throw InvalidFilterPattern("Invalid filter pattern");
  }
  // Found anywhere: the whole text must match "anything, body, anything".
  const std::string whole = "[\\s\\S]*(?:" + std::string(body) + ")[\\s\\S]*";
  try {
    regex_ = std::make_shared<const std::regex>(whole, kRegexSyntax);
  } catch (const std::regex_error&) {
    throw InvalidFilterPattern("Invalid filter pattern");
  }
}

bool Regex::FoundIn(std::string_view text) const {
  return std::regex_match(text.begin(), text.end(), *regex_);
}

Value Value::Quoted(std::string text) {
  Value v;
  v.text = std::move(text);
  return v;
}

Value Value::Bare(std::string_view word) {
  Value v;
  if (auto number = ParseNumber(word)) {
    v.kind = Kind::kNumber;
    v.number = *number;
  }
  v.text = std::string(word);
  return v;
}

Value Value::FromRegex(std::string_view body) {
  Value v;
  v.kind = Kind::kRegex;
  v.text = std::string(body);
  v.regex.emplace(body);
  return v;
}

bool CompareText(std::string_view text, Op op, const Value& value) {
  if (value.kind != Value::Kind::kNumber) return CompareAsText(text, op, value);
  const auto number = ParseNumber(text);
  if (!number) return op == Op::kNe;
  return CompareNumbers(*number, op, value.number);
}

bool CompareNumber(double number, std::string_view json_text, Op op, const Value& value) {
  if (value.kind != Value::Kind::kNumber) return CompareAsText(json_text, op, value);
  return CompareNumbers(number, op, value.number);
}

bool WildcardMatch(std::string_view text, std::string_view pattern) {
  // Greedy with one backtrack point (the last `*`): O(text * pattern) at
  // worst, no recursion.
  size_t t = 0;
  size_t p = 0;
  size_t star = std::string_view::npos;
  size_t resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::optional<double> ParseNumber(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const std::string_view digits = !text.empty() && text.front() == '-' ? text.substr(1) : text;
  // Only plain decimal notation: no "inf", "nan" or hex.
  if (digits.empty() ||
      (std::isdigit(static_cast<unsigned char>(digits.front())) == 0 && digits.front() != '.')) {
    return std::nullopt;
  }
  double value = 0;
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace berth::logs::filter
