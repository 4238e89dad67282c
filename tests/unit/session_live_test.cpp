// Typing, presence and receipts wired into the client session, driven with the fake clock:
// what goes on the wire, when, and what the app is told.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/session.h"
#include "fake_clocks.h"
#include "printers.h"
#include "protocol/protocol.h"

namespace confab::core {
namespace {

using nlohmann::json;

std::string frame(const protocol::ServerFrame& f) { return protocol::encode(f); }

struct Drained {
  std::vector<json> frames;
  std::vector<TypingChange> typing;
  std::vector<PresenceChange> presence;
  std::vector<ReceiptMoved> receipts;
  std::vector<PresenceAnswered> answers;
  // The frames of one type.
  std::vector<json> of(const std::string& type) const {
    std::vector<json> out;
    for (const auto& f : frames) {
      if (f["type"] == type) out.push_back(f);
    }
    return out;
  }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& f : frames) out.push_back(f["type"].get<std::string>());
    return out;
  }
};

class SessionLive : public testing::Test {
 protected:
  SessionLive() : session_(options(), clocks_.clocks()) {}

  static SessionOptions options() {
    SessionOptions o;
    o.device_id = "phone";
    o.seed = 3;
    return o;  // heartbeat every 15 s, pings after 25 s of quiet, typing as TypingPolicy{}
  }

  Drained drain() {
    Drained d;
    for (auto& action : session_.take_actions()) {
      if (auto* f = std::get_if<SendFrame>(&action)) d.frames.push_back(json::parse(f->text));
      if (auto* t = std::get_if<NotifyTyping>(&action)) d.typing.push_back(t->change);
      if (auto* p = std::get_if<NotifyPresence>(&action)) d.presence.push_back(p->change);
      if (auto* r = std::get_if<ReceiptMoved>(&action)) d.receipts.push_back(*r);
      if (auto* a = std::get_if<PresenceAnswered>(&action)) d.answers.push_back(std::move(*a));
    }
    return d;
  }

  Drained connect() {
    session_.connect_requested("token");
    session_.transport_opened();
    session_.frame_received(frame(protocol::AuthOk{"auth", "alice", "phone", 1, 1, 65536, 16384}));
    session_.frame_received(frame(protocol::Conversations{"conversations", {{"c_general", "channel"}}, {}}));
    EXPECT_EQ(session_.state(), ConnectionState::connected);
    auto d = drain();
    // The catch-up and the directory answered: nothing else is waited for.
    for (const auto& f : d.of("sync.request")) session_.frame_received(frame(protocol::SyncState{f["id"], {}, {}}));
    for (const auto& f : d.of("directory.list")) session_.frame_received(frame(protocol::Directory{f["id"], {}, {}, {}}));
    auto answered = drain();
    d.frames.insert(d.frames.end(), answered.frames.begin(), answered.frames.end());
    return d;
  }

  void drop() {
    session_.transport_closed(Error::make(ErrorCode::transport, "dropped"));
  }

  // Moves time `ms` on, ticking whenever the session has work; returns what it did.
  Drained pass(std::int64_t ms) {
    Drained all;
    auto until = clocks_.monotonic_ms + ms;
    auto take = [&] {
      auto d = drain();
      all.frames.insert(all.frames.end(), d.frames.begin(), d.frames.end());
      all.typing.insert(all.typing.end(), d.typing.begin(), d.typing.end());
      all.presence.insert(all.presence.end(), d.presence.begin(), d.presence.end());
      all.receipts.insert(all.receipts.end(), d.receipts.begin(), d.receipts.end());
      all.answers.insert(all.answers.end(), d.answers.begin(), d.answers.end());
    };
    for (int steps = 0; steps < 10'000; ++steps) {
      auto next = session_.next_wakeup();
      if (!next || *next > until) break;
      clocks_.advance_to(*next);
      session_.tick();
      take();
    }
    clocks_.advance_to(until);
    session_.tick();
    take();
    return all;
  }

  test::FakeClocks clocks_;
  Session session_;
};

// ---- Presence ----

TEST_F(SessionLive, HeartbeatsGoOutOnConnectingAndEvery15SecondsWithoutPuttingOffThePings) {
  auto connected = connect();
  auto beats = connected.of("presence.heartbeat");
  ASSERT_EQ(beats.size(), 1u) << "the first heartbeat subscribes to the contacts' presence";
  EXPECT_EQ(beats[0]["status"], "online");

  auto later = pass(30'000);
  EXPECT_EQ(later.of("presence.heartbeat").size(), 2u) << "at 15 s and 30 s";
  EXPECT_EQ(later.of("ping").size(), 1u)
      << "a heartbeat gets no answer: the ping after 25 s of quiet still goes, or the connection would look dead";
  EXPECT_EQ(session_.state(), ConnectionState::connected);
}

TEST_F(SessionLive, IdleAndBackgroundAreSentAtOnceAndKeptForTheNextConnection) {
  connect();
  session_.set_idle(true);
  auto idle = drain().of("presence.heartbeat");
  ASSERT_EQ(idle.size(), 1u);
  EXPECT_EQ(idle[0]["status"], "idle");

  session_.set_idle(false);
  EXPECT_EQ(drain().of("presence.heartbeat").at(0)["status"], "online");

  session_.app_backgrounded(false);
  EXPECT_EQ(drain().of("presence.heartbeat").at(0)["status"], "idle") << "in the background the user is away";
  session_.set_idle(true);
  EXPECT_TRUE(drain().of("presence.heartbeat").empty()) << "still idle: nothing new to say";
  session_.app_foregrounded();
  EXPECT_TRUE(drain().of("presence.heartbeat").empty()) << "idle still, by set_idle()";

  drop();
  EXPECT_TRUE(drain().of("presence.heartbeat").empty()) << "no heartbeat without a connection";
  EXPECT_TRUE(pass(60'000).of("presence.heartbeat").empty());
  auto again = connect().of("presence.heartbeat");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["status"], "idle");
}

TEST_F(SessionLive, OthersPresenceIsKeptAndADisconnectMakesEveryoneOfflineReported) {
  connect();
  session_.frame_received(frame(protocol::Presence{"bob", "online"}));
  session_.frame_received(frame(protocol::Presence{"carol", "idle"}));
  session_.frame_received(frame(protocol::Presence{"bob", "online"}));  // no change
  auto d = drain();
  EXPECT_EQ(d.presence, (std::vector<PresenceChange>{{"bob", PresenceStatus::online}, {"carol", PresenceStatus::idle}}));
  EXPECT_EQ(session_.presence("bob"), PresenceStatus::online);
  EXPECT_EQ(session_.presence("dave"), PresenceStatus::offline) << "unknown is offline";

  drop();
  auto dropped = drain();
  EXPECT_EQ(dropped.presence,
            (std::vector<PresenceChange>{{"bob", PresenceStatus::offline}, {"carol", PresenceStatus::offline}}));
  EXPECT_EQ(session_.presence("bob"), PresenceStatus::offline);
}

TEST_F(SessionLive, APresenceQueryIsAnsweredOnceWithTheStatusesWhichAreThenKnown) {
  session_.query_presence(1, {"dave"});
  auto offline = drain();
  EXPECT_TRUE(offline.frames.empty());
  ASSERT_EQ(offline.answers.size(), 1u);
  EXPECT_EQ(offline.answers[0].result.error().code, ErrorCode::offline) << "nothing is queued";

  connect();
  session_.query_presence(2, {"dave", "erin"});
  auto asked = drain().of("presence.query");
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0]["userIds"], (json{"dave", "erin"}));
  session_.frame_received(frame(protocol::PresenceState{asked[0]["id"], {{"dave", "online"}, {"erin", "offline"}}}));
  auto d = drain();
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].key, 2u);
  ASSERT_TRUE(d.answers[0].result.ok());
  EXPECT_EQ(*d.answers[0].result,
            (std::vector<PresenceChange>{{"dave", PresenceStatus::online}, {"erin", PresenceStatus::offline}}));
  EXPECT_EQ(d.presence, (std::vector<PresenceChange>{{"dave", PresenceStatus::online}}));
  EXPECT_EQ(session_.presence("dave"), PresenceStatus::online);

  session_.query_presence(3, {"dave"});
  drain();
  EXPECT_TRUE(pass(14'999).answers.empty());
  auto late = pass(1);
  ASSERT_EQ(late.answers.size(), 1u);
  EXPECT_EQ(late.answers[0].result.error().code, ErrorCode::timeout);

  session_.query_presence(4, {"dave"});
  drain();
  drop();
  auto dropped = drain();
  ASSERT_EQ(dropped.answers.size(), 1u);
  EXPECT_EQ(dropped.answers[0].result.error().code, ErrorCode::transport) << "the answer was lost with the link";
}

// ---- Typing ----

TEST_F(SessionLive, TypingStartsOnTheFirstKeystrokeIsRenewedAndStopsWhenTheMessageIsSent) {
  connect();
  session_.typing("c_general");
  auto first = drain().of("typing.start");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["conversationId"], "c_general");

  clocks_.advance(1'000);
  session_.typing("c_general");
  EXPECT_TRUE(drain().frames.empty()) << "renewed at most every 3 s";
  clocks_.advance(2'000);
  session_.typing("c_general");
  EXPECT_EQ(drain().of("typing.start").size(), 1u) << "renewed, so the server's 6 s do not end it";

  OutboxRow row;
  row.message.local_id = 1;
  row.message.client_message_id = "cm-1";
  row.message.conversation_id = "c_general";
  row.message.text = "done";
  row.message.created_at_ms = clocks_.wall_ms;
  row.age_from_ms = clocks_.wall_ms;
  session_.enqueue(std::move(row));
  EXPECT_EQ(drain().types(), (std::vector<std::string>{"typing.stop", "message.send"}))
      << "the message ends the typing, and the others see it end before the message";
}

TEST_F(SessionLive, TypingStopsAfterThreeQuietSecondsOrWhenAskedOrInTheBackground) {
  connect();
  session_.typing("c_general");
  drain();
  auto quiet = pass(3'000);
  EXPECT_EQ(quiet.types(), (std::vector<std::string>{"typing.stop"}));

  session_.typing("c_general");
  drain();
  session_.stop_typing("c_general");
  EXPECT_EQ(drain().types(), (std::vector<std::string>{"typing.stop"}));
  session_.stop_typing("c_general");
  EXPECT_TRUE(drain().frames.empty()) << "a stop only where a start was";

  session_.typing("c_general");
  drain();
  session_.app_backgrounded(false);
  EXPECT_EQ(drain().of("typing.stop").size(), 1u);
}

TEST_F(SessionLive, KeystrokesWhileNotConnectedSendNothing) {
  session_.typing("c_general");
  EXPECT_TRUE(drain().frames.empty());
  auto connected = connect();
  EXPECT_TRUE(connected.of("typing.start").empty()) << "typing is not queued for later";
}

TEST_F(SessionLive, OthersTypingIsListedAndEndsAfterItsTtlOrOnADisconnect) {
  connect();
  session_.frame_received(frame(protocol::Typing{"c_general", "bob", true}));
  session_.frame_received(frame(protocol::Typing{"c_general", "carol", true}));
  session_.frame_received(frame(protocol::Typing{"c_general", "alice", true}));  // this user, on another device
  auto d = drain();
  ASSERT_EQ(d.typing.size(), 2u);
  EXPECT_EQ(d.typing.back(), (TypingChange{"c_general", {"bob", "carol"}}));
  EXPECT_EQ(session_.typers("c_general"), (std::vector<std::string>{"bob", "carol"}));

  clocks_.advance(4'000);
  session_.frame_received(frame(protocol::Typing{"c_general", "carol", true}));  // carol renews
  session_.frame_received(frame(protocol::Typing{"c_general", "bob", false}));
  EXPECT_EQ(drain().typing.back(), (TypingChange{"c_general", {"carol"}}));

  auto expired = pass(6'000);
  ASSERT_FALSE(expired.typing.empty()) << "carol's device vanished: no stop ever comes";
  EXPECT_EQ(expired.typing.back(), (TypingChange{"c_general", {}}));

  session_.frame_received(frame(protocol::Typing{"c_general", "bob", true}));
  drain();
  drop();
  EXPECT_EQ(drain().typing, (std::vector<TypingChange>{{"c_general", {}}})) << "stops would be missed";
}

// ---- Receipts ----

TEST_F(SessionLive, OthersCursorsAreKeptAsReceiptsThatNeverGoBackward) {
  connect();
  session_.frame_received(frame(protocol::CursorState{"", "c_general", "bob", "bob-phone", 5, 7}));
  auto d = drain();
  ASSERT_EQ(d.receipts.size(), 1u);
  EXPECT_EQ(d.receipts[0].before, (Receipt{"bob", 0, 0}));
  EXPECT_EQ(d.receipts[0].after, (Receipt{"bob", 5, 7}));

  session_.frame_received(frame(protocol::CursorState{"", "c_general", "bob", "bob-laptop", 3, 3}));
  EXPECT_TRUE(drain().receipts.empty()) << "an older device's lower cursor changes nothing";
  session_.frame_received(frame(protocol::CursorState{"", "c_general", "carol", "carol-phone", 0, 6}));
  drain();
  EXPECT_EQ(session_.receipts().read_by("c_general", 5), (ReadBy{{"bob"}, {"carol"}}));
  EXPECT_EQ(session_.receipts().read_by("c_general", 7), (ReadBy{{}, {"bob"}}));
  EXPECT_EQ(session_.receipts().read_by("c_general", 8), ReadBy{});

  drop();
  EXPECT_EQ(session_.receipts().of("c_general").size(), 2u) << "receipts outlive the connection";
}

TEST_F(SessionLive, WatchedConversationsAskForReceiptsPageByPageAfterEveryConnection) {
  session_.watch_receipts("c_general");
  EXPECT_TRUE(drain().frames.empty()) << "nothing goes out offline";
  auto asked = connect().of("receipts.request");
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0]["conversationId"], "c_general");
  std::string id = asked[0]["id"];

  session_.frame_received(frame(protocol::Receipts{id, "c_general", {{"alice", 9, 9}, {"bob", 4, 8}}, "bob"}));
  auto d = drain();
  ASSERT_EQ(d.receipts.size(), 1u) << "this user's own cursor is not a receipt";
  EXPECT_EQ(d.receipts[0].after, (Receipt{"bob", 4, 8}));
  auto next = d.of("receipts.request");
  ASSERT_EQ(next.size(), 1u) << "the next page";
  EXPECT_EQ(next[0]["after"], "bob");
  session_.frame_received(frame(protocol::Receipts{next[0]["id"], "c_general", {{"carol", 2, 2}, {"dave", 0, 0}}, {}}));
  EXPECT_EQ(drain().receipts.size(), 1u) << "dave has nothing delivered yet: no receipt";
  EXPECT_EQ(session_.receipts().of("c_general").size(), 2u);

  session_.watch_receipts("c_general");
  EXPECT_TRUE(drain().frames.empty()) << "asked once per connection";

  drop();
  auto again = connect().of("receipts.request");
  ASSERT_EQ(again.size(), 1u) << "pushes were missed while away";
  session_.frame_received(frame(protocol::Receipts{again[0]["id"], "c_general", {{"bob", 6, 8}, {"carol", 1, 1}}, {}}));
  auto moved = drain().receipts;
  ASSERT_EQ(moved.size(), 1u) << "carol's lower answer does not move her back";
  EXPECT_EQ(moved[0].before, (Receipt{"bob", 4, 8}));
  EXPECT_EQ(moved[0].after, (Receipt{"bob", 6, 8}));
}

TEST_F(SessionLive, MessagesStoredFromOthersAreReportedDeliveredWithTheReads) {
  connect();
  protocol::Event mine{"c_general", 1, "m-1", "alice", "cm-1", protocol::Body{"hi"}, 5, EventKind::message_created, {}};
  session_.frame_received(frame(mine));
  auto quiet = pass(2'000);
  EXPECT_TRUE(quiet.of("cursor.update").empty()) << "this user's own message needs no delivery receipt";

  protocol::Event theirs{"c_general", 2, "m-2", "bob", "cm-2", protocol::Body{"yo"}, 6, EventKind::message_created, {}};
  session_.frame_received(frame(theirs));
  theirs.conversation_seq = 3;
  theirs.message_id = "m-3";
  session_.frame_received(frame(theirs));
  session_.mark_read("c_general", 2);
  EXPECT_TRUE(drain().of("cursor.update").empty()) << "debounced";
  auto sent = pass(1'000).of("cursor.update");
  ASSERT_EQ(sent.size(), 1u) << "one frame per conversation, read and delivered together";
  EXPECT_EQ(sent[0]["readSeq"], 2);
  EXPECT_EQ(sent[0]["deliveredSeq"], 3);

  session_.mark_read("c_general", 3);
  auto read = pass(1'000).of("cursor.update");
  ASSERT_EQ(read.size(), 1u);
  EXPECT_FALSE(read[0].contains("deliveredSeq")) << "delivery already reported";
}

TEST_F(SessionLive, LeavingAConversationForgetsItsReceiptsAndStopsAskingForThem) {
  session_.watch_receipts("c_general");
  auto asked = connect().of("receipts.request");
  ASSERT_EQ(asked.size(), 1u);
  session_.frame_received(frame(protocol::Receipts{asked[0]["id"], "c_general", {{"bob", 4, 8}}, {}}));
  drain();
  ASSERT_EQ(session_.receipts().of("c_general").size(), 1u);

  protocol::Event left;
  left.conversation_id = "c_general";
  left.conversation_seq = 1;
  left.kind = EventKind::member_left;
  left.member_id = "alice";
  left.sender_id = "alice";
  session_.frame_received(frame(left));
  drain();
  EXPECT_TRUE(session_.receipts().of("c_general").empty());
  drop();
  EXPECT_TRUE(connect().of("receipts.request").empty()) << "no longer watched";
}

TEST_F(SessionLive, ReceiptRequestsForAConversationLeftAreDropped) {
  session_.watch_receipts("c_gone");
  auto asked = connect().of("receipts.request");
  ASSERT_EQ(asked.size(), 1u);
  session_.frame_received(frame(protocol::ErrorFrame{asked[0]["id"], Error::make(ErrorCode::not_member, "no"), "", ""}));
  auto d = drain();
  EXPECT_TRUE(d.frames.empty());
  EXPECT_EQ(session_.state(), ConnectionState::connected);
}

}  // namespace
}  // namespace confab::core
