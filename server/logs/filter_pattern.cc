#include "server/logs/filter_pattern.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/logs/filter_values.h"

namespace berth::logs {

// One parsed pattern: the term, JSON or space-delimited form.
struct FilterPattern::Node {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  virtual ~Node() = default;
  virtual bool Matches(std::string_view message) const = 0;
  virtual bool Everything() const { return false; }
};

namespace {

using filter::Op;
using filter::Value;
using nlohmann::json;

constexpr std::string_view kInvalid = "Invalid filter pattern";
// Structured patterns nest parentheses at most this deep, and hold at most
// this many %regex% values (AWS's limit).
constexpr int kMaxDepth = 32;
constexpr int kMaxRegexes = 2;

[[noreturn]] void Invalid(std::string_view message = kInvalid) {
  throw InvalidFilterPattern(std::string(message));
}

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

// The text of a quoted string starting at text[i] == '"' (backslash escapes
// a quote or a backslash); `i` ends after the closing quote.
std::string ReadQuoted(std::string_view text, size_t& i) {
  std::string out;
  for (++i; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      ++i;
      return out;
    }
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) ++i;
    out.push_back(text[i]);
  }
  Invalid();
}

// The body of a %regex% starting at text[i] == '%'; `i` ends after it.
std::string_view ReadRegexBody(std::string_view text, size_t& i) {
  const size_t end = text.find('%', i + 1);
  if (end == std::string_view::npos) Invalid();
  const std::string_view body = text.substr(i + 1, end - i - 1);
  i = end + 1;
  return body;
}

// --- Everything ---------------------------------------------------------------

// The empty pattern.
struct EverythingNode final : FilterPattern::Node {
  bool Matches(std::string_view) const override { return true; }
  bool Everything() const override { return true; }
};

// --- Terms: ERROR "a phrase" ?maybe -never %regex% ----------------------------

// One term: text found as a substring, or a %regex%.
struct Term {
  std::string text;
  std::optional<filter::Regex> regex;
  bool FoundIn(std::string_view message) const {
    return regex ? regex->FoundIn(message) : message.find(text) != std::string_view::npos;
  }
};

// Plain terms (all), `?` terms (one at least) and `-` terms (none).
struct TermsNode final : FilterPattern::Node {
  std::vector<Term> required;
  std::vector<Term> optional;
  std::vector<Term> excluded;

  bool Matches(std::string_view message) const override {
    for (const Term& t : required) {
      if (!t.FoundIn(message)) return false;
    }
    for (const Term& t : excluded) {
      if (t.FoundIn(message)) return false;
    }
    if (optional.empty()) return true;
    for (const Term& t : optional) {
      if (t.FoundIn(message)) return true;
    }
    return false;
  }
};

// Unquoted terms are letters, digits and underscores (any non-ASCII
// character counts as a letter).
bool IsBareTermChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || std::isalnum(u) != 0 || c == '_';
}

std::unique_ptr<FilterPattern::Node> ParseTerms(std::string_view text) {
  auto node = std::make_unique<TermsNode>();
  size_t i = 0;
  while (true) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i == text.size()) break;
    const size_t start = i;
    std::vector<Term>* list = &node->required;
    if (text[i] == '?') {
      list = &node->optional;
      ++i;
    } else if (text[i] == '-') {
      list = &node->excluded;
      ++i;
    }
    const size_t body = i;
    Term term;
    if (i < text.size() && text[i] == '"') {
      term.text = ReadQuoted(text, i);
    } else if (i < text.size() && text[i] == '%') {
      term.regex.emplace(ReadRegexBody(text, i));
    } else {
      while (i < text.size() && !IsSpace(text[i])) ++i;
      term.text = std::string(text.substr(body, i - body));
      bool bare = !term.text.empty();
      for (const char c : term.text) bare = bare && IsBareTermChar(c);
      if (!bare) {
        Invalid("Invalid character(s) in term '" + std::string(text.substr(start, i - start)) +
                "'");
      }
    }
    if (i < text.size() && !IsSpace(text[i])) Invalid();  // "a"b, %x%y
    if (!term.regex && term.text.empty()) {
      Invalid("Invalid character(s) in term '" + std::string(text.substr(start, i - start)) + "'");
    }
    list->push_back(std::move(term));
  }
  return node;
}

// --- Tokens of the structured forms ---------------------------------------------

// One token of the JSON and space-delimited forms.
struct Token {
  enum class Kind { kEnd, kLParen, kRParen, kAnd, kOr, kOp, kWord, kQuoted, kRegex };
  Kind kind = Kind::kEnd;
  Op op = Op::kEq;
  std::string text;
};

bool EndsWord(std::string_view text, size_t i) {
  const char c = text[i];
  if (IsSpace(c) || std::string_view("()&|=<>,").find(c) != std::string_view::npos) return true;
  return c == '!' && i + 1 < text.size() && text[i + 1] == '=';
}

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (true) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i == text.size()) break;
    const char c = text[i];
    const std::string_view two = text.substr(i, 2);
    Token token;
    if (c == '(' || c == ')') {
      token.kind = c == '(' ? Token::Kind::kLParen : Token::Kind::kRParen;
      ++i;
    } else if (two == "&&" || two == "||") {
      token.kind = two == "&&" ? Token::Kind::kAnd : Token::Kind::kOr;
      i += 2;
    } else if (two == "!=" || two == "<=" || two == ">=") {
      token.kind = Token::Kind::kOp;
      token.op = two == "!=" ? Op::kNe : two == "<=" ? Op::kLe : Op::kGe;
      i += 2;
    } else if (c == '=' || c == '<' || c == '>') {
      token.kind = Token::Kind::kOp;
      token.op = c == '=' ? Op::kEq : c == '<' ? Op::kLt : Op::kGt;
      ++i;
    } else if (c == '"') {
      token.kind = Token::Kind::kQuoted;
      token.text = ReadQuoted(text, i);
    } else if (c == '%') {
      token.kind = Token::Kind::kRegex;
      token.text = std::string(ReadRegexBody(text, i));
    } else if (c == '&' || c == '|' || c == ',') {
      Invalid();
    } else {
      token.kind = Token::Kind::kWord;
      const size_t start = i;
      while (i < text.size() && !EndsWord(text, i)) ++i;
      token.text = std::string(text.substr(start, i - start));
    }
    tokens.push_back(std::move(token));
  }
  tokens.push_back(Token{});
  return tokens;
}

// A boolean expression over comparisons: || of && of leaves, with
// parentheses. `Leaf` is parsed by a callback and evaluated on a `Subject`.
// A boolean over a `Subject` (a JSON document, or bound fields).
template <class Subject>
struct Expr {
  virtual ~Expr() = default;
  virtual bool Eval(const Subject& subject) const = 0;
};

// && (is_and) or || over its parts, short-circuiting.
template <class Subject>
struct AndOr final : Expr<Subject> {
  bool is_and = true;
  std::vector<std::unique_ptr<const Expr<Subject>>> parts;
  bool Eval(const Subject& subject) const override {
    for (const auto& part : parts) {
      if (part->Eval(subject) != is_and) return !is_and;
    }
    return is_and;
  }
};

// Recursive descent over tokens: || of && of (parenthesised) leaves, the
// leaves parsed by the form's own callback. Depth is bounded (kMaxDepth).
template <class Subject>
class ExprParser {
 public:
  using Leaf = std::function<std::unique_ptr<const Expr<Subject>>(ExprParser&)>;
  ExprParser(std::vector<Token> tokens, Leaf leaf) : tokens_(std::move(tokens)), leaf_(leaf) {}

  std::unique_ptr<const Expr<Subject>> ParseAll() {
    auto expr = ParseOr(0);
    if (Peek().kind != Token::Kind::kEnd) Invalid();
    return expr;
  }
  const Token& Peek() const { return tokens_[pos_]; }
  Token Next() {
    Token token = tokens_[pos_];
    if (token.kind != Token::Kind::kEnd) ++pos_;
    return token;
  }
  // The value after an operator: "quoted", %regex% or a bare word.
  Value ParseValue(Op op) {
    const Token token = Next();
    Value value;
    if (token.kind == Token::Kind::kQuoted) {
      value = Value::Quoted(token.text);
    } else if (token.kind == Token::Kind::kRegex) {
      if (++regexes_ > kMaxRegexes) Invalid();
      value = Value::FromRegex(token.text);
    } else if (token.kind == Token::Kind::kWord) {
      value = Value::Bare(token.text);
    } else {
      Invalid();
    }
    const bool ordering = op != Op::kEq && op != Op::kNe;
    if (ordering && value.kind != Value::Kind::kNumber) Invalid();
    return value;
  }

 private:
  std::unique_ptr<const Expr<Subject>> ParseOr(int depth) {
    return ParseList(depth, Token::Kind::kOr, false);
  }
  std::unique_ptr<const Expr<Subject>> ParseList(int depth, Token::Kind joiner, bool is_and) {
    auto first = is_and ? ParsePrimary(depth) : ParseList(depth, Token::Kind::kAnd, true);
    if (Peek().kind != joiner) return first;
    auto list = std::make_unique<AndOr<Subject>>();
    list->is_and = is_and;
    list->parts.push_back(std::move(first));
    while (Peek().kind == joiner) {
      Next();
      list->parts.push_back(is_and ? ParsePrimary(depth)
                                   : ParseList(depth, Token::Kind::kAnd, true));
    }
    return list;
  }
  std::unique_ptr<const Expr<Subject>> ParsePrimary(int depth) {
    if (Peek().kind != Token::Kind::kLParen) return leaf_(*this);
    if (depth >= kMaxDepth) Invalid();
    Next();
    auto inner = ParseOr(depth + 1);
    if (Next().kind != Token::Kind::kRParen) Invalid();
    return inner;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  Leaf leaf_;
  int regexes_ = 0;
};

// --- JSON: { $.a.b[0] = "x" && $.n > 5 } ------------------------------------------

using Selector = std::vector<std::variant<std::string, size_t>>;

Selector ParseSelector(std::string_view text) {
  if (text.empty() || text.front() != '$') Invalid();
  Selector selector;
  size_t i = 1;
  while (i < text.size()) {
    if (text[i] == '.') {
      const size_t start = ++i;
      while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) != 0 ||
                                 text[i] == '_' || text[i] == '-')) {
        ++i;
      }
      if (i == start) Invalid();
      selector.emplace_back(std::string(text.substr(start, i - start)));
    } else if (text[i] == '[') {
      const size_t close = text.find(']', i);
      if (close == std::string_view::npos) Invalid();
      const std::string_view digits = text.substr(i + 1, close - i - 1);
      size_t index = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) Invalid();
      selector.emplace_back(index);
      i = close + 1;
    } else {
      Invalid();
    }
  }
  if (selector.empty()) Invalid();
  return selector;
}

const json* Resolve(const json& doc, const Selector& selector) {
  const json* at = &doc;
  for (const auto& step : selector) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      if (!at->is_object()) return nullptr;
      const auto it = at->find(*key);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else {
      const size_t index = std::get<size_t>(step);
      if (!at->is_array() || index >= at->size()) return nullptr;
      at = &(*at)[index];
    }
  }
  return at;
}

// One JSON condition: selector op value, or IS NULL / NOT EXISTS / IS TRUE /
// IS FALSE.
struct JsonComparison final : Expr<json> {
  enum class Kind { kCompare, kIsNull, kNotExists, kIsTrue, kIsFalse };
  Selector selector;
  Kind kind = Kind::kCompare;
  Op op = Op::kEq;
  Value value;

  bool Eval(const json& doc) const override {
    const json* target = Resolve(doc, selector);
    switch (kind) {
      case Kind::kNotExists:
        return target == nullptr;
      case Kind::kIsNull:
        return target != nullptr && target->is_null();
      case Kind::kIsTrue:
        return target != nullptr && target->is_boolean() && target->get<bool>();
      case Kind::kIsFalse:
        return target != nullptr && target->is_boolean() && !target->get<bool>();
      case Kind::kCompare:
        break;
    }
    // Objects, arrays, null and absent members match neither = nor !=.
    if (target == nullptr) return false;
    if (target->is_string())
      return filter::CompareText(target->get_ref<const std::string&>(), op, value);
    if (target->is_number()) {
      return filter::CompareNumber(target->get<double>(), target->dump(), op, value);
    }
    if (target->is_boolean())
      return filter::CompareText(target->get<bool>() ? "true" : "false", op, value);
    return false;
  }
};

std::unique_ptr<const Expr<json>> ParseJsonLeaf(ExprParser<json>& parser) {
  const Token subject = parser.Next();
  if (subject.kind != Token::Kind::kWord) Invalid();
  auto leaf = std::make_unique<JsonComparison>();
  leaf->selector = ParseSelector(subject.text);
  const Token next = parser.Next();
  if (next.kind == Token::Kind::kOp) {
    leaf->op = next.op;
    leaf->value = parser.ParseValue(next.op);
    return leaf;
  }
  const Token word = parser.Next();
  using Kind = JsonComparison::Kind;
  if (next.kind == Token::Kind::kWord && next.text == "IS" && word.kind == Token::Kind::kWord) {
    if (word.text == "NULL")
      leaf->kind = Kind::kIsNull;
    else if (word.text == "TRUE")
      leaf->kind = Kind::kIsTrue;
    else if (word.text == "FALSE")
      leaf->kind = Kind::kIsFalse;
    else
      Invalid();
    return leaf;
  }
  if (next.kind == Token::Kind::kWord && next.text == "NOT" && word.kind == Token::Kind::kWord &&
      word.text == "EXISTS") {
    leaf->kind = Kind::kNotExists;
    return leaf;
  }
  Invalid();
}

// { ... }: the message parsed as JSON, then the expression.
struct JsonNode final : FilterPattern::Node {
  std::unique_ptr<const Expr<json>> root;
  bool Matches(std::string_view message) const override {
    const json doc = json::parse(message, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_structured()) return false;
    return root->Eval(doc);
  }
};

std::unique_ptr<FilterPattern::Node> ParseJson(std::string_view inner) {
  auto node = std::make_unique<JsonNode>();
  ExprParser<json> parser(Tokenize(inner), ParseJsonLeaf);
  node->root = parser.ParseAll();
  return node;
}

// --- Space-delimited: [ip, user, ..., status = 4* && bytes > 1000] ----------------

// The fields of one message bound to the pattern's names.
using Bound = std::vector<std::string_view>;

// One delimited condition: field op value.
struct FieldComparison final : Expr<Bound> {
  size_t field = 0;
  Op op = Op::kEq;
  Value value;
  bool Eval(const Bound& fields) const override {
    return filter::CompareText(fields[field], op, value);
  }
};

// The message split at spaces; "..." and [...] are one field each, without
// their quotes or brackets.
std::vector<std::string_view> SplitFields(std::string_view message) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (true) {
    while (i < message.size() && message[i] == ' ') ++i;
    if (i == message.size()) break;
    const char open = message[i];
    const char close = open == '"' ? '"' : open == '[' ? ']' : '\0';
    size_t end = close != '\0' ? message.find(close, i + 1) : std::string_view::npos;
    if (end != std::string_view::npos) {
      fields.push_back(message.substr(i + 1, end - i - 1));
      i = end + 1;
      continue;
    }
    end = message.find(' ', i);
    if (end == std::string_view::npos) end = message.size();
    fields.push_back(message.substr(i, end - i));
    i = end;
  }
  return fields;
}

// [ ... ]: the message split into fields, bound to names, then every
// field's conditions.
struct DelimitedNode final : FilterPattern::Node {
  // Each declared field: its name, or empty for `...`.
  std::vector<std::string> names;
  std::vector<std::unique_ptr<const Expr<Bound>>> conditions;

  bool Matches(std::string_view message) const override {
    const auto fields = SplitFields(message);
    // Bind the names: without `...` the counts must agree; with it, names
    // before the last `...` take the first fields, names after it the last.
    size_t last_ellipsis = names.size();
    size_t named = 0;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i].empty()) {
        last_ellipsis = i;
      } else {
        ++named;
      }
    }
    if (last_ellipsis == names.size() ? fields.size() != named : fields.size() < named) {
      return false;
    }
    Bound bound(names.size());
    size_t next = 0;
    for (size_t i = 0; i < names.size(); ++i) {
      if (i == last_ellipsis) next = fields.size() - (names.size() - 1 - i);
      if (!names[i].empty()) bound[i] = fields[next++];
    }
    for (const auto& condition : conditions) {
      if (!condition->Eval(bound)) return false;
    }
    return true;
  }
};

// Splits `text` at commas outside quotes and %regex%.
std::vector<std::string_view> SplitAtCommas(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  char quote = '\0';
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != '\0') {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        quote = '\0';
      }
    } else if (c == '"' || c == '%') {
      quote = c;
    } else if (c == ',') {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  if (quote != '\0') Invalid();
  parts.push_back(text.substr(start));
  return parts;
}

bool IsFieldName(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != '-') return false;
  }
  return true;
}

std::unique_ptr<FilterPattern::Node> ParseDelimited(std::string_view inner) {
  auto node = std::make_unique<DelimitedNode>();
  std::vector<std::string_view> conditions;
  for (std::string_view part : SplitAtCommas(inner)) {
    part = Trim(part);
    if (part == "...") {
      node->names.emplace_back();
      continue;
    }
    size_t end = 0;
    while (end < part.size() && !EndsWord(part, end)) ++end;
    const std::string_view name = part.substr(0, end);
    if (!IsFieldName(name)) Invalid();
    node->names.emplace_back(name);
    if (!Trim(part.substr(end)).empty()) conditions.push_back(part);
  }
  // Conditions may name any declared field.
  auto leaf = [&node](ExprParser<Bound>& parser) -> std::unique_ptr<const Expr<Bound>> {
    const Token name = parser.Next();
    if (name.kind != Token::Kind::kWord) Invalid();
    const auto it = std::find(node->names.begin(), node->names.end(), name.text);
    if (it == node->names.end()) Invalid();
    const Token op = parser.Next();
    if (op.kind != Token::Kind::kOp) Invalid();
    auto comparison = std::make_unique<FieldComparison>();
    comparison->field = static_cast<size_t>(it - node->names.begin());
    comparison->op = op.op;
    // The docs' spelling `w1=!ERROR` means `w1 != ERROR`.
    const Token& value = parser.Peek();
    if (op.op == Op::kEq && value.kind == Token::Kind::kWord && value.text.size() > 1 &&
        value.text.front() == '!') {
      comparison->op = Op::kNe;
      comparison->value = Value::Bare(std::string_view(parser.Next().text).substr(1));
    } else {
      comparison->value = parser.ParseValue(op.op);
    }
    return comparison;
  };
  int regexes = 0;
  for (const std::string_view condition : conditions) {
    ExprParser<Bound> parser(Tokenize(condition), leaf);
    node->conditions.push_back(parser.ParseAll());
    for (const Token& t : Tokenize(condition)) regexes += t.kind == Token::Kind::kRegex ? 1 : 0;
  }
  if (regexes > kMaxRegexes) Invalid();
  bool any_name = false;
  for (const auto& name : node->names) any_name = any_name || !name.empty();
  if (!any_name) Invalid();
  return node;
}

}  // namespace

FilterPattern FilterPattern::Parse(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return FilterPattern(std::make_unique<EverythingNode>());
  if (text.front() == '{') {
    if (text.back() != '}') Invalid("If a filter pattern starts with '{' it must end with '}'");
    return FilterPattern(ParseJson(text.substr(1, text.size() - 2)));
  }
  if (text.front() == '[') {
    if (text.back() != ']') Invalid();
    return FilterPattern(ParseDelimited(text.substr(1, text.size() - 2)));
  }
  return FilterPattern(ParseTerms(text));
}

FilterPattern::FilterPattern(std::unique_ptr<const Node> root) : root_(std::move(root)) {}
FilterPattern::FilterPattern(FilterPattern&&) noexcept = default;
FilterPattern& FilterPattern::operator=(FilterPattern&&) noexcept = default;
FilterPattern::~FilterPattern() = default;

bool FilterPattern::MatchesEverything() const { return root_->Everything(); }

bool FilterPattern::Matches(std::string_view message) const { return root_->Matches(message); }

}  // namespace berth::logs
