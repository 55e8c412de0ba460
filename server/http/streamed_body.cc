#include "server/http/streamed_body.h"

#include <array>
#include <cerrno>
#include <exception>
#include <string>
#include <sys/socket.h>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include "server/http/asio_names.h"
#include "server/util/log.h"

namespace berth::http {
namespace {

BodyProducer::Piece NextPiece(BodyProducer& producer) {
  try {
    return producer.Next();
  } catch (const std::exception& e) {  // a broken producer ends its body
    log::Error(std::string("streamed body failed: ") + e.what());
    return {{}, true, {}};
  }
}

std::string LastBytes(BodyProducer& producer) {
  try {
    return producer.Stop();
  } catch (const std::exception& e) {
    log::Error(std::string("streamed body failed to stop: ") + e.what());
    return {};
  }
}

// Writes one piece of the body: a chunk (HTTP/1.1) or the bytes as they are
// (HTTP/1.0). An empty piece writes nothing (an empty chunk would end the
// body). False when the connection failed.
asio::awaitable<bool> WritePiece(beast::tcp_stream& stream, const std::string& bytes, bool chunked,
                                 std::chrono::seconds timeout) {
  if (bytes.empty()) co_return true;
  stream.expires_after(timeout);
  if (chunked) {
    auto [ec, n] = co_await asio::async_write(
        stream, bhttp::make_chunk(asio::buffer(bytes.data(), bytes.size())), kNoThrow);
    (void)n;
    co_return !ec;
  }
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), kNoThrow);
  (void)n;
  co_return !ec;
}

asio::awaitable<bool> WriteLastChunk(beast::tcp_stream& stream, bool chunked,
                                     std::chrono::seconds timeout) {
  if (!chunked) co_return true;
  stream.expires_after(timeout);
  auto [ec, n] = co_await asio::async_write(stream, bhttp::make_chunk_last(), kNoThrow);
  (void)n;
  co_return !ec;
}

// Waits `wait`, or less when the server stops the stream or the client sends
// something. True when the client has gone (closed or reset the connection);
// stray bytes it sends are read and dropped.
asio::awaitable<bool> WaitOrDisconnect(beast::tcp_stream& stream, OpenStream& open,
                                       std::chrono::milliseconds wait) {
  // The server may have asked to stop while the last piece was being written
  // (its timer cancel found nothing to cancel then).
  if (open.stopping) co_return false;
  stream.expires_never();
  open.timer.expires_after(wait);
  auto& socket = stream.socket();
  auto [order, timer_ec, wait_ec] =
      co_await asio::experimental::make_parallel_group(
          open.timer.async_wait(asio::deferred),
          socket.async_wait(tcp::socket::wait_read, asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  (void)timer_ec;
  if (order[0] == 0) co_return false;  // the time is up, or the server is stopping
  if (wait_ec) co_return true;
  // Readable: the client's close, stray bytes, or nothing at all (with
  // several threads on an edge-triggered epoll, a readiness event can arrive
  // after the bytes it announced were read already). Only a read says which.
  std::array<char, 4096> scratch{};
  const ssize_t n = ::recv(socket.native_handle(), scratch.data(), scratch.size(), MSG_DONTWAIT);
  if (n > 0) co_return false;  // dropped
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) co_return false;
  co_return true;  // end of stream, or an error such as a reset
}

// Sends the producer's pieces until one is the last, the client goes or the
// server stops; says which.
asio::awaitable<const char*> Pump(beast::tcp_stream& stream, BodyProducer& producer,
                                  OpenStream& open, bool chunked, std::chrono::seconds timeout) {
  for (;;) {
    if (open.stopping) {
      const bool sent = co_await WritePiece(stream, LastBytes(producer), chunked, timeout) &&
                        co_await WriteLastChunk(stream, chunked, timeout);
      co_return sent ? "server stopping" : "client gone";
    }
    const BodyProducer::Piece piece = NextPiece(producer);
    if (!co_await WritePiece(stream, piece.bytes, chunked, timeout)) co_return "client gone";
    if (piece.last) {
      co_return co_await WriteLastChunk(stream, chunked, timeout) ? "finished" : "client gone";
    }
    if (co_await WaitOrDisconnect(stream, open, piece.next_in)) co_return "client closed";
  }
}

}  // namespace

std::shared_ptr<OpenStream> OpenStreams::Open(const asio::any_io_executor& executor) {
  auto stream = std::make_shared<OpenStream>(executor);
  std::lock_guard lock(mutex_);
  if (stopping_) {
    stream->stopping = true;
  } else {
    open_.insert(stream);
  }
  return stream;
}

void OpenStreams::Close(const std::shared_ptr<OpenStream>& stream) {
  std::function<void()> drained;
  {
    std::lock_guard lock(mutex_);
    if (open_.erase(stream) == 0 || !stopping_ || !open_.empty()) return;
    drained = std::move(drained_);
  }
  if (drained) drained();
}

void OpenStreams::StopAll(std::function<void()> drained) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (!open_.empty()) {
      drained_ = std::move(drained);
      for (const auto& stream : open_) {
        // On the stream's own strand: it may be between a check and a wait.
        asio::post(stream->timer.get_executor(), [stream] {
          stream->stopping = true;
          stream->timer.cancel();
        });
      }
      return;
    }
  }
  drained();
}

asio::awaitable<const char*> WriteStreamedBody(beast::tcp_stream& stream, Response& res,
                                               unsigned version, OpenStreams& streams,
                                               std::chrono::seconds write_timeout) {
  const std::shared_ptr<BodyProducer> producer = std::move(res.producer);
  const bool chunked = version >= 11;
  bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(res.status), version};
  for (const auto& [name, value] : res.headers.fields()) head.insert(name, value);
  head.keep_alive(false);
  if (chunked) head.chunked(true);

  const std::shared_ptr<OpenStream> open = streams.Open(stream.get_executor());
  bhttp::response_serializer<bhttp::empty_body> serializer(head);
  stream.expires_after(write_timeout);
  auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, kNoThrow);
  (void)n;
  const char* ending = "client gone";
  if (!ec) ending = co_await Pump(stream, *producer, *open, chunked, write_timeout);
  streams.Close(open);
  co_return ending;
}

}  // namespace berth::http
