#pragma once

// CloudWatch Logs filter patterns (FilterLogEvents' filterPattern), parsed once
// and matched against event messages. The forms (all case sensitive):
//   ""                      every event
//   ERROR Exception         every term occurs (substring match)
//   "a phrase"              quoted exact phrase
//   ERROR -WARN             events with ERROR but without WARN
//   ?ERROR ?WARN            at least one of the `?` terms
//   %[Ee]rror%              a regular expression found in the message
//   { $.a = "x*" && ($.b > 5 || $.c IS NULL) }
//                           JSON messages: =, != on strings (with * wildcards)
//                           and numbers, < > <= >= on numbers, IS NULL,
//                           NOT EXISTS, IS TRUE, IS FALSE, &&, ||, ()
//   [ip, user, ..., status = 4* && bytes > 1000]
//                           space-delimited fields ("..." and [...] in the
//                           message count as one field; `...` any number)
// Mixed term forms mean: every plain term, at least one `?` term (when there
// are any), and none of the `-` terms. See ../shared/reference §6.
//
// Thread-safety: a FilterPattern is immutable after Parse; Matches may run on
// any thread at once.

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace berth::logs {

// A pattern CloudWatch Logs would refuse; what() is AWS's message (e.g.
// "Invalid character(s) in term '?'").
class InvalidFilterPattern : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class FilterPattern {
 public:
  // Parses `text` (up to 1024 characters, as the model allows). Throws
  // InvalidFilterPattern.
  static FilterPattern Parse(std::string_view text);

  FilterPattern(FilterPattern&&) noexcept;
  FilterPattern& operator=(FilterPattern&&) noexcept;
  FilterPattern(const FilterPattern&) = delete;
  FilterPattern& operator=(const FilterPattern&) = delete;
  ~FilterPattern();

  // True when the pattern is empty (every message matches).
  bool MatchesEverything() const;
  bool Matches(std::string_view message) const;

  // The parsed form, implemented in the .cc.
  struct Node;

 private:
  explicit FilterPattern(std::unique_ptr<const Node> root);
  std::unique_ptr<const Node> root_;
};

}  // namespace berth::logs
