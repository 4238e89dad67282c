#include "scripted_server.h"

#include <atomic>
#include <thread>

#include <sys/socket.h>

namespace confab::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct ScriptedServer::State {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  tcp::socket socket{io};
  std::atomic<int> connection{-1};  // the accepted socket's descriptor, for the destructor
  std::thread thread;
};

ScriptedServer::ScriptedServer(Script script) : state_(std::make_unique<State>()) {
  state_->thread = std::thread([state = state_.get(), script = std::move(script)] {
    try {
      state->acceptor.accept(state->socket);
      state->connection = state->socket.native_handle();
      Socket ws(std::move(state->socket));
      ws.accept();
      script(ws);
    } catch (const std::exception&) {
      // The client went away, or the destructor cut the connection.
    }
  });
}

ScriptedServer::~ScriptedServer() {
  // Blocking calls on the server thread end when their socket is shut down.
  ::shutdown(state_->acceptor.native_handle(), SHUT_RDWR);
  if (int fd = state_->connection.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
  state_->thread.join();
}

std::string ScriptedServer::url() const {
  return "ws://127.0.0.1:" + std::to_string(state_->acceptor.local_endpoint().port()) + "/";
}

}  // namespace confab::test
