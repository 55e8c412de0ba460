// CompactJson writes what nlohmann's dump(-1) writes, byte for byte: for
// chosen edge cases (escapes, control characters, non-ASCII, invalid UTF-8
// under both handlers, integer limits, floats) and for many random
// documents.

#include "server/util/compact_json.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::util {
namespace {

using json = nlohmann::json;

std::string Dump(const json& value, bool strict) {
  return value.dump(-1, ' ', false,
                    strict ? json::error_handler_t::strict : json::error_handler_t::replace);
}

void ExpectSame(const json& value) {
  EXPECT_EQ(CompactJson(value), Dump(value, true)) << Dump(value, false);
  EXPECT_EQ(CompactJson(value, false), Dump(value, false));
}

TEST(CompactJsonTest, EdgeCasesMatchNlohmann) {
  ExpectSame(json());
  ExpectSame(json::object());
  ExpectSame(json::array());
  ExpectSame(true);
  ExpectSame(false);
  ExpectSame(0);
  ExpectSame(-1);
  ExpectSame(std::numeric_limits<int64_t>::min());
  ExpectSame(std::numeric_limits<int64_t>::max());
  ExpectSame(std::numeric_limits<uint64_t>::max());
  ExpectSame(1.0);
  ExpectSame(1767225600.123);
  ExpectSame(1e300);
  ExpectSame(-0.0);
  ExpectSame("");
  ExpectSame("plain text / with a slash");
  ExpectSame("quote \" backslash \\ tab \t newline \n cr \r ff \f bs \b");
  ExpectSame(std::string("nul \0 unit \x1f del \x7f", 17));
  ExpectSame("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3");
  ExpectSame({{"b", 1}, {"a", {{"z", json::array({1, "x", nullptr})}, {"\n", true}}}});
}

TEST(CompactJsonTest, InvalidUtf8ThrowsWhenStrictAndIsReplacedOtherwise) {
  const json bad = {{"message", std::string("bad \xff byte")}};
  EXPECT_THROW(CompactJson(bad), json::type_error);
  EXPECT_EQ(CompactJson(bad, false), Dump(bad, false));
  EXPECT_NE(CompactJson(bad, false).find("\xef\xbf\xbd"), std::string::npos);
  const json bad_key = {{std::string("k\xc3"), 1}};
  EXPECT_THROW(CompactJson(bad_key), json::type_error);
  EXPECT_EQ(CompactJson(bad_key, false), Dump(bad_key, false));
}

// A random document: nested objects and arrays of every scalar kind, strings
// drawn mostly from ASCII with some control bytes and UTF-8.
json RandomValue(std::mt19937_64& random, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 3 ? 5 : 7);
  switch (kind(random)) {
    case 0:
      return nullptr;
    case 1:
      return random() % 2 == 0;
    case 2:
      return static_cast<int64_t>(random());
    case 3:
      return static_cast<uint64_t>(random());
    case 4:
      return std::uniform_real_distribution<double>(-1e12, 1e12)(random);
    case 5: {
      static const std::string kPieces[] = {
          "a",  "Z",    "9",    " ",    "\"",       "\\",           "/",
          "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "{}"};
      std::string text;
      for (int n = static_cast<int>(random() % 12); n > 0; --n) {
        text += kPieces[random() % std::size(kPieces)];
      }
      return text;
    }
    case 6: {
      json array = json::array();
      for (int n = static_cast<int>(random() % 5); n > 0; --n) {
        array.push_back(RandomValue(random, depth + 1));
      }
      return array;
    }
    default: {
      json object = json::object();
      for (int n = static_cast<int>(random() % 5); n > 0; --n) {
        object["k" + std::to_string(random() % 100)] = RandomValue(random, depth + 1);
      }
      return object;
    }
  }
}

TEST(CompactJsonTest, RandomDocumentsMatchNlohmann) {
  std::mt19937_64 random(20261205);
  for (int i = 0; i < 3000; ++i) {
    const json value = RandomValue(random, 0);
    ASSERT_EQ(CompactJson(value), Dump(value, true)) << Dump(value, false);
  }
}

}  // namespace
}  // namespace berth::util
