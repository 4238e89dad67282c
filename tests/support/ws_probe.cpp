#include "ws_probe.h"

#include <optional>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace confab::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

}  // namespace

struct WsProbe::State {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};

  // Runs the io_context until `done` or the deadline; on the deadline, tears the socket
  // down and lets the cancelled operation finish. Returns false on timeout.
  bool run(const bool& done, Duration timeout) {
    io.restart();
    io.run_for(timeout);
    if (done) return true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
    io.restart();
    io.run();
    return false;
  }

  bool write(std::string_view data, bool text, Duration timeout) {
    ws.text(text);
    bool done = false;
    beast::error_code result;
    ws.async_write(asio::buffer(data.data(), data.size()), [&](beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    return run(done, timeout) && !result;
  }
};

std::string describe(const Received& r) {
  switch (r.kind) {
    case Received::Kind::text: return "text " + r.data;
    case Received::Kind::binary: return "binary frame of " + std::to_string(r.data.size()) + " bytes";
    case Received::Kind::closed:
      return "closed with " + std::to_string(r.close_code) + " '" + r.close_reason + "'";
    case Received::Kind::failed: return "failed: " + r.data;
    case Received::Kind::timed_out: return "timed out";
  }
  return "?";
}

WsProbe::WsProbe(std::uint16_t port, Duration timeout) : state_(std::make_unique<State>()) {
  bool done = false;
  beast::error_code result;
  auto& tcp_layer = beast::get_lowest_layer(state_->ws);
  tcp_layer.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
    if (ec) {
      result = ec;
      done = true;
      return;
    }
    state_->ws.async_handshake("127.0.0.1:" + std::to_string(port), "/", [&](beast::error_code e) {
      result = e;
      done = true;
    });
  });
  if (!state_->run(done, timeout) || result) {
    throw std::runtime_error("probe cannot connect: " + (result ? result.message() : std::string("timeout")));
  }
}

WsProbe::~WsProbe() = default;

void WsProbe::send_text(std::string_view text, Duration timeout) {
  if (!state_->write(text, true, timeout)) throw std::runtime_error("probe write failed");
}

void WsProbe::send_binary(std::string_view data, Duration timeout) {
  if (!state_->write(data, false, timeout)) throw std::runtime_error("probe write failed");
}

bool WsProbe::try_send_text(std::string_view text, Duration timeout) { return state_->write(text, true, timeout); }

Received WsProbe::read(Duration timeout) {
  beast::flat_buffer buffer;
  bool done = false;
  beast::error_code result;
  state_->ws.async_read(buffer, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  Received r;
  if (!state_->run(done, timeout)) return r;  // timed_out
  if (result == websocket::error::closed) {
    r.kind = Received::Kind::closed;
    r.close_code = state_->ws.reason().code;
    r.close_reason = std::string(state_->ws.reason().reason.c_str());
  } else if (result) {
    r.kind = Received::Kind::failed;
    r.data = result.message();
  } else {
    r.kind = state_->ws.got_text() ? Received::Kind::text : Received::Kind::binary;
    r.data = beast::buffers_to_string(buffer.data());
  }
  return r;
}

Received WsProbe::read_until_closed(Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    Received r = read(left > Duration::zero() ? left : Duration(1));
    if (r.kind != Received::Kind::text && r.kind != Received::Kind::binary) return r;
  }
}

nlohmann::json WsProbe::authenticate(const std::string& token, const std::string& device_id) {
  nlohmann::json auth = {{"type", "auth"}, {"id", "a1"}, {"token", token}, {"protocolVersion", 1}, {"deviceId", device_id}};
  send_text(auth.dump());
  auto reply = read_json();
  if (reply.value("type", "") != "auth.ok") throw std::runtime_error("auth refused: " + reply.dump());
  return reply;
}

nlohmann::json WsProbe::read_json(Duration timeout) {
  Received r = read(timeout);
  if (r.kind != Received::Kind::text) throw std::runtime_error("expected a text frame, got " + describe(r));
  return r.json();
}

std::string message_send_frame(const std::string& conversation_id, const std::string& client_message_id,
                               const std::string& text, const std::string& request_id) {
  nlohmann::json frame = {{"type", "message.send"},
                          {"conversationId", conversation_id},
                          {"clientMessageId", client_message_id},
                          {"body", {{"kind", "text"}, {"text", text}}}};
  if (!request_id.empty()) frame["id"] = request_id;
  return frame.dump();
}

}  // namespace confab::test
