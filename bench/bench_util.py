#!/usr/bin/env python3
"""Helpers for the bench/*.sh scripts (standard library only).

  call URL OPERATION JSON [--expect PATH=VALUE]... [--expect-len PATH=N]...
       [--region REGION]
      One ECS JSON 1.1 call (signed for REGION, us-east-1 by default). Prints the response body; exits 1 (with the
      status and body on stderr) unless the answer is HTTP 200 and every
      expectation holds. PATH is dotted, with list indices as numbers
      ("clusters.0.clusterName"); VALUE is compared as text.

  deep-token URL POSITION [--max-results N]
      Walks the default ListTaskDefinitions listing (ACTIVE, ASC) page by
      page until POSITION items are consumed and prints the nextToken there
      (a real token, fetched the way a client would). Fails when the listing
      ends before POSITION.

  first-answer --runs N --path PATH -- COMMAND...
      Starts COMMAND N times, each with a fresh temporary directory, and
      measures exec -> first HTTP 200 to GET PATH, polling with a tight
      connect loop (this process is already running, so its own start-up is
      not measured). "{port}" and "{dir}" in COMMAND are replaced by a free
      loopback port and the fresh directory. Prints one line per run and a
      final "FIRST_ANSWER median_ms=... min_ms=... max_ms=... runs=N".

  run-until URL CLUSTER RUN_TASK_JSON [--status RUNNING] [--timeout S]
      RunTask, then DescribeTasks on one keep-alive connection (10 ms apart)
      until the task's lastStatus is --status; prints "<ms> <taskArn>", the
      milliseconds from sending RunTask to the answer showing that status.
      Fails when the task reaches STOPPED first or the timeout passes.

  perf-categories SCRIPT_TXT [--cpu-us N]
      Reads `perf script` output (call-graph samples of Berth) and splits the
      samples into exclusive categories along Berth's request path (SQLite
      compile / execute / commit, JSON, HTTP, kernel socket work, ...); with
      --cpu-us (CPU time per request) also prints each category in us.
"""

import argparse
import collections
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time

ECS_PREFIX = "AmazonEC2ContainerServiceV20141113."


def auth(region):
    """The Authorization header: signatures are not checked, the scope picks the region."""
    return (f"AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/{region}/ecs/aws4_request, "
            "SignedHeaders=host, Signature=0")


class Client:
    """A keep-alive ECS JSON 1.1 client."""

    def __init__(self, url, region="us-east-1"):
        self.auth = auth(region)
        if not url.startswith("http://"):
            raise SystemExit(f"not an http:// URL: {url}")
        host, _, port = url[len("http://"):].rstrip("/").partition(":")
        self.conn = http.client.HTTPConnection(host, int(port or 80), timeout=30)

    def call(self, operation, body):
        data = body if isinstance(body, str) else json.dumps(body)
        self.conn.request("POST", "/", body=data.encode(), headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": ECS_PREFIX + operation,
            "Authorization": self.auth,
        })
        res = self.conn.getresponse()
        return res.status, res.read().decode("utf-8", "replace")


def lookup(document, path):
    value = document
    for part in path.split("."):
        if isinstance(value, list):
            value = value[int(part)]
        else:
            value = value[part]
    return value


def cmd_call(args):
    status, body = Client(args.url, args.region).call(args.operation, args.json)
    problems = []
    if status != 200:
        problems.append(f"HTTP {status}")
    else:
        try:
            document = json.loads(body)
        except ValueError:
            document = None
            problems.append("the body is not JSON")
        for spec in args.expect if document is not None else []:
            path, _, want = spec.partition("=")
            try:
                got = lookup(document, path)
            except (KeyError, IndexError, ValueError, TypeError):
                problems.append(f"{path} is missing")
                continue
            if str(got) != want:
                problems.append(f"{path} is {got!r}, expected {want!r}")
        for spec in args.expect_len if document is not None else []:
            path, _, want = spec.partition("=")
            try:
                got = len(lookup(document, path))
            except (KeyError, IndexError, ValueError, TypeError):
                problems.append(f"{path} is missing")
                continue
            if got != int(want):
                problems.append(f"{path} has {got} items, expected {want}")
    if problems:
        print(f"{args.operation} at {args.url}: {'; '.join(problems)}\n{body[:2000]}",
              file=sys.stderr)
        return 1
    print(body)
    return 0


def cmd_deep_token(args):
    client = Client(args.url)
    consumed, token = 0, None
    while consumed < args.position:
        request = {"maxResults": min(args.max_results, args.position - consumed)}
        if token:
            request["nextToken"] = token
        status, body = client.call("ListTaskDefinitions", request)
        if status != 200:
            print(f"ListTaskDefinitions: HTTP {status}: {body[:500]}", file=sys.stderr)
            return 1
        page = json.loads(body)
        consumed += len(page["taskDefinitionArns"])
        token = page.get("nextToken")
        if not token:
            print(f"the listing ended after {consumed} items, before {args.position}",
                  file=sys.stderr)
            return 1
    print(token)
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_answer_once(template, path, timeout_s):
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="berth-bench-start.")
    argv = [a.replace("{port}", str(port)).replace("{dir}", workdir) for a in template]
    program = shutil.which(argv[0]) or argv[0]
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Connection: close\r\n\r\n").encode()
    devnull = os.open(os.devnull, os.O_RDWR)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
               (os.POSIX_SPAWN_DUP2, devnull, 2)]
    started = time.perf_counter_ns()
    pid = os.posix_spawn(program, argv, os.environ, file_actions=actions)
    try:
        deadline = started + int(timeout_s * 1e9)
        while True:
            if time.perf_counter_ns() > deadline:
                raise RuntimeError(f"no 200 from {argv} within {timeout_s} s")
            s = socket.socket()
            try:
                s.connect(("127.0.0.1", port))
            except (ConnectionRefusedError, ConnectionResetError):
                s.close()
                continue  # tight loop: the server is not listening yet
            try:
                s.settimeout(max(0.1, (deadline - time.perf_counter_ns()) / 1e9))
                s.sendall(request)
                head = b""
                while b"\r\n" not in head:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    head += chunk
            except OSError:
                head = b""
            finally:
                s.close()
            if head.startswith(b"HTTP/1.") and head[9:12] == b"200":
                return (time.perf_counter_ns() - started) / 1e6
    finally:
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
        os.close(devnull)
        shutil.rmtree(workdir, ignore_errors=True)


def cmd_first_answer(args):
    template = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not template:
        raise SystemExit("first-answer: no command")
    times = []
    for run in range(args.runs):
        ms = first_answer_once(template, args.path, args.timeout)
        times.append(ms)
        print(f"run {run + 1}: {ms:.2f} ms", file=sys.stderr)
    print(f"FIRST_ANSWER median_ms={statistics.median(times):.2f} min_ms={min(times):.2f} "
          f"max_ms={max(times):.2f} runs={len(times)}")
    return 0


def _any(stack, *needles):
    return any(n in frame for frame in stack for n in needles)


# First match wins: a sample counts once, under the most specific category.
PERF_CATEGORIES = [
    (lambda s: _any(s, "Tx::Commit"), "SQLite COMMIT (WAL append)"),
    (lambda s: _any(s, "Tx::Tx"), "SQLite BEGIN IMMEDIATE"),
    (lambda s: _any(s, "sqlite3_prepare", "Stmt::Stmt"), "SQLite compile (sqlite3_prepare_v2)"),
    (lambda s: _any(s, "sqlite3_finalize"), "SQLite finalize"),
    (lambda s: _any(s, "sqlite3", "Stmt::"), "SQLite execute (step, bind, column, file locks)"),
    (lambda s: _any(s, "crypto::Uuid"), "request id (crypto::Uuid)"),
    (lambda s: _any(s, "NormaliseTaskDefinition"), "NormaliseTaskDefinition"),
    (lambda s: _any(s, "ServedDocument"), "ServedDocument (re-parses the stored JSON)"),
    (lambda s: _any(s, "model::ValidateInput", "PruneToShape"), "model validation + pruning"),
    (lambda s: _any(s, "EcsApi::Invoke", "EcrApi::Invoke"),
     "service handler, other (JSON DOM, ARNs, copies)"),
    (lambda s: _any(s, "Dispatcher::") and _any(s, "dump", "serializer"), "response json::dump"),
    (lambda s: _any(s, "Dispatcher::") and _any(s, "parser", "lexer"), "request json::parse"),
    (lambda s: _any(s, "Dispatcher::"), "dispatcher, other"),
    (lambda s: _any(s, "sendmsg", "writev", "sys_write"),
     "socket send (kernel loopback TCP, incl. delivery to the client)"),
    (lambda s: _any(s, "recvmsg", "readv", "sys_read"), "socket receive"),
    (lambda s: _any(s, "epoll_wait"), "epoll_wait"),
    (lambda s: _any(s, "futex"), "futex (thread hand-off, mutex)"),
    (lambda s: _any(s, "Session", "beast::"), "HTTP: Beast parse/serialize, coroutine, asio"),
    (lambda s: _any(s, "schedule", "finish_task_switch"), "kernel scheduling"),
    (lambda s: _any(s, "tcp_", "ip_", "net_rx", "sock_"), "kernel TCP, other"),
    (lambda s: _any(s, "boost::asio"), "asio scheduler"),
    (lambda s: True, "other"),
]


def cmd_perf_categories(args):
    stacks, current = [], []
    with open(args.script, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                if current:
                    stacks.append(current)
                    current = []
            elif line[0] in " \t":
                parts = line.strip().split(None, 1)
                current.append(parts[1] if len(parts) > 1 else "")
    if current:
        stacks.append(current)
    if not stacks:
        print("no samples")
        return 1
    counts = collections.Counter()
    for stack in stacks:
        for matches, label in PERF_CATEGORIES:
            if matches(stack):
                counts[label] += 1
                break
    total = len(stacks)
    print(f"{total} samples" + (f", {args.cpu_us:.0f} us CPU per request" if args.cpu_us else ""))
    for label, count in counts.most_common():
        share = count / total
        us = f"{share * args.cpu_us:6.1f} us  " if args.cpu_us else ""
        print(f"  {100 * share:5.1f}%  {us}{label}")
    return 0


def cmd_run_until(args):
    client = Client(args.url)
    start = time.monotonic()
    status, body = client.call("RunTask", args.json)
    if status != 200:
        print(f"RunTask: HTTP {status} {body}", file=sys.stderr)
        return 1
    arn = json.loads(body)["tasks"][0]["taskArn"]
    deadline = start + args.timeout
    while time.monotonic() < deadline:
        status, body = client.call("DescribeTasks", {"cluster": args.cluster, "tasks": [arn]})
        last = json.loads(body)["tasks"][0]["lastStatus"] if status == 200 else None
        if last == args.status:
            print(f"{(time.monotonic() - start) * 1000:.0f} {arn}")
            return 0
        if last == "STOPPED":
            print(f"task {arn} stopped: {body}", file=sys.stderr)
            return 1
        time.sleep(0.01)
    print(f"task {arn} not {args.status} within {args.timeout} s", file=sys.stderr)
    return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command_name", required=True)
    p = sub.add_parser("call")
    p.add_argument("url")
    p.add_argument("operation")
    p.add_argument("json")
    p.add_argument("--expect", action="append", default=[])
    p.add_argument("--expect-len", action="append", default=[])
    p.add_argument("--region", default="us-east-1")
    p.set_defaults(func=cmd_call)
    p = sub.add_parser("deep-token")
    p.add_argument("url")
    p.add_argument("position", type=int)
    p.add_argument("--max-results", type=int, default=100)
    p.set_defaults(func=cmd_deep_token)
    p = sub.add_parser("first-answer")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--path", default="/_berth/health")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_first_answer)
    p = sub.add_parser("run-until")
    p.add_argument("url")
    p.add_argument("cluster")
    p.add_argument("json")
    p.add_argument("--status", default="RUNNING")
    p.add_argument("--timeout", type=float, default=120.0)
    p.set_defaults(func=cmd_run_until)
    p = sub.add_parser("perf-categories")
    p.add_argument("script")
    p.add_argument("--cpu-us", type=float, default=0.0)
    p.set_defaults(func=cmd_perf_categories)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
