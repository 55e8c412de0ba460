// httpbench: a small HTTP/1.1 GET load generator for the benches, built
// static so it runs in a FROM-scratch container joined to a task's network
// namespace. `httpbench <ipv4> <port> <path> <connections> <seconds> [new]`
// sends GETs on `connections` keep-alive connections (or, with `new`, one
// connection per request, as SDK credential fetchers do) for `seconds` and
// prints one JSON line: requests, errors, rps, p50/p99/max in milliseconds.

#define _GNU_SOURCE

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 4000000

static struct sockaddr_in target;
static char request[1024];
static double deadline;
static int fresh_connections;
static double* samples;
static long sample_count;
static long errors;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int Connect(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, (struct sockaddr*)&target, sizeof(target)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads one response (headers with Content-Length, then the body); 0 on
// success.
static int ReadResponse(int fd, int* status) {
  static __thread char buffer[1 << 16];
  size_t have = 0;
  char* end = NULL;
  while (end == NULL) {
    ssize_t n = read(fd, buffer + have, sizeof(buffer) - 1 - have);
    if (n <= 0) return -1;
    have += (size_t)n;
    buffer[have] = 0;
    end = strstr(buffer, "\r\n\r\n");
    if (end == NULL && have >= sizeof(buffer) - 1) return -1;
  }
  *status = atoi(buffer + 9);
  const char* length_field = strcasestr(buffer, "\r\ncontent-length:");
  long length = length_field ? atol(length_field + 17) : 0;
  size_t body = have - (size_t)(end + 4 - buffer);
  while ((long)body < length) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) return -1;
    body += (size_t)n;
  }
  return 0;
}

static void* Worker(void* unused) {
  (void)unused;
  int fd = -1;
  double local[4096];
  int count = 0;
  long local_errors = 0;
  while (Now() < deadline) {
    const double started = Now();
    if (fd < 0) fd = Connect();
    int status = 0;
    if (fd < 0 || write(fd, request, strlen(request)) <= 0 || ReadResponse(fd, &status) != 0 ||
        status != 200) {
      ++local_errors;
      if (fd >= 0) close(fd);
      fd = -1;
      continue;
    }
    local[count++] = (Now() - started) * 1000.0;
    if (fresh_connections) {
      close(fd);
      fd = -1;
    }
    if (count == 4096) {
      pthread_mutex_lock(&lock);
      for (int i = 0; i < count && sample_count < MAX_SAMPLES; ++i) samples[sample_count++] = local[i];
      pthread_mutex_unlock(&lock);
      count = 0;
    }
  }
  pthread_mutex_lock(&lock);
  for (int i = 0; i < count && sample_count < MAX_SAMPLES; ++i) samples[sample_count++] = local[i];
  errors += local_errors;
  pthread_mutex_unlock(&lock);
  if (fd >= 0) close(fd);
  return NULL;
}

static int Compare(const void* a, const void* b) {
  const double x = *(const double*)a;
  const double y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: httpbench <ipv4> <port> <path> <connections> <seconds> [new]\n");
    return 2;
  }
  target.sin_family = AF_INET;
  target.sin_port = htons((unsigned short)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1) return 2;
  snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", argv[3], argv[1],
           argc > 6 ? "Connection: close\r\n" : "");
  fresh_connections = argc > 6;
  const int connections = atoi(argv[4]);
  const double seconds = atof(argv[5]);
  samples = malloc(sizeof(double) * MAX_SAMPLES);
  const double started = Now();
  deadline = started + seconds;
  pthread_t threads[256];
  for (int i = 0; i < connections && i < 256; ++i) pthread_create(&threads[i], NULL, Worker, NULL);
  for (int i = 0; i < connections && i < 256; ++i) pthread_join(threads[i], NULL);
  const double elapsed = Now() - started;
  qsort(samples, (size_t)sample_count, sizeof(double), Compare);
  const double p50 = sample_count ? samples[sample_count / 2] : 0;
  const double p99 = sample_count ? samples[(long)((double)sample_count * 0.99)] : 0;
  const double max = sample_count ? samples[sample_count - 1] : 0;
  printf("{\"requests\": %ld, \"errors\": %ld, \"rps\": %.0f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, "
         "\"max_ms\": %.3f}\n",
         sample_count, errors, (double)sample_count / elapsed, p50, p99, max);
  return 0;
}
