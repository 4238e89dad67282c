// Idle connections: how much memory the server holds per authenticated connection that
// does nothing. The clients are raw WebSocket connections that offer compression as the
// SDK does (permessage-deflate, 1 KiB windows), authenticate, and wait.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "load.h"

namespace confab::load {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

constexpr int kConversations = 20;

// One idle client: connect (from 127.0.0.x, so that ports never run short), upgrade,
// authenticate, then read until the connection ends.
asio::awaitable<void> idle_client(std::uint16_t port, std::size_t k, bool compression,
                                  std::atomic<std::size_t>& authenticated, std::atomic<std::size_t>& failed) {
  auto executor = co_await asio::this_coro::executor;
  beast::error_code ec;
  auto ws = std::make_unique<websocket::stream<beast::tcp_stream>>(executor);
  auto& socket = beast::get_lowest_layer(*ws).socket();
  socket.open(tcp::v4(), ec);
  auto source = asio::ip::make_address_v4(static_cast<asio::ip::address_v4::uint_type>(0x7f000002 + k / 20'000));
  socket.bind({source, 0}, ec);
  co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::redirect_error(asio::use_awaitable, ec));
  websocket::permessage_deflate deflate;
  deflate.client_enable = compression;
  deflate.client_max_window_bits = 10;
  deflate.server_max_window_bits = 10;
  deflate.msg_size_threshold = 256;
  ws->set_option(deflate);
  if (!ec) co_await ws->async_handshake("127.0.0.1", "/", asio::redirect_error(asio::use_awaitable, ec));
  nlohmann::json auth = {{"type", "auth"},          {"id", "a"},
                         {"token", "token-idle"},   {"protocolVersion", 1},
                         {"deviceId", "idle-" + std::to_string(k)}};
  std::string text = auth.dump();
  if (!ec) co_await ws->async_write(asio::buffer(text), asio::redirect_error(asio::use_awaitable, ec));
  beast::flat_buffer buffer;
  if (!ec) co_await ws->async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
  if (ec || beast::buffers_to_string(buffer.data()).find("\"auth.ok\"") == std::string::npos) {
    ++failed;
    co_return;
  }
  // Then what the SDK asks on every connection before it calls itself connected: the
  // conversation list, and which conversations moved since its cursors.
  for (const char* request :
       {R"({"type": "conversations.list", "id": "conversations", "limit": 200})",
        R"({"type": "sync.request", "id": "s1", "cursors": [{"conversationId": "c_idle", "seq": 0}], "limit": 200})"}) {
    buffer.clear();
    if (!ec) co_await ws->async_write(asio::buffer(std::string_view(request)), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_await ws->async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) {
    ++failed;
    co_return;
  }
  ++authenticated;
  buffer.clear();
  while (!ec) {
    co_await ws->async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
    buffer.clear();
  }
}

}  // namespace

IdleResult idle_connections(const Workspace& ws, std::size_t connections, bool compression) {
  IdleResult result;
  result.connections = connections;
  // Both this process and the server (which inherits it) need a descriptor per connection.
  // The hard limit is raised too where that is allowed (as root), else the soft one goes
  // up to it.
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  rlimit wanted{std::max<rlim_t>(files.rlim_max, connections + 1024), std::max<rlim_t>(files.rlim_max, connections + 1024)};
  if (::setrlimit(RLIMIT_NOFILE, &wanted) != 0) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  ::getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < connections + 256) {
    result.note = "the descriptor limit (" + std::to_string(files.rlim_cur) + ") is too low";
    return result;
  }

  auto dir = ws.dir / "idle";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // The user is in kConversations channels, so that the list the server sends on every
  // connection is long enough to be compressed, as a real user's is.
  nlohmann::json config = {{"users", {{{"id", "idle"}, {"name", "Idle"}, {"tokens", {"token-idle"}}}}},
                           {"maxPendingHandshakes", 100000}};
  for (int c = 0; c < kConversations; ++c) {
    std::string id = c == 0 ? "c_idle" : "c_idle_" + std::to_string(c);
    config["conversations"].push_back(
        {{"id", id}, {"kind", "channel"}, {"name", id}, {"topic", "where the idle clients wait"}, {"members", {"idle"}}});
  }
  LocalServer server(ws, dir, config.dump());
  if (!server.started()) {
    result.note = "the server did not start";
    return result;
  }
  auto port = server.port();

  asio::io_context io;
  std::atomic<std::size_t> authenticated{0}, failed{0};
  auto work = asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  auto open = [&](std::size_t from, std::size_t to) {
    // At most 200 handshakes in flight, well inside the listen backlog.
    for (std::size_t k = from; k < to; ++k) {
      while (k >= authenticated.load() + failed.load() + 200) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      asio::co_spawn(io, idle_client(port, k, compression, authenticated, failed), asio::detached);
    }
    auto deadline = Clock::now() + std::chrono::seconds(120);
    while (authenticated.load() + failed.load() < to && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  // A few connections first, so that what the server allocates once is in the baseline.
  constexpr std::size_t kWarmup = 20;
  open(0, kWarmup);
  result.rss_before_kib = rss_kib(server.pid());
  open(kWarmup, kWarmup + connections);
  result.rss_after_kib = rss_kib(server.pid());
  result.authenticated = authenticated.load() - kWarmup;
  result.failed = failed.load();
  work.reset();
  io.stop();
  loop.join();
  return result;
}

}  // namespace confab::load
