#include "http_front.h"

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "http_connection.h"

namespace confab::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::awaitable;
using front::Connection;
using front::kTuple;
using front::Limits;

}  // namespace

class HttpFront::Impl {
 public:
  Impl(const ServerConfig& config, HttpHandler& handler)
      : config_(config),
        limits_{config.http_head_timeout, config.http_body_timeout, config.http_body_min_rate},
        handler_(handler) {}

  ~Impl() { stop(); }

  Result<void> bind() {
    try {
      tcp::endpoint endpoint(asio::ip::make_address(config_.listen_address), config_.http_port);
      acceptor_.open(endpoint.protocol());
      acceptor_.set_option(asio::socket_base::reuse_address(true));
      acceptor_.bind(endpoint);
      acceptor_.listen(asio::socket_base::max_listen_connections);
      port_ = acceptor_.local_endpoint().port();
      return {};
    } catch (const std::exception& e) {
      return Error::make(ErrorCode::internal, "cannot listen for HTTP on " + config_.listen_address + ":" +
                                                  std::to_string(config_.http_port) + ": " + e.what());
    }
  }

  std::uint16_t port() const { return port_; }

  void start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  void stop() {
    if (thread_.joinable()) {
      asio::post(io_, [this] {
        close_all();
        io_.stop();
      });
      thread_.join();
    } else {
      close_all();
    }
  }

  std::string serve_raw(std::string_view request) {
    using Local = asio::local::stream_protocol::socket;
    asio::io_context io;
    Local client(io);
    Local server(io);
    asio::local::connect_pair(client, server);
    auto connection = std::make_shared<Connection<Local>>(std::move(server), limits_, handler_);
    asio::co_spawn(io, [connection]() -> awaitable<void> { co_await connection->run(); }, asio::detached);
    std::string response;
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
          co_await asio::async_write(client, asio::buffer(request), kTuple);
          beast::error_code ignored;
          client.shutdown(Local::shutdown_send, ignored);
          co_await asio::async_read(client, asio::dynamic_buffer(response), kTuple);
        },
        asio::detached);
    io.run();
    return response;
  }

 private:
  // A place among the connections admitted; given back when the connection ends.
  class Slot {
   public:
    Slot(Impl& front, asio::ip::address address, tcp::socket* socket)
        : front_(&front), address_(std::move(address)), socket_(socket) {
      ++front_->open_;
      ++front_->open_by_address_[address_];
      front_->sockets_.insert(socket_);
    }
    Slot(Slot&& other) noexcept
        : front_(std::exchange(other.front_, nullptr)), address_(other.address_), socket_(other.socket_) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (front_ == nullptr) return;
      --front_->open_;
      if (--front_->open_by_address_[address_] == 0) front_->open_by_address_.erase(address_);
      front_->sockets_.erase(socket_);
    }

   private:
    Impl* front_;
    asio::ip::address address_;
    tcp::socket* socket_;
  };

  // The slot is held for as long as the connection runs.
  static awaitable<void> serve(std::shared_ptr<Connection<tcp::socket>> connection, [[maybe_unused]] Slot slot) {
    co_await connection->run();
  }

  static awaitable<void> refuse(std::shared_ptr<Connection<tcp::socket>> connection, HttpResponse response) {
    co_await connection->refuse(std::move(response));
  }

  awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) {
        if (!acceptor_.is_open()) co_return;
        spdlog::warn("http: accept failed: {}", ec.message());
        // Out of descriptors, say: give the connections in progress a moment to end.
        asio::steady_timer pause(io_, std::chrono::milliseconds(50));
        co_await pause.async_wait(kTuple);
        continue;
      }
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto address = socket.remote_endpoint(ignored).address();
      auto connection = std::make_shared<Connection<tcp::socket>>(std::move(socket), limits_, handler_);
      std::string refusal;
      if (open_ >= config_.http_max_connections) {
        refusal = "the server has too many HTTP connections open; try again later";
      } else if (auto it = open_by_address_.find(address);
                 it != open_by_address_.end() && it->second >= config_.http_max_connections_per_address) {
        refusal = "too many HTTP connections from this address; try again later";
      }
      if (!refusal.empty()) {
        spdlog::debug("http: refused a connection from {}: {}", address.to_string(), refusal);
        asio::co_spawn(io_, refuse(connection, error_response(503, Error::make(ErrorCode::unavailable, refusal))),
                       asio::detached);
        continue;
      }
      Slot slot(*this, address, &connection->socket());
      asio::co_spawn(io_, serve(connection, std::move(slot)), asio::detached);
    }
  }

  void close_all() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    for (auto* socket : sockets_) {
      socket->shutdown(tcp::socket::shutdown_both, ignored);
      socket->close(ignored);
    }
  }

  const ServerConfig& config_;
  const Limits limits_;
  HttpHandler& handler_;
  // Front thread only.
  std::size_t open_ = 0;
  std::map<asio::ip::address, std::size_t> open_by_address_;
  std::set<tcp::socket*> sockets_;
  std::uint16_t port_ = 0;
  // Destroyed first: the connections it still holds give their slots back above.
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

HttpFront::HttpFront(const ServerConfig& config, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(config, handler)) {}
HttpFront::~HttpFront() = default;
Result<void> HttpFront::bind() { return impl_->bind(); }
std::uint16_t HttpFront::port() const { return impl_->port(); }
void HttpFront::start() { impl_->start(); }
void HttpFront::stop() { impl_->stop(); }
std::string HttpFront::serve_raw(std::string_view request) { return impl_->serve_raw(request); }

}  // namespace confab::server
