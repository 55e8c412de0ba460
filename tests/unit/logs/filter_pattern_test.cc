// CloudWatch Logs filter patterns, table-driven: which messages each form
// matches (the AWS docs' own examples first), and the patterns AWS refuses
// with the message it uses.

#include "server/logs/filter_pattern.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace berth::logs {
namespace {

struct MatchCase {
  const char* pattern;
  const char* message;
  bool matches;
};

void PrintTo(const MatchCase& c, std::ostream* out) {
  *out << "pattern `" << c.pattern << "` on `" << c.message << "`";
}

class FilterPatternMatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(FilterPatternMatchTest, Matches) {
  const MatchCase& c = GetParam();
  const FilterPattern pattern = FilterPattern::Parse(c.pattern);
  EXPECT_EQ(pattern.Matches(c.message), c.matches);
}

// The docs' example: events "ERROR WARN message", "ERROR message",
// "WARN message".
const MatchCase kTermCases[] = {
    {"", "anything at all", true},
    {"   ", "anything at all", true},
    {"ERROR", "ERROR WARN message", true},
    {"ERROR", "ERROR message", true},
    {"ERROR", "WARN message", false},
    {"?ERROR ?WARN", "ERROR WARN message", true},
    {"?ERROR ?WARN", "ERROR message", true},
    {"?ERROR ?WARN", "WARN message", true},
    {"?ERROR ?WARN", "INFO message", false},
    {"ERROR WARN", "ERROR WARN message", true},
    {"ERROR WARN", "ERROR message", false},
    {"ERROR -WARN", "ERROR WARN message", false},
    {"ERROR -WARN", "ERROR message", true},
    {"ERROR -WARN", "WARN message", false},
    // Substring and case-sensitive matching.
    {"ERROR", "[ERROR] A fatal exception", true},
    {"ERROR", "Exiting with ERRORCODE: -1", true},
    {"ERROR", "error: lower case", false},
    {"ERROR Exception", "Exception then ERROR, any order", true},
    // Quoted phrases.
    {"\"Failed to process the request\"", "x Failed to process the request y", true},
    {"\"Failed to process the request\"", "Failed to process request", false},
    {"\"user@example.com\"", "login user@example.com ok", true},
    {"\"say \\\"hi\\\"\"", "they say \"hi\" loudly", true},
    {"-\"not found\"", "found it", true},
    {"-\"not found\"", "page not found", false},
    // Mixed: every plain term, one of the ? terms, none of the - terms.
    {"GET ?200 ?204 -health", "GET /api 204", true},
    {"GET ?200 ?204 -health", "GET /health 200", false},
    {"GET ?200 ?204 -health", "GET /api 500", false},
    {"GET ?200 ?204 -health", "POST /api 200", false},
    // Regular expressions.
    {"%[Ee]rror|[Ff]ail%", "an Error here", true},
    {"%[Ee]rror|[Ff]ail%", "it will fail", true},
    {"%[Ee]rror|[Ff]ail%", "all good", false},
    {"%^start%", "start of line", true},
    {"%^start%", "not the start", false},
    {"%\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}%", "from 10.0.12.7 port 22", true},
    {"%\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}%", "from localhost", false},
    {"%AUTHORIZED% -UN", "AUTHORIZED access", true},
    {"%AUTHORIZED% -UN", "UNAUTHORIZED access", false},
    // Non-ASCII letters count as term characters.
    {"café", "un café noir", true},
};
INSTANTIATE_TEST_SUITE_P(Terms, FilterPatternMatchTest, ::testing::ValuesIn(kTermCases));

constexpr const char* kUser =
    R"({"eventType":"UpdateTrail","sourceIPAddress":"123.123.1.7","latency":650,)"
    R"("user":{"id":2,"name":"ana"},"users":[{"id":1,"email":"a@x"},{"id":2}],)"
    R"("actions":["PUT","POST","GET"],"coordinates":[[0,10],[20,30]],"SomeObject":null,)"
    R"("ThisFlag":true,"OtherFlag":false,"ratio":1.5e2,"code":"200"})";

const MatchCase kJsonCases[] = {
    {R"({ $.eventType = "UpdateTrail" })", kUser, true},
    {R"({ $.eventType = "CreateTrail" })", kUser, false},
    {R"({ $.eventType = UpdateTrail })", kUser, true},
    {R"({ $.eventType != "CreateTrail" })", kUser, true},
    {R"({ $.eventType = "Update*" })", kUser, true},
    {R"({ $.eventType = "*Trail" })", kUser, true},
    {R"({ $.eventType = "*Tra*il*" })", kUser, true},
    {R"({ $.sourceIPAddress != 123.123.* })", kUser, false},
    {R"({ $.sourceIPAddress = 123.123.* })", kUser, true},
    {R"({$.eventType="UpdateTrail"})", kUser, true},
    // Numbers: = != < > <= >=, signed, decimal, scientific.
    {R"({ $.latency >= 500 })", kUser, true},
    {R"({ $.latency > 650 })", kUser, false},
    {R"({ $.latency <= 650 })", kUser, true},
    {R"({ $.latency < 6.5e2 })", kUser, false},
    {R"({ $.latency > +100 })", kUser, true},
    {R"({ $.latency > -1 })", kUser, true},
    {R"({ $.latency = 650 })", kUser, true},
    {R"({ $.latency != 650 })", kUser, false},
    {R"({ $.ratio = 150 })", kUser, true},
    {R"({ $.coordinates[0][1] = 10 })", kUser, true},
    {R"({ $.coordinates[1][0] < 10e3 })", kUser, true},
    // A numeric string compares as a number; a wildcard sees a number's text.
    {R"({ $.code = 200 })", kUser, true},
    {R"({ $.latency = 6* })", kUser, true},
    // Paths into objects and arrays.
    {R"({ $.user.id = 2 })", kUser, true},
    {R"({ $.user.name = "ana" })", kUser, true},
    {R"({ $.users[0].email = "a@x" })", kUser, true},
    {R"({ $.users[5].id = 1 })", kUser, false},
    {R"({ $.actions[2] = "GET" })", kUser, true},
    // Selectors at an object or array match neither = nor !=.
    {R"({ $.users = 1 })", kUser, false},
    {R"({ $.users != 1 })", kUser, false},
    {R"({ $.user != "x" })", kUser, false},
    // A missing member matches neither = nor !=.
    {R"({ $.missing = "x" })", kUser, false},
    {R"({ $.missing != "x" })", kUser, false},
    // Special forms.
    {R"({ $.SomeObject IS NULL })", kUser, true},
    {R"({ $.eventType IS NULL })", kUser, false},
    {R"({ $.Missing NOT EXISTS })", kUser, true},
    {R"({ $.eventType NOT EXISTS })", kUser, false},
    {R"({ $.ThisFlag IS TRUE })", kUser, true},
    {R"({ $.OtherFlag IS FALSE })", kUser, true},
    {R"({ $.OtherFlag IS TRUE })", kUser, false},
    // && binds tighter than ||; parentheses group.
    {R"({ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" })", kUser,
     true},
    {R"({ $.user.id = 2 && $.users[0].email = "nonmatch" || $.actions[2] = "PUT" })", kUser, false},
    {R"({ $.user.id = 1 || $.latency > 600 && $.code = 200 })", kUser, true},
    {R"({ ($.user.id = 1 || $.latency > 600) && $.code = 201 })", kUser, false},
    // Regex values.
    {R"({ $.eventType = %Update.*% })", kUser, true},
    {R"({ $.eventType != %^Create% })", kUser, true},
    // Messages that are not JSON never match a JSON pattern.
    {R"({ $.eventType = "UpdateTrail" })", "eventType UpdateTrail", false},
    {R"({ $.Missing NOT EXISTS })", "plain text", false},
    {R"({ $.a NOT EXISTS })", "42", false},
};
INSTANTIATE_TEST_SUITE_P(Json, FilterPatternMatchTest, ::testing::ValuesIn(kJsonCases));

constexpr const char* kAccessLog =
    R"(127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534)";

const MatchCase kDelimitedCases[] = {
    {"[ip, user, username, timestamp, request, status_code, bytes]", kAccessLog, true},
    {"[ip, user, username, timestamp, request, status_code]", kAccessLog, false},
    {"[ip, user, username, timestamp, request, status_code = 404, bytes]", kAccessLog, true},
    {"[ip, user, username, timestamp, request, status_code = 4*, bytes]", kAccessLog, true},
    {"[ip, user, username, timestamp, request, status_code = 2*, bytes]", kAccessLog, false},
    {"[ip, user, username, timestamp, request = *html*, status_code, bytes]", kAccessLog, true},
    {"[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000, bytes]",
     kAccessLog, true},
    {"[ip, user, username, timestamp, request, status_code = 4* && bytes > 2000, bytes]",
     kAccessLog, false},
    {"[..., status_code, bytes > 1000]", kAccessLog, true},
    {"[..., status_code = 500, bytes]", kAccessLog, false},
    {"[ip = 127.0.0.1, user, ...]", kAccessLog, true},
    {"[ip = 10.*, user, ...]", kAccessLog, false},
    {"[ip, ..., bytes = 1534]", kAccessLog, true},
    {"[w1=ERROR || w1=WARN, w2]", "WARN disk", true},
    {"[w1=ERROR || w1=WARN, w2]", "INFO disk", false},
    {"[w1=!ERROR&&w1=!WARN, w2]", "INFO disk", true},
    {"[w1=!ERROR&&w1=!WARN, w2]", "ERROR disk", false},
    {"[w1 != ERROR, w2]", "INFO disk", true},
    {"[w1, w2 = %^d.sk$%]", "INFO disk", true},
};
INSTANTIATE_TEST_SUITE_P(Delimited, FilterPatternMatchTest, ::testing::ValuesIn(kDelimitedCases));

struct InvalidCase {
  const char* pattern;
  const char* message;
};

void PrintTo(const InvalidCase& c, std::ostream* out) { *out << "pattern `" << c.pattern << "`"; }

class FilterPatternInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(FilterPatternInvalidTest, IsRefusedWithAwsMessage) {
  const InvalidCase& c = GetParam();
  try {
    (void)FilterPattern::Parse(c.pattern);
    ADD_FAILURE() << "accepted";
  } catch (const InvalidFilterPattern& e) {
    EXPECT_EQ(std::string(e.what()), c.message);
  }
}

const InvalidCase kInvalidCases[] = {
    {"?", "Invalid character(s) in term '?'"},
    {"-", "Invalid character(s) in term '-'"},
    {"ERROR ?", "Invalid character(s) in term '?'"},
    {"user@example.com", "Invalid character(s) in term 'user@example.com'"},
    {"ERROR: x", "Invalid character(s) in term 'ERROR:'"},
    {"\"\"", "Invalid character(s) in term '\"\"'"},
    {"\"unterminated", "Invalid filter pattern"},
    {"\"a\"b", "Invalid filter pattern"},
    {"{ $.a = 1", "If a filter pattern starts with '{' it must end with '}'"},
    {"{ }", "Invalid filter pattern"},
    {"{ $.a }", "Invalid filter pattern"},
    {"{ a = 1 }", "Invalid filter pattern"},
    {"{ $.a = }", "Invalid filter pattern"},
    {"{ $.a > abc }", "Invalid filter pattern"},
    {"{ $.a = 1 && }", "Invalid filter pattern"},
    {"{ ($.a = 1 }", "Invalid filter pattern"},
    {"{ $.a IS MAYBE }", "Invalid filter pattern"},
    {"{ $.a[x] = 1 }", "Invalid filter pattern"},
    {"{ $.a = %(grouped)% }", "Invalid filter pattern"},
    {"{ $.a = %x% || $.b = %y% || $.c = %z% }", "Invalid filter pattern"},
    {"%something!%", "Invalid filter pattern"},
    {"%[unclosed%", "Invalid filter pattern"},
    {"%open", "Invalid filter pattern"},
    {"[a, b", "Invalid filter pattern"},
    {"[]", "Invalid filter pattern"},
    {"[...]", "Invalid filter pattern"},
    // The docs' own example names a field it never declares; AWS refuses it.
    {"[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]",
     "Invalid filter pattern"},
    {"[a > x, b]", "Invalid filter pattern"},
};
INSTANTIATE_TEST_SUITE_P(All, FilterPatternInvalidTest, ::testing::ValuesIn(kInvalidCases));

TEST(FilterPatternTest, EmptyPatternsMatchEverything) {
  EXPECT_TRUE(FilterPattern::Parse("").MatchesEverything());
  EXPECT_TRUE(FilterPattern::Parse(" \t").MatchesEverything());
  EXPECT_FALSE(FilterPattern::Parse("x").MatchesEverything());
}

TEST(FilterPatternTest, RegexTimeStaysLinearOnLongMessages) {
  // A pattern that backtracks exponentially in a naive engine, on 64 KiB.
  const FilterPattern pattern = FilterPattern::Parse("%a*a*a*a*a*a*a*b%");
  EXPECT_FALSE(pattern.Matches(std::string(64 * 1024, 'a')));
}

TEST(FilterPatternTest, MovedPatternsKeepMatching) {
  FilterPattern pattern = FilterPattern::Parse("ERROR");
  FilterPattern moved = std::move(pattern);
  EXPECT_TRUE(moved.Matches("an ERROR"));
}

}  // namespace
}  // namespace berth::logs
