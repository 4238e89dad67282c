// The reference server over real sockets, frame by frame: deduplication, membership, and
// every kind of bad input, each followed by proof that the server still serves others.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <future>

#include <SQLiteCpp/SQLiteCpp.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "http_client.h"
#include "server_process.h"
#include "temp_dir.h"
#include "ws_probe.h"

namespace confab::test {
namespace {

using nlohmann::json;

class ServerProtocol : public testing::Test {
 protected:
  std::unique_ptr<WsProbe> authenticated(const std::string& token) {
    auto probe = std::make_unique<WsProbe>(server_->port());
    probe->authenticate(token);
    return probe;
  }

  int stored_messages(const std::string& conversation) {
    SQLite::Database db(server_->database().string(), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT COUNT(*) FROM events WHERE conversation_id = ?1");
    q.bind(1, conversation);
    q.executeStep();
    return q.getColumn(0).getInt();
  }

  // A fresh client can still authenticate and get a message through.
  void expect_server_healthy() {
    auto probe = authenticated("token-bob");
    probe->send_text(message_send_frame("c_general", "health-" + std::to_string(++health_checks_), "still there?", "h"));
    auto ack = probe->read_json();
    EXPECT_EQ(ack["type"], "message.ack") << ack.dump();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_ = std::make_unique<ServerProcess>(dir_.path());
  int health_checks_ = 0;
};

TEST_F(ServerProtocol, ARepeatedClientMessageIdStoresOneMessageAndGetsTwoIdenticalAcks) {
  auto alice = authenticated("token-alice");
  auto bob = authenticated("token-bob");
  std::string frame = message_send_frame("c_general", "0190a1b2-0000-7000-8000-00000000abcd", "once", "r1");
  alice->send_text(frame);
  auto first = alice->read_json();
  auto event = alice->read_json();
  alice->send_text(frame);
  auto second = alice->read_json();

  EXPECT_EQ(first["type"], "message.ack");
  EXPECT_EQ(first, second) << "the duplicate gets the original ack";
  EXPECT_EQ(event["type"], "event");
  EXPECT_EQ(stored_messages("c_general"), 1);

  // Bob hears it once: the next thing after the original event is the next message.
  alice->send_text(message_send_frame("c_general", "next", "after", "r2"));
  EXPECT_EQ(bob->read_json()["message"]["clientMessageId"], "0190a1b2-0000-7000-8000-00000000abcd");
  EXPECT_EQ(bob->read_json()["message"]["clientMessageId"], "next");
}

TEST_F(ServerProtocol, AClientMessageIdIsTheSendersOwnAndNeverAnswersAnotherRequest) {
  auto alice = authenticated("token-alice");
  auto bob = authenticated("token-bob");
  alice->send_text(message_send_frame("c_general", "shared-id", "alice's", "r1"));
  auto alices = alice->read_json();
  ASSERT_EQ(alices["type"], "message.ack");
  bob->read_json();  // alice's event
  bob->send_text(message_send_frame("c_general", "shared-id", "bob's", "r2"));
  auto bobs = bob->read_json();
  ASSERT_EQ(bobs["type"], "message.ack") << bobs.dump();
  EXPECT_NE(bobs["messageId"], alices["messageId"]) << "bob's message is his own, not swallowed by alice's";
  EXPECT_EQ(bob->read_json()["message"]["senderId"], "bob");
  EXPECT_EQ(stored_messages("c_general"), 2);

  EXPECT_EQ(alice->read_json()["message"]["senderId"], "alice");
  EXPECT_EQ(alice->read_json()["message"]["senderId"], "bob");
  alice->send_text(message_send_frame("c_general", "shared-id", "something else", "r3"));
  auto reused = alice->read_json();
  EXPECT_EQ(reused["type"], "error");
  EXPECT_EQ(reused["code"], "invalid_field") << "another request under a used id gets an error, not an ack";
  EXPECT_EQ(reused["id"], "r3");
  alice->send_text(json{{"type", "reaction.add"}, {"id", "r4"}, {"conversationId", "c_general"},
                        {"clientMessageId", "shared-id"}, {"messageId", alices["messageId"]}, {"emoji", "+1"}}.dump());
  EXPECT_EQ(alice->read_json()["code"], "invalid_field");
  EXPECT_EQ(stored_messages("c_general"), 2);
}

// Message text is limited as written in JSON, so nothing the server writes about the
// largest messages passes maxFrameBytes: acks, events, and history over WebSocket and HTTP.
TEST_F(ServerProtocol, FramesAboutTheLargestMessagesStayWithinTheFrameLimit) {
  auto alice = std::make_unique<WsProbe>(server_->port());
  const auto limit = alice->authenticate("token-alice")["limits"]["maxFrameBytes"].get<std::size_t>();
  const std::string worst = std::string(2730, '\x01') + "\"\"";  // 16384 bytes written
  for (int i = 0; i < 6; ++i) {
    alice->send_text(message_send_frame("c_general", "big-" + std::to_string(i), worst, "r"));
    for (int frame = 0; frame < 2; ++frame) {  // the ack, then the event
      auto received = alice->read();
      ASSERT_EQ(received.kind, Received::Kind::text) << describe(received);
      EXPECT_LE(received.data.size(), limit);
    }
  }
  alice->send_text(message_send_frame("c_general", "too-big", std::string(10896, '\x01'), "r"));
  auto refused = alice->read_json();
  EXPECT_EQ(refused["code"], "invalid_field");
  EXPECT_EQ(refused["field"], "body.text");

  alice->send_text(R"({"type":"history.request","id":"h","conversationId":"c_general","afterSeq":0,"limit":500})");
  auto page = alice->read();
  ASSERT_EQ(page.kind, Received::Kind::text);
  EXPECT_LE(page.data.size(), limit);
  EXPECT_TRUE(page.json()["more"]) << "cut to fit";

  test::HttpClient http(server_->http_port());
  auto over_http = http.get("/v1/conversations/c_general/messages?afterSeq=0&limit=500", test::bearer("token-alice"));
  ASSERT_TRUE(over_http);
  ASSERT_EQ(over_http->status, 200);
  EXPECT_LE(over_http->body.size(), limit);
  EXPECT_FALSE(json::parse(over_http->body)["events"].empty());
}

TEST_F(ServerProtocol, DeduplicationHoldsAcrossAServerRestart) {
  std::string frame = message_send_frame("c_general", "survivor", "persisted", "r1");
  json original;
  {
    auto alice = authenticated("token-alice");
    alice->send_text(frame);
    original = alice->read_json();
    ASSERT_EQ(original["type"], "message.ack");
  }
  EXPECT_EQ(server_->terminate(), 0) << server_->log();
  server_ = std::make_unique<ServerProcess>(dir_.path());
  auto alice = authenticated("token-alice");
  alice->send_text(frame);
  EXPECT_EQ(alice->read_json(), original);
  EXPECT_EQ(stored_messages("c_general"), 1);
}

TEST_F(ServerProtocol, ANonMemberCannotSendToOrHearAConversation) {
  auto alice = authenticated("token-alice");
  auto carol = authenticated("token-carol");  // not in c_release

  carol->send_text(message_send_frame("c_release", "sneaky", "let me in", "r1"));
  auto refused = carol->read_json();
  EXPECT_EQ(refused["type"], "error");
  EXPECT_EQ(refused["code"], "not_member");
  EXPECT_EQ(refused["retryable"], false);
  EXPECT_EQ(refused["id"], "r1");
  EXPECT_EQ(stored_messages("c_release"), 0);

  // Events reach each device in commit order, so if carol were told about the c_release
  // message she would hear it before the c_general one that follows it.
  alice->send_text(message_send_frame("c_release", "private-1", "members only", "r2"));
  alice->send_text(message_send_frame("c_general", "public-1", "everyone", "r3"));
  auto first_heard = carol->read_json();
  EXPECT_EQ(first_heard["conversationId"], "c_general") << first_heard.dump();
  EXPECT_EQ(first_heard["message"]["clientMessageId"], "public-1");
}

TEST_F(ServerProtocol, MalformedJsonGetsAnErrorAndACloseWithAReason) {
  auto probe = authenticated("token-alice");
  probe->send_text("{\"type\": \"message.send\", ");
  auto error = probe->read_json();
  EXPECT_EQ(error["code"], "bad_frame");
  auto end = probe->read_until_closed();
  ASSERT_EQ(end.kind, Received::Kind::closed) << describe(end);
  EXPECT_EQ(end.close_code, 1007);
  EXPECT_FALSE(end.close_reason.empty());
  expect_server_healthy();
}

TEST_F(ServerProtocol, UnknownTypeGetsAnErrorAndTheConnectionStays) {
  auto probe = authenticated("token-alice");
  probe->send_text(R"({"type":"message.explode","id":"x1"})");
  auto error = probe->read_json();
  EXPECT_EQ(error["code"], "unknown_type");
  EXPECT_EQ(error["id"], "x1");
  probe->send_text(R"({"type":"ping","id":"p1"})");
  EXPECT_EQ(probe->read_json()["type"], "pong");
  expect_server_healthy();
}

TEST_F(ServerProtocol, MissingAndMistypedFieldsGetErrorsNamingTheField) {
  auto probe = authenticated("token-alice");
  probe->send_text(R"({"type":"message.send","id":"r1","conversationId":"c_general","body":{"kind":"text","text":"x"}})");
  auto missing = probe->read_json();
  EXPECT_EQ(missing["code"], "invalid_field");
  EXPECT_EQ(missing["field"], "clientMessageId");
  probe->send_text(R"({"type":"message.send","id":"r2","conversationId":"c_general","clientMessageId":"c1","body":{"kind":"text","text":42}})");
  auto mistyped = probe->read_json();
  EXPECT_EQ(mistyped["code"], "invalid_field");
  EXPECT_EQ(mistyped["field"], "body.text");
  EXPECT_EQ(stored_messages("c_general"), 0);
  probe->send_text(R"({"type":"ping","id":"p1"})");
  EXPECT_EQ(probe->read_json()["type"], "pong") << "the connection stays up";
  expect_server_healthy();
}

TEST_F(ServerProtocol, AFrameOverTheLimitGetsAnErrorAndACloseWithAReason) {
  auto probe = authenticated("token-alice");
  probe->send_text(message_send_frame("c_general", "big", std::string(70'000, 'a'), "r1"));
  auto error = probe->read_json();
  EXPECT_EQ(error["code"], "frame_too_large");
  auto end = probe->read_until_closed();
  ASSERT_EQ(end.kind, Received::Kind::closed) << describe(end);
  EXPECT_EQ(end.close_code, 1009);
  EXPECT_NE(end.close_reason.find("65536"), std::string::npos) << end.close_reason;
  EXPECT_EQ(stored_messages("c_general"), 0);
  expect_server_healthy();
}

TEST_F(ServerProtocol, AHugeFrameIsCutOffWithoutBeingRead) {
  auto probe = authenticated("token-alice");
  // The server may close before the whole frame is written; either way it must end the
  // connection and stay up.
  probe->try_send_text(std::string(8 * 1024 * 1024, 'x'));
  auto end = probe->read_until_closed();
  EXPECT_NE(end.kind, Received::Kind::timed_out);
  if (end.kind == Received::Kind::closed) {
    EXPECT_EQ(end.close_code, 1009);
  }
  expect_server_healthy();
}

TEST_F(ServerProtocol, BinaryFramesAreRefusedWithAReason) {
  auto probe = authenticated("token-alice");
  probe->send_binary(std::string("\x00\x01\x02", 3));
  EXPECT_EQ(probe->read_json()["code"], "bad_frame");
  auto end = probe->read_until_closed();
  ASSERT_EQ(end.kind, Received::Kind::closed) << describe(end);
  EXPECT_EQ(end.close_code, 1003);
  expect_server_healthy();
}

TEST_F(ServerProtocol, InvalidUtf8IsRefusedByTheWebSocketLayer) {
  auto probe = authenticated("token-alice");
  probe->send_text("{\"type\":\"ping\",\"id\":\"\xC3\x28\"}");
  auto end = probe->read_until_closed();
  ASSERT_EQ(end.kind, Received::Kind::closed) << describe(end);
  EXPECT_EQ(end.close_code, 1007);
  expect_server_healthy();
}

TEST_F(ServerProtocol, AuthenticationFailuresCloseWithTypedCodes) {
  struct Case {
    const char* why;
    std::string frame;
    std::string error;
    std::uint16_t close;
  };
  const Case cases[] = {
      {"bad token", R"({"type":"auth","token":"nope","protocolVersion":1,"deviceId":"d"})", "unauthorized", 4401},
      {"future version", R"({"type":"auth","token":"token-alice","protocolVersion":7,"deviceId":"d"})",
       "unsupported_version", 4426},
      {"request before auth", R"({"type":"ping","id":"p"})", "not_authenticated", 4400},
      {"malformed auth", R"({"type":"auth","token":"token-alice"})", "invalid_field", 4400},
  };
  for (const auto& c : cases) {
    WsProbe probe(server_->port());
    probe.send_text(c.frame);
    auto error = probe.read_json();
    EXPECT_EQ(error["code"], c.error) << c.why;
    auto end = probe.read_until_closed();
    ASSERT_EQ(end.kind, Received::Kind::closed) << c.why << ": " << describe(end);
    EXPECT_EQ(end.close_code, c.close) << c.why;
    EXPECT_FALSE(end.close_reason.empty()) << c.why;
  }
  expect_server_healthy();
}

TEST(ServerLifecycle, ASilentConnectionIsClosedAfterTheAuthTimeout) {
  TempDir dir;
  std::string config = default_server_config();
  config.insert(config.find('{') + 1, R"("authTimeoutMs": 300,)");
  ServerProcess server(dir.path(), config);
  WsProbe probe(server.port());
  auto error = probe.read_json();
  EXPECT_EQ(error["code"], "not_authenticated");
  auto end = probe.read_until_closed();
  ASSERT_EQ(end.kind, Received::Kind::closed) << describe(end);
  EXPECT_EQ(end.close_code, 4408);
}

TEST(ServerLifecycle, SigtermClosesConnectionsWithGoingAwayAndExitsCleanly) {
  TempDir dir;
  ServerProcess server(dir.path());
  WsProbe probe(server.port());
  probe.authenticate("token-alice");
  probe.send_text(message_send_frame("c_general", "last-words", "bye", "r1"));
  EXPECT_EQ(probe.read_json()["type"], "message.ack");
  // The probe keeps reading while the server stops, as a live client would, so it can
  // answer the server's close.
  auto exit_status = std::async(std::launch::async, [&] { return server.terminate(); });
  auto end = probe.read_until_closed();
  ASSERT_EQ(end.kind, Received::Kind::closed) << describe(end);
  EXPECT_EQ(end.close_code, 1001);
  EXPECT_EQ(end.close_reason, "server shutting down");
  EXPECT_EQ(exit_status.get(), 0) << server.log();
}

TEST(ServerLifecycle, ABadConfigurationStopsTheServerWithAClearMessage) {
  TempDir dir;
  std::ofstream(dir / "bad.json") << R"({"users": [{"id": "a", "tokens": []}], "conversations": [{"id": "c", "members": ["ghost"]}]})";
  std::string command = std::string(CONFAB_SERVER_BINARY) + " --config " + (dir / "bad.json").string() +
                        " --port 0 --database " + (dir / "db").string() + " > " + (dir / "out").string() + " 2>&1";
  int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::ifstream out(dir / "out");
  std::string text((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("ghost"), std::string::npos) << text;
}

TEST_F(ServerProtocol, AcceptsCompressionAndCarriesCompressedFramesBothWays) {
  namespace beast = boost::beast;
  namespace websocket = beast::websocket;
  boost::asio::io_context io;
  websocket::stream<boost::asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
  websocket::permessage_deflate deflate;
  deflate.client_enable = true;
  ws.set_option(deflate);
  websocket::response_type response;
  ws.handshake(response, "127.0.0.1", "/");
  EXPECT_NE(std::string(response[beast::http::field::sec_websocket_extensions]).find("permessage-deflate"),
            std::string::npos);

  auto exchange = [&ws](const std::string& frame) {
    ws.write(boost::asio::buffer(frame));
    beast::flat_buffer buffer;
    ws.read(buffer);
    return json::parse(beast::buffers_to_string(buffer.data()));
  };
  auto ok = exchange(json{{"type", "auth"}, {"id", "a"}, {"token", "token-alice"}, {"protocolVersion", 1},
                          {"deviceId", "d"}}.dump());
  ASSERT_EQ(ok["type"], "auth.ok");
  std::string long_text(8000, 'z');  // far above the compression threshold
  auto ack = exchange(message_send_frame("c_general", "cm-deflate", long_text, "r1"));
  EXPECT_EQ(ack["type"], "message.ack") << ack.dump();
  beast::flat_buffer buffer;
  ws.read(buffer);
  auto event = json::parse(beast::buffers_to_string(buffer.data()));
  EXPECT_EQ(event["message"]["body"]["text"], long_text);
  ws.close(websocket::close_code::normal);
}

}  // namespace
}  // namespace confab::test
