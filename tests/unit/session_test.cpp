// The client session core, driven without sockets: what goes on the wire, when, and what
// the app is told.
#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "protocol/protocol.h"
#include "core/session.h"
#include "printers.h"

namespace confab::core {
namespace {

using nlohmann::json;

// The session's clocks; tests move them by hand (both together: no clock is set here;
// clocks_test.cpp sets them apart).
std::int64_t fake_now = 1'763'800'000'000;

Session make_session() {
  SessionOptions options;
  options.device_id = "phone";
  options.seed = 7;
  return Session(options, Clocks{[] { return fake_now; }, [] { return fake_now; }});
}

// A queued row as send() commits it: local ids grow with each call.
OutboxRow local(std::string id, std::string conversation = "c_general", std::string text = "hi") {
  static std::int64_t next_local_id = 1;
  OutboxRow row;
  auto& m = row.message;
  m.local_id = next_local_id++;
  m.client_message_id = std::move(id);
  m.conversation_id = std::move(conversation);
  m.text = std::move(text);
  m.created_at_ms = fake_now;
  row.age_from_ms = fake_now;
  return row;
}

std::string auth_ok() {
  return protocol::encode(protocol::ServerFrame{protocol::AuthOk{"auth", "alice", "phone", 1, 1, 65536, 16384}});
}

std::string conversations(std::vector<std::string> ids, std::string next = {}) {
  protocol::Conversations page{"conversations", {}, std::move(next)};
  for (auto& id : ids) page.items.push_back({std::move(id), "channel"});
  return protocol::encode(protocol::ServerFrame{page});
}

std::string ack(const std::string& client_id, Seq seq) {
  return protocol::encode(protocol::ServerFrame{protocol::MessageAck{client_id, "c_general", client_id, "m-" + client_id, seq}});
}

std::string error(const std::string& id, ErrorCode code) {
  return protocol::encode(protocol::ServerFrame{protocol::ErrorFrame{id, Error::make(code, "refused"), "", ""}});
}

// Splits a batch of actions by kind, for assertions.
struct Drained {
  std::vector<json> frames;       // everything but the sync's requests
  std::vector<json> sync_frames;  // sync.request, history.request; directory.list (in the background too)
  // presence.heartbeat: on a schedule of its own from each connection (session_live_test.cpp)
  std::vector<json> heartbeats;
  std::vector<LocalMessage> outbox;
  std::vector<ConnectionChange> connection;
  std::vector<Message> messages;
  int closes = 0;
};

Drained drain(Session& s) {
  Drained d;
  for (auto& action : s.take_actions()) {
    if (auto* f = std::get_if<SendFrame>(&action)) {
      auto frame = json::parse(f->text);
      auto type = frame["type"].get<std::string>();
      bool background = type == "sync.request" || type == "history.request" || type == "directory.list";
      if (type == "presence.heartbeat") {
        d.heartbeats.push_back(std::move(frame));
      } else {
        (background ? d.sync_frames : d.frames).push_back(std::move(frame));
      }
    }
    if (auto* a = std::get_if<ApplyEvents>(&action)) {
      for (const auto& e : a->events) d.messages.push_back(protocol::to_message(e));
    }
    if (auto* o = std::get_if<NotifyOutbox>(&action)) d.outbox.push_back(o->message);
    if (auto* c = std::get_if<NotifyConnection>(&action)) d.connection.push_back(c->change);
    if (std::holds_alternative<CloseConnection>(action)) ++d.closes;
  }
  return d;
}

// Connects (again), authenticates and lists the conversations; returns what that produced.
Drained reconnect(Session& s) {
  s.connect_requested("token");
  s.transport_opened();
  s.frame_received(auth_ok());
  s.frame_received(conversations({"c_general", "c_release"}));
  return drain(s);
}

// A session that has connected and authenticated.
Session connected_session() {
  Session s = make_session();
  reconnect(s);
  return s;
}

TEST(Session, AuthenticatesFirstThenSendsQueuedMessagesInOrder) {
  Session s = make_session();
  s.enqueue(local("m1"));
  s.enqueue(local("m2"));
  s.enqueue(local("m3"));
  auto queued = drain(s);
  EXPECT_TRUE(queued.frames.empty()) << "nothing goes out before a connection";
  EXPECT_TRUE(queued.outbox.empty()) << "queued rows stay pending: no change to report";

  s.connect_requested("secret");
  s.transport_opened();
  auto opened = drain(s);
  ASSERT_EQ(opened.frames.size(), 1u);
  EXPECT_EQ(opened.frames[0]["type"], "auth");
  EXPECT_EQ(opened.frames[0]["token"], "secret");
  EXPECT_EQ(opened.frames[0]["deviceId"], "phone");
  EXPECT_EQ(opened.frames[0]["protocolVersion"], protocol::kVersion);

  s.frame_received(auth_ok());
  auto authed = drain(s);
  EXPECT_EQ(s.state(), ConnectionState::connecting) << "connected once the conversations are listed";
  ASSERT_EQ(authed.frames.size(), 1u);
  EXPECT_EQ(authed.frames[0]["type"], "conversations.list");
  s.frame_received(conversations({"c_general"}));
  authed = drain(s);
  EXPECT_EQ(s.state(), ConnectionState::connected);
  EXPECT_EQ(s.user_id(), "alice");
  ASSERT_EQ(authed.frames.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(authed.frames[static_cast<std::size_t>(i)]["type"], "message.send");
    EXPECT_EQ(authed.frames[static_cast<std::size_t>(i)]["clientMessageId"], "m" + std::to_string(i + 1));
  }
  ASSERT_EQ(authed.outbox.size(), 3u);
  EXPECT_EQ(authed.outbox[0].state, OutboxState::sending);
}

TEST(Session, AckMarksTheMessageSentWithTheServersSequence) {
  Session s = connected_session();
  s.enqueue(local("m1"));
  drain(s);
  s.frame_received(ack("m1", 7));
  auto d = drain(s);
  ASSERT_EQ(d.outbox.size(), 1u);
  EXPECT_EQ(d.outbox[0].state, OutboxState::sent);
  EXPECT_EQ(d.outbox[0].conversation_seq, 7);
  EXPECT_EQ(d.outbox[0].message_id, "m-m1");

  s.frame_received(ack("m1", 7));  // the same ack again
  EXPECT_TRUE(drain(s).outbox.empty());
}

TEST(Session, PermanentErrorFailsOnlyThatMessage) {
  Session s = connected_session();
  s.enqueue(local("m1", "c_secret"));
  s.enqueue(local("m2"));
  drain(s);
  s.frame_received(error("m1", ErrorCode::not_member));
  auto failed = drain(s);
  ASSERT_EQ(failed.outbox.size(), 1u);
  EXPECT_EQ(failed.outbox[0].state, OutboxState::failed);
  ASSERT_TRUE(failed.outbox[0].last_error.has_value());
  EXPECT_EQ(failed.outbox[0].last_error->code, ErrorCode::not_member);
  EXPECT_EQ(failed.closes, 0);

  s.frame_received(ack("m2", 1));
  auto sent = drain(s);
  ASSERT_EQ(sent.outbox.size(), 1u);
  EXPECT_EQ(sent.outbox[0].state, OutboxState::sent);
}

TEST(Session, RetryableErrorResendsTheMessageAfterABackoffEvenAcrossAReconnect) {
  Session s = connected_session();
  s.enqueue(local("m1"));
  drain(s);
  s.frame_received(error("m1", ErrorCode::internal));
  auto d = drain(s);
  ASSERT_EQ(d.outbox.size(), 1u);
  EXPECT_EQ(d.outbox[0].state, OutboxState::pending);
  EXPECT_EQ(d.outbox[0].last_error->code, ErrorCode::internal);
  auto wake = s.next_wakeup();
  ASSERT_TRUE(wake.has_value());
  EXPECT_LE(*wake, fake_now + 1000) << "the first backoff is at most the base delay";

  s.transport_closed(Error::make(ErrorCode::transport, "dropped"));
  auto reconnected = reconnect(s);
  fake_now = *wake;
  s.tick();
  auto resent = drain(s);
  std::vector<json> frames = reconnected.frames;
  frames.insert(frames.end(), resent.frames.begin(), resent.frames.end());
  ASSERT_EQ(frames.size(), 3u);  // auth, conversations.list, then the message again
  EXPECT_EQ(frames[2]["clientMessageId"], "m1");
}

// The server holds back this connection's later sends to a conversation after a
// retryable refusal, until the refused message comes again. One that never comes again
// (discarded, failed) is withdrawn first, so the conversation is not stuck.
TEST(Session, ARefusedMessageThatIsDiscardedIsWithdrawnBeforeTheNextSendOfItsConversation) {
  Session s = connected_session();
  auto m1 = local("m1");
  s.enqueue(m1);
  s.enqueue(local("m2"));
  drain(s);
  auto limited = Error::make(ErrorCode::rate_limited, "slow down");
  limited.retry_after_ms = 5000;
  s.frame_received(protocol::encode(protocol::ServerFrame{protocol::ErrorFrame{"m1", limited, "", ""}}));
  s.frame_received(error("m2", ErrorCode::unavailable));
  drain(s);

  ASSERT_TRUE(s.discard(m1.message.local_id).ok());
  s.tick();
  auto d = drain(s);
  ASSERT_EQ(d.frames.size(), 2u);
  EXPECT_EQ(d.frames[0], (json{{"type", "message.withdraw"}, {"conversationId", "c_general"}, {"clientMessageId", "m1"}}));
  EXPECT_EQ(d.frames[1]["type"], "message.send");
  EXPECT_EQ(d.frames[1]["clientMessageId"], "m2") << "sent at once, not after m1's backoff";
}

TEST(Session, ARefusedMessageThatFailsTooOldIsWithdrawnBeforeTheNextSendOfItsConversation) {
  Session s = connected_session();
  s.enqueue(local("m1"));
  drain(s);
  s.frame_received(error("m1", ErrorCode::internal));
  drain(s);
  fake_now += 25LL * 3600 * 1000;  // past the outbox's maximum age while m1 backs off
  s.enqueue(local("m2"));
  auto d = drain(s);
  ASSERT_FALSE(d.outbox.empty());
  EXPECT_EQ(d.outbox[0].client_message_id, "m1");
  EXPECT_EQ(d.outbox[0].state, OutboxState::failed);
  EXPECT_EQ(d.outbox[0].last_error->code, ErrorCode::too_old);
  ASSERT_EQ(d.frames.size(), 2u);
  EXPECT_EQ(d.frames[0]["type"], "message.withdraw");
  EXPECT_EQ(d.frames[0]["clientMessageId"], "m1");
  EXPECT_EQ(d.frames[1]["clientMessageId"], "m2");
}

TEST(Session, ARefusedChangeThatIsDiscardedIsWithdrawnToo) {
  Session s = connected_session();
  auto edit = local("e1", "c_general", "edited");
  edit.message.kind = OutboxKind::edit;
  edit.message.target_message_id = "srv-1";
  s.enqueue(edit);
  drain(s);
  s.frame_received(error("e1", ErrorCode::unavailable));
  drain(s);
  ASSERT_TRUE(s.discard(edit.message.local_id).ok());
  auto d = drain(s);
  ASSERT_EQ(d.frames.size(), 1u);
  EXPECT_EQ(d.frames[0]["type"], "message.withdraw");
  EXPECT_EQ(d.frames[0]["clientMessageId"], "e1");
}

TEST(Session, NothingIsWithdrawnThatTheServerDoesNotHold) {
  Session s = connected_session();
  auto refused_for_good = local("m1", "c_secret");
  auto refused_before_reconnecting = local("m2");
  s.enqueue(refused_for_good);
  s.enqueue(refused_before_reconnecting);
  drain(s);
  s.frame_received(error("m1", ErrorCode::not_member));  // a permanent refusal holds nothing
  auto limited = Error::make(ErrorCode::rate_limited, "slow down");
  limited.retry_after_ms = 5000;
  s.frame_received(protocol::encode(protocol::ServerFrame{protocol::ErrorFrame{"m2", limited, "", ""}}));
  drain(s);
  s.transport_closed(Error::make(ErrorCode::transport, "dropped"));  // a new connection holds nothing
  reconnect(s);
  ASSERT_EQ(s.state(), ConnectionState::connected);
  for (const auto& row : {refused_for_good, refused_before_reconnecting}) {
    ASSERT_TRUE(s.discard(row.message.local_id).ok());
  }
  EXPECT_TRUE(drain(s).frames.empty());
}

TEST(Session, LostConnectionReturnsInFlightMessagesToPendingAndResendsThemWithTheSameId) {
  Session s = connected_session();
  s.enqueue(local("m1"));
  s.enqueue(local("m2"));
  drain(s);
  s.frame_received(ack("m1", 1));
  drain(s);

  s.transport_closed(Error::make(ErrorCode::transport, "connection reset"));
  auto lost = drain(s);
  EXPECT_EQ(s.state(), ConnectionState::disconnected);
  ASSERT_EQ(lost.connection.size(), 1u);
  EXPECT_EQ(lost.connection[0].error->code, ErrorCode::transport);
  ASSERT_EQ(lost.outbox.size(), 1u);
  EXPECT_EQ(lost.outbox[0].client_message_id, "m2");
  EXPECT_EQ(lost.outbox[0].state, OutboxState::pending);

  auto again = reconnect(s);
  ASSERT_EQ(again.frames.size(), 3u);  // auth, conversations.list, m2
  EXPECT_EQ(again.frames[2]["clientMessageId"], "m2") << "only the unacknowledged message is resent";
}

TEST(Session, EventsReachTheAppOnlyOnceAuthenticated) {
  protocol::Event event{"c_general", 1, "m-9", "bob", "cm-9", protocol::Body{"yo"}, 5, EventKind::message_created, {}};
  std::string frame = protocol::encode(protocol::ServerFrame{event});

  Session s = make_session();
  s.connect_requested("token");
  s.transport_opened();
  s.frame_received(frame);
  EXPECT_TRUE(drain(s).messages.empty());

  s.frame_received(auth_ok());
  s.frame_received(conversations({"c_general"}));
  drain(s);
  s.frame_received(frame);
  auto d = drain(s);
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0].conversation_seq, 1);
  EXPECT_EQ(d.messages[0].sender_id, "bob");
  EXPECT_EQ(d.messages[0].text, "yo");
}

TEST(Session, ListsConversationsPageByPageBeforeItCountsAsConnected) {
  Session s = make_session();
  s.connect_requested("token");
  s.transport_opened();
  s.frame_received(auth_ok());
  drain(s);
  s.frame_received(conversations({"a", "b"}, "b"));
  auto next = drain(s);
  ASSERT_EQ(next.frames.size(), 1u);
  EXPECT_EQ(next.frames[0]["type"], "conversations.list");
  EXPECT_EQ(next.frames[0]["after"], "b");
  EXPECT_EQ(s.state(), ConnectionState::connecting);
  s.frame_received(conversations({"c"}));
  std::vector<std::string> known;
  for (auto& action : s.take_actions()) {
    if (auto* k = std::get_if<KnownConversations>(&action)) known = k->ids;
  }
  EXPECT_EQ(known, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(s.state(), ConnectionState::connected);
}

TEST(Session, AServerThatCannotListConversationsStillConnects) {
  Session s = make_session();
  s.connect_requested("token");
  s.transport_opened();
  s.frame_received(auth_ok());
  s.frame_received(error("conversations", ErrorCode::unknown_type));
  drain(s);
  EXPECT_EQ(s.state(), ConnectionState::connected);
}

TEST(Session, RefusedTokenFailsTheConnectionForGood) {
  Session s = make_session();
  s.connect_requested("wrong");
  s.transport_opened();
  drain(s);
  s.frame_received(error("auth", ErrorCode::unauthorized));
  auto d = drain(s);
  EXPECT_EQ(s.state(), ConnectionState::failed);
  ASSERT_EQ(d.connection.size(), 1u);
  EXPECT_EQ(d.connection[0].error->code, ErrorCode::unauthorized);

  s.transport_closed(Error::make(ErrorCode::transport, "server closed the connection (code 4401)"));
  drain(s);
  EXPECT_EQ(s.state(), ConnectionState::failed) << "the reason it failed is kept";
}

TEST(Session, ServerChoosingAnotherVersionFailsTheConnection) {
  Session s = make_session();
  s.connect_requested("token");
  s.transport_opened();
  drain(s);
  s.frame_received(protocol::encode(protocol::ServerFrame{protocol::AuthOk{"auth", "alice", "phone", 2, 1, 65536, 16384}}));
  auto d = drain(s);
  EXPECT_EQ(s.state(), ConnectionState::failed);
  EXPECT_EQ(d.closes, 1);
  EXPECT_EQ(d.connection.back().error->code, ErrorCode::unsupported_version);
}

TEST(Session, InvalidServerFrameClosesTheConnection) {
  Session s = connected_session();
  s.enqueue(local("m1"));
  drain(s);
  s.frame_received("{not json");
  auto d = drain(s);
  EXPECT_EQ(d.closes, 1);
  EXPECT_EQ(s.state(), ConnectionState::disconnected);
  ASSERT_EQ(d.outbox.size(), 1u);
  EXPECT_EQ(d.outbox[0].state, OutboxState::pending);
}

TEST(Session, UnknownServerFrameTypesAreSkipped) {
  Session s = connected_session();
  s.frame_received(R"({"type":"presence.update","userId":"bob","state":"online"})");
  auto d = drain(s);
  EXPECT_EQ(d.closes, 0);
  EXPECT_EQ(s.state(), ConnectionState::connected);
}

TEST(Session, DisconnectClosesAndEndsClosed) {
  Session s = connected_session();
  s.disconnect_requested();
  auto closing = drain(s);
  EXPECT_EQ(s.state(), ConnectionState::closing);
  EXPECT_EQ(closing.closes, 1);
  s.transport_closed(Error::make(ErrorCode::closed, "connection closed"));
  drain(s);
  EXPECT_EQ(s.state(), ConnectionState::closed);
}

TEST(Session, DisconnectWithoutAConnectionIsImmediate) {
  Session s = make_session();
  s.disconnect_requested();
  auto d = drain(s);
  EXPECT_EQ(d.closes, 0);
  EXPECT_EQ(s.state(), ConnectionState::closed);
}

}  // namespace
}  // namespace confab::core

namespace confab::core {
namespace {

TEST(SessionReads, ReadCursorsAreSentDebouncedAndBatchedWithTheHighestSeqEach) {
  Session s = connected_session();
  drain(s);
  s.mark_read("c_general", 3);
  s.mark_read("c_release", 1);
  s.mark_read("c_general", 5);
  s.mark_read("c_general", 4);  // the highest wins
  EXPECT_TRUE(drain(s).frames.empty()) << "nothing before the debounce";
  ASSERT_TRUE(s.next_wakeup());
  fake_now += 999;
  s.tick();
  EXPECT_TRUE(drain(s).frames.empty());
  fake_now += 1;
  s.tick();
  auto sent = drain(s).frames;
  ASSERT_EQ(sent.size(), 2u);
  std::map<std::string, Seq> reads;
  for (const auto& f : sent) {
    EXPECT_EQ(f["type"], "cursor.update");
    reads[f["conversationId"]] = f["readSeq"];
  }
  EXPECT_EQ(reads, (std::map<std::string, Seq>{{"c_general", 5}, {"c_release", 1}}));
  fake_now += 5000;
  s.tick();
  EXPECT_TRUE(drain(s).frames.empty()) << "sent once";
}

TEST(SessionReads, ReadsMadeOfflineGoOutOnTheNextConnection) {
  Session s = make_session();
  s.mark_read("c_general", 7);
  fake_now += 5000;
  s.tick();
  EXPECT_TRUE(drain(s).frames.empty());
  auto connected = reconnect(s);
  bool sent = false;
  for (const auto& f : connected.frames) sent |= f["type"] == "cursor.update" && f["readSeq"] == 7;
  EXPECT_TRUE(sent);
}

TEST(SessionOlder, ScrollingBackOfflineAsksOncePerConversationOnTheNextConnection) {
  Session s = make_session();
  for (int i = 0; i < 5; ++i) s.request_older("c_general", 301, 100);  // the app scrolls, and scrolls
  s.request_older("c_general", 301, 200);
  s.request_older("c_release", 40, 50);
  EXPECT_TRUE(drain(s).sync_frames.empty()) << "nothing goes out offline";
  auto connected = reconnect(s);
  std::map<std::string, json> older;
  int count = 0;
  for (const auto& f : connected.sync_frames) {
    if (f["type"] != "history.request" || !f.contains("beforeSeq")) continue;
    ++count;
    older[f["conversationId"]] = f;
  }
  EXPECT_EQ(count, 2) << "one request per conversation, not one per call";
  ASSERT_EQ(older.size(), 2u);
  EXPECT_EQ(older["c_general"]["beforeSeq"], 301);
  EXPECT_EQ(older["c_general"]["limit"], 200) << "the largest page asked for";
  EXPECT_EQ(older["c_release"]["beforeSeq"], 40);
}

TEST(SessionOlder, AskingAgainWhileARequestIsOnItsWaySendsNothingMore) {
  Session s = connected_session();
  drain(s);
  s.request_older("c_general", 301, 100);
  EXPECT_EQ(drain(s).sync_frames.size(), 1u);
  s.request_older("c_general", 301, 100);
  s.request_older("c_general", 301, 100);
  EXPECT_TRUE(drain(s).sync_frames.empty());
}

TEST(SessionReads, TheUsersCursorFromAnotherDeviceMovesTheStoreOthersDoNot) {
  Session s = connected_session();
  drain(s);
  s.frame_received(protocol::encode(protocol::ServerFrame{protocol::CursorState{"", "c_general", "alice", "laptop", 9, 9}}));
  s.frame_received(protocol::encode(protocol::ServerFrame{protocol::CursorState{"", "c_general", "bob", "phone", 12, 12}}));
  std::vector<ReadCursorMoved> moved;
  for (auto& action : s.take_actions()) {
    if (auto* m = std::get_if<ReadCursorMoved>(&action)) moved.push_back(*m);
  }
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].conversation_id, "c_general");
  EXPECT_EQ(moved[0].read_seq, 9);
}

}  // namespace
}  // namespace confab::core
