// rate_bench: an open-loop load generator for one AWS JSON 1.1 request, for
// the write-path bench. wrk sends the next request as soon as the last answer
// is in (a closed loop), so at saturation its percentiles measure the queue
// in front of the server. rate_bench sends at a fixed rate instead, as a
// steady stream of clients would: request i is due at start + i / RATE, on
// whichever of its keep-alive connections is free. A request's latency runs
// from when it was due, not from when it was sent, so a server that stalls
// is charged for every request that waited behind the stall (no coordinated
// omission).
//
//   rate_bench HOST PORT RATE SECONDS CONNECTIONS
//
// Environment, as bench/wrk_ecs.lua: BENCH_TARGET (the X-Amz-Target value),
// BENCH_BODY (the JSON body, "{}" when unset), BENCH_AUTH (Authorization).
// The first second is a warm-up and is not counted. Prints one line in
// wrk_ecs.lua's format (bench/lib.sh's `field` reads it):
//   BENCH requests=N duration_us=N rps=N responses=N non2xx=N connect_errors=N
//         read_errors=N write_errors=N timeouts=N p50_us=N p90_us=N p99_us=N
//         mean_us=N first_bad_status=N max_us=N target_rps=N late=N
// where late counts the requests that found no free connection when due.

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t MicrosSince(Clock::time_point start, Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t - start).count();
}

// One keep-alive connection with at most one request in flight.
struct Connection {
  int fd = -1;
  bool busy = false;
  int64_t due_us = 0;  // when its request in flight was due
  std::string sent;    // what is left to write
  std::string in;      // what has been read of the answer
};

// The parts of an HTTP/1.1 answer the bench needs; complete once the body
// given by Content-Length is in.
struct Answer {
  bool complete = false;
  bool malformed = false;
  int status = 0;
  size_t length = 0;  // header + body
};

Answer Parse(const std::string& in) {
  Answer answer;
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return answer;
  if (in.compare(0, 9, "HTTP/1.1 ") != 0 || in.size() < 12) {
    answer.malformed = true;
    return answer;
  }
  answer.status = std::atoi(in.c_str() + 9);
  size_t body = 0;
  bool has_length = false;
  size_t line = in.find("\r\n");
  while (line < end) {
    const size_t next = in.find("\r\n", line + 2);
    std::string header = in.substr(line + 2, next - line - 2);
    std::transform(header.begin(), header.end(), header.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (header.rfind("content-length:", 0) == 0) {
      body = std::strtoul(header.c_str() + 15, nullptr, 10);
      has_length = true;
    }
    line = next;
  }
  if (!has_length) {
    answer.malformed = true;
    return answer;
  }
  answer.length = end + 4 + body;
  answer.complete = in.size() >= answer.length;
  return answer;
}

int Connect(const sockaddr_in& target) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof(target)) != 0 &&
      errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string Env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

int64_t Percentile(std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: rate_bench HOST PORT RATE SECONDS CONNECTIONS\n");
    return 2;
  }
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1) {
    std::fprintf(stderr, "rate_bench: HOST must be an IPv4 address\n");
    return 2;
  }
  const double rate = std::atof(argv[3]);
  const int seconds = std::atoi(argv[4]);
  const int connection_count = std::atoi(argv[5]);
  if (rate <= 0 || seconds < 2 || connection_count < 1) {
    std::fprintf(stderr, "rate_bench: RATE > 0, SECONDS >= 2, CONNECTIONS >= 1\n");
    return 2;
  }
  const std::string body = Env("BENCH_BODY", "{}");
  std::string request =
      "POST / HTTP/1.1\r\nHost: " + std::string(argv[1]) + ":" + argv[2] +
      "\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: " + Env("BENCH_TARGET", "") +
      "\r\n";
  const std::string auth = Env("BENCH_AUTH", "");
  if (!auth.empty()) request += "Authorization: " + auth + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;

  // Wake-ups on time (the default slack is 50 us).
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  const int epoll = epoll_create1(0);
  std::vector<Connection> connections(static_cast<size_t>(connection_count));
  long connect_errors = 0;
  long read_errors = 0;
  long write_errors = 0;
  for (size_t i = 0; i < connections.size(); ++i) {
    connections[i].fd = Connect(target);
    if (connections[i].fd < 0) {
      ++connect_errors;
      continue;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    epoll_ctl(epoll, EPOLL_CTL_ADD, connections[i].fd, &event);
  }

  const Clock::time_point start = Clock::now();
  const int64_t warm_up_us = 1'000'000;
  const int64_t end_us = static_cast<int64_t>(seconds) * 1'000'000;
  const double interval_us = 1e6 / rate;
  // When request `index` is due, in microseconds from the start.
  const auto due_of = [interval_us](int64_t index) {
    return static_cast<int64_t>(static_cast<double>(index) * interval_us);
  };
  std::vector<int64_t> latencies;
  latencies.reserve(static_cast<size_t>(rate * seconds) + 16);
  std::deque<int64_t> waiting;  // due times of requests no connection was free for
  std::vector<size_t> idle;
  for (size_t i = 0; i < connections.size(); ++i) {
    if (connections[i].fd >= 0) idle.push_back(i);
  }
  int64_t next_index = 0;
  long responses = 0;
  long non2xx = 0;
  long late = 0;
  int first_bad_status = 0;
  int64_t last_answer_us = 0;

  auto send_on = [&](size_t i, int64_t due_us) {
    Connection& c = connections[i];
    c.busy = true;
    c.due_us = due_us;
    c.sent = request;
    const ssize_t n = write(c.fd, c.sent.data(), c.sent.size());
    if (n < 0 && errno != EAGAIN) {
      // The request is lost and the connection is not used again.
      ++write_errors;
      c.sent.clear();
      c.busy = false;
      return;
    }
    c.sent.erase(0, n > 0 ? static_cast<size_t>(n) : 0);
    if (!c.sent.empty()) {
      epoll_event event{};
      event.events = EPOLLIN | EPOLLOUT;
      event.data.u64 = i;
      epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, &event);
    }
  };

  epoll_event events[64];
  for (;;) {
    const int64_t now_us = MicrosSince(start, Clock::now());
    // Every request that is due goes out, or waits for a free connection.
    while (due_of(next_index) <= now_us && due_of(next_index) < end_us) {
      const int64_t due_us = due_of(next_index);
      ++next_index;
      if (!waiting.empty() || idle.empty()) {
        waiting.push_back(due_us);
        ++late;
        continue;
      }
      const size_t i = idle.back();
      idle.pop_back();
      send_on(i, due_us);
    }
    bool in_flight = !waiting.empty();
    for (const Connection& c : connections) in_flight = in_flight || c.busy;
    if (due_of(next_index) >= end_us && !in_flight) break;
    if (now_us > end_us + 10'000'000) break;  // answers still missing 10 s after the end
    // Sleep until the next request is due (or an answer comes), to the
    // microsecond: a millisecond-grained wait would send late and charge the
    // server for it.
    const int64_t until_due_us = due_of(next_index) - MicrosSince(start, Clock::now());
    const int64_t wait_ns = std::clamp<int64_t>(until_due_us, 0, 100'000) * 1000;
    const timespec timeout{wait_ns / 1'000'000'000, wait_ns % 1'000'000'000};
    const int ready = epoll_pwait2(epoll, events, 64, &timeout, nullptr);
    for (int e = 0; e < ready; ++e) {
      const size_t i = events[e].data.u64;
      Connection& c = connections[i];
      if ((events[e].events & EPOLLOUT) != 0 && !c.sent.empty()) {
        const ssize_t n = write(c.fd, c.sent.data(), c.sent.size());
        if (n > 0) c.sent.erase(0, static_cast<size_t>(n));
        if (c.sent.empty()) {
          epoll_event event{};
          event.events = EPOLLIN;
          event.data.u64 = i;
          epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, &event);
        }
      }
      if ((events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) continue;
      char buffer[16384];
      const ssize_t n = read(c.fd, buffer, sizeof(buffer));
      if (n <= 0) {
        if (n < 0 && errno == EAGAIN) continue;
        ++read_errors;
        epoll_ctl(epoll, EPOLL_CTL_DEL, c.fd, nullptr);
        close(c.fd);
        c.fd = -1;
        c.busy = false;
        continue;
      }
      c.in.append(buffer, static_cast<size_t>(n));
      const Answer answer = Parse(c.in);
      if (answer.malformed) {
        ++read_errors;
        c.in.clear();
        c.busy = false;
        continue;
      }
      if (!answer.complete) continue;
      const int64_t done_us = MicrosSince(start, Clock::now());
      c.in.erase(0, answer.length);
      c.busy = false;
      if (c.due_us >= warm_up_us) {
        ++responses;
        last_answer_us = done_us;
        latencies.push_back(done_us - c.due_us);
        if (answer.status < 200 || answer.status > 299) {
          ++non2xx;
          if (first_bad_status == 0) first_bad_status = answer.status;
        }
      }
      if (!waiting.empty()) {
        const int64_t due_us = waiting.front();
        waiting.pop_front();
        send_on(i, due_us);
      } else {
        idle.push_back(i);
      }
    }
  }
  const long unanswered =
      static_cast<long>(waiting.size()) + std::count_if(connections.begin(), connections.end(),
                                                        [](const Connection& c) { return c.busy; });
  std::sort(latencies.begin(), latencies.end());
  int64_t sum = 0;
  for (const int64_t l : latencies) sum += l;
  const int64_t duration_us = std::max<int64_t>(last_answer_us - warm_up_us, 1);
  std::printf(
      "BENCH requests=%ld duration_us=%lld rps=%.1f responses=%ld non2xx=%ld connect_errors=%ld "
      "read_errors=%ld write_errors=%ld timeouts=%ld p50_us=%lld p90_us=%lld p99_us=%lld "
      "mean_us=%lld first_bad_status=%d max_us=%lld target_rps=%.0f late=%ld\n",
      responses, static_cast<long long>(duration_us),
      static_cast<double>(responses) * 1e6 / static_cast<double>(duration_us), responses, non2xx,
      connect_errors, read_errors, write_errors, unanswered,
      static_cast<long long>(Percentile(latencies, 50)),
      static_cast<long long>(Percentile(latencies, 90)),
      static_cast<long long>(Percentile(latencies, 99)),
      static_cast<long long>(latencies.empty() ? 0 : sum / static_cast<int64_t>(latencies.size())),
      first_bad_status, static_cast<long long>(latencies.empty() ? 0 : latencies.back()), rate,
      late);
  return 0;
}
