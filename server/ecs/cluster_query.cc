#include "server/ecs/cluster_query.h"

#include <algorithm>
#include <cctype>

#include "server/ecs/ecs_errors.h"

namespace berth::ecs {
namespace {

// Splits an expression into words, keeping [..] lists and quoted values whole.
std::vector<std::string> QueryWords(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i])) != 0) {
      ++i;
      continue;
    }
    size_t end = i;
    if (text[i] == '[') {
      end = text.find(']', i);
      if (end == std::string_view::npos)
        throw InvalidParameterException("Invalid filter: missing ].");
      ++end;
    } else if (text[i] == '"' || text[i] == '\'') {
      end = text.find(text[i], i + 1);
      if (end == std::string_view::npos)
        throw InvalidParameterException("Invalid filter: unclosed quote.");
      ++end;
    } else {
      while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end])) == 0) ++end;
    }
    words.emplace_back(text.substr(i, end - i));
    i = end;
  }
  return words;
}

std::string Unquote(std::string word) {
  if (word.size() >= 2 && (word.front() == '"' || word.front() == '\'') &&
      word.back() == word.front()) {
    return word.substr(1, word.size() - 2);
  }
  return word;
}

std::vector<std::string> ListValues(const std::string& word) {
  if (word.size() < 2 || word.front() != '[' || word.back() != ']') {
    throw InvalidParameterException("Invalid filter: 'in' needs a [list].");
  }
  std::vector<std::string> values;
  std::string current;
  for (const char c : word.substr(1, word.size() - 2)) {
    if (c == ',') {
      values.push_back(Unquote(current));
      current.clear();
    } else if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      current += c;
    }
  }
  if (!current.empty()) values.push_back(Unquote(current));
  return values;
}

// One comparison, starting at words[at]; advances `at` past it.
ClusterQuery::Comparison ParseComparison(const std::vector<std::string>& words, size_t& at) {
  using Comparison = ClusterQuery::Comparison;
  Comparison out;
  const std::string subject = words.at(at++);
  if (subject.starts_with("attribute:")) {
    out.subject = Comparison::Subject::kAttribute;
    out.name = subject.substr(10);
  } else if (subject == "ec2InstanceId") {
    out.subject = Comparison::Subject::kEc2InstanceId;
  } else {
    throw InvalidParameterException(
        "Berth evaluates cluster query expressions on attribute:<name> "
        "and ec2InstanceId only, not '" +
        subject + "'.");
  }
  if (at >= words.size())
    throw InvalidParameterException("Invalid filter: '" + subject + "' needs an operator.");
  const std::string op = words.at(at++);
  if (op == "exists") {
    out.op = Comparison::Op::kExists;
    return out;
  }
  if (op == "!exists" || op == "not_exists") {
    out.op = Comparison::Op::kNotExists;
    return out;
  }
  if (at >= words.size())
    throw InvalidParameterException("Invalid filter: '" + op + "' needs a value.");
  const std::string operand = words.at(at++);
  if (op == "==" || op == "!=") {
    out.op = op == "==" ? Comparison::Op::kEquals : Comparison::Op::kNotEquals;
    out.values = {Unquote(operand)};
    return out;
  }
  if (op == "in" || op == "not_in") {
    out.op = op == "in" ? Comparison::Op::kIn : Comparison::Op::kNotIn;
    out.values = ListValues(operand);
    return out;
  }
  throw InvalidParameterException("Invalid filter: unknown operator '" + op + "'.");
}

}  // namespace

bool ClusterQuery::Comparison::Holds(std::optional<std::string_view> actual) const {
  switch (op) {
    case Op::kExists:
      return actual.has_value();
    case Op::kNotExists:
      return !actual.has_value();
    case Op::kEquals:
      return actual && *actual == values.front();
    case Op::kNotEquals:
      return !actual || *actual != values.front();
    case Op::kIn:
    case Op::kNotIn: {
      const bool in = actual && std::find(values.begin(), values.end(), *actual) != values.end();
      return op == Op::kIn ? in : !in;
    }
  }
  return false;
}

ClusterQuery ClusterQuery::Parse(std::string_view expression) {
  ClusterQuery query;
  const std::vector<std::string> words = QueryWords(expression);
  if (words.empty()) return query;
  // `and` binds tighter than `or`: a disjunction of conjunctions.
  size_t at = 0;
  query.any_of_.emplace_back();
  while (true) {
    query.any_of_.back().push_back(ParseComparison(words, at));
    if (at >= words.size()) break;
    const std::string joiner = words.at(at++);
    if (at >= words.size())
      throw InvalidParameterException("Invalid filter: '" + joiner + "' needs an expression.");
    if (joiner == "or" || joiner == "||") {
      query.any_of_.emplace_back();
    } else if (joiner != "and" && joiner != "&&") {
      throw InvalidParameterException("Invalid filter: expected 'and' or 'or', not '" + joiner +
                                      "'.");
    }
  }
  return query;
}

}  // namespace berth::ecs
