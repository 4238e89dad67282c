#include "ws_session.h"

#include <atomic>
#include <deque>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace confab::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

// However a close starts, the connection is gone this long after.
constexpr std::chrono::seconds kCloseDeadline{5};
// The buffer compressed messages are written through (see run()).
constexpr std::size_t kWriteBufferBytes = 1024;

class WsSession final : public FrameSink, public Requester, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(tcp::socket socket, SessionContext& context)
      : context_(context),
        ws_(std::move(socket)),
        wake_writer_(ws_.get_executor()),
        resume_reading_(ws_.get_executor()),
        deadline_(ws_.get_executor()) {
    static std::atomic<std::uint64_t> next_connection_id{1};
    peer_.connection_id = next_connection_id.fetch_add(1);
    beast::error_code ignored;
    remote_ = beast::get_lowest_layer(ws_).socket().remote_endpoint(ignored);
  }

  void start() {
    asio::co_spawn(ws_.get_executor(), [self = shared_from_this()] { return self->run(); }, asio::detached);
  }

  void deliver(std::shared_ptr<const std::string> frame) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
      self->queue(std::move(frame));
    });
  }

  void drop() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->tear_down(); });
  }

  void go_away() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      self->close_with(CloseRequest{protocol::close_code::kGoingAway, "server shutting down"});
    });
  }

 private:
  // Reads the upgrade request under the handshake deadline. A connection over the limit
  // of pending handshakes is answered 503, one too slow 408, each with the protocol's
  // error body, and closed.
  awaitable<std::optional<http::request<http::empty_body>>> read_upgrade() {
    auto& stream = beast::get_lowest_layer(ws_);
    auto& pending = context_.pending_handshakes;
    if (pending.fetch_add(1) >= context_.config.max_pending_handshakes) {
      pending.fetch_sub(1);
      co_await refuse_upgrade(http::status::service_unavailable, ErrorCode::unavailable,
                              "too many connections are opening; try again later");
      co_return std::nullopt;
    }
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(16 * 1024);
    beast::error_code ec;
    // The stream's own expiry would close the socket; a timer that only cancels the read
    // leaves it open for the 408.
    bool timed_out = false;
    asio::steady_timer deadline(ws_.get_executor(), context_.config.handshake_timeout);
    deadline.async_wait([&stream, &timed_out](beast::error_code wait) {
      if (wait) return;
      timed_out = true;
      beast::error_code ignored;
      stream.socket().cancel(ignored);
    });
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    deadline.cancel();
    pending.fetch_sub(1);
    if (timed_out && ec) {
      spdlog::debug("session {}: no upgrade request within {} ms", remote(), context_.config.handshake_timeout.count());
      co_await refuse_upgrade(http::status::request_timeout, ErrorCode::bad_frame,
                              "the upgrade request did not arrive whole within " +
                                  std::to_string(context_.config.handshake_timeout.count()) + " ms");
      co_return std::nullopt;
    }
    if (ec) {
      spdlog::debug("session {}: bad upgrade request: {}", remote(), ec.message());
      if (ec != http::error::end_of_stream && ec != asio::error::connection_reset) {
        co_await refuse_upgrade(http::status::bad_request, ErrorCode::bad_frame, "malformed upgrade request");
      }
      co_return std::nullopt;
    }
    if (!websocket::is_upgrade(parser.get())) {
      co_await refuse_upgrade(http::status::bad_request, ErrorCode::bad_frame,
                              "this port speaks WebSocket only (the HTTP API has its own port)");
      co_return std::nullopt;
    }
    co_return parser.release();
  }

  awaitable<void> refuse_upgrade(http::status status, ErrorCode code, std::string message) {
    auto& stream = beast::get_lowest_layer(ws_);
    http::response<http::string_body> res{status, 11};
    res.set(http::field::server, "confab-server");
    res.set(http::field::content_type, "application/json");
    res.set(http::field::connection, "close");
    nlohmann::json body{{"code", std::string(to_string(code))},
                        {"retryable", status != http::status::bad_request},
                        {"message", std::move(message)}};
    res.body() = body.dump();
    res.prepare_payload();
    beast::error_code ec;
    stream.expires_after(std::chrono::seconds(5));
    co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    // Closing with unread bytes would send a reset, which can reach the client before the
    // answer does: read what has arrived first, then close.
    auto& socket = stream.socket();
    char sink[4096];
    for (std::size_t left = socket.available(ec); !ec && left > 0; left = socket.available(ec)) {
      socket.read_some(asio::buffer(sink, std::min(left, sizeof sink)), ec);
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
  }

  awaitable<void> run() {
    beast::error_code ec;
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(beast::http::field::server, "confab-server");
    }));
    // Compression for clients that offer it, with small windows and a small hash
    // (memory per connection: Beast's default memLevel, 4, costs an idle connection
    // about 6 KiB more than 2; confab-load idle), and none for short frames.
    websocket::permessage_deflate deflate;
    deflate.server_enable = true;
    deflate.server_max_window_bits = 10;
    deflate.client_max_window_bits = 10;
    deflate.msg_size_threshold = 256;
    deflate.memLevel = 2;
    ws_.set_option(deflate);
    // With compression on, each connection keeps a buffer of this size for what it
    // compresses (4 KiB by default); a compressed message longer than that goes out in
    // several frames. Most chat events compress to well under 1 KiB.
    ws_.write_buffer_bytes(kWriteBufferBytes);
    // Frames over the limit are answered with an error and a close reason by read_frame();
    // this backstop lets Beast drop absurdly large ones before reading them at all.
    ws_.read_message_max(context_.config.max_frame_bytes * 4);
    {
      // The upgrade request is dropped once accepted: the session outlives it.
      auto upgrade = co_await read_upgrade();
      if (!upgrade) co_return;
      co_await ws_.async_accept(*upgrade, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        spdlog::debug("session {}: upgrade failed: {}", remote(), ec.message());
        co_return;
      }
    }
    context_.hub.join(shared_from_this());
    arm_auth_deadline();
    asio::co_spawn(ws_.get_executor(), [self = shared_from_this()] { return self->write_loop(); },
                   asio::detached);

    co_await read_loop();

    finished_ = true;
    deadline_.cancel();
    wake_writer_.cancel();
    context_.hub.leave(this);
    context_.committer.forget(peer_.connection_id);
    if (peer_.authenticated()) {
      if (auto change = context_.presence.disconnected(peer_.user_id, peer_.connection_id)) {
        context_.publish_presence(*change);
      }
    }
    spdlog::debug("session {}: ended ({} {})", remote(), peer_.user_id, peer_.device_id);
    context_.session_ended();
  }

  awaitable<void> read_loop() {
    beast::flat_buffer buffer;
    for (;;) {
      while (inflight_ >= context_.config.max_inflight_per_session && !closing()) {
        // Back-pressure: stop reading until the committer has caught up.
        resume_reading_.expires_at(asio::steady_timer::time_point::max());
        beast::error_code ignored;
        co_await resume_reading_.async_wait(asio::redirect_error(use_awaitable, ignored));
      }
      // An idle connection holds no read buffer: what the last message needed is freed.
      buffer.clear();
      buffer.shrink_to_fit();
      auto outcome = co_await read_frame(buffer);
      if (outcome == ReadOutcome::ended) co_return;
      if (closing()) continue;  // draining until the peer answers our close
      if (outcome == ReadOutcome::oversized) {
        carry_out(context_.handler.on_oversized());
      } else if (!ws_.got_text()) {
        carry_out(context_.handler.on_binary());
      } else {
        bool was_authenticated = peer_.authenticated();
        auto data = buffer.cdata();
        std::string_view text(static_cast<const char*>(data.data()), data.size());
        Reaction reaction = context_.handler.on_text(peer_, text, context_.clock());
        if (!was_authenticated && peer_.authenticated()) {
          deadline_.cancel();
          context_.hub.identify(this, peer_.user_id);
          spdlog::info("session {}: authenticated user={} device={}", remote(), peer_.user_id, peer_.device_id);
          carry_out(std::move(reaction));
          came_online();
          continue;
        }
        carry_out(std::move(reaction));
      }
    }
  }

  enum class ReadOutcome { frame, oversized, ended };

  // Reads one message, stopping as soon as it passes the size limit so the connection is
  // still usable for the error frame and the close that answer it.
  awaitable<ReadOutcome> read_frame(beast::flat_buffer& buffer) {
    const std::size_t limit = context_.config.max_frame_bytes;
    beast::error_code ec;
    bool oversized = false;
    do {
      if (buffer.size() > limit) {
        oversized = true;
        buffer.clear();  // keep draining the rest of the message without keeping it
      }
      co_await ws_.async_read_some(buffer, limit + 1 - buffer.size(), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec != websocket::error::closed && ec != asio::error::operation_aborted) {
          spdlog::debug("session {}: read ended: {}", remote(), ec.message());
        }
        co_return ReadOutcome::ended;
      }
    } while (!ws_.is_message_done());
    co_return oversized || buffer.size() > limit ? ReadOutcome::oversized : ReadOutcome::frame;
  }

  void carry_out(Reaction reaction) {
    for (auto& reply : reaction.replies) queue(std::make_shared<const std::string>(std::move(reply)));
    if (reaction.close) close_with(std::move(*reaction.close));
    if (reaction.submit) submit(std::move(*reaction.submit), std::move(reaction.submit_id));
    if (reaction.query) run_query(std::move(reaction.query));
    if (reaction.withdraw) withdraw(std::move(*reaction.withdraw));
    if (reaction.presence) {
      auto change = context_.presence.heartbeat(peer_.user_id, peer_.connection_id, *reaction.presence,
                                                context_.clock());
      if (change) context_.publish_presence(*change);
      if (!presence_subscribed_) {
        presence_subscribed_ = true;
        send_presence_snapshot();
      }
    }
  }

  // Runs a query on the committer thread, in order with this connection's sends; its
  // outcome goes out through the fanout from there.
  void run_query(Query query) {
    ++inflight_;
    std::weak_ptr<Requester> self = shared_from_this();
    const Fanout& fanout = context_.fanout;
    const FrameSink* sink = this;
    context_.committer.run([self, &fanout, sink, query = std::move(query)](MessageStore* store, std::int64_t now_ms) {
      fanout.publish(query(store, now_ms), self, sink);
    });
  }

  // The device is online: tell the user's contacts when that changes the user's status.
  void came_online() {
    if (auto change = context_.presence.heartbeat(peer_.user_id, peer_.connection_id, "online", context_.clock())) {
      context_.publish_presence(*change);
    }
  }

  // A device's first heartbeat subscribes it to presence: it learns who among its
  // contacts is online or idle now, then every change.
  void send_presence_snapshot() {
    PresenceBoard& board = context_.presence;
    Hub& hub = context_.hub;
    const FrameSink* sink = this;
    // Subscribing on the committer thread orders it with the changes published there:
    // those before are in the snapshot, those after are delivered.
    run_query([user = peer_.user_id, &board, &hub, sink, fanout = context_.config.presence_fanout_limit](
                  MessageStore* store, std::int64_t) {
      Outcome out;
      if (store == nullptr) return out;
      hub.subscribe_presence(sink);
      for (const auto& contact : store->contacts(user, fanout)) {
        if (contact == user) continue;
        std::string status = board.status_of(contact);
        if (status != "offline") out.replies.push_back(protocol::encode(protocol::ServerFrame{protocol::Presence{contact, status}}));
      }
      return out;
    });
  }

  void submit(SendRequest request, std::string request_id) {
    ++inflight_;
    std::weak_ptr<Requester> self = shared_from_this();
    const Fanout& fanout = context_.fanout;
    const FrameSink* sink = this;
    // Runs on the committer thread, after the commit, in commit order.
    context_.committer.submit(std::move(request), [self, &fanout, sink, request_id = std::move(request_id)](
                                                      AppendResult&& result) {
      fanout.publish(fanout.sent(request_id, result), self, sink);
    });
  }

  // Counted with the sends in flight, so that a flood of withdrawals meets the same
  // back-pressure; it has no reply.
  void withdraw(protocol::MessageWithdraw withdrawal) {
    ++inflight_;
    std::weak_ptr<WsSession> weak = shared_from_this();
    context_.committer.withdraw(peer_.connection_id, std::move(withdrawal.conversation_id),
                                std::move(withdrawal.client_message_id), [weak] {
                                  if (auto self = weak.lock()) self->answered({});
                                });
  }

  void answered(std::vector<std::string> replies) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), replies = std::move(replies)]() mutable {
      --self->inflight_;
      for (auto& reply : replies) self->queue(std::make_shared<const std::string>(std::move(reply)));
      self->resume_reading_.cancel();
    });
  }

  void queue(std::shared_ptr<const std::string> frame) {
    if (closing() || finished_) return;
    if (queued_bytes_ + frame->size() > context_.config.max_queued_bytes_per_session) {
      spdlog::warn("session {}: slow consumer ({} bytes queued); closing", remote(), queued_bytes_);
      outgoing_.clear();
      queued_bytes_ = 0;
      close_with(CloseRequest{protocol::close_code::kTryAgainLater, "slow consumer: too many frames queued"});
      return;
    }
    queued_bytes_ += frame->size();
    outgoing_.push_back(std::move(frame));
    wake_writer_.cancel();
  }

  void close_with(CloseRequest request) {
    if (closing() || finished_) return;
    spdlog::debug("session {}: closing with {} ({})", remote(), request.code, request.reason);
    close_ = std::move(request);
    wake_writer_.cancel();
    resume_reading_.cancel();
    // A peer that never answers the close (or never reads) cannot hold the connection.
    deadline_.expires_after(kCloseDeadline);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->tear_down();
    });
  }

  void arm_auth_deadline() {
    deadline_.expires_after(context_.config.auth_timeout);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->peer_.authenticated() || self->finished_) return;
      self->carry_out(self->context_.handler.on_auth_timeout());
    });
  }

  awaitable<void> write_loop() {
    beast::error_code ec;
    while (!finished_) {
      if (!outgoing_.empty()) {
        auto frame = std::move(outgoing_.front());
        outgoing_.pop_front();
        queued_bytes_ -= frame->size();
        if (auto delay = context_.faults.delay_ms.load(); delay > 0) {
          asio::steady_timer pause(ws_.get_executor(), std::chrono::milliseconds(delay));
          co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
        }
        ws_.text(true);
        co_await ws_.async_write(asio::buffer(*frame), asio::redirect_error(use_awaitable, ec));
        if (ec) {
          tear_down();
          co_return;
        }
        continue;
      }
      if (close_) {
        websocket::close_reason reason(static_cast<websocket::close_code>(close_->code), close_->reason);
        co_await ws_.async_close(reason, asio::redirect_error(use_awaitable, ec));
        if (ec) tear_down();
        co_return;  // the read loop ends when the peer answers
      }
      wake_writer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_writer_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }

  void tear_down() {
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  bool closing() const noexcept { return close_.has_value(); }
  std::string remote() const { return remote_.address().to_string() + ":" + std::to_string(remote_.port()); }

  SessionContext& context_;
  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer wake_writer_;
  asio::steady_timer resume_reading_;
  asio::steady_timer deadline_;  // auth deadline, then close deadline
  tcp::endpoint remote_;

  Peer peer_;
  std::deque<std::shared_ptr<const std::string>> outgoing_;
  std::size_t queued_bytes_ = 0;
  std::size_t inflight_ = 0;
  std::optional<CloseRequest> close_;
  bool finished_ = false;
  bool presence_subscribed_ = false;
};

}  // namespace

void start_session(tcp::socket socket, SessionContext& context) {
  std::make_shared<WsSession>(std::move(socket), context)->start();
}

}  // namespace confab::server
