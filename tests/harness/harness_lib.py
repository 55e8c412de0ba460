"""Shared pieces of Berth's reliability harnesses (crash_harness.py, ...).

A harness drives the real berth binary, the real docker CLI and boto3, then
checks Berth's data directory and its Docker state from the outside:
blob files against their digests, manifests against their blobs, the
database's integrity, and tasks against containers. Everything it creates
carries the label berth.test.id=<run id> (images) or berth.instance=<id>
(what Berth makes), and is removed at the end.
"""

import hashlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

REGION = "us-east-1"


def log(message):
    print(time.strftime("%H:%M:%S"), message, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, timeout=300, check=True, env=None, stdin=None):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env,
                            input=stdin)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")
    return result


def require_docker():
    result = run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=60, check=False)
    if result.returncode != 0:
        raise SystemExit("harness: `docker info` failed; a running dockerd is required "
                         "(CI starts one):\n" + result.stderr)


class Berth:
    """The berth binary on a free loopback port over one data directory,
    started, killed with SIGKILL and restarted on the same directory."""

    def __init__(self, binary, data_dir, extra_args=(), env=None):
        self.binary = binary
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.env = env  # e.g. DOCKER_HOST for a private dockerd
        self.port = free_port()
        self.process = None
        self.log_path = os.path.join(os.path.dirname(data_dir.rstrip("/")), "berth.log")

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def registry(self):
        return f"127.0.0.1:{self.port}"

    def start(self, timeout=60):
        log_file = open(self.log_path, "a")
        log_file.write(f"--- start {time.strftime('%H:%M:%S')}\n")
        log_file.flush()
        self.process = subprocess.Popen(
            [self.binary, "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir,
             "--register-local-instance", "--log-level", "warn", *self.extra_args],
            stdout=log_file, stderr=subprocess.STDOUT, env=self.env)
        log_file.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"berth exited with {self.process.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_berth/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            time.sleep(0.1)
        raise RuntimeError("berth did not answer /_berth/health:\n" + self.tail())

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, lines=40):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def client(self, service):
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id="AKIAHARNESS", aws_secret_access_key="harness",
                            config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                          connect_timeout=5, read_timeout=30))

    def db_copy(self):
        """A connection to a copy of the database and its WAL, as Berth would
        recover them (call it while berth is stopped or killed). After a
        kill -9 the copy leaves the crashed files exactly as they were for the
        restart: opening the original would checkpoint its WAL first."""
        scratch = tempfile.mkdtemp(prefix="berth-db-copy-")
        for suffix in ("", "-wal"):
            source = os.path.join(self.data_dir, "berth.db" + suffix)
            if os.path.exists(source):
                shutil.copy(source, os.path.join(scratch, "berth.db" + suffix))
        db = sqlite3.connect(os.path.join(scratch, "berth.db"), timeout=30)
        db.execute("PRAGMA query_only=1")
        return db, scratch

    def instance_id(self):
        db, scratch = self.db_copy()
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'berth.instance'").fetchone()
        finally:
            db.close()
            shutil.rmtree(scratch, ignore_errors=True)
        return row[0] if row else ""


class Images:
    """Small images built offline FROM scratch: busybox, a layer shared by
    every image, and a layer of random bytes of their own. All carry the
    run's label."""

    def __init__(self, workdir, run_id):
        self.workdir = workdir
        self.run_id = run_id
        self.context = os.path.join(workdir, "image-context")
        os.makedirs(os.path.join(self.context, "bin"), exist_ok=True)
        shutil.copy("/bin/busybox", os.path.join(self.context, "bin", "busybox"))
        rng = random.Random(7)
        with open(os.path.join(self.context, "shared.bin"), "wb") as f:
            f.write(bytes(rng.getrandbits(8) for _ in range(256 * 1024)))

    def build(self, tag, unique_bytes):
        with open(os.path.join(self.context, "unique.bin"), "wb") as f:
            f.write(os.urandom(unique_bytes))
        with open(os.path.join(self.context, "Dockerfile"), "w") as f:
            f.write("FROM scratch\n"
                    f"LABEL berth.test=1 berth.test.id={self.run_id}\n"
                    "COPY bin /bin\n"
                    "COPY shared.bin /shared.bin\n"
                    "COPY unique.bin /unique.bin\n"
                    'ENTRYPOINT ["/bin/busybox"]\n')
        run(["docker", "build", "-q", "-t", tag, self.context], timeout=300)

    def remove_all(self):
        ids = run(["docker", "images", "-q", "--filter", f"label=berth.test.id={self.run_id}"],
                  check=False).stdout.split()
        if ids:
            run(["docker", "rmi", "-f", *sorted(set(ids))], check=False)


def push(tag, docker_config, timeout=180):
    """`docker push`; returns the digest docker printed, or None when it failed."""
    return push_with_output(tag, docker_config, timeout)[0]


def push_with_output(tag, docker_config, timeout=180):
    """`docker push`; returns (digest or None, what docker printed)."""
    env = dict(os.environ, DOCKER_CONFIG=docker_config)
    try:
        result = run(["docker", "push", tag], timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired:
        return None, f"docker push timed out after {timeout}s"
    output = result.stdout + result.stderr
    if result.returncode != 0:
        return None, output
    for line in result.stdout.splitlines():
        if "digest: " in line:
            return line.split("digest: ")[1].split()[0], output
    return None, output


def remove_berth_docker_objects(instance_id, env=None):
    """Removes what Berth made on the engine (`env` may name another DOCKER_HOST)."""
    if not instance_id:
        return
    selector = f"label=berth.instance={instance_id}"
    containers = run(["docker", "ps", "-aq", "--filter", selector], check=False,
                     env=env).stdout.split()
    if containers:
        run(["docker", "rm", "-f", "-v", *containers], check=False, env=env)
    volumes = run(["docker", "volume", "ls", "-q", "--filter", selector], check=False,
                  env=env).stdout.split()
    if volumes:
        run(["docker", "volume", "rm", "-f", *volumes], check=False, env=env)
    networks = run(["docker", "network", "ls", "-q", "--filter", selector],
                   check=False, env=env).stdout.split()
    for network in networks:
        run(["docker", "network", "rm", network], check=False, env=env)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class StoreCheck:
    """The data directory checked from outside: the findings are problems,
    each a line; the counters say how much was looked at."""

    def __init__(self, berth, uploads=True):
        self.berth = berth
        self.check_uploads = uploads
        self.problems = []
        self.blob_files = 0
        self.images = 0

    def problem(self, text):
        self.problems.append(text)

    def run(self):
        root = self.berth.data_dir
        db, scratch = self.berth.db_copy()
        try:
            integrity = db.execute("PRAGMA integrity_check").fetchall()
            if integrity != [("ok",)]:
                self.problem(f"integrity_check: {integrity}")
            foreign = db.execute("PRAGMA foreign_key_check").fetchall()
            if foreign:
                self.problem(f"foreign_key_check: {foreign[:5]}")
            blob_rows = dict(db.execute("SELECT digest, size FROM blobs").fetchall())
            images = db.execute(
                "SELECT r.name, i.digest, i.media_type FROM ecr_images i "
                "JOIN ecr_repositories r ON r.id = i.repository_id").fetchall()
            uploads = {u for (u,) in db.execute("SELECT uuid FROM ecr_uploads")}
        finally:
            db.close()
            shutil.rmtree(scratch, ignore_errors=True)
        # Every blob file holds the bytes of its name; every blob row has its file.
        files = {}
        blobs_dir = os.path.join(root, "blobs")
        for dirpath, _, names in os.walk(blobs_dir):
            for name in names:
                path = os.path.join(dirpath, name)
                algorithm = os.path.relpath(path, blobs_dir).split(os.sep)[0]
                digest = f"{algorithm}:{name}"
                files[digest] = path
                self.blob_files += 1
                if algorithm == "sha256" and sha256_file(path) != name:
                    self.problem(f"blob file {path} does not hash to its name")
        for digest, size in blob_rows.items():
            path = files.get(digest)
            if path is None:
                self.problem(f"blob row {digest} has no file")
            elif os.path.getsize(path) != size:
                self.problem(f"blob {digest}: file has {os.path.getsize(path)} bytes, row {size}")
        # Every image's manifest and what it names are stored.
        for repository, digest, media_type in images:
            self.images += 1
            path = files.get(digest)
            if path is None:
                self.problem(f"image {repository}@{digest} has no manifest file")
                continue
            try:
                with open(path, "rb") as f:
                    manifest = json.load(f)
            except ValueError:
                self.problem(f"image {repository}@{digest}: manifest is not JSON")
                continue
            children = [manifest.get("config")] + manifest.get("layers", [])
            children += manifest.get("manifests", [])
            for child in children:
                if child and child.get("digest") not in files:
                    self.problem(f"image {repository}@{digest} names missing {child.get('digest')}")
        # Upload files are live sessions only; no staging file is left over
        # (checked after a clean stop: a crash leaves some, the restart sweeps them).
        uploads_dir = os.path.join(root, "uploads")
        if self.check_uploads and os.path.isdir(uploads_dir):
            for name in os.listdir(uploads_dir):
                if name not in uploads:
                    self.problem(f"leaked upload file uploads/{name}")
        return self


def registry_get(berth, path, method="GET", accept=None):
    request = urllib.request.Request(berth.endpoint + path, method=method)
    if accept:
        request.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])


def check_pushed_image(berth, repository, tag, digest):
    """The acknowledged push is served whole: the tag names the digest, and
    every blob of it answers. Returns a problem line or None."""
    status, body, headers = registry_get(berth, f"/v2/{repository}/manifests/{tag}",
                                         accept=MANIFEST_TYPES)
    if status != 200:
        return f"pushed {repository}:{tag} answers {status}"
    served = headers.get("Docker-Content-Digest")
    if served != digest:
        return f"pushed {repository}:{tag} was {digest}, now {served}"
    manifest = json.loads(body)
    for blob in [manifest["config"]] + manifest["layers"]:
        status, _, _ = registry_get(berth, f"/v2/{repository}/blobs/{blob['digest']}",
                                    method="HEAD")
        if status != 200:
            return f"pushed {repository}:{tag}: blob {blob['digest']} answers {status}"
    return None


def docker_containers(instance_id, env=None):
    """Berth's containers on this engine (`env` may name another DOCKER_HOST):
    (id, task arn, container name, running)."""
    out = run(["docker", "ps", "-a", "--filter", f"label=berth.instance={instance_id}",
               "--format", "{{.ID}}\t{{.Label \"com.amazonaws.ecs.task-arn\"}}\t"
               "{{.Label \"com.amazonaws.ecs.container-name\"}}\t{{.State}}"],
              check=False, env=env).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) == 4:
            rows.append((parts[0], parts[1], parts[2], parts[3] == "running"))
    return rows


def temp_workdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)
