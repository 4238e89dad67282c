// The server's rules for each incoming frame, including every kind of bad input.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "frame_handler.h"
#include "temp_dir.h"

namespace confab::server {
namespace {

using nlohmann::json;

ServerConfig config() {
  ServerConfig c;
  c.users = {{"alice", "Alice", {"token-alice"}}, {"bob", "Bob", {"token-bob"}}};
  c.conversations = {{"c_b", ConversationKind::channel, "b", {"alice", "bob"}},
                     {"c_a", ConversationKind::private_channel, "a", {"alice"}},
                     {"c_c", ConversationKind::dm, "", {"alice", "bob"}}};
  return c;
}

std::string auth(const std::string& token, int version = 1) {
  return json{{"type", "auth"}, {"id", "a1"}, {"token", token}, {"protocolVersion", version}, {"deviceId", "d1"}}.dump();
}

json only_reply(const Reaction& r) {
  EXPECT_EQ(r.replies.size(), 1u);
  return r.replies.empty() ? json() : json::parse(r.replies.front());
}

class FrameHandlerTest : public testing::Test {
 protected:
  void SetUp() override {
    auto store = MessageStore::open(dir_ / "server.db", Durability::normal);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    ASSERT_TRUE(store_->apply_directory(config()).ok());
  }

  // Runs the query a request produced, as the committer would, and returns its one reply.
  json run(const Reaction& r) {
    EXPECT_TRUE(r.replies.empty());
    if (!r.query) return json();
    Outcome out = r.query(store_.get(), 1);
    EXPECT_EQ(out.replies.size(), 1u);
    return out.replies.empty() ? json() : json::parse(out.replies.front());
  }

  test::TempDir dir_;
  std::unique_ptr<MessageStore> store_;
  FrameHandler handler_{config()};
  Peer peer_;

  void authenticate() {
    auto r = handler_.on_text(peer_, auth("token-alice"), 1);
    ASSERT_TRUE(peer_.authenticated());
    ASSERT_FALSE(r.close);
  }
};

TEST_F(FrameHandlerTest, AcceptsAValidTokenAndNamesTheUser) {
  auto r = handler_.on_text(peer_, auth("token-alice"), 1234);
  auto ok = only_reply(r);
  EXPECT_EQ(ok["type"], "auth.ok");
  EXPECT_EQ(ok["id"], "a1");
  EXPECT_EQ(ok["userId"], "alice");
  EXPECT_EQ(ok["serverTimeMs"], 1234);
  EXPECT_EQ(ok["limits"]["maxFrameBytes"], 65536);
  EXPECT_FALSE(r.close);
  EXPECT_EQ(peer_.user_id, "alice");
  EXPECT_EQ(peer_.device_id, "d1");
}

TEST_F(FrameHandlerTest, RefusesABadTokenAndCloses) {
  auto r = handler_.on_text(peer_, auth("token-mallory"), 1);
  EXPECT_EQ(only_reply(r)["code"], "unauthorized");
  ASSERT_TRUE(r.close);
  EXPECT_EQ(r.close->code, protocol::close_code::kUnauthorized);
  EXPECT_FALSE(peer_.authenticated());
}

TEST_F(FrameHandlerTest, RefusesAnotherProtocolVersionAndCloses) {
  auto r = handler_.on_text(peer_, auth("token-alice", 2), 1);
  auto e = only_reply(r);
  EXPECT_EQ(e["code"], "unsupported_version");
  EXPECT_EQ(e["retryable"], false);
  ASSERT_TRUE(r.close);
  EXPECT_EQ(r.close->code, protocol::close_code::kUnsupportedVersion);
  EXPECT_FALSE(peer_.authenticated());
}

TEST_F(FrameHandlerTest, RequestsBeforeAuthAreRefusedAndClose) {
  for (const char* frame : {R"({"type":"ping"})", R"({"type":"message.send"})", "garbage", R"({"type":"nope"})"}) {
    Peer fresh;
    auto r = handler_.on_text(fresh, frame, 1);
    ASSERT_TRUE(r.close) << frame;
    EXPECT_EQ(r.close->code, protocol::close_code::kProtocolViolation) << frame;
    EXPECT_FALSE(r.submit);
  }
}

TEST_F(FrameHandlerTest, MalformedJsonGetsAnErrorThenACloseWithAReason) {
  authenticate();
  auto r = handler_.on_text(peer_, "{\"type\": ", 1);
  EXPECT_EQ(only_reply(r)["code"], "bad_frame");
  ASSERT_TRUE(r.close);
  EXPECT_EQ(r.close->code, protocol::close_code::kInvalidPayload);
  EXPECT_FALSE(r.close->reason.empty());
}

TEST_F(FrameHandlerTest, UnknownTypesAndBadFieldsGetAnErrorAndKeepTheConnection) {
  authenticate();
  auto unknown = handler_.on_text(peer_, R"({"type":"message.explode","id":"r1"})", 1);
  auto e1 = only_reply(unknown);
  EXPECT_EQ(e1["code"], "unknown_type");
  EXPECT_EQ(e1["id"], "r1");
  EXPECT_FALSE(unknown.close);

  auto missing = handler_.on_text(peer_, R"({"type":"message.send","id":"r2","clientMessageId":"c","body":{"kind":"text","text":"x"}})", 1);
  auto e2 = only_reply(missing);
  EXPECT_EQ(e2["code"], "invalid_field");
  EXPECT_EQ(e2["field"], "conversationId");
  EXPECT_EQ(e2["id"], "r2");
  EXPECT_FALSE(missing.close);
  EXPECT_FALSE(missing.submit);

  auto mistyped = handler_.on_text(peer_, R"({"type":"message.send","conversationId":7,"clientMessageId":"c","body":{"kind":"text","text":"x"}})", 1);
  EXPECT_EQ(only_reply(mistyped)["field"], "conversationId");
  EXPECT_FALSE(mistyped.close);
}

TEST_F(FrameHandlerTest, PingGetsPong) {
  authenticate();
  auto pong = only_reply(handler_.on_text(peer_, R"({"type":"ping","id":"p9"})", 1));
  EXPECT_EQ(pong["type"], "pong");
  EXPECT_EQ(pong["id"], "p9");
}

TEST_F(FrameHandlerTest, SendIsSubmittedAsTheAuthenticatedUser) {
  authenticate();
  auto r = handler_.on_text(peer_, R"({"type":"message.send","id":"r1","conversationId":"general",
      "clientMessageId":"cm-1","senderId":"mallory","body":{"kind":"text","text":"hi"}})", 1);
  EXPECT_TRUE(r.replies.empty()) << "answered after the commit, not now";
  ASSERT_TRUE(r.submit);
  EXPECT_EQ(r.submit->user_id, "alice") << "the sender comes from the session, never from the frame";
  EXPECT_EQ(r.submit->conversation_id, "general");
  EXPECT_EQ(r.submit->client_message_id, "cm-1");
  EXPECT_EQ(r.submit->text, "hi");
  EXPECT_EQ(r.submit_id, "r1");
}

TEST_F(FrameHandlerTest, ASecondAuthIsRefusedButTheSessionStays) {
  authenticate();
  auto r = handler_.on_text(peer_, auth("token-alice"), 1);
  EXPECT_EQ(only_reply(r)["type"], "error");
  EXPECT_FALSE(r.close);
  EXPECT_EQ(peer_.user_id, "alice");
}

TEST_F(FrameHandlerTest, OversizedBinaryAndSilentPeersAreClosedWithReasons) {
  auto big = handler_.on_oversized();
  EXPECT_EQ(only_reply(big)["code"], "frame_too_large");
  EXPECT_EQ(big.close->code, protocol::close_code::kTooBig);
  EXPECT_NE(big.close->reason.find("65536"), std::string::npos);

  auto binary = handler_.on_binary();
  EXPECT_EQ(only_reply(binary)["code"], "bad_frame");
  EXPECT_EQ(binary.close->code, protocol::close_code::kUnsupportedData);

  auto silent = handler_.on_auth_timeout();
  EXPECT_EQ(silent.close->code, protocol::close_code::kAuthTimeout);

  for (const auto* r : {&big, &binary, &silent}) EXPECT_LE(r->close->reason.size(), 123u);
}

TEST_F(FrameHandlerTest, AnswersAreAcksOrTypedErrorsEchoingTheRequestId) {
  Appended appended;
  appended.ack = protocol::MessageAck{"", "general", "cm-1", "m-1", 5};
  auto ack = json::parse(FrameHandler::answer("r1", appended));
  EXPECT_EQ(ack["type"], "message.ack");
  EXPECT_EQ(ack["id"], "r1");
  EXPECT_EQ(ack["conversationSeq"], 5);

  auto error = json::parse(FrameHandler::answer("r2", Error::make(ErrorCode::internal, "disk full")));
  EXPECT_EQ(error["code"], "internal");
  EXPECT_EQ(error["retryable"], true);
  EXPECT_EQ(error["id"], "r2");
}

TEST_F(FrameHandlerTest, ListsOnlyTheUsersConversationsInIdOrderPageByPage) {
  authenticate();
  auto first = run(handler_.on_text(peer_, R"({"type":"conversations.list","id":"l","limit":2})", 1));
  EXPECT_EQ(first["type"], "conversations");
  ASSERT_EQ(first["items"].size(), 2u);
  EXPECT_EQ(first["items"][0]["conversationId"], "c_a");
  EXPECT_EQ(first["items"][0]["kind"], "private_channel");
  EXPECT_EQ(first["items"][1]["conversationId"], "c_b");
  EXPECT_EQ(first["next"], "c_b");
  auto second = run(handler_.on_text(peer_, R"({"type":"conversations.list","id":"l","after":"c_b","limit":2})", 1));
  ASSERT_EQ(second["items"].size(), 1u);
  EXPECT_EQ(second["items"][0]["conversationId"], "c_c");
  EXPECT_FALSE(second.contains("next"));

  Peer bob;
  handler_.on_text(bob, auth("token-bob"), 1);
  auto bobs = run(handler_.on_text(bob, R"({"type":"conversations.list","id":"l"})", 1));
  ASSERT_EQ(bobs["items"].size(), 2u) << "c_a is private to alice";
  auto too_many = only_reply(handler_.on_text(peer_, R"({"type":"conversations.list","id":"l","limit":201})", 1));
  EXPECT_EQ(too_many["code"], "invalid_field");
}

TEST_F(FrameHandlerTest, StopsAConnectionThatExceedsItsRequestRateAndSaysWhenToRetry) {
  ServerConfig limited = config();
  limited.rate_per_second = 10;
  limited.rate_burst = 3;
  FrameHandler handler(limited);
  Peer peer;
  handler.on_text(peer, auth("token-alice"), 1000);
  const std::string send = R"({"type":"message.send","id":"r","conversationId":"c_b","clientMessageId":"c1",)"
                           R"("body":{"kind":"text","text":"x"}})";
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(handler.on_text(peer, send, 1000).submit) << i;
  // A send over the rate is refused through the committer (so that its order guard holds
  // the later sends back), with the answer it gives.
  auto over = handler.on_text(peer, send, 1000);
  ASSERT_TRUE(over.submit);
  ASSERT_TRUE(over.submit->refused);
  auto refused = json::parse(FrameHandler::answer(over.submit_id, AppendResult(*over.submit->refused)));
  EXPECT_EQ(refused["code"], "rate_limited");
  EXPECT_EQ(refused["retryable"], true);
  EXPECT_EQ(refused["id"], "r");
  EXPECT_EQ(refused["retryAfterMs"], 100);  // one token at 10 per second
  auto listing = only_reply(handler.on_text(peer, R"({"type":"conversations.list","id":"l"})", 1000));
  EXPECT_EQ(listing["code"], "rate_limited") << "other requests are answered at once";
  auto pong = only_reply(handler.on_text(peer, R"({"type":"ping","id":"p"})", 1000));
  EXPECT_EQ(pong["type"], "pong") << "liveness is never rate limited";
  EXPECT_TRUE(handler.on_text(peer, send, 1100).submit) << "a token is back after 100 ms";
}

TEST_F(FrameHandlerTest, AWithdrawalGoesToTheCommitterForThisConnectionEvenOverTheRate) {
  ServerConfig limited = config();
  limited.rate_per_second = 10;
  limited.rate_burst = 1;
  FrameHandler handler(limited);
  Peer peer;
  peer.connection_id = 42;
  handler.on_text(peer, auth("token-alice"), 1000);
  ASSERT_TRUE(handler.on_text(peer, R"({"type":"conversations.list","id":"l"})", 1000).query) << "the one token";
  const std::string withdraw = R"({"type":"message.withdraw","conversationId":"c_b","clientMessageId":"m1"})";
  auto r = handler.on_text(peer, withdraw, 1000);
  EXPECT_TRUE(r.replies.empty()) << "a withdrawal has no reply";
  EXPECT_FALSE(r.submit);
  ASSERT_TRUE(r.withdraw) << "never refused for the rate: it is never resent";
  EXPECT_EQ(r.withdraw->conversation_id, "c_b");
  EXPECT_EQ(r.withdraw->client_message_id, "m1");
  auto bad = only_reply(handler.on_text(peer, R"({"type":"message.withdraw","conversationId":"c_b"})", 1000));
  EXPECT_EQ(bad["code"], "invalid_field");
  EXPECT_EQ(bad["field"], "clientMessageId");
}

// The worst characters for a frame's size: a control character is written \u00XX (6
// bytes), a quote or a backslash \" or \\ (2). This text takes exactly the limit written.
std::string worst_text() { return std::string(2730, '\x01') + "\"\""; }

std::string send_frame(const std::string& conversation, const std::string& client_id, const std::string& text) {
  return json{{"type", "message.send"}, {"id", "r"}, {"conversationId", conversation}, {"clientMessageId", client_id},
              {"body", {{"kind", "text"}, {"text", text}}}}.dump();
}

// The one reply of the query a request produced, as written.
std::string raw_reply(MessageStore& store, const Reaction& r) {
  if (!r.query) return {};
  Outcome out = r.query(&store, 1);
  EXPECT_EQ(out.replies.size(), 1u);
  return out.replies.empty() ? std::string() : out.replies.front();
}

TEST_F(FrameHandlerTest, TextIsLimitedAsWrittenSoEveryMessageFrameFits) {
  authenticate();
  for (const auto& text : {std::string(10896, '\x01'), std::string(2731, '\x01'), std::string(8193, '\\')}) {
    auto refused = only_reply(handler_.on_text(peer_, send_frame("c_b", "over", text), 1));
    EXPECT_EQ(refused["code"], "invalid_field");
    EXPECT_EQ(refused["field"], "body.text");
  }
  auto commit = [&](const Reaction& r) {
    EXPECT_TRUE(r.submit);
    if (!r.submit) return AppendResult(Error::make(ErrorCode::internal, "not submitted"));
    return store_->append_batch(std::span(&*r.submit, 1), 1).front();
  };
  std::string first_id;
  for (int i = 0; i < 40; ++i) {
    auto sent = handler_.on_text(peer_, send_frame("c_b", "m" + std::to_string(i), worst_text()), 1);
    auto result = commit(sent);
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_TRUE(result->event.has_value());
    EXPECT_LE(FrameHandler::answer(sent.submit_id, result).size(), protocol::kMaxFrameBytes);
    EXPECT_LE(protocol::encode(protocol::ServerFrame{*result->event}).size(), protocol::kMaxFrameBytes);
    if (first_id.empty()) first_id = result->ack.message_id;
  }
  auto edit = json{{"type", "message.edit"}, {"id", "e"}, {"conversationId", "c_b"}, {"clientMessageId", "e1"},
                   {"messageId", first_id}, {"body", {{"kind", "text"}, {"text", worst_text()}}}}.dump();
  auto edited = commit(handler_.on_text(peer_, edit, 1));
  ASSERT_TRUE(edited.ok());
  EXPECT_LE(protocol::encode(protocol::ServerFrame{*edited->event}).size(), protocol::kMaxFrameBytes);
}

TEST_F(FrameHandlerTest, HistoryPagesOfTheLargestMessagesFitInAFrame) {
  authenticate();
  for (int i = 0; i < 40; ++i) {
    auto sent = handler_.on_text(peer_, send_frame("c_b", "m" + std::to_string(i), worst_text()), 1);
    ASSERT_TRUE(sent.submit);
    ASSERT_TRUE(store_->append_batch(std::span(&*sent.submit, 1), 1).front().ok());
  }
  Seq after = 0;
  int pages = 0;
  while (after < 40) {
    auto frame = raw_reply(*store_, handler_.on_text(peer_, json{{"type", "history.request"}, {"id", "h"},
                                                               {"conversationId", "c_b"}, {"afterSeq", after},
                                                               {"limit", 500}}.dump(), 1));
    EXPECT_LE(frame.size(), protocol::kMaxFrameBytes);
    auto page = json::parse(frame);
    ASSERT_FALSE(page["events"].empty());
    EXPECT_EQ(page["events"][0]["conversationSeq"], after + 1) << "no gap between pages";
    after = page["events"].back()["conversationSeq"].get<Seq>();
    ++pages;
  }
  EXPECT_GT(pages, 1) << "the pages were cut to fit";
  auto newest = raw_reply(*store_, handler_.on_text(peer_, R"({"type":"history.request","id":"h","conversationId":"c_b","beforeSeq":41,"limit":500})", 1));
  EXPECT_LE(newest.size(), protocol::kMaxFrameBytes);
  EXPECT_EQ(json::parse(newest)["events"].back()["conversationSeq"], 40);
}

TEST_F(FrameHandlerTest, PagesOfConversationsWithTheLongestNamesAndTopicsFitAndReachTheEnd) {
  authenticate();
  for (int i = 0; i < 200; ++i) {
    std::string number = std::to_string(1000 + i);
    auto create = json{{"type", "conversation.create"}, {"id", "c"}, {"kind", "channel"},
                       {"name", number + std::string(protocol::kMaxNameBytes - number.size(), '"')},
                       {"topic", std::string(protocol::kMaxTopicBytes, '\\')}}.dump();
    auto created = raw_reply(*store_, handler_.on_text(peer_, create, 1));
    ASSERT_EQ(json::parse(created)["type"], "conversation") << created;
    EXPECT_LE(created.size(), protocol::kMaxFrameBytes);
  }
  for (const char* type : {"conversations.list", "sync.request"}) {
    std::vector<std::string> seen;
    std::string after;
    for (int pages = 0; pages < 50; ++pages) {
      json request{{"type", type}, {"id", "l"}, {"limit", 200}};
      if (!after.empty()) request["after"] = after;
      auto frame = raw_reply(*store_, handler_.on_text(peer_, request.dump(), 1));
      EXPECT_LE(frame.size(), protocol::kMaxFrameBytes) << type;
      auto page = json::parse(frame);
      for (const auto& item : page["items"]) seen.push_back(item["conversationId"]);
      if (!page.contains("next")) break;
      after = page["next"];
    }
    EXPECT_EQ(seen.size(), 203u) << type << ": 200 channels and the three configured, each once";
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end())) << type;
    EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << type;
  }
}

TEST_F(FrameHandlerTest, TheConversationFrameOfACrowdedChannelFitsAndCountsEveryMember) {
  ServerConfig crowded = config();
  std::vector<std::string> everyone{"alice"};
  for (int i = 0; i < 600; ++i) {
    std::string id = "u" + std::to_string(1000 + i) + std::string(protocol::kMaxIdentifierBytes - 5, 'x');
    crowded.users.push_back({id, "U", {}});
    everyone.push_back(id);
  }
  crowded.conversations.push_back({"c_crowd", ConversationKind::channel, "crowd", everyone});
  ASSERT_TRUE(store_->apply_directory(crowded).ok());
  authenticate();
  auto frame = raw_reply(*store_, handler_.on_text(peer_, R"({"type":"conversation.join","id":"j","conversationId":"c_crowd"})", 1));
  EXPECT_LE(frame.size(), protocol::kMaxFrameBytes);
  auto info = json::parse(frame);
  EXPECT_EQ(info["conversation"]["memberCount"], 601);
  EXPECT_FALSE(info["members"].empty());
}

TEST_F(FrameHandlerTest, ANonMemberCannotReadHistoryMoveCursorsOrType) {
  authenticate();
  for (const char* frame : {R"({"type":"history.request","id":"q","conversationId":"c_x","afterSeq":0})",
                            R"({"type":"cursor.update","id":"q","conversationId":"c_x","readSeq":1})",
                            R"({"type":"typing.start","id":"q","conversationId":"c_x"})",
                            R"({"type":"conversation.leave","id":"q","conversationId":"c_x"})"}) {
    auto reply = run(handler_.on_text(peer_, frame, 1));
    EXPECT_EQ(reply["code"], "not_member") << frame;
    EXPECT_EQ(reply["id"], "q");
  }
  Peer bob;
  handler_.on_text(bob, auth("token-bob"), 1);
  auto hidden = run(handler_.on_text(bob, R"({"type":"history.request","id":"h","conversationId":"c_a","beforeSeq":9})", 1));
  EXPECT_EQ(hidden["code"], "not_member") << "c_a is private to alice";
  auto join = run(handler_.on_text(bob, R"({"type":"conversation.join","id":"j","conversationId":"c_a"})", 1));
  EXPECT_EQ(join["code"], "not_member") << "a private channel cannot be joined, nor seen";
}

TEST_F(FrameHandlerTest, AStoppingServerRefusesQueriesAsRetryable) {
  authenticate();
  auto r = handler_.on_text(peer_, R"({"type":"sync.request","id":"s"})", 1);
  ASSERT_TRUE(r.query);
  auto out = r.query(nullptr, 1);
  ASSERT_EQ(out.replies.size(), 1u);
  auto reply = json::parse(out.replies.front());
  EXPECT_EQ(reply["code"], "unavailable");
  EXPECT_EQ(reply["retryable"], true);
}

}  // namespace
}  // namespace confab::server
