// confab::Client: one device's session with a Confab server.
//
// The client owns a network thread and a callback thread. Its methods are thread-safe
// and never wait on the network. Callbacks run one at a time, in order, on the client's
// callback thread; they may call back into the client, but must not destroy it.
//
// Version 0 scope: plaintext WebSocket (ws://) only, an outbox kept in memory, and no
// automatic reconnect. docs/architecture.md tracks what comes next.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "confab/connection.h"
#include "confab/error.h"
#include "confab/message.h"
#include "confab/result.h"
#include "confab/subscription.h"

namespace confab {

struct ClientOptions {
  // Identifies this device to the server: 1-128 characters from [A-Za-z0-9._:-].
  std::string device_id;

  // ws:// sends tokens and messages in clear text; the client refuses it unless this is
  // set. (wss:// is not available in this version.)
  bool allow_insecure_transport = false;

  // Each step of opening a connection (resolve, TCP connect, WebSocket upgrade,
  // authentication) must finish within this time.
  std::chrono::milliseconds connect_step_timeout{10'000};
};

class Client {
 public:
  // Checks the options and starts the client's threads. Fails with invalid_argument.
  static Result<std::unique_ptr<Client>> open(ClientOptions options);

  // Stops the threads. Once the destructor returns, no callback runs. Messages still in
  // the outbox are dropped (the outbox is in memory in this version).
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts connecting to `url` (ws://host:port/path) and authenticating with `token`.
  // Returns at once; progress arrives through on_connection(). Fails with
  // invalid_argument for a malformed URL, a disallowed scheme or an empty token.
  // Calling connect() while connected replaces the connection.
  Result<void> connect(std::string_view url, std::string token);

  // Closes the connection. Outgoing messages that were not acknowledged go back to
  // `pending` and are sent after the next connect().
  void disconnect();

  ConnectionState connection_state() const;

  // Queues a text message for a conversation and returns its local echo at once, in
  // state `pending`. It goes out as soon as the client is connected; state changes
  // arrive through on_outbox(). Fails with invalid_argument (and queues nothing) for an
  // invalid conversation id or a text that is empty, over 16384 bytes or not UTF-8.
  Result<LocalMessage> send(std::string_view conversation_id, std::string_view text);

  // Every change of connection state.
  Subscription on_connection(std::function<void(const ConnectionChange&)> callback);

  // Every message the server delivers for a conversation this user is a member of,
  // including this device's own messages, in each conversation's order.
  Subscription on_message(std::function<void(const Message&)> callback);

  // Every state change of a message this device sent.
  Subscription on_outbox(std::function<void(const LocalMessage&)> callback);

 private:
  class Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace confab
