#include "net/ws_transport.h"

#include "net/tls.h"

#include <deque>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace confab::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

// Beast's limit on one incoming message; the server's frames are far smaller.
constexpr std::size_t kMaxIncomingMessageBytes = 16 * 1024 * 1024;

std::string describe_close(const websocket::close_reason& reason) {
  std::string text = "server closed the connection (code " + std::to_string(reason.code);
  if (!reason.reason.empty()) text += ": " + std::string(reason.reason.data(), reason.reason.size());
  return text + ")";
}

}  // namespace

class WsTransport::Impl {
 public:
  virtual ~Impl() = default;
  virtual void start() = 0;
  virtual void send(std::string frame) = 0;
  virtual void close() = 0;
  virtual void abandon() = 0;
};

namespace {

using PlainStream = beast::tcp_stream;

// One connection over `NextLayer`: plain TCP (ws://) or TLS over TCP (wss://).
template <class NextLayer>
class Connection final : public WsTransport::Impl, public std::enable_shared_from_this<Connection<NextLayer>> {
  static constexpr bool kTls = std::is_same_v<NextLayer, TlsStream>;
  using std::enable_shared_from_this<Connection<NextLayer>>::shared_from_this;

  // A name lookup in progress; shared with its completion handler, which may outlive us.
  struct Lookup {
    explicit Lookup(asio::any_io_executor ex) : resolver(ex), deadline(ex) {}
    tcp::resolver resolver;
    asio::steady_timer deadline;
    tcp::resolver::results_type results;
    beast::error_code ec;
    bool done = false;
  };

 public:
  Connection(asio::any_io_executor executor, WsUrl url, std::chrono::milliseconds step_timeout,
             TransportCallbacks callbacks, std::shared_ptr<asio::ssl::context> tls)
      : executor_(executor),
        url_(std::move(url)),
        step_timeout_(step_timeout),
        callbacks_(std::move(callbacks)),
        tls_(std::move(tls)),
        ws_(make_stream(executor, tls_.get())),
        wake_writer_(executor) {}

  void start() override {
    asio::co_spawn(executor_, [self = shared_from_this()] { return self->run(); }, asio::detached);
  }

  void send(std::string frame) override {
    if (close_requested_ || finished_) return;
    outgoing_.push_back(std::move(frame));
    wake_writer_.cancel();
  }

  void close() override {
    if (finished_) return;
    close_requested_ = true;
    if (!open_) {
      // Still connecting: stop the attempt; run() reports it as closed.
      tear_down();
      return;
    }
    wake_writer_.cancel();
  }

  void abandon() override {
    callbacks_ = {};
    close_requested_ = true;
    tear_down();
  }

 private:
  awaitable<void> run() {
    Error result = co_await open_then_read();
    finished_ = true;
    wake_writer_.cancel();
    tear_down();
    if (auto closed = std::exchange(callbacks_.closed, nullptr)) closed(result);
    callbacks_ = {};
  }

  awaitable<Error> open_then_read() {
    if (close_requested_) co_return Error::make(ErrorCode::closed, "connection closed");
    beast::error_code ec;
    auto endpoints = co_await resolve(ec);
    if (ec) co_return step_failed("resolving " + url_.host, ec);

    auto& tcp_layer = beast::get_lowest_layer(ws_);
    tcp_layer.expires_after(step_timeout_);
    co_await tcp_layer.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return step_failed("connecting to " + url_.host + ":" + url_.port, ec);
    tcp_layer.socket().set_option(tcp::no_delay(true), ec);

    if constexpr (kTls) {
      // SNI, and the peer's certificate checked against the host name (verification
      // itself is on in the context: the system's CAs, or the pinned one).
      auto& tls = ws_.next_layer();
      if (auto prepared = prepare_tls_stream(tls, url_.host); !prepared) co_return prepared.error();
      tcp_layer.expires_after(step_timeout_);
      co_await tls.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return step_failed("the TLS handshake with " + url_.host, ec);
    }

    tcp_layer.expires_after(step_timeout_);
    // Offer compression; used when the server accepts it. Small windows keep the memory
    // per connection low, and short frames (most chat lines) go uncompressed.
    websocket::permessage_deflate deflate;
    deflate.client_enable = true;
    deflate.client_max_window_bits = 10;
    deflate.server_max_window_bits = 10;
    deflate.msg_size_threshold = 256;
    ws_.set_option(deflate);
    co_await ws_.async_handshake(host_header(url_), url_.target, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return step_failed("upgrading to WebSocket", ec);

    // From here the WebSocket stream owns the timeouts. Only the closing handshake has
    // one: noticing a silent peer is a decision for the core, not for the socket code.
    tcp_layer.expires_never();
    websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
    timeouts.handshake_timeout = step_timeout_;
    ws_.set_option(timeouts);
    ws_.read_message_max(kMaxIncomingMessageBytes);

    open_ = true;
    asio::co_spawn(executor_, [self = shared_from_this()] { return self->write_loop(); }, asio::detached);
    if (close_requested_) wake_writer_.cancel();
    if (callbacks_.opened) callbacks_.opened();

    beast::flat_buffer buffer;
    for (;;) {
      buffer.clear();
      co_await ws_.async_read(buffer, asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      if (!ws_.got_text()) {
        failure_ = Error::make(ErrorCode::bad_frame, "server sent a binary frame");
        close_requested_ = true;
        wake_writer_.cancel();
        continue;  // drain until the close completes
      }
      if (callbacks_.frame) callbacks_.frame(beast::buffers_to_string(buffer.data()));
    }
    if (failure_) co_return *failure_;
    if (ec == websocket::error::closed) {
      if (close_requested_) co_return Error::make(ErrorCode::closed, "connection closed");
      co_return Error::make(ErrorCode::transport, describe_close(ws_.reason()));
    }
    if (close_requested_ && ec == asio::error::operation_aborted) {
      co_return Error::make(ErrorCode::closed, "connection closed");
    }
    co_return step_failed("reading", ec);
  }

  awaitable<tcp::resolver::results_type> resolve(beast::error_code& ec) {
    // getaddrinfo cannot be interrupted, so the deadline does not wait for it: the lookup
    // finishes on its own and its late result is dropped.
    auto lookup = std::make_shared<Lookup>(executor_);
    lookup_ = lookup;
    lookup->deadline.expires_after(step_timeout_);
    lookup->resolver.async_resolve(url_.host, url_.port,
                                   [lookup](beast::error_code e, tcp::resolver::results_type r) {
                                     lookup->ec = e;
                                     lookup->results = std::move(r);
                                     lookup->done = true;
                                     lookup->deadline.cancel();
                                   });
    beast::error_code wait_ec;
    co_await lookup->deadline.async_wait(asio::redirect_error(use_awaitable, wait_ec));
    lookup_.reset();
    if (!lookup->done) {
      lookup->resolver.cancel();
      if (close_requested_) {
        ec = asio::error::operation_aborted;
      } else {
        ec = beast::error::timeout;
      }
      co_return tcp::resolver::results_type{};
    }
    ec = lookup->ec;
    co_return lookup->results;
  }

  awaitable<void> write_loop() {
    beast::error_code ec;
    while (!finished_) {
      if (!outgoing_.empty() && !close_requested_) {
        std::string frame = std::move(outgoing_.front());
        outgoing_.pop_front();
        co_await ws_.async_write(asio::buffer(frame), asio::redirect_error(use_awaitable, ec));
        if (ec) {
          tear_down();  // the read loop sees the failure and reports it
          co_return;
        }
        continue;
      }
      if (close_requested_) {
        co_await ws_.async_close(websocket::close_code::normal, asio::redirect_error(use_awaitable, ec));
        if (ec) tear_down();
        co_return;  // the read loop ends when the server answers the close
      }
      wake_writer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_writer_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }

  Error step_failed(const std::string& step, const beast::error_code& ec) const {
    if (close_requested_) return Error::make(ErrorCode::closed, "connection closed");
    if (ec == beast::error::timeout) {
      return Error::make(ErrorCode::timeout, step + " timed out after " +
                                                 std::to_string(step_timeout_.count()) + " ms");
    }
    return Error::make(ErrorCode::transport, step + " failed: " + ec.message());
  }

  void tear_down() {
    beast::error_code ignored;
    if (auto lookup = lookup_.lock()) lookup->deadline.cancel();
    auto& socket = beast::get_lowest_layer(ws_).socket();
    if (socket.is_open()) {
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
    }
  }

  asio::any_io_executor executor_;
  WsUrl url_;
  std::chrono::milliseconds step_timeout_;
  TransportCallbacks callbacks_;
  static websocket::stream<NextLayer> make_stream(asio::any_io_executor executor, asio::ssl::context* tls) {
    if constexpr (kTls) {
      return websocket::stream<NextLayer>(executor, *tls);
    } else {
      return websocket::stream<NextLayer>(executor);
    }
  }

  std::shared_ptr<asio::ssl::context> tls_;  // before ws_: the TLS stream was made from it
  websocket::stream<NextLayer> ws_;
  asio::steady_timer wake_writer_;
  std::deque<std::string> outgoing_;
  std::weak_ptr<Lookup> lookup_;
  std::optional<Error> failure_;  // why we closed, when the server broke the protocol
  bool open_ = false;
  bool close_requested_ = false;
  bool finished_ = false;
};

}  // namespace

WsTransport::WsTransport(asio::any_io_executor executor, WsUrl url, std::chrono::milliseconds step_timeout,
                         TransportCallbacks callbacks, std::shared_ptr<asio::ssl::context> tls) {
  if (url.secure) {
    impl_ = std::make_shared<Connection<TlsStream>>(executor, std::move(url), step_timeout, std::move(callbacks),
                                                    std::move(tls));
  } else {
    impl_ = std::make_shared<Connection<PlainStream>>(executor, std::move(url), step_timeout, std::move(callbacks),
                                                      nullptr);
  }
}

WsTransport::~WsTransport() { impl_->abandon(); }

void WsTransport::start() { impl_->start(); }
void WsTransport::send(std::string frame) { impl_->send(std::move(frame)); }
void WsTransport::close() { impl_->close(); }

}  // namespace confab::net
