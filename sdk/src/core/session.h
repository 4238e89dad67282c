// The client side of one device's session, without I/O.
//
// Inputs are the app's intents (connect, disconnect, enqueue) and what the transport
// reports (opened, frame received, closed). Outputs are actions, drained in order by the
// adapter: frames to write, a connection to close, and notifications for the app. The
// session keeps the outbox (in memory in this version) and decides what goes on the wire
// and when.
#pragma once

#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "confab/connection.h"
#include "confab/error.h"
#include "confab/message.h"
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
using Action = std::variant<SendFrame, CloseConnection, NotifyConnection, NotifyOutbox, NotifyMessage>;

class Session {
 public:
  explicit Session(std::string device_id);

  // The adapter is about to open a transport; the token goes into the auth frame.
  // Messages that were on the wire of a previous connection go back to pending.
  void connect_requested(std::string token);
  // The app wants the connection closed.
  void disconnect_requested();
  // A new outgoing message (validated by the caller), in state pending.
  void enqueue(LocalMessage message);

  void transport_opened();
  void frame_received(std::string_view text);
  // The transport is gone (for any reason); `why` says what happened.
  void transport_closed(const Error& why);

  ConnectionState state() const noexcept { return state_; }
  // The server's id for this user, once authenticated.
  const std::string& user_id() const noexcept { return user_id_; }

  std::vector<Action> take_actions();

 private:
  using Outbox = std::list<LocalMessage>;

  void on_auth_ok(const protocol::AuthOk& ok);
  void on_ack(const protocol::MessageAck& ack);
  void on_error(const protocol::ErrorFrame& frame);
  void fail_connection(Error error);
  void set_state(ConnectionState state, std::optional<Error> error = std::nullopt);
  void transmit(LocalMessage& message);
  void requeue_in_flight(const std::optional<Error>& why);
  void settle(Outbox::iterator it);

  std::string device_id_;
  std::string token_;
  std::string user_id_;
  ConnectionState state_ = ConnectionState::initialized;
  bool transport_open_ = false;

  Outbox outbox_;  // unsettled messages (pending or sending) in enqueue order
  std::unordered_map<std::string, Outbox::iterator> by_client_id_;

  std::vector<Action> actions_;
};

}  // namespace confab::core
