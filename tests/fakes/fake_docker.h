#pragma once

// FakeDocker: an in-memory DockerApi, for tests of everything above the
// Docker seam (the reconciler above all). It is a real implementation on
// in-memory state, the way leveldb's memenv is an Env, not a mock: containers,
// networks and images live in maps and follow the daemon's rules as
// reference/docker-engine-api.md records them and as the DockerApi
// conformance suite (tests/conformance/docker_api_conformance.h) checks
// against a real dockerd:
//   - the idempotent meanings of docker_api.h: create with a taken name
//     returns the existing id, start of a running container, stop of a
//     stopped or missing one and remove of a missing one succeed, inspect of
//     a missing one is DockerError 404 "No such container: <id>"; kill of a
//     stopped or missing one succeeds, SIGKILL exits 137, and an unknown
//     signal is 400 "Invalid signal: <signal>";
//   - containers are found by id, unique id prefix or name; create never
//     pulls ("No such image: <ref>", 404); "container:<id>" network mode
//     refuses published ports, hostname, dns and extra hosts (400) and needs
//     a running target at start (404 / 409);
//   - published ports and the IP address exist only while a container runs;
//     `host_port: 0` gets a new ephemeral port (from 32768) on every start,
//     and a fixed host port another running container holds fails the start
//     (500, "port is already allocated");
//   - named volumes (ContainerSpec::volumes) are made on first use with
//     their labels; removing one any container still uses is 409;
//   - networks: a taken name returns the existing id, an overlapping subnet
//     is 403, removing one with running containers is 403, addresses come
//     from the subnet after the gateway;
//   - LoadImage reads the docker-archive (manifest.json, the config, and
//     each new layer's sha256 against rootfs.diff_ids) like the daemon does;
//     like the daemon it does not read a layer chain it already has;
//   - errors carry the daemon's exact messages.
//
// What a real daemon does on its own, tests script:
//   - per container name or per image, before or after create
//     (ContainerScript): exit
//     with a code right after start, be OOM-killed, fail to start with a
//     status and message (StartFailure::ExecNotFound gives runc's text), the
//     health a container with a health check reports after start, the exit
//     code the stop signal produces, or that the process ignores it;
//   - at any time: ExitContainer, OomKill, SetHealth;
//   - output: what a process writes (ContainerScript::output at start, or
//     WriteOutput at any time), stored as Docker stores it (a stamp per
//     line, 16 KiB pieces) and read back with StreamLogs;
//   - images: pulls succeed for any reference unless FailPull scripted a
//     failure (UnreachableRegistry / ManifestUnknown give the daemon's
//     texts); AddImage makes one present without a call.
//
// Every DockerApi call is recorded, in order, with its arguments (see
// DockerCall for what each records), so tests can list the calls they
// expect, as kubernetes' sample-controller tests do:
//   EXPECT_THAT(fake.CallStrings(), ElementsAre("ImageExists(berth/pause:1.2)",
//                                               "LoadImage(berth/pause:1.2)"));
//   EXPECT_THAT(fake.MutatingCalls(), IsEmpty());  // a converged pass does nothing
// Any call can be made to fail (after it is recorded) with FailNext /
// FailAlways, including as if the daemon were unreachable (Unreachable():
// status 0); Ping then answers false instead of throwing, like
// CurlDockerClient.
//
// Time is a counter, not the clock: each state change advances a fake
// second from kEpoch, so StartedAt/FinishedAt are deterministic.
//
// Thread-safety: every method may be called from any thread (one mutex), so
// a test can script a container while a reconciler thread uses the fake.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "docker_backend/docker_api.h"
#include "docker_backend/types.h"

namespace berth::testing {

// One recorded DockerApi call. `args`, per method:
//   Ping()                    {}
//   Info()                    {}
//   ImageExists(image)        {image}
//   PullImage(image, auth)    {image, auth}
//   LoadImage(tar)            {the archive's RepoTags, comma-separated}, or {"<invalid>"}
//   CreateContainer(spec)     {spec.name}            (the spec: FakeDocker::SpecOf)
//   StartContainer(id)        {id}                   (as passed: id or name)
//   StopContainer(id, t)      {id, t}
//   KillContainer(id, signal) {id, signal}
//   RemoveContainer(id)       {id}
//   InspectContainer(id)      {id}
//   ContainerOutput(id)       {id}
//   ContainerStats(id)        {id}
//   ListContainers(labels)    labels
//   ListVolumes(labels)       labels
//   RemoveVolume(name)        {name}
//   CreateNetwork(name, subnet, gateway, labels)     {name, subnet, gateway}
//   RemoveNetwork(id)         {id}
//   ListNetworks(labels)      labels
//   WatchContainerEvents(labels) labels (recorded when the watch begins)
//   StreamLogs(id, since, follow) {id, since_unix_nanos, "follow" or "once"}
struct DockerCall {
  std::string method;
  std::vector<std::string> args;

  // "StopContainer(c1, 10)".
  std::string ToString() const;
  friend bool operator==(const DockerCall&, const DockerCall&) = default;
};
std::ostream& operator<<(std::ostream& out, const DockerCall& call);

// How StartContainer fails: the HTTP status, the daemon's message (also
// left in the container's State.Error) and the ExitCode it records.
struct StartFailure {
  int http_status = 400;
  std::string message;
  int exit_code = 127;

  // runc's error for an entrypoint that is not in the image (400, 127).
  static StartFailure ExecNotFound(const std::string& path);
};

// What a container's process does, scripted by container name.
struct ContainerScript {
  // Exits with this code right after every start.
  std::optional<int> exit_on_start = std::nullopt;
  // Is OOM-killed (exit code 137, oom_killed) right after every start.
  bool oom_on_start = false;
  // Every start fails this way.
  std::optional<StartFailure> start_failure = std::nullopt;
  // The health reported after start when the spec has a health check
  // (otherwise health stays ""). Docker's own is "starting".
  std::string health_on_start = "starting";
  // The exit code the stop signal (SIGTERM) produces, through StopContainer
  // or KillContainer: 0 for a process that handles it (the pause program),
  // 143 for one it kills (through docker-init).
  int stop_exit_code = 0;
  // The process ignores the stop signal (a PID 1 without a handler):
  // KillContainer(SIGTERM) does nothing, and StopContainer ends it with
  // SIGKILL (137) after the timeout (at once: the fake does not wait).
  bool ignores_stop_signal = false;
  // What the process writes right after every start (before it exits, if
  // it is scripted to), as WriteOutput would.
  std::vector<std::pair<docker::LogSource, std::string>> output = {};
};

// An image's config as far as containers see it. The defaults are those of
// a typical pulled image: a PATH and a command, so a spec without one
// creates fine.
struct FakeImageConfig {
  std::map<std::string, std::string> labels;
  std::vector<std::string> env = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd = {"/bin/sh"};
};

class FakeDocker final : public docker::DockerApi {
 public:
  // The fake time of the first event ("2026-01-01T00:00:00Z" + n seconds).
  static constexpr const char* kEpoch = "2026-01-01T00:00:00Z";
  // What a timestamp reads before it is set.
  static constexpr const char* kNever = "0001-01-01T00:00:00Z";

  FakeDocker();
  FakeDocker(const FakeDocker&) = delete;
  FakeDocker& operator=(const FakeDocker&) = delete;
  ~FakeDocker() override;

  // --- DockerApi ----------------------------------------------------------
  bool Ping() override;
  docker::EngineInfo Info() override;
  bool ImageExists(const std::string& image) override;
  void PullImage(const std::string& image, const std::string& registry_auth) override;
  void LoadImage(const std::string& tar) override;
  std::string CreateContainer(const docker::ContainerSpec& spec) override;
  void StartContainer(const std::string& id) override;
  void StopContainer(const std::string& id, int timeout_seconds) override;
  void KillContainer(const std::string& id, const std::string& signal) override;
  void RemoveContainer(const std::string& id) override;
  docker::ContainerState InspectContainer(const std::string& id) override;
  std::string ContainerOutput(const std::string& id) override;
  std::string ContainerStats(const std::string& id) override;
  // Delivers the container's output as WriteOutput stored it (see there);
  // a follow ends once the container has stopped. Waits on a condition, so
  // tests may run it on a thread of their own.
  bool StreamLogs(const std::string& id, int64_t since_unix_nanos, bool follow,
                  const std::function<void(const docker::LogLine&)>& on_line,
                  const std::function<bool()>& keep_going) override;
  std::vector<docker::ContainerSummary> ListContainers(
      const std::vector<std::string>& labels) override;
  std::string CreateNetwork(const std::string& name, const std::string& subnet,
                            const std::string& gateway,
                            const std::map<std::string, std::string>& labels) override;
  void RemoveNetwork(const std::string& id) override;
  std::vector<docker::NetworkSummary> ListNetworks(const std::vector<std::string>& labels) override;
  // Delivers the events of containers (start, die, oom, kill,
  // health_status: <status>, destroy) as the fake's state changes, from
  // whichever thread changed it; waits on a condition, so tests may run it
  // on a thread of their own.
  void WatchContainerEvents(const std::vector<std::string>& labels,
                            const std::function<void(const docker::ContainerEvent&)>& on_event,
                            const std::function<bool()>& keep_going) override;
  std::vector<docker::VolumeSummary> ListVolumes(const std::vector<std::string>& labels) override;
  void RemoveVolume(const std::string& name) override;

  // --- Recorded calls -----------------------------------------------------
  std::vector<DockerCall> Calls() const;
  // Calls() as ToString() lines, for ElementsAre(...).
  std::vector<std::string> CallStrings() const;
  // The calls that change something (all but Ping, ImageExists,
  // InspectContainer and ListContainers).
  std::vector<DockerCall> MutatingCalls() const;
  // The calls of one method.
  std::vector<DockerCall> CallsTo(const std::string& method) const;
  void ClearCalls();

  // --- Injected errors ----------------------------------------------------
  // The next `times` calls of `method` ("StartContainer", ...) throw `error`
  // after being recorded, without touching state.
  void FailNext(const std::string& method, const docker::DockerError& error, int times = 1);
  // Every call of `method` throws `error` until ClearFailures.
  void FailAlways(const std::string& method, const docker::DockerError& error);
  void ClearFailures();
  // Every call behaves as with a stopped daemon (status 0) until cleared.
  void SetUnreachable(bool unreachable);
  // What Info() answers (a 2-CPU, 4 GiB linux x86_64 host unless set).
  void SetInfo(docker::EngineInfo info);
  // The error CurlDockerClient throws when the socket does not answer.
  static docker::DockerError Unreachable();

  // --- Images ---------------------------------------------------------------
  // Makes `reference` present locally; returns its image id.
  std::string AddImage(const std::string& reference, FakeImageConfig config = {});
  // Runs `hook(image)` inside every PullImage, before the pull is recorded
  // and without the fake's lock (a test may look at the world mid-pull, or
  // hold the pull up). Empty: none.
  void DuringPull(std::function<void(const std::string&)> hook);
  // PullImage(reference) fails with this status and message.
  void FailPull(const std::string& reference, int http_status, const std::string& message);
  // The daemon's message for a registry that does not listen (500), e.g.
  // Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused
  static std::string UnreachableRegistry(const std::string& registry_host);
  // The daemon's message for a missing repository or tag (404).
  static std::string ManifestUnknown(const std::string& reference);

  // --- Containers -----------------------------------------------------------
  // Applies to the container named `name`, whether it exists yet or not.
  void ScriptContainer(const std::string& name, ContainerScript script);
  // Applies to every container of the image `reference` that has no script
  // of its own by name (what an image's process does, wherever it runs).
  void ScriptImage(const std::string& reference, ContainerScript script);
  // The process of a running container exits now with `exit_code`; with
  // `last_words`, it writes them to stdout just before (no reader sees the
  // one without the other).
  void ExitContainer(const std::string& id_or_name, int exit_code,
                     const std::string& last_words = "");
  // As Docker 20.10's json-file follower does: a followed log stream that
  // has caught up and is waiting ends as soon as the container stops,
  // without what was written meanwhile (a reading without follow has all).
  void SetFollowEndsAtStop(bool ends) {
    const std::lock_guard lock(mutex_);
    follow_ends_at_stop_ = ends;
  }
  // The kernel OOM-kills a running container now (137).
  void OomKill(const std::string& id_or_name);
  // A running container's health check now reports `health`
  // ("starting", "healthy", "unhealthy").
  void SetHealth(const std::string& id_or_name, const std::string& health);
  // The process of a running container writes `text` to stdout or stderr.
  // Stored as Docker's log copier stores it (daemon/logger/copier.go): one
  // message per line, stamped when written (`timestamp_ns`, or the fake's
  // log clock: a microsecond after the last stamp), the newline removed; a
  // line reaching 16 KiB without one is cut into partial messages that all
  // carry its first stamp; text after the last newline waits for the rest of
  // its line, or is stored (as partial) when the container stops. With a TTY
  // every line goes to stdout and ends in "\r" (the terminal's "\r\n").
  // Also appended to what ContainerOutput returns.
  void WriteOutput(const std::string& id_or_name, docker::LogSource source, const std::string& text,
                   std::optional<int64_t> timestamp_ns = std::nullopt);
  // The spec a container was created with, and its id; nullopt when missing.
  // Neither is recorded as a call.
  std::optional<docker::ContainerSpec> SpecOf(const std::string& id_or_name) const;
  std::optional<std::string> IdOf(const std::string& id_or_name) const;
  // Names of all volumes (sorted), unrecorded.
  std::vector<std::string> VolumeNames() const;
  // Ids of all containers and networks (oldest first), unrecorded.
  std::vector<std::string> ContainerIds() const;
  std::vector<std::string> NetworkIds() const;

 private:
  struct Image {
    std::string id;
    FakeImageConfig config;
  };
  struct Container;
  struct Network;

  void Record(const std::string& method, std::vector<std::string> args);  // may throw
  std::string Tick();
  std::string NewId(const std::string& kind);
  const Image* FindImage(const std::string& reference) const;
  Container* FindContainer(const std::string& id_or_name);
  const Container* FindContainer(const std::string& id_or_name) const;
  Container& MustFindContainer(const std::string& id_or_name);
  Network* FindNetwork(const std::string& id_or_name);
  ContainerScript ScriptFor(const Container& container) const;
  void Exit(Container& container, int exit_code, bool oom);
  // Stores what the container wrote (see WriteOutput); CloseOutput stores
  // the unfinished lines when it stops.
  void AppendOutput(Container& container, docker::LogSource source, std::string_view text,
                    std::optional<int64_t> timestamp_ns);
  void CloseOutput(Container& container);
  // Appends an event of `container` for the watchers.
  void Emit(const Container& container, const std::string& action,
            std::map<std::string, std::string> extra = {});
  void Release(Container& container);
  void Validate(const docker::ContainerSpec& spec) const;
  std::string AllocateAddress(Network& network, const std::string& fixed,
                              const std::string& container_id);

  mutable std::mutex mutex_;
  std::vector<DockerCall> calls_;
  struct Failure {
    docker::DockerError error;
    int remaining;  // < 0: forever
  };
  std::multimap<std::string, Failure> failures_;
  bool unreachable_ = false;
  bool follow_ends_at_stop_ = false;
  docker::EngineInfo info_{"fake-host", "20.10.24", "linux", "x86_64", 2, int64_t{4} << 30};
  std::map<std::string, Image> images_;  // normalized reference -> image
  std::set<std::string> layer_chains_;   // "diff_id1 diff_id2 ... " of every loaded prefix
  std::map<std::string, std::pair<int, std::string>> pull_failures_;
  std::vector<std::unique_ptr<Container>> containers_;  // oldest first
  std::vector<std::unique_ptr<Network>> networks_;
  std::map<std::string, std::map<std::string, std::string>> volumes_;  // name -> labels
  std::map<std::string, ContainerScript> scripts_;                     // by container name
  std::map<std::string, ContainerScript> image_scripts_;  // by normalized image reference
  std::set<std::string> bound_host_ports_;  // "127.0.0.1:8080/tcp" held by running containers
  int next_host_port_ = 32768;
  std::uint64_t ids_ = 0;
  std::int64_t now_ = 0;
  std::int64_t log_clock_ns_ = 0;  // the last stamp WriteOutput gave
  std::function<void(const std::string&)> during_pull_;
  std::vector<docker::ContainerEvent> events_;  // every event so far, oldest first
  std::condition_variable events_changed_;
};

}  // namespace berth::testing
