// The protocol codec: every frame survives a round trip, the examples in docs/protocol.md
// decode as documented, and bad frames are refused with the right code and field.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "protocol/protocol.h"
#include "printers.h"

namespace confab::protocol {
namespace {

using nlohmann::json;

template <class Frame>
Frame round_trip_client(const Frame& frame) {
  auto decoded = decode_client_frame(encode(ClientFrame{frame}));
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
  return std::get<Frame>(decoded.value());
}

template <class Frame>
Frame round_trip_server(const Frame& frame) {
  auto decoded = decode_server_frame(encode(ServerFrame{frame}));
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
  return std::get<Frame>(decoded.value());
}

TEST(ProtocolCodec, ClientFramesSurviveRoundTrip) {
  Auth auth{"a1", "secret token", 1, "phone-1"};
  EXPECT_EQ(round_trip_client(auth), auth);
  MessageSend send{"r7", "c_general", "0190a1b2-0000-7000-8000-000000000001", Body{"héllo 👋 \"quoted\"\n"}};
  EXPECT_EQ(round_trip_client(send), send);
  EXPECT_EQ(round_trip_client(Ping{"p1"}), Ping{"p1"});
  EXPECT_EQ(round_trip_client(Ping{}), Ping{});
  MessageWithdraw withdraw{"", "c_general", "0190a1b2-0000-7000-8000-000000000001"};
  EXPECT_EQ(round_trip_client(withdraw), withdraw);
  EXPECT_EQ(type_name(ClientFrame{withdraw}), "message.withdraw");
}

TEST(ProtocolCodec, ServerFramesSurviveRoundTrip) {
  AuthOk ok{"a1", "alice", "phone-1", 1, 1763800000000, kMaxFrameBytes, kMaxTextBytes};
  EXPECT_EQ(round_trip_server(ok), ok);
  MessageAck ack{"r7", "c_general", "cm-1", "m-1", 42};
  EXPECT_EQ(round_trip_server(ack), ack);
  Event event{"c_general", 42, "m-1", "alice", "cm-1", Body{"hi"}, 1763800000123, EventKind::message_created, {}};
  EXPECT_EQ(round_trip_server(event), event);
  ErrorFrame error{"r7", Error::make(ErrorCode::not_member, "not a member"), "", "not_member"};
  EXPECT_EQ(round_trip_server(error), error);
  EXPECT_EQ(round_trip_server(Pong{"p1"}), Pong{"p1"});
}

TEST(ProtocolCodec, ConversationSyncAndEphemeralFramesSurviveRoundTrip) {
  ConversationRequest create{"c1", ConversationOp::create, "", "w1", "channel", "launch", "day one", {"bob", "carol"}};
  ConversationRequest invite{"c2", ConversationOp::invite, "c_x", "", "", std::nullopt, std::nullopt, {"dave"}};
  ConversationRequest update{"c3", ConversationOp::update, "c_x", "", "", std::nullopt, "", {}};
  ConversationRequest join{"c4", ConversationOp::join, "c_x", "", "", std::nullopt, std::nullopt, {}};
  ConversationRequest leave{"c5", ConversationOp::leave, "c_x", "", "", std::nullopt, std::nullopt, {}};
  for (const auto& r : {create, invite, update, join, leave}) EXPECT_EQ(round_trip_client(r), r);
  SyncRequest sync{"s", "c_a", 50, {{"c_b", 7}, {"c_c", 0}}};
  EXPECT_EQ(round_trip_client(sync), sync);
  HistoryRequest after{"h", "c_a", 10, std::nullopt, 20};
  HistoryRequest before{"h", "c_a", std::nullopt, 99, 500};
  EXPECT_EQ(round_trip_client(after), after);
  EXPECT_EQ(round_trip_client(before), before);
  CursorUpdate cursor{"k", "c_a", 5, 9};
  EXPECT_EQ(round_trip_client(cursor), cursor);
  EXPECT_EQ(round_trip_client(PresenceHeartbeat{"p", "idle"}), (PresenceHeartbeat{"p", "idle"}));
  EXPECT_EQ(round_trip_client(TypingUpdate{"", "c_a", true}), (TypingUpdate{"", "c_a", true}));
  EXPECT_EQ(round_trip_client(TypingUpdate{"t", "c_a", false}), (TypingUpdate{"t", "c_a", false}));

  ConversationSummary summary{"c_a", "channel", "w1", "launch", "day one", 42, 40, 3};
  ConversationInfo info{"c1", summary, {"alice", "bob", "carol"}};
  EXPECT_EQ(round_trip_server(info), info);
  EXPECT_EQ(round_trip_server(SyncState{"s", {summary}, "c_a"}), (SyncState{"s", {summary}, "c_a"}));
  ConversationSummary dm{"d_1", "dm", "w1", "", "", 0, 0, 2, {"alice", "bob"}};
  EXPECT_EQ(round_trip_server(Conversations{"l", {summary, dm}, ""}), (Conversations{"l", {summary, dm}, ""}))
      << "a listed DM carries its members";
  Event joined{"c_a", 1, "", "alice", "", {}, 5, EventKind::member_joined, "", "bob", "", ""};
  Event renamed{"c_a", 2, "", "alice", "", {}, 6, EventKind::conversation_updated, "", "", "launch", "day two"};
  Event message{"c_a", 3, "m1", "bob", "cm1", {"hi", {AttachmentRef{"a_1", "cat.png", 2048, "image/png", std::string(64, 'a'), 640, 480, "AAAA"},
                                                   AttachmentRef{.id = "a_2"}}}, 7, EventKind::message_created, "", "", "", "",
                "m0", "m0"};
  EXPECT_EQ(round_trip_server(message), message);
  MessageSend threaded{"s", "c_a", "cm2", {"in thread", {}}, "m0", "m0"};
  EXPECT_EQ(round_trip_client(threaded), threaded);
  for (const auto& e : {joined, renamed}) EXPECT_EQ(round_trip_server(e), e);
  History history{"h", "c_a", 3, {joined, renamed, message}, true, false};
  EXPECT_EQ(round_trip_server(history), history);
  History too_long{"h", "c_a", 90000, {}, false, true};
  EXPECT_EQ(round_trip_server(too_long), too_long);
  CursorState state{"k", "c_a", "bob", "phone", 5, 9};
  EXPECT_EQ(round_trip_server(state), state);
  EXPECT_EQ(round_trip_server(Presence{"bob", "offline"}), (Presence{"bob", "offline"}));
  EXPECT_EQ(round_trip_server(Typing{"c_a", "bob", false}), (Typing{"c_a", "bob", false}));
  for (const auto& frame : {ClientFrame{create}, ClientFrame{sync}, ClientFrame{after}, ClientFrame{cursor},
                            ClientFrame{TypingUpdate{"", "c", false}}, ClientFrame{PresenceHeartbeat{"", "online"}}}) {
    auto json_type = json::parse(encode(frame))["type"].get<std::string>();
    EXPECT_EQ(json_type, type_name(frame));
  }
}

TEST(ProtocolLimits, ControlCharactersIncludeC1ButNotWhatFollowsIt) {
  EXPECT_FALSE(is_printable("a\u0085b", kMaxNameBytes)) << "NEL";
  EXPECT_FALSE(is_printable("a\u009b2J", kMaxNameBytes)) << "CSI";
  EXPECT_FALSE(is_printable("\u0080", kMaxNameBytes));
  EXPECT_FALSE(is_printable("a\u007f", kMaxNameBytes));
  EXPECT_TRUE(is_printable("\u00a0caf\u00e9 \u00ff \u0100 \U0001F680", kMaxNameBytes));
  EXPECT_FALSE(is_valid_emoji("\u009b"));
  EXPECT_FALSE(is_valid_emoji("\U0001F680\u0080"));
  EXPECT_TRUE(is_valid_emoji("\U0001F680"));
  EXPECT_TRUE(is_valid_emoji("\u00a9"));
}

TEST(ProtocolCodec, ChangesAndTheirEventsSurviveRoundTrip) {
  MessageChange edit{"e1", ChangeKind::edit, "c_general", "cm-2", "m-1", Body{"fixed"}, {}};
  MessageChange remove{"d1", ChangeKind::remove, "c_general", "cm-3", "m-1", {}, {}};
  MessageChange react{"x1", ChangeKind::react, "c_general", "cm-4", "m-1", {}, "👍"};
  MessageChange unreact{"x2", ChangeKind::unreact, "c_general", "cm-5", "m-1", {}, "👍"};
  for (const auto& change : {edit, remove, react, unreact}) EXPECT_EQ(round_trip_client(change), change);
  EXPECT_EQ(type_name(ClientFrame{remove}), "message.delete");
  EXPECT_EQ(type_name(ClientFrame{react}), "reaction.add");

  Event edited{"c_general", 43, "m-1", "alice", "cm-2", Body{"fixed"}, 5, EventKind::message_edited, {}};
  Event deleted{"c_general", 44, "m-1", "alice", "cm-3", {}, 6, EventKind::message_deleted, {}};
  Event added{"c_general", 45, "m-1", "bob", "cm-4", {}, 7, EventKind::reaction_added, "🎉"};
  Event removed{"c_general", 46, "m-1", "bob", "cm-5", {}, 8, EventKind::reaction_removed, "🎉"};
  for (const auto& event : {edited, deleted, added, removed}) EXPECT_EQ(round_trip_server(event), event);
}

TEST(ProtocolCodec, DecodesTheDocumentedChangeExamples) {
  // The same frames appear in docs/protocol.md, "Changing a message" and "Events".
  auto edit = decode_client_frame(R"json({"type": "message.edit", "id": "e1", "conversationId": "c_general",
      "clientMessageId": "0190a1b2-7c3d-7e4f-9a0b-1c2d3e4f5a70",
      "messageId": "0190a1b2-7c41-7000-8123-456789abcdef",
      "body": {"kind": "text", "text": "ship it (after the standup)"}})json");
  ASSERT_TRUE(edit.ok());
  EXPECT_EQ(std::get<MessageChange>(edit.value()).body.text, "ship it (after the standup)");
  auto react = decode_client_frame(R"({"type": "reaction.add", "id": "x1", "conversationId": "c_general",
      "clientMessageId": "0190a1b2-7c3d-7e4f-9a0b-1c2d3e4f5a72",
      "messageId": "0190a1b2-7c41-7000-8123-456789abcdef", "emoji": "🚀"})");
  ASSERT_TRUE(react.ok());
  EXPECT_EQ(std::get<MessageChange>(react.value()).kind, ChangeKind::react);
  auto event = decode_server_frame(R"({"type": "event", "conversationId": "c_general", "conversationSeq": 10526,
      "kind": "reaction.added",
      "reaction": {"messageId": "0190a1b2-7c41-7000-8123-456789abcdef", "senderId": "bob",
                   "clientMessageId": "0190a1b2-7c3d-7e4f-9a0b-1c2d3e4f5a72", "emoji": "🚀",
                   "createdAtMs": 1763805601000}})");
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(std::get<Event>(event.value()).kind, EventKind::reaction_added);
  EXPECT_EQ(std::get<Event>(event.value()).emoji, "🚀");
  auto limited = decode_server_frame(
      R"({"type":"error","id":"r7","code":"rate_limited","retryable":true,"message":"slow down","retryAfterMs":1500})");
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(std::get<ErrorFrame>(limited.value()).error.code, ErrorCode::rate_limited);
  EXPECT_EQ(std::get<ErrorFrame>(limited.value()).error.retry_after_ms, 1500);
}

TEST(ProtocolCodec, ChangesNeedTheirTargetAndAValidEmoji) {
  auto no_target = decode_client_frame(
      R"({"type":"message.delete","id":"d","conversationId":"c_general","clientMessageId":"cm"})");
  ASSERT_FALSE(no_target.ok());
  EXPECT_EQ(no_target.error().field, "messageId");
  auto control = decode_client_frame(
      R"({"type":"reaction.add","id":"x","conversationId":"c","clientMessageId":"cm","messageId":"m","emoji":"a\u0007"})");
  ASSERT_FALSE(control.ok());
  EXPECT_EQ(control.error().field, "emoji");
  auto long_emoji = decode_client_frame(R"({"type":"reaction.add","id":"x","conversationId":"c","clientMessageId":"cm",)"
                                        R"("messageId":"m","emoji":")" + std::string(65, 'x') + R"("})");
  ASSERT_FALSE(long_emoji.ok());
  EXPECT_EQ(long_emoji.error().code, ErrorCode::invalid_field);
  auto no_body = decode_client_frame(
      R"({"type":"message.edit","id":"e","conversationId":"c","clientMessageId":"cm","messageId":"m"})");
  ASSERT_FALSE(no_body.ok());
  EXPECT_EQ(no_body.error().field, "body");
}

TEST(ProtocolCodec, DecodesTheDocumentedExamples) {
  // The same frames appear in docs/protocol.md; keep the two in step.
  auto send = decode_client_frame(R"({"type":"message.send","id":"r7","conversationId":"c_general",
      "clientMessageId":"0190a1b2-7c3d-7e4f-9a0b-1c2d3e4f5a6b","body":{"kind":"text","text":"ship it"}})");
  ASSERT_TRUE(send.ok());
  EXPECT_EQ(std::get<MessageSend>(send.value()).body.text, "ship it");

  auto ack = decode_server_frame(R"({"type":"message.ack","id":"r7","conversationId":"c_general",
      "clientMessageId":"0190a1b2-7c3d-7e4f-9a0b-1c2d3e4f5a6b",
      "messageId":"0190a1b2-7c41-7000-8123-456789abcdef","conversationSeq":10524})");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(std::get<MessageAck>(ack.value()).conversation_seq, 10524);

  auto event = decode_server_frame(R"({"type":"event","conversationId":"c_general","conversationSeq":10524,
      "kind":"message.created","message":{"messageId":"0190a1b2-7c41-7000-8123-456789abcdef",
      "senderId":"alice","clientMessageId":"0190a1b2-7c3d-7e4f-9a0b-1c2d3e4f5a6b",
      "body":{"kind":"text","text":"ship it"},"createdAtMs":1763805600123}})");
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(std::get<Event>(event.value()).sender_id, "alice");

  auto error = decode_server_frame(R"({"type":"error","id":"r7","code":"not_member","retryable":false,
      "message":"not a member of conversation 'c_release'"})");
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(std::get<ErrorFrame>(error.value()).error.code, ErrorCode::not_member);
}

TEST(ProtocolCodec, IgnoresUnknownFields) {
  auto decoded = decode_client_frame(
      R"({"type":"ping","id":"p1","future":{"nested":[1,2,{"x":null}]},"flag":true})");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<Ping>(decoded.value()).id, "p1");
}

struct BadFrame {
  const char* name;
  std::string text;
  ErrorCode code;
  std::string field;
};

void PrintTo(const BadFrame& f, std::ostream* os) { *os << f.name; }

std::string send_with(const std::string& field, const json& value) {
  json frame = {{"type", "message.send"},
                {"id", "r1"},
                {"conversationId", "c_general"},
                {"clientMessageId", "cm-1"},
                {"body", {{"kind", "text"}, {"text", "hi"}}}};
  if (value.is_discarded()) {
    frame.erase(field);
  } else {
    frame[field] = value;
  }
  return frame.dump();
}

std::string nested(int depth) {
  std::string s = R"({"type":"ping","x":)";
  for (int i = 0; i < depth; ++i) s += "[";
  for (int i = 0; i < depth; ++i) s += "]";
  return s + "}";
}

const json kAbsent = json(json::value_t::discarded);

class RejectsBadClientFrame : public testing::TestWithParam<BadFrame> {};

TEST_P(RejectsBadClientFrame, WithCodeAndField) {
  const auto& bad = GetParam();
  auto decoded = decode_client_frame(bad.text);
  ASSERT_FALSE(decoded.ok()) << "accepted: " << bad.text.substr(0, 200);
  EXPECT_EQ(decoded.error().code, bad.code) << decoded.error().message;
  EXPECT_EQ(decoded.error().field, bad.field) << decoded.error().message;
  EXPECT_FALSE(decoded.error().message.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, RejectsBadClientFrame,
    testing::Values(
        BadFrame{"empty", "", ErrorCode::bad_frame, ""},
        BadFrame{"not_json", "hello", ErrorCode::bad_frame, ""},
        BadFrame{"truncated", R"({"type":"ping")", ErrorCode::bad_frame, ""},
        BadFrame{"array", "[1,2]", ErrorCode::bad_frame, ""},
        BadFrame{"string", R"("ping")", ErrorCode::bad_frame, ""},
        BadFrame{"invalid_utf8", "{\"type\":\"ping\",\"x\":\"\xC3\x28\"}", ErrorCode::bad_frame, ""},
        BadFrame{"too_deep", nested(kMaxJsonDepth), ErrorCode::bad_frame, ""},
        BadFrame{"no_type", R"({"id":"r1"})", ErrorCode::invalid_field, "type"},
        BadFrame{"type_not_string", R"({"type":5})", ErrorCode::invalid_field, "type"},
        BadFrame{"unknown_type", R"({"type":"message.explode"})", ErrorCode::unknown_type, "type"},
        BadFrame{"id_not_string", R"({"type":"ping","id":7})", ErrorCode::invalid_field, "id"},
        BadFrame{"id_too_long", R"({"type":"ping","id":")" + std::string(65, 'x') + "\"}",
                 ErrorCode::invalid_field, "id"},
        BadFrame{"missing_conversation", send_with("conversationId", kAbsent), ErrorCode::invalid_field,
                 "conversationId"},
        BadFrame{"conversation_number", send_with("conversationId", 12), ErrorCode::invalid_field,
                 "conversationId"},
        BadFrame{"conversation_empty", send_with("conversationId", ""), ErrorCode::invalid_field,
                 "conversationId"},
        BadFrame{"conversation_spaces", send_with("conversationId", "c general"), ErrorCode::invalid_field,
                 "conversationId"},
        BadFrame{"conversation_too_long", send_with("conversationId", std::string(129, 'c')),
                 ErrorCode::invalid_field, "conversationId"},
        BadFrame{"client_id_too_long", send_with("clientMessageId", std::string(65, 'm')),
                 ErrorCode::invalid_field, "clientMessageId"},
        BadFrame{"missing_body", send_with("body", kAbsent), ErrorCode::invalid_field, "body"},
        BadFrame{"body_string", send_with("body", "hi"), ErrorCode::invalid_field, "body"},
        BadFrame{"body_kind", send_with("body", {{"kind", "image"}, {"text", "x"}}), ErrorCode::invalid_field,
                 "body.kind"},
        BadFrame{"text_missing", send_with("body", {{"kind", "text"}}), ErrorCode::invalid_field, "body.text"},
        BadFrame{"text_empty", send_with("body", {{"kind", "text"}, {"text", ""}}), ErrorCode::invalid_field,
                 "body.text"},
        BadFrame{"text_too_long", send_with("body", {{"kind", "text"}, {"text", std::string(kMaxTextBytes + 1, 'a')}}),
                 ErrorCode::invalid_field, "body.text"},
        BadFrame{"withdraw_no_client_id", R"({"type":"message.withdraw","conversationId":"c"})",
                 ErrorCode::invalid_field, "clientMessageId"},
        BadFrame{"withdraw_bad_conversation", R"({"type":"message.withdraw","conversationId":"c d","clientMessageId":"m"})",
                 ErrorCode::invalid_field, "conversationId"},
        BadFrame{"version_string", R"({"type":"auth","token":"t","protocolVersion":"1","deviceId":"d"})",
                 ErrorCode::invalid_field, "protocolVersion"},
        BadFrame{"version_fraction", R"({"type":"auth","token":"t","protocolVersion":1.5,"deviceId":"d"})",
                 ErrorCode::invalid_field, "protocolVersion"},
        BadFrame{"version_huge", R"({"type":"auth","token":"t","protocolVersion":99999999999999999999999,"deviceId":"d"})",
                 ErrorCode::invalid_field, "protocolVersion"},
        BadFrame{"version_negative", R"({"type":"auth","token":"t","protocolVersion":-1,"deviceId":"d"})",
                 ErrorCode::invalid_field, "protocolVersion"},
        BadFrame{"token_missing", R"({"type":"auth","protocolVersion":1,"deviceId":"d"})", ErrorCode::invalid_field,
                 "token"},
        BadFrame{"device_bad", R"({"type":"auth","token":"t","protocolVersion":1,"deviceId":"a/b"})",
                 ErrorCode::invalid_field, "deviceId"},
        BadFrame{"create_kind", R"({"type":"conversation.create","kind":"room","name":"x"})",
                 ErrorCode::invalid_field, "kind"},
        BadFrame{"create_name_control", R"({"type":"conversation.create","kind":"channel","name":"a\u0007b"})",
                 ErrorCode::invalid_field, "name"},
        BadFrame{"create_name_c1_csi", R"({"type":"conversation.create","kind":"channel","name":"a\u009b2Jb"})",
                 ErrorCode::invalid_field, "name"},
        BadFrame{"update_topic_c1_nel", R"({"type":"conversation.update","conversationId":"c","topic":"a\u0085b"})",
                 ErrorCode::invalid_field, "topic"},
        BadFrame{"reaction_c1", R"({"type":"reaction.add","conversationId":"c","clientMessageId":"m","messageId":"x","emoji":"\u009b"})",
                 ErrorCode::invalid_field, "emoji"},
        BadFrame{"reaction_del", R"({"type":"reaction.add","conversationId":"c","clientMessageId":"m","messageId":"x","emoji":"\u007f"})",
                 ErrorCode::invalid_field, "emoji"},
        BadFrame{"create_name_long", R"({"type":"conversation.create","kind":"channel","name":")" +
                                         std::string(kMaxNameBytes + 1, 'n') + "\"}",
                 ErrorCode::invalid_field, "name"},
        BadFrame{"create_users_not_ids", R"({"type":"conversation.create","kind":"dm","userIds":[1]})",
                 ErrorCode::invalid_field, "userIds"},
        BadFrame{"invite_nobody", R"({"type":"conversation.invite","conversationId":"c","userIds":[]})",
                 ErrorCode::invalid_field, "userIds"},
        BadFrame{"update_nothing", R"({"type":"conversation.update","conversationId":"c"})",
                 ErrorCode::invalid_field, "name"},
        BadFrame{"history_both", R"({"type":"history.request","conversationId":"c","afterSeq":1,"beforeSeq":5})",
                 ErrorCode::invalid_field, "afterSeq"},
        BadFrame{"history_neither", R"({"type":"history.request","conversationId":"c"})",
                 ErrorCode::invalid_field, "afterSeq"},
        BadFrame{"history_limit", R"({"type":"history.request","conversationId":"c","afterSeq":1,"limit":501})",
                 ErrorCode::invalid_field, "limit"},
        BadFrame{"history_negative", R"({"type":"history.request","conversationId":"c","afterSeq":-1})",
                 ErrorCode::invalid_field, "afterSeq"},
        BadFrame{"cursor_nothing", R"({"type":"cursor.update","conversationId":"c"})",
                 ErrorCode::invalid_field, "readSeq"},
        BadFrame{"cursor_zero", R"({"type":"cursor.update","conversationId":"c","readSeq":0})",
                 ErrorCode::invalid_field, "readSeq"},
        BadFrame{"presence_status", R"({"type":"presence.heartbeat","status":"offline"})",
                 ErrorCode::invalid_field, "status"},
        BadFrame{"sync_cursor_seq", R"({"type":"sync.request","cursors":[{"conversationId":"c","seq":"1"}]})",
                 ErrorCode::invalid_field, "cursors[0].seq"}),
    [](const testing::TestParamInfo<BadFrame>& param) { return std::string(param.param.name); });

TEST(ProtocolCodec, AcceptsNestingUpToTheLimit) {
  EXPECT_TRUE(decode_client_frame(nested(kMaxJsonDepth - 1)).ok());
}

TEST(ProtocolCodec, DecodeErrorEchoesTheRequestId) {
  auto decoded = decode_client_frame(send_with("conversationId", kAbsent));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().id, "r1");
  ErrorFrame frame = to_error_frame(decoded.error());
  EXPECT_EQ(frame.id, "r1");
  EXPECT_EQ(frame.field, "conversationId");
  EXPECT_FALSE(frame.error.retryable);
}

TEST(ProtocolCodec, RejectsBadServerFrames) {
  auto zero_seq = decode_server_frame(
      R"({"type":"message.ack","conversationId":"c","clientMessageId":"x","messageId":"m","conversationSeq":0})");
  ASSERT_FALSE(zero_seq.ok());
  EXPECT_EQ(zero_seq.error().field, "conversationSeq");

  auto unknown_kind = decode_server_frame(
      R"({"type":"event","conversationId":"c","conversationSeq":1,"kind":"poll.created","message":{}})");
  ASSERT_FALSE(unknown_kind.ok());
  EXPECT_EQ(unknown_kind.error().code, ErrorCode::unknown_type);

  auto no_retryable = decode_server_frame(R"({"type":"error","code":"internal"})");
  ASSERT_FALSE(no_retryable.ok());
  EXPECT_EQ(no_retryable.error().field, "retryable");

  // A client frame type is not a server frame type, and the other way round.
  EXPECT_FALSE(decode_server_frame(R"({"type":"ping"})").ok());
  EXPECT_FALSE(decode_client_frame(R"({"type":"pong"})").ok());
}

TEST(ProtocolCodec, KeepsErrorCodesFromNewerServers) {
  auto decoded = decode_server_frame(R"({"type":"error","code":"quota_exceeded","retryable":true,"message":"m"})");
  ASSERT_TRUE(decoded.ok());
  const auto& frame = std::get<ErrorFrame>(decoded.value());
  EXPECT_EQ(frame.error.code, ErrorCode::unknown);
  EXPECT_TRUE(frame.error.retryable);
  EXPECT_EQ(json::parse(encode(ServerFrame{frame}))["code"], "quota_exceeded");
}

TEST(ProtocolCodec, TruncatesLongErrorMessagesAtACharacterBoundary) {
  std::string long_message(kMaxErrorMessageBytes - 1, 'x');
  long_message += "é and more";  // the 2-byte character straddles the limit
  ErrorFrame frame{"", Error::make(ErrorCode::internal, long_message), "", "internal"};
  auto decoded = decode_server_frame(encode(ServerFrame{frame}));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<ErrorFrame>(decoded.value()).error.message, std::string(kMaxErrorMessageBytes - 1, 'x'));
}

TEST(ProtocolCodec, ErrorCodeNamesRoundTrip) {
  for (auto code : {ErrorCode::bad_frame, ErrorCode::unknown_type, ErrorCode::invalid_field,
                    ErrorCode::frame_too_large, ErrorCode::not_authenticated, ErrorCode::unauthorized,
                    ErrorCode::unsupported_version, ErrorCode::not_member, ErrorCode::internal,
                    ErrorCode::unavailable}) {
    EXPECT_EQ(error_code_from_string(to_string(code)), code) << to_string(code);
  }
  EXPECT_TRUE(is_retryable_by_default(ErrorCode::internal));
  EXPECT_TRUE(is_retryable_by_default(ErrorCode::unavailable));
  EXPECT_FALSE(is_retryable_by_default(ErrorCode::not_member));
}

TEST(ProtocolCodec, AttachmentsAreObjectsABareIdIsStillReadAndBadMetadataIsRefused) {
  auto send = [](const std::string& body) {
    return decode_client_frame(R"({"type":"message.send","id":"r1","conversationId":"c_general","clientMessageId":"cm-1","body":)" +
                               body + "}");
  };
  auto legacy = send(R"({"kind":"text","text":"x","attachments":["a_1","a_2"]})");
  ASSERT_TRUE(legacy.ok());
  auto& frame = std::get<MessageSend>(legacy.value());
  ASSERT_EQ(frame.body.attachments.size(), 2u);
  EXPECT_EQ(frame.body.attachments[1].id, "a_2");

  auto files_only = send(R"({"kind":"text","text":"","attachments":[{"id":"a_1","name":"cat.png","width":4,"height":3}]})");
  ASSERT_TRUE(files_only.ok()) << "a message of files alone may have no text";
  EXPECT_EQ(std::get<MessageSend>(files_only.value()).body.attachments[0].width, 4);

  EXPECT_FALSE(send(R"({"kind":"text","text":""})").ok()) << "no text and no file";
  EXPECT_FALSE(send(R"({"kind":"text","text":"x","attachments":[{"id":"a_1","sha256":"ABC"}]})").ok());
  EXPECT_FALSE(send(R"({"kind":"text","text":"x","attachments":[{"id":"a_1","width":70000}]})").ok());
  EXPECT_FALSE(send(R"({"kind":"text","text":"x","attachments":[{"id":"a_1","preview":"not base64!"}]})").ok());
  EXPECT_FALSE(send(R"({"kind":"text","text":"x","attachments":[{"id":"a_1","name":"a\u0007b"}]})").ok());
  EXPECT_FALSE(send(R"({"kind":"text","text":"x","attachments":[{"name":"no id"}]})").ok());

  // As the device stores them, a file still uploading has no id.
  std::vector<AttachmentRef> stored{AttachmentRef{.name = "up.bin", .size = 5}, AttachmentRef{.id = "a_3"}};
  EXPECT_EQ(attachments_from_text(attachments_text(stored)), stored);
  EXPECT_EQ(attachments_from_text("a_1\na_2").size(), 2u) << "an older version's lines";
  EXPECT_TRUE(attachments_from_text("[{broken").empty());
}

}  // namespace
}  // namespace confab::protocol
