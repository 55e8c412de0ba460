#pragma once

// An extra Docker engine for an integration test, beside the machine's own: a second dockerd in a
// network namespace the test creates, reached from the host only over a veth pair. Needs root.

#include <memory>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace berth::testing {

// One extra Docker engine for a test: dockerd in a network namespace of its own, reached from the
// host over a veth pair (a /30 in 10.231.2.0-10.231.5.255: the host's end is <base>+1, the
// engine's <base>+2), with its own data root, exec root, pid file and unix socket under a
// temporary directory, listening on its unix socket and on tcp://<engine address>:2375 (no TLS),
// or with `tls` on tcp://<engine address>:2376 with Docker's --tlsverify: a CA, the engine's
// certificate (for its address) and a client's, all made for it with the openssl CLI.
//
// The engine reaches the host's end of the veth and nothing else: its namespace has no default
// route, and the host's routes and iptables are left alone. Its containers are NATed to the
// engine's address by the engine's own iptables, inside its namespace. Its bridge (10.232.<s>.1/24)
// and the pool its networks come from (a /20 in 10.240.0.0/12) are its own, distinct from the
// host engine's (172.17-31.x, 192.168.x) and from every other NetnsEngine's.
//
// Everything is named after the test process and a counter, "berth-eng-<pid>-<n>": the netns,
// the cgroup parent of its containers, its containerd namespace and its directory
// (/tmp/berth-eng-<pid>-<n>-XXXXXX); the host's end of the veth is "beng<s>h" (s: the slot of
// the /30) with that name as its alias. Safe with tests running in parallel processes.
//
// Construction never throws and never hangs: when something fails, ready() is false and
// failure() says why. Destruction removes everything, even after KillDaemon() left containers
// running.
class NetnsEngine {
 public:
  // `insecure_registries`: what the engine may pull from over plain HTTP (e.g. "10.231.0.0/16"
  // or host_address() + ":4566"; the address is not known before construction, but a /16 is).
  explicit NetnsEngine(std::vector<std::string> insecure_registries = {}, bool tls = false);
  NetnsEngine(const NetnsEngine&) = delete;
  NetnsEngine& operator=(const NetnsEngine&) = delete;
  // Removes every container, stops dockerd (SIGTERM, then SIGKILL after 15 s), kills whatever
  // of the engine still runs (containerd, shims, container processes), unmounts everything under
  // its directory, removes its cgroups, the veth, the netns and the directory. Says on stderr
  // what it could not remove.
  ~NetnsEngine();

  // dockerd answered /_ping on both endpoints within the start deadline (60 s).
  bool ready() const { return ready_; }
  // Why it is not ready, with the end of dockerd's log.
  std::string failure() const;

  // "berth-eng-<pid>-<n>": the netns, cgroup parent and containerd namespace.
  const std::string& name() const { return name_; }
  // The temporary directory holding the roots, socket, pid file and dockerd.log.
  const std::string& directory() const { return directory_; }
  // The host's end of the veth, e.g. "beng17h" (the engine's end is "eth0" in the netns).
  const std::string& host_veth() const { return host_veth_; }
  const std::string& host_address() const { return host_address_; }      // e.g. "10.231.2.65"
  const std::string& engine_address() const { return engine_address_; }  // e.g. "10.231.2.66"
  std::string unix_endpoint() const;  // "unix:///tmp/berth-eng-.../docker.sock"
  std::string tcp_endpoint() const;   // "tcp://10.231.2.66:2375" (2376 with TLS)
  // With TLS: the client's directory as DOCKER_CERT_PATH takes it (ca.pem, cert.pem, key.pem).
  std::string client_cert_path() const { return directory_ + "/tls/client"; }
  // The path of dockerd's log (all starts, appended).
  std::string log_path() const { return directory_ + "/dockerd.log"; }

  // Runs the docker CLI against this engine (DOCKER_HOST set).
  CommandResult Docker(const std::vector<std::string>& args, int timeout_seconds = 120) const;
  // Copies an image from the host's engine into this one (docker save, then docker load).
  // exit_code 0 on success; otherwise `err` says which step failed and why.
  CommandResult LoadFromHost(const std::string& image) const;

  // SIGKILL to dockerd only, as a crashed engine: its containerd and docker-proxy end with it
  // (this waits for containerd), its containers live on in their shims. ready() is false until
  // Restart().
  void KillDaemon();
  // Stops dockerd if it runs (SIGTERM; SIGKILL after 15 s) and starts it again on the same roots
  // and addresses; returns ready().
  bool Restart();

  // Best effort: removes what engines of dead processes left behind (netns, veth, processes,
  // mounts, cgroups, directory), found by the "berth-eng-" prefix. The constructor calls it.
  static void RemoveLeftovers();

 private:
  bool Create();
  bool ClaimSlot();
  bool ConfigureAddresses();
  bool StartDaemon();
  // With TLS: the CA and the engine's and client's certificates, once.
  bool MakeCertificates();
  bool WaitUntilAnswering();
  void StopDaemon();
  void RemoveContainers() const;
  void RemoveStalePidFiles() const;
  std::string ContainerdPidFile() const;
  // Runs `argv`; on failure sets failure_ and returns false.
  bool Step(const std::vector<std::string>& argv);

  std::vector<std::string> insecure_registries_;
  bool tls_ = false;
  int number_ = 0;  // the n of the name
  std::string name_;
  std::string directory_;
  std::string host_veth_;
  std::string host_address_;
  std::string engine_address_;
  std::string bridge_ip_;     // --bip
  std::string address_pool_;  // --default-address-pool base
  std::unique_ptr<ChildProcess> daemon_;
  bool ready_ = false;
  std::string failure_;
};

}  // namespace berth::testing
