#pragma once

// What the ECS task integration tests share: small task definitions of
// busybox containers, and the fixture of the tests that run with every AWS
// CLI on the machine.

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/integration/cli_fixture.h"
#include "tests/integration/ecs_task_fixture.h"

namespace berth::testing {

using nlohmann::json;

using nlohmann::json;

// A busybox httpd on port 80 that exits 0 at once on SIGTERM.
inline constexpr const char* kServe80 = "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait";
// Idles until SIGTERM, then exits 0.
inline constexpr const char* kIdle = "trap 'exit 0' TERM; sleep 3600 & wait";

// `text` with every "@KEY@" of `values` replaced.
inline std::string Fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    const std::string mark = "@" + key + "@";
    for (auto at = text.find(mark); at != std::string::npos;
         at = text.find(mark, at + value.size())) {
      text.replace(at, mark.size(), value);
    }
  }
  return text;
}

// One container definition running `script` with sh -c (stopTimeout 2).
inline json Container(const std::string& name, const std::string& image,
                      const std::string& script) {
  return {{"name", name},
          {"image", image},
          {"command", json::array({"sh", "-c", script})},
          {"stopTimeout", 2}};
}

// A Fargate (awsvpc) task definition.
inline json FargateTd(const std::string& family, const json& containers) {
  return {{"family", family},
          {"networkMode", "awsvpc"},
          {"requiresCompatibilities", json::array({"FARGATE"})},
          {"cpu", "256"},
          {"memory", "512"},
          {"containerDefinitions", containers}};
}

// An EC2 task definition in `mode` (every container gets 64 MiB unless set).
inline json Ec2Td(const std::string& family, const std::string& mode, json containers) {
  for (auto& c : containers) {
    if (!c.contains("memory")) c["memory"] = 64;
  }
  return {{"family", family}, {"networkMode", mode}, {"containerDefinitions", containers}};
}

class EcsTasksTest : public EcsTaskFixture {};

// Runs with every AWS CLI on the machine.
class EcsCliTaskTest : public EcsTaskFixture, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    cli_ = GetParam();
    if (!ProgramExists(cli_) && !std::filesystem::exists(cli_)) {
      FAIL() << "AWS CLI " << cli_ << " is not installed (./dev install installs it)";
    }
    EcsTaskFixture::SetUp();
  }
};

}  // namespace berth::testing
