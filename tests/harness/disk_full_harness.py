#!/usr/bin/env python3
"""Disk full, in rounds: Berth must fail writes clearly and lose nothing.

Berth's data directory is a tmpfs of --size MiB made for the run. Each round
fills it with a filler file until little is left, then pushes images of
random layers until a push fails, and checks:

  - the failed push's docker output names the cause (no space left on device);
  - API writes (CreateRepository, RegisterTaskDefinition) fail with an
    AWS-shaped 500 ServerException whose message names the cause;
  - reads keep working: DescribeRepositories, DescribeTaskDefinition, and
    every acknowledged push is served whole;
  - the data directory is intact (StoreCheck: blobs hash to their names,
    manifests have their blobs, the database passes its integrity checks);
  - once the filler is deleted, pushes and API writes work again.

The last line sums up what was tried and what was lost (goal: nothing).
Exit status 1 on any loss. Runs as root (it mounts the tmpfs).

  disk_full_harness.py --berth build/server/berth [--rounds 3 --size 64]
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
import uuid

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness_lib as h  # noqa: E402

REPOSITORY = "diskfull/app"
LAYER_BYTES = 3 * 1024 * 1024
MAX_PUSHES = 40
MAX_WRITES = 400
CAUSE = "no space left on device"


def free_bytes(path):
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def fill(path, leave):
    """Writes a filler file so that about `leave` bytes stay free."""
    chunk = b"\0" * (1 << 20)
    with open(path, "ab") as f:
        while free_bytes(os.path.dirname(path)) > leave + len(chunk):
            f.write(chunk)
            f.flush()
        try:
            while free_bytes(os.path.dirname(path)) > leave:
                f.write(b"\0" * 4096)
                f.flush()
        except OSError:
            pass


def fill_to_the_brim(f):
    """Takes every byte that is left (a second filler, opened beforehand:
    a full tmpfs refuses to open files)."""
    for size in (1 << 20, 4096, 1):
        try:
            while True:
                f.write(b"\0" * size)
                f.flush()
        except OSError:
            pass


class Harness:
    def __init__(self, args):
        self.args = args
        self.run_id = "diskfull-" + uuid.uuid4().hex[:10]
        self.workdir = h.temp_workdir("berth-diskfull-")
        self.mount = os.path.join(self.workdir, "mnt")
        os.makedirs(self.mount)
        self.data_dir = os.path.join(self.mount, "data")
        self.docker_config = os.path.join(self.workdir, "docker-config")
        os.makedirs(self.docker_config)
        self.berth = None
        self.images = h.Images(self.workdir, self.run_id)
        self.instance = ""
        self.mounted = False
        self.pushed = []  # (repository, tag, digest) acknowledged
        self.repositories = []  # acknowledged CreateRepository names
        self.revisions = []  # acknowledged task definition arns
        self.tried = {"pushes": 0, "failed_pushes": 0, "writes": 0, "failed_writes": 0}
        self.lost = []

    def setup(self):
        h.run(["mount", "-t", "tmpfs", "-o", f"size={self.args.size}m", "tmpfs", self.mount])
        self.mounted = True
        os.makedirs(self.data_dir)
        self.berth = h.Berth(self.args.berth, self.data_dir)
        self.berth.start()
        self.instance = self.berth.instance_id()
        self.berth.client("ecr").create_repository(repositoryName=REPOSITORY)
        self.repositories.append(REPOSITORY)
        self.push_one("base")
        if not self.pushed:
            raise RuntimeError("the first push failed:\n" + self.berth.tail())
        self.register(1)

    # ----- load

    def push_one(self, tag):
        full = f"{self.berth.registry}/{REPOSITORY}:{tag}"
        self.images.build(full, LAYER_BYTES)
        digest, output = h.push_with_output(full, self.docker_config, timeout=120)
        h.run(["docker", "rmi", full], check=False)
        self.tried["pushes"] += 1
        if digest:
            self.pushed.append((REPOSITORY, tag, digest))
        else:
            self.tried["failed_pushes"] += 1
        return digest, output

    def register(self, size_kib):
        """RegisterTaskDefinition with about `size_kib` KiB of environment."""
        environment = [{"name": f"V{i}", "value": "x" * 1000} for i in range(size_kib)]
        return self.berth.client("ecs").register_task_definition(
            family="diskfull", containerDefinitions=[{
                "name": "app", "image": f"{self.berth.registry}/{REPOSITORY}:base",
                "essential": True, "command": ["sleep", "60"],
                "environment": environment}],
            cpu="256", memory="512")["taskDefinition"]["taskDefinitionArn"]

    def expect_server_exception(self, what, call):
        """Repeats a write until the full disk refuses it; checks the error's
        shape. Returns True when it failed as it should."""
        for attempt in range(MAX_WRITES):
            self.tried["writes"] += 1
            try:
                result = call(attempt)
            except ClientError as e:
                self.tried["failed_writes"] += 1
                error = e.response["Error"]
                status = e.response["ResponseMetadata"]["HTTPStatusCode"]
                if error.get("Code") != "ServerException" or status != 500 \
                        or CAUSE not in error.get("Message", "").lower():
                    self.lost.append(f"{what} on a full disk answered {status} "
                                     f"{error.get('Code')}: {error.get('Message')}")
                else:
                    h.log(f"  {what}: {status} {error['Code']}: {error['Message']}")
                return True
            except Exception as e:  # noqa: BLE001 - a dropped connection is a loss
                self.lost.append(f"{what} on a full disk did not answer: {e}")
                return False
            else:
                if what == "CreateRepository":
                    self.repositories.append(result)
                else:
                    self.revisions.append(result)
        self.lost.append(f"{what} never failed in {MAX_WRITES} writes on a full disk")
        return False

    # ----- checks

    def check_reads(self, when):
        ecr, ecs = self.berth.client("ecr"), self.berth.client("ecs")
        try:
            names = set()
            for page in ecr.get_paginator("describe_repositories").paginate():
                names |= {r["repositoryName"] for r in page["repositories"]}
            for name in self.repositories:
                if name not in names:
                    self.lost.append(f"{when}: repository {name} is gone")
        except Exception as e:  # noqa: BLE001
            self.lost.append(f"{when}: DescribeRepositories failed: {e}")
        for arn in self.revisions:
            try:
                ecs.describe_task_definition(taskDefinition=arn)
            except Exception as e:  # noqa: BLE001
                self.lost.append(f"{when}: DescribeTaskDefinition {arn}: {e}")
        for repository, tag, digest in self.pushed:
            problem = h.check_pushed_image(self.berth, repository, tag, digest)
            if problem:
                self.lost.append(f"{when}: {problem}")
        # A pull of an acknowledged image, through docker.
        repository, tag, digest = self.pushed[0]
        image = f"{self.berth.registry}/{repository}@{digest}"
        env = dict(os.environ, DOCKER_CONFIG=self.docker_config)
        pulled = h.run(["docker", "pull", image], check=False, env=env, timeout=120)
        if pulled.returncode != 0:
            self.lost.append(f"{when}: docker pull {image} failed: {pulled.stderr.strip()}")
        h.run(["docker", "rmi", image], check=False)
        store = h.StoreCheck(self.berth, uploads=False).run()
        self.lost += [f"{when}: {p}" for p in store.problems]
        return store

    # ----- rounds

    def round(self, number):
        filler = os.path.join(self.mount, "filler")
        brim = os.path.join(self.mount, "brim")
        before = len(self.lost)
        brim_file = open(brim, "wb", buffering=0)
        fill(filler, 2 * LAYER_BYTES)
        failure = None
        for i in range(MAX_PUSHES):
            digest, output = self.push_one(f"r{number}-{i}")
            if not digest:
                failure = output
                break
        if failure is None:
            self.lost.append(f"round {number}: no push failed on a full disk")
        else:
            lines = [line for line in failure.splitlines() if line.strip()]
            shown = lines[-1] if lines else ""
            h.log(f"  docker push on a full disk: {shown}")
            if CAUSE not in failure.lower():
                self.lost.append(f"round {number}: the failed push does not name the cause: "
                                 f"{shown}")
        # The failed upload may have freed its bytes: take all that is left.
        fill_to_the_brim(brim_file)
        self.expect_server_exception("CreateRepository", lambda i: self.berth.client(
            "ecr").create_repository(repositoryName=f"diskfull/r{number}-{i}")[
                "repository"]["repositoryName"])
        self.expect_server_exception("RegisterTaskDefinition", lambda i: self.register(16))
        self.check_reads(f"round {number} (full)")
        # Space comes back: everything works again.
        brim_file.close()
        os.remove(brim)
        os.remove(filler)
        digest, output = self.push_one(f"r{number}-after")
        if not digest:
            self.lost.append(f"round {number}: a push after freeing space failed: {output}")
        try:
            name = f"diskfull/after-{number}"
            self.berth.client("ecr").create_repository(repositoryName=name)
            self.repositories.append(name)
            self.revisions.append(self.register(1))
        except Exception as e:  # noqa: BLE001
            self.lost.append(f"round {number}: a write after freeing space failed: {e}")
        # A clean restart over the same directory finds it whole.
        self.berth.stop()
        self.berth.start()
        store = self.check_reads(f"round {number} (freed)")
        h.log(f"round {number}: {self.tried['pushes']} pushes so far "
              f"({self.tried['failed_pushes']} refused), {self.tried['writes']} API writes "
              f"({self.tried['failed_writes']} refused); {store.blob_files} blob files; "
              f"{len(self.lost) - before} problems")
        for line in self.lost[before:]:
            h.log("  LOST: " + line)

    def cleanup(self):
        if self.berth:
            self.berth.stop()
            h.remove_berth_docker_objects(self.instance)
        self.images.remove_all()
        if self.mounted:
            h.run(["umount", self.mount], check=False)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def main(self):
        h.require_docker()
        if os.geteuid() != 0:
            raise SystemExit("disk_full_harness: must run as root (it mounts a tmpfs)")
        try:
            self.setup()
            for number in range(self.args.rounds):
                self.round(number)
        finally:
            if self.lost and self.berth:
                h.log("berth log tail:\n" + self.berth.tail())
            self.cleanup()
        t = self.tried
        print(f"disk-full harness: {self.args.rounds} rounds on a {self.args.size} MiB tmpfs; "
              f"tried {t['pushes']} pushes ({t['failed_pushes']} refused for space) and "
              f"{t['writes']} API writes ({t['failed_writes']} refused with ServerException); "
              f"acknowledged {len(self.pushed)} images, {len(self.repositories)} repositories, "
              f"{len(self.revisions)} task definitions, all read back after space returned; "
              f"lost: {len(self.lost)}", flush=True)
        return 1 if self.lost else 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--berth", required=True, help="the berth binary")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=64, help="MiB of the tmpfs")
    return parser.parse_args()


if __name__ == "__main__":
    try:
        sys.exit(Harness(parse_args()).main())
    except subprocess.TimeoutExpired as e:
        print(f"disk-full harness: timed out: {e}", flush=True)
        sys.exit(1)
