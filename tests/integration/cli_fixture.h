#pragma once

// A fixture for tests that drive the real AWS CLI against a real berth: one
// server per test, parameterised over every AWS CLI on the machine (v2 from
// Debian, v1 from pip), so Berth serves both.

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/berth_server.h"
#include "tests/support/text_files.h"

namespace berth::testing {

class CliTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!ProgramExists(GetParam()) && !std::filesystem::exists(GetParam())) {
      FAIL() << "AWS CLI " << GetParam() << " is not installed (./dev install installs it)";
    }
    server_ = std::make_unique<BerthServer>();
  }

  // Runs the CLI; expects success and returns the JSON it printed.
  nlohmann::json Ok(const std::vector<std::string>& args) {
    const AwsResult r = RunAws(GetParam(), server_->endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << "aws " << Join(args) << "\nstderr: " << r.err << "\nlog:\n"
                              << server_->Log();
    return r.json;
  }

  // Runs the CLI; expects failure with this AWS error code and returns stderr.
  std::string Fails(const std::vector<std::string>& args, const std::string& error_code) {
    const AwsResult r = RunAws(GetParam(), server_->endpoint(), args);
    EXPECT_NE(r.exit_code, 0) << "aws " << Join(args) << " succeeded: " << r.out;
    EXPECT_NE(r.err.find("(" + error_code + ")"), std::string::npos)
        << "aws " << Join(args) << "\nstderr: " << r.err;
    return r.err;
  }

  // True when this CLI knows the command (older CLIs lack newer operations).
  bool CliHas(const std::vector<std::string>& help_args) {
    return RunAws(GetParam(), server_->endpoint(), help_args, {{"PAGER", "cat"}}).exit_code == 0;
  }

  static std::string TestData(const std::string& name) {
    return SourceDir() + "/tests/testdata/" + name;
  }

  std::unique_ptr<BerthServer> server_;
};

// A timestamp as the CLI printed it: v1 prints epoch seconds, v2 ISO 8601.
inline double EpochOf(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  std::tm tm{};
  const std::string text = value.get<std::string>();
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return -1;
  double seconds = static_cast<double>(timegm(&tm));
  if (*rest == '.') seconds += std::strtod(rest, nullptr);
  // Offsets other than UTC are not produced by the CLIs we drive.
  return seconds;
}

// Names a parameterised test after the CLI ("usr_bin_aws", ...).
inline std::string CliName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name;
  for (const char c : info.param) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

}  // namespace berth::testing
