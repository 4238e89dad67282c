// The connection's state as the app observes it.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "confab/error.h"
#include "confab/export.h"

namespace confab {

enum class ConnectionState {
  initialized,   // created; connect() not called yet
  connecting,    // opening the socket, upgrading to WebSocket, or authenticating
  connected,     // authenticated; messages flow
  disconnected,  // the connection was lost or could not be made; `error` says why, and
                 // `retry_in` when the next attempt starts
  suspended,     // disconnected for longer than the connection state TTL (2 min by
                 // default); still retrying, less often (every 30 s by default)
  closing,       // disconnect() was called; closing the connection
  closed,        // closed on request
  failed,        // the server refused us for good (token, protocol version); `error` says why
};

CONFAB_API std::string_view to_string(ConnectionState state) noexcept;

struct ConnectionChange {
  ConnectionState state = ConnectionState::initialized;
  std::optional<Error> error;  // why it is disconnected, suspended or failed
  // For disconnected and suspended: how long until the client tries again by itself.
  // Empty when it will not (it waits for the network, or for the app to come back to
  // the foreground).
  std::optional<std::chrono::milliseconds> retry_in;
};

}  // namespace confab
