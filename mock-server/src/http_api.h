// The reference server's HTTP side, on its own port: session bootstrap, history,
// attachments, and (only when enabled) the fault-injection endpoint. The HTTP front
// (http_front.h) reads each request whole under its deadlines; the handlers here answer
// it. Requests that need the store run on the committer thread, like everything else that
// does, and answer from there: no thread waits for them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

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

  // Everything given outlives the HttpApi; the committer stops before it is destroyed.
  HttpApi(const ServerConfig& config, const TokenAuthority& tokens, Committer& committer, Hub& hub, Faults& faults,
          Clock clock);
  ~HttpApi();

  // Creates the attachments directory and binds the configured address and port (0 picks
  // one). Fails with `internal`.
  Result<void> bind();
  std::uint16_t port() const;
  // Serves on a thread of its own until stop().
  void start();
  // Stops accepting and closes every connection. Idempotent.
  void stop();

  // The WebSocket URL bootstrap hands out; set by the server once it knows its port.
  void set_websocket_url(std::string url);

  // Serves the bytes of one connection that then closes, as a socket would be served, and
  // returns every byte written back: for the fuzz target and tests. The store work runs
  // on the committer thread, which must be running.
  std::string handle_raw(std::string_view request);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// How an attachment is served, whatever its uploader said it was: a media type on the
// allow-list (images, audio and video a browser shows without running anything) is served
// as that type, inline; anything else as application/octet-stream, as a download.
struct AttachmentServing {
  std::string content_type;
  bool inline_ok = false;
};
AttachmentServing attachment_serving(std::string_view uploaded_content_type);

}  // namespace confab::server
