// The logs endpoint's body back into Docker's messages (log_stream.h):
// frames and raw TTY text, cut anywhere by the transport, Docker's 16 KiB
// cuts, errors inside the stream, and the timestamps it carries.

#include "docker_backend/log_stream.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "docker_backend/docker_api.h"
#include "tests/fakes/expect_docker_error.h"

namespace berth::docker {
namespace {

constexpr const char* kStamp = "2026-12-04T19:29:02.788926852Z";
constexpr int64_t kStampNanos = 1796412542788926852;

struct Seen {
  int64_t timestamp_ns;
  LogSource source;
  std::string text;
  bool partial;
  bool operator==(const Seen&) const = default;
};

std::string Frame(int stream, const std::string& payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  const auto size = static_cast<uint32_t>(payload.size());
  out[4] = static_cast<char>((size >> 24) & 0xff);
  out[5] = static_cast<char>((size >> 16) & 0xff);
  out[6] = static_cast<char>((size >> 8) & 0xff);
  out[7] = static_cast<char>(size & 0xff);
  return out + payload;
}

// Feeds `body` in pieces of `piece` bytes; returns what was delivered.
std::vector<Seen> Parse(bool tty, const std::string& body, size_t piece) {
  std::vector<Seen> seen;
  const std::function<void(const LogLine&)> on_line = [&seen](const LogLine& l) {
    seen.push_back({l.timestamp_ns, l.source, std::string(l.text), l.partial});
  };
  LogStreamParser parser(tty, on_line);
  for (size_t at = 0; at < body.size(); at += piece) parser.Feed(body.substr(at, piece));
  parser.Finish();
  return seen;
}

TEST(LogStreamTest, ParsesRfc3339TimesToNanoseconds) {
  EXPECT_EQ(ParseRfc3339Nanos("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339Nanos(kStamp), kStampNanos);
  EXPECT_EQ(ParseRfc3339Nanos("2026-12-04T19:29:02.5+01:00"), 1796408942500000000);
  EXPECT_EQ(ParseRfc3339Nanos("1969-12-31T23:59:59Z"), -1000000000);
  EXPECT_EQ(ParseRfc3339Nanos("2026-12-04T19:29:02.1234567891Z"), 1796412542123456789);
  EXPECT_FALSE(ParseRfc3339Nanos("2026-12-04 19:29:02Z"));
  EXPECT_FALSE(ParseRfc3339Nanos("2026-13-04T19:29:02Z"));
  EXPECT_FALSE(ParseRfc3339Nanos("2026-12-04T19:29:02"));
  EXPECT_FALSE(ParseRfc3339Nanos("hello world"));
}

TEST(LogStreamTest, SinceIsSecondsAndNineDigitsOfNanoseconds) {
  EXPECT_EQ(SinceParameter(1795834118076719851), "1795834118.076719851");
  EXPECT_EQ(SinceParameter(5), "0.000000005");
}

TEST(LogStreamTest, FramesBecomeLinesWhereverTheTransportCutsThem) {
  const std::string stamp = std::string(kStamp) + " ";
  const std::string body = Frame(1, stamp + "one\n") + Frame(2, stamp + "two\n") +
                           Frame(1, stamp + "\n") + Frame(1, stamp + "half") +
                           Frame(1, stamp + "rest\n");
  const std::vector<Seen> expected = {{kStampNanos, LogSource::kStdout, "one", false},
                                      {kStampNanos, LogSource::kStderr, "two", false},
                                      {kStampNanos, LogSource::kStdout, "", false},
                                      {kStampNanos, LogSource::kStdout, "half", true},
                                      {kStampNanos, LogSource::kStdout, "rest", false}};
  for (const size_t piece : {size_t{1}, size_t{3}, size_t{8}, size_t{37}, body.size()}) {
    EXPECT_EQ(Parse(false, body, piece), expected) << "in pieces of " << piece;
  }
}

TEST(LogStreamTest, AnErrorFrameIsTheDaemonsMessage) {
  const std::string body = Frame(1, std::string(kStamp) + " fine\n") +
                           Frame(3, "Error grabbing logs: log message is too large\n");
  EXPECT_DOCKER_ERROR(Parse(false, body, 16), 500, "Error grabbing logs: log message is too large");
}

TEST(LogStreamTest, BytesThatAreNotFramesAreRefused) {
  EXPECT_DOCKER_ERROR(Parse(false, std::string(kStamp) + " not framed\n", 64), 500,
                      "the Docker daemon sent a log stream that is not framed");
  EXPECT_DOCKER_ERROR(Parse(false, Frame(1, "cut short").substr(0, 12), 64), 500,
                      "the container's log stream ended inside a frame");
}

TEST(LogStreamTest, RawTtyTextIsSplitAtNewlinesAndAtDockersCuts) {
  // Given a TTY stream: two lines, a 40,000-byte line Docker cut at 16 KiB
  // (each chunk followed directly by the next one's time), a last line
  // without a newline
  const std::string stamp = std::string(kStamp) + " ";
  const std::string chunk(16384, 'x');
  const std::string body = stamp + "out\r\n" + stamp + "err\r\n" + stamp + chunk + stamp + chunk +
                           stamp + std::string(7232, 'y') + "\r\n" + stamp + "last";
  const std::vector<Seen> expected = {
      {kStampNanos, LogSource::kStdout, "out\r", false},
      {kStampNanos, LogSource::kStdout, "err\r", false},
      {kStampNanos, LogSource::kStdout, chunk, true},
      {kStampNanos, LogSource::kStdout, chunk, true},
      {kStampNanos, LogSource::kStdout, std::string(7232, 'y') + "\r", false},
      {kStampNanos, LogSource::kStdout, "last", true}};
  for (const size_t piece : {size_t{1000}, size_t{4096}, size_t{16384}, body.size()}) {
    EXPECT_EQ(Parse(true, body, piece), expected) << "in pieces of " << piece;
  }
}

TEST(LogStreamTest, ALongTtyLineDockerDidNotCutRunsToItsNewline) {
  const std::string line(20000, 'z');
  const std::vector<Seen> seen = Parse(true, std::string(kStamp) + " " + line + "\n", 5000);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].text, line);
  EXPECT_FALSE(seen[0].partial);
}

}  // namespace
}  // namespace berth::docker
