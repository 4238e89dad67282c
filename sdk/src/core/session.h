// The client side of one device's session, without I/O.
//
// Inputs are the app's intents (connect, disconnect, enqueue) and what the transport
// reports (opened, frame received, closed). Outputs are actions, drained in order by the
// adapter: frames to write, a connection to close, outbox rows to persist, and
// notifications for the app. The outbox rules live in core::Outbox; the session connects
// them to the wire. Time comes from an injected clock, so tests can drive it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "confab/connection.h"
#include "confab/error.h"
#include "confab/message.h"
#include "core/outbox.h"
#include "core/protocol.h"

namespace confab::core {

struct SendFrame {
  std::string text;
};
struct CloseConnection {
  Error reason;
};
struct NotifyConnection {
  ConnectionChange change;
};
struct NotifyOutbox {
  LocalMessage message;
};
struct NotifyMessage {
  Message message;
};
// An outbox row changed; a `discarded` row is to be deleted.
struct PersistOutbox {
  OutboxRow row;
};
// The server listed the user's conversations (all of them, in id order).
struct KnownConversations {
  std::vector<std::string> ids;
};
using Action = std::variant<SendFrame, CloseConnection, NotifyConnection, NotifyOutbox, NotifyMessage, PersistOutbox,
                            KnownConversations>;

struct SessionOptions {
  std::string device_id;
  OutboxPolicy outbox;
  std::uint64_t seed = 0;  // for the backoff's jitter
};

class Session {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix milliseconds

  Session(SessionOptions options, Clock clock);

  // The unsent rows found in the database at startup.
  void restore(std::vector<OutboxRow> rows);

  // The adapter is about to open a transport; the token goes into the auth frame.
  // Messages that were on the wire of a previous connection go back to pending.
  void connect_requested(std::string token);
  // The app wants the connection closed.
  void disconnect_requested();
  // A new outgoing message, already committed to the database, in state pending.
  void enqueue(OutboxRow row);
  // The app's outbox requests (see Outbox::retry and Outbox::discard).
  Result<void> retry(std::int64_t local_id);
  Result<void> discard(std::int64_t local_id);
  // Time passed: resend unanswered messages, send backed-off ones, expire old ones.
  void tick();
  // When tick() next has work, if ever.
  std::optional<std::int64_t> next_wakeup() const;
  std::vector<LocalMessage> unsent() const { return outbox_.unsent(); }
  const OutboxRow* find_unsent(std::int64_t local_id) const { return outbox_.find_row(local_id); }

  void transport_opened();
  void frame_received(std::string_view text);
  // The transport is gone (for any reason); `why` says what happened.
  void transport_closed(const Error& why);

  ConnectionState state() const noexcept { return state_; }
  // The server's id for this user, once authenticated.
  const std::string& user_id() const noexcept { return user_id_; }

  std::vector<Action> take_actions();

 private:
  void on_auth_ok(const protocol::AuthOk& ok);
  void on_conversations(const protocol::Conversations& page);
  void request_conversations(std::string after);
  void finish_connecting();
  void on_error(const protocol::ErrorFrame& frame);
  void fail_connection(Error error);
  void set_state(ConnectionState state, std::optional<Error> error = std::nullopt);
  bool connected() const noexcept { return state_ == ConnectionState::connected; }
  // Runs the outbox and turns what it did into actions.
  void flush_outbox();
  void drain_outbox();

  SessionOptions options_;
  Clock clock_;
  std::string token_;
  std::string user_id_;
  ConnectionState state_ = ConnectionState::initialized;
  bool transport_open_ = false;

  Outbox outbox_;
  std::vector<std::string> listed_;  // conversations listed so far while connecting
  std::vector<Action> actions_;
};

}  // namespace confab::core
