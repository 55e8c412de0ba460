// FakeDocker's test controls: the calls it recorded, errors injected into
// its next calls, scripted containers and images, and queries of its state.

#include <set>

#include "tests/fakes/fake_docker.h"
#include "tests/fakes/fake_docker_internals.h"
#include "tests/fakes/fake_docker_references.h"

namespace berth::testing {

using docker::ContainerSpec;
using docker::DockerError;
using fake_docker::HasHealthCheck;
using fake_docker::NormalizeReference;

// --- Recorded calls -------------------------------------------------------------

std::vector<DockerCall> FakeDocker::Calls() const {
  const std::lock_guard lock(mutex_);
  return calls_;
}

std::vector<std::string> FakeDocker::CallStrings() const {
  std::vector<std::string> out;
  for (const DockerCall& call : Calls()) out.push_back(call.ToString());
  return out;
}

std::vector<DockerCall> FakeDocker::MutatingCalls() const {
  static const std::set<std::string> kReadOnly = {
      "Ping",        "Info",         "ImageExists",          "InspectContainer", "ListContainers",
      "ListVolumes", "ListNetworks", "WatchContainerEvents", "StreamLogs"};
  std::vector<DockerCall> out;
  for (const DockerCall& call : Calls()) {
    if (!kReadOnly.contains(call.method)) out.push_back(call);
  }
  return out;
}

std::vector<DockerCall> FakeDocker::CallsTo(const std::string& method) const {
  std::vector<DockerCall> out;
  for (const DockerCall& call : Calls()) {
    if (call.method == method) out.push_back(call);
  }
  return out;
}

void FakeDocker::ClearCalls() {
  const std::lock_guard lock(mutex_);
  calls_.clear();
}

// --- Injected errors ------------------------------------------------------------

void FakeDocker::FailNext(const std::string& method, const DockerError& error, int times) {
  const std::lock_guard lock(mutex_);
  if (times > 0) failures_.insert({method, {error, times}});
}

void FakeDocker::FailAlways(const std::string& method, const DockerError& error) {
  const std::lock_guard lock(mutex_);
  failures_.insert({method, {error, -1}});
}

void FakeDocker::ClearFailures() {
  const std::lock_guard lock(mutex_);
  failures_.clear();
}

void FakeDocker::SetUnreachable(bool unreachable) {
  const std::lock_guard lock(mutex_);
  unreachable_ = unreachable;
}

void FakeDocker::SetInfo(docker::EngineInfo info) {
  const std::lock_guard lock(mutex_);
  info_ = std::move(info);
}

DockerError FakeDocker::Unreachable() {
  return DockerError(0, "Cannot connect to the Docker daemon: Couldn't connect to server");
}

// --- Containers -------------------------------------------------------------------

void FakeDocker::ScriptContainer(const std::string& name, ContainerScript script) {
  const std::lock_guard lock(mutex_);
  scripts_[name] = std::move(script);
}

void FakeDocker::ScriptImage(const std::string& reference, ContainerScript script) {
  const std::lock_guard lock(mutex_);
  image_scripts_[NormalizeReference(reference)] = std::move(script);
}

void FakeDocker::ExitContainer(const std::string& id_or_name, int exit_code,
                               const std::string& last_words) {
  const std::lock_guard lock(mutex_);
  Container& c = MustFindContainer(id_or_name);
  if (!c.running) return;
  if (!last_words.empty()) AppendOutput(c, docker::LogSource::kStdout, last_words, std::nullopt);
  Exit(c, exit_code, /*oom=*/false);
}

void FakeDocker::OomKill(const std::string& id_or_name) {
  const std::lock_guard lock(mutex_);
  Container& c = MustFindContainer(id_or_name);
  if (c.running) Exit(c, 137, /*oom=*/true);
}

void FakeDocker::SetHealth(const std::string& id_or_name, const std::string& health) {
  const std::lock_guard lock(mutex_);
  Container& c = MustFindContainer(id_or_name);
  if (c.running && HasHealthCheck(c.spec) && c.health != health) {
    c.health = health;
    Emit(c, "health_status: " + health);
  }
}

std::optional<ContainerSpec> FakeDocker::SpecOf(const std::string& id_or_name) const {
  const std::lock_guard lock(mutex_);
  const Container* c = FindContainer(id_or_name);
  if (c == nullptr) return std::nullopt;
  return c->spec;
}

std::optional<std::string> FakeDocker::IdOf(const std::string& id_or_name) const {
  const std::lock_guard lock(mutex_);
  const Container* c = FindContainer(id_or_name);
  if (c == nullptr) return std::nullopt;
  return c->id;
}

std::vector<std::string> FakeDocker::ContainerIds() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& c : containers_) out.push_back(c->id);
  return out;
}

std::vector<std::string> FakeDocker::VolumeNames() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, labels] : volumes_) out.push_back(name);
  return out;
}

std::vector<std::string> FakeDocker::NetworkIds() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& n : networks_) {
    if (!n->predefined) out.push_back(n->id);
  }
  return out;
}

}  // namespace berth::testing
