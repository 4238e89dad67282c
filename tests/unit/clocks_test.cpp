// The wall clock may be set (by the user, by NTP) while the client runs: every deadline and
// delay follows the monotonic clock, and only the outbox's maximum age follows the wall
// clock. Each test sets the wall clock ten minutes back or forward while the monotonic clock
// goes on, and checks that what was due still happens when it was due.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/session.h"
#include "fake_clocks.h"
#include "printers.h"
#include "protocol/protocol.h"

namespace confab::core {
namespace {

using nlohmann::json;

constexpr std::int64_t kTenMinutes = 10 * 60 * 1000;

struct Seen {
  std::vector<json> frames;  // all but heartbeats (presence.heartbeat: session_live_test.cpp)
  std::vector<LocalMessage> outbox;
  std::vector<ConnectionChange> connection;
  int opens = 0;
  int closes = 0;

  bool sent(const std::string& type) const {
    for (const auto& f : frames) {
      if (f["type"] == type) return true;
    }
    return false;
  }
};

class ClockJumps : public testing::Test {
 protected:
  ClockJumps() : session_(options(), clock_.clocks()) {}

  static SessionOptions options() {
    SessionOptions o;
    o.device_id = "phone";
    o.seed = 3;
    o.outbox.ack_timeout_ms = 15'000;
    o.outbox.max_age_ms = 3'600'000;  // an hour
    return o;
  }

  Seen drain() {
    Seen seen;
    for (auto& action : session_.take_actions()) {
      if (auto* f = std::get_if<SendFrame>(&action)) {
        auto frame = json::parse(f->text);
        if (frame["type"] != "presence.heartbeat") seen.frames.push_back(std::move(frame));
      }
      if (auto* o = std::get_if<NotifyOutbox>(&action)) seen.outbox.push_back(o->message);
      if (auto* c = std::get_if<NotifyConnection>(&action)) seen.connection.push_back(c->change);
      if (std::holds_alternative<OpenTransport>(action)) ++seen.opens;
      if (std::holds_alternative<CloseConnection>(action)) ++seen.closes;
    }
    return seen;
  }

  void receive(protocol::ServerFrame frame) { session_.frame_received(protocol::encode(frame)); }

  void connect() {
    session_.connect_requested("token");
    session_.transport_opened();
    receive(protocol::AuthOk{"auth", "alice", "phone", 1, 1, 65536, 16384});
    protocol::Conversations list{"conversations", {}, {}};
    list.items.push_back({"c_general", "channel"});
    receive(list);
    ASSERT_EQ(session_.state(), ConnectionState::connected);
    drain();
  }

  void enqueue(const std::string& client_id) {
    OutboxRow row;
    row.message.local_id = ++last_local_id_;
    row.message.client_message_id = client_id;
    row.message.conversation_id = "c_general";
    row.message.text = "hi";
    row.message.created_at_ms = clock_.wall_ms;
    row.age_from_ms = clock_.wall_ms;
    session_.enqueue(std::move(row));
  }

  // Time passes by `ms` on the monotonic clock (and, unless the test set it apart, on the
  // wall clock too), ticking at every wakeup the session asks for on the way.
  Seen pass(std::int64_t ms) {
    Seen all;
    const std::int64_t until = clock_.monotonic_ms + ms;
    for (;;) {
      auto next = session_.next_wakeup();
      if (!next || *next > until) break;
      clock_.advance_to(*next);
      session_.tick();
      auto seen = drain();
      all.frames.insert(all.frames.end(), seen.frames.begin(), seen.frames.end());
      all.outbox.insert(all.outbox.end(), seen.outbox.begin(), seen.outbox.end());
      all.connection.insert(all.connection.end(), seen.connection.begin(), seen.connection.end());
      all.opens += seen.opens;
      all.closes += seen.closes;
    }
    clock_.advance_to(until);
    return all;
  }

  test::FakeClocks clock_;
  Session session_;
  std::int64_t last_local_id_ = 0;
};

TEST_F(ClockJumps, AWallClockSetBackDoesNotDelayTheResendOfAnUnansweredMessage) {
  connect();
  enqueue("m1");
  ASSERT_TRUE(drain().sent("message.send"));
  clock_.wall_ms -= kTenMinutes;
  receive(protocol::Pong{"keep-alive"});  // the connection stays alive; only the ack is missing
  auto seen = pass(15'000);
  ASSERT_TRUE(seen.sent("message.send")) << "resent at the ack timeout, not ten minutes later";
  EXPECT_EQ(seen.frames.back()["clientMessageId"], "m1");
}

TEST_F(ClockJumps, AWallClockSetBackDoesNotDelayARetryAfterARefusal) {
  connect();
  enqueue("m1");
  drain();
  Error busy = Error::make(ErrorCode::rate_limited, "slow down");
  busy.retry_after_ms = 2'000;
  receive(protocol::ErrorFrame{"m1", busy, "", ""});
  drain();
  clock_.wall_ms -= kTenMinutes;
  EXPECT_TRUE(pass(2'000).sent("message.send")) << "sent again once the server's 2 s have passed";
}

TEST_F(ClockJumps, AWallClockSetBackDoesNotDelayPingsOrTheDetectionOfAHalfOpenConnection) {
  connect();
  clock_.wall_ms -= kTenMinutes;
  auto pinged = pass(25'000);
  EXPECT_TRUE(pinged.sent("ping")) << "a ping after 25 s of quiet";
  EXPECT_EQ(session_.state(), ConnectionState::connected);
  clock_.wall_ms += 2 * kTenMinutes;  // and forward: no drop before its time either
  auto early = pass(9'999);
  EXPECT_EQ(early.closes, 0);
  EXPECT_EQ(session_.state(), ConnectionState::connected);
  auto dropped = pass(1);
  EXPECT_EQ(dropped.closes, 1) << "nothing received for 35 s: dropped, whatever the wall clock says";
  ASSERT_FALSE(dropped.connection.empty());
  EXPECT_EQ(dropped.connection.front().error->code, ErrorCode::timeout);
}

TEST_F(ClockJumps, AWallClockSetBackDoesNotLengthenTheReconnectBackoff) {
  session_.connect_requested("token");
  drain();
  session_.transport_closed(Error::make(ErrorCode::transport, "refused"));
  auto lost = drain();
  ASSERT_EQ(session_.state(), ConnectionState::disconnected);
  ASSERT_TRUE(lost.connection.back().retry_in.has_value());
  auto wait = lost.connection.back().retry_in->count();
  clock_.wall_ms -= kTenMinutes;
  EXPECT_EQ(pass(wait).opens, 1) << "the next attempt starts after the announced " << wait << " ms";
}

TEST_F(ClockJumps, AWallClockSetBackDoesNotHoldAGapLonger) {
  connect();
  // Seq 1 is missing: seq 2 is held for the gap hold (500 ms), then the gap is fetched.
  protocol::Event second{"c_general", 2, "m-2", "bob", "cm-2", protocol::Body{"two"}, 5, EventKind::message_created, {}};
  receive(second);
  ASSERT_FALSE(drain().sent("history.request"));
  clock_.wall_ms -= kTenMinutes;
  EXPECT_TRUE(pass(500).sent("history.request")) << "the gap is fetched after the 500 ms hold";
}

TEST_F(ClockJumps, TheMaximumAgeFollowsTheWallClock) {
  // Offline, so nothing but the age can end the message.
  enqueue("old");
  drain();
  clock_.wall_ms += 3'600'000;  // an hour later by the wall clock, however little time passed
  session_.tick();              // whatever wakes the session next (a ping, a retry, a send)
  auto expired = drain();
  ASSERT_EQ(expired.outbox.size(), 1u);
  EXPECT_EQ(expired.outbox[0].state, OutboxState::failed);
  EXPECT_EQ(expired.outbox[0].last_error->code, ErrorCode::too_old);

  // Set back instead: the row's age is what the wall clock says, so it is kept longer.
  enqueue("young");
  drain();
  clock_.wall_ms -= kTenMinutes;
  auto kept = pass(3'600'000);
  session_.tick();
  kept.outbox = drain().outbox;
  EXPECT_TRUE(kept.outbox.empty()) << "an hour of monotonic time, but only 50 min of age";
  auto expired_later = pass(kTenMinutes);
  ASSERT_EQ(expired_later.outbox.size(), 1u);
  EXPECT_EQ(expired_later.outbox[0].last_error->code, ErrorCode::too_old);
}

}  // namespace
}  // namespace confab::core
