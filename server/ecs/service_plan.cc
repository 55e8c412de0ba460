#include "server/ecs/service_plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace berth::ecs::plan {
namespace {

// The "reached a steady state" event is repeated this often while steady.
constexpr double kSteadyRepeatSeconds = 6 * 60 * 60;
// The "unable to consistently start tasks" event at most this often.
constexpr double kUnstableRepeatSeconds = 10 * 60;
// How soon a DAEMON task waiting on a DRAINING instance looks again.
constexpr double kBusyInstanceRecheckSeconds = 2;
// Consecutive failures before starts back off, and the longest back-off.
constexpr int64_t kBackoffAfter = 3;
constexpr double kBackoffFirstSeconds = 5;
constexpr double kBackoffMaxSeconds = 60;

bool Live(const Task& t) {
  return t.state == TaskState::kPending || t.state == TaskState::kRunning;
}

bool Healthy(const Task& t) {
  return t.state == TaskState::kRunning && (!t.has_health_check || t.health == Health::kHealthy);
}

std::string Prefix(const std::string& service, const std::string& task_set) {
  return task_set.empty() ? "(service " + service + ")"
                          : "(service " + service + ", taskSet " + task_set + ")";
}

std::string TaskList(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "(task " : " (task ") + id + ")";
  return out;
}

// The work of one pass, on copies of the input.
class Planner {
 public:
  explicit Planner(const Input& in) : in_(in), deployments_(in.deployments) {
    out_.notes = in.notes;
    const Service& s = in.service;
    desired_ = s.draining ? 0 : (s.daemon ? s.instances : s.desired_count);
    for (const auto& d : deployments_) original_[d.id] = d;
  }

  Output Run() {
    StopUnhealthy();
    StopPendingOnDraining();
    CountFailures();
    if (in_.service.controller == Controller::kExternal) {
      PlanTaskSets();
    } else {
      PlanRolling();
    }
    if (in_.service.draining && LiveCount("") == 0) out_.service_inactive = true;
    for (const auto& d : deployments_) {
      const Deployment& before = original_[d.id];
      if (d.status != before.status || d.rollout != before.rollout || d.desired != before.desired ||
          d.failed_tasks != before.failed_tasks || d.steady != before.steady ||
          reasons_.contains(d.id)) {
        out_.deployments.push_back(
            {d.id, d.status, d.rollout, reasons_[d.id], d.desired, d.failed_tasks, d.steady});
      }
    }
    return out_;
  }

 private:
  const std::string& Name() const { return in_.service.name; }
  double Now() const { return in_.now; }

  void WakeAt(double at) {
    if (at > Now() && (out_.wake_at == 0 || at < out_.wake_at)) out_.wake_at = at;
  }

  bool Stopped(const Task& t) const { return stopping_.contains(t.id); }
  bool LiveNow(const Task& t) const { return Live(t) && !Stopped(t); }

  // Live tasks of a deployment ("" for all), counting those started now.
  int64_t LiveCount(const std::string& deployment) const {
    int64_t n = 0;
    for (const auto& t : in_.tasks) {
      if (LiveNow(t) && (deployment.empty() || t.deployment_id == deployment)) ++n;
    }
    for (const auto& s : out_.starts) {
      if (deployment.empty() || s.deployment_id == deployment) n += s.count;
    }
    return n;
  }
  // Live tasks on DRAINING instances: they still run (and count toward
  // maximumPercent and as healthy) but no longer toward the desired count.
  static bool OnDraining(const Task& t) { return t.on_draining_instance; }
  int64_t LeavingCount(const std::string& deployment) const {
    int64_t n = 0;
    for (const auto& t : in_.tasks) {
      if (LiveNow(t) && OnDraining(t) && (deployment.empty() || t.deployment_id == deployment)) ++n;
    }
    return n;
  }
  int64_t StayingCount(const std::string& deployment) const {
    return LiveCount(deployment) - LeavingCount(deployment);
  }
  int64_t HealthyCount(const std::string& deployment) const {
    int64_t n = 0;
    for (const auto& t : in_.tasks) {
      if (LiveNow(t) && Healthy(t) && (deployment.empty() || t.deployment_id == deployment)) ++n;
    }
    return n;
  }
  bool Protected(const Task& t) const { return t.protected_until > Now(); }

  void StopTask(const Task& t, const std::string& reason, StopKind kind) {
    stopping_.insert(t.id);
    out_.stops.push_back({t.id, reason, kind});
  }

  void StopUnhealthy() {
    const double grace = in_.service.health_check_grace_seconds;
    for (const auto& t : in_.tasks) {
      if (t.state != TaskState::kRunning || !t.has_health_check) continue;
      if (t.health != Health::kHealthy) WakeAt(t.started_at + grace);
      if (t.health != Health::kUnhealthy || Now() - t.started_at < grace) continue;
      StopTask(t, "Task failed container health checks", StopKind::kUnhealthy);
      ++replacing_unhealthy_[t.deployment_id];
      out_.events.push_back("(service " + Name() + ") (task " + t.id +
                            ") failed container health checks.");
    }
  }

  // Service tasks still PENDING on a DRAINING instance stop at once.
  void StopPendingOnDraining() {
    for (const auto& t : in_.tasks) {
      if (t.state == TaskState::kPending && OnDraining(t) && !Stopped(t)) {
        StopTask(t, kDrainingReason, StopKind::kDraining);
      }
    }
  }

  // Stops live tasks on DRAINING instances (of one deployment, "" for all)
  // while `budget` (healthy tasks above the floor) allows: tasks that are
  // not healthy cost nothing, healthy ones one each, oldest first.
  void DrainLeaving(const std::string& deployment, int64_t& budget,
                    std::vector<std::string>& stopped_running) {
    std::vector<const Task*> tasks;
    for (const auto& t : in_.tasks) {
      if (LiveNow(t) && OnDraining(t) && (deployment.empty() || t.deployment_id == deployment)) {
        tasks.push_back(&t);
      }
    }
    std::stable_sort(tasks.begin(), tasks.end(), [](const Task* a, const Task* b) {
      if (Healthy(*a) != Healthy(*b)) return !Healthy(*a);
      return a->created_at < b->created_at;
    });
    for (const Task* t : tasks) {
      if (in_.service.daemon && t->instance_busy) {
        WakeAt(Now() + kBusyInstanceRecheckSeconds);  // other services' tasks do not wake it
        continue;
      }
      if (Healthy(*t)) {
        if (budget <= 0) break;
        --budget;
      }
      StopTask(*t, kDrainingReason, StopKind::kDraining);
      if (t->state == TaskState::kRunning) stopped_running.push_back(t->id);
    }
  }

  void CountFailures() {
    std::map<std::string, int64_t> failed;
    for (const auto& t : in_.tasks) {
      if (t.failed) ++failed[t.deployment_id];
    }
    for (auto& d : deployments_) d.failed_tasks = std::max(d.failed_tasks, failed[d.id]);
  }

  // Stops `count` live tasks of a deployment for scale-in: pending first,
  // then the newest; never protected ones.
  int64_t ScaleIn(const Deployment& d, int64_t count, const std::string& initiator,
                  std::vector<std::string>& stopped_running) {
    std::vector<const Task*> candidates;
    for (const auto& t : in_.tasks) {
      // Tasks on DRAINING instances leave by DrainLeaving, not by scale-in.
      if (t.deployment_id == d.id && LiveNow(t) && !OnDraining(t)) candidates.push_back(&t);
    }
    std::stable_sort(candidates.begin(), candidates.end(), [](const Task* a, const Task* b) {
      const bool a_pending = a->state == TaskState::kPending;
      const bool b_pending = b->state == TaskState::kPending;
      if (a_pending != b_pending) return a_pending;
      return a->created_at > b->created_at;
    });
    int64_t done = 0;
    for (const Task* t : candidates) {
      if (done == count) break;
      if (Protected(*t)) {
        WakeAt(t->protected_until);
        continue;
      }
      StopTask(*t, "Scaling activity initiated by (deployment " + initiator + ")",
               StopKind::kScaleIn);
      if (t->state == TaskState::kRunning) stopped_running.push_back(t->id);
      ++done;
    }
    return done;
  }

  // Whether the deployment may start tasks now, after repeated failures.
  bool BackoffAllows(const Deployment& d) {
    double last_success = 0;
    for (const auto& t : in_.tasks) {
      if (t.deployment_id == d.id && LiveNow(t) && Healthy(t)) {
        last_success = std::max(last_success, t.started_at);
      }
    }
    int64_t consecutive = 0;
    double last_failure = 0;
    for (const auto& t : in_.tasks) {
      if (t.deployment_id != d.id || !t.failed) continue;
      const double at = t.stopped_at > 0 ? t.stopped_at : t.created_at;
      if (at <= last_success) continue;
      ++consecutive;
      last_failure = std::max(last_failure, at);
    }
    if (consecutive < kBackoffAfter) return true;
    const bool breaker = in_.service.breaker_enabled && !d.task_set;
    if (!breaker && Now() - out_.notes.unstable_event_at >= kUnstableRepeatSeconds) {
      out_.events.push_back("(service " + Name() +
                            ") is unable to consistently start tasks successfully. For more "
                            "information, see the Troubleshooting section of the Amazon ECS "
                            "Developer Guide.");
      out_.notes.unstable_event_at = Now();
    }
    const double delay = std::min(
        kBackoffMaxSeconds,
        kBackoffFirstSeconds * std::pow(2.0, static_cast<double>(consecutive - kBackoffAfter)));
    if (Now() >= last_failure + delay) return true;
    WakeAt(last_failure + delay);
    return false;
  }

  void StartFor(const Deployment& d, int64_t count) {
    if (count <= 0) return;
    const int64_t unhealthy = std::min(count, replacing_unhealthy_[d.id]);
    out_.starts.push_back({d.id, count, unhealthy});
  }

  void StoppedEvent(const std::string& task_set, const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    out_.events.push_back(Prefix(Name(), task_set) + " has stopped " + std::to_string(ids.size()) +
                          " running tasks: " + TaskList(ids) + ".");
  }

  Deployment* Primary() {
    for (auto& d : deployments_) {
      if (d.status == DeploymentStatus::kPrimary) return &d;
    }
    return nullptr;
  }

  // The circuit breaker fails the PRIMARY (and rolls back when configured);
  // StopServiceDeployment rolls back whether configured or not.
  void TripBreaker(Deployment& primary, bool requested) {
    primary.rollout = Rollout::kFailed;
    if (requested) {
      reasons_[primary.id] = "ECS deployment " + primary.id + " stopped: rollback requested.";
    } else {
      reasons_[primary.id] = "ECS deployment circuit breaker: tasks failed to start.";
      out_.events.push_back("(service " + Name() + ") (deployment " + primary.id +
                            ") deployment failed: tasks failed to start.");
    }
    out_.failure = Milestone::kFailed;
    out_.failed_deployment = primary.id;
    if (!requested && !in_.service.breaker_rollback) return;
    Deployment* target = nullptr;
    for (auto& d : deployments_) {
      if (d.id == primary.id || d.rollout != Rollout::kCompleted) continue;
      if (target == nullptr || d.created_at > target->created_at) target = &d;
    }
    if (target == nullptr) return;  // nothing ever completed: nothing to go back to
    primary.status = DeploymentStatus::kActive;
    target->status = DeploymentStatus::kPrimary;
    target->rollout = Rollout::kInProgress;
    reasons_[target->id] =
        "ECS deployment circuit breaker: rolling back to deploymentId " + target->id + ".";
    out_.events.push_back("(service " + Name() + ") rolling back to deployment " + target->id +
                          ".");
    out_.failure = Milestone::kRollingBack;
    out_.rollback_to = target->id;
  }

  void PlanRolling() {
    Deployment* primary = Primary();
    if (primary == nullptr) return;
    if (primary->rollback_requested) {
      TripBreaker(*primary, /*requested=*/true);
      primary = Primary();
    } else if (primary->rollout == Rollout::kInProgress && in_.service.breaker_enabled &&
               primary->failed_tasks >= BreakerThreshold(desired_)) {
      TripBreaker(*primary, /*requested=*/false);
      primary = Primary();
    }
    const Service& s = in_.service;
    const std::string& initiator = primary->id;

    // The PRIMARY toward the desired count, within maximumPercent.
    const int64_t max_live = desired_ * s.maximum_percent / 100;
    bool others_live = false;
    for (const auto& d : deployments_) {
      if (&d != primary && d.status != DeploymentStatus::kInactive && LiveCount(d.id) > 0) {
        others_live = true;
      }
    }
    // Tasks on DRAINING instances are replaced: they do not count toward the
    // desired count, but do toward maximumPercent.
    const int64_t need = desired_ - StayingCount(primary->id);
    std::vector<std::string> stopped_running;
    if (need > 0 && primary->rollout != Rollout::kFailed && BackoffAllows(*primary)) {
      int64_t room = std::max<int64_t>(0, max_live - LiveCount(""));
      if (!others_live && LeavingCount("") == 0) room = std::max(room, need);
      StartFor(*primary, std::min(need, room));
    } else if (need < 0) {
      ScaleIn(*primary, -need, initiator, stopped_running);
    }
    primary->desired = desired_;

    // Older deployments drain while minimumHealthyPercent holds (not behind
    // a PRIMARY that failed: they are what still serves).
    const bool drain = primary->rollout != Rollout::kFailed;
    const int64_t min_healthy =
        ScaledCount(desired_, static_cast<double>(s.minimum_healthy_percent));
    int64_t budget = HealthyCount("") - min_healthy;
    // Tasks on DRAINING instances go first, while minimumHealthyPercent holds.
    DrainLeaving("", budget, stopped_running);
    for (auto& d : deployments_) {
      if (&d == primary || d.status == DeploymentStatus::kInactive) continue;
      if (!drain) {
        d.desired = LiveCount(d.id);
        continue;
      }
      std::vector<const Task*> tasks;
      for (const auto& t : in_.tasks) {
        if (t.deployment_id == d.id && LiveNow(t)) tasks.push_back(&t);
      }
      // Tasks that are not healthy cost nothing to stop; healthy ones come out
      // of the budget, oldest first.
      std::stable_sort(tasks.begin(), tasks.end(), [](const Task* a, const Task* b) {
        if (Healthy(*a) != Healthy(*b)) return !Healthy(*a);
        return a->created_at < b->created_at;
      });
      for (const Task* t : tasks) {
        if (Protected(*t)) {
          WakeAt(t->protected_until);
          continue;
        }
        if (Healthy(*t)) {
          if (budget <= 0) break;
          --budget;
        }
        StopTask(*t, "Scaling activity initiated by (deployment " + initiator + ")",
                 StopKind::kScaleIn);
        if (t->state == TaskState::kRunning) stopped_running.push_back(t->id);
      }
      d.desired = LiveCount(d.id);
      if (d.desired == 0) d.status = DeploymentStatus::kInactive;
    }
    StoppedEvent("", stopped_running);

    // Completion and steady state.
    bool alone = true;
    for (const auto& d : deployments_) {
      if (&d != primary && d.status != DeploymentStatus::kInactive) alone = false;
    }
    const bool full = LiveCount(primary->id) == desired_ && HealthyCount(primary->id) == desired_;
    if (primary->rollout == Rollout::kInProgress && alone && full) {
      primary->rollout = Rollout::kCompleted;
      reasons_[primary->id] = "ECS deployment " + primary->id + " completed.";
      out_.events.push_back("(service " + Name() + ") (deployment " + primary->id +
                            ") deployment completed.");
      out_.completed_deployment = primary->id;
    }
    NoteSteadiness(alone && full && primary->rollout == Rollout::kCompleted && !s.draining);
  }

  void PlanTaskSets() {
    bool all_steady = true;
    for (auto& d : deployments_) {
      if (d.status == DeploymentStatus::kInactive) continue;
      const bool draining = d.status == DeploymentStatus::kDraining;
      const int64_t target = draining ? 0 : ScaledCount(desired_, d.scale_percent);
      // Tasks on DRAINING instances are replaced, then stop once the set has
      // its target healthy without them (the default 100%/200% of EXTERNAL
      // services).
      const int64_t live = StayingCount(d.id);
      std::vector<std::string> stopped_running;
      if (live < target && BackoffAllows(d)) {
        StartFor(d, target - live);
      } else if (live > target) {
        ScaleIn(d, live - target, d.id, stopped_running);
      }
      int64_t budget = HealthyCount(d.id) - target;
      DrainLeaving(d.id, budget, stopped_running);
      StoppedEvent(d.id, stopped_running);
      d.desired = target;
      if (draining && LiveCount(d.id) == 0) {
        d.status = DeploymentStatus::kInactive;
        continue;
      }
      const bool steady = LiveCount(d.id) == target && HealthyCount(d.id) == target;
      if (steady && !d.steady) {
        out_.events.push_back(Prefix(Name(), d.id) + " updated state to STEADY_STATE.");
      }
      d.steady = steady;
      all_steady = all_steady && steady;
    }
    NoteSteadiness(all_steady && !in_.service.draining);
  }

  void NoteSteadiness(bool steady) {
    if (steady &&
        (!out_.notes.steady || Now() - out_.notes.steady_event_at >= kSteadyRepeatSeconds)) {
      out_.events.push_back("(service " + Name() + ") has reached a steady state.");
      out_.notes.steady_event_at = Now();
    }
    if (steady) WakeAt(out_.notes.steady_event_at + kSteadyRepeatSeconds);
    out_.notes.steady = steady;
  }

  const Input& in_;
  std::vector<Deployment> deployments_;
  std::map<std::string, Deployment> original_;
  std::map<std::string, std::string> reasons_;
  std::map<std::string, int64_t> replacing_unhealthy_;
  std::set<std::string> stopping_;
  int64_t desired_ = 0;
  Output out_;
};

}  // namespace

Output PlanService(const Input& input) { return Planner(input).Run(); }

std::string StartedEvent(const std::string& service, const std::string& task_set,
                         const std::vector<std::string>& task_ids, int64_t replacing_unhealthy) {
  std::string text = Prefix(service, task_set) + " has started " + std::to_string(task_ids.size()) +
                     " tasks: " + TaskList(task_ids) + ".";
  if (replacing_unhealthy > 0) {
    text += " Amazon ECS replaced " + std::to_string(replacing_unhealthy) +
            " tasks due to an unhealthy status.";
  }
  return text;
}

int64_t ScaledCount(int64_t count, double percent) {
  return static_cast<int64_t>(std::ceil(static_cast<double>(count) * percent / 100.0 - 1e-9));
}

int64_t BreakerThreshold(int64_t desired) { return std::clamp<int64_t>((desired + 1) / 2, 3, 200); }

const char* DeploymentStatusName(DeploymentStatus status) {
  switch (status) {
    case DeploymentStatus::kPrimary:
      return "PRIMARY";
    case DeploymentStatus::kActive:
      return "ACTIVE";
    case DeploymentStatus::kDraining:
      return "DRAINING";
    case DeploymentStatus::kInactive:
      return "INACTIVE";
  }
  return "INACTIVE";
}

const char* RolloutName(Rollout rollout) {
  switch (rollout) {
    case Rollout::kInProgress:
      return "IN_PROGRESS";
    case Rollout::kCompleted:
      return "COMPLETED";
    case Rollout::kFailed:
      return "FAILED";
  }
  return "IN_PROGRESS";
}

DeploymentStatus ParseDeploymentStatus(const std::string& text) {
  if (text == "PRIMARY") return DeploymentStatus::kPrimary;
  if (text == "ACTIVE") return DeploymentStatus::kActive;
  if (text == "DRAINING") return DeploymentStatus::kDraining;
  return DeploymentStatus::kInactive;
}

Rollout ParseRollout(const std::string& text) {
  if (text == "COMPLETED") return Rollout::kCompleted;
  if (text == "FAILED") return Rollout::kFailed;
  return Rollout::kInProgress;
}

}  // namespace berth::ecs::plan
