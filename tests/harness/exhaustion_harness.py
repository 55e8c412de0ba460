#!/usr/bin/env python3
"""Resource exhaustion: Berth must answer clearly, stay up and stay small.

Against a fresh berth, in order:
  - thousands of abandoned uploads (started, one chunk sent, never finished);
  - a manifest over ECR's 4 MiB limit, and an API body over its limit;
  - JSON nested a million deep, as an API body and as a manifest;
  - tens of thousands of tags on one image (PutImage), then every tag read
    back through ListImages and the registry's paginated tag list;
  - more connections at once than --max-connections allows;
  - path traversal in repository names, upload ids, digests and /_berth/
    paths, with every method.
After each step berth must still answer, and the refusals must be the
documented errors. The process's resident memory and open descriptors are
read from /proc before and after; the last line reports them.

  exhaustion_harness.py --berth build/server/berth [--uploads 20000 --tags 100000]
"""

import argparse
import hashlib
import http.client
import json
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness_lib as h  # noqa: E402

ECR = "AmazonEC2ContainerRegistry_V20150921."
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


class Harness:
    def __init__(self, args):
        self.args = args
        self.workdir = h.temp_workdir("berth-exhaustion-")
        self.data_dir = os.path.join(self.workdir, "data")
        os.makedirs(self.data_dir)
        self.berth = h.Berth(args.berth, self.data_dir,
                             ["--max-connections", str(args.max_connections)])
        self.problems = []
        self.lines = []

    # ----- plumbing

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.berth.port, timeout=60)

    def api(self, conn, operation, body):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        conn.request("POST", "/", data, {"X-Amz-Target": ECR + operation,
                                         "Content-Type": "application/x-amz-json-1.1"})
        r = conn.getresponse()
        return r.status, r.read()

    def registry(self, conn, method, path, body=b"", headers=None):
        conn.request(method, path, body, headers or {})
        r = conn.getresponse()
        return r.status, r.read(), r

    def proc(self):
        pid = self.berth.process.pid
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        return rss // 1024, len(os.listdir(f"/proc/{pid}/fd"))

    def expect(self, what, condition, detail=""):
        if not condition:
            self.problems.append(f"{what}: {detail}")

    def alive(self, step):
        conn = self.connection()
        status, _ = self.api(conn, "DescribeRepositories", {})
        self.expect(f"berth answers after {step}", status == 200, status)
        self.expect(f"berth runs after {step}", self.berth.process.poll() is None)

    # ----- steps

    def abandoned_uploads(self):
        conn = self.connection()
        chunk = os.urandom(1024)
        started = time.time()
        for i in range(self.args.uploads):
            status, _, r = self.registry(conn, "POST", "/v2/exhaust/blobs/uploads/")
            if status != 202:
                self.expect("upload start", False, status)
                return
            location = r.getheader("Location")
            status, _, _ = self.registry(conn, "PATCH", location, chunk,
                                         {"Content-Type": "application/octet-stream"})
            self.expect("upload chunk", status == 202, status)
        files = len(os.listdir(os.path.join(self.data_dir, "uploads")))
        self.expect("one file per live upload", files == self.args.uploads, files)
        self.lines.append(f"{self.args.uploads} abandoned uploads in "
                          f"{time.time() - started:.1f} s ({files} session files)")
        self.alive("abandoned uploads")

    def oversized(self):
        conn = self.connection()
        huge = (b'{"schemaVersion":2,"mediaType":"' + MANIFEST_TYPE.encode() +
                b'","annotations":{"a":"' + b"x" * (5 << 20) + b'"}}')
        status, body, _ = self.registry(conn, "PUT", "/v2/exhaust/manifests/huge", huge,
                                        {"Content-Type": MANIFEST_TYPE})
        self.expect("5 MiB manifest refused", status in (400, 413), (status, body[:200]))
        conn = self.connection()
        status, body = self.api(conn, "DescribeRepositories",
                                b'{"repositoryNames":["' + b"a" * (20 << 20) + b'"]}')
        self.expect("20 MiB API body refused", status in (400, 413), (status, body[:200]))
        self.lines.append(f"5 MiB manifest and 20 MiB API body refused ({status})")
        self.alive("oversized bodies")

    def deep_json(self):
        depth = 1_000_000
        conn = self.connection()
        status, body = self.api(conn, "DescribeRepositories",
                                b'{"repositoryNames":' + b"[" * depth + b"]" * depth + b"}")
        self.expect("deep API JSON refused", status == 400 and b"SerializationException" in body,
                    (status, body[:200]))
        conn = self.connection()
        deep = b'{"schemaVersion":2,"x":' + b"[" * depth + b"]" * depth + b"}"
        status, body, _ = self.registry(conn, "PUT", "/v2/exhaust/manifests/deep", deep,
                                        {"Content-Type": MANIFEST_TYPE})
        self.expect("deep manifest refused", status == 400 and b"MANIFEST_INVALID" in body,
                    (status, body[:200]))
        self.lines.append("JSON nested 1,000,000 deep refused as API body and manifest")
        self.alive("deep JSON")

    def many_tags(self):
        conn = self.connection()
        blobs = []
        for content in (b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers",'
                        b'"diff_ids":[]}}', os.urandom(2048)):
            digest = "sha256:" + hashlib.sha256(content).hexdigest()
            status, _, _ = self.registry(conn, "POST",
                                         f"/v2/exhaust/blobs/uploads/?digest={digest}", content,
                                         {"Content-Type": "application/octet-stream"})
            self.expect("blob push", status == 201, status)
            blobs.append({"digest": digest, "size": len(content)})
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **blobs[0]},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **blobs[1]}]})
        started = time.time()
        for i in range(self.args.tags):
            status, body = self.api(conn, "PutImage", {
                "repositoryName": "exhaust", "imageManifest": manifest,
                "imageManifestMediaType": MANIFEST_TYPE, "imageTag": f"t{i:06d}"})
            if status != 200:
                self.expect("PutImage", False, (status, body[:200]))
                return
        put_seconds = time.time() - started
        # Every tag back through ListImages (paged) ...
        tags, token = set(), None
        while True:
            request = {"repositoryName": "exhaust", "maxResults": 1000}
            if token:
                request["nextToken"] = token
            status, body = self.api(conn, "ListImages", request)
            page = json.loads(body)
            tags |= {i["imageTag"] for i in page.get("imageIds", []) if "imageTag" in i}
            token = page.get("nextToken")
            if not token:
                break
        self.expect("ListImages returns every tag", len(tags) == self.args.tags, len(tags))
        # ... and through the registry's tag list (Link pagination).
        registry_tags, path = [], "/v2/exhaust/tags/list?n=1000"
        while path:
            status, body, r = self.registry(conn, "GET", path)
            registry_tags += json.loads(body).get("tags") or []
            link = r.getheader("Link")
            path = link[1:link.index(">")] if link else None
        self.expect("tags/list returns every tag", len(registry_tags) == self.args.tags,
                    len(registry_tags))
        self.lines.append(f"{self.args.tags} tags on one image: PutImage {put_seconds:.1f} s, "
                          f"all read back through ListImages and tags/list")
        self.alive("many tags")

    def connections(self):
        count = self.args.max_connections + 200
        sockets, refused = [], 0
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", self.berth.port), timeout=10)
            sockets.append(s)
        # Those past the cap are answered 503 once they send a request.
        for s in sockets[self.args.max_connections:]:
            s.sendall(b"GET /_berth/health HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = s.recv(200)
            refused += answer.startswith(b"HTTP/1.1 503")
        self.expect("connections past the cap answered 503", refused == 200, refused)
        for s in sockets:
            s.close()
        time.sleep(1)
        self.lines.append(f"{count} connections at once: {refused} past the cap answered 503")
        self.alive("connection flood")

    def traversal(self):
        escapes = ["..", "%2e%2e", "..%2F..", "%2e%2e%2f%2e%2e", "....//...."]
        templates = [
            "/v2/{e}/{e}/outside/manifests/latest", "/v2/exhaust/manifests/{e}%2F{e}%2Foutside",
            "/v2/{e}/blobs/uploads/", "/v2/exhaust/blobs/uploads/{e}%2F{e}%2Foutside",
            "/v2/exhaust/blobs/uploads/{e}/{e}/outside?digest=sha256:" + "0" * 64,
            "/v2/exhaust/blobs/sha256:{e}%2F{e}%2Foutside", "/v2/exhaust/blobs/sha256:{e}/{e}/x",
            "/_berth/ui/{e}/{e}/{e}/etc/passwd", "/_berth/{e}/{e}/etc/passwd",
            "/_berth/tasks/{e}/{e}/outside",
        ]
        before = set(os.listdir(self.workdir))
        tried = 0
        for template in templates:
            for e in escapes:
                path = template.format(e=e)
                for method in ("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE"):
                    conn = self.connection()
                    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                    conn.putheader("Host", "localhost")
                    conn.putheader("Content-Length", "5")
                    conn.endheaders(b"bytes")
                    r = conn.getresponse()
                    body = r.read()
                    tried += 1
                    self.expect(f"{method} {path} refused", 400 <= r.status < 500,
                                (r.status, body[:120]))
                    self.expect(f"{method} {path} shows no host file", b"root:" not in body)
        after = set(os.listdir(self.workdir))
        self.expect("nothing written beside the data directory", after == before,
                    sorted(after - before))
        self.lines.append(f"{tried} path-traversal requests refused (4xx), nothing written "
                          "outside the data directory")
        self.alive("path traversal")

    def main(self):
        self.berth.start()
        try:
            conn = self.connection()
            status, _ = self.api(conn, "CreateRepository", {"repositoryName": "exhaust"})
            self.expect("CreateRepository", status == 200, status)
            rss0, fds0 = self.proc()
            for step in (self.abandoned_uploads, self.oversized, self.deep_json, self.many_tags,
                         self.connections, self.traversal):
                step()
                h.log(self.lines[-1] if self.lines else step.__name__)
            rss1, fds1 = self.proc()
        finally:
            if self.problems:
                h.log("berth log tail:\n" + self.berth.tail())
            self.berth.stop()
            shutil.rmtree(self.workdir, ignore_errors=True)
        for p in self.problems:
            h.log("PROBLEM: " + p)
        self.expect("resident memory bounded", rss1 - rss0 < self.args.max_rss_growth_mb,
                    f"{rss0} -> {rss1} MB")
        print(f"exhaustion harness: {len(self.lines)} attacks; resident memory {rss0} -> {rss1} MB, "
              f"open descriptors {fds0} -> {fds1}; problems: {len(self.problems)}", flush=True)
        return 1 if self.problems else 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--berth", required=True)
    parser.add_argument("--uploads", type=int, default=20000)
    parser.add_argument("--tags", type=int, default=100000)
    parser.add_argument("--max-connections", type=int, default=256)
    parser.add_argument("--max-rss-growth-mb", type=int, default=200)
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(Harness(parse_args()).main())
