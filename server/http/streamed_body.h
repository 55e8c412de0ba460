#pragma once

// Internal to server/http: sending a Response whose body comes from a
// BodyProducer (chunked, as it is produced), and the registry of such
// responses that lets the server end them all when it stops.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "server/http/message.h"

namespace berth::http {

// One streamed response in progress: the timer its session waits on between
// pieces, and whether the server asked it to end. Both are touched only on
// the session's executor (a strand).
struct OpenStream {
  explicit OpenStream(const boost::asio::any_io_executor& executor) : timer(executor) {}
  boost::asio::steady_timer timer;
  bool stopping = false;
};

// The streamed responses open on one server. When the server stops, each is
// asked to end (its timer cancelled on its own strand), and `drained` runs
// once the last has ended.
//
// Thread-safety: every member may be called from any thread.
class OpenStreams {
 public:
  OpenStreams() = default;
  OpenStreams(const OpenStreams&) = delete;
  OpenStreams& operator=(const OpenStreams&) = delete;

  // A new stream on `executor`; nullptr once the server is stopping.
  std::shared_ptr<OpenStream> Open(const boost::asio::any_io_executor& executor);
  // The stream has ended (its session is done with it).
  void Close(const std::shared_ptr<OpenStream>& stream);
  // Asks every open stream to end and refuses new ones; calls `drained` when
  // none is left (at once when there are none).
  void StopAll(std::function<void()> drained);

 private:
  std::mutex mutex_;
  std::set<std::shared_ptr<OpenStream>> open_;  // guarded by mutex_
  bool stopping_ = false;                       // guarded by mutex_
  std::function<void()> drained_;               // guarded by mutex_
};

// Sends `res` (whose `producer` is set) on `stream`: the header, then the
// producer's pieces as chunks (HTTP/1.1) or raw until the connection closes
// (HTTP/1.0), until the producer's last piece, the client's disconnect or the
// server's stop. Each write may take up to `write_timeout`. The caller closes
// the connection afterwards. Returns how the body ended, for the log.
boost::asio::awaitable<const char*> WriteStreamedBody(boost::beast::tcp_stream& stream,
                                                      Response& res, unsigned version,
                                                      OpenStreams& streams,
                                                      std::chrono::seconds write_timeout);

}  // namespace berth::http
