// The connection heals itself: backoff with full jitter, suspended, liveness, platform
// hints. Driven with a fake clock, no sockets.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "protocol/protocol.h"
#include "core/reconnect.h"
#include "core/session.h"
#include "printers.h"

namespace confab::core {
namespace {

TEST(RetrySchedule, TheFirstDropOfAHealthyConnectionRetriesAtOnceThenTheWindowDoubles) {
  ConnectionPolicy policy;  // base 1 s, cap 30 s, healthy after 10 s
  RetrySchedule schedule(policy, 3);
  std::int64_t now = 1'000'000;
  schedule.connected(now);
  now += 60'000;
  EXPECT_EQ(schedule.lost(now, true).delay_ms, 0) << "healthy for a minute";
  for (int attempt = 1; attempt <= 8; ++attempt) {
    auto retry = schedule.lost(now, false);
    std::int64_t ceiling = std::min<std::int64_t>(30'000, 1'000LL << (attempt - 1));
    EXPECT_GE(retry.delay_ms, 0);
    EXPECT_LT(retry.delay_ms, ceiling) << "attempt " << attempt;
    EXPECT_FALSE(retry.suspended);
    now += 1;  // the failures come quickly; the state TTL is far away
  }
}

TEST(RetrySchedule, ADropSoonAfterConnectingBacksOffAndAHealthyPeriodResetsTheCount) {
  ConnectionPolicy policy;  // base 1 s: the fifth attempt waits U(0, 16 s)
  std::int64_t now = 1'000'000;
  std::int64_t longest = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    RetrySchedule schedule(policy, seed);
    for (int i = 0; i < 4; ++i) schedule.lost(now, false);
    ASSERT_EQ(schedule.attempts(), 4);
    schedule.connected(now);
    auto delay = schedule.lost(now + 2'000, true).delay_ms;
    ASSERT_EQ(schedule.attempts(), 5) << "2 s is not healthy: the count goes on";
    ASSERT_LT(delay, 16'000) << "seed " << seed;
    longest = std::max(longest, delay);
    schedule.connected(now + 10'000);
    ASSERT_EQ(schedule.lost(now + 30'000, true).delay_ms, 0) << "20 s is healthy: at once";
    ASSERT_EQ(schedule.attempts(), 0) << "and the count starts over";
  }
  // A drop that is not healthy backs off in the fifth attempt's window, not the first's
  // (1 s) and not at once.
  EXPECT_GT(longest, 8'000);
}

TEST(RetrySchedule, AfterTheStateTtlItIsSuspendedAndRetriesEvery30Seconds) {
  ConnectionPolicy policy;
  RetrySchedule schedule(policy, 9);
  std::int64_t now = 1'000'000;
  EXPECT_FALSE(schedule.lost(now, false).suspended);
  EXPECT_FALSE(schedule.lost(now + 119'999, false).suspended);
  auto retry = schedule.lost(now + 120'000, false);
  EXPECT_TRUE(retry.suspended);
  EXPECT_EQ(retry.delay_ms, 30'000);
  schedule.reset();
  EXPECT_FALSE(schedule.lost(now + 200'000, false).suspended) << "reset starts a new disconnected period";
}

TEST(RetrySchedule, AThousandClientsFirstBackoffsSpreadAcrossTheWindow) {
  // A server restart drops everyone: each retries at once, fails, and then backs off.
  // Those backoffs must not line up.
  ConnectionPolicy policy;
  std::set<std::int64_t> buckets;  // 100 ms buckets of the 1 s window
  std::int64_t earliest = 1'000, latest = 0;
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    RetrySchedule schedule(policy, seed);
    schedule.connected(0);
    ASSERT_EQ(schedule.lost(60'000, true).delay_ms, 0);
    std::int64_t delay = schedule.lost(60'005, false).delay_ms;
    buckets.insert(delay / 100);
    earliest = std::min(earliest, delay);
    latest = std::max(latest, delay);
  }
  EXPECT_EQ(buckets.size(), 10u);
  EXPECT_LT(earliest, 50);
  EXPECT_GT(latest, 950);
}

// ---- the session ----------------------------------------------------------------------

std::int64_t fake_now = 1'763'900'000'000;

struct Drained {
  int opens = 0;
  int closes = 0;
  std::vector<std::string> frame_types;  // all but heartbeats
  int heartbeats = 0;  // presence.heartbeat, on a schedule of its own (session_live_test.cpp)
  std::vector<ConnectionChange> changes;
};

Drained drain(Session& s) {
  Drained d;
  for (auto& action : s.take_actions()) {
    if (std::holds_alternative<OpenTransport>(action)) ++d.opens;
    if (std::holds_alternative<CloseConnection>(action)) ++d.closes;
    if (auto* f = std::get_if<SendFrame>(&action)) {
      std::string type = nlohmann::json::parse(f->text)["type"];
      if (type == "presence.heartbeat") {
        ++d.heartbeats;
      } else {
        d.frame_types.push_back(type);
      }
    }
    if (auto* c = std::get_if<NotifyConnection>(&action)) d.changes.push_back(c->change);
  }
  return d;
}

class ReconnectingSession : public testing::Test {
 protected:
  ReconnectingSession() : session_(options(), Clocks{[] { return fake_now; }, [] { return fake_now; }}) {}

  static SessionOptions options() {
    SessionOptions o;
    o.device_id = "phone";
    o.seed = 11;
    return o;
  }

  // The transport opens and the server accepts: auth.ok, then the conversation list.
  void accept() {
    session_.transport_opened();
    session_.frame_received(
        protocol::encode(protocol::ServerFrame{protocol::AuthOk{"auth", "alice", "phone", 1, 1, 65536, 16384}}));
    session_.frame_received(protocol::encode(protocol::ServerFrame{protocol::Conversations{"conversations", {}, {}}}));
    ASSERT_EQ(session_.state(), ConnectionState::connected);
  }

  void connect() {
    session_.connect_requested("token");
    ASSERT_EQ(drain(session_).opens, 1);
    accept();
    // Once connected, the directory is listed in the background: it lists nobody here, so
    // that the connection is quiet from then on.
    for (auto& action : session_.take_actions()) {
      auto* f = std::get_if<SendFrame>(&action);
      if (f == nullptr) continue;
      auto sent = nlohmann::json::parse(f->text);
      if (sent["type"] != "directory.list") continue;
      session_.frame_received(
          protocol::encode(protocol::ServerFrame{protocol::Directory{sent["id"].get<std::string>(), {}, {}, ""}}));
    }
    drain(session_);
  }

  // Moves the clock to the session's next wakeup and ticks.
  Drained advance_to_wakeup() {
    auto next = session_.next_wakeup();
    EXPECT_TRUE(next.has_value());
    if (next) fake_now = std::max(fake_now, *next);
    session_.tick();
    return drain(session_);
  }

  Session session_;
};

TEST_F(ReconnectingSession, AHealthyConnectionThatDropsReconnectsAtOnce) {
  connect();
  fake_now += 60'000;
  session_.frame_received(R"({"type":"pong","id":"x"})");  // keep it alive
  session_.transport_closed(Error::make(ErrorCode::transport, "connection reset"));
  auto d = drain(session_);
  EXPECT_EQ(d.opens, 1) << "no wait for the first drop of a healthy connection";
  EXPECT_EQ(session_.state(), ConnectionState::connecting);
  ASSERT_GE(d.changes.size(), 2u);
  EXPECT_EQ(d.changes[0].state, ConnectionState::disconnected);
  EXPECT_EQ(d.changes[0].retry_in, std::chrono::milliseconds(0));
}

TEST_F(ReconnectingSession, FailedAttemptsWaitAGrowingJitteredTimeAndSayHowLong) {
  session_.connect_requested("token");
  drain(session_);
  std::int64_t previous_ceiling = 0;
  for (int attempt = 1; attempt <= 5; ++attempt) {
    session_.transport_closed(Error::make(ErrorCode::transport, "connection refused"));
    auto lost = drain(session_);
    ASSERT_EQ(session_.state(), ConnectionState::disconnected);
    ASSERT_EQ(lost.opens, 0) << "attempt " << attempt << " waits";
    ASSERT_TRUE(lost.changes.back().retry_in.has_value());
    auto wait = lost.changes.back().retry_in->count();
    std::int64_t ceiling = 1'000LL << (attempt - 1);
    EXPECT_LT(wait, ceiling);
    EXPECT_EQ(session_.retry_at(), fake_now + wait);
    auto retried = advance_to_wakeup();
    EXPECT_EQ(retried.opens, 1);
    EXPECT_EQ(session_.state(), ConnectionState::connecting);
    previous_ceiling = ceiling;
  }
  EXPECT_EQ(previous_ceiling, 16'000);
}

TEST_F(ReconnectingSession, DisconnectedLongerThanTheTtlIsSuspendedAndRetriesEvery30Seconds) {
  session_.connect_requested("token");
  drain(session_);
  std::int64_t start = fake_now;
  ConnectionState state = ConnectionState::connecting;
  // Each round must move the clock (a backoff of at least 1 ms, mostly far more); the
  // count is a bound for a session that stopped asking to be woken.
  for (int round = 0; round < 10'000 && fake_now - start < 130'000; ++round) {
    session_.transport_closed(Error::make(ErrorCode::transport, "connection refused"));
    auto d = drain(session_);
    state = session_.state();
    if (state == ConnectionState::suspended) {
      EXPECT_EQ(d.changes.back().retry_in, std::chrono::milliseconds(30'000));
      break;
    }
    advance_to_wakeup();
  }
  EXPECT_EQ(state, ConnectionState::suspended);
  EXPECT_GE(fake_now - start, 120'000);
  auto d = advance_to_wakeup();
  EXPECT_EQ(d.opens, 1) << "suspended still retries";
}

TEST_F(ReconnectingSession, NetworkComingBackDuringABackoffConnectsAtOnce) {
  session_.connect_requested("token");
  drain(session_);
  session_.transport_closed(Error::make(ErrorCode::transport, "no route"));
  session_.transport_closed(Error::make(ErrorCode::transport, "no route"));
  drain(session_);
  ASSERT_EQ(session_.state(), ConnectionState::disconnected);
  session_.network_changed(true);
  EXPECT_EQ(drain(session_).opens, 1);
  EXPECT_EQ(session_.state(), ConnectionState::connecting);
}

TEST_F(ReconnectingSession, NetworkGoingAwayDropsTheConnectionAtOnce) {
  connect();
  session_.network_changed(false);
  auto d = drain(session_);
  EXPECT_EQ(d.closes, 1);
  EXPECT_EQ(session_.state(), ConnectionState::disconnected);
  ASSERT_TRUE(d.changes.back().error.has_value());
  EXPECT_EQ(d.changes.back().error->code, ErrorCode::transport);
}

TEST_F(ReconnectingSession, AQuietConnectionIsPingedAndAHalfOpenOneIsDroppedInBoundedTime) {
  connect();
  const std::int64_t connected_at = fake_now;
  // Heartbeats wake the session in between: they get no answer, so they neither count as
  // traffic nor put the ping off.
  Drained ping;
  for (int wakeup = 0; wakeup < 10 && ping.frame_types.empty(); ++wakeup) ping = advance_to_wakeup();
  EXPECT_EQ(fake_now - connected_at, 25'000) << "the ping interval";
  EXPECT_EQ(ping.frame_types, std::vector<std::string>{"ping"});
  EXPECT_EQ(session_.state(), ConnectionState::connected);

  // Nothing ever comes back (a blackholed, half-open connection).
  Drained dropped;
  for (int wakeup = 0; wakeup < 10 && session_.state() == ConnectionState::connected; ++wakeup) {
    dropped = advance_to_wakeup();
  }
  ASSERT_NE(session_.state(), ConnectionState::connected) << "never dropped";
  EXPECT_EQ(fake_now - connected_at, 35'000) << "interval + timeout";
  EXPECT_EQ(dropped.closes, 1);
  EXPECT_EQ(dropped.changes.front().error->code, ErrorCode::timeout);
  EXPECT_EQ(dropped.opens, 1) << "it was healthy, so the reconnect is immediate";
}

TEST_F(ReconnectingSession, TrafficKeepsTheConnectionAliveWithoutPings) {
  connect();
  for (int i = 0; i < 10; ++i) {
    fake_now += 20'000;
    session_.frame_received(R"({"type":"pong","id":"x"})");
    session_.tick();
    auto d = drain(session_);
    EXPECT_EQ(d.closes, 0);
  }
  EXPECT_EQ(session_.state(), ConnectionState::connected);
}

TEST_F(ReconnectingSession, NoAnswerToAuthInTimeIsATimeout) {
  session_.connect_requested("token");
  drain(session_);
  session_.transport_opened();
  drain(session_);
  auto d = advance_to_wakeup();
  EXPECT_EQ(d.closes, 1);
  EXPECT_EQ(d.changes.front().state, ConnectionState::disconnected);
  EXPECT_EQ(d.changes.front().error->code, ErrorCode::timeout);
}

TEST_F(ReconnectingSession, ARefusedTokenStopsRetryingUntilConnectIsCalledAgain) {
  session_.connect_requested("bad");
  drain(session_);
  session_.transport_opened();
  session_.frame_received(protocol::encode(
      protocol::ServerFrame{protocol::ErrorFrame{"auth", Error::make(ErrorCode::unauthorized, "no"), "", ""}}));
  session_.transport_closed(Error::make(ErrorCode::transport, "closed 4401"));
  drain(session_);
  EXPECT_EQ(session_.state(), ConnectionState::failed);
  EXPECT_FALSE(session_.next_wakeup().has_value()) << "nothing scheduled";
  session_.network_changed(true);
  EXPECT_EQ(drain(session_).opens, 0);
  session_.connect_requested("good");
  EXPECT_EQ(drain(session_).opens, 1);
}

TEST_F(ReconnectingSession, DisconnectStopsTheRetries) {
  session_.connect_requested("token");
  drain(session_);
  session_.transport_closed(Error::make(ErrorCode::transport, "refused"));
  drain(session_);
  session_.disconnect_requested();
  drain(session_);
  EXPECT_EQ(session_.state(), ConnectionState::closed);
  EXPECT_FALSE(session_.next_wakeup().has_value());
}

TEST_F(ReconnectingSession, BackgroundClosesWhenAskedAndForegroundReconnects) {
  connect();
  session_.app_backgrounded(true);
  auto bg = drain(session_);
  EXPECT_EQ(bg.closes, 1);
  EXPECT_EQ(session_.state(), ConnectionState::disconnected);
  EXPECT_FALSE(bg.changes.back().retry_in.has_value()) << "no retry while in the background";
  EXPECT_FALSE(session_.next_wakeup().has_value());
  session_.app_foregrounded();
  EXPECT_EQ(drain(session_).opens, 1);
}

std::string unauthorized() {
  return protocol::encode(
      protocol::ServerFrame{protocol::ErrorFrame{"auth", Error::make(ErrorCode::unauthorized, "expired"), "", ""}});
}

TEST_F(ReconnectingSession, ARefusedTokenIsRefreshedOnceThenTheSessionFails) {
  session_.connect_requested("old", true);
  drain(session_);
  session_.transport_opened();
  drain(session_);
  session_.frame_received(unauthorized());
  bool asked = false;
  for (auto& action : session_.take_actions()) asked |= std::holds_alternative<RefreshToken>(action);
  EXPECT_TRUE(asked);
  EXPECT_EQ(session_.state(), ConnectionState::disconnected);
  session_.transport_closed(Error::make(ErrorCode::transport, "closed 4401"));  // ignored: given up already
  EXPECT_EQ(drain(session_).opens, 0);

  session_.token_refreshed(std::string("new"));
  EXPECT_EQ(drain(session_).opens, 1);
  session_.transport_opened();
  auto auth = drain(session_);
  ASSERT_EQ(auth.frame_types, std::vector<std::string>{"auth"});
  session_.frame_received(unauthorized());
  for (auto& action : session_.take_actions()) EXPECT_FALSE(std::holds_alternative<RefreshToken>(action));
  EXPECT_EQ(session_.state(), ConnectionState::failed) << "refused again after the refresh";
}

TEST_F(ReconnectingSession, ASuccessfulConnectionAllowsALaterRefresh) {
  session_.connect_requested("t1", true);
  drain(session_);
  accept();
  fake_now += 60'000;
  session_.frame_received(R"({"type":"pong","id":"x"})");
  session_.transport_closed(Error::make(ErrorCode::transport, "reset"));
  ASSERT_EQ(drain(session_).opens, 1);
  session_.transport_opened();
  session_.frame_received(unauthorized());
  bool asked = false;
  for (auto& action : session_.take_actions()) asked |= std::holds_alternative<RefreshToken>(action);
  EXPECT_TRUE(asked) << "the token expired while connected: refresh again";
}

TEST_F(ReconnectingSession, AProviderThatCannotSupplyATokenFailsTheSession) {
  session_.connect_requested("t1", true);
  drain(session_);
  session_.transport_opened();
  session_.frame_received(unauthorized());
  drain(session_);
  session_.token_refreshed(Error::make(ErrorCode::unauthorized, "signed out"));
  auto d = drain(session_);
  EXPECT_EQ(session_.state(), ConnectionState::failed);
  EXPECT_EQ(d.changes.back().error->message, "signed out");
}

}  // namespace
}  // namespace confab::core
