// Slowloris: a burst of connections that never finish their WebSocket upgrade. Each gets a
// typed error (503 at once beyond the limit of pending handshakes, 408 once the handshake
// deadline passes), the server stays up, and a real client's messages all get through.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "sdk_device.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab::test {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// Reads the server's answer to a stalled upgrade, with a deadline on each read.
std::optional<http::response<http::string_body>> answer(tcp::socket& socket, std::string* error = nullptr) {
  timeval deadline{15, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  boost::system::error_code ec;
  http::read(socket, buffer, res, ec);
  if (ec) {
    if (error) *error = ec.message();
    return std::nullopt;
  }
  return res;
}

TEST(ServerSlowloris, UnfinishedUpgradesGetTypedErrorsAndAClientStillSendsEverything) {
  TempDir dir;
  ServerProcess server(dir.path(), server_config_with(R"("handshakeTimeoutMs": 1000, "maxPendingHandshakes": 40)"));

  asio::io_context io;
  std::vector<tcp::socket> stalled;
  const std::string partial = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  for (int i = 0; i < 100; ++i) {
    tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    asio::write(socket, asio::buffer(partial));  // and never the blank line that ends it
    stalled.push_back(std::move(socket));
  }

  Device alice("alice-phone", ":memory:", [](ClientOptions& o) {
    o.connection.retry_base = std::chrono::milliseconds(100);
    o.connection.retry_cap = std::chrono::milliseconds(500);
  });
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(alice.client->send("c_general", "through " + std::to_string(i)).ok());
  EXPECT_TRUE(alice.wait_for_outbox(20));

  int timed_out = 0, refused = 0;
  for (std::size_t i = 0; i < stalled.size(); ++i) {
    std::string error;
    auto res = answer(stalled[i], &error);
    ASSERT_TRUE(res) << "stalled connection " << i << " got no answer: " << error;
    auto body = nlohmann::json::parse(res->body(), nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("code")) << res->body();
    if (res->result() == http::status::request_timeout) {
      ++timed_out;
      EXPECT_EQ(body["code"], "bad_frame") << res->body();
    } else {
      EXPECT_EQ(res->result(), http::status::service_unavailable);
      EXPECT_EQ(body["code"], "unavailable") << res->body();
      EXPECT_EQ(body["retryable"], true);
      ++refused;
    }
  }
  EXPECT_LE(timed_out, 40);  // no more than the limit waited for their deadline
  EXPECT_GE(timed_out, 1);
  EXPECT_EQ(timed_out + refused, 100);
}

TEST(ServerSlowloris, PlainHttpOnTheWebSocketPortGetsATypedError) {
  TempDir dir;
  ServerProcess server(dir.path());
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
  asio::write(socket, asio::buffer(std::string("GET /v1/anything HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));
  auto res = answer(socket);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::bad_request);
  EXPECT_EQ(nlohmann::json::parse(res->body(), nullptr, false).value("code", ""), "bad_frame") << res->body();
}

TEST(ServerSlowloris, UnfinishedUpgradesDoNotHoldUpAShutdown) {
  TempDir dir;
  ServerProcess server(dir.path(), server_config_with(R"("handshakeTimeoutMs": 600000)"));
  asio::io_context io;
  std::vector<tcp::socket> stalled;
  for (int i = 0; i < 3; ++i) {
    tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    asio::write(socket, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")));
    stalled.push_back(std::move(socket));
  }
  // A real session too, so that the shutdown has something to wait for.
  Device alice("alice-phone");
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected));
  EXPECT_EQ(server.terminate(std::chrono::seconds(20)), 0);
}

}  // namespace
}  // namespace confab::test
