#pragma once

// The fixture of the ECS cluster and account-level API tests: ApiTest with
// helpers to create, describe and list clusters, read tags and settings, and
// call as another account or region.

#include <string>
#include <vector>

#include "server/aws/pagination.h"
#include "tests/support/api_fixture.h"

namespace berth::testing {

using nlohmann::json;

inline constexpr const char* kClusterArnPrefix = "arn:aws:ecs:us-east-1:000000000000:cluster/";
inline constexpr const char* kRoot = "arn:aws:iam::000000000000:root";

class EcsClustersTest : public ApiTest {
 protected:
  json Create(const std::string& name, json extra = json::object()) {
    extra["clusterName"] = name;
    return EcsOk("CreateCluster", extra)["cluster"];
  }

  // The one cluster DescribeClusters reports for `name` (with `include`), or
  // null when it reports a failure instead.
  json Describe(const std::string& name, const json& include = json::array()) {
    const json out = EcsOk("DescribeClusters", {{"clusters", {name}}, {"include", include}});
    if (out["clusters"].empty()) return nullptr;
    return out["clusters"][0];
  }

  std::vector<std::string> ListedArns() {
    std::vector<std::string> arns;
    json input = json::object();
    for (int page = 0; page < 100; ++page) {
      const json out = EcsOk("ListClusters", input);
      for (const auto& arn : out["clusterArns"]) arns.push_back(arn);
      if (!out.contains("nextToken")) break;
      input["nextToken"] = out["nextToken"];
    }
    return arns;
  }

  json Tags(const std::string& arn) {
    return EcsOk("ListTagsForResource", {{"resourceArn", arn}})["tags"];
  }

  static json TagList(size_t count, const std::string& prefix = "k") {
    json tags = json::array();
    for (size_t i = 0; i < count; ++i) {
      tags.push_back({{"key", prefix + std::to_string(i)}, {"value", "v"}});
    }
    return tags;
  }

  static std::string Auth(const std::string& access_key, const std::string& region) {
    return "AWS4-HMAC-SHA256 Credential=" + access_key + "/20260101/" + region +
           "/ecs/aws4_request, SignedHeaders=host, Signature=0";
  }

  ApiReply EcsAs(const std::string& authorization, const std::string& operation,
                 const json& input) {
    ApiReply reply = Raw(std::string(kEcsPrefix) + operation, input.dump(),
                         "application/x-amz-json-1.1", authorization);
    if (reply.status == 200) {
      const auto& model = aws::model::EcsModel();
      const auto problems =
          aws::model::CheckOutput(model, *model.FindOperation(operation), reply.body);
      EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
    }
    return reply;
  }

  json Settings(json input = json::object()) {
    return EcsOk("ListAccountSettings", input)["settings"];
  }

  std::string RegisterTaskDefinition(const std::string& family) {
    const json out =
        EcsOk("RegisterTaskDefinition",
              {{"family", family},
               {"containerDefinitions",
                json::array({{{"name", "app"}, {"image", "nginx:latest"}, {"memory", 256}}})}});
    return out["taskDefinition"]["taskDefinitionArn"];
  }
};

}  // namespace berth::testing
