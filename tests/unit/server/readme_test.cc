// The README's list of supported operations is generated from the operation
// tables; this keeps it from going stale (regenerate with
// `./build/server/berth --list-operations`, see the README).

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "server/coverage.h"

namespace berth {
namespace {

TEST(ReadmeTest, SupportedOperationsListMatchesTheCode) {
  std::ifstream in(std::string(BERTH_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string readme = buffer.str();
  const std::string begin = "<!-- operations:begin -->\n";
  const std::string end = "<!-- operations:end -->";
  const auto from = readme.find(begin);
  const auto to = readme.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(readme.substr(from + begin.size(), to - from - begin.size()), OperationsMarkdown())
      << "README.md is stale: run ./dev readme";
}

}  // namespace
}  // namespace berth
