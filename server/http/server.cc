#include "server/http/server.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/sendfile.h>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "server/http/asio_names.h"
#include "server/http/streamed_body.h"
#include "server/util/log.h"

namespace berth::http {
namespace {
// Beast reads at most 64 KiB at a time; streamed bodies get that much room.
constexpr std::size_t kStreamReadBytes = 64 * 1024;
// How long, and for how many bytes, a connection answered before its body
// was read keeps draining that body (see Linger).
constexpr auto kLingerTime = std::chrono::seconds(5);
constexpr std::size_t kLingerBytes = 64 * 1024 * 1024;
// How many times a reply whose writes wait for their commit first yields to
// the other ready handlers of its thread (a yield goes to the back of the
// queue; after the first, the reactor has run and newly arrived requests are
// in it too), so that they join the same commit group: one BEGIN and one WAL
// append for all. With RegisterTaskDefinition under wrk -c8 on 2 cores,
// 3 gave 5-9 % more requests/s than 1 in five of five paired runs, 6 the
// same as 3, 12 less; 0 gave 20 % less than 1.
constexpr int kJoinRounds = 3;
// How long streamed responses get to send their last bytes when the server
// stops.
constexpr auto kStopGrace = std::chrono::seconds(2);

// A Beast body type that hands each piece of a request body to a BodySink
// as it is parsed, instead of collecting it.
struct SinkBody {
  struct value_type {
    std::shared_ptr<BodySink> sink;
    bool refused = false;
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(bhttp::header<isRequest, Fields>& /*header*/, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& /*length*/, beast::error_code& ec) { ec = {}; }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      std::size_t total = 0;
      for (const auto buffer : beast::buffers_range_ref(buffers)) {
        if (!body_.sink->Write(
                std::string_view(static_cast<const char*>(buffer.data()), buffer.size()))) {
          body_.refused = true;
          ec = asio::error::operation_aborted;
          return total;
        }
        total += buffer.size();
      }
      ec = {};
      return total;
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

Request ToRequest(const bhttp::request<bhttp::empty_body>& head) {
  Request req;
  req.method = std::string(head.method_string());
  req.target = std::string(head.target());
  for (const auto& field : head) {
    req.headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  return req;
}

// Sends `length` bytes of `fd` from `offset` with sendfile(2), waiting for the
// socket to drain whenever it is full.
asio::awaitable<bool> SendFile(beast::tcp_stream& stream, int fd, uint64_t offset,
                               uint64_t length) {
  auto& socket = stream.socket();
  boost::system::error_code ec;
  socket.native_non_blocking(true, ec);
  if (ec) co_return false;
  auto position = static_cast<off_t>(offset);
  uint64_t left = length;
  while (left > 0) {
    const ssize_t sent = ::sendfile(socket.native_handle(), fd, &position,
                                    static_cast<size_t>(std::min<uint64_t>(left, 1 << 30)));
    if (sent > 0) {
      left -= static_cast<uint64_t>(sent);
      continue;
    }
    if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
      stream.expires_after(std::chrono::seconds(60));
      auto [wait_ec] = co_await socket.async_wait(tcp::socket::wait_write, kNoThrow);
      if (wait_ec) co_return false;
      continue;
    }
    co_return false;  // error, or the file is shorter than announced
  }
  co_return true;
}

// Writes a response whose body is a file region (or, for HEAD, only the
// header with the announced length).
asio::awaitable<bool> WriteHeaderOnly(beast::tcp_stream& stream, Response& res, unsigned version,
                                      bool keep_alive, uint64_t length) {
  bhttp::response<bhttp::empty_body> out{static_cast<bhttp::status>(res.status), version};
  if (!res.reason.empty()) out.reason(res.reason);
  for (auto& [name, value] : res.headers.fields()) out.insert(name, value);
  out.keep_alive(keep_alive);
  out.content_length(length);
  bhttp::response_serializer<bhttp::empty_body> serializer(out);
  auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, kNoThrow);
  (void)n;
  co_return !ec;
}

bhttp::response<bhttp::string_body> ToBeast(Response&& res, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
  if (!res.reason.empty()) out.reason(res.reason);
  for (auto& [name, value] : res.headers.fields()) out.insert(name, value);
  out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

std::string FormatMillis(std::chrono::steady_clock::duration elapsed) {
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  char text[32];
  std::snprintf(text, sizeof(text), "%.2fms", ms);
  return text;
}

void LogRequest(const Request& req, const Response& res,
                std::chrono::steady_clock::time_point started) {
  const log::Level level = res.routine ? log::Level::kDebug : log::Level::kInfo;
  if (!log::Enabled(level)) return;
  std::string line = req.method;
  line += ' ';
  line += req.Path();
  if (!res.operation.empty()) {
    line += ' ';
    line += res.operation;
  }
  line += ' ';
  line += std::to_string(res.status);
  line += ' ';
  line += FormatMillis(std::chrono::steady_clock::now() - started);
  log::Write(level, line);
}

// Feeds `parser` the bytes `buffer` already holds, without reading from the
// socket, up to the end of the header (`header_only`) or of the message, and
// consumes what it parsed. The error is the parser's (need_more, which only
// says the buffer ran out, is none). A request that came whole in one read
// (nearly every API request) is parsed here at once: Beast's asynchronous
// reads would parse the same bytes and then post their completion, a round
// trip through the scheduler each.
template <class Parser>
beast::error_code ParseBuffered(beast::flat_buffer& buffer, Parser& parser, bool header_only,
                                std::size_t& parsed) {
  beast::error_code ec;
  while (buffer.size() > 0 && !(header_only ? parser.is_header_done() : parser.is_done())) {
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    parsed += used;
    if (ec == bhttp::error::need_more) return {};
    if (ec || used == 0) return ec;
  }
  return ec;
}

// Reads a request body to its end, restarting the idle timer for every
// piece so that a long upload lives as long as data keeps arriving, but no
// longer than it keeps arriving at body_min_bytes per body_window (a slow
// body ends as a timeout).
template <class Parser>
asio::awaitable<beast::error_code> ReadBody(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                            Parser& parser, const ServerOptions& options) {
  auto window_start = std::chrono::steady_clock::now();
  std::size_t window_bytes = 0;
  if (auto ec = ParseBuffered(buffer, parser, /*header_only=*/false, window_bytes)) co_return ec;
  while (!parser.is_done()) {
    stream.expires_after(options.idle_timeout);
    auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, kNoThrow);
    if (ec) co_return ec;
    window_bytes += n;
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start >= options.body_window) {
      if (window_bytes < options.body_min_bytes && !parser.is_done()) {
        co_return beast::error::timeout;
      }
      window_start = now;
      window_bytes = 0;
    }
  }
  co_return beast::error_code{};
}

// Answers a request the server cannot serve before reading its body (bad
// framing), then closes.
asio::awaitable<void> WriteBadRequest(beast::tcp_stream& stream, const std::string& why) {
  bhttp::response<bhttp::string_body> bad{bhttp::status::bad_request, 11};
  bad.set(bhttp::field::content_type, "text/plain");
  bad.body() = "Bad Request: " + why + "\n";
  bad.keep_alive(false);
  bad.prepare_payload();
  co_await bhttp::async_write(stream, bad, kNoThrow);
}

// After an answer given before the request's body was read (too large, or
// refused by its sink):
// stops sending, then reads and drops what the client is still sending, for
// a little while, so that a client that writes its whole body before reading
// (most do) gets the answer instead of a reset connection.
asio::awaitable<void> Linger(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(kLingerTime);
  std::size_t drained = 0;
  while (drained < kLingerBytes) {
    buffer.clear();
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kStreamReadBytes), kNoThrow);
    if (ec) break;
    drained += n;
  }
}

// Waits for the first byte of the next request for up to idle_timeout (an
// idle keep-alive connection). False when the connection closed or idled.
asio::awaitable<bool> AwaitRequest(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                   const ServerOptions& options) {
  if (buffer.size() > 0) co_return true;  // pipelined: the next request is here
  stream.expires_after(options.idle_timeout);
  auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kNoThrow);
  if (ec) co_return false;
  buffer.commit(n);
  co_return true;
}

// Writes one response: from memory, from a file region, or (HEAD) the header
// alone. False when the connection failed.
asio::awaitable<bool> WriteResponse(beast::tcp_stream& stream, Response& res, unsigned version,
                                    bool keep_alive, bool is_head = false) {
  if (is_head && !res.file && !res.head_length) res.head_length = res.body.size();
  if (res.file && is_head) res.head_length = res.file->length;
  if (res.file && !is_head) {
    const FileRegion region = *res.file;
    if (!co_await WriteHeaderOnly(stream, res, version, keep_alive, region.length)) co_return false;
    co_return co_await SendFile(stream, *region.fd, region.offset, region.length);
  }
  if (res.head_length) {
    co_return co_await WriteHeaderOnly(stream, res, version, keep_alive, *res.head_length);
  }
  auto out = ToBeast(std::move(res), version, keep_alive);
  bhttp::response_serializer<bhttp::string_body> serializer(out);
  // Most replies fit the socket's send buffer: written at once, they need no
  // trip through the scheduler (an asynchronous write posts its completion
  // even when it wrote everything at once). The socket is in non-blocking
  // mode (Session): a full buffer ends this try, and the asynchronous write
  // goes on from where it stopped.
  beast::error_code ec;
  bhttp::write(stream.socket(), serializer, ec);
  if (!ec) co_return true;
  if (ec != asio::error::would_block && ec != asio::error::try_again) co_return false;
  auto [async_ec, n] = co_await bhttp::async_write(stream, serializer, kNoThrow);
  (void)n;
  co_return !async_ec;
}

// Serves a request that may wait on the pool for waits; the session resumes
// on its own executor with the response (Handle does not throw; if it did,
// the session would end as when Handle throws on the loop).
asio::awaitable<Response> ServeOnPool(Application& app, Request& request,
                                      asio::thread_pool& waiting) {
  co_return co_await asio::co_spawn(
      waiting, [&app, &request]() -> asio::awaitable<Response> { co_return app.Handle(request); },
      asio::use_awaitable);
}

// Reads, serves and answers requests on one connection until it closes.
asio::awaitable<void> Session(beast::tcp_stream stream, Application& app, ServerOptions options,
                              bool added_listener, OpenStreams& streams,
                              asio::thread_pool& waiting) {
  beast::flat_buffer buffer;
  boost::system::error_code endpoint_ec;
  const auto peer = stream.socket().remote_endpoint(endpoint_ec);
  const std::string remote_address = endpoint_ec ? "" : peer.address().to_string();
  const auto local = stream.socket().local_endpoint(endpoint_ec);
  const uint16_t local_port = endpoint_ec ? 0 : local.port();
  // Synchronous writes (WriteResponse's first try) return would_block instead
  // of waiting; asynchronous operations are not affected.
  stream.socket().non_blocking(true, endpoint_ec);
  for (;;) {
    if (!co_await AwaitRequest(stream, buffer, options)) break;
    stream.expires_after(options.header_timeout);
    bhttp::request_parser<bhttp::empty_body> head_parser;
    head_parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    // The body limit is the application's to choose once it has seen the
    // header; the header parser must not apply Beast's 1 MiB default.
    head_parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    std::size_t header_bytes = 0;
    beast::error_code read_ec =
        ParseBuffered(buffer, head_parser, /*header_only=*/true, header_bytes);
    if (!read_ec && !head_parser.is_header_done()) {
      auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, head_parser, kNoThrow);
      (void)n;
      read_ec = ec;
    }
    if (read_ec) {
      // A malformed request line or header gets a plain 400; a closed or idle
      // connection just ends.
      if (read_ec != bhttp::error::end_of_stream && read_ec != beast::error::timeout &&
          read_ec != asio::error::connection_reset && read_ec != asio::error::eof) {
        co_await WriteBadRequest(stream, read_ec.message());
      }
      break;
    }
    // Content-Length beside Transfer-Encoding is how requests are smuggled
    // past a proxy that reads the other one: refuse it (RFC 9112 §6.1).
    if (head_parser.get().count(bhttp::field::content_length) > 0 &&
        head_parser.get().count(bhttp::field::transfer_encoding) > 0) {
      co_await WriteBadRequest(stream, "Content-Length and Transfer-Encoding together");
      break;
    }
    const auto started = std::chrono::steady_clock::now();
    Request req = ToRequest(head_parser.get());
    req.remote_address = remote_address;
    req.added_listener = added_listener;
    req.local_port = local_port;
    const unsigned version = head_parser.get().version();
    const BodyPlan plan = app.Plan(req);

    const auto declared = head_parser.content_length();
    if (declared && *declared > plan.limit) {
      Response res = app.BodyTooLarge(req, plan.limit);
      LogRequest(req, res, started);
      if (co_await WriteResponse(stream, res, version, false)) co_await Linger(stream, buffer);
      break;
    }
    if (bhttp::request<bhttp::empty_body>& head = head_parser.get();
        beast::iequals(head[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
      auto [ec, n] = co_await bhttp::async_write(stream, cont, kNoThrow);
      (void)n;
      if (ec) break;
    }

    bool keep_alive = false;
    if (plan.sink) {
      // Streamed body: each piece goes to the sink as it arrives. Beast reads
      // at most the buffer's free capacity at a time, so give it room for
      // large reads while the body streams, and take it back afterwards.
      buffer.reserve(kStreamReadBytes);
      bhttp::request_parser<SinkBody> parser(std::move(head_parser));
      parser.body_limit(plan.limit);
      parser.get().body().sink = plan.sink;
      req.sink = plan.sink;
      const auto body_ec = co_await ReadBody(stream, buffer, parser, options);
      if (body_ec == bhttp::error::body_limit) {
        Response res = app.BodyTooLarge(req, plan.limit);
        LogRequest(req, res, started);
        if (co_await WriteResponse(stream, res, version, false)) co_await Linger(stream, buffer);
        break;
      }
      if (body_ec && !parser.get().body().refused) break;  // the client went away
      req.body_complete = !parser.get().body().refused;
      keep_alive = parser.get().keep_alive() && req.body_complete;
      buffer.shrink_to_fit();
    } else {
      bhttp::request_parser<bhttp::string_body> parser(std::move(head_parser));
      parser.body_limit(plan.limit);
      const auto body_ec = co_await ReadBody(stream, buffer, parser, options);
      if (body_ec == bhttp::error::body_limit) {
        Response res = app.BodyTooLarge(req, plan.limit);
        LogRequest(req, res, started);
        if (co_await WriteResponse(stream, res, version, false)) co_await Linger(stream, buffer);
        break;
      }
      if (body_ec) break;
      req.body = std::move(parser.get().body());
      keep_alive = parser.get().keep_alive();
    }

    // (Not a conditional expression: GCC 12 mishandles co_await in one.)
    Response res;
    if (app.MayWait(req)) {
      res = co_await ServeOnPool(app, req, waiting);
    } else {
      res = app.Handle(req);
    }
    if (res.before_send) {
      // Requests already read run first (and join the same commit).
      for (int round = 0; round < kJoinRounds; ++round) {
        co_await asio::post(stream.get_executor(), kNoThrow);
      }
      auto before_send = std::move(res.before_send);
      res.before_send = nullptr;
      before_send(res);
    }
    LogRequest(req, res, started);
    if (res.producer && req.method != "HEAD") {
      // A streamed body ends the connection when it ends.
      const char* ending =
          co_await WriteStreamedBody(stream, res, version, streams, options.idle_timeout);
      if (log::Enabled(log::Level::kDebug)) {
        log::Debug("stream " + res.operation + " ended (" + ending + ") after " +
                   FormatMillis(std::chrono::steady_clock::now() - started));
      }
      break;
    }
    res.producer.reset();
    const bool keep = keep_alive && !res.close;
    const bool written = co_await WriteResponse(stream, res, version, keep, req.method == "HEAD");
    // A body its sink refused part-way (a full disk) is still arriving: drain
    // it, so that the client reads the answer that names the cause.
    if (written && !req.body_complete) co_await Linger(stream, buffer);
    if (!written || !keep) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

struct Server::Impl {
  explicit Impl(const ServerOptions& opts)
      : options(opts),
        ioc(static_cast<int>(opts.threads)),
        stop_grace(ioc),
        waiting(std::max(1u, opts.waiting_threads)) {}

  // Holds its acceptor: one a listener removed stays alive until its loop ends.
  asio::awaitable<void> Accept(std::shared_ptr<tcp::acceptor> held, bool added_listener) {
    tcp::acceptor& acceptor = *held;
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        log::Warn("accept failed: " + ec.message());
        if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
          // Out of file descriptors: the pending connection stays queued;
          // wait for some to close instead of spinning on accept.
          asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
          co_await pause.async_wait(kNoThrow);
        }
        continue;
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto executor = socket.get_executor();
      if (open_connections.load() >= options.max_connections) {
        asio::co_spawn(executor, Refuse(beast::tcp_stream(std::move(socket))), asio::detached);
        continue;
      }
      ++open_connections;
      asio::co_spawn(executor,
                     Session(beast::tcp_stream(std::move(socket)), *application, options,
                             added_listener, streams, waiting),
                     [this](const std::exception_ptr& error) {
                       --open_connections;
                       if (!error) return;
                       try {
                         std::rethrow_exception(error);
                       } catch (const std::exception& e) {
                         log::Error(std::string("connection failed: ") + e.what());
                       }
                     });
    }
  }

  // The answer past max_connections: the request's header is read (briefly,
  // so that the client is listening when the answer comes), then a 503 that
  // AWS SDKs and docker retry, and the connection closes.
  asio::awaitable<void> Refuse(beast::tcp_stream stream) {
    if (refusals.fetch_add(1) % 1000 == 0) {
      log::Warn("more than " + std::to_string(options.max_connections) +
                " open connections; refusing new ones until some close");
    }
    beast::flat_buffer buffer;
    bhttp::request_parser<bhttp::empty_body> head;
    stream.expires_after(std::chrono::seconds(2));
    co_await bhttp::async_read_header(stream, buffer, head, kNoThrow);
    bhttp::response<bhttp::string_body> busy{bhttp::status::service_unavailable, 11};
    busy.set(bhttp::field::content_type, "application/x-amz-json-1.1");
    busy.set(bhttp::field::retry_after, "1");
    busy.body() = R"({"__type":"ServiceUnavailableException","message":"Berth has )" +
                  std::to_string(options.max_connections) + R"( connections open; retry shortly"})";
    busy.keep_alive(false);
    busy.prepare_payload();
    stream.expires_after(std::chrono::seconds(2));
    co_await bhttp::async_write(stream, busy, kNoThrow);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // A listening acceptor at host:port; throws std::runtime_error naming the
  // address when it cannot be bound.
  std::shared_ptr<tcp::acceptor> Listen(const std::string& host, uint16_t at_port) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) throw std::runtime_error("invalid listen address '" + host + "'");
    const tcp::endpoint endpoint(address, at_port);
    auto acceptor = std::make_shared<tcp::acceptor>(asio::make_strand(ioc));
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(at_port) + ": " +
                               ec.message());
    }
    return acceptor;
  }

  void Spawn(const std::shared_ptr<tcp::acceptor>& acceptor) {
    const bool added = acceptor != acceptors.front();
    asio::co_spawn(acceptor->get_executor(), Accept(acceptor, added), asio::detached);
  }

  // Closes `acceptor` on its strand, where its accept loop runs (closing it
  // from another thread races with a pending accept).
  static void Close(const std::shared_ptr<tcp::acceptor>& acceptor) {
    asio::post(acceptor->get_executor(), [acceptor] {
      boost::system::error_code closed;
      acceptor->close(closed);
    });
  }

  ServerOptions options;
  Application* application = nullptr;
  asio::io_context ioc;
  asio::steady_timer stop_grace;
  asio::thread_pool waiting;  // serves the requests that may wait
  OpenStreams streams;
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> refusals{0};
  uint16_t port = 0;
  std::mutex mutex;
  // The first is the main address; the others were added by AddListener
  // or AddPortListener.
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors;  // guarded by mutex
  std::set<std::string> hosts;                            // guarded by mutex
  // AddPortListener's, by host and port.
  std::map<std::pair<std::string, uint16_t>, std::shared_ptr<tcp::acceptor>>
      port_listeners;    // guarded by mutex
  bool running = false;  // guarded by mutex
};

Server::Server(const ServerOptions& options) : impl_(std::make_unique<Impl>(options)) {
  impl_->acceptors.push_back(impl_->Listen(options.host, options.port));
  impl_->port = impl_->acceptors.front()->local_endpoint().port();
  impl_->hosts.insert(options.host);
}

Server::~Server() = default;

uint16_t Server::port() const { return impl_->port; }

bool Server::AddListener(const std::string& host) {
  auto& impl = *impl_;
  std::lock_guard lock(impl.mutex);
  if (impl.hosts.contains(host)) return true;
  try {
    impl.acceptors.push_back(impl.Listen(host, impl.port));
  } catch (const std::exception& e) {
    log::Warn(e.what());
    return false;
  }
  impl.hosts.insert(host);
  if (impl.running) impl.Spawn(impl.acceptors.back());
  log::Info("also listening on " + host + ":" + std::to_string(impl.port));
  return true;
}

uint16_t Server::AddPortListener(const std::string& host, uint16_t port) {
  auto& impl = *impl_;
  std::lock_guard lock(impl.mutex);
  if (port != 0 && impl.port_listeners.contains({host, port})) return port;
  std::shared_ptr<tcp::acceptor> acceptor;
  try {
    acceptor = impl.Listen(host, port);
  } catch (const std::exception& e) {
    log::Warn(e.what());
    return 0;
  }
  const uint16_t bound = acceptor->local_endpoint().port();
  impl.acceptors.push_back(acceptor);
  impl.port_listeners[{host, bound}] = acceptor;
  if (impl.running) impl.Spawn(acceptor);
  return bound;
}

void Server::RemovePortListener(const std::string& host, uint16_t port) {
  auto& impl = *impl_;
  std::lock_guard lock(impl.mutex);
  const auto found = impl.port_listeners.find({host, port});
  if (found == impl.port_listeners.end()) return;
  const std::shared_ptr<tcp::acceptor> acceptor = found->second;
  impl.port_listeners.erase(found);
  std::erase(impl.acceptors, acceptor);
  Impl::Close(acceptor);
}

void Server::Run(Application& application) {
  auto& impl = *impl_;
  impl.application = &application;
  {
    std::lock_guard lock(impl.mutex);
    impl.running = true;
    for (auto& acceptor : impl.acceptors) impl.Spawn(acceptor);
  }
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < impl.options.threads; ++i)
    threads.emplace_back([&impl] { impl.ioc.run(); });
  impl.ioc.run();
  for (auto& thread : threads) thread.join();
  // Requests still waiting refer to the application and to their sessions:
  // they finish here (those not yet started are dropped).
  impl.waiting.stop();
  impl.waiting.join();
}

void Server::Stop() {
  auto& impl = *impl_;
  asio::post(impl.ioc, [&impl] {
    {
      std::lock_guard lock(impl.mutex);
      impl.running = false;
      // Each acceptor is closed on its own strand, where its accept loop runs
      // (closing it from here raced with a pending accept).
      for (auto& acceptor : impl.acceptors) Impl::Close(acceptor);
    }
    // Streamed responses end first (with their last bytes), for at most
    // kStopGrace; then everything stops.
    impl.streams.StopAll([&impl] { impl.ioc.stop(); });
    impl.stop_grace.expires_after(kStopGrace);
    impl.stop_grace.async_wait([&impl](const boost::system::error_code&) { impl.ioc.stop(); });
  });
}

}  // namespace berth::http
