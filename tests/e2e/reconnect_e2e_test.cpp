// The connection heals by itself, end to end: the real server behind the fault proxy.
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <set>

#include "fault_proxy.h"
#include "printers.h"
#include "sdk_device.h"
#include "server_log.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab {
namespace {

using namespace std::chrono_literals;
using test::Device;

// Short timings, so the tests run in a second or two.
void quick(ClientOptions& o) {
  o.connect_step_timeout = 1s;
  o.connection.retry_base = 50ms;
  o.connection.retry_cap = 200ms;
  o.connection.ping_interval = 300ms;
  o.connection.ping_timeout = 300ms;
  o.connection.healthy_after = 100ms;
}

std::size_t count_state(const std::vector<ConnectionChange>& changes, ConnectionState state) {
  std::size_t n = 0;
  for (const auto& c : changes) n += c.state == state;
  return n;
}

bool wait_for_connected_count(Device& d, std::size_t n) {
  return d.connection.wait_until(
      [n](const std::vector<ConnectionChange>& all) { return count_state(all, ConnectionState::connected) >= n; });
}

class ReconnectE2e : public testing::Test {
 protected:
  test::TempDir dir_;
};

TEST_F(ReconnectE2e, ReconnectsByItselfAfterAServerRestartAndDeliversWhatWasQueued) {
  std::optional<test::ServerProcess> server(std::in_place, dir_ / "server");
  test::FaultProxy proxy(server->port());
  Device alice("alice-phone", dir_ / "alice.db", quick);
  ASSERT_TRUE(alice.client->connect(proxy.url(), "token-alice").ok());
  ASSERT_TRUE(wait_for_connected_count(alice, 1));
  ASSERT_TRUE(alice.client->send("c_general", "before").ok());
  ASSERT_TRUE(alice.wait_for_outbox(1));

  server.reset();
  ASSERT_TRUE(alice.connection.wait_until([](const std::vector<ConnectionChange>& all) {
    return all.back().state == ConnectionState::disconnected && all.back().retry_in.has_value();
  })) << "disconnected, and saying when it tries again";
  ASSERT_TRUE(alice.client->send("c_general", "during").ok());
  server.emplace(dir_ / "server");
  proxy.set_upstream(server->port());

  ASSERT_TRUE(wait_for_connected_count(alice, 2)) << "no connect() call: the client came back by itself";
  ASSERT_TRUE(alice.wait_for_outbox(2));
  EXPECT_EQ(test::read_server_texts(server->database(), "c_general"), (std::vector<std::string>{"before", "during"}));
}

TEST_F(ReconnectE2e, ReconnectsAfterTheConnectionIsReset) {
  test::ServerProcess server(dir_ / "server");
  test::FaultProxy proxy(server.port());
  Device alice("alice-phone", ":memory:", quick);
  ASSERT_TRUE(alice.client->connect(proxy.url(), "token-alice").ok());
  ASSERT_TRUE(wait_for_connected_count(alice, 1));
  proxy.reset_all();
  ASSERT_TRUE(wait_for_connected_count(alice, 2));
  EXPECT_GE(count_state(alice.connection.items(), ConnectionState::disconnected), 1u);
  EXPECT_EQ(proxy.connections_accepted(), 2u) << "one reconnect, no storm";
  ASSERT_TRUE(alice.client->send("c_general", "still here").ok());
  ASSERT_TRUE(alice.wait_for_outbox(1));
}

TEST_F(ReconnectE2e, AHalfOpenConnectionIsDetectedWithinTheLivenessBound) {
  test::ServerProcess server(dir_ / "server");
  test::FaultProxy proxy(server.port());
  Device alice("alice-phone", ":memory:", quick);
  ASSERT_TRUE(alice.client->connect(proxy.url(), "token-alice").ok());
  ASSERT_TRUE(wait_for_connected_count(alice, 1));

  auto cut = std::chrono::steady_clock::now();
  proxy.blackhole(true);  // the sockets stay open; nothing gets through
  ASSERT_TRUE(alice.connection.wait_until([](const std::vector<ConnectionChange>& all) {
    return all.back().state != ConnectionState::connected;
  }));
  auto detected = std::chrono::steady_clock::now() - cut;
  auto changes = alice.connection.items();
  auto drop = std::find_if(changes.begin(), changes.end(),
                           [](const auto& c) { return c.state == ConnectionState::disconnected; });
  ASSERT_NE(drop, changes.end());
  EXPECT_EQ(drop->error->code, ErrorCode::timeout) << describe(*drop->error);
  // The bound is ping_interval + ping_timeout (600 ms) after the last frame received;
  // the slack covers a loaded machine's timers, not a missed detection (minutes).
  EXPECT_LT(detected, 600ms + 2s);

  proxy.blackhole(false);
  ASSERT_TRUE(wait_for_connected_count(alice, 2)) << "and it heals once traffic flows again";
}

TEST_F(ReconnectE2e, DestroyingTheClientMidConnectOrMidBackoffIsClean) {
  test::ServerProcess server(dir_ / "server");
  test::FaultProxy proxy(server.port());
  proxy.refuse(true);
  for (int i = 0; i < 20; ++i) {
    std::atomic<bool> destroyed{false};
    std::atomic<int> late{0};
    Subscription outlives_the_client;  // reset after ~Client: must be safe, and silent
    {
      ClientOptions options;
      options.device_id = "dev";
      options.database_path = ":memory:";
      options.allow_insecure_transport = true;
      quick(options);
      auto client = Client::open(options).value();
      outlives_the_client = client->on_connection([&](const ConnectionChange&) { late += destroyed ? 1 : 0; });
      ASSERT_TRUE(client->connect(proxy.url(), "token-alice").ok());
      if (i % 2 == 1) {
        // Mid-backoff: wait until the first refusal has scheduled a retry.
        test::Recorder<ConnectionChange> changes;
        auto recorder = client->on_connection([&](const ConnectionChange& c) { changes.add(c); });
        ASSERT_TRUE(changes.wait_until([](const auto& all) {
          return !all.empty() && all.back().state == ConnectionState::disconnected;
        }));
      }
      // Mid-connect (even i) or mid-backoff (odd i): the client goes away here.
    }
    destroyed = true;
    EXPECT_EQ(late.load(), 0);
  }
}

TEST_F(ReconnectE2e, AnExpiredTokenIsReplacedByTheProviderOnce) {
  test::ServerProcess server(dir_ / "server");
  Device alice("alice-phone", ":memory:", quick);
  std::atomic<int> calls{0};
  auto provider = [&calls]() -> Result<std::string> {
    return ++calls == 1 ? std::string("token-that-expired") : std::string("token-alice");
  };
  ASSERT_TRUE(alice.client->connect(server.url(), provider).ok());
  ASSERT_TRUE(wait_for_connected_count(alice, 1));
  EXPECT_EQ(calls.load(), 2) << "the first token, then one refresh";
}

TEST_F(ReconnectE2e, ATokenRefusedAgainAfterTheRefreshEndsInFailed) {
  test::ServerProcess server(dir_ / "server");
  Device alice("alice-phone", ":memory:", quick);
  std::atomic<int> calls{0};
  ASSERT_TRUE(alice.client->connect(server.url(), [&calls]() -> Result<std::string> {
    ++calls;
    return std::string("never-valid");
  }).ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::failed));
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(alice.client->connection().error->code, ErrorCode::unauthorized);

  Device bob("bob-phone", ":memory:", quick);
  ASSERT_TRUE(bob.client->connect(server.url(), []() -> Result<std::string> {
    return Error::make(ErrorCode::unauthorized, "signed out");
  }).ok());
  ASSERT_TRUE(bob.wait_for_state(ConnectionState::failed));
  EXPECT_EQ(bob.client->connection().error->message, "signed out");
}

TEST_F(ReconnectE2e, EverythingArrivesOnceAndInOrderThroughASlowSlicedLinkThatKeepsDropping) {
  test::ServerProcess server(dir_ / "server");
  test::FaultProxy proxy(server.port());
  test::Toxics toxics;
  toxics.latency = 5ms;
  toxics.jitter = 5ms;
  toxics.slice_bytes = 7;              // frames arrive in pieces
  toxics.bytes_per_second = 200'000;
  toxics.close_after_bytes = 3'000;    // every connection dies after 3 KB
  proxy.set_toxics(toxics);
  Device alice("alice-phone", dir_ / "alice.db", quick);
  ASSERT_TRUE(alice.client->connect(proxy.url(), "token-alice").ok());
  constexpr int kMessages = 40;
  std::vector<std::string> sent;
  for (int i = 0; i < kMessages; ++i) {
    sent.push_back("message " + std::to_string(i) + " with some padding to fill the link");
    ASSERT_TRUE(alice.client->send("c_general", sent.back()).ok());
  }
  ASSERT_TRUE(alice.outbox.wait_until(
      [](const std::vector<LocalMessage>& changes) {
        std::set<std::string> acked;
        for (const auto& m : changes) {
          if (m.state == OutboxState::sent) acked.insert(m.client_message_id);
        }
        return acked.size() == kMessages;
      },
      60s));
  EXPECT_GT(proxy.connections_accepted(), 2u) << "the link dropped and the client came back, several times";
  EXPECT_EQ(test::read_server_texts(server.database(), "c_general"), sent);
}

}  // namespace
}  // namespace confab
