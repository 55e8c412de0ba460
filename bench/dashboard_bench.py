#!/usr/bin/env python3
"""Helpers for bench/dashboard.sh (standard library only, plus headless
Chromium through tests/support/chromium_cdp.py).

  seed-images URL REPOSITORIES PER_REPOSITORY
      Creates REPOSITORIES ECR repositories and pushes PER_REPOSITORY tiny
      images into each through the registry API (one shared layer, a config
      of its own per image, an OCI manifest tagged v<N>). Prints the count.

  paint URL ROUNDS TOUCH_CLUSTER
      ROUNDS times: changes Berth's state (tags TOUCH_CLUSTER, so the
      snapshot must be built afresh), opens a new tab on URL (/_berth/ui/),
      and waits until the page has drawn everything. Prints one JSON line:
      per round, the milliseconds from navigation start to the first
      contentful paint (the empty page), to the first paint with data
      (berth-painted: the first screenful of task rows), and to the frame
      with every task row and image in the DOM (berth-complete), and the
      task rows and images shown then.

  hold URL SECONDS
      Keeps the dashboard open (polling every second) for SECONDS; prints
      "ready" once it has rendered and settled (3 s), then one JSON line with how many state
      requests the page made and how many were answered 200 (rebuilt).
"""

import hashlib
import http.client
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support"))
import chromium_cdp  # noqa: E402

ECS = "AmazonEC2ContainerServiceV20141113."
ECR = "AmazonEC2ContainerRegistry_V20150921."
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/ecs/aws4_request, "
        "SignedHeaders=host, Signature=0")


class Http:
    """One keep-alive connection to Berth."""

    def __init__(self, url):
        parsed = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)

    def request(self, method, path, body=b"", headers=None):
        self.conn.request(method, path, body=body, headers=headers or {})
        reply = self.conn.getresponse()
        return reply.status, dict(reply.getheaders()), reply.read()

    def api(self, prefix, operation, payload):
        status, _, body = self.request("POST", "/", json.dumps(payload).encode(), {
            "X-Amz-Target": prefix + operation,
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": AUTH})
        if status != 200:
            raise SystemExit("%s -> %d %s" % (operation, status, body[:300]))
        return json.loads(body)


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(client, repository, data):
    status, headers, body = client.request("POST", "/v2/%s/blobs/uploads/" % repository)
    if status != 202:
        raise SystemExit("upload start %d %s" % (status, body[:200]))
    location = headers.get("Location") or headers.get("location")
    separator = "&" if "?" in location else "?"
    status, _, body = client.request("PUT", location + separator + "digest=" + digest(data), data,
                                     {"Content-Type": "application/octet-stream"})
    if status != 201:
        raise SystemExit("upload end %d %s" % (status, body[:200]))


def seed_images(url, repositories, per_repository):
    client = Http(url)
    layer = b"berth dashboard bench layer\n" * 64
    count = 0
    for r in range(repositories):
        name = "bench/images-%03d" % r
        client.api(ECR, "CreateRepository", {"repositoryName": name})
        push_blob(client, name, layer)
        for i in range(per_repository):
            config = json.dumps({"architecture": "amd64", "os": "linux",
                                 "config": {"Env": ["IMAGE=%d-%d" % (r, i)]},
                                 "rootfs": {"type": "layers", "diff_ids": [digest(layer)]}}).encode()
            push_blob(client, name, config)
            manifest = json.dumps({
                "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": digest(config), "size": len(config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                            "digest": digest(layer), "size": len(layer)}]}).encode()
            status, _, body = client.request(
                "PUT", "/v2/%s/manifests/v%d" % (name, i), manifest,
                {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
            if status != 201:
                raise SystemExit("manifest %d %s" % (status, body[:200]))
            count += 1
    print(count)


PAINTED = "document.body && document.body.dataset.painted === '1'"
COMPLETE = "document.body && document.body.dataset.complete === '1'"
SETTLE_SECONDS = 3
METRICS = """(() => {
  const mark = (n) => { const e = performance.getEntriesByName(n)[0]; return e ? e.startTime : null; };
  return {painted: mark('berth-painted'), rendered: mark('berth-rendered'),
          complete: mark('berth-complete'),
          fcp: mark('first-contentful-paint'),
          rows: document.querySelectorAll('#task-rows [data-task-id]').length,
          images: document.querySelectorAll('#repository-rows tr:not(.repo)').length};
})()"""


def paint(url, rounds, touch_cluster):
    client = Http(url)
    cluster_arn = client.api(ECS, "DescribeClusters", {"clusters": [touch_cluster]})["clusters"][0]["clusterArn"]
    results = []
    with chromium_cdp.Browser() as browser:
        for n in range(rounds):
            client.api(ECS, "TagResource", {"resourceArn": cluster_arn,
                                            "tags": [{"key": "touch", "value": str(time.time())}]})
            page = browser.new_page(1280, 900)
            page.navigate(url)
            page.wait_for(COMPLETE, timeout=60, interval=0.02)
            results.append(page.eval(METRICS))
            page.close()
    print(json.dumps(results))


def hold(url, seconds):
    with chromium_cdp.Browser() as browser:
        page = browser.new_page(1280, 900)
        page.navigate(url)
        page.wait_for(COMPLETE, timeout=60)
        # Loading and drawing the page is over; what is measured is the page
        # sitting open and polling.
        time.sleep(SETTLE_SECONDS)
        page.send("Performance.enable")
        before = page_metrics(page)
        page.eval("performance.clearResourceTimings()")
        print("ready", flush=True)
        time.sleep(seconds)
        after = page_metrics(page)
        polls = page.eval("performance.getEntriesByType('resource')"
                          ".filter((e) => e.name.includes('/api/state')).length")
        rebuilt = page.eval("performance.getEntriesByType('resource')"
                            ".filter((e) => e.name.includes('/api/state') && e.responseStatus === 200).length")
        received = page.eval("performance.getEntriesByType('resource')"
                             ".filter((e) => e.name.includes('/api/state'))"
                             ".reduce((n, e) => n + e.encodedBodySize, 0)")
    # The page's main-thread work while it was held open (script, style,
    # layout), per poll: what the page costs the machine, whatever the noise.
    busy_ms = round((after["TaskDuration"] - before["TaskDuration"]) * 1000, 1)
    print(json.dumps({"polls": polls, "fresh": rebuilt, "bytes": received, "main_thread_ms": busy_ms,
                      "ms_per_poll": round(busy_ms / max(polls, 1), 2)}))


def page_metrics(page):
    return {m["name"]: m["value"] for m in page.send("Performance.getMetrics")["metrics"]}


def main(argv):
    if len(argv) >= 4 and argv[0] == "seed-images":
        seed_images(argv[1], int(argv[2]), int(argv[3]))
    elif len(argv) == 4 and argv[0] == "paint":
        paint(argv[1], int(argv[2]), argv[3])
    elif len(argv) == 3 and argv[0] == "hold":
        hold(argv[1], float(argv[2]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
