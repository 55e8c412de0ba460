#include "server/ecs/placement_rules.h"

#include "server/ecs/container_instance_service.h"
#include "server/ecs/ecs_errors.h"

namespace berth::ecs {
namespace {

using json = nlohmann::json;

// ECS's limits on a request's lists [unverified: the documented maxima].
constexpr size_t kMaxConstraints = 10;
constexpr size_t kMaxStrategies = 5;

void AddConstraint(PlacementRules& rules, const json& constraint, bool in_task_definition) {
  if (!constraint.is_object()) return;  // the model's validation already refused it
  const std::string type = constraint.value("type", "");
  const std::string expression = constraint.value("expression", "");
  if (type == "distinctInstance") {
    if (in_task_definition) {
      throw InvalidParameterException(
          "A task definition's placement constraints can only be of type memberOf.");
    }
    if (!expression.empty()) {
      throw InvalidParameterException(
          "An expression cannot be specified for a distinctInstance placement constraint.");
    }
    rules.distinct_instance = true;
  } else if (type == "memberOf") {
    if (expression.empty()) {
      throw InvalidParameterException(
          "An expression is required for a memberOf placement constraint.");
    }
    if (expression.size() > 2000) {
      throw InvalidParameterException(
          "A placement constraint's expression cannot exceed 2000 characters.");
    }
    // Parsing it against an instance with nothing checks its syntax now,
    // rather than at the first candidate.
    MatchesClusterQuery(expression, json::object());
    rules.member_of.push_back(expression);
  } else {
    throw InvalidParameterException("Unknown placement constraint type: " + type + ".");
  }
}

PlacementRules::Strategy StrategyOf(const json& strategy) {
  const std::string type = strategy.value("type", "");
  const std::string field = strategy.value("field", "");
  using Kind = PlacementRules::Strategy::Kind;
  if (type == "random") return {Kind::kRandom, ""};
  if (type == "binpack") {
    if (field == "cpu" || field == "memory" || field == "CPU" || field == "MEMORY") {
      return {Kind::kBinpack, field == "cpu" || field == "CPU" ? "cpu" : "memory"};
    }
    throw InvalidParameterException(
        "The binpack placement strategy's field must be cpu or memory.");
  }
  if (type == "spread") {
    if (field == "instanceId" || field == "host") return {Kind::kSpread, "instanceId"};
    if (field.starts_with("attribute:") && field.size() > 10) return {Kind::kSpread, field};
    throw InvalidParameterException(
        "The spread placement strategy's field must be instanceId, host or "
        "attribute:<name>.");
  }
  throw InvalidParameterException("Unknown placement strategy type: " + type + ".");
}

}  // namespace

PlacementRules PlacementRules::From(const json& placement, const json& task_definition) {
  PlacementRules rules;
  const json constraints = placement.value("placementConstraints", json::array());
  const json strategies = placement.value("placementStrategy", json::array());
  if (constraints.size() > kMaxConstraints) {
    throw InvalidParameterException("The number of placement constraints cannot exceed 10.");
  }
  if (strategies.size() > kMaxStrategies) {
    throw InvalidParameterException("The number of placement strategies cannot exceed 5.");
  }
  for (const auto& constraint : constraints) AddConstraint(rules, constraint, false);
  for (const auto& constraint : task_definition.value("placementConstraints", json::array())) {
    AddConstraint(rules, constraint, true);
  }
  for (const auto& strategy : strategies) {
    if (strategy.is_object()) rules.strategies.push_back(StrategyOf(strategy));
  }
  return rules;
}

std::vector<PlacementRules::Strategy> PlacementRules::ServiceDefault() {
  return {{Strategy::Kind::kSpread, "attribute:ecs.availability-zone"},
          {Strategy::Kind::kSpread, "instanceId"}};
}

}  // namespace berth::ecs
