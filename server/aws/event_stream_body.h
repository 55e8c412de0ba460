#pragma once

// The response body of an operation whose output is an event stream (JSON
// protocol): first the `initial-response` event botocore insists on (payload
// `{}`: Berth's streamed outputs have no other members), then the events an
// EventSource yields, each encoded as event_stream.h describes.
//
// Thread-safety: as http::BodyProducer (one thread at a time).

#include <chrono>
#include <memory>
#include <vector>

#include "server/aws/event_stream.h"
#include "server/http/message.h"

namespace berth::aws {

// What a service serves an event-stream operation with (see
// ServiceApi::OpenEventStream). Called from one thread at a time, possibly
// early (keep your own cadence); must not throw.
class EventSource {
 public:
  virtual ~EventSource() = default;

  struct Batch {
    std::vector<StreamEvent> events;          // may be empty
    bool done = false;                        // the stream ends after `events`
    std::chrono::milliseconds next_in{1000};  // when to poll again
  };
  virtual Batch Poll() = 0;
  // The server is stopping: the last events to send.
  virtual std::vector<StreamEvent> Shutdown() { return {}; }
};

// The http::BodyProducer of an event-stream reply: initial-response, then
// the source's events, encoded.
class EventStreamBody final : public http::BodyProducer {
 public:
  explicit EventStreamBody(std::unique_ptr<EventSource> source) : source_(std::move(source)) {}

  Piece Next() override;
  std::string Stop() override;

 private:
  std::unique_ptr<EventSource> source_;
  bool started_ = false;  // initial-response sent
};

}  // namespace berth::aws
