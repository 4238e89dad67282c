// The connection's state as the app observes it.
#pragma once

#include <optional>
#include <string_view>

#include "confab/error.h"

namespace confab {

enum class ConnectionState {
  initialized,   // created; connect() not called yet
  connecting,    // opening the socket, upgrading to WebSocket, or authenticating
  connected,     // authenticated; messages flow
  disconnected,  // the connection was lost or could not be made; `error` says why
  closing,       // disconnect() was called; closing the connection
  closed,        // closed on request
  failed,        // the server refused us for good (token, protocol version); `error` says why
};

std::string_view to_string(ConnectionState state) noexcept;

struct ConnectionChange {
  ConnectionState state = ConnectionState::initialized;
  std::optional<Error> error;  // set for disconnected and failed
};

}  // namespace confab
