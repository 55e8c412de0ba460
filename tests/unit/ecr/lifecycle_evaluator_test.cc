// EvaluateLifecycle on its own: which images each rule acts on, with the
// user guide's worked examples, claims across priorities, the time-based
// count types, archive rules and the protections.

#include "server/ecr/lifecycle_evaluator.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace berth::ecr {
namespace {

using storage::LifecycleCandidate;

constexpr double kNow = 1800000000;
constexpr double kDay = 86400;

LifecycleCandidate Img(const std::string& digest, std::vector<std::string> tags, double pushed) {
  LifecycleCandidate c;
  c.digest = digest;
  c.tags = std::move(tags);
  c.pushed_at = pushed;
  c.image_status = "ACTIVE";
  return c;
}

// The digests acted on, as a set.
std::set<std::string> Acted(const std::string& policy,
                            const std::vector<LifecycleCandidate>& images, double now = kNow) {
  std::set<std::string> out;
  for (const auto& a : EvaluateLifecycle(ParseLifecyclePolicy(policy), images, now)) {
    out.insert(images[a.image].digest);
  }
  return out;
}

std::string Rule(int priority, const std::string& selection,
                 const std::string& action = R"({"type":"expire"})") {
  return R"({"rulePriority":)" + std::to_string(priority) + R"(,"selection":)" + selection +
         R"(,"action":)" + action + "}";
}

std::string Policy(const std::vector<std::string>& rules) {
  std::string text = R"({"rules":[)";
  for (size_t i = 0; i < rules.size(); ++i) text += (i ? "," : "") + rules[i];
  return text + "]}";
}

std::string Keep(const std::string& prefix, int count) {
  return R"({"tagStatus":"tagged","tagPrefixList":[")" + prefix +
         R"("],"countType":"imageCountMoreThan","countNumber":)" + std::to_string(count) + "}";
}

TEST(LifecycleEvaluatorTest, UserGuideWorkedExample) {
  // A (beta-1, prod-1; oldest), B (beta-2, prod-2), C (beta-3)
  const std::vector<LifecycleCandidate> images = {Img("A", {"beta-1", "prod-1"}, 1),
                                                  Img("B", {"beta-2", "prod-2"}, 2),
                                                  Img("C", {"beta-3"}, 3)};
  // prod keep 1, then beta keep 1: only A
  EXPECT_EQ(Acted(Policy({Rule(1, Keep("prod", 1)), Rule(2, Keep("beta", 1))}), images),
            std::set<std::string>{"A"});
  // beta keep 1 first: A and B
  EXPECT_EQ(Acted(Policy({Rule(1, Keep("beta", 1)), Rule(2, Keep("prod", 1))}), images),
            (std::set<std::string>{"A", "B"}));
}

TEST(LifecycleEvaluatorTest, LowerRulesCountImagesClaimedAboveButNeverActOnThem) {
  // C (beta-3, oldest), A (beta-1, prod-1), B (beta-2, prod-2)
  const std::vector<LifecycleCandidate> images = {Img("C", {"beta-3"}, 1),
                                                  Img("A", {"beta-1", "prod-1"}, 2),
                                                  Img("B", {"beta-2", "prod-2"}, 3)};
  // rule 2 counts B as its newest, so C (unclaimed) expires; A via rule 1
  EXPECT_EQ(Acted(Policy({Rule(1, Keep("prod", 1)), Rule(2, Keep("beta", 1))}), images),
            (std::set<std::string>{"A", "C"}));
}

TEST(LifecycleEvaluatorTest, EachImageActedOnOnceByTheFirstRuleThatSelectsIt) {
  const std::vector<LifecycleCandidate> images = {Img("old", {"v1"}, 1), Img("new", {"v2"}, 2)};
  const auto actions = EvaluateLifecycle(
      ParseLifecyclePolicy(Policy(
          {Rule(1, Keep("v", 1)), Rule(2, R"({"tagStatus":"any","countType":"imageCountMoreThan",
                                              "countNumber":1})")})),
      images, kNow);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(images[actions[0].image].digest, "old");
  EXPECT_EQ(actions[0].rule_priority, 1);
}

TEST(LifecycleEvaluatorTest, SinceImagePushedUsesDaysAndTheInjectedNow) {
  const std::vector<LifecycleCandidate> images = {Img("u", {}, kNow - 2 * kDay),
                                                  Img("t", {"x"}, kNow - 2 * kDay),
                                                  Img("fresh", {}, kNow - 0.5 * kDay)};
  const std::string policy = Policy({Rule(
      1,
      R"({"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1})")});
  EXPECT_EQ(Acted(policy, images), std::set<std::string>{"u"});
  // a day later the fresh one is old enough too
  EXPECT_EQ(Acted(policy, images, kNow + kDay), (std::set<std::string>{"u", "fresh"}));
}

TEST(LifecycleEvaluatorTest, PatternsAndPrefixesMustEachMatchATag) {
  const std::vector<LifecycleCandidate> images = {Img("both", {"prod-1", "release"}, 1),
                                                  Img("prod-only", {"production"}, 2),
                                                  Img("none", {"dev"}, 3), Img("untagged", {}, 4)};
  const std::string rule = Policy({Rule(
      1,
      R"({"tagStatus":"tagged","tagPatternList":["prod*","*lease"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1})")});
  EXPECT_EQ(Acted(rule, images), std::set<std::string>{"both"});
  const std::string prefix = Policy({Rule(
      1,
      R"({"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1})")});
  EXPECT_EQ(Acted(prefix, images), (std::set<std::string>{"both", "prod-only"}));
}

TEST(LifecycleEvaluatorTest, ImagesAnIndexRefersToAreNeverActedOn) {
  std::vector<LifecycleCandidate> images = {Img("child", {}, 1), Img("loose", {}, 2),
                                            Img("newest", {}, 3)};
  images[0].in_index = true;
  EXPECT_EQ(Acted(Policy({Rule(1, R"({"tagStatus":"untagged","countType":"imageCountMoreThan",
                                      "countNumber":1})")}),
                  images),
            std::set<std::string>{"loose"});
}

TEST(LifecycleEvaluatorTest, TransitionArchivesAndArchiveRulesSeeOnlyArchivedImages) {
  std::vector<LifecycleCandidate> images = {Img("a", {"v1"}, kNow - 40 * kDay),
                                            Img("b", {"v2"}, kNow - 40 * kDay),
                                            Img("archived-long", {"v0"}, kNow - 400 * kDay),
                                            Img("archived-recent", {"old"}, kNow - 400 * kDay)};
  images[2].image_status = "ARCHIVED";
  images[2].last_archived_at = kNow - 100 * kDay;
  images[3].image_status = "ARCHIVED";
  images[3].last_archived_at = kNow - 30 * kDay;
  const std::string policy = Policy(
      {Rule(
           1,
           R"({"tagStatus":"tagged","tagPatternList":["*"],"storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":10})"),
       Rule(
           2,
           R"({"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":30})",
           R"({"type":"transition","targetStorageClass":"archive"})")});
  const auto rules = ParseLifecyclePolicy(policy);
  const auto actions = EvaluateLifecycle(rules, images, kNow);
  std::set<std::string> expired;
  std::set<std::string> archived;
  for (const auto& a : actions) (a.transition ? archived : expired).insert(images[a.image].digest);
  // the archive rule expires only what has been archived 90 days or more
  EXPECT_EQ(expired, std::set<std::string>{"archived-long"});
  EXPECT_EQ(archived, (std::set<std::string>{"a", "b"}));
}

TEST(LifecycleEvaluatorTest, SinceImagePulledFallsBackToActivationThenPush) {
  std::vector<LifecycleCandidate> images = {Img("pulled-recently", {}, kNow - 50 * kDay),
                                            Img("never-pulled", {}, kNow - 50 * kDay),
                                            Img("restored", {}, kNow - 50 * kDay)};
  images[0].last_pulled_at = kNow - 1 * kDay;
  images[2].last_activated_at = kNow - 2 * kDay;
  EXPECT_EQ(
      Acted(
          Policy({Rule(
              1,
              R"({"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":10})",
              R"({"type":"transition","targetStorageClass":"archive"})")}),
          images),
      std::set<std::string>{"never-pulled"});
}

TEST(LifecycleEvaluatorTest, ActionsComeOldestFirst) {
  std::vector<LifecycleCandidate> images;
  for (int i = 9; i >= 0; --i) images.push_back(Img("d" + std::to_string(i), {}, i));
  const auto actions = EvaluateLifecycle(
      ParseLifecyclePolicy(Policy({Rule(
          1, R"({"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":3})")})),
      images, kNow);
  ASSERT_EQ(actions.size(), 7u);
  for (size_t i = 0; i < actions.size(); ++i) {
    EXPECT_EQ(images[actions[i].image].digest, "d" + std::to_string(i));
  }
}

}  // namespace
}  // namespace berth::ecr
