#!/usr/bin/env python3
"""The Docker daemon restarts under Berth: tasks end honestly, services heal.

Berth runs against a private dockerd started for the run, in a network
namespace of its own (its own data and exec roots, socket, pidfile and cgroup
parent), so the machine's shared daemon and its docker0 are never touched: the
private daemon's bridge, containers and networks live in that namespace, and
Berth drives it over its unix socket. Its image is loaded into it from the
shared daemon (docker save | docker load), as nothing in the namespace can
reach Berth's registry on the host's loopback.
Each round runs standalone tasks and a service of desiredCount 2, stops the
private daemon (SIGTERM in even rounds, SIGKILL in odd ones), waits, starts
it again on the same directories, and checks:

  - every standalone task is STOPPED with a stoppedReason (and a stopCode);
  - the service is back to 2 RUNNING tasks, each with a running container;
  - no container of a STOPPED task still runs, and no container of Berth's
    is left without a task;
  - every acknowledged task still exists.

The last line sums up what was tried and what was lost (goal: nothing).
Exit status 1 on any loss. Runs as root (it starts a dockerd).

  docker_restart_harness.py --berth build/server/berth [--rounds 2 --tasks 2]
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness_lib as h  # noqa: E402

CLUSTER = "restart"
SERVICE = "restart-svc"
REPOSITORY = "restart/app"
SETTLE_SECONDS = 120


class PrivateDockerd:
    """A dockerd of the harness's own, beside the machine's: nothing of it is
    shared with the main daemon (roots, socket, containerd, cgroups)."""

    def __init__(self):
        # Short: a unix socket path must fit in 108 bytes.
        self.root = tempfile.mkdtemp(prefix="berth-dockerd-", dir="/tmp")
        self.socket = os.path.join(self.root, "d.sock")
        self.log_path = os.path.join(self.root, "dockerd.log")
        self.process = None
        self.cgroup_parent = "/berth-harness-" + os.path.basename(self.root)
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.socket}")
        with open(os.path.join(self.root, "daemon.json"), "w") as f:
            f.write("{}\n")  # never the machine's /etc/docker/daemon.json
        # The daemon's network namespace: only its loopback, and the bridge
        # the daemon makes there.
        self.netns = "berth-" + os.path.basename(self.root)[-8:].replace("_", "x")
        h.run(["ip", "netns", "add", self.netns])
        h.run(["ip", "netns", "exec", self.netns, "ip", "link", "set", "lo", "up"])

    def start(self, timeout=120):
        log_file = open(self.log_path, "a")
        # nsenter --net, not `ip netns exec`: that would also give the daemon a
        # mount namespace of its own per start, and containers that outlive a
        # SIGKILLed daemon would keep their mounts where the next one cannot
        # see them.
        self.process = subprocess.Popen(
            ["nsenter", f"--net=/var/run/netns/{self.netns}",
             "dockerd", "--config-file", os.path.join(self.root, "daemon.json"),
             "--data-root", os.path.join(self.root, "data"),
             "--exec-root", os.path.join(self.root, "exec"),
             "--pidfile", os.path.join(self.root, "dockerd.pid"),
             "-H", f"unix://{self.socket}",
             "--iptables=false", "--ip-forward=false", "--ip-masq=false",
             "--cgroup-parent", self.cgroup_parent,
             "--log-level", "warn"],
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        log_file.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"private dockerd exited:\n{self.tail()}")
            try:
                if self.docker(["info", "--format", "{{.ServerVersion}}"],
                               timeout=20).returncode == 0:
                    return
            except subprocess.TimeoutExpired:
                pass  # a busy machine: ask again
            time.sleep(0.3)
        raise RuntimeError("private dockerd did not answer:\n" + self.tail())

    def stop(self, sig):
        """Stops the daemon with `sig` (SIGTERM: containers stop with it;
        SIGKILL: they outlive it in their shims until the restart)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def docker(self, args, timeout=120, check=False):
        return h.run(["docker", *args], timeout=timeout, check=check, env=self.env)

    def tail(self, lines=30):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def destroy(self):
        """Removes every container, the daemon, its bridge and directories."""
        if self.process and self.process.poll() is None:
            ids = self.docker(["ps", "-aq"]).stdout.split()
            if ids:
                self.docker(["rm", "-f", "-v", *ids])
        self.stop(signal.SIGTERM)
        # A shim whose container's daemon was killed can outlive it, its
        # containerd and the container itself: end this daemon's.
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv[0].endswith(b"containerd-shim-runc-v2") and \
                    any(self.root.encode() in arg for arg in argv):
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        # The managed containerd ends with dockerd, the shims with their
        # containers; unmount whatever layer mounts they leave behind.
        for _ in range(10):
            with open("/proc/mounts") as f:
                mounts = [line.split()[1] for line in f if self.root in line.split()[1]]
            if not mounts:
                break
            for mount in sorted(mounts, key=len, reverse=True):
                h.run(["umount", "-l", mount], check=False)
            time.sleep(0.5)
        for controller in os.listdir("/sys/fs/cgroup"):
            path = os.path.join("/sys/fs/cgroup", controller, self.cgroup_parent.lstrip("/"))
            if os.path.isdir(path):
                for sub in os.listdir(path):
                    if os.path.isdir(os.path.join(path, sub)):
                        try:
                            os.rmdir(os.path.join(path, sub))
                        except OSError:
                            pass
                try:
                    os.rmdir(path)
                except OSError:
                    pass
        h.run(["ip", "netns", "delete", self.netns], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


class Harness:
    def __init__(self, args):
        self.args = args
        self.run_id = "dockerd-" + uuid.uuid4().hex[:10]
        self.workdir = h.temp_workdir("berth-dockerd-harness-")
        self.data_dir = os.path.join(self.workdir, "data")
        os.makedirs(self.data_dir)
        self.docker_config = os.path.join(self.workdir, "docker-config")
        os.makedirs(self.docker_config)
        self.dockerd = PrivateDockerd()
        self.berth = h.Berth(args.berth, self.data_dir, env=self.dockerd.env)
        self.images = h.Images(self.workdir, self.run_id)
        self.instance = ""
        self.tried = {"restarts": 0, "tasks": 0, "service_tasks_replaced": 0}
        self.reasons = set()
        self.lost = []

    def setup(self):
        self.dockerd.start()
        self.berth.start()
        self.berth.stop()
        self.instance = self.berth.instance_id()
        self.berth.start()
        ecr, ecs = self.berth.client("ecr"), self.berth.client("ecs")
        ecr.create_repository(repositoryName=REPOSITORY)
        image = f"{self.berth.registry}/{REPOSITORY}:v1"
        self.images.build(image, 4096)
        if not h.push(image, self.docker_config):
            raise RuntimeError("the push failed:\n" + self.berth.tail())
        self.load_into_private_daemon(image)
        h.run(["docker", "rmi", image], check=False)
        ecs.create_cluster(clusterName=CLUSTER)
        self.task_def = ecs.register_task_definition(
            family="restart-app", containerDefinitions=[{
                "name": "app", "image": image, "essential": True,
                "command": ["sleep", "3600"], "stopTimeout": 2}],
            cpu="256", memory="512")["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=self.task_def,
                           desiredCount=2)

    def load_into_private_daemon(self, image):
        """The image, from the shared daemon into the private one."""
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        load = subprocess.run(["docker", "load"], stdin=save.stdout, env=self.dockerd.env,
                              capture_output=True, text=True, timeout=300)
        save.stdout.close()
        if save.wait(timeout=300) != 0 or load.returncode != 0:
            raise RuntimeError(f"could not load {image} into the private dockerd: "
                               f"{load.stderr}")

    # ----- observing

    def tasks(self):
        ecs = self.berth.client("ecs")
        arns = []
        for status in ("RUNNING", "STOPPED"):
            for page in ecs.get_paginator("list_tasks").paginate(cluster=CLUSTER,
                                                                 desiredStatus=status):
                arns += page["taskArns"]
        tasks = []
        for i in range(0, len(arns), 100):
            tasks += ecs.describe_tasks(cluster=CLUSTER, tasks=arns[i:i + 100])["tasks"]
        return {t["taskArn"]: t for t in tasks}

    def service_running(self, tasks):
        return [t for t in tasks.values() if t.get("group") == f"service:{SERVICE}"
                and t["lastStatus"] == "RUNNING" and t["desiredStatus"] == "RUNNING"]

    def wait(self, what, done, timeout=SETTLE_SECONDS):
        deadline = time.time() + timeout
        while True:
            try:
                state = self.tasks()
                if done(state):
                    return state
            except Exception:  # noqa: BLE001 - Berth answers again in a moment
                state = None
            if time.time() > deadline:
                summary = [(arn[-10:], t["lastStatus"], t["desiredStatus"])
                           for arn, t in (state or {}).items()]
                self.lost.append(f"{what} did not happen in {timeout}s: {summary}")
                return state or {}
            time.sleep(1)

    # ----- a round

    def round(self, number):
        before = len(self.lost)
        ecs = self.berth.client("ecs")
        standalone = []
        for _ in range(self.args.tasks):
            out = ecs.run_task(cluster=CLUSTER, taskDefinition=self.task_def, count=1,
                               startedBy=f"restart-r{number}")
            if out.get("failures"):
                self.lost.append(f"RunTask refused: {out['failures']}")
            standalone += [t["taskArn"] for t in out["tasks"]]
        self.tried["tasks"] += len(standalone)
        state = self.wait("standalone and service tasks RUNNING", lambda s: all(
            s[a]["lastStatus"] == "RUNNING" for a in standalone if a in s)
            and len(self.service_running(s)) == 2)
        service_before = {t["taskArn"] for t in self.service_running(state)}
        # The daemon goes away and comes back.
        sig = signal.SIGTERM if number % 2 == 0 else signal.SIGKILL
        self.dockerd.stop(sig)
        self.tried["restarts"] += 1
        time.sleep(self.args.down_seconds)
        self.dockerd.start()
        # Standalone tasks end; the service is whole again.
        state = self.wait("standalone tasks STOPPED and the service back to 2 RUNNING",
                          lambda s: all(s.get(a, {}).get("lastStatus") == "STOPPED"
                                        for a in standalone)
                          and len(self.service_running(s)) == 2
                          and all(t["lastStatus"] in ("RUNNING", "STOPPED")
                                  for t in s.values()))
        for arn in standalone:
            task = state.get(arn)
            if task is None:
                self.lost.append(f"acknowledged task {arn} is gone")
                continue
            if task["lastStatus"] != "STOPPED":
                continue  # reported by wait()
            reason = task.get("stoppedReason", "")
            if not reason or not task.get("stopCode"):
                self.lost.append(f"task {arn} STOPPED without a reason or stop code")
            self.reasons.add(f"{task.get('stopCode')}: {reason}")
            for c in task["containers"]:
                if c["lastStatus"] != "STOPPED":
                    self.lost.append(f"task {arn} STOPPED with container {c['name']} "
                                     f"{c['lastStatus']}")
        service_after = {t["taskArn"] for t in self.service_running(state)}
        self.tried["service_tasks_replaced"] += len(service_before - service_after)
        self.check_containers(state)
        h.log(f"round {number}: dockerd {signal.Signals(sig).name}, "
              f"{len(standalone)} standalone tasks, service tasks replaced "
              f"{len(service_before - service_after)}/2; {len(self.lost) - before} problems")
        for line in self.lost[before:]:
            h.log("  LOST: " + line)

    def check_containers(self, tasks):
        """No container of a STOPPED task runs; every container has a task."""
        seen = set()
        for cid, task_arn, name, running in h.docker_containers(self.instance,
                                                                env=self.dockerd.env):
            task = tasks.get(task_arn)
            if task is None:
                self.lost.append(f"container {cid} ({name}) has no task ({task_arn or 'none'})")
            elif running and task["lastStatus"] == "STOPPED":
                self.lost.append(f"container {cid} still runs for STOPPED task {task_arn}")
            if running:
                seen.add((task_arn, name))
        for t in tasks.values():
            if t["lastStatus"] == "RUNNING":
                for c in t["containers"]:
                    if (t["taskArn"], c["name"]) not in seen:
                        self.lost.append(f"RUNNING task {t['taskArn']} has no running "
                                         f"container {c['name']}")

    def cleanup(self):
        try:
            self.berth.client("ecs").delete_service(cluster=CLUSTER, service=SERVICE, force=True)
        except Exception:  # noqa: BLE001 - berth may be gone already
            pass
        self.berth.stop()
        self.dockerd.destroy()
        self.images.remove_all()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def main(self):
        h.require_docker()
        if os.geteuid() != 0:
            raise SystemExit("docker_restart_harness: must run as root (it starts a dockerd)")
        try:
            self.setup()
            for number in range(self.args.rounds):
                self.round(number)
        finally:
            if self.lost:
                h.log("berth log tail:\n" + self.berth.tail())
                h.log("private dockerd log tail:\n" + self.dockerd.tail())
            self.cleanup()
        t = self.tried
        print(f"docker-restart harness: {t['restarts']} restarts of a private dockerd "
              f"(SIGTERM and SIGKILL) under {t['tasks']} standalone tasks and a service of 2; "
              f"{t['service_tasks_replaced']} service tasks replaced; stopped with: "
              f"{' | '.join(sorted(self.reasons)) or 'nothing'}; lost: {len(self.lost)}",
              flush=True)
        return 1 if self.lost else 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--berth", required=True, help="the berth binary")
    parser.add_argument("--rounds", type=int, default=2, help="restarts (SIGTERM, SIGKILL, ...)")
    parser.add_argument("--tasks", type=int, default=2, help="standalone tasks per round")
    parser.add_argument("--down-seconds", type=float, default=3,
                        help="how long the daemon stays away")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(Harness(parse_args()).main())
