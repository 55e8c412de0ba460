// The task-definition operations of EcsApi (declared in ecs_api.h): read the
// model-validated input, call TaskDefinitionService, shape the reply as the
// botocore ECS model describes it.

#include <algorithm>
#include <utility>

#include "server/aws/json_params.h"
#include "server/ecs/ecs_api.h"
#include "server/ecs/ecs_errors.h"

namespace berth::ecs {
namespace {

using aws::Has;
using aws::OptionalString;
using aws::RequiredString;
using nlohmann::json;

constexpr int64_t kFamilyPageSize = 100;
constexpr int64_t kMaxFamilyPageSize = 100;
// ListTaskDefinitionFamilies without `status` lists families with and
// without ACTIVE revisions (the AWS API reference: "By default, both ACTIVE
// and INACTIVE task definition families are listed").
constexpr const char* kDefaultFamilyStatus = "ALL";

// `maxResults`, or the default page size. Throws InvalidParameterException
// outside 1-100.
size_t PageSize(const json& in) {
  const int64_t max = aws::OptionalInt(in, "maxResults").value_or(kFamilyPageSize);
  if (max < 1 || max > kMaxFamilyPageSize) {
    throw InvalidParameterException("maxResults must be between 1 and 100.");
  }
  return static_cast<size_t>(max);
}

json PageJson(const char* member, const NamePage& page) {
  json out = {{member, page.items}};
  if (!page.next.empty()) out["nextToken"] = page.next;
  return out;
}

}  // namespace

json EcsApi::RegisterTaskDefinition(const json& in, const Context& context) {
  TaskDefinition td = services_.task_definitions.Register(context, in);
  json out = json::object();
  out["taskDefinition"] = std::move(td.document);
  if (Has(in, "tags")) out["tags"] = EcsTagsJson(td.tags);
  return out;
}

json EcsApi::DescribeTaskDefinition(const json& in, const Context& context) {
  TaskDefinition td =
      services_.task_definitions.Describe(context, RequiredString(in, "taskDefinition"));
  json out = json::object();
  out["taskDefinition"] = std::move(td.document);
  const auto include = aws::StringList(in, "include");
  if (std::find(include.begin(), include.end(), "TAGS") != include.end()) {
    out["tags"] = EcsTagsJson(td.tags);
  }
  return out;
}

json EcsApi::ListTaskDefinitions(const json& in, const Context& context) {
  const size_t max_results = PageSize(in);
  const NamePage page = services_.task_definitions.List(
      context, OptionalString(in, "familyPrefix"), OptionalString(in, "status").value_or("ACTIVE"),
      OptionalString(in, "sort").value_or("ASC") == "DESC",
      OptionalString(in, "nextToken").value_or(""), max_results);
  return PageJson("taskDefinitionArns", page);
}

json EcsApi::ListTaskDefinitionFamilies(const json& in, const Context& context) {
  const size_t max_results = PageSize(in);
  const NamePage page = services_.task_definitions.ListFamilies(
      context, OptionalString(in, "familyPrefix").value_or(""),
      OptionalString(in, "status").value_or(kDefaultFamilyStatus),
      OptionalString(in, "nextToken").value_or(""), max_results);
  return PageJson("families", page);
}

json EcsApi::DeregisterTaskDefinition(const json& in, const Context& context) {
  const TaskDefinition td =
      services_.task_definitions.Deregister(context, RequiredString(in, "taskDefinition"));
  return {{"taskDefinition", td.document}};
}

json EcsApi::DeleteTaskDefinitions(const json& in, const Context& context) {
  const auto outcomes =
      services_.task_definitions.Delete(context, aws::StringList(in, "taskDefinitions"));
  json out = {{"taskDefinitions", json::array()}, {"failures", json::array()}};
  for (const auto& outcome : outcomes) {
    if (outcome.task_definition) {
      out["taskDefinitions"].push_back(*outcome.task_definition);
      continue;
    }
    json failure = {{"arn", outcome.arn}, {"reason", outcome.reason}};
    if (!outcome.detail.empty()) failure["detail"] = outcome.detail;
    out["failures"].push_back(std::move(failure));
  }
  return out;
}

}  // namespace berth::ecs
