#include "core/session.h"

#include <utility>

namespace confab::core {
namespace {

constexpr std::string_view kAuthRequestId = "auth";

}  // namespace

Session::Session(std::string device_id) : device_id_(std::move(device_id)) {}

std::vector<Action> Session::take_actions() { return std::exchange(actions_, {}); }

void Session::set_state(ConnectionState state, std::optional<Error> error) {
  if (state == state_ && !error) return;
  state_ = state;
  NotifyConnection notify;
  notify.change.state = state;
  notify.change.error = std::move(error);
  actions_.emplace_back(std::move(notify));
}

void Session::connect_requested(std::string token) {
  token_ = std::move(token);
  transport_open_ = false;
  requeue_in_flight(std::nullopt);
  set_state(ConnectionState::connecting);
}

void Session::disconnect_requested() {
  if (state_ == ConnectionState::closed || state_ == ConnectionState::closing) return;
  bool has_transport = state_ == ConnectionState::connecting || state_ == ConnectionState::connected;
  if (!has_transport) {
    set_state(ConnectionState::closed);
    return;
  }
  set_state(ConnectionState::closing);
  actions_.push_back(CloseConnection{Error::make(ErrorCode::closed, "disconnect requested")});
}

void Session::enqueue(LocalMessage message) {
  message.state = OutboxState::pending;
  std::string id = message.client_message_id;
  auto it = outbox_.insert(outbox_.end(), std::move(message));
  by_client_id_.emplace(std::move(id), it);
  if (state_ == ConnectionState::connected) {
    transmit(*it);
  } else {
    actions_.push_back(NotifyOutbox{*it});
  }
}

void Session::transmit(LocalMessage& message) {
  protocol::MessageSend send{message.client_message_id, message.conversation_id,
                             message.client_message_id, protocol::Body{message.text}};
  actions_.push_back(SendFrame{protocol::encode(send)});
  message.state = OutboxState::sending;
  actions_.push_back(NotifyOutbox{message});
}

void Session::requeue_in_flight(const std::optional<Error>& why) {
  for (auto& message : outbox_) {
    if (message.state != OutboxState::sending) continue;
    message.state = OutboxState::pending;
    if (why) message.last_error = why;
    actions_.push_back(NotifyOutbox{message});
  }
}

void Session::settle(Outbox::iterator it) {
  actions_.push_back(NotifyOutbox{*it});
  by_client_id_.erase(it->client_message_id);
  outbox_.erase(it);
}

void Session::transport_opened() {
  if (state_ != ConnectionState::connecting) return;
  transport_open_ = true;
  protocol::Auth auth{std::string(kAuthRequestId), token_, protocol::kVersion, device_id_};
  actions_.push_back(SendFrame{protocol::encode(auth)});
}

void Session::frame_received(std::string_view text) {
  if (!transport_open_) return;
  auto decoded = protocol::decode_server_frame(text);
  if (!decoded) {
    const auto& e = decoded.error();
    // A frame type or event kind from a newer server is skipped; anything else means the
    // server broke the protocol, and the connection cannot be trusted.
    if (e.code == ErrorCode::unknown_type) return;
    fail_connection(Error::make(ErrorCode::bad_frame, "server sent an invalid frame: " + e.message));
    return;
  }
  std::visit(
      [this](const auto& frame) {
        using T = std::decay_t<decltype(frame)>;
        if constexpr (std::is_same_v<T, protocol::AuthOk>) {
          on_auth_ok(frame);
        } else if constexpr (std::is_same_v<T, protocol::MessageAck>) {
          on_ack(frame);
        } else if constexpr (std::is_same_v<T, protocol::Event>) {
          if (state_ == ConnectionState::connected) {
            actions_.push_back(NotifyMessage{protocol::to_message(frame)});
          }
        } else if constexpr (std::is_same_v<T, protocol::ErrorFrame>) {
          on_error(frame);
        }
      },
      decoded.value());
}

void Session::fail_connection(Error error) {
  actions_.push_back(CloseConnection{error});
  transport_open_ = false;
  requeue_in_flight(error);
  set_state(ConnectionState::disconnected, std::move(error));
}

void Session::on_auth_ok(const protocol::AuthOk& ok) {
  if (state_ != ConnectionState::connecting) return;
  if (ok.protocol_version != protocol::kVersion) {
    Error error = Error::make(ErrorCode::unsupported_version,
                              "server chose protocol version " + std::to_string(ok.protocol_version));
    actions_.push_back(CloseConnection{error});
    transport_open_ = false;
    set_state(ConnectionState::failed, std::move(error));
    return;
  }
  user_id_ = ok.user_id;
  set_state(ConnectionState::connected);
  for (auto& message : outbox_) {
    if (message.state == OutboxState::pending) transmit(message);
  }
}

void Session::on_ack(const protocol::MessageAck& ack) {
  auto found = by_client_id_.find(ack.client_message_id);
  if (found == by_client_id_.end()) return;  // already settled: a repeated ack
  auto it = found->second;
  it->state = OutboxState::sent;
  it->message_id = ack.message_id;
  it->conversation_seq = ack.conversation_seq;
  it->last_error.reset();
  settle(it);
}

void Session::on_error(const protocol::ErrorFrame& frame) {
  if (state_ == ConnectionState::connecting) {
    // The server refused the auth frame; it closes the connection next.
    transport_open_ = false;
    bool permanent = !frame.error.retryable;
    set_state(permanent ? ConnectionState::failed : ConnectionState::disconnected, frame.error);
    return;
  }
  auto found = by_client_id_.find(frame.id);
  if (found == by_client_id_.end()) return;  // not about a message in the outbox
  auto it = found->second;
  it->last_error = frame.error;
  if (frame.error.retryable) {
    // Kept in place so order holds; sent again on the next connection.
    it->state = OutboxState::pending;
    actions_.push_back(NotifyOutbox{*it});
  } else {
    it->state = OutboxState::failed;
    settle(it);
  }
}

void Session::transport_closed(const Error& why) {
  transport_open_ = false;
  requeue_in_flight(why);
  switch (state_) {
    case ConnectionState::failed:
      break;  // keep the reason we failed for
    case ConnectionState::closing:
    case ConnectionState::closed:
      set_state(ConnectionState::closed);
      break;
    case ConnectionState::disconnected:
      break;  // already reported (we closed it after a protocol error)
    default:
      set_state(ConnectionState::disconnected, why);
      break;
  }
}

}  // namespace confab::core
