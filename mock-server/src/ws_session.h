// One client connection to the reference server: the WebSocket upgrade, the auth
// deadline, the read loop that feeds the FrameHandler, and the write queue that carries
// replies and fanned-out events, in order, on the session's strand.
#pragma once

#include <atomic>

#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "committer.h"
#include "ephemeral.h"
#include "faults.h"
#include "fanout.h"
#include "config.h"
#include "frame_handler.h"
#include "hub.h"

namespace confab::server {

// What every session of one server shares. Outlives the sessions' use of it.
struct SessionContext {
  const ServerConfig& config;
  const FrameHandler& handler;
  Committer& committer;
  Hub& hub;
  std::function<std::int64_t()> clock;  // Unix milliseconds
  std::function<void()> session_ended;  // after a session has left the hub
  PresenceBoard& presence;
  // Tells everyone who shares a conversation with the user about a presence change.
  std::function<void(const PresenceBoard::Change&)> publish_presence;
  Faults& faults;
  // Where the outcome of every request that went through the committer goes.
  const Fanout& fanout;
  // Connections still in their WebSocket upgrade (see ServerConfig::max_pending_handshakes).
  std::atomic<std::size_t> pending_handshakes{0};
};

// Accepts the upgrade on `socket` and serves the connection until it ends.
void start_session(boost::asio::ip::tcp::socket socket, SessionContext& context);

}  // namespace confab::server
