// The event-stream encoder and the body of event-stream outputs: what is
// encoded decodes back (lengths, both CRCs, string headers, payload), and the
// body starts with the initial-response botocore waits for.

#include "server/aws/event_stream.h"

#include <gtest/gtest.h>

#include "server/aws/event_stream_body.h"
#include "tests/support/event_stream_reader.h"

namespace berth::aws {
namespace {

using berth::testing::DecodeEventStream;
using nlohmann::json;

TEST(Crc32Test, MatchesTheStandardCheckValues) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
  // Continuing from an earlier CRC gives the CRC of the whole.
  EXPECT_EQ(Crc32("6789", Crc32("12345")), 0xCBF43926u);
}

TEST(EventStreamTest, EncodesAMessageThatDecodesBack) {
  // Given headers and a payload
  const std::string encoded =
      EncodeEventStreamMessage({{":message-type", "event"}, {":event-type", "x"}}, "hello");
  // Then the prelude holds the lengths: 12 + headers + 5 + 4
  const size_t headers = (1 + 13 + 1 + 2 + 5) + (1 + 11 + 1 + 2 + 1);
  EXPECT_EQ(encoded.size(), 12 + headers + 5 + 4);
  size_t consumed = 0;
  const auto messages = DecodeEventStream(encoded, &consumed);
  EXPECT_EQ(consumed, encoded.size());
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].Header(":message-type"), "event");
  EXPECT_EQ(messages[0].Header(":event-type"), "x");
  EXPECT_EQ(messages[0].payload, "hello");
}

TEST(EventStreamTest, EmptyPayloadAndNoHeadersIsSixteenBytes) {
  const std::string encoded = EncodeEventStreamMessage({}, "");
  EXPECT_EQ(encoded.size(), 16u);
  const auto messages = DecodeEventStream(encoded);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].headers.empty());
  EXPECT_TRUE(messages[0].payload.empty());
}

TEST(EventStreamTest, AnyCorruptedByteIsCaughtByACrc) {
  const std::string encoded = EncodeEventStreamMessage({{"a", "b"}}, R"({"k":1})");
  for (size_t i = 0; i < encoded.size(); ++i) {
    std::string corrupt = encoded;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x01);
    EXPECT_ANY_THROW(DecodeEventStream(corrupt)) << "byte " << i;
  }
}

TEST(EventStreamTest, BinaryAndLongPayloadsSurvive) {
  std::string payload(70'000, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
  const auto messages = DecodeEventStream(EncodeEventStreamMessage({{"h", "v"}}, payload));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].payload, payload);
}

TEST(EventStreamTest, RefusesHeadersTooLongForTheFormat) {
  EXPECT_THROW(EncodeEventStreamMessage({{std::string(256, 'n'), "v"}}, ""), std::length_error);
  EXPECT_THROW(EncodeEventStreamMessage({{"n", std::string(65'536, 'v')}}, ""), std::length_error);
  EXPECT_NO_THROW(
      EncodeEventStreamMessage({{std::string(255, 'n'), std::string(65'535, 'v')}}, ""));
}

TEST(EventStreamTest, EventsAndExceptionsCarryTheJsonProtocolHeaders) {
  const auto event = DecodeEventStream(
      EncodeStreamEvent({StreamEvent::Kind::kEvent, "sessionUpdate", json{{"n", "é"}}}));
  ASSERT_EQ(event.size(), 1u);
  EXPECT_EQ(event[0].headers,
            (std::map<std::string, std::string>{{":message-type", "event"},
                                                {":event-type", "sessionUpdate"},
                                                {":content-type", "application/json"}}));
  EXPECT_EQ(event[0].payload, R"({"n":"é"})");

  const auto exception = DecodeEventStream(EncodeStreamEvent(
      {StreamEvent::Kind::kException, "SessionTimeoutException", json{{"message", "over"}}}));
  ASSERT_EQ(exception.size(), 1u);
  EXPECT_EQ(exception[0].headers,
            (std::map<std::string, std::string>{{":message-type", "exception"},
                                                {":exception-type", "SessionTimeoutException"},
                                                {":content-type", "application/json"}}));
  EXPECT_EQ(exception[0].Json(), json({{"message", "over"}}));
}

// An EventSource that plays back a script of batches.
class ScriptedSource final : public EventSource {
 public:
  explicit ScriptedSource(std::vector<Batch> script) : script_(std::move(script)) {}
  Batch Poll() override {
    Batch next = std::move(script_.at(polls_));
    ++polls_;
    return next;
  }
  std::vector<StreamEvent> Shutdown() override {
    return {{StreamEvent::Kind::kException, "Gone", json{{"message", "bye"}}}};
  }

 private:
  std::vector<Batch> script_;
  size_t polls_ = 0;
};

StreamEvent Event(const std::string& type, json payload = json::object()) {
  return {StreamEvent::Kind::kEvent, type, std::move(payload)};
}

TEST(EventStreamBodyTest, SendsTheInitialResponseFirstThenTheSourceEvents) {
  std::vector<EventSource::Batch> script(3);
  script[0].events = {Event("start", {{"id", 1}})};
  script[0].next_in = std::chrono::milliseconds(250);
  script[1].next_in = std::chrono::milliseconds(1000);  // nothing this time
  script[2].events = {Event("update", {{"n", 2}}), Event("update", {{"n", 3}})};
  script[2].done = true;
  EventStreamBody body(std::make_unique<ScriptedSource>(std::move(script)));

  // The first piece: initial-response ({}), then the source's first event.
  auto piece = body.Next();
  EXPECT_FALSE(piece.last);
  EXPECT_EQ(piece.next_in, std::chrono::milliseconds(250));
  auto messages = DecodeEventStream(piece.bytes);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].Header(":event-type"), "initial-response");
  EXPECT_EQ(messages[0].Header(":message-type"), "event");
  EXPECT_EQ(messages[0].payload, "{}");
  EXPECT_EQ(messages[1].Header(":event-type"), "start");
  EXPECT_EQ(messages[1].Json(), json({{"id", 1}}));

  // An empty batch is an empty piece.
  piece = body.Next();
  EXPECT_TRUE(piece.bytes.empty());
  EXPECT_FALSE(piece.last);

  piece = body.Next();
  EXPECT_TRUE(piece.last);
  messages = DecodeEventStream(piece.bytes);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].Json(), json({{"n", 3}}));
}

TEST(EventStreamBodyTest, StoppingSendsTheSourceShutdownEvents) {
  EventStreamBody started(std::make_unique<ScriptedSource>(std::vector<EventSource::Batch>(1)));
  started.Next();
  auto messages = DecodeEventStream(started.Stop());
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].Header(":exception-type"), "Gone");

  // Stopped before anything was sent: the initial-response still comes first.
  EventStreamBody fresh(std::make_unique<ScriptedSource>(std::vector<EventSource::Batch>{}));
  messages = DecodeEventStream(fresh.Stop());
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].Header(":event-type"), "initial-response");
  EXPECT_EQ(messages[1].Header(":exception-type"), "Gone");
}

}  // namespace
}  // namespace berth::aws
