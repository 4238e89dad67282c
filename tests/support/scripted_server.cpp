#include "scripted_server.h"

#include <atomic>
#include <mutex>
#include <thread>

#include <sys/socket.h>

#include <boost/beast/http.hpp>

namespace confab::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct ScriptedServer::State {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  tcp::socket socket{io};
  std::atomic<int> connection{-1};  // the accepted socket's descriptor, for the destructor
  std::mutex mutex;
  std::string extensions;
  std::thread thread;
};

ScriptedServer::ScriptedServer(Script script) : state_(std::make_unique<State>()) {
  state_->thread = std::thread([state = state_.get(), script = std::move(script)] {
    try {
      state->acceptor.accept(state->socket);
      state->connection = state->socket.native_handle();
      Socket ws(std::move(state->socket));
      boost::beast::flat_buffer buffer;
      boost::beast::http::request<boost::beast::http::string_body> request;
      boost::beast::http::read(ws.next_layer(), buffer, request);
      {
        std::lock_guard lock(state->mutex);
        state->extensions = std::string(request[boost::beast::http::field::sec_websocket_extensions]);
      }
      ws.accept(request);
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

std::string ScriptedServer::offered_extensions() const {
  std::lock_guard lock(state_->mutex);
  return state_->extensions;
}

std::string ScriptedServer::url() const {
  return "ws://127.0.0.1:" + std::to_string(state_->acceptor.local_endpoint().port()) + "/";
}

}  // namespace confab::test
