"""Timing helpers for bench/services.sh: ECS services on Berth against the same
containers made directly through the Docker Engine API, from concurrent
clients, in one run.

    service_bench.py berth-until URL OPERATION JSON CLUSTER SERVICE RUNNING [--task-definition SUFFIX]
        Makes the call, then polls DescribeServices until the service is steady
        (one deployment, RUNNING tasks == RUNNING, none pending; its deployment
        running SUFFIX when given). Prints the milliseconds from the call.
    service_bench.py run-tasks-until URL CLUSTER JSON COUNT
        RunTask (JSON, count 10 per call) until COUNT tasks are asked for, then
        polls until the cluster runs them all (besides those it ran before).
        Prints milliseconds.
    service_bench.py replace URL CLUSTER SERVICE
        Kills one RUNNING task's app container (Engine API), then polls until a
        replacement task is RUNNING. Prints milliseconds from the kill.
    service_bench.py raw-start NETWORK PAUSE_IMAGE IMAGE LABEL COUNT CLIENTS
        Creates and starts COUNT (pause + app) pairs, as Berth does for awsvpc
        tasks, from CLIENTS threads. Prints milliseconds, then the ids made.
    service_bench.py raw-roll NETWORK PAUSE_IMAGE IMAGE LABEL COUNT CLIENTS
        The raw work of a rolling update of COUNT tasks: COUNT new pairs made
        and COUNT old pairs stopped and removed, from CLIENTS threads.
"""

import argparse
import http.client
import json
import socket
import sys
import threading
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_util import Client  # noqa: E402

ENGINE = "/v1.41"


class UnixConnection(http.client.HTTPConnection):
    """HTTP over the Docker socket."""

    def __init__(self, path="/var/run/docker.sock"):
        super().__init__("localhost", timeout=60)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def engine(conn, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, ENGINE + path, body=data,
                 headers={"Content-Type": "application/json"} if data else {})
    res = conn.getresponse()
    text = res.read().decode()
    if res.status >= 300:
        raise SystemExit(f"{method} {path}: {res.status} {text}")
    return json.loads(text) if text.strip() else None


def make_pair(conn, network, pause_image, image, label):
    key, _, value = label.partition("=")
    pause = engine(conn, "POST", "/containers/create", {
        "Image": pause_image, "Labels": {key: value}, "ExposedPorts": {"8080/tcp": {}},
        "HostConfig": {"NetworkMode": network,
                       "PortBindings": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}},
    })["Id"]
    engine(conn, "POST", f"/containers/{pause}/start")
    engine(conn, "GET", f"/containers/{pause}/json")
    app = engine(conn, "POST", "/containers/create", {
        "Image": image, "Labels": {key: value},
        "HostConfig": {"NetworkMode": f"container:{pause}"},
    })["Id"]
    engine(conn, "POST", f"/containers/{app}/start")
    engine(conn, "GET", f"/containers/{app}/json")
    return [pause, app]


def remove_pair(conn, pair):
    for cid in reversed(pair):
        engine(conn, "POST", f"/containers/{cid}/kill")
    for cid in reversed(pair):
        engine(conn, "DELETE", f"/containers/{cid}?force=1")


def run_parallel(jobs, clients):
    """Runs the callables `jobs` on `clients` threads, each with its own socket."""
    lock = threading.Lock()
    queue = list(jobs)
    results = []

    def worker():
        conn = UnixConnection()
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            out = job(conn)
            with lock:
                results.append(out)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def cmd_raw_start(args):
    start = time.monotonic()
    pairs = run_parallel([lambda c: make_pair(c, args.network, args.pause, args.image, args.label)
                          for _ in range(args.count)], args.clients)
    print(f"{(time.monotonic() - start) * 1000:.0f}")
    print(" ".join(cid for pair in pairs for cid in pair))
    return 0


def cmd_raw_roll(args):
    old = run_parallel([lambda c: make_pair(c, args.network, args.pause, args.image, args.label)
                        for _ in range(args.count)], args.clients)
    start = time.monotonic()
    jobs = [lambda c: make_pair(c, args.network, args.pause, args.image, args.label)
            for _ in range(args.count)]
    jobs += [lambda c, p=pair: remove_pair(c, p) for pair in old]
    made = run_parallel(jobs, args.clients)
    print(f"{(time.monotonic() - start) * 1000:.0f}")
    print(" ".join(cid for pair in made if pair for cid in pair))
    return 0


def steady(service, running, suffix):
    deployments = service.get("deployments", [])
    return (len(deployments) == 1 and service["runningCount"] == running
            and service["pendingCount"] == 0
            and (not suffix or deployments[0]["taskDefinition"].endswith(suffix)))


def describe(client, cluster, name):
    status, body = client.call("DescribeServices", {"cluster": cluster, "services": [name]})
    if status != 200:
        raise SystemExit(f"DescribeServices: {status} {body}")
    return json.loads(body)["services"][0]


def cmd_berth_until(args):
    client = Client(args.url)
    start = time.monotonic()
    status, body = client.call(args.operation, args.json)
    if status != 200:
        print(f"{args.operation}: HTTP {status} {body}", file=sys.stderr)
        return 1
    deadline = start + args.timeout
    while time.monotonic() < deadline:
        if steady(describe(client, args.cluster, args.service), args.running,
                  args.task_definition):
            print(f"{(time.monotonic() - start) * 1000:.0f}")
            return 0
        time.sleep(0.025)
    print(f"service not steady within {args.timeout} s:"
          f" {json.dumps(describe(client, args.cluster, args.service))[:3000]}", file=sys.stderr)
    return 1


def cmd_run_tasks_until(args):
    client = Client(args.url)
    status, text = client.call("DescribeClusters", {"clusters": [args.cluster]})
    already = json.loads(text)["clusters"][0]["runningTasksCount"]
    start = time.monotonic()
    asked = 0
    while asked < args.count:
        body = json.loads(args.json)
        body["count"] = min(10, args.count - asked)
        status, text = client.call("RunTask", body)
        if status != 200:
            print(f"RunTask: HTTP {status} {text}", file=sys.stderr)
            return 1
        asked += body["count"]
    deadline = start + args.timeout
    while time.monotonic() < deadline:
        status, text = client.call("DescribeClusters", {"clusters": [args.cluster]})
        if json.loads(text)["clusters"][0]["runningTasksCount"] >= already + args.count:
            print(f"{(time.monotonic() - start) * 1000:.0f}")
            return 0
        time.sleep(0.025)
    print(f"not all {args.count} tasks RUNNING within {args.timeout} s", file=sys.stderr)
    return 1


def running_tasks(client, cluster, service):
    status, text = client.call("ListTasks", {"cluster": cluster, "serviceName": service})
    arns = json.loads(text)["taskArns"]
    if not arns:
        return []
    status, text = client.call("DescribeTasks", {"cluster": cluster, "tasks": arns})
    return [t for t in json.loads(text)["tasks"] if t["lastStatus"] == "RUNNING"]


def cmd_replace(args):
    client = Client(args.url)
    before = running_tasks(client, args.cluster, args.service)
    if not before:
        raise SystemExit("no RUNNING task to kill")
    victim = before[0]
    app = next(c for c in victim["containers"] if c.get("runtimeId"))
    engine(UnixConnection(), "POST", f"/containers/{app['runtimeId']}/kill")
    start = time.monotonic()
    deadline = start + args.timeout
    known = {t["taskArn"] for t in before}
    while time.monotonic() < deadline:
        now = running_tasks(client, args.cluster, args.service)
        fresh = [t for t in now if t["taskArn"] not in known]
        if fresh and len(now) == len(before):
            print(f"{(time.monotonic() - start) * 1000:.0f}")
            return 0
        time.sleep(0.025)
    print(f"no replacement RUNNING within {args.timeout} s", file=sys.stderr)
    return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command_name", required=True)
    p = sub.add_parser("berth-until")
    for name in ("url", "operation", "json", "cluster", "service"):
        p.add_argument(name)
    p.add_argument("running", type=int)
    p.add_argument("--task-definition", default="")
    p.add_argument("--timeout", type=float, default=300.0)
    p.set_defaults(func=cmd_berth_until)
    p = sub.add_parser("run-tasks-until")
    for name in ("url", "cluster", "json"):
        p.add_argument(name)
    p.add_argument("count", type=int)
    p.add_argument("--timeout", type=float, default=300.0)
    p.set_defaults(func=cmd_run_tasks_until)
    p = sub.add_parser("replace")
    for name in ("url", "cluster", "service"):
        p.add_argument(name)
    p.add_argument("--timeout", type=float, default=60.0)
    p.set_defaults(func=cmd_replace)
    for name, func in (("raw-start", cmd_raw_start), ("raw-roll", cmd_raw_roll)):
        p = sub.add_parser(name)
        for arg in ("network", "pause", "image", "label"):
            p.add_argument(arg)
        p.add_argument("count", type=int)
        p.add_argument("clients", type=int)
        p.set_defaults(func=func)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
