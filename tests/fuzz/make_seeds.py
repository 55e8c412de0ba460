#!/usr/bin/env python3
"""Rebuilds the fuzz seed corpora (tests/fuzz/corpus/<target>/) from the tests.

Runs the in-process API and registry unit tests with BERTH_FUZZ_SEEDS set, so
that every request they send (and every manifest and policy document in them)
is written out in the fuzz targets' input formats; derives raw HTTP requests
for fuzz_http from those; adds hand-written inputs the tests do not send
(SigV4 headers, HTTP smuggling and pipelining); then lets each fuzz target
keep only the inputs that add coverage (libFuzzer -merge=1).

  tests/fuzz/make_seeds.py BUILD_DIR     (a build configured with -DBERTH_FUZZ=ON)
"""

import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_SEED_BYTES = 16 * 1024
TARGETS = ["fuzz_aws_request", "fuzz_registry", "fuzz_http", "fuzz_documents", "fuzz_sigv4"]

SIGV4 = [
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261205/us-east-1/ecr/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
    "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
    "AWS4-HMAC-SHA256 Credential=123456789012/20261205/eu-west-3/ecs/aws4_request,"
    "SignedHeaders=host;x-amz-date,Signature=00",
    "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261205/us-gov-west-1/logs/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=ab",
    "AWS4-HMAC-SHA256 Credential=//us-east-1//aws4_request",
    "Basic QVdTOnRva2Vu",
    "AWS4-HMAC-SHA256 Credential=AKID/20261205/us-east-1/ecr/aws4_request/extra",
]

HTTP_EXTRA = [
    # Content-Length and Transfer-Encoding together (request smuggling).
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"0\r\n\r\nGET /_berth/health HTTP/1.1\r\nHost: x\r\n\r\n",
    # Two Content-Lengths.
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    # Pipelined requests.
    b"GET /_berth/health HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n"
    b"HEAD /_berth/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    # Chunked upload body.
    b"POST /v2/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n0\r\n\r\n",
    # Traversal attempts.
    b"GET /v2/../../etc/passwd/manifests/latest HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /_berth/ui/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    b"PATCH /v2/app/blobs/uploads/..%2F..%2Fx HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na",
    # An HTTP/1.0 request and a bare line.
    b"GET / HTTP/1.0\r\n\r\n",
    b"GARBAGE\r\n\r\n",
]

# util::CompactJson against nlohmann's dump (fuzz_documents "json"): escapes,
# control characters, UTF-8, invalid bytes, numbers of every kind.
JSON_EXTRA = [
    b'json\n{"a":"caf\xc3\xa9 \\n \\u0001 \\/","b":[1,-2,3.5e10,18446744073709551615,true,null],'
    b'"c":{"z":"\\"q\\"","y":"\\\\ \\t\\b\\f\\r"}}',
    b'json\nbad \xff\xfe bytes, "quotes", \\ and \x01 \x7f',
    b'json\n["0123456789abcdef0123456789abcdef", "0123456\\"89abcdef", -0.0, 1e-300, {}]',
]


def write(folder, data):
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def http_from_aws(text):
    target, _, body = text.partition(b"\n")
    return (b"POST / HTTP/1.1\r\nHost: localhost:4566\r\nX-Amz-Target: " + target +
            b"\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: " +
            str(len(body)).encode() + b"\r\n\r\n" + body)


def http_from_registry(text):
    head, _, body = text.partition(b"\n\n")
    lines = head.split(b"\n")
    out = lines[0] + b" HTTP/1.1\r\nHost: localhost:4566\r\n"
    for line in lines[1:]:
        out += line + b"\r\n"
    return out + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


def main():
    build = os.path.abspath(sys.argv[1])
    raw = tempfile.mkdtemp(prefix="berth-seeds-")
    env = dict(os.environ, BERTH_FUZZ_SEEDS=raw, ASAN_OPTIONS="detect_leaks=0")
    for binary in ("api_tests", "registry_tests"):
        subprocess.run([os.path.join(build, "tests", binary)], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    rng = random.Random(1)
    for source, convert in (("fuzz_aws_request", http_from_aws),
                            ("fuzz_registry", http_from_registry)):
        names = sorted(os.listdir(os.path.join(raw, source)))
        for name in rng.sample(names, min(400, len(names))):
            with open(os.path.join(raw, source, name), "rb") as f:
                write(os.path.join(raw, "fuzz_http"), convert(f.read()))
    for data in HTTP_EXTRA:
        write(os.path.join(raw, "fuzz_http"), data)
    for data in JSON_EXTRA:
        write(os.path.join(raw, "fuzz_documents"), data)
    for header in SIGV4:
        for date in ("20261205T000000Z", "20261205T013320Z", "garbage"):
            write(os.path.join(raw, "fuzz_sigv4"),
                  f"{header}\n{date}\n/?b=2&a=1%20x\n{{\"repositoryName\":\"app\"}}")
    # Inputs past MAX_SEED_BYTES (the tests' oversized bodies) stay out: the
    # corpus lives in the repository, and libFuzzer mutates small inputs
    # faster; the size limits they test are covered by the unit tests.
    for root, _, files in os.walk(raw):
        for name in files:
            path = os.path.join(root, name)
            if os.path.getsize(path) > MAX_SEED_BYTES:
                os.remove(path)
    for target in TARGETS:
        corpus = os.path.join(HERE, "corpus", target)
        os.makedirs(corpus, exist_ok=True)
        merged = tempfile.mkdtemp(prefix="berth-merged-")
        # A seed that crashes the target is a finding, not a seed to drop: the
        # merge writes it to `artifacts`, and the script stops there.
        artifacts = tempfile.mkdtemp(prefix="berth-seed-crashes-")
        subprocess.run([os.path.join(build, "tests", "fuzz", target), "-merge=1",
                        f"-max_len={MAX_SEED_BYTES}", f"-artifact_prefix={artifacts}/",
                        merged, corpus, os.path.join(raw, target)], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.listdir(artifacts):
            sys.exit(f"make_seeds: {target} crashed on seeds from the tests; see {artifacts}")
        shutil.rmtree(artifacts)
        shutil.rmtree(corpus)
        shutil.copytree(merged, corpus)
        shutil.rmtree(merged)
        print(f"{target}: {len(os.listdir(corpus))} seeds")
    shutil.rmtree(raw)


if __name__ == "__main__":
    main()
