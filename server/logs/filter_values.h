#pragma once

// The value side of filter-pattern comparisons, shared by the JSON and the
// space-delimited forms of server/logs/filter_pattern.h: a string with `*`
// wildcards, a number, or a %regex%, compared with = != < > <= >=.
//
// Thread-safety: immutable after construction; any thread.

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

namespace berth::logs::filter {

enum class Op { kEq, kNe, kLt, kGt, kLe, kGe };

// A regular expression from a %...% term, found anywhere in a text. AWS's
// subset (no groups, ASCII only) compiled for std::regex's polynomial
// executor, so matching time stays linear in the text. Throws
// InvalidFilterPattern for what AWS would refuse.
class Regex {
 public:
  explicit Regex(std::string_view body);
  bool FoundIn(std::string_view text) const;

 private:
  std::shared_ptr<const std::regex> regex_;
};

// The right-hand side of a comparison.
struct Value {
  enum class Kind { kString, kNumber, kRegex };
  Kind kind = Kind::kString;
  std::string text;  // kString: the pattern, `*` matching any run
  double number = 0;
  std::optional<Regex> regex;

  // A quoted string (never a number).
  static Value Quoted(std::string text);
  // A bare word: a number when it reads as one, else a string pattern.
  static Value Bare(std::string_view word);
  static Value FromRegex(std::string_view body);
};

// `text` op `value` for a text field (a JSON string, a delimited field):
// numbers compare numerically when `text` reads as a number, else fail.
bool CompareText(std::string_view text, Op op, const Value& value);
// `number` op `value` for a JSON number; string patterns see its JSON text.
bool CompareNumber(double number, std::string_view json_text, Op op, const Value& value);

// Whether `text` matches `pattern`, `*` standing for any run of characters.
bool WildcardMatch(std::string_view text, std::string_view pattern);
// The number `text` spells in full (sign, decimals, exponent), if any.
std::optional<double> ParseNumber(std::string_view text);

}  // namespace berth::logs::filter
