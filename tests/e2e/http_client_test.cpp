// The SDK's HTTP client and bootstrap against the real server: a session the WebSocket
// accepts, typed refusals, TLS verified exactly like wss:// (a pinned CA, host names), and
// deadlines and size caps against servers that misbehave.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "net/http_client.h"
#include "net/tls.h"
#include "printers.h"
#include "server_process.h"
#include "temp_dir.h"
#include "test_pki.h"
#include "tls_front.h"
#include "ws_probe.h"

namespace confab::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Runs one bootstrap on a fresh io_context in this thread, until it completes or the
// context runs out of work (which fails the test: it must always complete).
Result<BootstrapSession> run_bootstrap(const std::string& base_url, const std::string& credential,
                                       HttpOptions options, const std::string& device = "alice-phone") {
  auto base = parse_http_url(base_url);
  if (!base) return base.error();
  asio::io_context io;
  std::optional<Result<BootstrapSession>> outcome;
  start_bootstrap(io.get_executor(), {*base, credential, device, "linux"}, std::move(options),
                  [&outcome](Result<BootstrapSession> result) { outcome = std::move(result); });
  io.run_for(60s);
  if (!outcome) return Error::make(ErrorCode::unknown, "the bootstrap never completed");
  return std::move(*outcome);
}

HttpOptions quick(std::shared_ptr<asio::ssl::context> tls = nullptr) {
  HttpOptions options;
  options.step_timeout = 5s;
  options.tls = std::move(tls);
  return options;
}

std::shared_ptr<asio::ssl::context> trusting(const std::string& ca_pem) {
  auto context = make_tls_context(ca_pem);
  EXPECT_TRUE(context.ok());
  return context.ok() ? context.value() : nullptr;
}

// A server on loopback that reads one request (its header) and answers `reply` verbatim.
class CannedHttpServer {
 public:
  explicit CannedHttpServer(std::string reply) {
    thread_ = std::thread([this, reply = std::move(reply)] {
      boost::system::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      asio::streambuf request;
      asio::read_until(socket, request, "\r\n\r\n", ec);
      asio::write(socket, asio::buffer(reply), ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    });
  }
  ~CannedHttpServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
  std::thread thread_;
};

class HttpClient : public testing::Test {
 protected:
  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(server_.http_port()); }

  test::TempDir dir_;
  test::ServerProcess server_{dir_ / "server"};
};

TEST_F(HttpClient, BootstrapIssuesASessionThatTheWebSocketAccepts) {
  auto session = run_bootstrap(http_url(), "token-alice", quick());
  ASSERT_TRUE(session.ok()) << describe(session.error());
  EXPECT_EQ(session->user_id, "alice");
  EXPECT_EQ(session->device_id, "alice-phone");
  EXPECT_EQ(session->websocket_url, server_.url());
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(session->expires_at_ms, now_ms);
  test::WsProbe probe(server_.port());
  EXPECT_EQ(probe.authenticate(session->session_token, "alice-phone")["userId"], "alice");
}

TEST_F(HttpClient, ABaseUrlWithAPathPrefixIsWhereTheApiLives) {
  auto session = run_bootstrap(http_url() + "/", "token-bob", quick(), "bob-phone");
  ASSERT_TRUE(session.ok()) << describe(session.error());
  EXPECT_EQ(session->user_id, "bob");
  auto elsewhere = run_bootstrap(http_url() + "/api", "token-bob", quick(), "bob-phone");
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.error().code, ErrorCode::not_found) << describe(elsewhere.error());
}

TEST_F(HttpClient, ABadCredentialIsUnauthorizedAsTheServerSaidIt) {
  auto refused = run_bootstrap(http_url(), "token-mallory", quick());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::unauthorized) << describe(refused.error());
  EXPECT_FALSE(refused.error().retryable);
  EXPECT_FALSE(refused.error().message.empty());
  auto bad_device = run_bootstrap(http_url(), "token-alice", quick(), "not a device id");
  ASSERT_FALSE(bad_device.ok());
  EXPECT_EQ(bad_device.error().code, ErrorCode::invalid_field) << describe(bad_device.error());
}

TEST_F(HttpClient, BootstrapsOverTlsWithThePinnedCaAndRefusesAnyOther) {
  test::TestCa ca;
  test::TlsFront front(server_.http_port(), ca.issue({"DNS:localhost", "IP:127.0.0.1"}));
  std::string https = "https://localhost:" + std::to_string(front.port());
  auto session = run_bootstrap(https, "token-alice", quick(trusting(ca.cert_pem())));
  ASSERT_TRUE(session.ok()) << describe(session.error());
  EXPECT_EQ(session->user_id, "alice");
  auto by_address = run_bootstrap("https://127.0.0.1:" + std::to_string(front.port()), "token-alice",
                                  quick(trusting(ca.cert_pem())));
  EXPECT_TRUE(by_address.ok()) << "an address is checked against the IP SANs: " << describe(by_address.error());

  test::TestCa stranger;
  auto refused = run_bootstrap(https, "token-alice", quick(trusting(stranger.cert_pem())));
  ASSERT_FALSE(refused.ok()) << "bootstrapped through a server signed by a CA it does not trust";
  EXPECT_EQ(refused.error().code, ErrorCode::transport);
  EXPECT_NE(refused.error().message.find("TLS handshake"), std::string::npos) << refused.error().message;
  auto system = run_bootstrap(https, "token-alice", quick(trusting("")));
  ASSERT_FALSE(system.ok()) << "the system's store does not trust a test CA";
  EXPECT_NE(system.error().message.find("TLS handshake"), std::string::npos) << system.error().message;
}

TEST_F(HttpClient, RefusesACertificateForAnotherHostName) {
  test::TestCa ca;
  test::TlsFront front(server_.http_port(), ca.issue({"DNS:chat.example.org"}));
  auto refused = run_bootstrap("https://localhost:" + std::to_string(front.port()), "token-alice",
                               quick(trusting(ca.cert_pem())));
  ASSERT_FALSE(refused.ok()) << "bootstrapped through a server whose certificate names another host";
  EXPECT_NE(refused.error().message.find("certificate verify failed"), std::string::npos) << refused.error().message;
}

TEST(HttpClientDeadlines, AServerThatNeverAnswersTimesOutWithinTheStepDeadline) {
  asio::io_context io;
  tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});  // connects (backlog), never answers
  HttpOptions options;
  options.step_timeout = 300ms;
  auto started = std::chrono::steady_clock::now();
  auto result = run_bootstrap("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()), "t", options);
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::timeout) << describe(result.error());
  EXPECT_TRUE(result.error().retryable);
  EXPECT_NE(result.error().message.find("reading the answer"), std::string::npos) << result.error().message;
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 3s) << "the deadline was not kept";
}

TEST(HttpClientDeadlines, AnAnswerOverTheCapIsRefused) {
  CannedHttpServer huge("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n" +
                        std::string(2'000'000, ' '));
  HttpOptions options;
  options.max_response_bytes = 64 * 1024;
  auto result = run_bootstrap(huge.url(), "t", options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::transport) << describe(result.error());
  EXPECT_NE(result.error().message.find("exceeds 65536 bytes"), std::string::npos) << result.error().message;
}

TEST(HttpClientDeadlines, AnAnswerThatIsNotASessionIsABadFrame) {
  std::string body = R"({"userId":"alice","deviceId":"elsewhere"})";
  CannedHttpServer wrong("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body);
  auto result = run_bootstrap(wrong.url(), "t", HttpOptions{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::bad_frame) << describe(result.error());
  EXPECT_NE(result.error().message.find("another device"), std::string::npos) << result.error().message;
}

TEST(HttpClientDeadlines, AnOverloadedServerSaysRetryAndWhen) {
  CannedHttpServer busy("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n");
  auto result = run_bootstrap(busy.url(), "t", HttpOptions{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::unavailable) << describe(result.error());
  EXPECT_TRUE(result.error().retryable);
  EXPECT_EQ(result.error().retry_after_ms, 7000);
}

TEST(HttpErrors, TheServersTypedBodyWinsAndTheStatusFillsIn) {
  auto typed = error_from_response(
      {401, "application/json", R"({"code":"token_expired","retryable":false,"message":"expired"})"});
  EXPECT_EQ(typed, (Error{ErrorCode::token_expired, false, "expired", 0}));
  auto later = error_from_response(
      {429, "application/json", R"({"code":"rate_limited","retryable":true,"message":"slow","retryAfterMs":1500})"});
  EXPECT_EQ(later, (Error{ErrorCode::rate_limited, true, "slow", 1500}));
  auto newer = error_from_response({400, "application/json", R"({"code":"quota","retryable":true,"message":"m"})"});
  EXPECT_EQ(newer.code, ErrorCode::unknown);
  EXPECT_TRUE(newer.retryable) << "a code this SDK does not know keeps the server's retryable";
  struct Case {
    int status;
    ErrorCode code;
    bool retryable;
  };
  for (const auto& c : {Case{401, ErrorCode::unauthorized, false}, Case{403, ErrorCode::forbidden, false},
                        Case{404, ErrorCode::not_found, false}, Case{400, ErrorCode::invalid_field, false},
                        Case{413, ErrorCode::frame_too_large, false}, Case{429, ErrorCode::rate_limited, true},
                        Case{500, ErrorCode::internal, true}, Case{502, ErrorCode::internal, true},
                        Case{503, ErrorCode::unavailable, true}, Case{504, ErrorCode::timeout, true},
                        Case{302, ErrorCode::transport, true}}) {
    auto error = error_from_response({c.status, "text/html", "<html>oops</html>"});
    EXPECT_EQ(error.code, c.code) << c.status;
    EXPECT_EQ(error.retryable, c.retryable) << c.status;
    EXPECT_NE(error.message.find(std::to_string(c.status)), std::string::npos) << c.status;
  }
}

}  // namespace
}  // namespace confab::net
