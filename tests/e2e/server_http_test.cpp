// The reference server's HTTP side over real sockets: session bootstrap and signed
// tokens, history, attachments, and the fault-injection endpoint.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "http_client.h"
#include "server_process.h"
#include "temp_dir.h"
#include "ws_probe.h"

namespace confab::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ServerHttp : public testing::Test {
 protected:
  ServerProcess& server() {
    if (!server_) server_ = std::make_unique<ServerProcess>(dir_.path(), config_);
    return *server_;
  }

  HttpClient http() { return HttpClient(server().http_port()); }

  json bootstrap(const std::string& dev_token, const std::string& device) {
    auto res = http().post("/v1/sessions/bootstrap", bearer(dev_token),
                           json{{"deviceId", device}, {"platform", "linux"}}.dump(), "application/json");
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body);
  }

  json faults(const json& request) {
    auto res = http().post("/v1/admin/faults", request.dump(), "application/json");
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body);
  }

  TempDir dir_;
  std::string config_ = default_server_config();
  std::unique_ptr<ServerProcess> server_;
};

std::string auth_frame(const std::string& token, const std::string& device) {
  return json{{"type", "auth"}, {"id", "a"}, {"token", token}, {"protocolVersion", 1}, {"deviceId", device}}.dump();
}

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    for (bits += 8; bits >= 6; bits -= 6) out.push_back(kAlphabet[(buffer >> (bits - 6)) & 0x3f]);
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3f]);
  return out;
}

// A session token signed with the server's secret, with the claims a test chooses: what
// someone who learnt the secret (or a server since reconfigured) could present.
std::string signed_token(const std::string& secret, const json& claims) {
  std::string data = base64url(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url(claims.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &length);
  return data + "." + base64url(std::string_view(reinterpret_cast<const char*>(mac), length));
}

// A configuration with a known session secret, and bob as the test wants him.
std::string directory_with_bob(const std::string& bob) {
  return R"({"sessionSecret": "0123456789abcdef0123456789abcdef", "users": [
      {"id": "alice", "tokens": ["token-alice"]}, {"id": "carol", "tokens": ["token-carol"]})" +
         (bob.empty() ? "" : ", " + bob) + R"(],
    "conversations": [{"id": "c_general", "kind": "channel", "members": ["alice", "carol"]}]})";
}

TEST_F(ServerHttp, BootstrapIssuesASessionTokenForThatDevice) {
  auto session = bootstrap("token-alice", "alice-phone");
  EXPECT_EQ(session["userId"], "alice");
  EXPECT_EQ(session["websocketUrl"], "ws://127.0.0.1:" + std::to_string(server().port()) + "/");
  std::string token = session["sessionToken"];
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2) << "a JWT";
  // An hour by default (sessionTtlSeconds: 3600), counted from now.
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  auto lifetime_ms = session["expiresAtMs"].get<std::int64_t>() - now_ms;
  EXPECT_GT(lifetime_ms, 3'590'000);
  EXPECT_LE(lifetime_ms, 3'600'000);

  WsProbe phone(server().port());
  auto ok = phone.authenticate(token, "alice-phone");
  EXPECT_EQ(ok["userId"], "alice");

  WsProbe other(server().port());
  other.send_text(auth_frame(token, "alice-laptop"));
  auto refused = other.read_json();
  EXPECT_EQ(refused["code"], "unauthorized") << "the token belongs to another device";
  EXPECT_EQ(other.read_until_closed().close_code, 4401);

  std::string forged = token.substr(0, token.rfind('.') + 1) + "AAAA";
  WsProbe forger(server().port());
  forger.send_text(auth_frame(forged, "alice-phone"));
  EXPECT_EQ(forger.read_json()["code"], "unauthorized");

  auto stranger = http().post("/v1/sessions/bootstrap", bearer("token-mallory"),
                              R"({"deviceId":"d","platform":"linux"})", "application/json");
  ASSERT_TRUE(stranger);
  EXPECT_EQ(stranger->status, 401);
  EXPECT_EQ(json::parse(stranger->body)["code"], "unauthorized");
  auto session_as_bearer = http().post("/v1/sessions/bootstrap", bearer(token),
                                       R"({"deviceId":"d","platform":"linux"})", "application/json");
  EXPECT_EQ(session_as_bearer->status, 401) << "bootstrap takes the long-lived credential only";
  for (const char* body : {"not json", R"({"platform":"linux"})", R"({"deviceId":"a b","platform":"linux"})",
                           R"({"deviceId":"d"})"}) {
    auto bad = http().post("/v1/sessions/bootstrap", bearer("token-alice"), body, "application/json");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400) << body;
    EXPECT_EQ(json::parse(bad->body)["code"], "invalid_field");
  }
}

TEST_F(ServerHttp, AnExpiredSessionTokenGetsATypedErrorTheClientCanActOn) {
  config_ = server_config_with(R"("sessionTtlSeconds": 1)");
  std::string token = bootstrap("token-bob", "bob-phone")["sessionToken"];
  // The token lives for a second; wait for the server to call it expired.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  json answer;
  do {
    WsProbe probe(server().port());
    probe.send_text(auth_frame(token, "bob-phone"));
    answer = probe.read_json();
  } while (answer["type"] == "auth.ok" && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(answer["code"], "token_expired") << answer.dump();
  EXPECT_EQ(answer["retryable"], false);
  auto history = http().get("/v1/conversations/c_general/messages?afterSeq=0", bearer(token));
  EXPECT_EQ(history->status, 401);
  EXPECT_EQ(json::parse(history->body)["code"], "token_expired");
}

TEST_F(ServerHttp, OnlyActiveUsersOfTheDirectoryMayConnect) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  config_ = directory_with_bob(R"({"id": "bob", "tokens": ["token-bob"]})");
  std::string bob_session = bootstrap("token-bob", "bob-phone")["sessionToken"];
  std::int64_t exp = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count() + 600;
  for (const std::string& user : {std::string("mallory"), std::string()}) {
    std::string token = signed_token(secret, {{"sub", user}, {"dev", "d"}, {"iat", exp - 600}, {"exp", exp}});
    WsProbe probe(server().port());
    probe.send_text(auth_frame(token, "d"));
    auto refused = probe.read_json();
    EXPECT_EQ(refused["code"], "unauthorized") << "a well-signed token for user '" << user << "': " << refused.dump();
    EXPECT_EQ(probe.read_until_closed().close_code, 4401);
    auto history = http().get("/v1/conversations/c_general/messages?afterSeq=0", bearer(token));
    ASSERT_TRUE(history);
    EXPECT_EQ(history->status, 401) << history->body;
  }
  WsProbe(server().port()).authenticate(bob_session, "bob-phone");

  // Restarted with bob deactivated, then with bob gone: his session ends either way.
  for (const std::string& bob : {std::string(R"({"id": "bob", "tokens": ["token-bob"], "active": false})"),
                                 std::string()}) {
    server_.reset();
    config_ = directory_with_bob(bob);
    WsProbe probe(server().port());
    probe.send_text(auth_frame(bob_session, "bob-phone"));
    auto refused = probe.read_json();
    EXPECT_EQ(refused["code"], "unauthorized") << bob << ": " << refused.dump();
    EXPECT_EQ(probe.read_until_closed().close_code, 4401);
    auto again = http().post("/v1/sessions/bootstrap", bearer("token-bob"),
                             R"({"deviceId":"bob-phone","platform":"linux"})", "application/json");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 401) << again->body;
    EXPECT_EQ(again->json()["code"], "unauthorized");
    auto history = http().get("/v1/conversations/c_general/messages?afterSeq=0", bearer(bob_session));
    ASSERT_TRUE(history);
    EXPECT_EQ(history->status, 401) << history->body;
    WsProbe(server().port()).authenticate("token-alice");
  }
}

TEST_F(ServerHttp, HistoryOverHttpIsForMembersOnly) {
  WsProbe alice(server().port());
  alice.authenticate("token-alice");
  for (int i = 1; i <= 3; ++i) {
    alice.send_text(message_send_frame("c_release", "r" + std::to_string(i), "m" + std::to_string(i)));
    alice.read_json();
    alice.read_json();
  }
  auto page = http().get("/v1/conversations/c_release/messages?afterSeq=1&limit=10", bearer("token-bob"));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  auto body = json::parse(page->body);
  ASSERT_EQ(body["events"].size(), 2u);
  EXPECT_EQ(body["events"][0]["message"]["body"]["text"], "m2");
  EXPECT_EQ(body["headSeq"], 3);
  auto older = http().get("/v1/conversations/c_release/messages?beforeSeq=3&limit=1", bearer("token-bob"));
  EXPECT_EQ(json::parse(older->body)["events"][0]["conversationSeq"], 2);

  auto outsider = http().get("/v1/conversations/c_release/messages?afterSeq=0", bearer("token-carol"));
  EXPECT_EQ(outsider->status, 404);
  EXPECT_EQ(json::parse(outsider->body)["code"], "not_member");
  auto nobody = http().get("/v1/conversations/c_release/messages?afterSeq=0");
  EXPECT_EQ(nobody->status, 401);
  for (const char* query : {"", "?afterSeq=1&beforeSeq=2", "?afterSeq=-1", "?afterSeq=x", "?afterSeq=0&limit=501",
                            "?beforeSeq=0", "?afterSeq=99999999999999999999"}) {
    auto bad = http().get(std::string("/v1/conversations/c_release/messages") + query, bearer("token-bob"));
    EXPECT_EQ(bad->status, 400) << query;
  }
}

TEST_F(ServerHttp, AttachmentsAreLimitedStreamedAndReadableByTheConversationOnly) {
  std::string file(100 * 1024, '\0');
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>(i * 7 + 3);
  auto uploaded = http().post("/v1/attachments", bearer("token-alice"), file, "image/png");
  ASSERT_TRUE(uploaded);
  ASSERT_EQ(uploaded->status, 201) << uploaded->body;
  auto meta = json::parse(uploaded->body);
  std::string id = meta["attachmentId"];
  EXPECT_EQ(meta["size"], file.size());
  EXPECT_EQ(meta["contentType"], "image/png");

  WsProbe bob(server().port());
  bob.authenticate("token-bob");
  json borrowed{{"type", "message.send"}, {"id", "s"}, {"conversationId", "c_release"}, {"clientMessageId", "b1"},
                {"body", {{"kind", "text"}, {"text", "mine now"}, {"attachments", {id}}}}};
  bob.send_text(borrowed.dump());
  EXPECT_EQ(bob.read_json()["code"], "not_found") << "only the uploader may attach a file";

  WsProbe alice(server().port());
  alice.authenticate("token-alice");
  json send{{"type", "message.send"}, {"id", "s"}, {"conversationId", "c_release"}, {"clientMessageId", "a1"},
            {"body", {{"kind", "text"}, {"text", "the mockup"}, {"attachments", {id}}}}};
  alice.send_text(send.dump());
  EXPECT_EQ(alice.read_json()["type"], "message.ack");
  auto event = bob.read_json();
  ASSERT_EQ(event["message"]["body"]["attachments"].size(), 1u);
  EXPECT_EQ(event["message"]["body"]["attachments"][0]["id"], id);

  auto downloaded = http().get("/v1/attachments/" + id, bearer("token-bob"));
  ASSERT_EQ(downloaded->status, 200);
  EXPECT_EQ(downloaded->body, file);
  EXPECT_EQ(downloaded->header("Content-Type"), "image/png");
  auto outsider = http().get("/v1/attachments/" + id, bearer("token-carol"));
  EXPECT_EQ(outsider->status, 404) << "carol is not in c_release";
  auto anonymous = http().get("/v1/attachments/" + id);
  EXPECT_EQ(anonymous->status, 401);

  auto files_before = std::distance(std::filesystem::directory_iterator(dir_.path() / "server-attachments"),
                                    std::filesystem::directory_iterator());
  std::string huge(25 * 1024 * 1024 + 1, 'x');
  auto refused = http().post("/v1/attachments", bearer("token-alice"), huge, "application/octet-stream");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  // Sent in chunks without a length, the limit is enforced while the bytes stream in.
  auto streamed = http().post_chunked("/v1/attachments", bearer("token-alice"), huge, 1 << 20,
                                      "application/octet-stream");
  if (streamed) {
    EXPECT_EQ(streamed->status, 413) << streamed->body;
  }
  auto files_after = std::distance(std::filesystem::directory_iterator(dir_.path() / "server-attachments"),
                                   std::filesystem::directory_iterator());
  EXPECT_EQ(files_after, files_before) << "nothing of a refused upload is kept";
  std::string exact(25 * 1024 * 1024, 'y');
  auto at_limit = http().post("/v1/attachments", bearer("token-alice"), exact, "application/octet-stream");
  EXPECT_EQ(at_limit->status, 201) << "25 MB is allowed";
}

TEST_F(ServerHttp, AttachmentsAreServedSoThatNoBrowserRunsThem) {
  struct Case {
    std::string uploaded;  // the Content-Type the uploader chose
    std::string served;    // the Content-Type the server answers with
    bool inline_ok;        // shown in place, or only offered as a download
  };
  const Case cases[] = {
      {"text/html", "application/octet-stream", false},
      {"text/html; charset=utf-8", "application/octet-stream", false},
      {"image/svg+xml", "application/octet-stream", false},
      {"application/javascript", "application/octet-stream", false},
      {"application/xhtml+xml", "application/octet-stream", false},
      {"text/plain", "application/octet-stream", false},
      {"image/pngx", "application/octet-stream", false},
      {"image/png", "image/png", true},
      {"IMAGE/PNG", "image/png", true},
      {"image/jpeg; x=\"text/html\"", "image/jpeg", true},
      {"video/mp4", "video/mp4", true},
  };
  for (const auto& c : cases) {
    auto uploaded = http().post("/v1/attachments", bearer("token-alice"), "<script>alert(1)</script>", c.uploaded);
    ASSERT_TRUE(uploaded);
    ASSERT_EQ(uploaded->status, 201) << uploaded->body;
    EXPECT_EQ(uploaded->json()["contentType"], c.uploaded) << "the upload's own type is kept and reported";
    std::string id = uploaded->json()["attachmentId"];
    auto served = http().get("/v1/attachments/" + id, bearer("token-alice"));
    ASSERT_TRUE(served);
    ASSERT_EQ(served->status, 200) << c.uploaded;
    EXPECT_EQ(served->header("Content-Type"), c.served) << c.uploaded;
    EXPECT_EQ(served->header("X-Content-Type-Options"), "nosniff") << c.uploaded;
    EXPECT_NE(served->header("Content-Security-Policy").find("sandbox"), std::string::npos) << c.uploaded;
    std::string disposition = served->header("Content-Disposition");
    if (c.inline_ok) {
      EXPECT_EQ(disposition, "inline") << c.uploaded;
    } else {
      EXPECT_EQ(disposition, "attachment; filename=\"" + id + "\"") << c.uploaded;
    }
    EXPECT_EQ(served->body, "<script>alert(1)</script>");
  }
}

TEST_F(ServerHttp, AmbiguousRequestFramingIsRefusedAndTheConnectionClosed) {
  // Behind a proxy that reads the framing one way while the server reads it another,
  // these smuggle a request; each is refused and the connection is not read any further.
  const std::string head =
      "POST /v1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer token-alice\r\n"
      "Content-Type: application/octet-stream\r\n";
  struct Case {
    const char* why;
    std::string framing;
  };
  const Case cases[] = {
      {"two lengths that disagree", "Content-Length: 3\r\nContent-Length: 5\r\n"},
      {"the same length twice", "Content-Length: 5\r\nContent-Length: 5\r\n"},
      {"a list of lengths", "Content-Length: 3, 5\r\n"},
      {"a negative length", "Content-Length: -5\r\n"},
      {"a signed length", "Content-Length: +5\r\n"},
      {"a length and chunked", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"},
      {"chunked and a length", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"},
      {"another coding and a length", "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n"},
      {"a coding other than chunked", "Transfer-Encoding: gzip, chunked\r\n"},
      {"chunked twice", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"},
  };
  auto attachments = dir_.path() / "server-attachments";
  server();
  for (const auto& c : cases) {
    RawHttpConnection connection(server().http_port());
    std::string error;
    auto reply = connection.exchange(head + c.framing + "\r\n5\r\nhello\r\n0\r\n\r\n", std::chrono::seconds(10), &error);
    ASSERT_TRUE(reply) << c.why << ": " << error;
    EXPECT_EQ(reply->status, 400) << c.why << ": " << reply->body;
    EXPECT_EQ(reply->json().value("code", ""), "bad_frame") << c.why << ": " << reply->body;
    EXPECT_EQ(reply->header("Connection"), "close") << c.why;
    EXPECT_TRUE(connection.closed_by_server()) << c.why;
  }
  // (uploads/ holds the resumable upload sessions, none here.)
  auto kept = [&] {
    std::size_t files = 0;
    if (!std::filesystem::exists(attachments)) return files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(attachments)) files += entry.is_regular_file();
    return files;
  };
  EXPECT_EQ(kept(), 0u) << "nothing of a refused upload is kept";
  // The same upload, framed plainly, is taken.
  RawHttpConnection plain(server().http_port());
  auto taken = plain.exchange(head + "Content-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->status, 201) << taken->body;
}

TEST_F(ServerHttp, AKeptAliveConnectionIsServedRequestAfterRequestAndClosedWhenIdle) {
  config_ = server_config_with(R"("httpHeadTimeoutMs": 1000)");
  RawHttpConnection connection(server().http_port());
  const std::string page = "GET /v1/conversations/c_general/messages?afterSeq=0 HTTP/1.1\r\nHost: h\r\n"
                           "Authorization: Bearer token-alice\r\n\r\n";
  const std::string upload = "POST /v1/attachments HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer token-alice\r\n"
                             "Content-Type: image/png\r\nContent-Length: 4\r\n\r\npng!";
  // Two requests sent at once (pipelined), then one more: each answered in order.
  ASSERT_TRUE(connection.write(page + upload));
  auto first = connection.read_reply();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(first->header("Connection"), "") << "kept alive";
  auto second = connection.read_reply();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 201) << second->body;
  ASSERT_TRUE(connection.write(page));
  auto third = connection.read_reply();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 200);
  // Idle past the head deadline, it is closed without an answer.
  EXPECT_TRUE(connection.closed_by_server(std::chrono::seconds(10)));
}

TEST_F(ServerHttp, FaultsDropAcksDuplicateEventsDropAndRefuseConnections) {
  WsProbe alice(server().port());
  alice.authenticate("token-alice");
  WsProbe bob(server().port());
  bob.authenticate("token-bob");

  faults({{"dropAcks", 1}});
  alice.send_text(message_send_frame("c_release", "f1", "ack lost", "s1"));
  auto first = alice.read_json();
  EXPECT_EQ(first["type"], "event") << "the ack was dropped after the commit: " << first.dump();
  alice.send_text(message_send_frame("c_release", "f1", "ack lost", "s2"));
  auto ack = alice.read_json();
  EXPECT_EQ(ack["type"], "message.ack");
  EXPECT_EQ(ack["conversationSeq"], first["conversationSeq"]) << "the resend is deduplicated";
  EXPECT_EQ(bob.read_json()["conversationSeq"], 1);

  faults({{"duplicateEvents", true}});
  alice.send_text(message_send_frame("c_release", "f2", "twice", "s3"));
  EXPECT_EQ(bob.read_json()["conversationSeq"], 2);
  EXPECT_EQ(bob.read_json()["conversationSeq"], 2) << "delivered twice";

  faults({{"clear", true}, {"delayMs", 300}});
  auto start = std::chrono::steady_clock::now();
  bob.send_text(R"({"type":"ping","id":"slow"})");
  EXPECT_EQ(bob.read_json()["type"], "pong");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);

  faults({{"clear", true}, {"dropConnections", true}, {"refuseConnectionsMs", 60'000}});
  EXPECT_NE(alice.read_until_closed().kind, Received::Kind::timed_out);
  EXPECT_NE(bob.read_until_closed().kind, Received::Kind::timed_out);
  EXPECT_THROW(WsProbe(server().port(), 3s), std::exception) << "connections are refused for a minute";
  faults({{"clear", true}});
  WsProbe again(server().port());
  EXPECT_EQ(again.authenticate("token-carol")["userId"], "carol");
}

TEST_F(ServerHttp, BadRequestsGetTypedErrorsAndTheServerKeepsServing) {
  WsProbe alice(server().port());
  alice.authenticate("token-alice");
  const std::vector<std::string> corpus{
      R"({"type":"conversation.create","id":"b","kind":"channel","name":""})",
      R"({"type":"conversation.create","id":"b","kind":"group_dm","userIds":["bob","x y"]})",
      R"({"type":"conversation.create","id":"b","kind":"dm","userIds":"bob"})",
      R"({"type":"conversation.invite","id":"b","conversationId":"c_general","userIds":["nobody"]})",
      R"({"type":"conversation.update","id":"b","conversationId":"c_general","topic":7})",
      R"({"type":"history.request","id":"b","conversationId":"c_general","afterSeq":1e3})",
      R"({"type":"history.request","id":"b","conversationId":"c_general","beforeSeq":18446744073709551616})",
      R"({"type":"sync.request","id":"b","cursors":[1,2,3]})",
      R"({"type":"cursor.update","id":"b","conversationId":"c_general","readSeq":999})",
      R"({"type":"presence.heartbeat","id":"b","status":["online"]})",
      R"({"type":"typing.start","id":"b"})",
      R"({"type":"message.send","id":"b","conversationId":"c_general","clientMessageId":"z",)"
      R"("body":{"kind":"text","text":"x","attachments":["a_missing"]}})",
      R"({"type":"message.send","id":"b","conversationId":"c_general","clientMessageId":"z2",)"
      R"("body":{"kind":"text","text":"x","attachments":[1,2,3,4,5,6,7,8,9,10,11]}})",
  };
  for (const auto& frame : corpus) {
    alice.send_text(frame);
    auto reply = alice.read_json();
    EXPECT_EQ(reply["type"], "error") << frame;
    EXPECT_EQ(reply["id"], "b") << frame;
    EXPECT_FALSE(reply["code"].get<std::string>().empty());
  }
  // HTTP: junk on the socket, a header flood, bad JSON and wrong methods.
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), server().http_port()});
    std::string junk = "\x16\x03\x01 not http at all\r\n\r\n";
    boost::system::error_code ignored;
    boost::asio::write(socket, boost::asio::buffer(junk), ignored);
  }
  HttpHeaders flood;
  for (int i = 0; i < 200; ++i) flood.emplace_back("X-Flood-" + std::to_string(i), std::string(1000, 'f'));
  auto flooded = http().get("/v1/conversations/c_general/messages?afterSeq=0", flood);
  if (flooded) {
    EXPECT_NE(flooded->status, 200);
  }
  auto bad_json = http().post("/v1/admin/faults", "{not json", "application/json");
  EXPECT_EQ(bad_json->status, 400);
  auto wrong_type = http().post("/v1/admin/faults", R"({"dropAcks":"many"})", "application/json");
  EXPECT_EQ(wrong_type->status, 400);
  auto unknown = http().get("/v1/nothing/here");
  EXPECT_EQ(unknown->status, 404);
  auto bad_id = http().get("/v1/attachments/..%2F..%2Fetc%2Fpasswd", bearer("token-alice"));
  EXPECT_EQ(bad_id->status, 404);

  alice.send_text(message_send_frame("c_general", "healthy", "still serving", "h"));
  EXPECT_EQ(alice.read_json()["type"], "message.ack");
  auto page = http().get("/v1/conversations/c_general/messages?afterSeq=0", bearer("token-alice"));
  EXPECT_EQ(page->status, 200);
}

TEST(ServerHttpConfig, FaultInjectionIsOffUnlessEnabled) {
  // ServerProcess enables it for tests; a server started without the flag has no endpoint.
  TempDir dir;
  std::ofstream(dir.path() / "server.json") << default_server_config();
  ChildProcess process({CONFAB_SERVER_BINARY, "--config", (dir.path() / "server.json").string(), "--port", "0",
                        "--http-port", "0", "--database", (dir.path() / "server.db").string()},
                       dir.path() / "server.log");
  ASSERT_TRUE(process.read_line(15s));
  auto http_line = process.read_line(15s);
  ASSERT_TRUE(http_line);
  HttpClient client(static_cast<std::uint16_t>(std::stoi(http_line->substr(http_line->rfind(':') + 1))));
  auto res = client.post("/v1/admin/faults", R"({"dropConnections":true})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  process.signal(SIGTERM);
  EXPECT_EQ(process.wait(15s), 0);
}

}  // namespace
}  // namespace confab::test
