#pragma once

// A DockerApi that forwards every call to one FakeDocker, so a reconciler's
// workers (which each want a client of their own) can share a fake daemon
// the way real clients share dockerd. FakeDocker serves every thread.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/fakes/fake_docker.h"

namespace berth::testing {

class SharedFake final : public docker::DockerApi {
 public:
  explicit SharedFake(FakeDocker& fake) : fake_(fake) {}

  bool Ping() override { return fake_.Ping(); }
  docker::EngineInfo Info() override { return fake_.Info(); }
  bool ImageExists(const std::string& image) override { return fake_.ImageExists(image); }
  void PullImage(const std::string& image, const std::string& auth) override {
    fake_.PullImage(image, auth);
  }
  void LoadImage(const std::string& tar) override { fake_.LoadImage(tar); }
  std::string CreateContainer(const docker::ContainerSpec& spec) override {
    return fake_.CreateContainer(spec);
  }
  void StartContainer(const std::string& id) override { fake_.StartContainer(id); }
  void StopContainer(const std::string& id, int timeout) override {
    fake_.StopContainer(id, timeout);
  }
  void KillContainer(const std::string& id, const std::string& signal) override {
    fake_.KillContainer(id, signal);
  }
  void RemoveContainer(const std::string& id) override { fake_.RemoveContainer(id); }
  docker::ContainerState InspectContainer(const std::string& id) override {
    return fake_.InspectContainer(id);
  }
  std::string ContainerOutput(const std::string& id) override { return fake_.ContainerOutput(id); }
  std::string ContainerStats(const std::string& id) override { return fake_.ContainerStats(id); }
  std::vector<docker::ContainerSummary> ListContainers(
      const std::vector<std::string>& labels) override {
    return fake_.ListContainers(labels);
  }
  std::vector<docker::VolumeSummary> ListVolumes(const std::vector<std::string>& labels) override {
    return fake_.ListVolumes(labels);
  }
  void RemoveVolume(const std::string& name) override { fake_.RemoveVolume(name); }
  std::string CreateNetwork(const std::string& name, const std::string& subnet,
                            const std::string& gateway,
                            const std::map<std::string, std::string>& labels) override {
    return fake_.CreateNetwork(name, subnet, gateway, labels);
  }
  void RemoveNetwork(const std::string& id) override { fake_.RemoveNetwork(id); }
  std::vector<docker::NetworkSummary> ListNetworks(
      const std::vector<std::string>& labels) override {
    return fake_.ListNetworks(labels);
  }
  void WatchContainerEvents(const std::vector<std::string>& labels,
                            const std::function<void(const docker::ContainerEvent&)>& on_event,
                            const std::function<bool()>& keep_going) override {
    fake_.WatchContainerEvents(labels, on_event, keep_going);
  }
  bool StreamLogs(const std::string& id, int64_t since_unix_nanos, bool follow,
                  const std::function<void(const docker::LogLine&)>& on_line,
                  const std::function<bool()>& keep_going) override {
    return fake_.StreamLogs(id, since_unix_nanos, follow, on_line, keep_going);
  }

 private:
  FakeDocker& fake_;
};

}  // namespace berth::testing
