#pragma once

// ECS Managed Daemons: daemon task definitions (registered, described,
// deleted and listed like task definitions, under their own ARNs
// daemon-task-definition/<family>:<revision>), and daemons — one task per
// container instance of the daemon's cluster, kept running. Creating or
// updating a daemon records an immutable daemon revision (the definition
// and settings it runs) and a daemon deployment that rolls it out;
// deleting it records a draining deployment. Nothing here starts a task:
// DaemonScheduler, run by the reconciler, places and replaces the tasks
// and moves deployments forward; the reconciler runs them in Docker like
// any other task.
//
// Requests and replies are the AWS shapes (JSON), as botocore's model names
// them; the stored documents are those shapes too.
//
// Thread-safety: every method may be called from any thread.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws/aws_error.h"
#include "server/aws/request_context.h"
#include "server/ecs/cluster_service.h"
#include "storage/database.h"
#include "storage/records.h"

namespace berth::ecs {

inline aws::AwsError DaemonNotFoundException() {
  return aws::AwsError("DaemonNotFoundException", "The specified daemon does not exist.");
}
inline aws::AwsError DaemonNotActiveException() {
  return aws::AwsError("DaemonNotActiveException", "The specified daemon is not active.");
}

// arn:...:daemon/<cluster>/<name>, daemon-deployment/<cluster>/<name>/<id>,
// daemon-revision/<cluster>/<name>/<id>, daemon-task-definition/<family>:<rev>.
std::string DaemonArn(const aws::RequestContext& context, std::string_view cluster,
                      std::string_view name);
std::string DaemonDeploymentArn(const aws::RequestContext& context, std::string_view cluster,
                                std::string_view name, std::string_view id);
std::string DaemonRevisionArn(const aws::RequestContext& context, std::string_view cluster,
                              std::string_view name, std::string_view id);
std::string DaemonTaskDefinitionArn(const aws::RequestContext& context, std::string_view family,
                                    int64_t revision);
// A daemon task definition's revision as the store keys it (10 digits).
std::string DaemonRevisionKey(int64_t revision);
// The `group` of a daemon's tasks: daemon:<name>.
std::string DaemonTaskGroup(std::string_view daemon_name);
// The stored daemon task definition revision a daemon may run (ACTIVE),
// {"daemonTaskDefinition", "runnable"}; InvalidParameterException if none.
nlohmann::json FindActiveDaemonTaskDefinition(storage::Db& db, const aws::RequestContext& context,
                                              const std::string& reference);
// The runnable task definition of a daemon task definition revision, for the
// reconciler (nullopt when it does not exist).
std::optional<nlohmann::json> DaemonRunnableDefinition(storage::Db& db,
                                                       const storage::Partition& partition,
                                                       const std::string& family, int64_t revision);

class DaemonService {
 public:
  explicit DaemonService(storage::Database& database, ClusterService& clusters)
      : database_(database), clusters_(clusters) {}

  // Called after every change of desired state (wakes the reconciler).
  void SetWaker(std::function<void()> waker) { waker_ = std::move(waker); }

  // Daemon task definitions. Register validates the container definitions
  // with the task definition rules (ClientException) and returns the ARN.
  std::string RegisterTaskDefinition(const aws::RequestContext& context,
                                     const nlohmann::json& request);
  // `reference`: family (latest ACTIVE), family:revision or ARN; DELETED
  // revisions stay describable. ClientException when there is none.
  nlohmann::json DescribeTaskDefinition(const aws::RequestContext& context,
                                        const std::string& reference);
  // Marks an ACTIVE revision DELETE_IN_PROGRESS (it becomes DELETED once no
  // daemon runs it). Returns its ARN.
  std::string DeleteTaskDefinition(const aws::RequestContext& context,
                                   const std::string& reference);
  nlohmann::json ListTaskDefinitions(const aws::RequestContext& context,
                                     const nlohmann::json& request);

  // Daemons (replies as CreateDaemonResponse, UpdateDaemonResponse, ...).
  nlohmann::json Create(const aws::RequestContext& context, const nlohmann::json& request);
  nlohmann::json Update(const aws::RequestContext& context, const nlohmann::json& request);
  nlohmann::json Delete(const aws::RequestContext& context, const std::string& daemon_arn);
  nlohmann::json Describe(const aws::RequestContext& context, const std::string& daemon_arn);
  nlohmann::json List(const aws::RequestContext& context, const nlohmann::json& request);
  nlohmann::json DescribeDeployments(const aws::RequestContext& context,
                                     const std::vector<std::string>& arns);
  nlohmann::json ListDeployments(const aws::RequestContext& context, const nlohmann::json& request);
  nlohmann::json DescribeRevisions(const aws::RequestContext& context,
                                   const std::vector<std::string>& arns);

 private:
  // A new revision and deployment of a daemon (Create and Update); returns
  // the deployment id.
  std::string Deploy(storage::Db& db, const aws::RequestContext& context,
                     const std::string& cluster, const std::string& name,
                     const nlohmann::json& request, const nlohmann::json& definition);
  void Wake() const {
    if (waker_) waker_();
  }

  storage::Database& database_;
  ClusterService& clusters_;
  std::function<void()> waker_;
};

}  // namespace berth::ecs
