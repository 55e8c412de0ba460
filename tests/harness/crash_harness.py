#!/usr/bin/env python3
"""kill -9 under load, in rounds: Berth must lose nothing it acknowledged.

Each round builds images that share layers and pushes them concurrently with
`docker push`, makes RunTask calls and loops RegisterTaskDefinition while a
service keeps two tasks running; then kills berth with SIGKILL at a random
moment of that load, restarts it on the same data directory and checks:

  - every blob file hashes to its name, every blob row has its file;
  - every image's manifest and the blobs it names are stored;
  - no upload or staging file is left beyond live upload sessions;
  - PRAGMA integrity_check and foreign_key_check are clean;
  - every acknowledged push is served whole under its tag and digest;
  - every acknowledged task definition and task still exists;
  - every task settles: RUNNING ones run (adopted), dead ones are STOPPED with
    a reason; no container without a task, no task container twice;
  - the service is back to its desired count.

Round 0 runs the load to its end without a kill, to measure how long it takes;
later rounds kill at a random moment inside that window. The last line sums up
what was tried and what was lost (goal: nothing). Exit status 1 on any loss.

  crash_harness.py --berth build/server/berth [--rounds 20 --pushes 50 --tasks 20]
"""

import argparse
import os
import random
import shutil
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness_lib as h  # noqa: E402

CLUSTER = "harness"
SERVICE = "harness-svc"
REPOSITORIES = ["harness/app-a", "harness/app-b", "harness/app-c", "harness/app-d"]
SETTLE_SECONDS = 180


def container_definition(image):
    return [{"name": "app", "image": image, "essential": True,
             "command": ["sleep", "3600"], "stopTimeout": 2}]


class Round:
    """What one round's load got acknowledged."""

    def __init__(self):
        self.pushed = []          # (repository, tag, digest)
        self.push_failures = 0
        self.tasks = []           # task arns
        self.revisions = []       # task definition arns
        self.call_failures = 0
        self.refused = []         # RunTask failures[] reasons
        self.lock = threading.Lock()


class Harness:
    def __init__(self, args):
        self.args = args
        self.run_id = "crash-" + uuid.uuid4().hex[:10]
        self.workdir = h.temp_workdir("berth-crash-")
        self.data_dir = os.path.join(self.workdir, "data")
        os.makedirs(self.data_dir)
        self.docker_config = os.path.join(self.workdir, "docker-config")
        os.makedirs(self.docker_config)
        self.berth = h.Berth(args.berth, self.data_dir)
        self.images = h.Images(self.workdir, self.run_id)
        self.instance = ""
        self.window = 5.0  # seconds of load a kill may land in
        self.tags = []
        self.rng = random.Random(args.seed)
        self.totals = {"kills": 0, "pushes": 0, "task_definitions": 0, "tasks": 0,
                       "blob_files": 0, "images": 0}
        self.lost = []

    # ----- setup

    def setup(self):
        self.berth.start()
        self.berth.stop()
        self.instance = self.berth.instance_id()
        self.berth.start()
        ecr, ecs = self.berth.client("ecr"), self.berth.client("ecs")
        for name in REPOSITORIES:
            ecr.create_repository(repositoryName=name)
        base = f"{self.berth.registry}/{REPOSITORIES[0]}:base"
        self.images.build(base, 4096)
        self.tags.append(base)
        if not h.push(base, self.docker_config):
            raise RuntimeError("the first push failed:\n" + self.berth.tail())
        ecs.create_cluster(clusterName=CLUSTER)
        self.base_image = base
        task_def = ecs.register_task_definition(
            family="harness-app", containerDefinitions=container_definition(base),
            memory="32")["taskDefinition"]["taskDefinitionArn"]
        self.task_def = task_def
        ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=task_def,
                           desiredCount=2)

    # ----- load

    def build_round_images(self, number):
        tags = []
        for i in range(self.args.pushes):
            repository = REPOSITORIES[i % len(REPOSITORIES)]
            tag = f"{self.berth.registry}/{repository}:r{number}-{i}"
            self.images.build(tag, self.rng.randint(64 * 1024, 1024 * 1024))
            self.tags.append(tag)
            tags.append((repository, tag))
        return tags

    def load(self, number, tags, stop):
        """Runs the round's load; returns the Round once every worker ended."""
        acked = Round()

        def pusher(repository, tag):
            digest = h.push(tag, self.docker_config)
            with acked.lock:
                if digest:
                    acked.pushed.append((repository, tag.rsplit(":", 1)[1], digest))
                else:
                    acked.push_failures += 1

        def runner(i):
            try:
                out = self.berth.client("ecs").run_task(
                    cluster=CLUSTER, taskDefinition=self.task_def, count=1,
                    startedBy=f"harness-r{number}")
                with acked.lock:
                    acked.tasks += [t["taskArn"] for t in out["tasks"]]
                    acked.refused += [f["reason"] for f in out.get("failures", [])]
            except Exception:  # connection refused or reset once berth is killed
                with acked.lock:
                    acked.call_failures += 1

        def registrar():
            ecs = self.berth.client("ecs")
            while not stop.is_set():
                try:
                    arn = ecs.register_task_definition(
                        family="harness-loop",
                        containerDefinitions=container_definition(self.base_image),
                        cpu="256", memory="512")["taskDefinition"]["taskDefinitionArn"]
                    with acked.lock:
                        acked.revisions.append(arn)
                except Exception:
                    with acked.lock:
                        acked.call_failures += 1
                    time.sleep(0.05)

        loop = threading.Thread(target=registrar)
        loop.start()
        with ThreadPoolExecutor(max_workers=self.args.pushes + self.args.tasks) as pool:
            jobs = [pool.submit(pusher, r, t) for r, t in tags]
            jobs += [pool.submit(runner, i) for i in range(self.args.tasks)]
            for job in jobs:
                job.result()
        stop.set()
        loop.join()
        return acked

    # ----- checks

    def settle_tasks(self, round_acked):
        """Waits until every task is RUNNING or STOPPED and the service has its
        count; then checks tasks against containers. Problems go to self.lost."""
        ecs = self.berth.client("ecs")
        deadline = time.time() + SETTLE_SECONDS
        while True:
            arns = []
            for status in ("RUNNING", "STOPPED"):
                for page in ecs.get_paginator("list_tasks").paginate(
                        cluster=CLUSTER, desiredStatus=status):
                    arns += page["taskArns"]
            tasks = []
            for i in range(0, len(arns), 100):
                tasks += ecs.describe_tasks(cluster=CLUSTER, tasks=arns[i:i + 100])["tasks"]
            unsettled = [t for t in tasks if t["lastStatus"] not in ("RUNNING", "STOPPED")]
            service = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
            service_running = [t for t in tasks if t.get("group") == f"service:{SERVICE}"
                               and t["lastStatus"] == "RUNNING" and t["desiredStatus"] == "RUNNING"]
            if not unsettled and len(service_running) == service["desiredCount"] \
                    and service["runningCount"] == service["desiredCount"]:
                break
            if time.time() > deadline:
                self.lost.append(f"tasks did not settle in {SETTLE_SECONDS}s: "
                                 f"{[(t['taskArn'][-12:], t['lastStatus']) for t in unsettled]}, "
                                 f"service running {service['runningCount']}"
                                 f"/{service['desiredCount']} ({len(service_running)} tasks)")
                return
            time.sleep(1)
        by_arn = {t["taskArn"]: t for t in tasks}
        for arn in round_acked.tasks:
            if arn not in by_arn:
                self.lost.append(f"acknowledged task {arn} is gone")
        for t in tasks:
            if t["lastStatus"] == "STOPPED" and not t.get("stoppedReason"):
                self.lost.append(f"task {t['taskArn']} STOPPED without a reason")
        seen = {}
        for cid, task_arn, name, running in h.docker_containers(self.instance):
            if not task_arn:
                continue
            seen.setdefault((task_arn, name), []).append(cid)
            task = by_arn.get(task_arn)
            if task is None:
                # A task stopped long ago may have been purged; a running
                # container must belong to a known task.
                if running:
                    self.lost.append(f"container {cid} runs for unknown task {task_arn}")
            elif running and task["lastStatus"] == "STOPPED":
                self.lost.append(f"container {cid} still runs for STOPPED task {task_arn}")
        for (task_arn, name), ids in seen.items():
            if len(ids) > 1:
                self.lost.append(f"task {task_arn} container {name} exists {len(ids)} times")
        for t in tasks:
            if t["lastStatus"] == "RUNNING":
                for c in t["containers"]:
                    if (t["taskArn"], c["name"]) not in seen:
                        self.lost.append(f"RUNNING task {t['taskArn']} has no container {c['name']}")

    def check_store(self, uploads):
        """The data directory of a stopped or killed berth."""
        store = h.StoreCheck(self.berth, uploads=uploads).run()
        self.lost += store.problems
        self.totals["blob_files"] = store.blob_files
        self.totals["images"] = store.images

    def check(self, acked):
        for repository, tag, digest in acked.pushed:
            problem = h.check_pushed_image(self.berth, repository, tag, digest)
            if problem:
                self.lost.append(problem)
        ecs = self.berth.client("ecs")
        for arn in acked.revisions:
            try:
                ecs.describe_task_definition(taskDefinition=arn)
            except Exception as e:
                self.lost.append(f"acknowledged task definition {arn}: {e}")
        self.settle_tasks(acked)

    def stop_round_tasks(self, acked):
        ecs = self.berth.client("ecs")
        for arn in acked.tasks:
            try:
                ecs.stop_task(cluster=CLUSTER, task=arn, reason="harness round over")
            except Exception as e:
                self.lost.append(f"StopTask {arn}: {e}")

    # ----- rounds

    def round(self, number):
        tags = self.build_round_images(number)
        stop = threading.Event()
        result = {}
        started = time.time()
        worker = threading.Thread(target=lambda: result.update(acked=self.load(number, tags, stop)))
        worker.start()
        killed_at = None
        if number > 0:
            delay = self.rng.uniform(0.05, 0.95) * self.window
            worker.join(timeout=delay)
            if worker.is_alive():
                killed_at = time.time() - started
                self.berth.kill9()
                self.totals["kills"] += 1
                self.check_store(uploads=False)  # the files exactly as the crash left them
                self.berth.start()
        else:
            worker.join(timeout=self.args.registrar_seconds)
        stop.set()
        worker.join()
        duration = time.time() - started
        if killed_at is None:
            # The load ended before the kill (round 0 measures it): the window
            # follows how long the load really takes.
            self.window = max(1.0, 0.8 * duration if number > 0 else duration)
        acked = result["acked"]
        self.totals["pushes"] += len(acked.pushed)
        self.totals["task_definitions"] += len(acked.revisions)
        self.totals["tasks"] += len(acked.tasks)
        before = len(self.lost)
        self.check(acked)
        self.stop_round_tasks(acked)
        # A clean stop between rounds: no upload file may outlive its session.
        self.berth.stop()
        self.check_store(uploads=True)
        self.berth.start()
        when = f"killed at {killed_at:.2f}s" if killed_at is not None else "no kill"
        h.log(f"round {number}: {when}; acknowledged {len(acked.pushed)} pushes "
              f"({acked.push_failures} failed), {len(acked.revisions)} task definitions, "
              f"{len(acked.tasks)} tasks ({acked.call_failures} calls failed"
              f"{', refused: ' + ','.join(sorted(set(acked.refused))) if acked.refused else ''}); "
              f"{len(self.lost) - before} problems")
        for line in self.lost[before:]:
            h.log("  LOST: " + line)
        for _, tag in tags:
            h.run(["docker", "rmi", tag], check=False)

    def cleanup(self):
        self.berth.stop()
        h.remove_berth_docker_objects(self.instance)
        self.images.remove_all()
        if self.lost and self.args.keep:
            h.log(f"kept {self.workdir} for inspection")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def main(self):
        h.require_docker()
        try:
            self.setup()
            for number in range(self.args.rounds + 1):
                self.round(number)
        finally:
            if self.lost:
                h.log("berth log tail:\n" + self.berth.tail())
            self.cleanup()
        t = self.totals
        print(f"crash harness: {t['kills']} kill -9 in {self.args.rounds} rounds of load survived; acknowledged "
              f"{t['pushes']} pushes, {t['task_definitions']} task definitions, {t['tasks']} "
              f"tasks; {t['blob_files']} blob files and {t['images']} images verified; "
              f"lost: {len(self.lost)}", flush=True)
        return 1 if self.lost else 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--berth", required=True, help="the berth binary")
    parser.add_argument("--rounds", type=int, default=20, help="rounds with a kill")
    parser.add_argument("--pushes", type=int, default=50, help="concurrent pushes per round")
    parser.add_argument("--tasks", type=int, default=20, help="RunTask calls per round")
    parser.add_argument("--registrar-seconds", type=float, default=30,
                        help="cap on round 0's load when nothing else is left to wait for")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--keep", action="store_true", help="keep the data directory on loss")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(Harness(parse_args()).main())
