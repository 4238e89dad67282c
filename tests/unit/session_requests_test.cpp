// The session's requests that the app waits for (conversation.create, join, leave, ...):
// every one is answered, at once when the client is not trying to connect, by the server,
// or at its deadline on the monotonic clock; what a dropped connection does to each; and
// the directory listed page by page after connecting. Driven with fake clocks, no sockets.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/session.h"
#include "fake_clocks.h"
#include "printers.h"
#include "protocol/protocol.h"

namespace confab::core {
namespace {

using nlohmann::json;
using protocol::ConversationOp;
using protocol::ConversationRequest;

struct Drained {
  std::vector<json> frames;      // all but heartbeats
  std::vector<json> heartbeats;  // presence.heartbeat: on a schedule of their own (session_live_test.cpp)
  std::vector<ConversationAnswered> answers;
  std::vector<DirectoryListed> directory;
  std::vector<KnownConversations> lists;
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& f : frames) out.push_back(f["type"].get<std::string>());
    return out;
  }
  // The frames of one type.
  std::vector<json> of(const std::string& type) const {
    std::vector<json> out;
    for (const auto& f : frames) {
      if (f["type"] == type) out.push_back(f);
    }
    return out;
  }
};

ConversationRequest create_channel(std::string name) {
  ConversationRequest r;
  r.op = ConversationOp::create;
  r.kind = "channel";
  r.name = std::move(name);
  return r;
}

ConversationRequest join(std::string conversation_id) {
  ConversationRequest r;
  r.op = ConversationOp::join;
  r.conversation_id = std::move(conversation_id);
  return r;
}

std::string frame(const protocol::ServerFrame& f) { return protocol::encode(f); }

protocol::ConversationInfo answer(const std::string& id, const std::string& conversation_id) {
  protocol::ConversationInfo info;
  info.id = id;
  info.conversation.conversation_id = conversation_id;
  info.conversation.kind = "channel";
  info.conversation.member_count = 2;
  info.members = {"alice", "bob"};
  return info;
}

class SessionRequests : public testing::Test {
 protected:
  SessionRequests() : session_(options(), clocks_.clocks()) {}

  static SessionOptions options() {
    SessionOptions o;
    o.device_id = "phone";
    o.seed = 11;
    o.request_timeout_ms = 15'000;
    o.directory_max_pages = 3;
    return o;
  }

  Drained drain() {
    Drained d;
    for (auto& action : session_.take_actions()) {
      if (auto* f = std::get_if<SendFrame>(&action)) {
        auto parsed = json::parse(f->text);
        (parsed["type"] == "presence.heartbeat" ? d.heartbeats : d.frames).push_back(std::move(parsed));
      }
      if (auto* a = std::get_if<ConversationAnswered>(&action)) d.answers.push_back(std::move(*a));
      if (auto* l = std::get_if<DirectoryListed>(&action)) d.directory.push_back(std::move(*l));
      if (auto* k = std::get_if<KnownConversations>(&action)) d.lists.push_back(std::move(*k));
    }
    return d;
  }

  // Opens a transport, authenticates and lists the conversations: connected.
  Drained open_and_accept() {
    session_.transport_opened();
    session_.frame_received(frame(protocol::AuthOk{"auth", "alice", "phone", 1, 1, 65536, 16384}));
    session_.frame_received(frame(protocol::Conversations{"conversations", {}, {}}));
    EXPECT_EQ(session_.state(), ConnectionState::connected);
    return drain();
  }

  Drained connect() {
    session_.connect_requested("token");
    return open_and_accept();
  }

  // Moves time to `ms` after now, ticking when the session says it has work.
  void pass(std::int64_t ms) {
    auto until = clocks_.monotonic_ms + ms;
    for (int steps = 0; steps < 10'000; ++steps) {
      auto next = session_.next_wakeup();
      if (!next || *next > until) break;
      clocks_.advance_to(*next);
      session_.tick();
    }
    clocks_.advance_to(until);
    session_.tick();
  }

  test::FakeClocks clocks_;
  Session session_;
};

TEST_F(SessionRequests, FailOfflineAtOnceWhenTheClientIsNotTryingToConnect) {
  session_.request_conversation(1, create_channel("launch"), false);
  auto d = drain();
  EXPECT_TRUE(d.frames.empty());
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].key, 1u);
  ASSERT_FALSE(d.answers[0].result.ok());
  EXPECT_EQ(d.answers[0].result.error().code, ErrorCode::offline);
  EXPECT_FALSE(session_.next_wakeup().has_value()) << "nothing left to time out";
}

TEST_F(SessionRequests, AreSentOnceConnectedAndAnsweredWithTheServersConversation) {
  session_.connect_requested("token");
  drain();
  session_.request_conversation(7, create_channel("launch"), false);
  EXPECT_TRUE(drain().of("conversation.create").empty()) << "nothing is sent before the connection is up";

  auto connected = open_and_accept();
  auto creates = connected.of("conversation.create");
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0]["name"], "launch");
  auto id = creates[0]["id"].get<std::string>();

  session_.frame_received(frame(answer(id, "c_launch")));
  auto d = drain();
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].key, 7u);
  EXPECT_EQ(d.answers[0].op, ConversationOp::create);
  ASSERT_TRUE(d.answers[0].result.ok()) << describe(d.answers[0].result.error());
  EXPECT_EQ(d.answers[0].result->conversation.conversation_id, "c_launch");

  session_.frame_received(frame(answer(id, "c_launch")));
  EXPECT_TRUE(drain().answers.empty()) << "answered once";
}

TEST_F(SessionRequests, TimeOutAtTheirDeadlineOnTheMonotonicClock) {
  connect();
  session_.request_conversation(1, join("c_general"), true);
  auto sent = drain().of("conversation.join");
  ASSERT_EQ(sent.size(), 1u);
  auto deadline = clocks_.monotonic_ms + 15'000;
  ASSERT_TRUE(session_.next_wakeup().has_value());
  EXPECT_LE(*session_.next_wakeup(), deadline) << "the session wakes up for the deadline";

  clocks_.wall_ms -= 600'000;  // the user sets the clock back ten minutes: no deadline moves
  pass(14'999);
  EXPECT_TRUE(drain().answers.empty());
  pass(1);
  auto d = drain();
  ASSERT_EQ(d.answers.size(), 1u);
  ASSERT_FALSE(d.answers[0].result.ok());
  EXPECT_EQ(d.answers[0].result.error().code, ErrorCode::timeout);
  EXPECT_NE(d.answers[0].result.error().message.find("15000 ms"), std::string::npos);

  session_.frame_received(frame(answer(sent[0]["id"].get<std::string>(), "c_general")));
  EXPECT_TRUE(drain().answers.empty()) << "a late answer finds nothing to complete";
}

TEST_F(SessionRequests, TimeOutAlsoWhileTheConnectionCannotBeMade) {
  session_.connect_requested("token");  // the transport never opens
  drain();
  session_.request_conversation(1, join("c_general"), true);
  pass(15'000);
  auto d = drain();
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].result.error().code, ErrorCode::timeout);
}

TEST_F(SessionRequests, ARefusalKeepsTheServersCode) {
  connect();
  for (auto code : {ErrorCode::not_member, ErrorCode::forbidden, ErrorCode::invalid_field, ErrorCode::not_found}) {
    session_.request_conversation(1, join("c_secret"), true);
    auto sent = drain().of("conversation.join");
    ASSERT_EQ(sent.size(), 1u);
    session_.frame_received(
        frame(protocol::ErrorFrame{sent[0]["id"].get<std::string>(), Error::make(code, "refused"), "", ""}));
    auto d = drain();
    ASSERT_EQ(d.answers.size(), 1u);
    ASSERT_FALSE(d.answers[0].result.ok());
    EXPECT_EQ(d.answers[0].result.error().code, code);
    EXPECT_EQ(session_.state(), ConnectionState::connected) << "a refusal is not the connection's";
  }
}

TEST_F(SessionRequests, AfterADropAnIdempotentRequestGoesAgainAndAnotherFailsWithTransport) {
  connect();
  session_.request_conversation(1, join("c_general"), true);
  session_.request_conversation(2, create_channel("launch"), false);
  auto first = drain();
  ASSERT_EQ(first.of("conversation.join").size(), 1u);
  ASSERT_EQ(first.of("conversation.create").size(), 1u);

  session_.transport_closed(Error::make(ErrorCode::transport, "reset by peer"));
  auto dropped = drain();
  ASSERT_EQ(dropped.answers.size(), 1u) << "the join waits for the next connection";
  EXPECT_EQ(dropped.answers[0].key, 2u);
  EXPECT_EQ(dropped.answers[0].result.error().code, ErrorCode::transport);

  while (session_.state() != ConnectionState::connecting) pass(100);  // the backoff (under a second)
  auto again = open_and_accept();
  auto joins = again.of("conversation.join");
  ASSERT_EQ(joins.size(), 1u) << "sent again on the new connection";
  EXPECT_EQ(joins[0]["id"], first.of("conversation.join")[0]["id"]);
  EXPECT_TRUE(again.of("conversation.create").empty());
  session_.frame_received(frame(answer(joins[0]["id"].get<std::string>(), "c_general")));
  auto d = drain();
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].key, 1u);
  EXPECT_TRUE(d.answers[0].result.ok());
}

TEST_F(SessionRequests, DisconnectAnswersEveryUnansweredRequestOffline) {
  session_.connect_requested("token");
  session_.request_conversation(1, join("c_general"), true);  // waiting for the connection
  open_and_accept();
  session_.request_conversation(2, join("c_random"), true);  // on the wire
  drain();
  session_.disconnect_requested();
  auto d = drain();
  ASSERT_EQ(d.answers.size(), 2u);
  for (const auto& a : d.answers) EXPECT_EQ(a.result.error().code, ErrorCode::offline) << describe(a.result.error());
  session_.request_conversation(3, join("c_general"), true);
  auto later = drain();
  ASSERT_EQ(later.answers.size(), 1u);
  EXPECT_EQ(later.answers[0].result.error().code, ErrorCode::offline) << "and later ones at once";
}

TEST_F(SessionRequests, ASessionThatFailsAnswersOffline) {
  session_.connect_requested("token");
  session_.request_conversation(1, join("c_general"), true);
  session_.transport_opened();
  session_.frame_received(
      frame(protocol::ErrorFrame{"auth", Error::make(ErrorCode::unauthorized, "who are you"), "", ""}));
  EXPECT_EQ(session_.state(), ConnectionState::failed);
  auto d = drain();
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].result.error().code, ErrorCode::offline);
  EXPECT_NE(d.answers[0].result.error().message.find("who are you"), std::string::npos);
}

TEST_F(SessionRequests, TheBackgroundThatClosesTheConnectionAnswersOffline) {
  connect();
  session_.app_backgrounded(false);  // the connection stays: still trying
  session_.request_conversation(1, join("c_general"), true);
  EXPECT_TRUE(drain().answers.empty());
  session_.app_backgrounded(true);
  auto d = drain();
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].result.error().code, ErrorCode::offline);
  session_.app_foregrounded();
  session_.request_conversation(2, join("c_general"), true);
  EXPECT_TRUE(drain().answers.empty()) << "back in the foreground it tries again";
}

TEST_F(SessionRequests, TheDirectoryIsListedPageByPageAfterConnecting) {
  auto connected = connect();
  auto lists = connected.of("directory.list");
  ASSERT_EQ(lists.size(), 1u) << "once connected, in the background";
  EXPECT_FALSE(lists[0].contains("after"));
  EXPECT_EQ(lists[0]["limit"], protocol::kMaxDirectoryPage);

  protocol::Directory page{lists[0]["id"].get<std::string>(), {{"w_acme", "Acme", "owner"}},
                           {{"alice", "Alice", {}}, {"bob", "Bob", {}}}, "bob"};
  session_.frame_received(frame(page));
  auto d = drain();
  ASSERT_EQ(d.directory.size(), 1u);
  EXPECT_TRUE(d.directory[0].first);
  EXPECT_FALSE(d.directory[0].last);
  EXPECT_EQ(d.directory[0].page.users.size(), 2u);
  auto next = d.of("directory.list");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0]["after"], "bob");

  session_.frame_received(frame(protocol::Directory{next[0]["id"].get<std::string>(), {}, {{"carol", "Carol", {}}}, ""}));
  auto end = drain();
  ASSERT_EQ(end.directory.size(), 1u);
  EXPECT_FALSE(end.directory[0].first);
  EXPECT_TRUE(end.directory[0].last);
  EXPECT_TRUE(end.of("directory.list").empty());

  session_.frame_received(frame(page));
  EXPECT_TRUE(drain().directory.empty()) << "a page nobody asked for is not stored";
}

TEST_F(SessionRequests, TheDirectoryListingIsBoundedAndTimesOut) {
  auto connected = connect();
  std::string id = connected.of("directory.list")[0]["id"].get<std::string>();
  for (int page = 1; page <= 3; ++page) {
    std::string user = "u" + std::to_string(page);
    session_.frame_received(frame(protocol::Directory{id, {}, {{user, user, {}}}, user}));
    auto d = drain();
    ASSERT_EQ(d.directory.size(), 1u);
    EXPECT_FALSE(d.directory[0].last) << "more pages follow, but it stops at 3";
    auto next = d.of("directory.list");
    ASSERT_EQ(next.size(), page < 3 ? 1u : 0u) << "page " << page;
    if (!next.empty()) id = next[0]["id"].get<std::string>();
  }

  // On the next connection, a page that never comes is given up at the request deadline.
  session_.transport_closed(Error::make(ErrorCode::transport, "reset"));
  while (session_.state() != ConnectionState::connecting) pass(100);
  auto again = open_and_accept();
  auto list = again.of("directory.list");
  ASSERT_EQ(list.size(), 1u);
  pass(15'000);
  session_.frame_received(frame(protocol::Directory{list[0]["id"].get<std::string>(), {}, {{"late", "Late", {}}}, ""}));
  EXPECT_TRUE(drain().directory.empty()) << "given up at its deadline";
  EXPECT_EQ(session_.state(), ConnectionState::connected) << "the connection is not the directory's to drop";
}

TEST_F(SessionRequests, TheConversationsAreListedAgainWhenAskedOneListingAtATime) {
  session_.list_conversations();
  EXPECT_TRUE(drain().frames.empty()) << "not connected: the next connection lists them all";
  connect();
  session_.list_conversations();
  session_.list_conversations();  // while the first is on its way: one more after it
  auto first = drain().of("conversations.list");
  ASSERT_EQ(first.size(), 1u);
  auto id = first[0]["id"].get<std::string>();
  EXPECT_NE(id, "conversations") << "not the connection's own listing";

  protocol::ConversationSummary a, b;
  a.conversation_id = "c_a";
  a.kind = "dm";
  b.conversation_id = "c_b";
  b.kind = "channel";
  session_.frame_received(frame(protocol::Conversations{id, {a}, "c_a"}));
  auto page = drain();
  EXPECT_TRUE(page.lists.empty());
  auto next = page.of("conversations.list");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0]["after"], "c_a");
  session_.frame_received(frame(protocol::Conversations{id, {b}, ""}));
  auto done = drain();
  ASSERT_EQ(done.lists.size(), 1u);
  EXPECT_EQ(done.lists[0].ids, (std::vector<std::string>{"c_a", "c_b"}));
  EXPECT_EQ(done.lists[0].items[0].kind, "dm");
  EXPECT_EQ(done.of("conversations.list").size(), 1u) << "the one asked for meanwhile";
  EXPECT_EQ(session_.state(), ConnectionState::connected);
}

}  // namespace
}  // namespace confab::core
