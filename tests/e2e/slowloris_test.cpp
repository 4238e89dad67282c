// Slowloris: a burst of connections that never finish their WebSocket upgrade, or their
// HTTP request. Each gets a typed error (503 at once beyond the limit of connections, 408
// once the deadline of its request passes), the server stays up, and real clients are
// served meanwhile.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "http_client.h"
#include "recorder.h"
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

namespace confab::test {
namespace {

using namespace std::chrono_literals;

// Connections that send part of a request and then nothing more, or one byte of it at a
// time, on a thread of their own, each waiting for the server's answer.
class SlowClients {
 public:
  struct Answer {
    std::size_t index = 0;
    int status = 0;  // 0: the connection ended without an answer
    nlohmann::json body;
    std::chrono::steady_clock::duration after{};  // from the first byte sent
    std::string error;
  };

  SlowClients() : thread_([this] { io_.run(); }) {}
  ~SlowClients() {
    asio::post(io_, [this] {
      for (auto& c : connections_) {
        boost::system::error_code ignored;
        c->socket.close(ignored);
        c->timer.cancel();
      }
    });
    work_.reset();
    thread_.join();
  }

  // Connects from `source` (any 127.x.y.z), sends `start`, then one byte of `trickle` every
  // `every`, until the server answers or closes. Returns the connection's index.
  std::size_t add(std::uint16_t port, const std::string& source, std::string start, std::string trickle = {},
                  std::chrono::milliseconds every = 100ms) {
    auto c = std::make_shared<Connection>(io_);
    c->socket.open(tcp::v4());
    c->socket.bind({asio::ip::make_address(source), 0});
    c->socket.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(c->socket, asio::buffer(start));
    c->started = std::chrono::steady_clock::now();
    c->trickle = std::move(trickle);
    c->every = every;
    std::size_t index = count_++;
    c->index = index;
    c->source = source;
    asio::post(io_, [this, c] {
      connections_.push_back(c);
      read(c);
      drip(c);
    });
    return index;
  }

  // Closes every connection from `source`, as a client that gives up.
  void close_from(const std::string& source) {
    Recorder<bool> closed;
    asio::post(io_, [&] {
      for (auto& c : connections_) {
        if (c->source != source) continue;
        boost::system::error_code ignored;
        c->socket.close(ignored);
      }
      closed.add(true);
    });
    closed.wait_for_count(1);
  }

  Recorder<Answer>& answers() { return answers_; }

 private:
  struct Connection {
    explicit Connection(asio::io_context& io) : socket(io), timer(io) {}
    tcp::socket socket;
    asio::steady_timer timer;
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    std::string trickle;
    std::size_t sent = 0;
    std::chrono::milliseconds every{};
    std::chrono::steady_clock::time_point started;
    std::size_t index = 0;
    std::string source;
    bool answered = false;
  };

  void read(const std::shared_ptr<Connection>& c) {
    http::async_read(c->socket, c->buffer, c->res, [this, c](boost::system::error_code ec, std::size_t) {
      c->answered = true;
      c->timer.cancel();
      Answer a;
      a.index = c->index;
      a.after = std::chrono::steady_clock::now() - c->started;
      if (ec) {
        a.error = ec.message();
      } else {
        a.status = static_cast<int>(c->res.result_int());
        a.body = nlohmann::json::parse(c->res.body(), nullptr, false);
      }
      answers_.add(std::move(a));
    });
  }

  void drip(const std::shared_ptr<Connection>& c) {
    if (c->sent >= c->trickle.size() || c->answered) return;
    c->timer.expires_after(c->every);
    c->timer.async_wait([this, c](boost::system::error_code ec) {
      if (ec || c->answered) return;
      boost::system::error_code ignored;
      c->socket.write_some(asio::buffer(c->trickle.data() + c->sent, 1), ignored);
      ++c->sent;
      if (!ignored) drip(c);
    });
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::vector<std::shared_ptr<Connection>> connections_;  // on the thread only
  std::size_t count_ = 0;
  Recorder<Answer> answers_;
  std::thread thread_;
};

const std::string kBootstrapBody = R"({"deviceId":"alice-phone","platform":"linux"})";

// What a normal client does over HTTP; each request must be answered within `deadline`.
void serve_a_normal_client(std::uint16_t http_port, std::chrono::milliseconds deadline) {
  HttpClient http(http_port, deadline);
  std::string error;
  auto session = http.post("/v1/sessions/bootstrap", bearer("token-alice"), kBootstrapBody, "application/json", &error);
  ASSERT_TRUE(session) << "bootstrap: " << error;
  EXPECT_EQ(session->status, 200) << session->body;
  auto history = http.get("/v1/conversations/c_general/messages?afterSeq=0", bearer("token-alice"), &error);
  ASSERT_TRUE(history) << "history: " << error;
  EXPECT_EQ(history->status, 200) << history->body;
  auto uploaded = http.post("/v1/attachments", bearer("token-alice"), std::string(300'000, 'p'), "image/png", &error);
  ASSERT_TRUE(uploaded) << "upload: " << error;
  ASSERT_EQ(uploaded->status, 201) << uploaded->body;
  auto downloaded = http.get("/v1/attachments/" + uploaded->json()["attachmentId"].get<std::string>(),
                             bearer("token-alice"), &error);
  ASSERT_TRUE(downloaded) << "download: " << error;
  EXPECT_EQ(downloaded->body.size(), 300'000u);
}

TEST(HttpSlowloris, ManySlowClientsHoldUpNoOneAndEachGetsATimeoutAtItsDeadline) {
  TempDir dir;
  ServerProcess server(dir.path(), server_config_with(R"("httpHeadTimeoutMs": 4000, "httpMaxConnectionsPerAddress": 1000)"));
  SlowClients slow;
  const std::string head = "POST /v1/sessions/bootstrap HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  // Far more than a pool of worker threads: half stop in their request line, half send a
  // header a byte every 100 ms (which a timeout on each read would never catch).
  constexpr int kSlow = 120;
  for (int i = 0; i < kSlow; ++i) {
    if (i % 2 == 0) {
      slow.add(server.http_port(), "127.0.0.1", "POST /v1/sessions/boot");
    } else {
      slow.add(server.http_port(), "127.0.0.1", head, "X-Slow: " + std::string(1000, 'z'));
    }
  }
  auto start = std::chrono::steady_clock::now();
  serve_a_normal_client(server.http_port(), 3000ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s) << "served while the slow clients still held their connections";

  ASSERT_TRUE(slow.answers().wait_for_count(kSlow, 20s)) << slow.answers().items().size() << " answered";
  for (const auto& a : slow.answers().items()) {
    EXPECT_EQ(a.status, 408) << "slow client " << a.index << ": " << a.error;
    EXPECT_EQ(a.body.value("code", ""), "bad_frame") << a.body.dump();
    EXPECT_EQ(a.body.value("retryable", false), true) << a.body.dump();
    EXPECT_GE(a.after, 3500ms) << "slow client " << a.index;
    EXPECT_LT(a.after, 10s) << "slow client " << a.index << ": the deadline holds for the whole request";
  }
}

TEST(HttpSlowloris, ConnectionsBeyondTheLimitsPerAddressAndInTotalAreRefusedAtOnce) {
  TempDir dir;
  ServerProcess server(dir.path(), server_config_with(
      R"("httpHeadTimeoutMs": 120000, "httpMaxConnectionsPerAddress": 10, "httpMaxConnections": 25)"));
  SlowClients slow;
  const std::string partial = "GET /v1/conversations/c_general/messages?afterSeq=0 HTTP/1.1\r\n";
  auto refused = [&](std::size_t count) {
    return slow.answers().wait_until(
        [count](const auto& answers) {
          return static_cast<std::size_t>(std::count_if(answers.begin(), answers.end(), [](const auto& a) {
                   return a.status == 503;
                 })) >= count;
        },
        15s);
  };
  // One address past its limit: the five beyond ten are refused; others are served.
  for (int i = 0; i < 15; ++i) slow.add(server.http_port(), "127.0.0.2", partial);
  ASSERT_TRUE(refused(5));
  serve_a_normal_client(server.http_port(), 5000ms);
  // Two more addresses bring the total to its limit of 25 held; beyond that, everyone
  // (even a well-behaved client) is refused until connections end.
  for (int i = 0; i < 10; ++i) slow.add(server.http_port(), "127.0.0.3", partial);
  for (int i = 0; i < 10; ++i) slow.add(server.http_port(), "127.0.0.4", partial);
  ASSERT_TRUE(refused(10));
  HttpClient http(server.http_port(), 5000ms);
  auto full = http.get("/v1/conversations/c_general/messages?afterSeq=0", bearer("token-alice"));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, 503) << full->body;
  EXPECT_EQ(full->json().value("code", ""), "unavailable");
  EXPECT_EQ(full->json().value("retryable", false), true);
  for (const auto& a : slow.answers().items()) {
    EXPECT_EQ(a.status, 503) << "only refusals so far: " << a.error;
    EXPECT_EQ(a.body.value("code", ""), "unavailable");
  }
  EXPECT_EQ(slow.answers().items().size(), 10u);

  slow.close_from("127.0.0.2");
  std::optional<HttpReply> page;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    page = http.get("/v1/conversations/c_general/messages?afterSeq=0", bearer("token-alice"));
  } while ((!page || page->status == 503) && std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200) << "served once the held connections are gone: " << page->body;
}

TEST(HttpSlowloris, ABodyMustArriveAtTheMinimumRateWithOrWithoutALength) {
  TempDir dir;
  ServerProcess server(dir.path(), server_config_with(
      R"("httpBodyTimeoutMs": 1000, "httpBodyMinBytesPerSecond": 100000)"));
  SlowClients slow;
  const std::string head = "POST /v1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer token-alice\r\n"
                           "Content-Type: application/octet-stream\r\n";
  // 200000 bytes declared: the body has 1 s + 2 s; a byte every 100 ms never makes it.
  slow.add(server.http_port(), "127.0.0.1", head + "Content-Length: 200000\r\n\r\n", std::string(200'000, 'b'));
  // Chunked, the same rate is asked of what has arrived so far.
  slow.add(server.http_port(), "127.0.0.1", head + "Transfer-Encoding: chunked\r\n\r\n30d40\r\n",
           std::string(200'000, 'c'));
  ASSERT_TRUE(slow.answers().wait_for_count(2, 20s));
  for (const auto& a : slow.answers().items()) {
    EXPECT_EQ(a.status, 408) << "upload " << a.index << ": " << a.error;
    EXPECT_EQ(a.body.value("code", ""), "bad_frame") << a.body.dump();
    EXPECT_LT(a.after, 6s) << "upload " << a.index;
  }
  auto attachments = dir.path() / "server-attachments";
  // (uploads/ holds the resumable upload sessions, none here.)
  std::size_t kept = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(attachments)) kept += entry.is_regular_file();
  EXPECT_EQ(kept, 0u) << "nothing of a timed-out upload is kept";
  // At full speed, a large upload is well within its time.
  HttpClient http(server.http_port(), 10s);
  auto uploaded = http.post("/v1/attachments", bearer("token-alice"), std::string(2'000'000, 'f'),
                            "application/octet-stream");
  ASSERT_TRUE(uploaded);
  EXPECT_EQ(uploaded->status, 201) << uploaded->body;
}

}  // namespace
}  // namespace confab::test
