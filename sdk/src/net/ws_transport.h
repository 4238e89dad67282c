// One WebSocket connection from the client to the server, with Boost.Beast.
//
// The transport only moves text frames; what they mean is the core's business. Every
// step of opening the connection has a deadline. All member functions must be called on
// the executor's thread, and all callbacks run there.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

namespace boost::asio::ssl {
class context;
}

#include "confab/error.h"
#include "net/url.h"

namespace confab::net {

struct TransportCallbacks {
  std::function<void()> opened;                   // the WebSocket upgrade succeeded
  std::function<void(std::string frame)> frame;   // one text frame arrived
  std::function<void(const Error& why)> closed;   // the end, exactly once, unless abandoned
};

class WsTransport {
 public:
  // `tls` (required for a wss:// URL) says which certificates to trust; the peer and its
  // host name are always verified.
  WsTransport(boost::asio::any_io_executor executor, WsUrl url, std::chrono::milliseconds step_timeout,
              TransportCallbacks callbacks, std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  // Tears the connection down at once; no callback runs after this.
  ~WsTransport();

  WsTransport(const WsTransport&) = delete;
  WsTransport& operator=(const WsTransport&) = delete;

  // Resolves, connects and upgrades; then reads until the connection ends.
  void start();
  // Queues a text frame. Frames go out in the order they were queued.
  void send(std::string frame);
  // Starts the closing handshake after the frames already queued; `closed` follows.
  void close();

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace confab::net
