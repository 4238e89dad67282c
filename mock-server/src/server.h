// The reference server: accepts WebSocket connections, hands messages to the committer,
// and fans committed events out to members' devices.
#pragma once

#include <cstdint>
#include <memory>

#include "config.h"
#include "confab/result.h"

namespace confab::server {

class Server {
 public:
  // Opens the database, applies the directory, and binds the listening socket.
  // Fails with invalid_argument (bad config) or internal (database, bind).
  static Result<std::unique_ptr<Server>> create(ServerConfig config);
  ~Server();

  // The bound port (useful when the config asked for port 0).
  std::uint16_t port() const;
  // The bound HTTP port (bootstrap, history, attachments, faults).
  std::uint16_t http_port() const;

  // Serves until stop() is called or SIGINT/SIGTERM arrives, then shuts down gracefully:
  // stops accepting, commits and acknowledges what was already received, closes every
  // connection with "going away", and returns.
  void run();

  // Thread-safe.
  void stop();

 private:
  class Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace confab::server
