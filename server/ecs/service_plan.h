#pragma once

// The ECS service scheduler's decision, as a pure function (the sync
// functions of kubernetes' sample-controller and the ECS agent): from a
// service, its deployments (or task sets), its tasks and the clock, what to
// do now — tasks to start per deployment, tasks to stop and why, how each
// deployment's status, desired count and rollout move, and the events to
// record. It reads no database and calls no Docker; ServiceScheduler
// gathers its input and applies its result. Running it again on the state it
// produced changes nothing (a converged service plans nothing).
//
// The rules follow ../shared/reference/ecs-semantics.md §6:
//   - REPLICA services keep `desired` tasks of the PRIMARY deployment;
//     DAEMON services one per ACTIVE container instance;
//   - a rolling deployment starts new tasks while at most
//     floor(desired × maximumPercent / 100) tasks are live, and stops old
//     ones while at least ceil(desired × minimumHealthyPercent / 100) stay
//     healthy; drained deployments go; the PRIMARY is COMPLETED once it alone
//     runs `desired` healthy tasks;
//   - a service task whose container health check fails after the grace
//     period is stopped and replaced; a task that stops for any reason is
//     replaced;
//   - the deployment circuit breaker fails a deployment after
//     clamp(ceil(desired / 2), 3, 200) failed tasks and, with rollback, makes
//     the last COMPLETED deployment PRIMARY again; without the breaker,
//     repeated failures back off;
//   - scale-in stops pending tasks first, then the newest, never protected
//     ones;
//   - tasks on a DRAINING container instance move: PENDING ones stop at
//     once; RUNNING ones no longer count toward the desired count, their
//     replacements start within maximumPercent (the drained ones count as
//     live), and they stop while minimumHealthyPercent holds (they count
//     as healthy until then); a DAEMON service's task there stops once the
//     instance's other service tasks have;
//   - EXTERNAL services keep each task set at its computed desired count;
//   - a DRAINING service stops everything and becomes INACTIVE when no task
//     is left.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::ecs::plan {

enum class TaskState { kPending, kRunning, kStopping, kStopped };
enum class Health { kUnknown, kHealthy, kUnhealthy };

struct Task {
  std::string id;
  std::string deployment_id;
  TaskState state = TaskState::kPending;
  Health health = Health::kUnknown;
  bool has_health_check = false;  // an essential container has one
  double created_at = 0;
  double started_at = 0;  // when it became RUNNING; 0 if never
  double stopped_at = 0;  // STOPPED ones
  // Stopping or stopped for a failure of its own (it could not start, an
  // essential container exited, a health check failed) rather than by the
  // scheduler or the user.
  bool failed = false;
  double protected_until = 0;  // scale-in protection; 0: none
  // It sits on a DRAINING container instance: the scheduler moves it.
  bool on_draining_instance = false;
  // That DRAINING instance still holds other services' tasks not yet
  // stopped: a DAEMON service's task waits for them (ECS stops daemon tasks
  // last).
  bool instance_busy = false;
};

enum class DeploymentStatus { kPrimary, kActive, kDraining, kInactive };
enum class Rollout { kInProgress, kCompleted, kFailed };

struct Deployment {
  std::string id;
  DeploymentStatus status = DeploymentStatus::kPrimary;
  Rollout rollout = Rollout::kInProgress;
  int64_t desired = 0;  // as last planned (task sets: the computed count)
  int64_t failed_tasks = 0;
  double created_at = 0;
  bool task_set = false;
  // Task sets: the scale, in percent of the service's desired count.
  double scale_percent = 0;
  bool steady = false;  // task sets: last seen STEADY_STATE
  // StopServiceDeployment asked to roll this (PRIMARY) deployment back.
  bool rollback_requested = false;
};

enum class Controller { kEcs, kExternal };

struct Service {
  std::string name;
  bool draining = false;  // DRAINING: deleted, stopping its tasks
  int64_t desired_count = 0;
  bool daemon = false;
  int64_t instances = 1;  // container instances (DAEMON)
  Controller controller = Controller::kEcs;
  int64_t minimum_healthy_percent = 100;
  int64_t maximum_percent = 200;
  bool breaker_enabled = false;
  bool breaker_rollback = false;
  double health_check_grace_seconds = 0;
};

// What the scheduler remembers between passes (stored with the service).
struct Notes {
  bool steady = false;
  double steady_event_at = 0;    // the last "reached a steady state" event
  double unstable_event_at = 0;  // the last "unable to consistently start" event
};

struct Input {
  Service service;
  std::vector<Deployment> deployments;  // not INACTIVE (plus the rollback candidates)
  std::vector<Task> tasks;              // live ones, and those stopped recently
  Notes notes;
  double now = 0;
};

enum class StopKind { kScaleIn, kUnhealthy, kDraining };

struct Stop {
  std::string task_id;
  std::string reason;  // the task's stoppedReason
  StopKind kind = StopKind::kScaleIn;
};

struct Start {
  std::string deployment_id;
  int64_t count = 0;
  // How many of them replace tasks stopped for failing health checks.
  int64_t replacing_unhealthy = 0;
};

struct DeploymentChange {
  std::string id;
  DeploymentStatus status = DeploymentStatus::kPrimary;
  Rollout rollout = Rollout::kInProgress;
  std::string rollout_reason;  // empty: unchanged
  int64_t desired = 0;
  int64_t failed_tasks = 0;
  bool steady = false;
};

// A service deployment milestone the applier records.
enum class Milestone { kNone, kCompleted, kFailed, kRollingBack };

struct Output {
  std::vector<Start> starts;
  std::vector<Stop> stops;
  std::vector<DeploymentChange> deployments;  // only those that changed
  // Events whose text is complete; started tasks' events are written by the
  // applier once their ids exist (see StartedEvent).
  std::vector<std::string> events;
  Notes notes;
  bool service_inactive = false;  // a DRAINING service with nothing left
  // Rollout milestones this pass (both may happen in one): the deployment
  // that failed (kFailed, or kRollingBack with the deployment rolled back
  // to), and the one that completed.
  Milestone failure = Milestone::kNone;
  std::string failed_deployment;
  std::string rollback_to;
  std::string completed_deployment;
  // When the plan wants to run again even if nothing happens (a grace
  // period or a back-off ends, protection expires, ...); 0: no need.
  double wake_at = 0;
};

Output PlanService(const Input& input);

// The stoppedReason of a service task moved off a DRAINING instance.
inline constexpr const char* kDrainingReason = "Container instance is draining";

// "(service web) has started 2 tasks: (task a) (task b)." (and the task
// set's name for EXTERNAL services, and the unhealthy note).
std::string StartedEvent(const std::string& service, const std::string& task_set,
                         const std::vector<std::string>& task_ids, int64_t replacing_unhealthy);

// ceil(count × percent / 100): a task set's computed desired count, and the
// healthy floor of minimumHealthyPercent.
int64_t ScaledCount(int64_t count, double percent);

// The breaker's threshold for a desired count: clamp(ceil(desired/2), 3, 200).
int64_t BreakerThreshold(int64_t desired);

// Text forms for records and wire.
const char* DeploymentStatusName(DeploymentStatus status);
const char* RolloutName(Rollout rollout);
DeploymentStatus ParseDeploymentStatus(const std::string& text);
Rollout ParseRollout(const std::string& text);

}  // namespace berth::ecs::plan
