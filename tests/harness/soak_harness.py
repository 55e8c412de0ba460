#!/usr/bin/env python3
"""Soak: many concurrent clients mixing API calls and registry traffic.

Against a fresh berth, --clients threads (200) each keep one HTTP/1.1
connection and, for --seconds, pick one request after another at random:

  ECS  DescribeClusters, RegisterTaskDefinition, DescribeTaskDefinition,
       ListTaskDefinitions
  ECR  DescribeRepositories, PutImage (a new tag), DescribeImages (that tag),
       ListImages
  registry  a blob upload (monolithic POST or POST/PATCH/PUT), a manifest PUT
       naming it, a pull (manifest GET, then the blob, digests checked)

No request is retried: an unexpected status (a 503 from the connection cap
included), a socket error or wrong content is a failure. After a warm-up
(the first --warmup seconds) and at the end, berth's resident memory and open
descriptors are read from /proc; they must stay flat. Latency p50/p99 is
reported per kind, the database and blob store are checked after berth
stops, and the last line sums it up.

  soak_harness.py --berth build/server/berth [--seconds 600 --clients 200]
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness_lib as h  # noqa: E402

ECR = "AmazonEC2ContainerRegistry_V20150921."
ECS = "AmazonEC2ContainerServiceV20141113."
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"
REPOSITORY = "soak"
TASK_DEFINITION = {
    "containerDefinitions": [{"name": "app", "image": "busybox:latest", "memory": 64,
                              "essential": True, "command": ["sleep", "1"]}]}


def digest_of(content):
    return "sha256:" + hashlib.sha256(content).hexdigest()


class Failure(Exception):
    pass


class Client(threading.Thread):
    """One simulated user: one keep-alive connection, requests back to back."""

    def __init__(self, soak, index):
        super().__init__(daemon=True)
        self.soak = soak
        self.index = index
        self.rng = random.Random(index)
        self.conn = None
        self.tags = []    # tags this client put, for DescribeImages
        self.pushed = []  # (manifest digest, blob digest) this client pushed

    # ----- plumbing

    def request(self, kind, method, path, body=b"", headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.soak.berth.port, timeout=60)
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body, headers or {})
            r = self.conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.conn = None
            raise Failure(f"{kind}: {type(e).__name__}: {e}")
        self.soak.record(kind, time.perf_counter() - started)
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return r.status, data, r

    def api(self, kind, target, body):
        status, data, _ = self.request(kind, "POST", "/", json.dumps(body).encode(), {
            "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIASOAK/20260101/us-east-1/ecs/"
                             "aws4_request, SignedHeaders=host, Signature=0"})
        if status != 200:
            raise Failure(f"{kind}: HTTP {status}: {data[:200]!r}")
        return json.loads(data)

    def expect(self, kind, condition, detail):
        if not condition:
            raise Failure(f"{kind}: {detail}")

    # ----- the mix

    def describe_clusters(self):
        out = self.api("DescribeClusters", ECS + "DescribeClusters", {"clusters": ["soak"]})
        self.expect("DescribeClusters", out["clusters"][0]["status"] == "ACTIVE", out)

    def register_task_definition(self):
        family = f"soak-{self.index % 20}"
        out = self.api("RegisterTaskDefinition", ECS + "RegisterTaskDefinition",
                       {"family": family, **TASK_DEFINITION})
        self.expect("RegisterTaskDefinition", out["taskDefinition"]["family"] == family, out)

    def describe_task_definition(self):
        out = self.api("DescribeTaskDefinition", ECS + "DescribeTaskDefinition",
                       {"taskDefinition": "soak-base"})
        self.expect("DescribeTaskDefinition", out["taskDefinition"]["revision"] >= 1, out)

    def list_task_definitions(self):
        out = self.api("ListTaskDefinitions", ECS + "ListTaskDefinitions",
                       {"familyPrefix": "soak-base", "maxResults": 10})
        self.expect("ListTaskDefinitions", len(out["taskDefinitionArns"]) >= 1, out)

    def describe_repositories(self):
        out = self.api("DescribeRepositories", ECR + "DescribeRepositories",
                       {"repositoryNames": [REPOSITORY]})
        self.expect("DescribeRepositories", out["repositories"][0]["repositoryName"] == REPOSITORY,
                    out)

    def put_image(self):
        tag = f"c{self.index}-{len(self.tags)}"
        out = self.api("PutImage", ECR + "PutImage", {
            "repositoryName": REPOSITORY, "imageManifest": self.soak.base_manifest,
            "imageManifestMediaType": MANIFEST_TYPE, "imageTag": tag})
        self.expect("PutImage", out["image"]["imageId"]["imageTag"] == tag, out)
        self.tags.append(tag)

    def describe_images(self):
        if not self.tags:
            return self.put_image()
        tag = self.rng.choice(self.tags)
        out = self.api("DescribeImages", ECR + "DescribeImages", {
            "repositoryName": REPOSITORY, "imageIds": [{"imageTag": tag}]})
        self.expect("DescribeImages", tag in out["imageDetails"][0]["imageTags"], out)

    def list_images(self):
        out = self.api("ListImages", ECR + "ListImages",
                       {"repositoryName": REPOSITORY, "maxResults": 20})
        self.expect("ListImages", len(out["imageIds"]) >= 1, out)

    def push(self):
        content = os.urandom(self.rng.randint(512, 8192))
        digest = digest_of(content)
        base = f"/v2/{REPOSITORY}/blobs/uploads/"
        octets = {"Content-Type": "application/octet-stream"}
        if self.rng.random() < 0.5:
            status, data, _ = self.request("blob upload", "POST", f"{base}?digest={digest}",
                                           content, octets)
            self.expect("blob upload", status == 201, (status, data[:200]))
        else:
            status, data, r = self.request("blob upload", "POST", base)
            self.expect("blob upload start", status == 202, (status, data[:200]))
            location = r.getheader("Location")
            status, data, r = self.request("blob upload", "PATCH", location, content, octets)
            self.expect("blob upload chunk", status == 202, (status, data[:200]))
            location = r.getheader("Location")
            separator = "&" if "?" in location else "?"
            status, data, _ = self.request("blob upload", "PUT",
                                           f"{location}{separator}digest={digest}")
            self.expect("blob upload end", status == 201, (status, data[:200]))
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": CONFIG_TYPE, **self.soak.config_blob},
            "layers": [{"mediaType": LAYER_TYPE, "digest": digest, "size": len(content)}]
        }).encode()
        tag = f"p{self.index}-{len(self.pushed)}"
        status, data, r = self.request("manifest put", "PUT", f"/v2/{REPOSITORY}/manifests/{tag}",
                                       manifest, {"Content-Type": MANIFEST_TYPE})
        self.expect("manifest put", status == 201, (status, data[:200]))
        self.expect("manifest put", r.getheader("Docker-Content-Digest") == digest_of(manifest),
                    r.getheader("Docker-Content-Digest"))
        self.pushed.append((digest_of(manifest), digest))

    def pull(self):
        if not self.pushed:
            return self.push()
        manifest_digest, blob_digest = self.rng.choice(self.pushed)
        status, data, _ = self.request("pull", "GET",
                                       f"/v2/{REPOSITORY}/manifests/{manifest_digest}",
                                       headers={"Accept": MANIFEST_TYPE})
        self.expect("pull manifest", status == 200 and digest_of(data) == manifest_digest, status)
        status, data, _ = self.request("pull", "GET", f"/v2/{REPOSITORY}/blobs/{blob_digest}")
        self.expect("pull blob", status == 200 and digest_of(data) == blob_digest, status)

    MIX = [(describe_clusters, 2), (register_task_definition, 2), (describe_task_definition, 2),
           (list_task_definitions, 1), (describe_repositories, 2), (put_image, 2),
           (describe_images, 2), (list_images, 1), (push, 2), (pull, 3)]

    def run(self):
        actions = [a for a, weight in self.MIX for _ in range(weight)]
        try:  # every client's connection is open before the clock starts
            self.conn = http.client.HTTPConnection("127.0.0.1", self.soak.berth.port, timeout=60)
            self.conn.connect()
        except OSError as e:
            self.soak.fail(f"connect: {e}")
            self.conn = None
        with self.soak.lock:
            self.soak.ready += 1
        self.soak.go.wait()
        while time.time() < self.soak.deadline:
            action = self.rng.choice(actions)
            try:
                action(self)
            except Failure as e:
                self.soak.fail(str(e))
            except (ValueError, KeyError, IndexError, TypeError) as e:
                self.soak.fail(f"{action.__name__}: bad answer: {type(e).__name__}: {e}")
        if self.conn is not None:
            self.conn.close()


class Soak:
    def __init__(self, args):
        self.args = args
        self.workdir = h.temp_workdir("berth-soak-")
        self.data_dir = os.path.join(self.workdir, "data")
        os.makedirs(self.data_dir)
        self.berth = h.Berth(args.berth, self.data_dir,
                             ["--max-connections", str(args.clients + 100)])
        self.lock = threading.Lock()
        self.go = threading.Event()
        self.ready = 0
        self.latencies = {}
        self.failures = []
        self.failure_count = 0
        self.deadline = 0
        self.base_manifest = ""
        self.config_blob = {}

    def record(self, kind, seconds):
        self.latencies.setdefault(kind, []).append(seconds)  # list.append is atomic

    def fail(self, text):
        with self.lock:
            self.failure_count += 1
            if len(self.failures) < 20:
                self.failures.append(text)

    def proc(self):
        pid = self.berth.process.pid
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        return rss / 1024, len(os.listdir(f"/proc/{pid}/fd"))

    def prepare(self):
        """The repository, cluster, task definition and image every client reads."""
        client = Client(self, -1)
        client.api("CreateCluster", ECS + "CreateCluster", {"clusterName": "soak"})
        client.api("RegisterTaskDefinition", ECS + "RegisterTaskDefinition",
                   {"family": "soak-base", **TASK_DEFINITION})
        client.api("CreateRepository", ECR + "CreateRepository", {"repositoryName": REPOSITORY})
        config = json.dumps({"architecture": "amd64", "os": "linux",
                             "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        status, data, _ = client.request("blob upload", "POST",
                                         f"/v2/{REPOSITORY}/blobs/uploads/?digest="
                                         f"{digest_of(config)}", config,
                                         {"Content-Type": "application/octet-stream"})
        if status != 201:
            raise SystemExit(f"soak: cannot push the config blob: {status} {data[:200]!r}")
        self.config_blob = {"digest": digest_of(config), "size": len(config)}
        client.pushed = []
        client.push()
        _, data, _ = client.request("pull", "GET",
                                    f"/v2/{REPOSITORY}/manifests/{client.pushed[0][0]}",
                                    headers={"Accept": MANIFEST_TYPE})
        self.base_manifest = data.decode()
        client.conn.close()
        self.latencies.clear()

    def percentile(self, values, p):
        values = sorted(values)
        return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000

    def main(self):
        self.berth.start()
        problems = []
        try:
            self.prepare()
            clients = [Client(self, i) for i in range(self.args.clients)]
            for c in clients:
                c.start()
            while self.ready < len(clients):
                time.sleep(0.05)
            started = time.time()
            self.deadline = started + self.args.seconds
            self.go.set()
            time.sleep(min(self.args.warmup, self.args.seconds / 2))
            rss0, fds0 = self.proc()
            warm_counts = sum(len(v) for v in self.latencies.values())
            h.log(f"warm: {self.args.clients} clients, {warm_counts} requests, "
                  f"resident {rss0:.1f} MB, {fds0} descriptors")
            while time.time() < self.deadline - 0.5:
                time.sleep(min(30, max(0.1, self.deadline - time.time() - 0.5)))
                if self.berth.process.poll() is not None:
                    problems.append("berth died")
                    break
                h.log(f"{sum(len(v) for v in self.latencies.values())} requests, "
                      f"{self.failure_count} failed")
            rss1, fds1 = self.proc()  # before the clients hang up
            for c in clients:
                c.join(timeout=120)
            elapsed = time.time() - started
        finally:
            self.berth.stop()
        check = h.StoreCheck(self.berth).run()
        problems += check.problems
        shutil.rmtree(self.workdir, ignore_errors=True)

        total = sum(len(v) for v in self.latencies.values())
        print(f"{'kind':<24} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for kind in sorted(self.latencies):
            values = self.latencies[kind]
            print(f"{kind:<24} {len(values):>9} {self.percentile(values, 50):>8.2f} "
                  f"{self.percentile(values, 99):>8.2f} {max(values) * 1000:>8.2f}")
        every = [v for values in self.latencies.values() for v in values]
        for text in self.failures:
            h.log("FAILED: " + text)
        if self.failure_count:
            problems.append(f"{self.failure_count} failed requests")
        if rss1 - rss0 > self.args.max_rss_growth_mb:
            problems.append(f"resident memory grew {rss0:.1f} -> {rss1:.1f} MB")
        if fds1 - fds0 > self.args.max_fd_growth:
            problems.append(f"open descriptors grew {fds0} -> {fds1}")
        for p in problems:
            h.log("PROBLEM: " + p)
        if problems:
            h.log("berth log tail:\n" + self.berth.tail())
        print(f"soak harness: {self.args.clients} clients for {elapsed:.0f} s, {total} requests "
              f"({total / elapsed:.0f}/s), {self.failure_count} failed; p50 "
              f"{self.percentile(every, 50):.2f} ms, p99 {self.percentile(every, 99):.2f} ms; "
              f"resident memory {rss0:.1f} -> {rss1:.1f} MB, open descriptors {fds0} -> {fds1}; "
              f"store: {check.images} images, {check.blob_files} blob files checked; "
              f"problems: {len(problems)}", flush=True)
        return 1 if problems else 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--berth", required=True)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--warmup", type=float, default=60)
    parser.add_argument("--max-rss-growth-mb", type=float, default=32)
    parser.add_argument("--max-fd-growth", type=int, default=16)
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(Soak(parse_args()).main())
