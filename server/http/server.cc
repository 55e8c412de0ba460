#include "server/http/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <csignal>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "server/util/log.h"

namespace berth::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

Request ToRequest(const bhttp::request<bhttp::empty_body>& head) {
  Request req;
  req.method = std::string(head.method_string());
  req.target = std::string(head.target());
  for (const auto& field : head) {
    req.headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  return req;
}

bhttp::response<bhttp::string_body> ToBeast(Response&& res, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
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
  if (!log::Enabled(log::Level::kInfo)) return;
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
  log::Info(line);
}

// Reads, serves and answers requests on one connection until it closes.
asio::awaitable<void> Session(beast::tcp_stream stream, Application& app,
                              ServerOptions options) {
  beast::flat_buffer buffer;
  for (;;) {
    stream.expires_after(options.idle_timeout);
    bhttp::request_parser<bhttp::empty_body> head_parser;
    head_parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    // The body limit is the application's to choose once it has seen the
    // header; the header parser must not apply Beast's 1 MiB default.
    head_parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    auto [read_ec, read_n] = co_await bhttp::async_read_header(stream, buffer, head_parser, kNoThrow);
    (void)read_n;
    if (read_ec) {
      // A malformed request line or header gets a plain 400; a closed or idle
      // connection just ends.
      if (read_ec != bhttp::error::end_of_stream && read_ec != beast::error::timeout &&
          read_ec != asio::error::connection_reset && read_ec != asio::error::eof) {
        bhttp::response<bhttp::string_body> bad{bhttp::status::bad_request, 11};
        bad.set(bhttp::field::content_type, "text/plain");
        bad.body() = "Bad Request: " + read_ec.message() + "\n";
        bad.keep_alive(false);
        bad.prepare_payload();
        co_await bhttp::async_write(stream, bad, kNoThrow);
      }
      break;
    }
    const auto started = std::chrono::steady_clock::now();
    Request req = ToRequest(head_parser.get());
    const unsigned version = head_parser.get().version();
    const BodyPlan plan = app.Plan(req);

    const auto declared = head_parser.content_length();
    if (declared && *declared > plan.limit) {
      Response res = app.BodyTooLarge(req, plan.limit);
      LogRequest(req, res, started);
      auto out = ToBeast(std::move(res), version, false);
      co_await bhttp::async_write(stream, out, kNoThrow);
      break;
    }
    if (bhttp::request<bhttp::empty_body>& head = head_parser.get();
        beast::iequals(head[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
      auto [ec, n] = co_await bhttp::async_write(stream, cont, kNoThrow);
      (void)n;
      if (ec) break;
    }

    bhttp::request_parser<bhttp::string_body> parser(std::move(head_parser));
    parser.body_limit(plan.limit);
    auto [body_ec, body_n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
    (void)body_n;
    if (body_ec == bhttp::error::body_limit) {
      Response res = app.BodyTooLarge(req, plan.limit);
      LogRequest(req, res, started);
      auto out = ToBeast(std::move(res), version, false);
      co_await bhttp::async_write(stream, out, kNoThrow);
      break;
    }
    if (body_ec) break;

    req.body = std::move(parser.get().body());
    const bool keep_alive = parser.get().keep_alive();
    Response res = app.Handle(req);
    LogRequest(req, res, started);
    const bool keep = keep_alive && !res.close;
    auto out = ToBeast(std::move(res), version, keep);
    auto [write_ec, write_n] = co_await bhttp::async_write(stream, out, kNoThrow);
    (void)write_n;
    if (write_ec || !keep) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

struct Server::Impl {
  explicit Impl(const ServerOptions& opts)
      : options(opts), ioc(static_cast<int>(opts.threads)),
        acceptor(asio::make_strand(ioc)), signals(ioc, SIGINT, SIGTERM) {}

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        log::Warn("accept failed: " + ec.message());
        continue;
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(beast::tcp_stream(std::move(socket)), *application, options),
                     [](const std::exception_ptr& error) {
                       if (!error) return;
                       try {
                         std::rethrow_exception(error);
                       } catch (const std::exception& e) {
                         log::Error(std::string("connection failed: ") + e.what());
                       }
                     });
    }
  }

  ServerOptions options;
  Application* application = nullptr;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::signal_set signals;
};

Server::Server(const ServerOptions& options) : impl_(std::make_unique<Impl>(options)) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + options.host + "'");
  const tcp::endpoint endpoint(address, options.port);
  const std::string where = options.host + ":" + std::to_string(options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
}

Server::~Server() = default;

uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::Run(Application& application) {
  auto& impl = *impl_;
  impl.application = &application;
  impl.signals.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log::Info("received signal " + std::to_string(signal) + ", shutting down");
    Stop();
  });
  asio::co_spawn(impl.acceptor.get_executor(), impl.Accept(), asio::detached);
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < impl.options.threads; ++i) threads.emplace_back([&impl] { impl.ioc.run(); });
  impl.ioc.run();
  for (auto& thread : threads) thread.join();
}

void Server::Stop() {
  auto& impl = *impl_;
  asio::post(impl.acceptor.get_executor(), [&impl] {
    boost::system::error_code ignored;
    impl.acceptor.close(ignored);
    impl.signals.cancel(ignored);
    impl.ioc.stop();
  });
}

}  // namespace berth::http
