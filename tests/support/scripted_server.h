// A WebSocket server that plays a script written by the test, to see how the client
// copes with a server that misbehaves.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket.hpp>

namespace confab::test {

class ScriptedServer {
 public:
  using Socket = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;
  // Runs on the server's thread with the first connection, after the WebSocket upgrade.
  // Exceptions (such as the client hanging up) end the script quietly.
  using Script = std::function<void(Socket&)>;

  explicit ScriptedServer(Script script);
  // Cuts the connection if the script is still running, and joins its thread.
  ~ScriptedServer();

  std::string url() const;
  // The Sec-WebSocket-Extensions header of the client's upgrade request, once the
  // connection has been accepted (empty before, or when it offered none).
  std::string offered_extensions() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace confab::test
