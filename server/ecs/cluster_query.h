#pragma once

// ECS's cluster query language, as far as Berth evaluates it: comparisons on
// attribute:<name> (exists, !exists, ==, !=, in [..], not_in [..]) and on
// ec2InstanceId (the same), joined by `and`/`&&` (binding tighter) and
// `or`/`||`. Parsed once (Parse), evaluated on as many instances as needed
// (Matches): ListContainerInstances' filter and the memberOf placement
// constraint.
//
// Thread-safety: a value; immutable after Parse().

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::ecs {

class ClusterQuery {
 public:
  struct Comparison {
    enum class Subject { kAttribute, kEc2InstanceId };
    enum class Op { kExists, kNotExists, kEquals, kNotEquals, kIn, kNotIn };
    Subject subject = Subject::kAttribute;
    std::string name;  // the attribute's (kAttribute)
    Op op = Op::kExists;
    std::vector<std::string> values;  // one for == and !=; the list for in and not_in

    // Whether an instance whose subject is `actual` (nullopt: it has no such
    // attribute) satisfies the comparison.
    bool Holds(std::optional<std::string_view> actual) const;
  };

  // Throws InvalidParameterException saying what is wrong with `expression`
  // (also for a subject Berth does not evaluate).
  static ClusterQuery Parse(std::string_view expression);

  // Whether an instance matches; `actual(comparison)` gives the instance's
  // value of the comparison's subject (std::optional<std::string_view>,
  // nullopt when it has no such attribute). An empty expression matches
  // every instance.
  template <typename Actual>
  bool Matches(Actual&& actual) const {
    if (any_of_.empty()) return true;
    for (const auto& all_of : any_of_) {
      bool all = true;
      for (const auto& comparison : all_of) {
        if (!comparison.Holds(actual(comparison))) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }

  // The expression as a disjunction of conjunctions (empty: no comparison).
  const std::vector<std::vector<Comparison>>& any_of() const { return any_of_; }

 private:
  std::vector<std::vector<Comparison>> any_of_;
};

}  // namespace berth::ecs
