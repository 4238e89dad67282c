#include "server.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "committer.h"
#include "ephemeral.h"
#include "fanout.h"
#include "frame_handler.h"
#include "http_api.h"
#include "hub.h"
#include "push.h"
#include "message_store.h"
#include "ws_session.h"

namespace confab::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// How long a graceful shutdown waits for connections to finish closing.
constexpr std::chrono::seconds kShutdownGrace{5};

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerConfig config, std::unique_ptr<MessageStore> store)
      : config_(std::move(config)),
        store_(std::move(store)),
        presence_(config_.presence_ttl.count()),
        typing_(config_.typing_ttl.count()),
        tokens_(std::make_shared<const TokenAuthority>(config_)),
        handler_(config_, tokens_, &typing_, &presence_),
        committer_(*store_, config_.max_batch, unix_ms),
        fanout_(hub_, faults_, [this](std::vector<PushNotification> pushes) { queue_push(std::move(pushes)); }),
        context_{config_,  handler_, committer_, hub_, unix_ms, [this] { on_session_ended(); }, presence_,
                 [this](const PresenceBoard::Change& change) { publish_presence(change); }, faults_, fanout_},
        http_(config_, *tokens_, committer_, hub_, faults_, unix_ms),
        push_provider_(config_.push_file.empty()
                           ? std::unique_ptr<PushProvider>(std::make_unique<LogPushProvider>())
                           : std::make_unique<FilePushProvider>(config_.push_file)),
        push_(committer_, *push_provider_, unix_ms),
        io_(config_.threads),
        acceptor_(io_),
        signals_(io_, SIGINT, SIGTERM),
        shutdown_deadline_(io_),
        sweeper_(io_) {}

  Result<void> bind() {
    try {
      tcp::endpoint endpoint(asio::ip::make_address(config_.listen_address), config_.port);
      acceptor_.open(endpoint.protocol());
      acceptor_.set_option(asio::socket_base::reuse_address(true));
      acceptor_.bind(endpoint);
      acceptor_.listen(asio::socket_base::max_listen_connections);
      return {};
    } catch (const std::exception& e) {
      return Error::make(ErrorCode::internal, "cannot listen on " + config_.listen_address + ":" +
                                                  std::to_string(config_.port) + ": " + e.what());
    }
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::uint16_t http_port() const { return http_.port(); }

  Result<void> bind_http() {
    if (auto bound = http_.bind(); !bound) return bound;
    http_.set_websocket_url(!config_.public_ws_url.empty()
                                ? config_.public_ws_url
                                : "ws://" + config_.listen_address + ":" + std::to_string(port()) + "/");
    return {};
  }

  void run() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("received signal {}; shutting down", signal);
      begin_shutdown();
    });
    asio::co_spawn(io_, accept_loop(), asio::detached);
    http_.start();
    push_.start();
    sweep();
    std::vector<std::thread> extra;
    for (int i = 1; i < config_.threads; ++i) extra.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& t : extra) t.join();
    http_.stop();
    push_.stop();
    committer_.stop();
    spdlog::info("stopped");
  }

  void stop() {
    asio::post(io_, [this] { begin_shutdown(); });
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::make_strand(io_),
                                                           asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor_.is_open()) co_return;
        spdlog::warn("accept failed: {}", ec.message());
        continue;
      }
      if (unix_ms() < faults_.refuse_until_ms.load()) {
        socket.close(ec);  // fault injection: refuse connections for a while
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      start_session(std::move(socket), context_);
    }
  }

  // Called on the committer thread, after the commit that caused it; stored in a job of
  // its own (a crash in between loses a wake-up, never a message). The wake-ups of every
  // message committed before that job runs share its transaction: a job per message
  // would cost a sync to disk per message sent to an offline member.
  void queue_push(std::vector<PushNotification> pushes) {
    bool scheduled = !pending_pushes_.empty();
    std::move(pushes.begin(), pushes.end(), std::back_inserter(pending_pushes_));
    if (scheduled) return;
    committer_.run([this](MessageStore* store, std::int64_t) {
      auto queued = std::exchange(pending_pushes_, {});
      if (store == nullptr) return;
      if (auto stored = store->enqueue_push(queued); !stored) spdlog::error("{}", stored.error().message);
      push_.wake();
    });
  }

  // Presence changes go to the user's contacts (see MessageStore::contacts).
  void publish_presence(const PresenceBoard::Change& change) {
    Hub& hub = hub_;
    committer_.run([&hub, change, fanout = config_.presence_fanout_limit](MessageStore* store, std::int64_t) {
      if (store == nullptr) return;
      auto frame = std::make_shared<const std::string>(
          protocol::encode(protocol::ServerFrame{protocol::Presence{change.user_id, change.status}}));
      hub.deliver_presence(store->contacts(change.user_id, fanout), frame);
    });
  }

  // Once a second: devices whose heartbeat ran out, and typing that was not renewed.
  void sweep() {
    sweeper_.expires_after(std::chrono::seconds(1));
    sweeper_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_.load()) return;
      auto now = unix_ms();
      for (const auto& change : presence_.expire(now)) publish_presence(change);
      auto ended = typing_.expire(now);
      if (!ended.empty()) {
        Hub& hub = hub_;
        committer_.run([&hub, ended = std::move(ended)](MessageStore* store, std::int64_t) {
          if (store == nullptr) return;
          for (const auto& [conversation, user] : ended) {
            auto frame = std::make_shared<const std::string>(
                protocol::encode(protocol::ServerFrame{protocol::Typing{conversation, user, false}}));
            hub.deliver(store->members(conversation), frame, user);
          }
        });
      }
      sweep();
    });
  }

  void begin_shutdown() {
    if (stopping_.exchange(true)) return;
    boost::system::error_code ignored;
    sweeper_.cancel();
    acceptor_.close(ignored);
    http_.stop();
    signals_.cancel(ignored);
    // Everything received so far is committed and acknowledged before connections close;
    // later sends are refused with a retryable `unavailable`.
    committer_.stop();
    hub_.go_away_all();
    shutdown_deadline_.expires_after(kShutdownGrace);
    shutdown_deadline_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) io_.stop();
    });
    // Once the last session has closed, the server stops without waiting for connections
    // still in their upgrade (a slowloris burst would otherwise hold it for the handshake
    // timeout).
    if (hub_.size() == 0) io_.stop();
  }

  void on_session_ended() {
    if (stopping_.load() && hub_.size() == 0) {
      asio::post(io_, [this] { io_.stop(); });
    }
  }

  ServerConfig config_;
  Faults faults_;
  std::unique_ptr<MessageStore> store_;
  PresenceBoard presence_;
  TypingBoard typing_;
  std::shared_ptr<const TokenAuthority> tokens_;
  FrameHandler handler_;
  Hub hub_;
  std::vector<PushNotification> pending_pushes_;  // on the committer thread only
  Committer committer_;
  Fanout fanout_;  // what leaves the server after each commit
  SessionContext context_;
  HttpApi http_;
  std::unique_ptr<PushProvider> push_provider_;
  PushWorker push_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer shutdown_deadline_;
  asio::steady_timer sweeper_;
  std::atomic<bool> stopping_{false};
};

Result<std::unique_ptr<Server>> Server::create(ServerConfig config) {
  if (auto valid = validate(config); !valid) return valid.error();
  if (config.attachments_dir.empty()) {
    config.attachments_dir = config.database.parent_path() / (config.database.stem().string() + "-attachments");
  }
  auto store = MessageStore::open(config.database, config.durability);
  if (!store) return store.error();
  if (auto applied = (*store)->apply_directory(config); !applied) return applied.error();
  auto impl = std::make_unique<Impl>(std::move(config), std::move(store).value());
  if (auto bound = impl->bind(); !bound) return bound.error();
  if (auto bound = impl->bind_http(); !bound) return bound.error();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
std::uint16_t Server::port() const { return impl_->port(); }
std::uint16_t Server::http_port() const { return impl_->http_port(); }
void Server::run() { impl_->run(); }
void Server::stop() { impl_->stop(); }

}  // namespace confab::server
