-- wrk script: sends one AWS JSON 1.1 request over and over and counts the
-- answers that are not 2xx (a load against an error path measures nothing).
--
-- Environment: BENCH_TARGET (the X-Amz-Target value), BENCH_BODY (the JSON
-- body, "{}" when unset), BENCH_AUTH (the Authorization header).
-- At the end it prints one line:
--   BENCH requests=N duration_us=N rps=N responses=N non2xx=N connect_errors=N
--         read_errors=N write_errors=N timeouts=N p50_us=N p90_us=N p99_us=N
--         mean_us=N first_bad_status=N

wrk.method = "POST"
wrk.path = "/"
wrk.body = os.getenv("BENCH_BODY") or "{}"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = os.getenv("BENCH_TARGET") or ""
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH") or ""

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- Per-thread counters (globals, so done() can read them with thread:get).
responses = 0
non2xx = 0
first_bad_status = 0

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad_status == 0 then first_bad_status = status end
  end
end

function done(summary, latency, requests)
  local seen, bad, first_bad = 0, 0, 0
  for _, thread in ipairs(threads) do
    seen = seen + thread:get("responses")
    bad = bad + thread:get("non2xx")
    local status = thread:get("first_bad_status")
    if first_bad == 0 and status ~= 0 then first_bad = status end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f responses=%d non2xx=%d connect_errors=%d " ..
    "read_errors=%d write_errors=%d timeouts=%d p50_us=%d p90_us=%d p99_us=%d mean_us=%d " ..
    "first_bad_status=%d\n",
    summary.requests, summary.duration, summary.requests / seconds, seen, bad, e.connect,
    e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, first_bad))
end
