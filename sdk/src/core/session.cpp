#include "core/session.h"

#include <utility>

namespace confab::core {
namespace {

constexpr std::string_view kAuthRequestId = "auth";
constexpr std::string_view kListRequestId = "conversations";

// The request that carries an outbox row. Its id is the row's clientMessageId, so the
// answer finds the row again.
std::string encode_request(const LocalMessage& m) {
  if (m.kind == OutboxKind::message) {
    return protocol::encode(protocol::MessageSend{m.client_message_id, m.conversation_id, m.client_message_id,
                                                  protocol::Body{m.text}});
  }
  protocol::MessageChange change;
  change.id = m.client_message_id;
  change.conversation_id = m.conversation_id;
  change.client_message_id = m.client_message_id;
  change.message_id = m.target_message_id;
  switch (m.kind) {
    case OutboxKind::edit:
      change.kind = protocol::ChangeKind::edit;
      change.body.text = m.text;
      break;
    case OutboxKind::remove:
      change.kind = protocol::ChangeKind::remove;
      break;
    case OutboxKind::react:
    case OutboxKind::unreact:
      change.kind = m.kind == OutboxKind::react ? protocol::ChangeKind::react : protocol::ChangeKind::unreact;
      change.emoji = m.emoji;
      break;
    case OutboxKind::message:
      break;
  }
  return protocol::encode(change);
}

}  // namespace

Session::Session(SessionOptions options, Clock clock)
    : options_(std::move(options)), clock_(std::move(clock)), outbox_(options_.outbox, options_.seed) {}

std::vector<Action> Session::take_actions() { return std::exchange(actions_, {}); }

void Session::set_state(ConnectionState state, std::optional<Error> error) {
  if (state == state_ && !error) return;
  state_ = state;
  NotifyConnection notify;
  notify.change.state = state;
  notify.change.error = std::move(error);
  actions_.emplace_back(std::move(notify));
}

void Session::drain_outbox() {
  for (auto& row : outbox_.take_transmit()) {
    actions_.push_back(SendFrame{encode_request(row.message)});
  }
  auto changed = outbox_.take_changed();
  actions_.reserve(actions_.size() + 2 * changed.size());
  for (auto& row : changed) {
    actions_.emplace_back(std::in_place_type<NotifyOutbox>, NotifyOutbox{row.message});
    actions_.emplace_back(std::in_place_type<PersistOutbox>, PersistOutbox{std::move(row)});
  }
}

void Session::flush_outbox() {
  outbox_.flush(clock_(), connected());
  drain_outbox();
}

void Session::restore(std::vector<OutboxRow> rows) {
  outbox_.restore(std::move(rows));
  flush_outbox();
}

void Session::connect_requested(std::string token) {
  token_ = std::move(token);
  user_id_.clear();
  transport_open_ = false;
  outbox_.connection_lost(Error::make(ErrorCode::transport, "reconnecting"));
  set_state(ConnectionState::connecting);
  drain_outbox();
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

void Session::enqueue(OutboxRow row) {
  outbox_.add(std::move(row));
  flush_outbox();
}

Result<void> Session::retry(std::int64_t local_id) {
  auto done = outbox_.retry(local_id, clock_());
  flush_outbox();
  return done;
}

Result<void> Session::discard(std::int64_t local_id) {
  auto done = outbox_.discard(local_id);
  drain_outbox();
  return done;
}

void Session::tick() { flush_outbox(); }

std::optional<std::int64_t> Session::next_wakeup() const { return outbox_.next_wakeup(clock_(), connected()); }

void Session::transport_opened() {
  if (state_ != ConnectionState::connecting) return;
  transport_open_ = true;
  protocol::Auth auth{std::string(kAuthRequestId), token_, protocol::kVersion, options_.device_id};
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
          if (outbox_.on_ack(frame.client_message_id, frame.message_id, frame.conversation_seq)) flush_outbox();
        } else if constexpr (std::is_same_v<T, protocol::Event>) {
          if (state_ == ConnectionState::connected) {
            actions_.push_back(NotifyMessage{protocol::to_message(frame)});
          }
        } else if constexpr (std::is_same_v<T, protocol::Conversations>) {
          on_conversations(frame);
        } else if constexpr (std::is_same_v<T, protocol::ErrorFrame>) {
          on_error(frame);
        }
      },
      decoded.value());
}

void Session::fail_connection(Error error) {
  actions_.push_back(CloseConnection{error});
  transport_open_ = false;
  outbox_.connection_lost(error);
  set_state(ConnectionState::disconnected, std::move(error));
  drain_outbox();
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
  // The conversation list comes before `connected`, so that once connected, send() knows
  // which conversations exist for this user.
  listed_.clear();
  request_conversations({});
}

void Session::request_conversations(std::string after) {
  actions_.push_back(SendFrame{protocol::encode(
      protocol::ConversationsList{std::string(kListRequestId), std::move(after), protocol::kMaxConversationsPage})});
}

void Session::on_conversations(const protocol::Conversations& page) {
  if (state_ != ConnectionState::connecting || user_id_.empty() || page.id != kListRequestId) return;
  for (const auto& item : page.items) listed_.push_back(item.conversation_id);
  if (!page.next.empty() && !page.items.empty()) {
    request_conversations(page.next);
    return;
  }
  actions_.push_back(KnownConversations{std::exchange(listed_, {})});
  finish_connecting();
}

void Session::finish_connecting() {
  set_state(ConnectionState::connected);
  flush_outbox();
}

void Session::on_error(const protocol::ErrorFrame& frame) {
  if (state_ == ConnectionState::connecting && !user_id_.empty() && frame.id == kListRequestId) {
    // A server that cannot list conversations: connect without the list.
    finish_connecting();
    return;
  }
  if (state_ == ConnectionState::connecting) {
    // The server refused the auth frame; it closes the connection next.
    transport_open_ = false;
    bool permanent = !frame.error.retryable;
    set_state(permanent ? ConnectionState::failed : ConnectionState::disconnected, frame.error);
    return;
  }
  // The request id of a send is its clientMessageId; other errors concern no message.
  if (outbox_.on_refused(frame.id, frame.error, clock_())) flush_outbox();
}

void Session::transport_closed(const Error& why) {
  transport_open_ = false;
  outbox_.connection_lost(why);
  drain_outbox();
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
