// confab::Client: the adapter around the core session. It owns the network thread (an
// io_context) on which the core and the transport live, and the callback thread on
// which the app's callbacks run.
#include "confab/client.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "client/callback_thread.h"
#include "client/listener_table.h"
#include "core/ids.h"
#include "core/protocol.h"
#include "core/session.h"
#include "core/utf8.h"
#include "net/url.h"
#include "net/ws_transport.h"

namespace confab {

namespace asio = boost::asio;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Error invalid(std::string message) { return Error::make(ErrorCode::invalid_argument, std::move(message)); }

}  // namespace

class Client::Impl {
 public:
  explicit Impl(ClientOptions options)
      : options_(std::move(options)),
        work_(asio::make_work_guard(io_)),
        session_(options_.device_id),
        callback_thread_(std::make_shared<client::CallbackThread>()),
        connection_listeners_(std::make_shared<client::ListenerTable<ConnectionChange>>(callback_thread_)),
        message_listeners_(std::make_shared<client::ListenerTable<Message>>(callback_thread_)),
        outbox_listeners_(std::make_shared<client::ListenerTable<LocalMessage>>(callback_thread_)),
        network_thread_([this] { io_.run(); }) {}

  ~Impl() {
    // Stop the network thread first, so nothing new is published; then tear the
    // connection down (no thread touches it any more). The callback thread stops last,
    // dropping whatever it had not run yet.
    io_.stop();
    network_thread_.join();
    transport_.reset();
    callback_thread_->stop();
  }

  Result<void> connect(std::string_view url, std::string token) {
    auto parsed = net::parse_ws_url(url);
    if (!parsed) return parsed.error();
    if (parsed->secure) return invalid("wss:// is not supported yet; use ws:// with allow_insecure_transport");
    if (!options_.allow_insecure_transport) {
      return invalid("ws:// is unencrypted; set ClientOptions::allow_insecure_transport to use it");
    }
    if (token.empty()) return invalid("the token is empty");
    if (token.size() > protocol::kMaxTokenBytes) return invalid("the token exceeds 4096 bytes");
    if (!utf8::is_valid(token)) return invalid("the token is not valid UTF-8");

    asio::post(io_, [this, url = std::move(parsed).value(), token = std::move(token)]() mutable {
      transport_.reset();  // a previous connection, if any; its callbacks are dropped
      session_.connect_requested(std::move(token));
      transport_ = std::make_unique<net::WsTransport>(io_.get_executor(), std::move(url),
                                                      options_.connect_step_timeout,
                                                      transport_callbacks());
      transport_->start();
      apply(session_.take_actions());
    });
    return {};
  }

  void disconnect() {
    asio::post(io_, [this] {
      session_.disconnect_requested();
      if (!transport_) session_.transport_closed(Error::make(ErrorCode::closed, "not connected"));
      apply(session_.take_actions());
    });
  }

  ConnectionState connection_state() const { return state_.load(); }

  Result<LocalMessage> send(std::string_view conversation_id, std::string_view text) {
    if (!protocol::is_identifier(conversation_id)) {
      return invalid("the conversation id must be 1-128 characters from A-Z a-z 0-9 . _ : -");
    }
    if (text.empty()) return invalid("the message text is empty");
    if (text.size() > protocol::kMaxTextBytes) {
      return invalid("the message text is " + std::to_string(text.size()) + " bytes; the limit is " +
                     std::to_string(protocol::kMaxTextBytes));
    }
    if (!utf8::is_valid(text)) return invalid("the message text is not valid UTF-8");

    LocalMessage message;
    message.client_message_id = ids::new_uuid_v7();
    message.conversation_id = std::string(conversation_id);
    message.text = std::string(text);
    message.created_at_ms = now_ms();
    message.state = OutboxState::pending;
    asio::post(io_, [this, message] {
      session_.enqueue(message);
      apply(session_.take_actions());
    });
    return message;
  }

  Subscription on_connection(std::function<void(const ConnectionChange&)> callback) {
    return connection_listeners_->add(std::move(callback));
  }
  Subscription on_message(std::function<void(const Message&)> callback) {
    return message_listeners_->add(std::move(callback));
  }
  Subscription on_outbox(std::function<void(const LocalMessage&)> callback) {
    return outbox_listeners_->add(std::move(callback));
  }

 private:
  net::TransportCallbacks transport_callbacks() {
    return net::TransportCallbacks{
        .opened = [this] { session_.transport_opened(); apply(session_.take_actions()); },
        .frame = [this](std::string frame) { session_.frame_received(frame); apply(session_.take_actions()); },
        .closed =
            [this](const Error& why) {
              transport_.reset();  // its coroutine keeps what it still needs alive
              session_.transport_closed(why);
              apply(session_.take_actions());
            },
    };
  }

  // Carries out the core's actions, in order, on the network thread.
  void apply(std::vector<core::Action> actions) {
    for (auto& action : actions) {
      std::visit(
          [this](auto& a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, core::SendFrame>) {
              if (transport_) transport_->send(std::move(a.text));
            } else if constexpr (std::is_same_v<T, core::CloseConnection>) {
              if (transport_) transport_->close();
            } else if constexpr (std::is_same_v<T, core::NotifyConnection>) {
              state_.store(a.change.state);
              connection_listeners_->publish(std::move(a.change));
            } else if constexpr (std::is_same_v<T, core::NotifyOutbox>) {
              outbox_listeners_->publish(std::move(a.message));
            } else if constexpr (std::is_same_v<T, core::NotifyMessage>) {
              message_listeners_->publish(std::move(a.message));
            }
          },
          action);
    }
  }

  const ClientOptions options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::atomic<ConnectionState> state_{ConnectionState::initialized};

  // Network thread only.
  core::Session session_;
  std::unique_ptr<net::WsTransport> transport_;

  std::shared_ptr<client::CallbackThread> callback_thread_;
  std::shared_ptr<client::ListenerTable<ConnectionChange>> connection_listeners_;
  std::shared_ptr<client::ListenerTable<Message>> message_listeners_;
  std::shared_ptr<client::ListenerTable<LocalMessage>> outbox_listeners_;

  std::thread network_thread_;  // last: starts once everything above exists
};

Result<std::unique_ptr<Client>> Client::open(ClientOptions options) {
  if (!protocol::is_identifier(options.device_id)) {
    return invalid("the device id must be 1-128 characters from A-Z a-z 0-9 . _ : -");
  }
  if (options.connect_step_timeout <= std::chrono::milliseconds::zero()) {
    return invalid("connect_step_timeout must be positive");
  }
  return std::unique_ptr<Client>(new Client(std::make_unique<Impl>(std::move(options))));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<void> Client::connect(std::string_view url, std::string token) {
  return impl_->connect(url, std::move(token));
}
void Client::disconnect() { impl_->disconnect(); }
ConnectionState Client::connection_state() const { return impl_->connection_state(); }
Result<LocalMessage> Client::send(std::string_view conversation_id, std::string_view text) {
  return impl_->send(conversation_id, text);
}
Subscription Client::on_connection(std::function<void(const ConnectionChange&)> callback) {
  return impl_->on_connection(std::move(callback));
}
Subscription Client::on_message(std::function<void(const Message&)> callback) {
  return impl_->on_message(std::move(callback));
}
Subscription Client::on_outbox(std::function<void(const LocalMessage&)> callback) {
  return impl_->on_outbox(std::move(callback));
}

}  // namespace confab
