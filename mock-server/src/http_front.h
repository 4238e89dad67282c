// The reference server's HTTP front (Boost.Beast, C++20 coroutines, one thread of its own):
// accepts connections on the HTTP port, reads each request whole under its deadlines
// without holding any worker, and only then hands it to the handlers.
//
// - Admission: at most `http_max_connections` connections at once, and at most
//   `http_max_connections_per_address` from one source address; a connection beyond either
//   is answered 503 (`unavailable`, retryable) and closed at once.
// - Deadlines: the head (request line and headers, at most 16 KiB, target at most 8 KiB)
//   must arrive whole within `http_head_timeout`; the body within `http_body_timeout` plus
//   its length at `http_body_min_rate` bytes a second (a chunked body is held to that rate
//   for what has arrived so far); an answer is written under the same rule. These are
//   deadlines on the whole head, body or answer: bytes that trickle in do not extend them.
//   A request past its deadline is answered 408 (`bad_frame`, retryable) and closed.
// - Framing: exactly one Content-Length of decimal digits, or `Transfer-Encoding: chunked`
//   alone; anything else (two lengths, a list, a sign, both headers, another coding) is
//   answered 400 (`bad_frame`) and the connection is closed, since a proxy in front may
//   have read the request differently.
// - Bodies go where the handler's BodyPlan says, under its limit (413 beyond, nothing
//   kept). The handler answers through a callback, possibly from another thread; nothing
//   on the front's thread waits for it.
//
// Every error the front answers by itself carries the protocol's typed JSON body. Every
// answer carries `X-Content-Type-Options: nosniff`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "confab/result.h"
#include "config.h"
#include "http_message.h"

namespace confab::server {

class HttpFront {
 public:
  // `config` and `handler` outlive the front. The handler must have called every
  // `respond` it was given before the front is destroyed (the server stops the committer
  // first).
  HttpFront(const ServerConfig& config, HttpHandler& handler);
  ~HttpFront();

  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Binds config.listen_address:config.http_port (0 picks a port). Fails with `internal`.
  Result<void> bind();
  std::uint16_t port() const;

  // Serves on a thread of its own until stop().
  void start();
  // Stops accepting, closes every connection, and joins the thread. Idempotent.
  void stop();

  // Serves the bytes of one connection that then closes (`request`: one request or
  // several), exactly as a socket would be served, and returns every byte written back.
  // Runs on the caller's thread, over a local socket pair: for the fuzz target and tests.
  std::string serve_raw(std::string_view request);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace confab::server
