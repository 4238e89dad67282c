// The reference server's HTTP side (cpp-httplib), on its own port: session bootstrap,
// history, attachments, and (only when enabled) the fault-injection endpoint. Requests
// that need the store run on the committer thread, like everything else that does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "committer.h"
#include "confab/result.h"
#include "config.h"
#include "faults.h"
#include "hub.h"
#include "tokens.h"

namespace confab::server {

class HttpApi {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix milliseconds

  HttpApi(const ServerConfig& config, const TokenAuthority& tokens, Committer& committer, Hub& hub, Faults& faults,
          Clock clock);
  ~HttpApi();

  // Binds the configured address and port (0 picks one). Fails with `internal`.
  Result<void> bind();
  std::uint16_t port() const;
  // Serves on a thread of its own until stop().
  void start();
  void stop();

  // The WebSocket URL bootstrap hands out; set by the server once it knows its port.
  void set_websocket_url(std::string url);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace confab::server
