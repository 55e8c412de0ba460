#include "server/aws/event_stream_body.h"

namespace berth::aws {
namespace {

std::string Encode(const std::vector<StreamEvent>& events) {
  std::string out;
  for (const auto& event : events) out += EncodeStreamEvent(event);
  return out;
}

}  // namespace

http::BodyProducer::Piece EventStreamBody::Next() {
  Piece piece;
  if (!started_) {
    started_ = true;
    piece.bytes = EncodeStreamEvent({StreamEvent::Kind::kEvent, "initial-response"});
  }
  EventSource::Batch batch = source_->Poll();
  piece.bytes += Encode(batch.events);
  piece.last = batch.done;
  piece.next_in = batch.next_in;
  return piece;
}

std::string EventStreamBody::Stop() {
  std::string out;
  if (!started_) {
    started_ = true;
    out = EncodeStreamEvent({StreamEvent::Kind::kEvent, "initial-response"});
  }
  return out + Encode(source_->Shutdown());
}

}  // namespace berth::aws
