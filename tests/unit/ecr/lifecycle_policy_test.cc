#include "server/ecr/lifecycle_policy.h"

#include <gtest/gtest.h>

namespace berth::ecr {
namespace {

std::string DetailOf(const std::string& text) {
  try {
    ParseLifecyclePolicy(text);
  } catch (const LifecyclePolicyError& e) {
    return e.what();
  }
  return "";
}

TEST(LifecyclePolicyTest, ParsesTheDocumentedExample) {
  const auto rules = ParseLifecyclePolicy(R"({"rules":[
    {"rulePriority":2,"description":"old untagged","selection":{"tagStatus":"untagged",
      "countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}},
    {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],
      "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].priority, 1);
  EXPECT_EQ(rules[0].tag_prefixes, std::vector<std::string>{"prod"});
  EXPECT_EQ(rules[1].count_unit, "days");
}

TEST(LifecyclePolicyTest, RejectsBrokenPolicies) {
  EXPECT_NE(DetailOf("{}").find("missing required properties ([\"rules\"])"), std::string::npos);
  EXPECT_NE(DetailOf("not json").find("not valid JSON"), std::string::npos);
  const std::string tagged_without_filter = R"({"rules":[{"rulePriority":1,"selection":{
    "tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})";
  EXPECT_NE(DetailOf(tagged_without_filter).find("tagPrefixList or tagPatternList"),
            std::string::npos);
  const std::string bad_enum = R"({"rules":[{"rulePriority":1,"selection":{
    "tagStatus":"sometimes","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})";
  EXPECT_NE(DetailOf(bad_enum).find("not found in enum"), std::string::npos);
  const std::string unit_missing = R"({"rules":[{"rulePriority":1,"selection":{
    "tagStatus":"any","countType":"sinceImagePushed","countNumber":1},"action":{"type":"expire"}}]})";
  EXPECT_NE(DetailOf(unit_missing).find("countUnit is required"), std::string::npos);
  const std::string duplicate = R"({"rules":[
    {"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
    {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["a"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})";
  EXPECT_NE(DetailOf(duplicate).find("more than one rule"), std::string::npos);
  const std::string any_first = R"({"rules":[
    {"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
    {"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})";
  EXPECT_NE(DetailOf(any_first).find("highest rulePriority"), std::string::npos);
  const std::string zero = R"({"rules":[{"rulePriority":1,"selection":{
    "tagStatus":"any","countType":"imageCountMoreThan","countNumber":0},"action":{"type":"expire"}}]})";
  EXPECT_NE(DetailOf(zero).find("minimum"), std::string::npos);
  const std::string extra = R"({"rules":[{"rulePriority":1,"bogus":1,"selection":{
    "tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})";
  EXPECT_NE(DetailOf(extra).find("not allowed by the schema: [\"bogus\"]"), std::string::npos);
}

}  // namespace
}  // namespace berth::ecr
