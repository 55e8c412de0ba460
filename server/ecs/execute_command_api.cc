// EcsApi::ExecuteCommand: ECS Exec. ECS answers with a Session Manager
// session (sessionId, streamUrl, tokenValue) that the session-manager-plugin
// opens over a websocket to AWS. Berth has no Session Manager: it answers
// with a session that names the way in locally instead. The streamUrl is
// docker-exec://<runtimeId>?command=<command>: what to run (`docker exec -it
// <runtimeId> <command>`), the container's runtimeId being the one
// DescribeTasks reports. tools/session-manager-plugin, put on PATH, makes
// `aws ecs execute-command` run exactly that; the server also logs it.
//
// Thread-safety: as EcsApi (any thread).

#include <cctype>

#include "server/aws/json_params.h"
#include "server/ecs/ecs_api.h"
#include "server/ecs/ecs_errors.h"
#include "server/util/crypto.h"
#include "server/util/log.h"

namespace berth::ecs {
namespace {

using nlohmann::json;

// ECS's answer when the task was run without enableExecuteCommand, or its
// exec agent is not (yet) running.
constexpr const char* kNotEnabled =
    "The execute command failed because execute command was not enabled when the task was run or "
    "the execute command agent isn't running. Wait and try again or run a new task with execute "
    "command enabled and try again.";

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4U]);
      out.push_back(kHex[c & 15U]);
    }
  }
  return out;
}

// The container the request names, or the task's only one.
const json& ChooseContainer(const json& task, const std::optional<std::string>& name) {
  const json& containers = task.at("containers");
  if (name) {
    for (const auto& c : containers) {
      if (c.value("name", "") == *name) return c;
    }
    throw InvalidParameterException("The container " + *name +
                                    " does not exist in the task provided in the request.");
  }
  if (containers.size() != 1) {
    throw InvalidParameterException(
        "The task has more than one container: specify the container name in the request.");
  }
  return containers.front();
}

}  // namespace

json EcsApi::ExecuteCommand(const json& in, const Context& context) {
  const std::string task_text = aws::RequiredString(in, "task");
  const std::string command = aws::RequiredString(in, "command");
  if (!in.value("interactive", false)) {
    throw InvalidParameterException("Interactive is the only mode supported currently.");
  }
  const DescribeTasksResult found =
      services_.tasks.DescribeTasks(context, aws::OptionalString(in, "cluster"), {task_text});
  if (found.tasks.empty()) {
    throw InvalidParameterException("The task provided in the request was not found.");
  }
  const json& task = found.tasks.front().document;
  const json& container = ChooseContainer(task, aws::OptionalString(in, "container"));
  // The "agent" is Berth itself: it can exec into a container that runs.
  const std::string runtime_id = container.value("runtimeId", "");
  if (!task.value("enableExecuteCommand", false) || task.value("lastStatus", "") != "RUNNING" ||
      container.value("lastStatus", "") != "RUNNING" || runtime_id.empty()) {
    throw InvalidParameterException(kNotEnabled);
  }
  const std::string session_id = "ecs-execute-command-" + crypto::RandomHex(17);
  log::Info("ExecuteCommand " + session_id +
            ": Session Manager is not emulated; run: docker exec " + "-it " + runtime_id + " " +
            command);
  const json token = {{"runtimeId", runtime_id}, {"command", command}};
  return {{"clusterArn", task.at("clusterArn")},
          {"containerArn", container.at("containerArn")},
          {"containerName", container.at("name")},
          {"interactive", true},
          {"taskArn", task.at("taskArn")},
          {"session",
           {{"sessionId", session_id},
            {"streamUrl", "docker-exec://" + runtime_id + "?command=" + PercentEncode(command)},
            {"tokenValue", crypto::Base64Encode(token.dump())}}}};
}

}  // namespace berth::ecs
